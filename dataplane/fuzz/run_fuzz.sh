#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (in build-fuzz/) and runs each for
# a bounded time over a copy of its corpus in tests/dataplane/fuzz_corpus/.
#   dataplane/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Defaults: 15 s per target, all targets (about 2 minutes with the build).
# On a crash it stops, prints the input's path and exits 1: fix the parser,
# then commit the input as tests/dataplane/fuzz_corpus/<target>/crash-<what>.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_PER_TARGET=${1:-15}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(frame lldp cdp dhcp mdns sip)
BUILD=build-fuzz
JOBS=$(nproc 2>/dev/null || echo 2)

if ! command -v clang++-14 >/dev/null || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run_fuzz: clang-14 and libclang-rt-14-dev are needed (apt-get install clang-14 libclang-rt-14-dev)" >&2
    exit 2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
fi

# Only the fuzz targets are built, so tests and benchmarks are switched off.
CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBUILD_TESTING=OFF -DPORTVAKT_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target $(printf 'portvakt_fuzz_%s ' "${TARGETS[@]}")

status=0
for t in "${TARGETS[@]}"; do
  work="$BUILD/fuzz-work/$t"
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp tests/dataplane/fuzz_corpus/"$t"/* "$work/corpus/"
  echo "== fuzz $t for ${SECONDS_PER_TARGET}s ($(ls "$work/corpus" | wc -l) seeds)"
  if ! "$BUILD/dataplane/fuzz/portvakt_fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=2048 \
      -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
    echo "run_fuzz: $t crashed; input: $(ls "$work"/artifacts/* 2>/dev/null | head -1)" >&2
    tail -40 "$work/log" >&2
    status=1
    continue
  fi
  grep -E 'stat::number_of_executed_units|stat::new_units_added' "$work/log" | tr '\n' ' '
  echo "(corpus now $(ls "$work/corpus" | wc -l) inputs)"
done
exit $status
