#!/usr/bin/env bash
# Install the Debian packages honyaku needs to build, test and run the demo,
# skipping the ones already present. Needs root on Debian 12.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config          # toolchain
  libzmq3-dev                               # ZeroMQ: broker, worker and client sockets
  libicu-dev                                # ICU4C: charsets, normalization, sentence breaks
  libcurl4-openssl-dev                      # libcurl: HTTP to translation backends
  libsqlite3-dev                            # SQLite: the broker's job store
  libzstd-dev                               # zstd: the store keeps finished records compressed
  libjemalloc-dev                           # jemalloc: the allocator of honyakud and honyaku-worker
  libjansson-dev                            # jansson: JSON headers, records, API bodies
  libcjson-dev                              # cJSON: the broker-worker hot path (translate TASK/RESULT bodies, DeepL answers)
  libinih-dev                               # inih: the INI config parser
  libxml2-dev                               # libxml2: HTML parsing of article pages
  libxxhash-dev                             # xxHash: content keys and hashes
  libmicrohttpd-dev                         # libmicrohttpd: honyakud's GET /metrics, the test backend server
  libsystemd-dev                            # sd_notify for Type=notify under systemd
  libmecab-dev mecab mecab-ipadic-utf8      # the sentence aligner: Japanese words (MeCab's C API, IPA dictionary)
  edict                                     # the sentence aligner: the English-Japanese dictionary (EUC-JP)
  python3-zmq                               # the spec-only Python test client and fake peers
  python3-jsonschema                        # tests: records and prepared articles against proto/schema/
  python3-translate python3-lxml            # tests: TMX and XLIFF exports read back with translate-toolkit, lxml
  libxml2-utils python3-html5lib            # tests: xmllint --noout on exports; the HTML export parsed as HTML5
  python3-prometheus-client                 # tests: Prometheus' parser reads /metrics and stats --format prometheus
  apertium-apy apertium-eng-spa             # a real translation server for tests and the demo
  curl                                      # demo: probing APy
  groff-base                                # tests: the man pages format without warnings
  dpkg-dev debhelper lintian                # scripts/package.sh: the Debian packages (packaging.deb)
  gnuplot-nox                               # bench/perf.py: its PNG plot (bench.perf_smoke)
  valgrind                                  # bench/icount.py: instructions an article (callgrind)
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# tests: DeepL's own API mock (shared/vendor/deepl-mock) runs on Node.js with
# npm. A machine may have them already from another source (NodeSource's
# nodejs bundles npm, and Debian's npm package conflicts with it): only
# commands that are missing are installed, from Debian.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "honyaku: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "honyaku: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
