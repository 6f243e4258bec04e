#!/usr/bin/env bash
# The sanitizer half of `make test`, one build for both checks:
#   build-sanitize: the whole project (core, desktop program, CLI, tests, fuzz targets; not the
#   benchmark, which no test runs) built with
#   clang, AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's coverage hooks
#   (-DES_FUZZ=ON), -O1 with line tables, unity batches and precompiled headers; then
#     1. every CTest test run there (the same suites and program tests as the release build),
#     2. each libFuzzer target run briefly from its seeds (ES_FUZZ_SMOKE_SECONDS, default 6 s).
# Any sanitizer report aborts the program (abort_on_error), so the test that ran it fails.
#
#   scripts/sanitize_test.sh [--no-fuzz] [--phase build|test|all]
# Environment: ES_SANITIZE_BUILD (build-sanitize), JOBS (nproc), ES_SANITIZE_APP (ON).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
cd "$src"
build="${ES_SANITIZE_BUILD:-build-sanitize}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
fuzz=1
phase=all
while [ $# -gt 0 ]; do
  case "$1" in
    --no-fuzz) fuzz=0; shift ;;
    --phase) phase="$2"; shift 2 ;;
    *) echo "sanitize_test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
app="${ES_SANITIZE_APP:-ON}"

# Leaks inside Mesa / llvmpipe / X libraries (not ours) are listed in tests/lsan.supp; leaks in
# our own code fail every test, the desktop ones included.
export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:abort_on_error=1"

start=$(date +%s)
built=$start
if [ "$phase" != test ]; then
echo "== sanitizers: building $build (clang, ASan + UBSan + fuzzer hooks)"
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
flags="-O1 -gline-tables-only -DNDEBUG"
CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" \
  -DES_FUZZ=ON -DES_BUILD_APP="$app" -DES_BUILD_BENCH=OFF -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build "$build" -j "$jobs"
built=$(date +%s)
echo "sanitizer build: $((built - start)) s"
fi
if [ "$phase" = build ]; then exit 0; fi
echo "== sanitizers: every CTest test under ASan + UBSan, and the fuzz smoke runs"
# The desktop runs (long, waiting on Xvfb and llvmpipe as much as on the processor) go on beside
# the other tests and then beside the fuzz smoke runs; each group writes its own log, printed
# whole at the end. (The hostile-input tests' 20 s limit per case holds with three at once.)
desktop_tests='^program_(hostile_)?desktop$'
logs="$build/sanitize-logs"
rm -rf "$logs"; mkdir -p "$logs"
pids=(); names=()
run_group() {  # name, then the command
  local name="$1"; shift
  ("$@") >"$logs/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
}
if [ "$app" = ON ]; then
  # The desktop programs load Mesa's GL driver, which keeps a few blocks until exit, and
  # libglvnd unloads it in glfwTerminate, before LeakSanitizer reports: a block allocated there
  # then has an "<unknown module>" stack that no suppression can name. Two measures make the
  # suppressions in tests/lsan.supp match on every machine: the program pins every loaded
  # library (RTLD_NODELETE, app/desktop/leak_check.h), and the slow unwinder
  # (fast_unwind_on_malloc=0) walks through Mesa's frame-pointer-less code into the named
  # libraries. The hostile-file runs (they stop before drawing, where the reported leak was)
  # are leak-checked that way. The drawing runs are not: the slow unwinder makes llvmpipe's
  # shader compiler crawl, and with the fast one LeakSanitizer's stop-the-world tracer can race
  # the driver's threads at exit ("Tracer caught signal 11"): not a leak, and a test must not
  # depend on it. Memory errors and undefined behaviour stay fatal there.
  run_group desktop env ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
    bash -c "cd '$build' && ctest --output-on-failure -R '^program_desktop\$' && \
             ASAN_OPTIONS='$ASAN_OPTIONS:fast_unwind_on_malloc=0' ctest --output-on-failure -R '^program_hostile_desktop\$'"
fi
# The layout slice under ASan: its self-test and one configuration (255 s for all four, the
# longest test of the pass; the layout is checked whole in the release pass).
run_group tests env ES_LAYOUT_CONFIGS=1 bash -c "cd '$build' && ctest --output-on-failure -j '$jobs' -LE fuzz -E '$desktop_tests'"
tests_status=0
wait "${pids[-1]}" || tests_status=$?  # the fuzzers start when these are done
if [ "$fuzz" = 1 ]; then
  # The fuzz targets set their own sanitizer options (scripts/fuzz.sh).
  run_group fuzz env -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LSAN_OPTIONS \
    bash -c "cd '$build' && ctest --output-on-failure -L fuzz -j '$jobs'"
fi
failed=()
for k in "${!pids[@]}"; do
  status=0
  if [ "${names[$k]}" = tests ]; then status=$tests_status; else wait "${pids[$k]}" || status=$?; fi
  echo "---- ${names[$k]}"
  cat "$logs/${names[$k]}.log"
  if [ "$status" -ne 0 ]; then failed+=("${names[$k]}"); fi
done
tested=$(date +%s)
echo "sanitizer pass: build $((built - start)) s, tests and fuzz smoke $((tested - built)) s"
if [ ${#failed[@]} -gt 0 ]; then echo "sanitize_test.sh: FAILED: ${failed[*]}"; exit 1; fi
echo "sanitize_test.sh: all clean in $(( $(date +%s) - start )) s"
