#!/usr/bin/env bash
# 802.1X sessions end when their station is gone, through portvaktd with real
# parts (FreeRADIUS on the switch namespace's loopback, hostapd started by
# portvaktd per jack, wpa_supplicant -D wired; dot1x_lab.bash). hostapd's
# wired driver never forgets a station by itself; portvaktd deauthenticates.
#   1. Two supplicants behind one jack (eth4: EK-0002 and EK-0003 on private
#      macvlans) are each authorised and each reaches RDnet; the eKlient on
#      eth3 too. `devices show` gives the session (since, last
#      authentication, failures) and the audit trail (store).
#   2. MAC ageing (--dot1x-station-ageing 6): EK-0003 falls silent, is
#      deauthenticated ("MAC aged out") while EK-0002 on the same jack, still
#      talking, stays; when EK-0003 talks again it is asked to authenticate
#      (NEW_STA) and reaches RDnet again.
#   3. A policy change that changes one station's placement (EK-0002's MAC
#      now belongs to asset EK-0009): that session ends ("policy change"),
#      is authenticated again, and the identity no longer fits:
#      dot1x_identity_mismatch, out of RDnet. EK-0003 on the same jack keeps
#      its session.
#   4. Unplugging ends the session ("link down", in the audit trail). A device
#      plugged in next with the same MAC and no supplicant reaches nothing of
#      RDnet; the eKlient plugged in again authenticates and reaches it.
#   5. Spoof evidence carries the 802.1X state: after a logoff the MAC keeps
#      talking on its jack (dot1x_failure says the session ended at logoff);
#      the authenticated MAC appears on another jack (the spoof/flapping alert
#      says where it is authorised).
#   6. hostapd of the shared jack killed while RADIUS answers: restarted, the
#      sessions end ("hostapd restarted") and come back through portvaktd.
#      (With RADIUS down as well, nothing reaches RDnet in between:
#      dot1x_admission.sh.)
# Deadlines here are functional (generous), nothing is timed.
# Requirements: R1a, R6, R9
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"
source "$here/dot1x_lab.bash"
dot1x_require_tools hostapd wpa_supplicant wpa_cli freeradius openssl tcpdump

id=$$
ns() { echo "pvdd$id-$1"; }
work=$(mktemp -d /tmp/pvdot1xdeauth.XXXXXX)
export PORTVAKT_SOCKET=$work/api.sock
mac1=02:00:00:d1:00:01 mac2=02:00:00:d1:00:02 mac3=02:00:00:d1:00:03
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  remove_lab "sw rdnet pc pc2 pc3 jack"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

dot1x_pki client1=EK-0001 client2=EK-0002 client3=EK-0003
dot1x_radius_config

for n in sw rdnet pc pc2 pc3 jack; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
ip -n "$(ns sw)" link set lo up
ip link add eth0 netns "$(ns sw)" type veth peer name up0 netns "$(ns rdnet)" &&
  ip link add eth3 netns "$(ns sw)" type veth peer name lan0 netns "$(ns pc)" &&
  ip link add eth4 netns "$(ns sw)" type veth peer name jack netns "$(ns jack)" &&
  ip link add eth5 netns "$(ns sw)" type veth peer name spare netns "$(ns jack)" ||
  { echo "FAIL: cannot create the veths"; exit 1; }
ip -n "$(ns rdnet)" addr add 10.20.0.1/16 dev up0
ip -n "$(ns pc)" link set lan0 address $mac1
ip -n "$(ns pc)" addr add 10.20.0.21/16 dev lan0
# Two PCs behind one jack: private macvlans of the jack's veth (see dot1x.sh
# for why private), each in a namespace of its own (in one namespace either
# answers ARP for the other's address, and a ping "from" one passed through
# the other).
ip -n "$(ns jack)" link add link jack name pc2 address $mac2 type macvlan mode private &&
  ip -n "$(ns jack)" link add link jack name pc3 address $mac3 type macvlan mode private &&
  ip -n "$(ns jack)" link set pc2 netns "$(ns pc2)" && ip -n "$(ns jack)" link set pc3 netns "$(ns pc3)" ||
  { echo "FAIL: cannot create the macvlans"; exit 1; }
