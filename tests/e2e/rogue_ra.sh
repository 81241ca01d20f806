#!/usr/bin/env bash
# RA guard and DHCPv6 guard end to end through portvaktd on real interfaces
# (issue 13, "IPv6 first-hop security"): radvd and a DHCPv6 server (dnsmasq)
# behind the RDnet uplink serve the real prefix; a second radvd and dnsmasq
# on a wall jack (an admitted eKlient turned rogue router, the mitm6 set-up)
# advertise their own prefix and DNS server. The eKlient on the other jack
# solicits routers with rdisc6, captures every router advertisement it
# receives with tcpdump, and asks for an address with dhclient -6: the
# uplink's answers arrive, the jack's never do (although the rogue's dnsmasq
# logs its ADVERTISEs), and portvaktd raises rogue_ra and rogue_dhcp naming
# the jack.
#   pvr<pid>-sw     portvaktd with tests/e2e/rogue-ra-site.yaml; eth0 -> rdnet, eth3 -> pc, eth4 -> rogue
#   pvr<pid>-rdnet  fe80::1 and 2001:db8:20::1, radvd and dnsmasq (DHCPv6) for 2001:db8:20::/64
#   pvr<pid>-pc     the pinned eKlient 02:00:00:00:00:23
#   pvr<pid>-rogue  the pinned eKlient 02:00:00:00:00:24, 2001:db8:66::1, radvd and dnsmasq for 2001:db8:66::/64
# Usage: rogue_ra.sh BUILD_DIR   (from the project root; needs root)
# Requirements: R6a
source "$(dirname "$0")/common.bash"
lab_require_tools radvd rdisc6 tcpdump dnsmasq dhclient ethtool
lab_new pvr$$
fail=0

# KEEP_WORK=DIR keeps a copy of the work dir (logs, captures) for debugging.
cleanup() { [ -n "${KEEP_WORK:-}" ] && cp -r "$work" "$KEEP_WORK"; lab_remove; }
trap cleanup EXIT
trap 'exit 1' INT TERM

lab_hosts sw rdnet pc rogue
lab_link --ipv6 eth0 rdnet 02:00:00:00:01:01
lab_link --ipv6 eth3 pc 02:00:00:00:00:23
lab_link --ipv6 eth4 rogue 02:00:00:00:00:24
# The real router's link-local address is the zone's gateway (fe80::1).
ip netns exec "$(ns rdnet)" sysctl -qw net.ipv6.conf.lan0.addr_gen_mode=1
ip -n "$(ns rdnet)" addr add fe80::1/64 dev lan0
ip -n "$(ns rdnet)" addr add 2001:db8:20::1/64 dev lan0 nodad
ip -n "$(ns rogue)" addr add 2001:db8:66::1/64 dev lan0 nodad

lab_daemon tests/e2e/rogue-ra-site.yaml

# Link-local addresses leave DAD (tentative) before anyone can advertise.
for n in rdnet pc rogue; do
  for _ in $(seq 50); do
    [ -z "$(ip -n "$(ns $n)" -6 addr show dev lan0 tentative)" ] && break
    sleep 0.1
  done
done

# Every router advertisement the eKlient receives, with its source MAC.
ip netns exec "$(ns pc)" tcpdump -i lan0 -n -e -l -U 'icmp6 and ip6[40] == 134' > "$work/pc-ras.txt" 2>"$work/tcpdump.log" &
tcpdump_pid=$!
# And every DHCPv6 message to the eKlient's client port.
ip netns exec "$(ns pc)" tcpdump -i lan0 -n -e -l -U 'udp dst port 546' > "$work/pc-dhcpv6.txt" 2>"$work/tcpdump6.log" &
dhcp_tcpdump_pid=$!
# And every one the rogue sends (so that "none arrived" means something).
ip netns exec "$(ns rogue)" tcpdump -i lan0 -n -e -l -U 'icmp6 and ip6[40] == 134' > "$work/rogue-ras.txt" 2>"$work/tcpdump-rogue.log" &
rogue_tcpdump_pid=$!
for f in tcpdump.log tcpdump-rogue.log tcpdump6.log; do
  for _ in $(seq 50); do grep -q "listening on" "$work/$f" 2>/dev/null && break; sleep 0.1; done
done

radvd_on() {  # host, prefix, extra lines
  cat > "$work/radvd-$1.conf" <<CONF
interface lan0 {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  AdvManagedFlag on;
  AdvOtherConfigFlag on;
  prefix $2 { AdvOnLink on; AdvAutonomous on; };
  $3
};
CONF
  ip netns exec "$(ns $1)" sysctl -qw net.ipv6.conf.all.forwarding=1
  ip netns exec "$(ns $1)" radvd -n -m logfile -l "$work/radvd-$1.log" -C "$work/radvd-$1.conf" -p "$work/radvd-$1.pid" &
}
radvd_on rdnet 2001:db8:20::/64 ""
radvd_on rogue 2001:db8:66::/64 "RDNSS 2001:db8:66::53 { };"
dhcpv6_on() {  # host, range start, range end, DNS server
  ip netns exec "$(ns $1)" dnsmasq --port=0 --interface=lan0 --bind-interfaces --dhcp-range="$2,$3,64,10m" \
    --dhcp-option=option6:dns-server,"[$4]" --log-dhcp --dhcp-leasefile="$work/dnsmasq-$1.leases" \
    --pid-file="$work/dnsmasq-$1.pid" --log-facility="$work/dnsmasq-$1.log" || { echo "FAIL: dnsmasq on $1"; exit 1; }
}
dhcpv6_on rdnet 2001:db8:20::100 2001:db8:20::1ff 2001:db8:20::1
dhcpv6_on rogue 2001:db8:66::100 2001:db8:66::1ff 2001:db8:66::53

