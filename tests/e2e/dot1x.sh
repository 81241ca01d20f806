#!/usr/bin/env bash
# 802.1X end to end with real parts: the supervisor of control/dot1x (run by
# portvakt_dot1x_probe) starts a real hostapd (driver=wired) on a veth in a
# "switch" namespace; a real FreeRADIUS on that namespace's loopback checks
# EAP-TLS against a CA and its CRL (certificates made here with openssl,
# client CN = an inventory asset id, identity must equal the CN); real
# wpa_supplicant -D wired processes authenticate from a "pc" namespace.
#   1. EK-0001 authenticates: the client sees EAP-STARTED, EAP-SUCCESS2 and
#      AP-STA-CONNECTED for its MAC, STA reports the identity, the session
#      table says authorised.
#   2. EK-0002 on a macvlan of the same veth (another MAC, same jack) is
#      authorised separately; EK-0001 stays authorised.
#   3. A revoked certificate fails: EAP-FAILURE2, session failed.
#   4. hostapd killed: the supervisor restarts it, the sessions end
#      ("hostapd restarted") and are re-established (NEW_STA) without
#      touching the supplicants.
#   5. hostapd hung (SIGSTOP): after 3 unanswered PINGs the supervisor kills
#      it, starts another, and the sessions come back.
#   6. DEAUTHENTICATE ends a session (AP-STA-DISCONNECTED).
#   7. A second configured port whose interface does not exist: its hostapd
#      exits, is restarted with backoff and said so, and the real port is
#      not affected (one hostapd per port).
# The host's own freeradius service is never used: own config dir, own
# namespace. Deadlines here are functional (generous), nothing is timed.
# Requirements: R1a
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.bash"

source "$here/dot1x_lab.bash"
dot1x_require_tools hostapd wpa_supplicant freeradius openssl
probe=$build/tests/e2e/tools/portvakt_dot1x_probe
[ -x "$probe" ] || { echo "FAIL: $probe is not built"; exit 1; }

