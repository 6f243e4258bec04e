#!/usr/bin/env bash
# `make test`: the release build and every CTest test in it, then the sanitizer build
# (scripts/sanitize_test.sh: clang, ASan + UBSan + libFuzzer hooks) with every test and the fuzz
# smoke runs. The release tests run while the sanitizer build compiles (they wait on Xvfb and
# files as much as on the processor); their output is printed whole when they end. Each part's
# time is printed at the end.
#
# Environment: BUILD (build), JOBS (nproc), CMAKE_FLAGS (-DCMAKE_BUILD_TYPE=Release),
# ES_TEST_OVERLAP=0 to run the release tests before the sanitizer build instead.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
cd "$src"
build="${BUILD:-build}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
read -r -a flags <<<"${CMAKE_FLAGS:--DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON}"
overlap="${ES_TEST_OVERLAP:-1}"
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi

t0=$(date +%s)
echo "== release: building $build"
cmake -S . -B "$build" "${generator[@]}" "${flags[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
t1=$(date +%s)

release_log="$build/release-tests.log"
release_tests() {
  local status=0
  (cd "$build" && ctest --output-on-failure -j "$jobs") >"$release_log" 2>&1 || status=$?
  date +%s >"$build/release-tests.end"
  return "$status"
}
if [ "$overlap" = 1 ]; then
  echo "== release: every CTest test (in the background, log $release_log), while the sanitizer build compiles"
  release_tests &
  release_pid=$!
  JOBS="$jobs" bash scripts/sanitize_test.sh --phase build
  t2=$(date +%s)
  status=0
  wait "$release_pid" || status=$?
  t3=$(cat "$build/release-tests.end" 2>/dev/null || date +%s)
  cat "$release_log"
  if [ "$status" -ne 0 ]; then echo "make test: release tests FAILED (log above)"; exit "$status"; fi
else
  echo "== release: every CTest test"
  status=0
  release_tests || status=$?
  cat "$release_log"
  if [ "$status" -ne 0 ]; then echo "make test: release tests FAILED (log above)"; exit "$status"; fi
  t3=$(date +%s)
  JOBS="$jobs" bash scripts/sanitize_test.sh --phase build
  t2=$(date +%s)
fi
JOBS="$jobs" bash scripts/sanitize_test.sh --phase test
t4=$(date +%s)
echo "make test: release build $((t1 - t0)) s; release tests and sanitizer build $(( (t2 > t3 ? t2 : t3) - t1 )) s" \
     "(tests done after $((t3 - t1)) s, build after $((t2 - t1)) s); sanitizer tests and fuzz smoke $((t4 - (t2 > t3 ? t2 : t3))) s;" \
     "total $((t4 - t0)) s"
