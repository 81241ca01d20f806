#!/usr/bin/env bash
# The HTTPS fleet bench's harness (bench/https_fleet_bench.sh with
# bench/https_load.cc), run once and briefly: not a measurement (no figure is
# asserted), a check that the lab and portvaktd with its HTTPS API come up,
# that every case answers every request (errors 0, a rate and percentiles),
# that the CLI's --server client works, that no ping through the switch is
# lost meanwhile, and that the bench leaves no namespace behind. Registered
# by bench/CMakeLists.txt. Needs root: a skip outside CI, a failure under
# CI=true.
# Usage: https_bench_smoke.sh BUILD_DIR   (from the project root)
source "$(dirname "$0")/../tests/support/lab.bash"
set -uo pipefail
lab_paths "${1:?usage: $(basename "$0") BUILD_DIR}"
lab_require_root
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

before=$(ip netns list | grep -c '^pvhb' || true)
bash "$(dirname "$0")/https_fleet_bench.sh" "$build" --requests 100 >"$out" 2>&1
status=$?
lab_check "the bench exits 0 (was $status)" test "$status" -eq 0
num='[0-9]+(\.[0-9]+)?'
for api in "https GET /api/v1/status" "unix status" "https GET /api/v1/devices" "unix devices"; do
  for clients in 1 4; do
    lab_check "$api with $clients client(s): 100 requests, no error, a rate and percentiles" \
      grep -Eq "^$api clients $clients requests 100 errors 0 rps $num p50_us $num p99_us $num bytes [1-9]" "$out"
  done
done
lab_check "the CLI's --server client answered every call" grep -Eq "^cli portvakt status --server .* calls 50 total_ms $num per_call_ms $num" "$out"
lab_check "no ping through the switch was lost meanwhile" grep -Eq "^forwarding meanwhile: .*: [1-9][0-9]* sent, 0 lost" "$out"
after=$(ip netns list | grep -c '^pvhb' || true)
lab_check "no namespace left behind ($before before, $after after)" test "$after" -le "$before"
[ $fail -eq 0 ] || { echo "--- bench output"; cat "$out"; }
exit $fail
