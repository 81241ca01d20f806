#!/usr/bin/env bash
# The veth bench's harness, run once and briefly: not a measurement (no
# figure is asserted), a check that the lab comes up, that portvaktd, the I/O
# floor and the flood run (with a flow, and alone), that the paired max runs and the 80 % reference
# produce numbers in the summary's tables, and that the bench leaves no
# namespace or process behind. Registered by bench/CMakeLists.txt (only where
# the bench is built). Needs root: a skip outside CI, a failure under CI=true.
# Usage: veth_bench_smoke.sh BUILD_DIR   (from the project root)
source "$(dirname "$0")/../tests/support/lab.bash"
set -uo pipefail
lab_paths "${1:?usage: $(basename "$0") BUILD_DIR}"
lab_require_root
bench=$build/bench/portvakt_veth_forward_bench
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0

before=$(ip netns list | grep -c '^pvbench' || true)
PORTVAKT_BENCH_DAEMON_CPU=1 "$bench" \
  --benchmark_filter='64B/(max/(portvaktd|io_floor)|80pct_of_portvaktd/(portvaktd|portvaktd_under_flood))/|flood/alone' \
  >"$out" 2>&1
status=$?
lab_check "the bench exits 0 (was $status)" test "$status" -eq 0
num='[0-9]+(\.[0-9]+)?'
lab_check "the I/O floor's row has its rates and ratios" \
  grep -Eq "^64B +max +\| +$num +$num \| +$num +$num% +$num \| +$num +$num% +$num \| +$num%" "$out"
lab_check "each max run of a forwarder has its paired share of a direct run" \
  grep -Eq "^64B/max/io_floor/.* of_direct_pct=$num" "$out"
lab_check "the flood row has the flow's rates, portvaktd's own drops and what it kept" \
  grep -Eq "^64B +80pct_of_portvaktd +\| +$num +$num \|.*\| +(nan|$num)% +$num%$" "$out"
lab_check "the paced run's target came from a max run just before it" \
  grep -Eq "^64B/80pct_of_portvaktd/portvaktd_under_flood/.* ref_max_fps=$num" "$out"
lab_check "the flood alone has portvaktd's CPU per flood frame and frames per wake-up" \
  grep -Eq "^ +$num +($num|nan) \| +-?$num ns +-?$num ns \|" "$out"
after=$(ip netns list | grep -c '^pvbench' || true)
lab_check "no namespace left behind ($before before, $after after)" test "$after" -le "$before"
# [i], [b]: the pattern must not match this check's own command line.
lab_check "no forwarder left running" bash -c '! pgrep -f "[i]o_floor_forwarder fin fout|[b]ench/veth-bench.yaml" >/dev/null'
[ $fail -eq 0 ] || { echo "--- bench output"; cat "$out"; }
exit $fail
