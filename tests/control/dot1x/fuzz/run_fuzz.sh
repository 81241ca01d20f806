#!/usr/bin/env bash
# A bounded libFuzzer run of the 802.1X message parsers (hostapd events, STA
# replies, the session table fed with events), clang-14 from Debian.
#   tests/control/dot1x/fuzz/run_fuzz.sh [SECONDS]   (default 30)
# On a crash it prints the input's path and exits 1: fix the parser, then
# commit the input as tests/control/dot1x/fuzz_corpus/crash-<what>.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
seconds=${1:-30}
build=build-fuzz-dot1x
CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTVAKT_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target portvakt_dot1x_fuzz
work=$build/fuzz-work
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp tests/control/dot1x/fuzz_corpus/* "$work/corpus/"
echo "== fuzz dot1x for ${seconds}s ($(ls "$work/corpus" | wc -l) seeds)"
if ! "$build/tests/portvakt_dot1x_fuzz" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
  echo "run_fuzz: dot1x crashed; input: $(ls "$work"/artifacts/* 2>/dev/null | head -1)" >&2
  tail -40 "$work/log" >&2
  exit 1
fi
grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/log" | tr '\n' ' '
echo "(corpus now $(ls "$work/corpus" | wc -l) inputs)"
