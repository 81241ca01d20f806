#!/bin/bash
# Instructions per forwarded frame, counted by callgrind: the repeatable CPU
# figure on a busy machine (wall-clock benches are not; see
# docs/performance.md, "CPU per forwarded frame").
#
#   bench/callgrind_per_frame.sh BUILD [BASE]
#
# BUILD and BASE are build directories (or portvakt_frame_cost binaries). The
# driver (bench/frame_cost.cc) sends the veth bench's flow through the switch
# and the policy decider from memory; it is run twice under
# `valgrind --tool=callgrind` with FEW and MANY frames, and
# (Ir(MANY) - Ir(FEW)) / (MANY - FEW) is the cost of one frame, startup
# (compiling the policy) cancelled out. With BASE the same is measured for
# it in the same run and the change is printed. Instruction counts (Ir) do not
# depend on the machine's load; they leave out the kernel (system calls) and
# say nothing of cache misses.
set -euo pipefail
shopt -s inherit_errexit  # a failed run inside $(...) stops the script
FEW=${FEW:-2000}
MANY=${MANY:-22000}

usage() { echo "usage: $0 BUILD_DIR [BASE_BUILD_DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
command -v valgrind >/dev/null || { echo "$0: valgrind is missing (apt-get install valgrind; ./run installs it)" >&2; exit 1; }

driver() {
  if [ -d "$1" ]; then echo "$1/bench/portvakt_frame_cost"; else echo "$1"; fi
}

work=$(mktemp -d /tmp/pvcallgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Total instructions of one run of DRIVER with N frames.
instructions() {
  local bin=$1 n=$2
  local out="$work/cg.$n.$RANDOM"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" >"$work/log" 2>&1 ||
    { echo "$0: $bin $n failed:" >&2; cat "$work/log" >&2; exit 1; }
  sed -n 's/^summary: \([0-9]*\).*/\1/p' "$out"
}

per_frame() {
  local bin few many
  bin=$(driver "$1")
  [ -x "$bin" ] || { echo "$0: no driver at $bin (cmake --build BUILD --target portvakt_frame_cost)" >&2; exit 1; }
  few=$(instructions "$bin" "$FEW")
  many=$(instructions "$bin" "$MANY")
  echo $(( (many - few) / (MANY - FEW) ))
}

this=$(per_frame "$1")
printf '%-45s %8s instructions per forwarded frame\n' "$(driver "$1")" "$this"
if [ $# -eq 2 ]; then
  base=$(per_frame "$2")
  printf '%-45s %8s instructions per forwarded frame (base)\n' "$(driver "$2")" "$base"
  awk -v a="$this" -v b="$base" 'BEGIN { printf "change: %+.1f %% (%d -> %d)\n", 100 * (a - b) / b, b, a }'
fi
