#!/usr/bin/env bash
# 802.1X admission through portvaktd with real parts: portvaktd forwards
# between veths in a "switch" namespace and starts one hostapd (driver=wired)
# per 802.1X jack from the compiled policy (tests/e2e/dot1x-site.yaml); a
# real FreeRADIUS on the switch namespace's loopback checks EAP-TLS against a
# CA and its CRL (certificates made here with openssl, CN = asset id);
# wpa_supplicant -D wired authenticates from the PCs' namespaces.
#   1. The eKlient (EK-0001 on its own MAC) is kept out of RDnet before EAP
#      success, authenticates and then reaches RDnet.
#   2. A forger with an inventoried MAC (EK-0002's) that sends the exact
#      Windows DHCP fingerprint but has no certificate stays out, and the
#      service desk hears dot1x_failure.
#   3. A valid certificate of another asset (EK-0001's on EK-0003's MAC) is
#      authorised by RADIUS but refused by portvaktd: dot1x_identity_mismatch,
#      kept out of RDnet.
#   4. A revoked certificate (CRL) fails: dot1x_failure, kept out.
#   Between them: `portvakt ports` shows the mode, `devices show` the 802.1X
#   state, the metrics count sessions by state and failures.
#   5. No EAPOL frame crosses the switch: none reaches the other jacks or
#      the uplink.
#   6. FreeRADIUS stopped and hostapd killed: hostapd is restarted, the
#      eKlient's session ends and cannot come back without RADIUS, and
#      nothing of it reaches RDnet meanwhile; radius_unreachable is raised and
#      the eKlient lands in the policy's fallback zone (guest); FreeRADIUS
#      started again: it re-authenticates and reaches RDnet again.
# Deadlines here are functional (generous), nothing is timed.
# Requirements: R1, R1a
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"

source "$here/dot1x_lab.bash"
dot1x_require_tools hostapd wpa_supplicant freeradius openssl tcpdump python3

id=$$
ns() { echo "pvda$id-$1"; }
work=$(mktemp -d /tmp/pvdot1xadm.XXXXXX)
export PORTVAKT_SOCKET=$work/api.sock
mac1=02:00:00:d1:00:01 mac2=02:00:00:d1:00:02 mac3=02:00:00:d1:00:03 mac4=02:00:00:d1:00:04
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  remove_lab "sw rdnet pc forger other revoked"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- certificates (a CA, the RADIUS server, clients, one revoked, a CRL),
# the shared secret, FreeRADIUS's own config: dot1x_lab.bash
dot1x_pki client1=EK-0001 '!revoked=EK-0666'
dot1x_radius_config

# --- namespaces and links
for n in sw rdnet pc forger other revoked; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
ip -n "$(ns sw)" link set lo up
link() {  # switch-side name, host ns, host-side name, host MAC, host address
  ip link add "$1" netns "$(ns sw)" type veth peer name "$3" netns "$(ns $2)" || { echo "FAIL: veth $1"; exit 1; }
  ip -n "$(ns $2)" link set "$3" address "$4"
  ip -n "$(ns $2)" addr add "$5" dev "$3"
  ip -n "$(ns $2)" link set "$3" up
  ip -n "$(ns sw)" link set "$1" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
}
link eth0 rdnet up0 02:00:00:00:01:01 10.20.0.1/16
link eth3 pc lan0 $mac1 10.20.0.21/16
link eth4 forger lan0 $mac2 10.20.0.22/16
link eth5 other lan0 $mac3 10.20.0.23/16
link eth6 revoked lan0 $mac4 10.20.0.24/16

start_radius "$(ns sw)" || { tail -20 "$work/radius.log"; exit 1; }

# EAPOL must never cross the switch: capture it where it must not appear. The
# forger's jack has a hostapd of its own (it sends the forger EAP requests:
# hostapd's wired driver learns stations from their DHCP), so there only
# frames that did not come from that jack's own interface count.
eth4_mac=$(ip netns exec "$(ns sw)" cat /sys/class/net/eth4/address)
ip netns exec "$(ns forger)" tcpdump -n -U -i lan0 -w "$work/eapol-forger.pcap" \
  "ether proto 0x888e and not ether src $eth4_mac" 2>/dev/null &
ip netns exec "$(ns rdnet)" tcpdump -n -U -i up0 -w "$work/eapol-rdnet.pcap" ether proto 0x888e 2>/dev/null &

