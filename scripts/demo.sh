#!/usr/bin/env bash
# The README's demo: from a fresh clone on Debian 12 (as root), install what
# is missing, build, start Apertium APy on a free loopback port and honyakud
# with its local workers on a private state directory, translate the sample
# archive English -> Spanish with `honyaku batch`, show an excerpt, and stop
# everything it started.
#   scripts/demo.sh [ARCHIVE_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
archive=${1:-$top/tests/data/demo-archive}
out=${2:-$top/demo-out}
build=${BUILD_DIR:-$top/build}

bash scripts/deps.sh
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target honyakud honyaku-worker honyaku >/dev/null

run=$(mktemp -d /tmp/honyaku-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$run"
}
trap cleanup EXIT

# A free loopback port for APy: ask the kernel for one.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
apertium-apy -p "$port" /usr/share/apertium/modes >"$run/apy.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/listPairs" >/dev/null; do
  if [ $SECONDS -ge $deadline ]; then echo "demo: Apertium APy did not start (see $run/apy.log)" >&2; exit 1; fi
  sleep 0.2   # polling a server that is starting, with a deadline
done
echo "demo: Apertium APy on 127.0.0.1:$port"

cat >"$run/honyaku.conf" <<CONF
[daemon]
workers = 2
default_backend = apertium

[backend.apertium]
type = apertium
url = http://127.0.0.1:$port
concurrency = 8
CONF

export HONYAKU_ENDPOINT="ipc://$run/state/front"
"$build/bin/honyakud" --config "$run/honyaku.conf" --state "$run/state" >"$run/honyakud.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 30))
until "$build/bin/honyaku" --timeout 1000 status >/dev/null 2>&1; do
  if [ $SECONDS -ge $deadline ]; then echo "demo: honyakud did not answer (log: $run/honyakud.log)" >&2; cat "$run/honyakud.log" >&2; exit 1; fi
done
echo "demo: honyakud is up (state in $run/state)"

rm -rf "$out"
"$build/bin/honyaku" batch "$archive" --from en --to es --backend apertium --out "$out"

echo
echo "demo: $(wc -l <"$out/records.jsonl") records in $out/records.jsonl"
/usr/bin/python3 - "$out/records.jsonl" <<'PY'
import json, sys, textwrap
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
for r in recs[:2]:
    md = r.get("metadata", {})
    print("\n== %s  (%s, %s)" % (md.get("title"), md.get("date", "no date"), md.get("section", "no section")))
    segs = [s for p in r["paragraphs"] for s in p["segments"]][:3]
    for s in segs:
        print("  en: " + textwrap.shorten(s["src"], 100))
        print("  es: " + textwrap.shorten(s["tgt"] or "(failed)", 100))
PY