ip -n "$(ns pc2)" addr add 10.20.0.22/16 dev pc2 && ip -n "$(ns pc2)" link set pc2 up
ip -n "$(ns pc3)" addr add 10.20.0.23/16 dev pc3 && ip -n "$(ns pc3)" link set pc3 up
ip -n "$(ns rdnet)" link set up0 up
ip -n "$(ns pc)" link set lan0 up
for d in jack spare; do ip -n "$(ns jack)" link set "$d" up; done
for p in eth0 eth3 eth4 eth5; do
  ip -n "$(ns sw)" link set "$p" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$p.disable_ipv6=1"
done

start_radius "$(ns sw)" || { tail -20 "$work/radius.log"; exit 1; }
ip netns exec "$(ns sw)" "$pvd" --policy tests/e2e/dot1x-deauth-a.yaml --socket "$PORTVAKT_SOCKET" --metrics "" \
  --state-dir "$work/state" --dot1x-secret-file "$work/radius.secret" --dot1x-runtime-dir "$work/rt" \
  --dot1x-station-ageing 6 2>"$work/daemon.log" &
daemon=$!
wait_for 30 "portvaktd runs" test -S "$PORTVAKT_SOCKET" || { dump; exit 1; }
for p in eth3 eth4; do
  wait_for 30 "portvaktd started hostapd for $p" logged "802.1X $p: hostapd-started" || dump
done

reach() { ip netns exec "$(ns $1)" ping -c 2 -W 1 -i 0.3 ${3:+-I $3} "$2" >/dev/null 2>&1; }
expect_blocked() { reach "$1" "$2" "${4:-}" && fail "$1 reaches $2 ($3)" || ok "$3"; }
supplicant() {  # namespace interface cert-name identity: sets sup_pid
  supplicant_conf "$work/sup-$2.conf" "$3" "$4"
  ip netns exec "$(ns $1)" wpa_supplicant -D wired -i "$2" -c "$work/sup-$2.conf" >> "$work/sup-$2.log" 2>&1 &
  sup_pid=$!
}
# A station that keeps talking (the MAC ageing must not take it): a ping every 0.5 s.
chatter() {  # namespace interface: sets chatter_pid
  ip netns exec "$(ns $1)" ping -i 0.5 -I "$2" 10.20.0.1 >/dev/null 2>&1 &
  chatter_pid=$!
}
show() { "$pv" devices show "$1" 2>&1; }

# --- 1. three PCs, two of them behind one jack
supplicant pc lan0 client1 EK-0001; sup1=$sup_pid
supplicant pc2 pc2 client2 EK-0002
supplicant pc3 pc3 client3 EK-0003
wait_for 60 "EK-0001 authorised on eth3" logged "802.1X eth3 $mac1 authorised identity EK-0001" || dump
wait_for 60 "EK-0002 authorised on eth4" logged "802.1X eth4 $mac2 authorised identity EK-0002" || dump
wait_for 60 "EK-0003 authorised on eth4 too (same jack, own session)" \
  logged "802.1X eth4 $mac3 authorised identity EK-0003" || dump
chatter pc lan0; chat1=$chatter_pid
chatter pc2 pc2; chat2=$chatter_pid
wait_for 20 "EK-0001 reaches RDnet" reach pc 10.20.0.1 lan0
wait_for 20 "EK-0002 reaches RDnet from the shared jack" reach pc2 10.20.0.1 pc2
wait_for 20 "EK-0003 reaches RDnet from the shared jack" reach pc3 10.20.0.1 pc3
show $mac1 > "$work/show1"
grep -qE "^802.1X on eth3 +authorised as EK-0001 since [0-9-]+ [0-9:]+, last authenticated [0-9-]+ [0-9:]+, failures 0" \
  "$work/show1" && ok "devices show: the session on eth3, since, last authentication, failures" ||
  { fail "devices show lacks the 802.1X session"; cat "$work/show1"; }
