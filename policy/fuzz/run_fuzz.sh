#!/usr/bin/env bash
# A short libFuzzer run of the policy front end (clang-14 from Debian).
# Usage: policy/fuzz/run_fuzz.sh [SECONDS]   (from the project root)
# The libraries are built with coverage (fuzzer-no-link) so libFuzzer sees
# inside the compiler. New crash inputs land in tests/policy/fuzz_crashes/; commit them after the fix.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
cmake -S . -B build-fuzz-policy -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPORTVAKT_BENCH=OFF -DBUILD_TESTING=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" >/dev/null
cmake --build build-fuzz-policy --target portvakt_policy_fuzz
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp examples/*.yaml tests/policy/invalid/*.yaml "$corpus"/
mkdir -p tests/policy/fuzz_crashes
build-fuzz-policy/policy/fuzz/portvakt_policy_fuzz -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 \
  -timeout=10 -artifact_prefix=tests/policy/fuzz_crashes/ "$corpus"
