#!/usr/bin/env bash
# End to end through portvaktd on real interfaces: network namespaces joined by
# veth pairs, the daemon forwarding between them, real ping and UDP, frames
# checked by capturing on the far side. Needs root (CI runs as root).
#   pv-sw      portvaktd; eth0 -> pv-rdnet (region uplink), eth1 -> pv-voice
#              (voice uplink), eth3 -> pv-pc, eth4 -> pv-laptop, eth5 -> pv-phone
# Scenarios: the pinned eKlient reaches RDnet (R1); an unknown laptop does not
# (R1); the phone reaches its provider but never the region network (R2); a
# push that removes the PC's pin takes effect on the running switch.
# Usage: forwarding.sh BUILD_DIR   (from the project root)
# Requirements: R1, R2, R4
source "$(dirname "$0")/common.bash"
lab_new pv$$
fail=0
trap lab_remove EXIT
trap 'exit 1' INT TERM

lab_hosts sw rdnet voice pc laptop phone
lab_link --name up0 eth0 rdnet 02:00:00:00:01:01 10.20.0.1/16
lab_link --name up0 eth1 voice 02:00:00:00:02:01 198.18.0.1/24
lab_link eth3 pc 02:00:00:00:00:23 10.20.0.23/16
lab_link eth4 laptop a4:83:e7:00:00:01 10.20.0.99/16
lab_link eth5 phone 80:5e:c0:00:00:05 198.18.0.5/24
ip -n "$(ns phone)" route add 10.0.0.0/8 dev lan0   # the phone tries RDnet directly

# A missing port is a clear error naming it, unless the policy marks it optional.
sed -e 's/optional: true/optional: false/' -e "s|extends: ../../examples|extends: $PWD/examples|" tests/e2e/lab-site.yaml > "$work/required.yaml"
if ip netns exec "$(ns sw)" "$pvd" --policy "$work/required.yaml" --socket "$work/x.sock" --metrics "" --state-dir "$work/state-x" \
    2>"$work/required.log"; then
  echo "FAIL: portvaktd started although the required port eth9 does not exist"; fail=1
fi
grep -q "eth9" "$work/required.log" || { echo "FAIL: the start error does not name eth9"; cat "$work/required.log"; fail=1; }

lab_daemon tests/e2e/lab-site.yaml

reach() { ip netns exec "$(ns $1)" ping -c 2 -W 1 -i 0.3 "$2" >/dev/null 2>&1; }
expect_reach() { reach "$1" "$2" || { echo "FAIL: $1 cannot reach $2 ($3)"; fail=1; }; }
expect_blocked() { reach "$1" "$2" && { echo "FAIL: $1 reaches $2 ($3)"; fail=1; }; }

expect_reach pc 10.20.0.1 "R1: an admitted eKlient reaches RDnet"

# The forwarding thread runs ahead of the daemon's other threads
# (--forwarding-nice, default -10); they keep the process's nice value.
ps -L -o nice=,comm= -p "$daemon" > "$work/threads"
fwd_nice=$(awk '$2 == "pv-forward" {print $1}' "$work/threads")
[ "$fwd_nice" = "-10" ] || { echo "FAIL: the forwarding thread runs at nice '$fwd_nice', not -10"; cat "$work/threads"; fail=1; }
main_nice=$(ps -o nice= -p "$daemon" | tr -d ' ')
awk -v n="$main_nice" '$2 != "pv-forward" && $1 != n {bad = 1} END {exit bad}' "$work/threads" ||
  { echo "FAIL: a thread other than pv-forward changed its nice value"; cat "$work/threads"; fail=1; }
expect_blocked laptop 10.20.0.1 "R1: an unknown laptop must be quarantined"

# R2: the phone's SIP reaches its provider on the voice uplink, never RDnet.
ip netns exec "$(ns voice)" timeout 5 tcpdump -n -i up0 -c 1 -w "$work/voice.pcap" udp port 5060 2>/dev/null &
vcap=$!
ip netns exec "$(ns rdnet)" timeout 5 tcpdump -n -i up0 -w "$work/rdnet.pcap" ether src 80:5e:c0:00:00:05 2>/dev/null &
rcap=$!
sleep 1
for _ in 1 2 3; do
  ip netns exec "$(ns phone)" bash -c 'echo "REGISTER sip:provider SIP/2.0" > /dev/udp/198.18.0.1/5060' 2>/dev/null
  ip netns exec "$(ns phone)" bash -c 'echo "REGISTER sip:rdnet SIP/2.0" > /dev/udp/10.20.0.1/5060' 2>/dev/null
  sleep 0.3
done
wait $vcap; wait $rcap
voiceFrames=$(tcpdump -r "$work/voice.pcap" 2>/dev/null | wc -l)
rdnetFrames=$(tcpdump -r "$work/rdnet.pcap" 2>/dev/null | wc -l)
[ "$voiceFrames" -ge 1 ] || { echo "FAIL: the phone's SIP never reached the voice uplink"; fail=1; }
[ "$rdnetFrames" -eq 0 ] || { echo "FAIL: $rdnetFrames frames from the phone reached the RDnet uplink (R2)"; fail=1; }

