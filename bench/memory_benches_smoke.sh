#!/usr/bin/env bash
# The benches that run from memory -- classify, policy, forward and pipeline
# (Google Benchmark), and frame_cost -- once and briefly: not a measurement
# (no figure is asserted), a check that each still runs every one of its
# cases to a result. A case that errors out (Google Benchmark's "ERROR
# OCCURRED", e.g. a policy or data file it no longer finds), a case listed
# without a result, or a program that fails, fails this. Registered by
# bench/CMakeLists.txt (only where the benches are built); needs no root.
# Usage: memory_benches_smoke.sh BUILD_DIR   (from the project root)
set -uo pipefail
build=${1:?usage: $(basename "$0") BUILD_DIR}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
# A result line: the case's name, its time and CPU time with their units, iterations.
result='^[A-Za-z_][^ ]* +[0-9.]+ (ns|us|ms|s) +[0-9.]+ (ns|us|ms|s) +[0-9]+'

for name in classify policy forward pipeline; do
  bin=$build/bench/portvakt_${name}_bench
  listed=$("$bin" --benchmark_list_tests 2>/dev/null | grep -c .)
  "$bin" --benchmark_min_time=0.01 >"$out" 2>&1
  status=$?
  results=$(grep -cE "$result" "$out")
  if [ "$status" -ne 0 ] || grep -q "ERROR OCCURRED" "$out" || [ "$listed" -eq 0 ] || [ "$results" -ne "$listed" ]; then
    echo "FAIL: portvakt_${name}_bench (exit $status, $results results of $listed cases)"
    cat "$out"
    fail=1
  else
    echo "ok: portvakt_${name}_bench: $results cases"
  fi
done

# frame_cost forwards the veth bench's flow from memory: every frame it is given.
"$build/bench/portvakt_frame_cost" 2000 >"$out" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -qx "frames 2000 forwarded 2000" "$out"; then
  echo "ok: portvakt_frame_cost forwarded 2000 of 2000"
else
  echo "FAIL: portvakt_frame_cost (exit $status)"
  cat "$out"
  fail=1
fi
exit $fail
