#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz.
#
#   scripts/fuzz.sh [--build DIR] [--seconds N] [--smoke] [--only NAME] [--jobs J]
#
# Without --build it configures and builds DIR (default build-fuzz) with clang:
#   CC=clang CXX=clang++ cmake -DES_FUZZ=ON -DES_BUILD_APP=OFF
# Each target runs for N seconds (default $FUZZ_SECONDS or 60) from its seeds: the committed
# text seeds in tests/fuzz/corpus/NAME plus the binary seeds tests/fuzz/make_seeds.py writes.
# The corpus it grows is kept in DIR/fuzz-corpus/NAME (a --smoke run uses a fresh temporary
# one and ES_FUZZ_SMOKE_SECONDS, default 6). A crash, sanitizer report, leak, timeout (10 s
# per input) or failed check stops the target; the input is saved in DIR/fuzz-findings/ and
# the script exits 1.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build=""
seconds="${FUZZ_SECONDS:-60}"
smoke=0
only=""
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --smoke) smoke=1; seconds="${ES_FUZZ_SMOKE_SECONDS:-6}"; shift ;;
    --only) only="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    *) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
targets=(safetensors checkpoint model_config bpe_tokenizer tokenizer_json word_tokenizer cli_args
         sentencepiece tokenizer_kinds wordpiece_vocab)
if [ -n "$only" ]; then targets=("$only"); fi

if [ -z "$build" ]; then
  build="$src/build-fuzz"
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DES_FUZZ=ON -DES_BUILD_APP=OFF >/dev/null
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target es_fuzz_all
fi

seeds="$build/fuzz-seeds"
/usr/bin/python3 "$src/tests/fuzz/make_seeds.py" "$seeds"
findings="$build/fuzz-findings"
mkdir -p "$findings"
# Leaks are findings too; the allocator returns null past 2 GB so a huge allocation is an
# error the code must handle, not an abort (rss_limit_mb catches the rest).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

run_one() {
  local name="$1" work log status
  if [ "$smoke" = 1 ]; then
    work="$(mktemp -d)"
  else
    work="$build/fuzz-corpus/$name"
    mkdir -p "$work"
  fi
  log="$build/fuzz-$name.log"
  local dirs=("$work" "$src/tests/fuzz/corpus/$name")
  if [ -d "$seeds/$name" ]; then dirs+=("$seeds/$name"); fi
  local dict=()
  if [ -f "$src/tests/fuzz/$name.dict" ]; then dict=(-dict="$src/tests/fuzz/$name.dict"); fi
  status=0
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
    -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$name-" \
    "${dict[@]}" "${dirs[@]}" >"$log" 2>&1 || status=$?
  local execs cov
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)"
  if [ "$smoke" = 1 ]; then rm -rf "$work"; fi
  if [ "$status" -ne 0 ]; then
    echo "fuzz $name: FINDING after $execs runs (status $status); log $log, inputs in $findings" >&2
    grep -E "ERROR:|runtime error|fuzz check failed|SUMMARY|Test unit written" "$log" | head -8 >&2 || true
    return 1
  fi
  echo "fuzz $name: clean, $seconds s, $execs runs, $cov"
}

failed=0
if [ "$jobs" -gt 1 ]; then
  pids=()
  for name in "${targets[@]}"; do
    run_one "$name" & pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
else
  for name in "${targets[@]}"; do run_one "$name" || failed=1; done
fi
exit "$failed"