ip netns exec "$(ns sw)" "$pvd" --policy tests/e2e/dot1x-site.yaml --socket "$PORTVAKT_SOCKET" --metrics 127.0.0.1:9120 \
  --state-dir "$work/state" --dot1x-secret-file "$work/radius.secret" --dot1x-runtime-dir "$work/rt" 2>"$work/daemon.log" &
daemon=$!
wait_for 30 "portvaktd runs" test -S "$PORTVAKT_SOCKET" || { dump; exit 1; }
for p in eth3 eth4 eth5 eth6; do
  wait_for 30 "portvaktd started hostapd for $p" logged "802.1X $p: hostapd-started" || dump
done

"$pv" ports > "$work/ports" 2>&1
grep -qE "^eth3 +access .* dot1x +up" "$work/ports" && grep -qE "^eth0 +uplink .* none +up" "$work/ports" &&
  ok "portvakt ports shows the authentication mode" || { fail "portvakt ports lacks the authentication mode"; cat "$work/ports"; }

reach() { ip netns exec "$(ns $1)" ping -c 2 -W 1 -i 0.3 "$2" >/dev/null 2>&1; }
expect_blocked() { reach "$1" "$2" && fail "$1 reaches $2 ($3)" || ok "$3"; }

# --- 1. the eKlient: out before EAP success, in after it
expect_blocked pc 10.20.0.1 "the eKlient does not reach RDnet before it authenticates"
supplicant() {  # namespace cert-name identity
  supplicant_conf "$work/sup-$1.conf" "$2" "$3"
  ip netns exec "$(ns $1)" wpa_supplicant -D wired -i lan0 -c "$work/sup-$1.conf" > "$work/sup-$1.log" 2>&1 &
}
supplicant pc client1 EK-0001
wait_for 60 "EK-0001 authorised on eth3" logged "802.1X eth3 $mac1 authorised identity EK-0001" || dump
wait_for 20 "the authenticated eKlient reaches RDnet" reach pc 10.20.0.1 || dump
wait_for 5 "devices show: the eKlient in region, 802.1X authorised as EK-0001" \
  bash -c "'$pv' devices show $mac1 | tr '\n' ' ' | grep -qE 'zone +region .*802.1X +authorised as EK-0001'"

# --- 2. the forger: an inventoried MAC and the exact Windows DHCP fingerprint, no certificate
dhcp_discover() {  # namespace MAC: a DHCPDISCOVER with Windows 10's option 55 and vendor class
  ip netns exec "$(ns $1)" python3 - "$2" <<'EOF'
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(':', ''))
opts = bytes([53, 1, 1, 61, 7, 1]) + mac + bytes([12, 8]) + b'EK-LAB-2' + bytes([60, 8]) + b'MSFT 5.0'
params = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]
opts += bytes([55, len(params)] + params) + bytes([255])
bootp = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, 0x1234, 0, 0x8000, b'\0'*4, b'\0'*4, b'\0'*4, b'\0'*4,
                    mac + b'\0'*10, b'\0'*64, b'\0'*128) + bytes([99, 130, 83, 99]) + opts
