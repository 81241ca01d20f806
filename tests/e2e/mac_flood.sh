#!/usr/bin/env bash
# Issue 14 end to end: a flood of random source MACs on one access port while
# an admitted PC on another port pings the uplink host, through portvaktd on
# real veth interfaces in network namespaces. Needs root (CI runs as root).
#   <tag>-sw     portvaktd (bench/mac-flood.yaml): eth0 -> <tag>-pc (pinned PC),
#                eth1 -> <tag>-flood (mausezahn -a rand), eth2 -> <tag>-up (uplink host)
# Asserts: mac_limit was raised for eth1, and at most once per 10 s hold; the
# PC lost no ping; the flood never reached the uplink; the profiler and the
# devices table hold a handful of devices, not one per MAC; stderr stays a few
# dozen lines; the drops and held events are counted in the metrics; eth1 is
# read on a timer while it floods (portvakt_port_moderated 1, eth0 0), not
# after, and the log says so once each way.
# Usage: mac_flood.sh BUILD_DIR   (from the project root)
# Requirements: R6
source "$(dirname "$0")/common.bash"
lab_require_tools mausezahn tcpdump
probe=$build/tests/e2e/tools/portvakt_e2e_probe
lab_new pvmf$$
fail=0
flood_seconds=${MAC_FLOOD_SECONDS:-25}
trap lab_remove EXIT
trap 'exit 1' INT TERM

lab_hosts sw pc flood up
lab_link eth0 pc 02:00:00:78:00:01 10.78.0.1/24
lab_link eth1 flood 02:00:00:78:00:99
lab_link eth2 up 02:00:00:78:00:02 10.78.0.2/24
metrics_port=$((20000 + $$ % 20000))

lab_daemon bench/mac-flood.yaml --metrics "127.0.0.1:$metrics_port"
ip netns exec "$(ns pc)" ping -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null || { echo "FAIL: the PC cannot reach the uplink host before the flood"; exit 1; }

# What reaches the uplink host from anyone but the PC (the flood must not).
ip netns exec "$(ns up)" timeout $((flood_seconds + 5)) tcpdump -n -Q in -i lan0 -w "$work/up.pcap" \
  not ether src 02:00:00:78:00:01 and not ether src 02:00:00:78:00:99 and not arp 2>/dev/null &
capture=$!
sleep 0.5
ip netns exec "$(ns flood)" timeout "$flood_seconds" mausezahn lan0 -q -a rand -b ff:ff:ff:ff:ff:ff -c 0 -d 0 \
  -t udp "sp=1234,dp=9" -A 10.78.0.66 -B 10.78.0.2 >/dev/null 2>&1 &
flooder=$!
# Mid-flood: the flooding jack is read on a timer (moderated), the PC's is not.
(sleep 5; ip netns exec "$(ns sw)" "$probe" metrics 127.0.0.1 "$metrics_port" > "$work/metrics-mid") &
scrape=$!
sleep 1
pings=$(( (flood_seconds - 3) * 10 ))
ping_out=$(ip netns exec "$(ns pc)" ping -q -c "$pings" -i 0.1 -W 1 10.78.0.2 2>&1)
wait "$flooder" "$scrape"
flood_rx=$(ip netns exec "$(ns sw)" cat /sys/class/net/eth1/statistics/rx_packets)
echo "flood: $flood_rx frames on eth1 in ${flood_seconds} s; PC: $(echo "$ping_out" | grep transmitted)"

