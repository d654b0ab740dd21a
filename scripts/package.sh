#!/usr/bin/env bash
# Build the Debian packages (honyaku, libhonyaku1, libhonyaku-dev) into a
# directory and check them with lintian. The source tree stays clean: the
# build runs on a copy in a temporary directory.
#   scripts/package.sh [OUTDIR]       default OUTDIR: ./build-deb
#   DEB_BUILD_OPTIONS=nocheck ...     skip the package's quick tests
# Exits non-zero when the build fails or lintian reports an error; lintian's
# warnings are printed (and kept in OUTDIR/lintian.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
out=${1:-$top/build-deb}

for tool in dpkg-buildpackage dh lintian; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "package.sh: $tool is missing (scripts/deps.sh installs it)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/honyaku-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
src=$tmp/honyaku
mkdir -p "$src"
# The files of the project: what git knows (tracked, or new and not
# ignored), else the tree without build directories.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$top" ls-files -z --cached --others --exclude-standard \
    | tar -C "$top" --null --no-recursion --ignore-failed-read -T - -cf - \
    | tar -xf - -C "$src"
else
  tar -C "$top" --exclude='./build*' --exclude='./honyaku-state' --exclude='./demo-out' -cf - . \
    | tar -xf - -C "$src"
fi

jobs=${JOBS:-$(nproc)}
start=$(date +%s)
mkdir -p "$out"
echo "== dpkg-buildpackage -us -uc -b (in $src, log in $out/build.log)"
(cd "$src" && dpkg-buildpackage -us -uc -b -j"$jobs") > "$out/build.log" 2>&1 || {
  tail -n 60 "$out/build.log" >&2
  echo "package.sh: dpkg-buildpackage failed (log above)" >&2
  exit 1
}
changes=$(ls "$tmp"/*.changes)
for f in "$changes" "$tmp"/*.deb "$tmp"/*.buildinfo; do
  cp "$f" "$out/"
done
echo "== built in $(( $(date +%s) - start )) s:"
(cd "$out" && ls -1 ./*.deb)

echo "== lintian"
lintian_rc=0
lintian --fail-on error --info --display-info "$out/$(basename "$changes")" > "$out/lintian.txt" 2>&1 \
  || lintian_rc=$?
cat "$out/lintian.txt"
if [ "$lintian_rc" -ne 0 ]; then
  echo "package.sh: lintian reports errors" >&2
  exit 1
fi
echo "== packages in $out: lintian reports no errors"
