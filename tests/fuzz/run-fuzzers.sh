#!/usr/bin/env bash
# Builds the fuzz targets with clang + libFuzzer + ASan/UBSan and runs each for FUZZ_SECONDS,
# then merges the inputs that found new coverage back into tests/fuzz/corpus/<target>/
# (libFuzzer -merge=1: only inputs that add coverage are kept; the committed seeds stay).
# `make fuzz` calls this; the replay of the corpora in the normal build is `ctest -L fuzz`.
#
#   FUZZ_SECONDS=600         time per target (0: only merge what FUZZ_WORK holds, minimise)
#   FUZZ_TARGETS="a b"       which targets (default: all)
#   FUZZ_PARALLEL=1          targets run at once (each is one process; nice'd)
#   FUZZ_BUILD=build-fuzz    the clang build folder (relative to the repository root)
#   FUZZ_WORK=$FUZZ_BUILD/fuzz-work   where new inputs, logs and crash artifacts go
#   FUZZ_MAX_FILES=200       above this many files a corpus is minimised after merging
#   FUZZ_MINIMIZE=1          minimise every corpus (smallest set keeping every edge)
#   FUZZ_NO_BUILD=1          use the binaries already in FUZZ_BUILD
#   FUZZ_KEEP_GOING=1        go on after a crash (libFuzzer -fork=1 -ignore_crashes=1), to
#                            look past a known finding; each crash still lands in artifacts-*/
#   CLANG_CXX / CLANG_CC     the compilers (default clang++-19 / clang-19)
#   JOBS                     build parallelism (default: nproc)
#   ASAN_OPTIONS / UBSAN_OPTIONS, when set, replace the defaults below (which add
#   tests/fuzz/ubsan.supp and the symbolizer).
# Exit status: 1 when a target crashed or broke a property (see the log and the artifact
# named in it), else 0.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
FUZZ_PARALLEL="${FUZZ_PARALLEL:-1}"
FUZZ_BUILD="${FUZZ_BUILD:-build-fuzz}"
FUZZ_WORK="${FUZZ_WORK:-$FUZZ_BUILD/fuzz-work}"
FUZZ_MINIMIZE="${FUZZ_MINIMIZE:-0}"
FUZZ_MAX_FILES="${FUZZ_MAX_FILES:-200}"
CLANG_CXX="${CLANG_CXX:-clang++-19}"
CLANG_CC="${CLANG_CC:-clang-19}"
JOBS="${JOBS:-$(nproc)}"
ALL_TARGETS=(fuzz_json fuzz_hook_request fuzz_prefetch_template fuzz_http_request fuzz_url_guard
             fuzz_jwt)
read -r -a TARGETS <<< "${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

# Longest input each target is given: enough for what it parses, small enough to mutate fast.
max_len() {
  case "$1" in
    fuzz_hook_request) echo 32768 ;;   # scenario requests are up to ~19 KB
    fuzz_json) echo 8192 ;;
    fuzz_http_request) echo 8192 ;;
    fuzz_jwt) echo 4096 ;;
    *) echo 2048 ;;
  esac
}

command -v "$CLANG_CXX" >/dev/null || {
  echo "run-fuzzers: $CLANG_CXX not found (scripts/install-deps.sh installs clang-19)" >&2
  exit 1
}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  # -O1 -g without NDEBUG: fast enough, asserts on, readable stacks.
  cmake -S . -B "$FUZZ_BUILD" -DCMAKE_C_COMPILER="$CLANG_CC" -DCMAKE_CXX_COMPILER="$CLANG_CXX" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DIBD_SANITIZE=ON -DIBD_FUZZ=ON >/dev/null
  cmake --build "$FUZZ_BUILD" -j "$JOBS" --target "${TARGETS[@]}"
fi

