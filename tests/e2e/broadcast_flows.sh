#!/usr/bin/env bash
# Deny by default for broadcast and multicast frames, end to end through
# portvaktd on real interfaces (issue 14): an admitted eKlient sends UDP to a
# host behind the RDnet uplink, to a port no flow allows, in Ethernet frames
# with a broadcast and with a multicast destination MAC (mausezahn), and a
# real UDP socket on that host must receive none of them; the same frames to
# the port a flow allows arrive, DHCP (a broadcast) still gets a lease from
# dnsmasq behind the uplink, and unicast UDP to the allowed port arrives.
#   pvb<pid>-sw     portvaktd with tests/e2e/bcast-site.yaml; eth0 -> rdnet, eth3 -> pc
#   pvb<pid>-rdnet  10.20.0.1/16, dnsmasq (DHCP), UDP receivers on 5000 and 6000
#   pvb<pid>-pc     the pinned eKlient 02:00:00:00:00:23, 10.20.0.23/16
# Usage: broadcast_flows.sh BUILD_DIR   (from the project root; needs root)
# Requirements: R5, R6
source "$(dirname "$0")/common.bash"
probe=$build/tests/e2e/tools/portvakt_e2e_probe
[ -x "$probe" ] || { echo "FAIL: $probe is not built"; exit 1; }
lab_require_tools mausezahn dnsmasq dhclient ethtool
lab_new pvb$$
fail=0
trap lab_remove EXIT
trap 'exit 1' INT TERM

lab_hosts sw rdnet pc
lab_link eth0 rdnet 02:00:00:00:01:01 10.20.0.1/16
lab_link eth3 pc 02:00:00:00:00:23 10.20.0.23/16

lab_dnsmasq rdnet 10.20.0.100,10.20.0.200 dnsmasq || { echo "FAIL: dnsmasq"; exit 1; }

lab_daemon tests/e2e/bcast-site.yaml

# The eKlient is admitted and its unicast reaches RDnet (the control).
ip netns exec "$(ns pc)" ping -c 2 -W 1 -i 0.3 10.20.0.1 >/dev/null 2>&1 || { echo "FAIL: the eKlient cannot ping RDnet"; fail=1; }

# receive PORT: a real UDP socket on the RDnet host, counting for 4 s.
receive() {
  rm -f "$work/ready-$1"
  ip netns exec "$(ns rdnet)" "$probe" udp-count "$1" 4 "$work/ready-$1" > "$work/count-$1" &
  for _ in $(seq 50); do [ -e "$work/ready-$1" ] && break; sleep 0.05; done
}
# blast DST-MAC PORT: 100 UDP datagrams from the eKlient to 10.20.0.1:PORT in frames to DST-MAC.
blast() {
  ip netns exec "$(ns pc)" mausezahn lan0 -q -c 100 -d 1msec -a 02:00:00:00:00:23 -b "$1" \
    -A 10.20.0.23 -B 10.20.0.1 -t udp "sp=40000,dp=$2" -P "portvakt-hostile" >/dev/null 2>&1 \
    || { echo "FAIL: mausezahn"; fail=1; }
}
receive 6000
receive 5000
blast ff:ff:ff:ff:ff:ff 6000      # broadcast, a port no flow allows
blast 01:00:5e:01:02:03 6000      # IPv4 multicast MAC
blast 33:33:00:00:00:01 6000      # IPv6 multicast MAC
blast ff:ff:ff:ff:ff:ff 5000      # broadcast, the port flow eklient-app allows
ip netns exec "$(ns pc)" bash -c 'for i in 1 2 3; do echo unicast > /dev/udp/10.20.0.1/5000; done' 2>/dev/null
wait_for() { for _ in $(seq 100); do [ -s "$1" ] && return; sleep 0.1; done; }
wait_for "$work/count-6000"
wait_for "$work/count-5000"
denied=$(cat "$work/count-6000")
allowed=$(cat "$work/count-5000")
echo "datagrams received: port 6000 (no flow) $denied of 300, port 5000 (flow eklient-app) $allowed of 103"
[ "$denied" = 0 ] || { echo "FAIL: $denied broadcast/multicast datagrams to a denied port reached the RDnet host"; fail=1; }
[ "${allowed:-0}" = 103 ] || { echo "FAIL: ${allowed:-0} of 103 datagrams to the allowed port arrived"; fail=1; }

# DHCP is a link-local service: a broadcast that floods without a flow rule.
# dhclient sends what an eKlient sends (Windows' vendor class and parameter
# list, the inventory's host name): anything else is a spoofing suspect.
lab_dhclient_conf windows EK-LAB-23 > "$work/windows.conf"
ip -n "$(ns pc)" addr flush dev lan0
if timeout 15 ip netns exec "$(ns pc)" dhclient -1 -cf "$work/windows.conf" -sf /bin/true -lf "$work/pc.lease" \
    -pf "$work/dhclient.pid" lan0 >/dev/null 2>&1 &&
  grep -q "fixed-address 10.20.0." "$work/pc.lease"; then
  :
else
  echo "FAIL: the eKlient got no DHCP lease through the switch"; fail=1
fi

# The drops are counted by reason.
"$pv" status > "$work/status" 2>&1 || { echo "FAIL: status"; fail=1; }

if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -30 "$work/daemon.log"; cat "$work/status"; fi
[ $fail -eq 0 ] && echo "broadcast flows e2e ok"
exit $fail
