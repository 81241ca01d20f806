#!/usr/bin/env bash
# The appliance image booted and used: images/build-image.sh builds it from the
# Debian package (out/portvakt_<version>_amd64.deb, which ./run test builds first),
# or from this build when there is none (once per
# build dir: BUILD/images/portvakt.img is reused while its inputs are the same),
# the test site's configuration goes onto its PVCONFIG partition, and qemu boots
# it under software emulation (BIOS, SeaBIOS) with four virtio-net NICs on tap
# devices in this host's network namespaces (tests/images/boot_lab.bash).
# Asserts, against real programs only:
#   - portvakt-config pinned the policy's port names (by MAC and by PCI path)
#     and found every port the policy needs;
#   - portvaktd is active (the box says so on its serial console);
#   - the eKlient (dhclient with Windows' fingerprint, inventoried MAC) gets its
#     lease from RDnet's dnsmasq through the box and then reaches 10.20.0.1;
#   - the unknown laptop gets no lease and cannot reach RDnet;
#   - the box's device_new alert reaches rsyslogd on the management network;
#   - no password login: root's password is locked in the image.
# Usage: boot_qemu.sh BUILD_DIR (from the project root). Root; 8 min on the
# loaded shared machine (image build ~5 min, boot to forwarding 1.5-4 min).
# Requirements: R4
source "$(dirname "$0")/../e2e/common.bash"
fail=0
lab_require_tools mmdebstrap qemu-system-x86_64 mkfs.vfat mcopy sfdisk syslinux dnsmasq dhclient rsyslogd jq
work=$(mktemp -d)
tag=pvi$$
source "$(dirname "$0")/boot_lab.bash"
trap boot_lab_remove EXIT
trap 'exit 1' INT TERM

image=$build/images/portvakt.img
# The image of the Debian package that ./run test builds before ctest
# (./run package), or PORTVAKT_DEB; without one, this build via cmake --install.
deb=${PORTVAKT_DEB:-}
version=$(sed -n '1s/^portvakt (\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
[ -z "$deb" ] && [ -n "$version" ] && [ -f "out/portvakt_${version}_amd64.deb" ] && deb=$PWD/out/portvakt_${version}_amd64.deb
if [ -n "$deb" ]; then
  echo "image of the package $deb"
  images/build-image.sh --deb "$deb" --output "$image" || { echo "FAIL: the image did not build"; exit 1; }
else
  echo "image of this build (cmake --install $build): no out/portvakt_${version}_amd64.deb (./run package)"
  images/build-image.sh --install-tree "$build" --output "$image" || { echo "FAIL: the image did not build"; exit 1; }
fi
echo "image: $(du -m --apparent-size "$image" | cut -f1) MiB ($(du -m "$image" | cut -f1) MiB allocated)"

# The image itself: no password can log anyone in.
rootStart=$(sfdisk -J "$image" | jq -r '.partitiontable.partitions[] | select(.name == "PVROOT") | .start')
shadow=$(debugfs -R "cat /etc/shadow" "$image?offset=$((rootStart * 512))" 2>/dev/null)
echo "$shadow" | grep -q '^root:' || { echo "FAIL: no /etc/shadow entry for root in the image"; fail=1; }
if echo "$shadow" | awk -F: '$2 !~ /^[!*]/ {print $1}' | grep -q .; then
  echo "FAIL: accounts with a usable password in the image: $(echo "$shadow" | awk -F: '$2 !~ /^[!*]/ {print $1}' | xargs)"; fail=1
fi

boot_lab_prepare_disk "$image"
boot_lab_up || { echo "FAIL: could not create the lab's namespaces"; exit 1; }
started=$(date +%s)
boot_lab_start bios

# Forwarding: the eKlient asks for a lease until the box forwards it to RDnet.
lease=
while [ -z "$lease" ] && [ $(( $(date +%s) - started )) -lt 480 ]; do
  kill -0 "$qemu" 2>/dev/null || { echo "FAIL: qemu exited"; cat "$work/qemu.log"; break; }
  lease=$(boot_lab_dhcp eklient windows 8)
done
if [ -n "$lease" ]; then
  echo "eKlient leased $lease from RDnet through the box, $(( $(date +%s) - started )) s after power-on"
  case "$lease" in 10.20.0.*) ;; *) echo "FAIL: the eKlient's lease $lease is not from RDnet's range"; fail=1 ;; esac
  ip -n "$(ns eklient)" addr add "$lease/16" dev lan0
  ip netns exec "$(ns eklient)" ping -c 3 -W 2 -i 0.5 10.20.0.1 >/dev/null ||
    { echo "FAIL: the eKlient has a lease but cannot ping 10.20.0.1"; fail=1; }
else
  echo "FAIL: the eKlient got no lease from RDnet within 480 s of power-on"; fail=1
fi

laptopLease=$(boot_lab_dhcp laptop linux 15)
[ -z "$laptopLease" ] || { echo "FAIL: the unknown laptop got a lease ($laptopLease) through the box"; fail=1; }
ip -n "$(ns laptop)" addr add 10.20.0.99/16 dev lan0
ip netns exec "$(ns laptop)" ping -c 2 -W 1 -i 0.5 10.20.0.1 >/dev/null 2>&1 &&
  { echo "FAIL: the unknown laptop reaches 10.20.0.1 (R1)"; fail=1; }
grep -q "DHCPDISCOVER.*a4:83:e7:00:00:01" "$work/rdnet-dnsmasq.log" &&
  { echo "FAIL: the laptop's DHCP request reached RDnet"; fail=1; }

# The box on its serial console: ports pinned, the daemon active.
for _ in $(seq 60); do grep -q "portvakt-banner: portvaktd" "$work/console.log" && break; sleep 1; done
for line in "portvakt-config: .* is now eth3 (path pci-0000:00:05.0)" "portvakt-config: .* is now mgmt0 (mac" \
    "portvakt-config: ports: every port the policy names is present" "portvakt-banner: portvaktd active; management 192.168.77."; do
  grep -q "$line" "$work/console.log" || { echo "FAIL: the serial console never said '$line'"; fail=1; }
done

# The alert: a device_new for the laptop over syslog to the management network.
for _ in $(seq 30); do grep -q "device_new.*a4:83:e7:00:00:01" "$work/alerts.log" 2>/dev/null && break; sleep 1; done
grep -q "device_new.*a4:83:e7:00:00:01" "$work/alerts.log" 2>/dev/null ||
  { echo "FAIL: no device_new alert for the laptop reached rsyslogd on 192.168.77.1:5514"; fail=1; }

if [ $fail -ne 0 ]; then
  echo "--- serial console (last 60 lines)"; tail -60 "$work/console.log"
  echo "--- alerts received"; cat "$work/alerts.log" 2>/dev/null
  exit 1
fi
echo "PASS: booted, ports pinned, portvaktd active, eKlient leased through the box, laptop refused, alert received"