grep -qE "^  eth3  EK-0001  authorised [0-9-]+ [0-9:]+, .*still authorised" "$work/show1" &&
  ok "devices show: the audit trail has the open authorisation" ||
  { fail "devices show lacks the 802.1X audit row"; cat "$work/show1"; }

# --- 2. MAC ageing: EK-0003 falls silent
wait_for 30 "EK-0003, silent for 6 s, is deauthenticated (MAC aged out)" \
  logged "802.1X eth4 $mac3 deauthenticated \(MAC aged out\)" || dump
wait_for 10 "... its session ended with that reason" logged "802.1X eth4 $mac3 ended identity EK-0003 \(MAC aged out\)"
logged "802.1X eth4 $mac2 deauthenticated" && fail "EK-0002, still talking on the same jack, was deauthenticated" ||
  ok "EK-0002, still talking on the same jack, keeps its session"
wait_for 30 "EK-0003 talks again: asked to authenticate, authorised, reaches RDnet" reach pc3 10.20.0.1 pc3 || dump
# Who started the new authentication depends on timing: portvaktd's NEW_STA
# (6 s after the deauthentication), or the supplicant's own EAPOL-Start when
# it restarts first. Either way the station must be authorised a second time.
# (Waited for: under ASan the log line can come a little after the ping.)
reauthenticated() {
  logged "802.1X eth4 $mac3 talks again after ageing out: asked to authenticate \(NEW_STA\)" ||
    logged_times 2 "802.1X eth4 $mac3 authorised identity EK-0003"
}
wait_for 20 "EK-0003 authenticated again (portvaktd's NEW_STA or the supplicant's own start)" reauthenticated
chatter pc3 pc3; chat3=$chatter_pid

# --- 3. a push that changes EK-0002's placement
"$pv" policy push tests/e2e/dot1x-deauth-b.yaml > "$work/push" 2>&1 || { fail "push refused"; cat "$work/push"; }
wait_for 15 "the push ends EK-0002's session (policy change)" \
  logged "802.1X eth4 $mac2 ended identity EK-0002 \(policy change\)" || dump
wait_for 30 "EK-0002 is asked to authenticate again" logged "802.1X eth4 $mac2 asked to authenticate again" || dump
wait_for 60 "authenticated again, its identity is no longer the MAC's asset: dot1x_identity_mismatch" \
  logged "\"event\":\"dot1x_identity_mismatch\",\"mac\":\"$mac2\"" || dump
expect_blocked pc2 10.20.0.1 "EK-0002's PC (now asset EK-0009 in the inventory) is out of RDnet" pc2
logged "802.1X eth4 $mac3 (deauthenticated|ended).*policy change" &&
  fail "EK-0003's session ended with the push, though its placement did not change" ||
  ok "EK-0003 on the same jack keeps its session through the push"
reach pc3 10.20.0.1 pc3 && ok "EK-0003 still reaches RDnet" || fail "EK-0003 lost RDnet with the push"

# --- 4. unplugging ends the session
kill $chat1 2>/dev/null; wait $chat1 2>/dev/null
ip -n "$(ns pc)" link set lan0 down
wait_for 10 "eth3's link went down: EK-0001 deauthenticated" logged "802.1X eth3 $mac1 deauthenticated \(link down\)" || dump
wait_for 10 "... its session ended (link down)" logged "802.1X eth3 $mac1 ended identity EK-0001 \(link down\)"
wait_for 10 "devices show: the audit row ended with link down" \
  bash -c "'$pv' devices show $mac1 | grep -qE '^  eth3  EK-0001  authorised .*ended .*\(link down\)'"
# Something else plugged into the jack, with the eKlient's MAC and no supplicant.
kill $sup1; wait $sup1 2>/dev/null
ip netns exec "$(ns rdnet)" tcpdump -n -U -i up0 -w "$work/gap.pcap" ether src $mac1 2>/dev/null &
gap=$!
sleep 1
ip -n "$(ns pc)" link set lan0 up
expect_blocked pc 10.20.0.1 "a device plugged in next with the eKlient's MAC and no certificate reaches nothing of RDnet" lan0
expect_blocked pc 10.20.0.1 "... still" lan0
kill $gap; wait $gap 2>/dev/null
frames=$(tcpdump -r "$work/gap.pcap" 2>/dev/null | wc -l)
[ "$frames" -eq 0 ] && ok "no frame of it reached RDnet" || fail "$frames frames of it reached RDnet"
supplicant pc lan0 client1 EK-0001; sup1=$sup_pid
wait_for 90 "the eKlient plugged in again authenticates" \
  logged_times 2 "802.1X eth3 $mac1 authorised identity EK-0001" || dump
