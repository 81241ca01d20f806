# Sourced by tests/images/boot_qemu.sh and bench/image_boot.sh (not a test
# itself: ctest runs *.sh). The appliance image booted by qemu under software
# emulation (TCG: KVM was seen to stall on these machines), its NICs on tap
# devices in network namespaces of this host:
#   mgmt     mgmt0: dnsmasq (DHCP 192.168.77.0/24) and rsyslogd receiving
#            the box's syslog alerts on 192.168.77.1:5514
#   rdnet    eth0 (RDnet uplink): dnsmasq, DHCP 10.20.0.100-200, 10.20.0.1
#   eklient  eth3: dhclient with Windows' DHCP fingerprint, MAC in the inventory
#   laptop   eth4: dhclient with Debian's fingerprint, unknown MAC
# The box's configuration (tests/images/boot-config/) is written onto its
# PVCONFIG partition. Needs: $work (a directory this script owns), $tag (unique
# per run). Everything is removed by boot_lab_remove. The namespaces, DHCP
# servers and clients are the shell tests' lab (tests/support/lab.bash).
source "$(dirname "${BASH_SOURCE[0]}")/../support/lab.bash"

boot_lab_hosts="vm mgmt rdnet eklient laptop"

# Copies IMAGE to $work/disk.img and writes the test site's configuration onto
# its PVCONFIG partition (images/configure-image.sh, as a technician on Linux would).
boot_lab_prepare_disk() {
  cp --sparse=always "$1" "$work/disk.img"
  images/configure-image.sh "$work/disk.img" tests/images/boot-config examples/region-base.yaml \
    examples/vardcentral-karlstad-inventory.csv >/dev/null
}

boot_lab_up() {
  local n
  for n in $boot_lab_hosts; do ip netns add "$(ns $n)" || return 1; done
  ip -n "$(ns vm)" link set lo up
  # tap NAME HOST MAC ADDRESS: a tap device qemu opens in the vm namespace,
  # then moved into the host's namespace (the open file keeps it attached).
  tap() {
    ip -n "$(ns vm)" tuntap add dev "$1" mode tap
    ip -n "$(ns vm)" link set "$1" up
  }
  tap t-mgmt; tap t-rdnet; tap t-eklient; tap t-laptop
}

# The guest's NICs: the MAC (what ports.map pins) and the PCI slot (eth3 is
# pinned by its PCI path instead, pci-0000:00:05.0).
boot_lab_qemu_nics="t-mgmt,52:54:00:5a:00:01,0x3 t-rdnet,52:54:00:5a:00:10,0x4 t-eklient,52:54:00:5a:00:13,0x5 t-laptop,52:54:00:5a:00:14,0x6"

# boot_lab_start FIRMWARE (bios|uefi): starts qemu in the background (pid in
# $qemu, serial console in $work/console.log), then wires the hosts.
boot_lab_start() {
  local firmware=$1 args=() spec ifname mac slot
  for spec in $boot_lab_qemu_nics; do
    IFS=, read -r ifname mac slot <<< "$spec"
    args+=(-netdev "tap,id=$ifname,ifname=$ifname,script=no,downscript=no"
           -device "virtio-net-pci,netdev=$ifname,mac=$mac,addr=$slot")
  done
  [ "$firmware" = uefi ] && args+=(-bios /usr/share/ovmf/OVMF.fd)
  : > "$work/console.log"
  ip netns exec "$(ns vm)" qemu-system-x86_64 -M q35 -m 1024 -smp 2 -accel tcg \
    -display none -monitor none -serial "file:$work/console.log" -no-reboot \
    -drive "file=$work/disk.img,format=raw,if=virtio,snapshot=on" "${args[@]}" \
    >"$work/qemu.log" 2>&1 &
  qemu=$!
  # qemu has opened the taps once they report carrier; then they can move.
  local t
  for _ in $(seq 100); do
    t=0; for spec in t-mgmt t-rdnet t-eklient t-laptop; do
      ip -n "$(ns vm)" link show "$spec" 2>/dev/null | grep -q NO-CARRIER && t=1
    done
    [ $t -eq 0 ] && break; sleep 0.1
  done
  host_end() {  # tap, host, MAC, [address]
    ip -n "$(ns vm)" link set "$1" netns "$(ns $2)" || return 1
    ip -n "$(ns $2)" link set "$1" name lan0
    ip -n "$(ns $2)" link set lan0 address "$3"
    [ -n "${4:-}" ] && ip -n "$(ns $2)" addr add "$4" dev lan0
    ip -n "$(ns $2)" link set lan0 up
    ip -n "$(ns $2)" link set lo up
  }
  host_end t-mgmt mgmt 02:00:00:77:00:01 192.168.77.1/24
  host_end t-rdnet rdnet 02:00:00:00:01:01 10.20.0.1/16
  host_end t-eklient eklient 3c:52:82:1a:2b:3c
  host_end t-laptop laptop a4:83:e7:00:00:01
  lab_dnsmasq mgmt 192.168.77.50,192.168.77.60 mgmt
  lab_dnsmasq rdnet 10.20.0.100,10.20.0.200 rdnet
  mkdir -p "$work/rsyslog"
  cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work/rsyslog")
module(load="imudp")
input(type="imudp" address="192.168.77.1" port="5514")
*.* action(type="omfile" file="$work/alerts.log")
CONF
  ip netns exec "$(ns mgmt)" rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid" >"$work/rsyslog.out" 2>&1 &
  lab_dhclient_conf windows EK-KSD-0231 > "$work/windows.conf"
  lab_dhclient_conf linux laptop > "$work/linux.conf"
}

# boot_lab_dhcp HOST CONF SECONDS: one dhclient run; prints the leased address
# or nothing when no server answered in time.
boot_lab_dhcp() {
  rm -f "$work/$1.lease"
  timeout "$3" ip netns exec "$(ns $1)" dhclient -1 -cf "$work/$2.conf" -lf "$work/$1.lease" \
    -pf "$work/$1-dhclient.pid" -sf /bin/true lan0 >/dev/null 2>&1
  sed -n 's/^ *fixed-address \([0-9.]*\);/\1/p' "$work/$1.lease" 2>/dev/null | tail -1
}

# Stops qemu and everything in the lab's namespaces, removes them and $work.
boot_lab_remove() {
  [ -n "${qemu:-}" ] && kill "$qemu" 2>/dev/null
  remove_lab "$boot_lab_hosts"
}
