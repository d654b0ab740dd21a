#!/usr/bin/env bash
# The README's test command: install what is missing, build with warnings as
# errors, run the whole suite with CTest; then build again with
# AddressSanitizer and UBSan and run the whole suite once more.
# CI (.ci/run) calls exactly this.
#   scripts/test.sh                  both runs
#   HNY_TEST_ASAN=0 scripts/test.sh  skip the sanitizer run
#   scripts/test.sh -R daemon        extra arguments go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash scripts/deps.sh

jobs=${JOBS:-$(nproc)}
run_suite() {
  local build=$1; shift
  cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHNY_WERROR=ON "$@" >/dev/null
  cmake --build "$build" -j "$jobs"
}

build=${BUILD_DIR:-$top/build-test}
run_suite "$build"
echo "== test suite"
ctest --test-dir "$build" -j "$jobs" --output-on-failure --timeout 300 "$@"

if [ "${HNY_TEST_ASAN:-1}" != 0 ]; then
  asan=${build}-asan
  run_suite "$asan" -DHNY_SANITIZE=ON
  # -LE package: the Debian packages do not depend on this build; the
  # first run built and checked them already.
  echo "== test suite under AddressSanitizer and UBSan"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    ctest --test-dir "$asan" -j "$jobs" --output-on-failure --timeout 300 -LE package "$@"
fi