mkdir -p "$FUZZ_WORK"
# clang 19's runtime does not find Debian's llvm-symbolizer (14) by itself.
SYMBOLIZER="$(command -v llvm-symbolizer-19 || command -v llvm-symbolizer || true)"
SYM="${SYMBOLIZER:+:external_symbolizer_path=$SYMBOLIZER}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1$SYM}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/tests/fuzz/ubsan.supp$SYM}"

run_one() {
  local t="$1" corpus="tests/fuzz/corpus/$1" work="$FUZZ_WORK/$1"
  local dict_args=() keep_going=()
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going=(-fork=1 -ignore_crashes=1)
  [ -f "tests/fuzz/dict/$t.dict" ] && dict_args=(-dict="tests/fuzz/dict/$t.dict")
  local artifacts
  artifacts="$work/artifacts-$(date +%Y%m%d-%H%M%S)"  # this run's crashes only
  mkdir -p "$work/new" "$artifacts"
  local before
  before=$(find "$corpus" -type f | wc -l)
  echo "run-fuzzers: $t for ${FUZZ_SECONDS}s (log: $work/fuzz.log)"
  local status=0
  if [ "$FUZZ_SECONDS" -gt 0 ]; then
    nice -n 10 "$FUZZ_BUILD/bin/$t" -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$t")" \
      -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
      "${dict_args[@]}" "${keep_going[@]}" "$work/new" "$corpus" >"$work/fuzz.log" 2>&1 \
      || status=$?
  else
    : >"$work/fuzz.log"  # FUZZ_SECONDS=0: only merge and minimise
  fi
  "$FUZZ_BUILD/bin/$t" -merge=1 -max_len="$(max_len "$t")" "$corpus" "$work/new" \
    >"$work/merge.log" 2>&1 || echo "run-fuzzers: $t: merge failed, see $work/merge.log" >&2
  if [ "$FUZZ_MINIMIZE" = 1 ] || [ "$(find "$corpus" -type f | wc -l)" -gt "$FUZZ_MAX_FILES" ]; then
    # The smallest set of inputs that still reaches every edge (hit counts ignored). The
    # named seeds stay; generated inputs (SHA-1 names) are replaced by that set.
    rm -rf "$work/minimal" && mkdir -p "$work/minimal"
    "$FUZZ_BUILD/bin/$t" -set_cover_merge=1 -use_counters=0 -max_len="$(max_len "$t")" \
      "$work/minimal" "$corpus" >"$work/minimize.log" 2>&1 || {
      echo "run-fuzzers: $t: minimising failed, see $work/minimize.log" >&2
      return 1
    }
    find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    local f
    for f in "$corpus"/*; do rm -f "$work/minimal/$(sha1sum <"$f" | cut -c1-40)"; done
    find "$work/minimal" -type f -exec cp {} "$corpus"/ \;
  fi
  local after
  after=$(find "$corpus" -type f | wc -l)
  local stats
  stats=$(grep -E '^#[0-9]+(:|[[:space:]]+(DONE|pulse|NEW|REDUCE))' "$work/fuzz.log" | tail -1 || true)
  echo "run-fuzzers: $t: exit $status; corpus $before -> $after files; last: $stats"
  grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$work/fuzz.log" \
    | sed "s/^/run-fuzzers: $t: /" || true
  if [ "$status" -eq 0 ] && [ -n "$(ls "$artifacts")" ]; then
    status=1  # FUZZ_KEEP_GOING: crashes were ignored, not absent
  fi
  if [ "$status" -ne 0 ]; then
    echo "run-fuzzers: $t FAILED; $(ls "$artifacts" | wc -l) artifact(s) in $artifacts," \
      "e.g. $(ls "$artifacts" | head -3 | tr '\n' ' ')" >&2
    grep -m1 -E 'ERROR: |runtime error|fuzz property violated|deadly signal' "$work/fuzz.log" >&2 || true
    return 1
  fi
}

failed=0
running=0
for t in "${TARGETS[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$FUZZ_PARALLEL" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
exit "$failed"