wait_for 20 "... and reaches RDnet" reach pc 10.20.0.1 lan0
chatter pc lan0; chat1=$chatter_pid

# --- 5. the 802.1X state in spoof evidence
ip netns exec "$(ns pc)" wpa_cli -p "$work/sup-lan0" logoff >/dev/null 2>&1
wait_for 10 "EAPOL-Logoff ends EK-0001's session" logged_times 1 "802.1X eth3 $mac1 ended identity EK-0001 \(disconnected\)" || dump
wait_for 30 "the MAC keeps talking on its jack without a session: dot1x_failure with the ended session as evidence" \
  logged "\"detail\":\"[^\"]*802.1X: eth3 [^\"]*ended \(disconnected\) at [0-9:]+Z[^\"]*\",\"event\":\"dot1x_failure\",\"mac\":\"$mac1\"" ||
  dump
wpa_cli_logon() { ip netns exec "$(ns pc)" wpa_cli -p "$work/sup-lan0" logon >/dev/null 2>&1; }
sleep 5  # hostapd ignores an EAPOL-Start within 5 s of a logoff
wpa_cli_logon
wait_for 60 "logged on again: authorised" logged_times 3 "802.1X eth3 $mac1 authorised identity EK-0001" || dump
# EK-0001's MAC on the spare jack eth5 while it is authorised on eth3.
ip -n "$(ns jack)" link add link spare name copy address $mac1 type macvlan mode private &&
  ip -n "$(ns jack)" addr add 10.20.0.29/16 dev copy && ip -n "$(ns jack)" link set copy up
reach jack 10.20.0.1 copy && fail "the copy of EK-0001's MAC on eth5 reaches RDnet" ||
  ok "the copy of EK-0001's MAC on eth5 reaches nothing of RDnet"
wait_for 20 "the spoof alert for the MAC on two jacks says where it is authorised" \
  logged "\"detail\":\"[^\"]*802.1X: eth3 authorised as EK-0001 since [^\"]*\",\"event\":\"(mac_spoof_suspect|mac_flapping|device_moved)\",\"mac\":\"$mac1\"" ||
  dump

# --- 6. hostapd of the shared jack killed while RADIUS answers: restarted,
# its sessions end and come back (NEW_STA) through portvaktd.
hostapd_pid=$(ip netns pids "$(ns sw)" | while read -r p; do
  tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q "hostapd-eth4.conf" && echo "$p"; done | head -1)
if [ -z "$hostapd_pid" ]; then
  fail "no hostapd for eth4 found"
else
  kill -9 "$hostapd_pid"
  wait_for 10 "hostapd of eth4 killed: EK-0003's session ended (hostapd restarted)" \
    logged "802.1X eth4 $mac3 ended identity EK-0003 \(hostapd restarted\)" || dump
  wait_for 60 "EK-0003 re-authorised after the restart" logged_times 3 "802.1X eth4 $mac3 authorised identity EK-0003" || dump
  wait_for 20 "EK-0003 reaches RDnet again" reach pc3 10.20.0.1 pc3
fi

kill $chat1 $chat2 $chat3 2>/dev/null
kill "$daemon"; wait "$daemon"; status=$?; daemon=
[ "$status" -eq 0 ] && ok "portvaktd stopped cleanly" || fail "portvaktd exited with $status"
grep -qE "Sanitizer|runtime error" "$work/daemon.log" && fail "sanitizer report in the daemon's log" || true

if [ "$failures" -ne 0 ]; then
  dump
  echo "FAIL: $failures check(s) failed"
  exit 1
fi
echo "PASS: dot1x deauthentication"
