#!/usr/bin/env bash
# Builds the portvakt appliance: a Debian 12 disk image that boots with UEFI
# (systemd-boot) or BIOS (SYSLINUX), from Debian's packages (mmdebstrap) plus
# portvakt itself. Needs root. Layout of the disk (GPT, docs/install.md):
#   1 PVBOOT    FAT32 128 MiB  EFI system partition, legacy-BIOS bootable:
#                              systemd-boot, SYSLINUX, the kernel and initrd
#   2 PVCONFIG  FAT   32 MiB   the site's configuration (site.yaml, ports.map ...)
#   3 PVROOT    ext4           Debian 12 with systemd, portvaktd
# No loop devices and no mounts: mkfs.ext4 -d, mkfs.vfat -C + mtools, sfdisk
# and dd on files.
#
# Usage: images/build-image.sh --deb FILE.deb      --output IMAGE
#        images/build-image.sh --install-tree BUILD --output IMAGE
# --install-tree is the stand-in until the Debian package exists: portvakt is
# copied in with 'cmake --install BUILD' and its libraries are installed from
# what its binaries link to. The image is rebuilt only when its inputs changed
# (IMAGE.inputs holds their hash), so one CI run builds it once.
# Downloaded .debs are kept in $PORTVAKT_IMAGE_APT_CACHE (default
# ~/.cache/portvakt-image/apt) so a rebuild downloads nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
deb= tree= output=
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --install-tree) tree=$(realpath "$2"); shift 2 ;;
    --output) output=$2; shift 2 ;;
    *) echo "build-image: unknown argument '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$output" ] && { [ -n "$deb" ] || [ -n "$tree" ]; } || { echo "usage: $0 --deb FILE | --install-tree BUILD_DIR, --output IMAGE" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "build-image: needs root (mmdebstrap in root mode, file ownership in the image)" >&2; exit 2; }
for tool in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk syslinux; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (./run deps installs it)" >&2; exit 2; }
done
gptmbr=/usr/lib/syslinux/mbr/gptmbr.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
[ -f "$gptmbr" ] && [ -f "$ldlinux" ] || { echo "build-image: syslinux-common is missing ($gptmbr)" >&2; exit 2; }
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=http://deb.debian.org/debian

mkdir -p "$(dirname "$output")"
output=$(realpath "$output")
work=$(mktemp -d "${TMPDIR:-/tmp}/pvimage.XXXXXX")
# --one-file-system: should mmdebstrap die with its bind mounts (/dev, /proc)
# still in the root, they are left alone, not emptied.
trap 'rm -rf --one-file-system "$work"' EXIT

# What goes into the image. Stand-in: the installed tree and the libraries its
# binaries need (dpkg -S on what ldd resolves).
extra=()
if [ -n "$tree" ]; then
  DESTDIR=$work/install cmake --install "$tree" --prefix /usr --strip >/dev/null
  libs=$(ldd "$work"/install/usr/bin/* | awk '/=> \//{print $3}' | sort -u)
  pkgs=$(for l in $libs; do dpkg -S "$(realpath "$l")" 2>/dev/null || dpkg -S "$l"; done | cut -d: -f1 | sort -u | paste -sd,)
  extra=(--include="$pkgs" --customize-hook="cp -a '$work/install/.' \"\$1\"/")
  payload=$( (cd "$work/install" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum)
else
  extra=(--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount --include="$deb")
  payload=$(sha256sum "$deb")
fi
inputs=$( { echo "$payload"; sha256sum "$0"; (cd "$here/rootfs" && find . -print0 | sort -z | xargs -0 -n1 sh -c 'echo "$0"; [ -f "$0" ] && sha256sum < "$0" || readlink "$0" || true' ); } | sha256sum | cut -d' ' -f1)
if [ -f "$output" ] && [ "$(cat "$output.inputs" 2>/dev/null)" = "$inputs" ]; then
  echo "build-image: $output is up to date (inputs $inputs)"
  exit 0
fi

aptCache=${PORTVAKT_IMAGE_APT_CACHE:-$HOME/.cache/portvakt-image/apt}
mkdir -p "$aptCache"
root=$work/root
started=$(date +%s)
# linux-image-amd64: Debian's kernel (802.1Q, bridge with VLAN filtering as modules).
# systemd-boot-efi: only its .efi binary is used (copied to the boot partition).
mmdebstrap --variant=minbase --mode=root \
  --include=systemd,systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,zstd,kmod,iproute2,ethtool,procps,openssh-server,dosfstools,systemd-boot-efi,less \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/portvakt/*' \
  --skip=download/empty --skip=essential/unlink \
  --essential-hook='mkdir -p "$1"/etc/initramfs-tools/conf.d && echo COMPRESSLEVEL=3 > "$1"/etc/initramfs-tools/conf.d/portvakt-image.conf' \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in '$aptCache' /var/cache/apt/archives/" \
  "${extra[@]}" \
  --customize-hook="sync-out /var/cache/apt/archives '$aptCache'" \
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages "$1"/var/lib/apt/lists/*_InRelease' \
  --customize-hook="cp -a '$here/rootfs/.' \"\$1\"/" \
  --customize-hook='chroot "$1" /usr/lib/portvakt/image/setup-root' \
  bookworm "$root" "$sources" 2>&1 | grep -v '^I: \(running\|downloading\|extracting\|installing\|unpacking\|configuring\)' || true
[ -x "$root/usr/bin/portvaktd" ] || { echo "build-image: mmdebstrap failed (no /usr/bin/portvaktd in the root)" >&2; exit 1; }
echo "build-image: root file system in $(( $(date +%s) - started )) s"

kernel=$(ls -1v "$root"/boot/vmlinuz-* | tail -1)
initrd=$root/boot/initrd.img-${kernel##*/vmlinuz-}
rootUuid=$(cat /proc/sys/kernel/random/uuid)
cmdline="root=PARTUUID=$rootUuid ro console=tty0 console=ttyS0,115200n8 quiet systemd.show_status=error"

