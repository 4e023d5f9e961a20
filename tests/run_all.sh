#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine (as root): installs the packages,
# builds a release tree and an ASan+UBSan tree, and runs every test in both
# (end-to-end namespace tests run in the release tree; they need root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh

jobs=$(nproc)
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build/release -j "$jobs"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DISOGATE_SANITIZE=ON
cmake --build build/asan -j "$jobs"

# Known-failing tests (tests/known_failing.txt, each with its reason) are built but not run.
known=$(grep -v '^#' tests/known_failing.txt | cut -f1 | grep . | paste -sd'|' || true)
exclude=(); [ -n "$known" ] && exclude=(-E "$known")
echo "== not run (known failing, see tests/known_failing.txt): ${known:-none}"

# Run as root: tests that need root must fail, not skip, if they find they are not.
export ISOGATE_REQUIRE_ROOT=1
status=0
echo "== release build: unit tests"
ctest --test-dir build/release --output-on-failure --timeout 600 -LE e2e -j "$jobs" "${exclude[@]}" || status=1
echo "== release build: end-to-end tests (namespaces, one at a time)"
ctest --test-dir build/release --output-on-failure --timeout 900 -L e2e "${exclude[@]}" || status=1
echo "== ASan+UBSan build: unit tests"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure --timeout 900 -LE e2e -j "$jobs" "${exclude[@]}" || status=1
echo "== libFuzzer targets: a short run of each (clang, ASan+UBSan, build/fuzz)"
bash tests/fuzz/run_short.sh || status=1
if [ -x tests/check_format.sh ]; then
  echo "== clang-format"
  bash tests/check_format.sh || status=1
fi
exit $status