# rdisc6 solicits (RS to ff02::2, the zone's link-local service 'nd') and
# prints every advertisement that answers within 3 s; radvd also sends
# unsolicited ones every 3-4 s. Both routers' first RAs are sent at start-up.
sleep 2
ip netns exec "$(ns pc)" rdisc6 -m -n -w 3000 lan0 > "$work/rdisc6.txt" 2>&1
# DHCPv6: the SOLICIT floods to both servers (the zone's link-local service
# 'dhcpv6'); only the uplink's answers may come back.
timeout 20 ip netns exec "$(ns pc)" dhclient -6 -1 -v -sf /bin/true -lf "$work/pc6.lease" -pf "$work/dhclient6.pid" lan0 \
  >"$work/dhclient6.log" 2>&1
sleep 2  # at least one more round of unsolicited advertisements from both
kill "$tcpdump_pid" "$rogue_tcpdump_pid" "$dhcp_tcpdump_pid" 2>/dev/null
wait "$tcpdump_pid" "$rogue_tcpdump_pid" "$dhcp_tcpdump_pid" 2>/dev/null

sent_ras=$(grep -ci "02:00:00:00:00:24 >" "$work/rogue-ras.txt")
rogue_ras=$(grep -ci "02:00:00:00:00:24 >" "$work/pc-ras.txt")
real_ras=$(grep -ci "02:00:00:00:01:01 >" "$work/pc-ras.txt")
echo "router advertisements received by the eKlient: $real_ras from the uplink's router, $rogue_ras of the $sent_ras the rogue jack sent"
[ "$sent_ras" -ge 1 ] || { echo "FAIL: the rogue radvd sent no router advertisements (the test proves nothing)"; fail=1; }
[ "$real_ras" -ge 1 ] || { echo "FAIL: the uplink's router advertisements did not reach the eKlient"; fail=1; }
[ "$rogue_ras" = 0 ] || { echo "FAIL: $rogue_ras rogue router advertisements reached the eKlient"; fail=1; }
grep -q "2001:db8:20::" "$work/rdisc6.txt" || { echo "FAIL: rdisc6 did not see the real prefix"; fail=1; }
if grep -q "2001:db8:66::" "$work/rdisc6.txt"; then echo "FAIL: rdisc6 saw the rogue prefix"; fail=1; fi
rogue_dhcp=$(grep -ci "02:00:00:00:00:24 >" "$work/pc-dhcpv6.txt")
echo "DHCPv6 messages received by the eKlient: $(grep -ci "02:00:00:00:01:01 >" "$work/pc-dhcpv6.txt") from the uplink's server, $rogue_dhcp from the rogue jack"
[ "$rogue_dhcp" = 0 ] || { echo "FAIL: $rogue_dhcp DHCPv6 messages from the rogue jack reached the eKlient"; fail=1; }
grep -q "iaaddr 2001:db8:20::" "$work/pc6.lease" 2>/dev/null || { echo "FAIL: the eKlient got no DHCPv6 lease from the uplink's server"; fail=1; }
if grep -q "2001:db8:66" "$work/pc6.lease" "$work/dhclient6.log" 2>/dev/null; then echo "FAIL: the eKlient heard the rogue DHCPv6 server"; fail=1; fi
grep -q "DHCPADVERTISE" "$work/dnsmasq-rogue.log" || { echo "FAIL: the rogue dnsmasq sent no ADVERTISE (the test proves nothing)"; fail=1; }

# The alert names the jack and what it advertised.
"$pv" alerts --json > "$work/alerts.json" 2>&1 || { echo "FAIL: portvakt alerts"; fail=1; }
grep -q '"rogue_ra"' "$work/alerts.json" || { echo "FAIL: no rogue_ra alert"; fail=1; }
grep -q 'router advertisement from access port eth4' "$work/alerts.json" || { echo "FAIL: the rogue_ra alert does not name eth4"; fail=1; }
grep -q 'DHCPv6 server message (type 2) from access port eth4' "$work/alerts.json" || { echo "FAIL: no rogue_dhcp alert for the DHCPv6 ADVERTISE from eth4"; fail=1; }
"$pv" status > "$work/status" 2>&1 || { echo "FAIL: status"; fail=1; }

if [ $fail -ne 0 ]; then
  echo "--- rdisc6"; cat "$work/rdisc6.txt"; echo "--- RAs at the eKlient"; head -20 "$work/pc-ras.txt"
  echo "--- RAs the rogue sent"; head -5 "$work/rogue-ras.txt"
  echo "--- dhclient -6"; tail -15 "$work/dhclient6.log"; echo "--- rogue dnsmasq"; tail -5 "$work/dnsmasq-rogue.log"
  echo "--- alerts"; head -c 3000 "$work/alerts.json"; echo; echo "--- daemon log"; tail -30 "$work/daemon.log"; cat "$work/status"
fi
[ $fail -eq 0 ] && echo "rogue RA e2e ok"
exit $fail