# 1: the boot partition. systemd-boot for UEFI, SYSLINUX for BIOS, both
# loading the same kernel and initrd.
esp=$work/esp.img
mkfs.vfat -C -F 32 -n PVBOOT "$esp" $((128 * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/syslinux
mcopy -i "$esp" "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$kernel" ::/vmlinuz
mcopy -i "$esp" "$initrd" ::/initrd.img
printf 'default portvakt.conf\ntimeout 0\neditor no\n' > "$work/loader.conf"
printf 'title portvakt\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$cmdline" > "$work/portvakt.conf"
printf 'DEFAULT portvakt\nPROMPT 0\nTIMEOUT 0\nSERIAL 0 115200\nLABEL portvakt\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND %s\n' "$cmdline" > "$work/syslinux.cfg"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/portvakt.conf" ::/loader/entries/portvakt.conf
mcopy -i "$esp" "$work/syslinux.cfg" "$ldlinux" ::/syslinux/
syslinux --install --directory /syslinux "$esp"

# 2: the configuration partition, empty: the technician puts site.yaml etc. on it.
cfg=$work/config.img
mkfs.vfat -C -n PVCONFIG "$cfg" $((32 * 1024)) >/dev/null
printf 'Put the site configuration here: site.yaml (and the files it names),\r\nports.map, authorized_keys, secrets\\. See docs/install.md of portvakt.\r\n' > "$work/README.txt"
mcopy -i "$cfg" "$work/README.txt" ::/README.txt

# 3: the root file system, with room for the state (SQLite, alert spool, logs).
rm -rf "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-*  # they live on PVBOOT
rootMiB=$(( $(du -sm "$root" | cut -f1) * 12 / 10 + 384 ))
rootImg=$work/root.img
mkfs.ext4 -q -L PVROOT -d "$root" "$rootImg" "${rootMiB}M"

# The disk: GPT, 1 MiB aligned, and SYSLINUX's GPT-aware MBR code.
disk=$work/disk.img
totalMiB=$(( 1 + 128 + 32 + rootMiB + 1 ))
truncate -s "${totalMiB}M" "$disk"
sfdisk -q "$disk" <<EOF
label: gpt
start=1MiB, size=128MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=PVBOOT, attrs="LegacyBIOSBootable"
size=32MiB, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=PVCONFIG
size=${rootMiB}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=PVROOT, uuid=$rootUuid
EOF
dd if="$gptmbr" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$cfg" of="$disk" bs=1M seek=129 conv=notrunc,sparse status=none
dd if="$rootImg" of="$disk" bs=1M seek=161 conv=notrunc,sparse status=none
mv "$disk" "$output"
echo "$inputs" > "$output.inputs"
echo "build-image: $output: $(du -m --apparent-size "$output" | cut -f1) MiB disk, $(du -m "$output" | cut -f1) MiB used, built in $(( $(date +%s) - started )) s"
