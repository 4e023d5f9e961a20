#!/usr/bin/env bash
# A short run of every libFuzzer target (part of tests/run_all.sh): builds the fuzz
# tree (clang, ASan+UBSan) in build/fuzz, makes the seed corpora (the project's
# captures and YAML files, the public captures of /work/shared/corpus when present),
# and fuzzes each target for ISOGATE_FUZZ_SECONDS (default 20). Fails on any crash,
# leak, sanitizer report or hang; the input is kept in build/fuzz/artifacts/<target>/.
# The corpus grows run after run in build/fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${ISOGATE_FUZZ_BUILD:-build/fuzz}
seconds=${ISOGATE_FUZZ_SECONDS:-20}
source tests/fuzz/fuzz_lib.sh

fuzz_build
seeds="$build/seeds"
fuzz_seeds "$seeds"

status=0
for t in "${fuzz_targets[@]}"; do
  if [ ! -x "$build/tests/fuzz_${t}_fuzz" ]; then
    echo "fuzz $t: not built (the packet target needs ISOGATE_WITH_DPDK)"
    [ "$t" = packet ] || status=1
    continue
  fi
  log="$build/fuzz-$t.log"
  if fuzz_run "$t" "$build/corpus/$t" "$seeds/$t" "$build/artifacts/$t" "$log" \
    -max_total_time="$seconds"; then
    echo "fuzz $t: ok ($(grep -E '^(Done|stat::number_of_executed_units)' "$log" | tail -1))"
  else
    echo "fuzz $t: FAILED (log $log, input in $build/artifacts/$t/)"
    grep -E -A40 'ERROR:|invariant failed|runtime error|SUMMARY' "$log" | head -80 || tail -40 "$log"
    status=1
  fi
done
exit $status