"$pv" status > "$work/status" || { echo "FAIL: status"; fail=1; }
grep -qE "^  eth3  access .* up  rx [1-9]" "$work/status" || { echo "FAIL: status shows no traffic on eth3"; cat "$work/status"; fail=1; }

# Unplugging a jack: the port goes down in the switch and the service desk hears of it.
# A push naming a port this host does not have is refused before the swap.
"$pv" policy push "$work/required.yaml" > "$work/push" 2>&1 && { echo "FAIL: a push with a missing port was accepted"; fail=1; }
grep -q "running policy is unchanged: link eth9" "$work/push" || grep -q "running policy is unchanged: .*eth9" "$work/push" || { echo "FAIL: the refusal does not name eth9"; cat "$work/push"; fail=1; }
"$pv" policy history | grep -c . | grep -qx 1 || { echo "FAIL: the refused push is in the history"; fail=1; }
sleep 0.5
grep -q 'eth9.*"event":"policy_rejected"' "$work/daemon.log" || { echo "FAIL: no policy_rejected event naming eth9"; grep event "$work/daemon.log" | tail -5; fail=1; }
grep -q "warning: optional port eth9 does not exist" "$work/daemon.log" || { echo "FAIL: no warning for the missing optional port"; fail=1; }
"$pv" ports > "$work/ports" || { echo "FAIL: ports"; fail=1; }
grep -qE "^eth9 +access .* MISSING" "$work/ports" || { echo "FAIL: ports does not show eth9 missing"; cat "$work/ports"; fail=1; }
grep -qE "^eth3 +access .* up +[1-9]" "$work/ports" || { echo "FAIL: ports shows no traffic on eth3"; cat "$work/ports"; fail=1; }

# What the daemon knows about the devices (published once a second).
sleep 1.2
"$pv" devices > "$work/devices" || { echo "FAIL: devices"; fail=1; }
grep -qE "^02:00:00:00:00:23 +eth3 .* region .* live" "$work/devices" || { echo "FAIL: devices lacks the pinned PC in region"; cat "$work/devices"; fail=1; }
grep -qE "^a4:83:e7:00:00:01 +eth4 +- +quarantine .* live" "$work/devices" || { echo "FAIL: devices lacks the laptop in quarantine"; cat "$work/devices"; fail=1; }
"$pv" devices show 80:5e:c0:00:00:05 > "$work/phone" || { echo "FAIL: devices show"; fail=1; }
grep -qE "^  sip.user_agent|^zone +voice" "$work/phone" || { echo "FAIL: devices show lacks the phone's zone"; cat "$work/phone"; fail=1; }
"$pv" devices forget a4:83:e7:00:00:01 >/dev/null || { echo "FAIL: devices forget"; fail=1; }
"$pv" devices > "$work/devices"
grep -q "^a4:83:e7:00:00:01" "$work/devices" && { echo "FAIL: a forgotten device is still listed"; cat "$work/devices"; fail=1; }

ip -n "$(ns laptop)" link set lan0 down
sleep 1
"$pv" status > "$work/status" || { echo "FAIL: status"; fail=1; }
grep -qE "^  eth4  access .* DOWN" "$work/status" || { echo "FAIL: eth4 should be down"; cat "$work/status"; fail=1; }
grep -q '"event":"link_down","mac":"","port":"eth4"' "$work/daemon.log" || { echo "FAIL: no link_down event for eth4"; fail=1; }

# A push on the running switch: without its pin the PC is no longer admitted.
"$pv" policy push tests/e2e/lab-site-unpinned.yaml >/dev/null || { echo "FAIL: push"; fail=1; }
sleep 0.5
expect_blocked pc 10.20.0.1 "after the push the unpinned PC must be quarantined"
"$pv" policy rollback >/dev/null || { echo "FAIL: rollback"; fail=1; }
sleep 0.5
expect_reach pc 10.20.0.1 "after the rollback the PC is admitted again"

# Replugging the PC: its very first frame after the link comes up gets
# through, although the kernel delivers it before the daemon has read the
# link's news. One echo request and nothing before it: a static neighbour
# (no ARP; set once the link is up, as going down flushes it) and no IPv6 on
# the jack for the moment (no MLD or DAD frames first).
ip netns exec "$(ns pc)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=1
ip -n "$(ns pc)" link set lan0 down
sleep 1
grep -qE "^  eth3  access .* DOWN" <("$pv" status) || { echo "FAIL: eth3 should be down after unplugging"; fail=1; }
ip -n "$(ns pc)" link set lan0 up
ip -n "$(ns pc)" neigh replace 10.20.0.1 lladdr 02:00:00:00:01:01 dev lan0 nud permanent
ip netns exec "$(ns pc)" ping -c 1 -W 3 10.20.0.1 >/dev/null 2>&1 ||
  { echo "FAIL: the PC's first frame after replugging was lost (port_down before the link-up was read?)"; "$pv" ports; fail=1; }
ip netns exec "$(ns pc)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=0
ip -n "$(ns pc)" neigh del 10.20.0.1 dev lan0

if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -30 "$work/daemon.log"; fi
[ $fail -eq 0 ] && echo "forwarding e2e ok"
exit $fail