received=$(echo "$ping_out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p')
[ "${received:-0}" -eq "$pings" ] || { echo "FAIL: the admitted PC lost pings during the flood: $ping_out"; fail=1; }
[ "$flood_rx" -ge 100000 ] || { echo "FAIL: the flood was too small to mean anything ($flood_rx frames)"; fail=1; }
wait "$capture"
strays=$(tcpdump -r "$work/up.pcap" 2>/dev/null | wc -l)
[ "$strays" -eq 0 ] || { echo "FAIL: $strays flood frames reached the uplink host"; tcpdump -r "$work/up.pcap" 2>/dev/null | head -3; fail=1; }

# mac_limit: raised for eth1, once per 10 s hold (not per MAC).
limits=$(grep -c '"event":"mac_limit".*"port":"eth1"' "$work/daemon.log")
[ "$limits" -ge 1 ] || { echo "FAIL: no mac_limit event for eth1"; fail=1; }
[ "$limits" -le $((flood_seconds / 10 + 2)) ] || { echo "FAIL: $limits mac_limit events in ${flood_seconds} s (one per 10 s expected)"; fail=1; }
lines=$(wc -l < "$work/daemon.log")
[ "$lines" -le 40 ] || { echo "FAIL: $lines stderr lines for one flood"; sort "$work/daemon.log" | cut -c1-120 | uniq -c | sort -rn | head; fail=1; }

# Devices: the PC and the 8 MACs the port may count, not one per flood MAC.
"$pv" devices > "$work/devices" || { echo "FAIL: devices"; fail=1; }
known=$(grep -cE '^[0-9a-f]{2}(:[0-9a-f]{2}){5} ' "$work/devices")
[ "$known" -ge 1 ] && [ "$known" -le 9 ] || { echo "FAIL: the daemon knows $known devices after the flood (1..9 expected)"; head "$work/devices"; fail=1; }
sleep 6  # one device flush (5 s)
rows=$("$probe" rows "$work/state/portvakt.db") || { echo "FAIL: cannot read the database"; fail=1; }
stored=$(echo "$rows" | awk '{print $2}'); alerts=$(echo "$rows" | awk '{print $4}')
[ "${stored:-99}" -le 9 ] || { echo "FAIL: $stored rows in the devices table (at most 9 expected)"; fail=1; }
# Alerts: device_new and randomized_mac for the PC and the (at most 8) counted
# MACs, policy_reload, and mac_limit folded per port and 5-minute bucket.
[ "${alerts:-99}" -le 24 ] || { echo "FAIL: $alerts alert rows for one flood"; fail=1; }

# Counted, never silent.
ip netns exec "$(ns sw)" "$probe" metrics 127.0.0.1 "$metrics_port" > "$work/metrics" || { echo "FAIL: metrics"; fail=1; }
held=$(sed -n 's/^portvakt_events_dropped_total{.*reason="repeat_held".*} \([0-9.e+]*\)$/\1/p' "$work/metrics")
awk -v v="${held:-0}" 'BEGIN { exit !(v >= 1000) }' || { echo "FAIL: repeat_held is ${held:-missing}, expected the flood's drops"; grep events_dropped "$work/metrics"; fail=1; }
grep -q 'portvakt_frames{.*port="eth1".*verdict="dropped"' "$work/metrics" || { echo "FAIL: no dropped frames counted on eth1"; fail=1; }

# Moderated ports (issue 13): while it floods, the jack whose frames are all
# dropped is read every 2 ms instead of waking the forwarding thread per
# frame; the PC's jack is not; it ends with the flood; the log says both once.
moderated() { grep -Eq "^portvakt_port_moderated\{port=\"$2\".*\} $3\$" "$1"; }
moderated "$work/metrics-mid" eth1 1 || { echo "FAIL: eth1 was not moderated during the flood"; grep port_moderated "$work/metrics-mid"; fail=1; }
moderated "$work/metrics-mid" eth0 0 || { echo "FAIL: the PC's eth0 was moderated"; grep port_moderated "$work/metrics-mid"; fail=1; }
moderated "$work/metrics" eth1 0 || { echo "FAIL: eth1 is still moderated after the flood"; grep port_moderated "$work/metrics"; fail=1; }
[ "$(grep -c 'port eth1: nearly every frame it sends is dropped' "$work/daemon.log")" = 1 ] || { echo "FAIL: the log does not say once that eth1 is read on a timer"; fail=1; }
[ "$(grep -c 'port eth1: read on each frame again' "$work/daemon.log")" = 1 ] || { echo "FAIL: the log does not say once that eth1's moderation ended"; fail=1; }

# After the flood: the PC still works.
ip netns exec "$(ns pc)" ping -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null || { echo "FAIL: the PC lost its path after the flood"; fail=1; }

# Under a sanitizer build (build-asan), what it found during the flood.
if grep -qE "runtime error:|ERROR: AddressSanitizer" "$work/daemon.log"; then
  echo "FAIL: the sanitizer reported an error"; grep -E -A5 "runtime error:|ERROR: AddressSanitizer" "$work/daemon.log" | head -20; fail=1
fi

if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -30 "$work/daemon.log"; fi
[ $fail -eq 0 ] && echo "mac flood e2e ok ($limits mac_limit events, $known devices, $stored stored rows, $lines log lines)"
exit $fail
