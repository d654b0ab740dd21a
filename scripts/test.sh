#!/usr/bin/env bash
# The README's test command: install what is missing, build with warnings as
# errors, run the whole suite with CTest. CI (.ci/run) calls exactly this.
#   scripts/test.sh            build in ./build-test and run every test
#   BUILD_DIR=... JOBS=... scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash scripts/deps.sh

build=${BUILD_DIR:-$top/build-test}
jobs=${JOBS:-$(nproc)}
cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHNY_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300 "$@"
