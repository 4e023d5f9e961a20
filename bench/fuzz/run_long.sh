#!/usr/bin/env bash
# The long fuzzing run (not part of the test command): every libFuzzer target of
# tests/fuzz/ for MINUTES each (default 10) with JOBS parallel processes (default:
# all cores, libFuzzer's -fork mode), from the same seeds as tests/fuzz/run_short.sh.
# The corpus is kept in build/fuzz/corpus-long/<target>/ and grows run after run;
# crashes land in build/fuzz/artifacts/<target>/. Prints per target the CPU time
# spent, the executions and the coverage reached; write them in docs/RELIABILITY.md.
#   bench/fuzz/run_long.sh [MINUTES] [JOBS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-10}
jobs=${2:-$(nproc)}
shift $(($# > 2 ? 2 : $#))
build=${ISOGATE_FUZZ_BUILD:-build/fuzz}
source tests/fuzz/fuzz_lib.sh
targets=("$@")
((${#targets[@]})) || targets=("${fuzz_targets[@]}")

set -e
fuzz_build
seeds="$build/seeds"
fuzz_seeds "$seeds"
set +e

status=0
TIMEFORMAT='%U %S %R'
for t in "${targets[@]}"; do
  log="$build/fuzz-long-$t.log"
  [ -x "$build/tests/fuzz_${t}_fuzz" ] || { echo "$t: not built"; continue; }
  times=$({ time fuzz_run "$t" "$build/corpus-long/$t" "$seeds/$t" "$build/artifacts/$t" \
    "$log" -max_total_time=$((minutes * 60)) -fork="$jobs" >/dev/null; } 2>&1)
  rc=$?
  read -r user sys real <<<"$(tail -1 <<<"$times")"
  # -fork's status lines: "#EXECS: cov: N ft: N corp: N exec/s N oom/timeout/crash: a/b/c ..."
  execs=$(grep -oE '^#[0-9]+:' "$log" | tail -1 | tr -d '#:')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  files=$(find "$build/corpus-long/$t" -type f | wc -l)
  crashes=$(find "$build/artifacts/$t" -type f | wc -l)
  printf '%-17s rc=%d  cpu %.0fs (user %.0f + sys %.0f, wall %.0fs)  %s  execs %s  corpus %d  artifacts %d\n' \
    "$t" "$rc" "$(awk "BEGIN{print $user + $sys}")" "$user" "$sys" "$real" "$cov" "$execs" "$files" "$crashes"
  ((rc == 0)) || status=1
done
exit $status
