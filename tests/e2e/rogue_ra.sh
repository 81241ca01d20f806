#!/usr/bin/env bash
# RA guard end to end through portvaktd on real interfaces (issue 13, "IPv6
# first-hop security"): radvd behind the RDnet uplink advertises the real
# prefix, a second radvd on a wall jack (an admitted eKlient turned rogue
# router, the mitm6 set-up) advertises its own prefix and DNS server. The
# eKlient on the other jack solicits routers with rdisc6 and captures every
# router advertisement it receives with tcpdump: the uplink's arrive, the
# jack's never do, and portvaktd raises rogue_ra naming the jack.
#   pvr<pid>-sw     portvaktd with tests/e2e/rogue-ra-site.yaml; eth0 -> rdnet, eth3 -> pc, eth4 -> rogue
#   pvr<pid>-rdnet  fe80::1, radvd advertising 2001:db8:20::/64
#   pvr<pid>-pc     the pinned eKlient 02:00:00:00:00:23
#   pvr<pid>-rogue  the pinned eKlient 02:00:00:00:00:24, radvd advertising 2001:db8:66::/64
# Usage: rogue_ra.sh BUILD_DIR   (from the project root; needs root)
source "$(dirname "$0")/common.bash"
for tool in radvd rdisc6 tcpdump; do command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (./run installs radvd, ndisc6, tcpdump)"; exit 1; }; done
work=$(mktemp -d)
export PORTVAKT_SOCKET=$work/api.sock
tag=pvr$$
ns() { echo "$tag-$1"; }
hosts="sw rdnet pc rogue"
fail=0

cleanup() { remove_lab "$hosts"; }
trap cleanup EXIT
trap 'exit 1' INT TERM

for n in $hosts; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
link() {  # switch-side name, host ns, host MAC
  ip link add "$1" netns "$(ns sw)" type veth peer name lan0 netns "$(ns $2)" || { echo "FAIL: veth $1"; exit 1; }
  ip -n "$(ns $2)" link set lan0 address "$3"
  ip netns exec "$(ns $2)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=0
  ip -n "$(ns $2)" link set lan0 up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip -n "$(ns sw)" link set "$1" up
}
link eth0 rdnet 02:00:00:00:01:01
link eth3 pc 02:00:00:00:00:23
link eth4 rogue 02:00:00:00:00:24
# The real router's link-local address is the zone's gateway (fe80::1).
ip netns exec "$(ns rdnet)" sysctl -qw net.ipv6.conf.lan0.addr_gen_mode=1
ip -n "$(ns rdnet)" addr add fe80::1/64 dev lan0

ip netns exec "$(ns sw)" "$pvd" --policy tests/e2e/rogue-ra-site.yaml --socket "$PORTVAKT_SOCKET" --metrics "" \
  --state-dir "$work/state" 2>"$work/daemon.log" &
for _ in $(seq 100); do [ -S "$PORTVAKT_SOCKET" ] && break; sleep 0.1; done
[ -S "$PORTVAKT_SOCKET" ] || { echo "FAIL: portvaktd did not start"; cat "$work/daemon.log"; exit 1; }

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
# And every one the rogue sends (so that "none arrived" means something).
ip netns exec "$(ns rogue)" tcpdump -i lan0 -n -e -l -U 'icmp6 and ip6[40] == 134' > "$work/rogue-ras.txt" 2>"$work/tcpdump-rogue.log" &
rogue_tcpdump_pid=$!
for f in tcpdump.log tcpdump-rogue.log; do
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

# rdisc6 solicits (RS to ff02::2, the zone's link-local service 'nd') and
# prints every advertisement that answers within 3 s; radvd also sends
# unsolicited ones every 3-4 s. Both routers' first RAs are sent at start-up.
sleep 2
ip netns exec "$(ns pc)" rdisc6 -m -n -w 3000 lan0 > "$work/rdisc6.txt" 2>&1
sleep 6  # at least one more round of unsolicited advertisements from both
kill "$tcpdump_pid" "$rogue_tcpdump_pid" 2>/dev/null; wait "$tcpdump_pid" "$rogue_tcpdump_pid" 2>/dev/null

sent_ras=$(grep -ci "02:00:00:00:00:24 >" "$work/rogue-ras.txt")
rogue_ras=$(grep -ci "02:00:00:00:00:24 >" "$work/pc-ras.txt")
real_ras=$(grep -ci "02:00:00:00:01:01 >" "$work/pc-ras.txt")
echo "router advertisements received by the eKlient: $real_ras from the uplink's router, $rogue_ras of the $sent_ras the rogue jack sent"
[ "$sent_ras" -ge 1 ] || { echo "FAIL: the rogue radvd sent no router advertisements (the test proves nothing)"; fail=1; }
[ "$real_ras" -ge 1 ] || { echo "FAIL: the uplink's router advertisements did not reach the eKlient"; fail=1; }
[ "$rogue_ras" = 0 ] || { echo "FAIL: $rogue_ras rogue router advertisements reached the eKlient"; fail=1; }
grep -q "2001:db8:20::" "$work/rdisc6.txt" || { echo "FAIL: rdisc6 did not see the real prefix"; fail=1; }
if grep -q "2001:db8:66::" "$work/rdisc6.txt"; then echo "FAIL: rdisc6 saw the rogue prefix"; fail=1; fi

# The alert names the jack and what it advertised.
"$pv" alerts --json > "$work/alerts.json" 2>&1 || { echo "FAIL: portvakt alerts"; fail=1; }
grep -q '"rogue_ra"' "$work/alerts.json" || { echo "FAIL: no rogue_ra alert"; fail=1; }
grep -q 'router advertisement from access port eth4' "$work/alerts.json" || { echo "FAIL: the rogue_ra alert does not name eth4"; fail=1; }
"$pv" status > "$work/status" 2>&1 || { echo "FAIL: status"; fail=1; }

if [ $fail -ne 0 ]; then
  echo "--- rdisc6"; cat "$work/rdisc6.txt"; echo "--- RAs at the eKlient"; head -20 "$work/pc-ras.txt"
  echo "--- RAs the rogue sent"; head -5 "$work/rogue-ras.txt"
  echo "--- alerts"; head -c 3000 "$work/alerts.json"; echo; echo "--- daemon log"; tail -30 "$work/daemon.log"; cat "$work/status"
fi
[ $fail -eq 0 ] && echo "rogue RA e2e ok"
exit $fail