id=$$
ns() { echo "pvd1x$id-$1"; }
work=$(mktemp -d /tmp/pvdot1x.XXXXXX)
port=d1x$id          # the switch's access port (veth, in the switch namespace)
missing=nx$id        # a configured port with no interface behind it
mac1=02:00:00:d1:00:01 mac2=02:00:00:d1:00:02 mac3=02:00:00:d1:00:03
cleanup() {
  [ -n "${probe_pid:-}" ] && kill "$probe_pid" 2>/dev/null && wait "$probe_pid" 2>/dev/null
  exec 3>&- 2>/dev/null
  remove_lab "sw pc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

logged() { grep -qE "$1" "$work/probe.log"; }
state_has() { grep -qE "$1" "$work/state"; }
dump() {
  echo "--- probe.log"; tail -40 "$work/probe.log"
  echo "--- state"; cat "$work/state" 2>/dev/null
  echo "--- hostapd log"; tail -20 "$work/rt/hostapd-$port.log" 2>/dev/null
  [ -n "${DOT1X_KEEP:-}" ] && cp -r "$work" "$DOT1X_KEEP"
  echo "--- radius (errors)"; grep -E "ERROR|Login incorrect" "$work/radius.log" | tail -10
}

# --- certificates (a CA, the RADIUS server, three clients, one revoked, a
# CRL), the shared secret in a root-only file (the supervisor refuses any
# other), FreeRADIUS's own config: dot1x_lab.bash
dot1x_pki client1=EK-0001 client2=EK-0002 '!revoked=EK-0666'
dot1x_radius_config

# --- namespaces: the switch (hostapd, FreeRADIUS, the supervisor) and the PCs
ip netns add "$(ns sw)" && ip netns add "$(ns pc)" || { echo "FAIL: cannot create namespaces"; exit 1; }
for n in sw pc; do ip -n "$(ns $n)" link set lo up; done
# Each supplicant on a macvlan of the jack's veth, none on the veth itself,
# and the macvlans in private mode, so each behaves as a host of its own. Seen
# here otherwise: a supplicant on the lower device receives its macvlans'
# EAPOL frames and answers them (after the hostapd restart it answered the
# other station's Identity request and its own session stalled); in bridge
# mode each supplicant receives the others' EAPOL-Starts (sent to the PAE
# group address) and restarts its own state machine, then re-authenticates
# 30 s later by itself, which hid whether the supervisor's NEW_STA worked.
ip -n "$(ns sw)" link add "$port" type veth peer name jack netns "$(ns pc)" &&
  ip -n "$(ns pc)" link add link jack name eth1 address $mac1 type macvlan mode private &&
  ip -n "$(ns pc)" link add link jack name eth2 address $mac2 type macvlan mode private &&
  ip -n "$(ns pc)" link add link jack name eth3 address $mac3 type macvlan mode private ||
  { echo "FAIL: cannot create the veth and macvlans"; exit 1; }
for d in jack eth1 eth2 eth3; do ip -n "$(ns pc)" link set "$d" up; done
ip -n "$(ns sw)" link set "$port" up

start_radius "$(ns sw)" || { tail -20 "$work/radius.log"; exit 1; }

# --- the supervisor, commands on a FIFO
mkfifo "$work/commands"
ip netns exec "$(ns sw)" "$probe" --runtime-dir "$work/rt" --secret-file "$work/radius.secret" \
  --server 127.0.0.1:1812 --port "$port" --port "$missing" --state "$work/state" \
  --ping-interval 500 --request-timeout 1000 < "$work/commands" > "$work/probe.log" 2>&1 &
probe_pid=$!
exec 3> "$work/commands"
wait_for 30 "the supervisor started hostapd on $port and attached" logged "^hostapd-started $port pid=" ||
  { dump; exit 1; }
grep -q '^use_pae_group_addr=0$' "$work/rt/hostapd-$port.conf" && grep -q "^radius_auth_req_attr=87:s:$port\$" \
  "$work/rt/hostapd-$port.conf" && ok "hostapd config: unicast EAPOL, NAS-Port-Id = $port" ||
  fail "hostapd config lacks use_pae_group_addr=0 or NAS-Port-Id"
[ "$(stat -c %a "$work/rt/hostapd-$port.conf")" = 600 ] && ok "hostapd config (it holds the secret) is mode 600" ||
  fail "hostapd config mode is $(stat -c %a "$work/rt/hostapd-$port.conf"), not 600"

supplicant() {  # iface cert-name identity
  supplicant_conf "$work/sup-$1.conf" "$2" "$3"
  ip netns exec "$(ns pc)" wpa_supplicant -D wired -i "$1" -c "$work/sup-$1.conf" > "$work/sup-$1.log" 2>&1 &
}

# --- 1. EK-0001
supplicant eth1 client1 EK-0001
wait_for 60 "EK-0001 ($mac1) authorised in the session table, identity from STA" \
  state_has "^session $port $mac1 authorised identity=EK-0001 " || dump
for e in CTRL-EVENT-EAP-STARTED CTRL-EVENT-EAP-SUCCESS2 AP-STA-CONNECTED; do
  logged "^event $port $e $mac1\$" && ok "the client saw $e $mac1" || fail "no $e $mac1 event"
done
echo "sta $port $mac1" >&3
wait_for 10 "STA $mac1 reports identity EK-0001, authorised" logged "^sta $port $mac1 identity=EK-0001 authorized=1\$"

# --- 2. a second supplicant behind the same jack
supplicant eth2 client2 EK-0002
wait_for 60 "EK-0002 ($mac2, macvlan on the same veth) authorised separately" \
  state_has "^session $port $mac2 authorised identity=EK-0002 " || dump
state_has "^session $port $mac1 authorised identity=EK-0001 " && ok "EK-0001 is still authorised" ||
  fail "EK-0001 lost its session when EK-0002 authenticated"

# --- 3. the revoked certificate
supplicant eth3 revoked EK-0666
wait_for 60 "the revoked certificate fails: EAP-FAILURE2 $mac3" logged "^event $port CTRL-EVENT-EAP-FAILURE2 $mac3\$" || dump
wait_for 10 "session $mac3 failed" state_has "^session $port $mac3 failed .*failures=[1-9]"
grep -qE "certificate revoked" "$work/radius.log" && ok "FreeRADIUS refused it for the CRL" ||
  fail "FreeRADIUS log does not say the certificate was revoked"
logged "^event $port AP-STA-CONNECTED $mac3\$" && fail "the revoked station was connected" || true

# --- 4. hostapd killed: restarted, sessions ended, then re-established
old_pid=$(sed -n "s/^port $port pid=\([0-9]*\) .*/\1/p" "$work/state")
if [ -z "$old_pid" ] || [ "$old_pid" = 0 ]; then
  fail "no hostapd pid in the state file"
else
  kill -9 "$old_pid"
  wait_for 30 "the supervisor saw hostapd $old_pid die" logged "^hostapd-exited $port .*pid $old_pid.*killed" || dump
  wait_for 10 "EK-0001's session ended: hostapd restarted" \
    logged "^session $port $mac1 authorised->ended .*reason=hostapd restarted" || dump
  wait_for 10 "EK-0002's session ended: hostapd restarted" \
    logged "^session $port $mac2 authorised->ended .*reason=hostapd restarted"
  # The supervisor asks the new hostapd to authenticate the MACs it forgot
  # (NEW_STA): that takes about a second. Without it a supplicant may stay
  # silent for longer than these 30 s (seen with the NEW_STA call removed).
  wait_for 60 "hostapd restarted and attached (a new pid)" \
    state_has "^port $port pid=([1-9][0-9]*) attached=1 starts=2\$" || dump
  wait_for 30 "EK-0001 re-established after the restart" state_has "^session $port $mac1 authorised identity=EK-0001 " ||
    dump
  wait_for 30 "EK-0002 re-established after the restart" state_has "^session $port $mac2 authorised identity=EK-0002 "
  state_has "^session $port $mac3 authorised" && fail "the revoked station is authorised after the restart" || true
fi

# --- 5. hostapd hung: killed after 3 unanswered PINGs, then restarted
hung_pid=$(sed -n "s/^port $port pid=\([0-9]*\) .*/\1/p" "$work/state")
if [ -z "$hung_pid" ] || [ "$hung_pid" = 0 ]; then
  fail "no hostapd pid in the state file"
else
  kill -STOP "$hung_pid"
  wait_for 30 "the supervisor noticed hostapd $hung_pid stopped answering PING" \
    logged "^problem $port .*pid $hung_pid.*did not answer PING 3 times" || dump
  wait_for 10 "and killed it" logged "^hostapd-exited $port .*pid $hung_pid.*killed by signal"
  wait_for 60 "a third hostapd runs and is attached" state_has "^port $port pid=[1-9][0-9]* attached=1 starts=3\$"
  wait_for 30 "EK-0001 re-established after the hang" state_has "^session $port $mac1 authorised identity=EK-0001 "
  wait_for 30 "EK-0002 re-established after the hang" state_has "^session $port $mac2 authorised identity=EK-0002 "
fi

# --- 6. DEAUTHENTICATE ends a session
echo "deauth $port $mac2" >&3
wait_for 10 "DEAUTHENTICATE $mac2 answered OK" logged "^deauth-ok $port $mac2\$"
wait_for 10 "AP-STA-DISCONNECTED $mac2" logged "^event $port AP-STA-DISCONNECTED $mac2\$"
wait_for 10 "session $mac2 ended: disconnected" logged "^session $port $mac2 authorised->ended .*reason=disconnected"

# --- 7. the port without an interface
wait_for 30 "hostapd for $missing (no such interface) exited and is restarted with backoff" \
  state_has "^port $missing pid=[0-9]+ attached=0 starts=([3-9]|[1-9][0-9]+)\$"
logged "^hostapd-exited $missing .*exited with status [1-9].*starting it again in [0-9]+ ms" &&
  ok "the supervisor says why and when it restarts it" || fail "no hostapd-exited notice for $missing"
state_has "^port $port pid=[1-9][0-9]* attached=1 starts=3\$" && ok "$port was not affected by $missing" ||
  fail "$port was restarted or detached because of $missing"

# --- the supervisor stops its hostapd when it stops
hostapd_pid=$(sed -n "s/^port $port pid=\([0-9]*\) .*/\1/p" "$work/state")
kill "$probe_pid"; wait "$probe_pid"; probe_status=$?; probe_pid=
[ "$probe_status" -eq 0 ] && ok "the supervisor program exited cleanly on SIGTERM" ||
  fail "the supervisor program exited with status $probe_status"
grep -qE "Sanitizer|runtime error" "$work/probe.log" && fail "sanitizer report in the supervisor's output" || true
if [ -n "$hostapd_pid" ] && [ "$hostapd_pid" != 0 ] && kill -0 "$hostapd_pid" 2>/dev/null; then
  fail "hostapd $hostapd_pid still runs after the supervisor stopped"
else
  ok "hostapd stopped with the supervisor"
fi

if [ "$failures" -ne 0 ]; then
  dump
  echo "FAIL: $failures check(s) failed"
  exit 1
fi
echo "PASS: dot1x"
