#!/usr/bin/env bash
# Issue 13, MAC mobility end to end: portvaktd on real veth interfaces in
# network namespaces. Needs root (CI runs as root).
#   <tag>-sw      portvaktd (a policy written below): eth0 -> <tag>-up (region uplink host),
#                 eth3 -> <tag>-pc lan0, eth5 -> <tag>-pc lan1 (the PC's second jack), eth4 -> <tag>-forger
#   <tag>-pc      the eKlient (inventoried MAC, DHCP vendor class "MSFT 5.0" from dhclient)
#   <tag>-forger  a host that copies the eKlient's MAC and address
# Asserts:
#  1. a single legitimate replug (eth3 -> eth5) is one device_moved, and the PC keeps reaching RDnet;
#  2. a forger answering every few seconds from another jack ends in quarantine with exactly one
#     mac_flapping alert (jsonl sink) naming both ports; no mac_spoof_suspect;
#  3. while the hold lasts, the real PC does not reach RDnet either (the MAC is held out on both jacks),
#     also after the forger is gone;
#  4. `portvakt devices forget` forgives it: the PC's next DHCP places it in region again.
# Usage: mac_flapping.sh BUILD_DIR   (from the project root)
# Requirements: R6, R6b
source "$(dirname "$0")/common.bash"
lab_require_tools dhclient ping
lab_new pvfl$$
fail=0
trap lab_remove EXIT
trap 'exit 1' INT TERM

pcmac=3c:52:82:79:00:01
lab_hosts sw pc forger up
# Not lab_link: the PC's second interface stays down until it is "replugged".
link() {  # switch-side name, host ns, host-side name, host MAC
  ip link add "$1" netns "$(ns sw)" type veth peer name "$3" netns "$(ns $2)" || { echo "FAIL: veth $1"; exit 1; }
  ip -n "$(ns $2)" link set "$3" address "$4"
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip netns exec "$(ns $2)" sysctl -qw "net.ipv6.conf.$3.disable_ipv6=1"
  ip -n "$(ns sw)" link set "$1" up
}
link eth0 up lan0 02:00:00:79:00:02
link eth3 pc lan0 $pcmac
link eth5 pc lan1 $pcmac
link eth4 forger lan0 $pcmac
ip -n "$(ns sw)" link set lo up
ip -n "$(ns up)" addr add 10.79.0.2/24 dev lan0
ip -n "$(ns up)" link set lan0 up
# Static neighbours: no ARP broadcasts that both copies of the MAC would answer
# at once (that is the two-ports case; this test wants the forger's own rhythm).
ip -n "$(ns up)" neigh add 10.79.0.1 lladdr $pcmac dev lan0 nud permanent
ip -n "$(ns pc)" link set lan0 up
ip -n "$(ns pc)" addr add 10.79.0.1/24 dev lan0
ip -n "$(ns pc)" neigh add 10.79.0.2 lladdr 02:00:00:79:00:02 dev lan0 nud permanent

cat > "$work/site.yaml" <<YAML
portvakt: 1
name: flapping-lab
mac_mobility: {window: 5m, moves: 4, hold: 30m}
zones:
  region: {vlan: 10}
  quarantine: {vlan: 999, quarantine: true}
destinations:
  rdnet: {prefixes: [10.0.0.0/8]}
ports:
  - {name: rdnet-uplink, interfaces: eth0, role: uplink, zones: [region]}
  - {name: wall-jacks, interfaces: "eth[3-5]", role: access, zones: [region, quarantine], default_zone: quarantine}
classes:
  eklient:
    zone: region
    match:
      inventory: true
      dhcp: {vendor_class: "MSFT 5.0"}
    evidence: 2
    require: [inventory]
inventory:
  devices:
    - {mac: "$pcmac", asset: LAB-PC-79, hostname: EK-LAB-79}
flows:
  - {name: eklient-rdnet, from: region, to: rdnet}
sinks:
  desk: {type: jsonl, path: "$work/alerts.jsonl"}
alerts:
  - {event: mac_flapping, severity: critical, sinks: [desk]}
  - {event: mac_spoof_suspect, severity: critical, sinks: [desk]}
  - {event: device_moved, severity: info, sinks: [desk]}
