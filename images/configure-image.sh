#!/usr/bin/env bash
# Writes a site's configuration onto the PVCONFIG partition of an appliance
# image file (or a disk written with it: pass /dev/sdX), without mounting it
# (mtools). What a technician on Windows does by copying the files onto the
# PVCONFIG drive. Layout: docs/install.md.
# Usage: images/configure-image.sh IMAGE FILE|DIR...   (a DIR's contents are copied)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 IMAGE FILE|DIR..." >&2; exit 2; }
image=$1; shift
# The partition labelled PVCONFIG in the GPT (its start in 512-byte sectors).
start=$(sfdisk -J "$image" 2>/dev/null | jq -r '.partitiontable.partitions[] | select(.name == "PVCONFIG") | .start') || start=
[ -n "$start" ] || { echo "configure-image: $image has no partition named PVCONFIG (not a portvakt image?)" >&2; exit 1; }
target="$image@@$((start * 512))"
export MTOOLS_SKIP_CHECK=1
for item in "$@"; do
  if [ -d "$item" ]; then
    for f in "$item"/*; do mcopy -o -s -i "$target" "$f" ::/; done
  else
    mcopy -o -i "$target" "$item" ::/
  fi
done
mdir -b -i "$target" ::/
