#!/usr/bin/env bash
# Bounded libFuzzer runs of the control plane's third-party inputs: management
# API requests (api), the inventory CSV (inventory), Fingerbank-format
# fingerprint files (fingerprint). clang-14 from Debian; the tree is built with
# coverage (fuzzer-no-link) in build-fuzz-control/, warnings as errors as everywhere.
#   tests/control/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 20 s, all)
# On a crash it prints the input's path and exits 1: fix the code, then commit
# the input as tests/control/fuzz_corpus/<target>/crash-<what>.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(api inventory fingerprint)
build=build-fuzz-control
CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTVAKT_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $(printf 'portvakt_%s_fuzz ' "${targets[@]}")
status=0
for t in "${targets[@]}"; do
  work=$build/fuzz-work/$t
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/control/fuzz_corpus/"$t"/* "$work/corpus/"
  [ "$t" = fingerprint ] && cp dataplane/fingerprint/data/*.conf "$work/corpus/"
  echo "== fuzz $t for ${seconds}s ($(ls "$work/corpus" | wc -l) seeds)"
  if ! "$build/tests/control/fuzz/portvakt_${t}_fuzz" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
      -rss_limit_mb=1024 -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
    echo "run_fuzz: $t crashed; input: $(ls "$work"/artifacts/* 2>/dev/null | head -1)" >&2
    tail -40 "$work/log" >&2
    status=1
    continue
  fi
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/log" | tr '\n' ' '
  echo "(corpus now $(ls "$work/corpus" | wc -l) inputs)"
done
exit $status