YAML
printf 'send vendor-class-identifier "MSFT 5.0";\nsend host-name "EK-LAB-79";\n' > "$work/windows.conf"
dhcp_discover() {  # the PC's DHCP DISCOVER (nobody answers; the profiler learns from it)
  timeout 3 ip netns exec "$(ns pc)" dhclient -1 -sf /bin/true -cf "$work/windows.conf" -lf "$work/pc.lease" \
    -pf "$work/pc-dhclient.pid" "$1" >/dev/null 2>&1
  return 0
}
reaches() { ip netns exec "$(ns pc)" ping -c 2 -i 0.3 -W 1 10.79.0.2 >/dev/null 2>&1 && echo reached || echo blocked; }
count() { local n; n=$(grep -c "\"$1\"" "$work/alerts.jsonl" 2>/dev/null); echo "${n:-0}"; }
wait_alert() {  # event, how many, seconds: the jsonl sink is written by the alert thread
  for _ in $(seq $(($3 * 10))); do [ "$(count "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  return 0
}

lab_daemon "$work/site.yaml"

# The API answers before the dataplane has opened every port: a DISCOVER sent
# at once may meet a closed port, so the PC sends again until it is placed.
for _ in 1 2 3 4 5; do
  dhcp_discover lan0
  [ "$(reaches)" = reached ] && break
done
[ "$(reaches)" = reached ] || { echo "FAIL: the eKlient does not reach RDnet after its DHCP"; "$pv" devices; fail=1; }

# 1. A legitimate replug: the cable goes from eth3 to eth5.
ip -n "$(ns pc)" link set lan0 down
sleep 2
ip -n "$(ns pc)" addr add 10.79.0.1/24 dev lan1
ip -n "$(ns pc)" link set lan1 up
ip -n "$(ns pc)" neigh replace 10.79.0.2 lladdr 02:00:00:79:00:02 dev lan1 nud permanent
[ "$(reaches)" = reached ] || { echo "FAIL: the replugged eKlient does not reach RDnet"; fail=1; }
wait_alert device_moved 1 5
sleep 2.5  # the alert feed sends a burst after ~2 s: a second event would be in by now
[ "$(count device_moved)" -eq 1 ] || { echo "FAIL: one replug gave $(count device_moved) device_moved alerts, want 1"; fail=1; }
[ "$(count mac_flapping)" -eq 0 ] || { echo "FAIL: a replug is not flapping"; fail=1; }
grep '"device_moved"' "$work/alerts.jsonl" | grep -q 'eth5' || { echo "FAIL: device_moved does not name eth5"; fail=1; }

# 2. The forger copies MAC and address on eth4 and answers every 4 s, 2 s
# out of step with the PC's own traffic (one ping every 4 s).
ip -n "$(ns forger)" link set lan0 up
ip -n "$(ns forger)" addr add 10.79.0.1/24 dev lan0
ip -n "$(ns forger)" neigh add 10.79.0.2 lladdr 02:00:00:79:00:02 dev lan0 nud permanent
ip netns exec "$(ns pc)" ping -i 4 -W 1 10.79.0.2 >/dev/null 2>&1 &
pcping=$!
sleep 2
ip netns exec "$(ns forger)" ping -i 4 -W 1 10.79.0.2 >/dev/null 2>&1 &
forging=$!
wait_alert mac_flapping 1 30
sleep 9  # two more rounds of both: still one alert
kill $forging $pcping 2>/dev/null; wait $forging $pcping 2>/dev/null
flaps=$(count mac_flapping)
[ "$flaps" -eq 1 ] || { echo "FAIL: $flaps mac_flapping alerts, want exactly 1"; fail=1; }
[ "$(count mac_spoof_suspect)" -eq 0 ] || { echo "FAIL: flapping is alerted as mac_flapping only"; fail=1; }
flap=$(grep '"mac_flapping"' "$work/alerts.jsonl" | head -1)
echo "$flap" | grep -q 'eth4->eth5' && echo "$flap" | grep -q 'eth5->eth4' ||
  { echo "FAIL: the mac_flapping detail does not list the moves between eth4 and eth5: $flap"; fail=1; }
echo "$flap" | grep -qE ' at [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}' || { echo "FAIL: the detail has no move times: $flap"; fail=1; }
"$pv" devices show $pcmac > "$work/device" 2>&1
grep -q 'quarantine' "$work/device" && grep -q 'flapping' "$work/device" ||
  { echo "FAIL: the MAC is not held in quarantine as flapping"; cat "$work/device"; fail=1; }

# 3. Held out on both jacks: the forger is gone, and the real PC still does not reach RDnet.
ip -n "$(ns forger)" link set lan0 down
[ "$(reaches)" = blocked ] || { echo "FAIL: the real PC reached RDnet while the MAC is held"; fail=1; }
dhcp_discover lan1
[ "$(reaches)" = blocked ] || { echo "FAIL: a fresh DHCP does not lift the hold"; fail=1; }

# 4. The engineer forgives it; the PC's next DHCP places it in region.
"$pv" devices forget $pcmac >/dev/null || { echo "FAIL: devices forget"; fail=1; }
sleep 0.5
dhcp_discover lan1
[ "$(reaches)" = reached ] || { echo "FAIL: the forgiven PC does not reach RDnet after its DHCP"; "$pv" devices; fail=1; }
sleep 2.5
[ "$(count mac_flapping)" -eq 1 ] || { echo "FAIL: mac_flapping raised again after the forget"; fail=1; }

if grep -qE "runtime error:|ERROR: AddressSanitizer" "$work/daemon.log"; then
  echo "FAIL: the sanitizer reported an error"; grep -E -A5 "runtime error:|ERROR: AddressSanitizer" "$work/daemon.log" | head -20; fail=1
fi
if [ $fail -ne 0 ]; then echo "--- alerts"; cat "$work/alerts.jsonl" 2>/dev/null | cut -c1-400; echo "--- daemon log"; tail -30 "$work/daemon.log"; fi
[ $fail -eq 0 ] && echo "mac flapping e2e ok: $(count device_moved) device_moved, $flaps mac_flapping"
exit $fail
