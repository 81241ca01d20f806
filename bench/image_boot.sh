#!/usr/bin/env bash
# The appliance image's figures (issue 15): its size, the time to build it,
# and the time from power-on to forwarding, p50 of N boots (default 3) under
# qemu's software emulation (TCG), for BIOS (SeaBIOS) and UEFI (OVMF).
# "Forwarding" is the moment the eKlient of tests/images/boot_lab.bash gets
# its DHCP lease from RDnet's dnsmasq through the box (a dhclient that retries
# every 8 s at most, so a figure can be up to ~8 s late). Each boot is a first
# boot: qemu runs with -snapshot, so the disk is as the technician wrote it.
# Prints each figure beside its baseline: the field notes in DESIGN.md (image
# 1.5-2.5 min to build; TCG boot to a first ping 43-60 s, OVMF ~12 s more).
#
#   sudo bench/image_boot.sh BUILD_DIR [--boots N] [--firmware bios|uefi|both]
#                            [--deb FILE] [--fresh]
# --fresh builds the image again even if BUILD_DIR/images/portvakt.img is up to
# date (to time the build; downloaded packages stay in the apt cache, see
# images/build-image.sh). Exit 1 when a boot never forwards within 480 s.
set -uo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:?usage: image_boot.sh BUILD_DIR [--boots N] [--firmware bios|uefi|both] [--deb FILE] [--fresh]}")
shift
boots=3 firmware=both deb= fresh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --boots) boots=$2; shift 2 ;;
    --firmware) firmware=$2; shift 2 ;;
    --deb) deb=$2; shift 2 ;;
    --fresh) fresh=1; shift ;;
    *) echo "image_boot: unknown option $1" >&2; exit 2 ;;
  esac
done
source tests/images/boot_lab.bash
lab_require_root
work=$(mktemp -d)
tag=pvb$$
trap boot_lab_remove EXIT
trap 'exit 1' INT TERM

image=$build/images/portvakt.img
[ $fresh -eq 1 ] && rm -f "$image.inputs"
inputsBefore=$(cat "$image.inputs" 2>/dev/null)
t0=$(date +%s)
if [ -n "$deb" ]; then images/build-image.sh --deb "$deb" --output "$image"
else images/build-image.sh --install-tree "$build" --output "$image"; fi || exit 1
buildSecs=$(( $(date +%s) - t0 ))
echo "image size: $(du -m --apparent-size "$image" | cut -f1) MiB disk, $(du -m "$image" | cut -f1) MiB allocated, $(zstd -q -T0 -3 -c "$image" | wc -c | awk '{printf "%d", $1/1048576}') MiB zstd -3"
if [ -n "$inputsBefore" ] && [ "$inputsBefore" = "$(cat "$image.inputs")" ]; then echo "image build: up to date, not rebuilt (${buildSecs} s to hash its inputs; --fresh times a build)"
else echo "image build: ${buildSecs} s (baseline: 85-140 s for the root, DESIGN.md field notes)"; fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
boot_lab_prepare_disk "$image"
status=0
for fw in bios uefi; do
  [ "$firmware" = both ] || [ "$firmware" = "$fw" ] || continue
  times=()
  for i in $(seq "$boots"); do
    boot_lab_up || exit 1
    started=$(date +%s.%N)
    boot_lab_start "$fw"
    lease=
    while [ -z "$lease" ] && [ "$(echo "$(date +%s) - ${started%.*}" | bc)" -lt 480 ]; do
      lease=$(boot_lab_dhcp eklient windows 8)
    done
    if [ -n "$lease" ]; then
      secs=$(echo "$(date +%s.%N) - $started" | bc | xargs printf '%.1f')
      times+=("$secs"); echo "  $fw boot $i: power-on to forwarding ${secs} s"
    else
      echo "  $fw boot $i: no forwarding within 480 s"; status=1
    fi
    # Down for the next boot: qemu and the lab's programs, the namespaces.
    kill "$qemu" 2>/dev/null; wait "$qemu" 2>/dev/null; qemu=
    for n in $boot_lab_hosts; do
      pids=$(ip netns pids "$(ns $n)" 2>/dev/null); [ -n "$pids" ] && kill $pids 2>/dev/null
    done
    sleep 0.5
    for n in $boot_lab_hosts; do ip netns del "$(ns $n)" 2>/dev/null; done
  done
  [ ${#times[@]} -gt 0 ] && echo "$fw: power-on to forwarding p50 $(printf '%s\n' "${times[@]}" | median) s of ${#times[@]} boots (${times[*]}) (baseline: 43-60 s to a first ping$([ $fw = uefi ] && echo ', +~12 s for OVMF'), DESIGN.md)"
done
exit $status
