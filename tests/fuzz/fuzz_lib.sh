# Shared by tests/fuzz/run_short.sh and bench/fuzz/run_long.sh (sourced, not run):
# configure and build the fuzz tree, make the seed corpora, run one target.
# The caller sets: build (build dir), and is in the source root.

fuzz_targets=(packet policy gateway_config control_protocol event)

# The fuzz tree: clang, ASan+UBSan, -O1 with assertions on (no NDEBUG).
fuzz_build() {
  cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" -DISOGATE_SANITIZE=ON -DISOGATE_FUZZ=ON >/dev/null
  cmake --build "$build" -j "$(nproc)" --target isogate_fuzzers
}

# fuzz_seeds DIR: the seed corpora (tests/fuzz/make_seeds.py), with the system python
# when there is one (its scapy crafts the packets that reach the data plane's deeper stages).
fuzz_seeds() {
  local py=/usr/bin/python3
  [ -x "$py" ] || py=python3
  rm -rf "$1"
  "$py" tests/fuzz/make_seeds.py "$1"
}

fuzz_dict() {
  case "$1" in
    policy) echo tests/fuzz/dict/policy.dict ;;
    gateway_config) echo tests/fuzz/dict/gateway_config.dict ;;
    control_protocol | event) echo tests/fuzz/dict/json.dict ;;
  esac
}

fuzz_max_len() {
  case "$1" in
    packet) echo 2049 ;;  # the control byte and a frame of up to 2048 bytes
    policy | gateway_config) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

# fuzz_run TARGET CORPUS_DIR SEED_DIR ARTIFACT_DIR LOG [libFuzzer options...]
# New inputs go to CORPUS_DIR (the seeds and regressions are only read); a crash, leak, sanitizer report or hang leaves its input
# in ARTIFACT_DIR and makes the run fail.
fuzz_run() {
  local t=$1 corpus=$2 seeds=$3 artifacts=$4 log=$5
  shift 5
  local exe="$build/tests/fuzz_${t}_fuzz" dict
  dict=$(fuzz_dict "$t")
  mkdir -p "$corpus" "$seeds" "$artifacts"
  # Inputs that once failed (tests/fuzz/regressions/<target>/) are replayed by every run.
  local extra=()
  [ -d "tests/fuzz/regressions/$t" ] && extra=("tests/fuzz/regressions/$t")
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" -timeout=60 -rss_limit_mb=4096 -max_len="$(fuzz_max_len "$t")" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 ${dict:+-dict="$dict"} "$@" \
    "$corpus" "$seeds" "${extra[@]}" >"$log" 2>&1
}