udp = struct.pack('!HHHH', 68, 67, 8 + len(bootp), 0) + bootp
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, b'\0'*4, b'\xff'*4)
s = sum(struct.unpack('!10H', ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
ip = ip[:10] + struct.pack('!H', ~s & 0xffff) + ip[12:]
frame = b'\xff'*6 + mac + b'\x08\x00' + ip + udp
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind(('lan0', 0))
sock.send(frame)
EOF
}
dhcp_discover forger $mac2
expect_blocked forger 10.20.0.1 "the forger (EK-0002's MAC, Windows DHCP fingerprint, no certificate) does not reach RDnet"
sleep 4  # past the 5 s grace an inventoried MAC has to authenticate
dhcp_discover forger $mac2
expect_blocked forger 10.20.0.1 "the forger still does not reach RDnet"
wait_for 10 "dot1x_failure raised for the forger" logged "\"event\":\"dot1x_failure\",\"mac\":\"$mac2\"" || dump
"$pv" devices show $mac2 > "$work/forger" 2>&1
grep -qE "^zone +quarantine" "$work/forger" && ok "devices show: the forger is in quarantine" ||
  { fail "devices show does not put the forger in quarantine"; cat "$work/forger"; }

# --- 3. a valid certificate of another asset
supplicant other client1 EK-0001
wait_for 60 "dot1x_identity_mismatch for EK-0001's certificate on EK-0003's MAC" \
  logged "\"event\":\"dot1x_identity_mismatch\",\"mac\":\"$mac3\"" || dump
expect_blocked other 10.20.0.1 "EK-0003's MAC with EK-0001's certificate does not reach RDnet"

# --- 4. the revoked certificate
supplicant revoked revoked EK-0666
wait_for 60 "dot1x_failure for the revoked certificate" logged "\"event\":\"dot1x_failure\",\"mac\":\"$mac4\"" || dump
wait_for 10 "FreeRADIUS refused it for the CRL" grep -qE "certificate revoked" "$work/radius.log"
expect_blocked revoked 10.20.0.1 "the revoked certificate's PC does not reach RDnet"

# The metrics (the switch namespace's own loopback): sessions by state, failures.
metric() { ip netns exec "$(ns sw)" curl -s http://127.0.0.1:9120/metrics | grep -qE "$1"; }
wait_for 10 "metrics: 2 sessions authorised (EK-0001 on eth3, and on eth5 as far as RADIUS goes)" \
  metric '^portvakt_dot1x_sessions\{.*state="authorised".*\} 2$'
wait_for 10 "metrics: EAP failures counted" metric '^portvakt_dot1x_failures_total\{.*\} [1-9]'

# --- 5. EAPOL never crossed the switch
sleep 1
for n in forger rdnet; do
  frames=$(tcpdump -r "$work/eapol-$n.pcap" 2>/dev/null | wc -l)
  [ "$frames" -eq 0 ] && ok "no EAPOL frame reached $n" || fail "$frames EAPOL frames reached $n"
done

# --- 6. RADIUS stopped, hostapd killed: the session ends and stays ended
kill "$radius_pid"; wait "$radius_pid" 2>/dev/null
hostapd_pid=$(ip netns pids "$(ns sw)" | while read -r p; do
  tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q "hostapd-eth3.conf" && echo "$p"; done | head -1)
if [ -z "$hostapd_pid" ]; then
  fail "no hostapd for eth3 found"
else
  kill -9 "$hostapd_pid"
  wait_for 10 "the session of EK-0001 ended: hostapd restarted" logged "802.1X eth3 $mac1 ended identity EK-0001 \(hostapd restarted\)" || dump
  wait_for 30 "hostapd for eth3 restarted" logged_times 2 "802.1X eth3: hostapd-started"
  ip netns exec "$(ns rdnet)" tcpdump -n -U -i up0 -w "$work/gap.pcap" ether src $mac1 2>/dev/null &
  gap=$!
  sleep 1
  expect_blocked pc 10.20.0.1 "without RADIUS the eKlient is not re-authorised and reaches nothing of RDnet"
  expect_blocked pc 10.20.0.1 "... still"
  wait_for 60 "radius_unreachable raised (hostapd's requests time out)" logged '"event":"radius_unreachable"' || dump
  wait_for 10 "the eKlient that cannot re-authenticate is in the fallback zone guest" \
    bash -c "'$pv' devices show $mac1 | grep -qE '^zone +guest'"
  kill $gap; wait $gap 2>/dev/null
  frames=$(tcpdump -r "$work/gap.pcap" 2>/dev/null | wc -l)
  [ "$frames" -eq 0 ] && ok "no frame of the eKlient reached RDnet while it was not re-authorised" ||
    fail "$frames frames of the eKlient reached RDnet before it was re-authorised"
  start_radius "$(ns sw)"
  # hostapd retries the EAP exchange itself; NEW_STA after the restart has been used up.
  wait_for 90 "EK-0001 re-authorised once RADIUS answers again" \
    logged_times 2 "802.1X eth3 $mac1 authorised identity EK-0001" || dump
  wait_for 20 "the eKlient reaches RDnet again" reach pc 10.20.0.1
  wait_for 30 "portvaktd says a RADIUS server answers again" logged "a RADIUS server answers again"
fi

kill "$daemon"; wait "$daemon"; status=$?; daemon=
[ "$status" -eq 0 ] && ok "portvaktd stopped cleanly" || fail "portvaktd exited with $status"
sleep 0.5
left=$(ip netns pids "$(ns sw)" | while read -r p; do tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -q "^hostapd\|/hostapd " && echo "$p"; done)
[ -z "$left" ] && ok "hostapd stopped with portvaktd" || fail "hostapd still runs after portvaktd stopped: $left"
grep -qE "Sanitizer|runtime error" "$work/daemon.log" && fail "sanitizer report in the daemon's log" || true

if [ "$failures" -ne 0 ]; then
  dump
  echo "FAIL: $failures check(s) failed"
  exit 1
fi
echo "PASS: dot1x admission"
