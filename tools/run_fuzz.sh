#!/usr/bin/env bash
# The one libFuzzer driver: builds the fuzz targets with clang-14 (Debian) in a
# clang ASan+UBSan build (build-fuzz/, or PORTVAKT_FUZZ_BUILD), warnings as
# errors as everywhere, and runs each target for a bounded time over a copy of
# its seeds.
#   tools/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET|GROUP...]   (from anywhere)
# Targets: frame lldp cdp dhcp mdns sip (the packet parsers), policy and
# fingerprint_data (the policy front end), api inventory fingerprint (the
# control plane's third-party inputs), dot1x (hostapd's messages). Groups:
# packet, policy, control, dot1x, all. Default: 20 s, all. The modules'
# run_fuzz.sh scripts call this with their own targets.
# On a crash it prints the input's path and exits 1 (after the other targets):
# fix the code, then commit the input where the target's replay test reads it
# (printed with the crash), so ctest keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-20}
shift || true
requested=("$@")
[ ${#requested[@]} -eq 0 ] && requested=(all)
packet=(frame lldp cdp dhcp mdns sip)
targets=()
for r in "${requested[@]}"; do
  case "$r" in
    all) targets+=("${packet[@]}" policy fingerprint_data api inventory fingerprint dot1x) ;;
    packet) targets+=("${packet[@]}") ;;
    control) targets+=(api inventory fingerprint) ;;
    frame|lldp|cdp|dhcp|mdns|sip|policy|fingerprint_data|api|inventory|fingerprint|dot1x) targets+=("$r") ;;
    *) echo "run_fuzz: unknown target '$r' (see the head of tools/run_fuzz.sh)" >&2; exit 2 ;;
  esac
done

# target -> the CMake target, the binary, the seed files, the longest input,
# and where a crash input is committed (the directory its replay test reads).
spec() {
  seeds=()
  max_len=16384
  case "$1" in
    frame|lldp|cdp|dhcp|mdns|sip)
      cmake_target=portvakt_fuzz_$1 binary=dataplane/fuzz/portvakt_fuzz_$1 max_len=2048
      seeds=(tests/dataplane/fuzz_corpus/"$1"/*) crashes=tests/dataplane/fuzz_corpus/$1/ ;;
    policy)
      cmake_target=portvakt_policy_fuzz binary=policy/fuzz/portvakt_policy_fuzz max_len=65536
      seeds=(examples/*.yaml tests/policy/invalid/*.yaml) crashes=tests/policy/fuzz_crashes/ ;;
    fingerprint_data)
      cmake_target=portvakt_fingerprint_data_fuzz binary=policy/fuzz/portvakt_fingerprint_data_fuzz
      seeds=(examples/*.conf tests/policy/invalid/*.conf dataplane/fingerprint/data/*.conf)
      crashes=tests/policy/invalid/ ;;
    api|inventory|fingerprint)
      cmake_target=portvakt_$1_fuzz binary=tests/control/fuzz/portvakt_$1_fuzz
      seeds=(tests/control/fuzz_corpus/"$1"/*) crashes=tests/control/fuzz_corpus/$1/
      if [ "$1" = fingerprint ]; then seeds+=(dataplane/fingerprint/data/*.conf); fi ;;
    dot1x)
      cmake_target=portvakt_dot1x_fuzz binary=tests/portvakt_dot1x_fuzz
      seeds=(tests/control/dot1x/fuzz_corpus/*) crashes=tests/control/dot1x/fuzz_corpus/ ;;
  esac
}

if ! command -v clang++-14 >/dev/null || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run_fuzz: clang-14 and libclang-rt-14-dev are needed (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
fi

# A clang sanitizer build (CMakeLists.txt: the fuzzed libraries carry coverage
# instrumentation there): build-fuzz/, or the one PORTVAKT_FUZZ_BUILD names
# (./run test: build-asan/, where the suite has just run under the sanitizers).
build=${PORTVAKT_FUZZ_BUILD:-build-fuzz}
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' "$build/CMakeCache.txt"; then
  echo "run_fuzz: $build/ was configured with another compiler than clang; remove it or set PORTVAKT_FUZZ_BUILD" >&2
  exit 2
fi
# Testing on: the control plane's and 802.1X's targets live in tests/.
CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPORTVAKT_WERROR=ON \
  -DPORTVAKT_SANITIZE=ON -DPORTVAKT_BENCH=OFF >/dev/null
cmake_targets=()
for t in "${targets[@]}"; do spec "$t"; cmake_targets+=("$cmake_target"); done
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${cmake_targets[@]}"

status=0
for t in "${targets[@]}"; do
  spec "$t"
  work=$build/fuzz-work/$t
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  for f in "${seeds[@]}"; do [ -f "$f" ] && cp "$f" "$work/corpus/"; done
  echo "== fuzz $t for ${seconds}s ($(ls "$work/corpus" | wc -l) seeds)"
  if ! "$build/$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=1024 \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
    echo "run_fuzz: $t crashed; input: $(ls "$work"/artifacts/* 2>/dev/null | head -1)" >&2
    echo "run_fuzz: after the fix, commit it as ${crashes}crash-<what>" >&2
    tail -40 "$work/log" >&2
    status=1
    continue
  fi
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/log" | tr '\n' ' '
  echo "(corpus now $(ls "$work/corpus" | wc -l) inputs)"
done
exit $status
