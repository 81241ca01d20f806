#!/usr/bin/env bash
# Reload under load (issue #6): continuous traffic through portvaktd while 100
# pushes alternate between two policies; no frame of the allowed traffic may be
# lost and no frame of the denied traffic may arrive.
#   pv-sw      portvaktd: eth0 -> up (the RDnet host 10.20.0.1, uplink),
#              eth1 -> pc (pinned into region), eth2 -> laptop (unknown:
#              quarantine), eth3 -> guest (admitted by a pin in B only)
# Policies: tests/e2e/reload-a.yaml and reload-b.yaml (same zones and ports,
# different pins, inventory, classes and flows; both allow X and deny Y).
#   X: the PC's ping flood and UDP to port 5000 on the RDnet host. Lost = echo
#      requests without a reply + UDP datagrams sent but not captured at up.
#   Y: the PC's UDP to port 9999 (no flow allows it) and the quarantined
#      laptop's pings (with a static ARP entry, so real IP frames reach the
#      switch). Delivered = frames of Y captured at up.
# Asserted: X lost = 0, Y delivered = 0, every push acknowledged and recorded in
# the history, every push taken by the forwarding thread (status' dataplane
# hash), the daemon alive. Measured: each push command's wall time and the
# dataplane's pick-up time (status' dataplane.last_reload_us).
# Then, measured and reported but not asserted for X: pushes that change the
# ports (reload-a-ports.yaml), which make the daemon reopen them.
# Usage: reload_under_load.sh BUILD_DIR   (from the project root)
#   PV_RELOAD_PUSHES (100) and PV_RELOAD_PORT_PUSHES (10) change the counts.
# Requirements: R9
source "$(dirname "$0")/common.bash"
probe=$build/tests/e2e/tools/portvakt_e2e_probe
here=$PWD/tests/e2e
pushes=${PV_RELOAD_PUSHES:-100}
portPushes=${PV_RELOAD_PORT_PUSHES:-10}
for f in "$pvd" "$pv" "$probe"; do [ -x "$f" ] || { echo "FAIL: $f is not built"; exit 1; }; done
lab_new pvu$$
fail=0
daemon=

cleanup() {
  touch "$work/stop"
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  lab_remove
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # so that the EXIT trap runs on a signal too
failure() { echo "FAIL: $*"; fail=1; }

lab_hosts sw up pc laptop guest
upMac=02:00:00:00:01:01 pcMac=02:00:00:00:00:23 laptopMac=a4:83:e7:00:00:01 guestMac=02:00:00:00:00:33
lab_link eth0 up "$upMac" 10.20.0.1/16
lab_link eth1 pc "$pcMac" 10.20.0.23/16
lab_link eth2 laptop "$laptopMac" 10.20.0.99/16
lab_link eth3 guest "$guestMac" 10.20.0.33/16
# Static neighbours: no ARP in the measurement (its retries would hide or add loss).
for h in pc laptop guest; do ip -n "$(ns $h)" neigh replace 10.20.0.1 lladdr "$upMac" dev lan0 nud permanent; done
ip -n "$(ns up)" neigh replace 10.20.0.23 lladdr "$pcMac" dev lan0 nud permanent
ip -n "$(ns up)" neigh replace 10.20.0.33 lladdr "$guestMac" dev lan0 nud permanent

# Metrics on the switch namespace's own loopback: where lost frames went
# (portvakt_frames_dropped_total by reason) is printed when X loses any.
ip netns exec "$(ns sw)" "$pvd" --policy "$here/reload-a.yaml" --socket "$PORTVAKT_SOCKET" --metrics 127.0.0.1:9120 \
  --state-dir "$work/state" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$PORTVAKT_SOCKET" ] && break; sleep 0.1; done
[ -S "$PORTVAKT_SOCKET" ] || { echo "FAIL: portvaktd did not start"; cat "$work/daemon.log"; exit 1; }

jget() { "$probe" json "$@"; }  # jget POINTER < json
status() { "$pv" status --json > "$work/status.json" 2>"$work/status.err"; }
historyCount() { "$pv" policy history --json 2>/dev/null | jget /history version | wc -l; }
status || { echo "FAIL: status"; cat "$work/status.err"; exit 1; }
if ! jget /dataplane/policy_hash < "$work/status.json" >/dev/null 2>&1; then
  echo "FAIL: 'portvakt status --json' has no dataplane.policy_hash (what the forwarding thread runs); cannot measure"
  exit 1
fi

ping2() { ip netns exec "$(ns $1)" ping -q -c 2 -i 0.2 -W 1 10.20.0.1 >/dev/null 2>&1; }
# The lab is up when the PC's ping gets through (veths take a moment to pass frames).
for _ in $(seq 50); do ping2 pc && break; sleep 0.1; done
ping2 pc || failure "the PC cannot reach the RDnet host under A before any push"

# A and B really differ: the guest is quarantined under A and admitted under B.
pushTo() { "$pv" policy push "$1" --json > "$work/push.json" 2>"$work/push.err"; }
ping2 guest && failure "the guest reaches RDnet under A (it has no pin there)"
pushTo "$here/reload-b.yaml" || failure "push B: $(cat "$work/push.err")"
sleep 0.3
ping2 guest || failure "the guest cannot reach RDnet under B (its pin should admit it)"
pushTo "$here/reload-a.yaml" || failure "push A: $(cat "$work/push.err")"
sleep 0.3
ping2 guest && failure "the guest still reaches RDnet after going back to A"
if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -30 "$work/daemon.log"; exit 1; fi

pct() {  # pct FILE PERCENT: nearest-rank percentile of the numbers in FILE
  sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

# runPhase NAME FIRST SECOND COUNT: traffic X and Y run while COUNT pushes
# alternate FIRST, SECOND, FIRST, ... (the daemon runs SECOND when it starts).
# Leaves its figures in $work/NAME.*; sets the globals below.
runPhase() {
  local name=$1 first=$2 second=$3 count=$4 i f t0 t1 want got hist0 reloads0
  rm -f "$work/stop"
  : > "$work/$name.ping"; : > "$work/$name.push-us"; : > "$work/$name.dp-us"
  hist0=$(historyCount)
  status; reloads0=$(jget /dataplane/reloads < "$work/status.json")
  # The far side captures everything of X's UDP and Y, and nothing else.
  ip netns exec "$(ns up)" tcpdump -n -i lan0 -Q in -B 8192 -w "$work/$name.pcap" \
    "udp or ether src $laptopMac" 2>"$work/$name.tcpdump" &
  local cap=$!
  sleep 0.5
  # X (icmp): ping floods in batches, each batch waits for its last reply.
  ( while [ ! -e "$work/stop" ]; do
      ip netns exec "$(ns pc)" ping -q -f -c 2000 -W 2 10.20.0.1 >> "$work/$name.ping" 2>&1
    done ) &
  local xping=$!
  # X (udp 5000) and Y (udp 9999) from the PC, counting only successful sends.
  ip netns exec "$(ns pc)" bash -c '
    x=0 y=0
    while [ ! -e "$1" ]; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        echo x > /dev/udp/10.20.0.1/5000 2>/dev/null && x=$((x + 1))
        echo y > /dev/udp/10.20.0.1/9999 2>/dev/null && y=$((y + 1))
      done
      sleep 0.002
    done
    echo "$x $y" > "$2"' _ "$work/stop" "$work/$name.udp-sent" &
  local udp=$!
  # Y (quarantined laptop): pings that must never arrive.
  ( while [ ! -e "$work/stop" ]; do
      ip netns exec "$(ns laptop)" ping -q -i 0.01 -c 100 -W 1 10.20.0.1 >> "$work/$name.laptop" 2>&1
    done ) &
  local yping=$! started
  started=$(date +%s%N)
  sleep 0.5

  phasePushFailures=0 phaseNotTaken=0
  for i in $(seq "$count"); do
    if [ $((i % 2)) -eq 1 ]; then f=$first; else f=$second; fi
    t0=$(date +%s%N)
    if ! pushTo "$f"; then
      phasePushFailures=$((phasePushFailures + 1))
      echo "push $i ($f) failed: $(cat "$work/push.err")" >> "$work/$name.errors"
      continue
    fi
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000)) >> "$work/$name.push-us"
    want=$(jget /version/hash < "$work/push.json")
    got=
    for _ in $(seq 400); do
      status && got=$(jget /dataplane/policy_hash < "$work/status.json")
      [ "$got" = "$want" ] && break
      sleep 0.005
    done
    if [ "$got" = "$want" ]; then
      jget /dataplane/last_reload_us < "$work/status.json" >> "$work/$name.dp-us"
    else
      phaseNotTaken=$((phaseNotTaken + 1))
      echo "push $i: the dataplane runs '$got', not the pushed '$want'" >> "$work/$name.errors"
    fi
  done
  sleep 0.3
  touch "$work/stop"
  phaseMs=$(( ($(date +%s%N) - started) / 1000000 ))
  wait "$xping" "$udp" "$yping"
  sleep 0.5  # the last frames in flight
  kill -INT "$cap"; wait "$cap"

  phaseHistory=$(( $(historyCount) - hist0 ))
  status; phaseReloads=$(( $(jget /dataplane/reloads < "$work/status.json") - reloads0 ))
  phaseEchoSent=$(awk '/packets transmitted/ { s += $1 } END { print s + 0 }' "$work/$name.ping")
  phaseEchoAnswered=$(awk '/packets transmitted/ { s += $4 } END { print s + 0 }' "$work/$name.ping")
  phaseEchoDup=$(awk '/packets transmitted/ { for (i = 1; i <= NF; i++) if ($i ~ /^\+[0-9]+$/ && $(i + 1) ~ /^duplicates/) s += substr($i, 2) } END { print s + 0 }' "$work/$name.ping")
  read -r phaseUdpXSent phaseUdpYSent < "$work/$name.udp-sent"
  phaseUdpXGot=$(tcpdump -n -r "$work/$name.pcap" "udp dst port 5000" 2>/dev/null | wc -l)
  phaseUdpYGot=$(tcpdump -n -r "$work/$name.pcap" "udp dst port 9999" 2>/dev/null | wc -l)
  phaseLaptopSent=$(awk '/packets transmitted/ { s += $1 } END { print s + 0 }' "$work/$name.laptop")
  phaseLaptopGot=$(tcpdump -n -r "$work/$name.pcap" "ether src $laptopMac" 2>/dev/null | wc -l)
  phaseCapDropped=$(awk '/dropped by kernel/ { print $1 }' "$work/$name.tcpdump")
  phaseXLost=$((phaseEchoSent - phaseEchoAnswered + phaseUdpXSent - phaseUdpXGot))
  phaseYGot=$((phaseUdpYGot + phaseLaptopGot))
  # The drop counters by reason, and the kernel's own drops on each port.
  ip netns exec "$(ns sw)" curl -s -m 5 http://127.0.0.1:9120/metrics |
    grep -E '^portvakt_frames_dropped_total' | sort > "$work/$name.drops"
  "$pv" ports --json 2>/dev/null > "$work/$name.ports.json"
  printf '%s: %d pushes alternating %s / %s, traffic for %d ms\n' "$name" "$count" "$(basename "$first")" \
    "$(basename "$second")" "$phaseMs"
  printf '  X: icmp echo %d sent, %d answered (%d duplicates); udp 5000 %d sent, %d arrived -> lost %d\n' \
    "$phaseEchoSent" "$phaseEchoAnswered" "$phaseEchoDup" "$phaseUdpXSent" "$phaseUdpXGot" "$phaseXLost"
  printf '  Y: udp 9999 %d sent, %d arrived; quarantined laptop %d echo requests, %d frames arrived -> delivered %d\n' \
    "$phaseUdpYSent" "$phaseUdpYGot" "$phaseLaptopSent" "$phaseLaptopGot" "$phaseYGot"
  printf '  push command wall time (ms): p50 %s  p99 %s  max %s  (%d pushes, %d failed)\n' \
    "$(pct "$work/$name.push-us" 50 | awk '{ printf "%.1f", $1 / 1000 }')" \
    "$(pct "$work/$name.push-us" 99 | awk '{ printf "%.1f", $1 / 1000 }')" \
    "$(pct "$work/$name.push-us" 100 | awk '{ printf "%.1f", $1 / 1000 }')" \
    "$(wc -l < "$work/$name.push-us")" "$phasePushFailures"
  printf '  API swap -> dataplane runs it (us): p50 %s  p99 %s  max %s  (%d taken, reloads +%d, history +%d)\n' \
    "$(pct "$work/$name.dp-us" 50)" "$(pct "$work/$name.dp-us" 99)" "$(pct "$work/$name.dp-us" 100)" \
    "$(wc -l < "$work/$name.dp-us")" "$phaseReloads" "$phaseHistory"
  if [ "$phaseUdpXGot" -lt "$phaseUdpXSent" ]; then
    # The UDP sender does not slow down when frames are lost (ping -f does), so
    # its loss over its rate is how long forwarding stood still.
    printf '  udp 5000 lost %d of %d: about %s ms without forwarding per push\n' \
      "$((phaseUdpXSent - phaseUdpXGot))" "$phaseUdpXSent" \
      "$(awk -v l="$((phaseUdpXSent - phaseUdpXGot))" -v s="$phaseUdpXSent" -v ms="$phaseMs" -v n="$count" \
         'BEGIN { printf "%.0f", l / (s / ms) / n }')"
  fi
  if [ "$phaseXLost" -gt 0 ]; then
    echo "  drops since the daemon started (portvakt_frames_dropped_total), and the kernel's per port:"
    sed 's/^/    /' "$work/$name.drops"
    jq -r '.ports[] | "    \(.interface): switch rx_dropped \(.switch.rx_dropped // "-") tx_errors \(.switch.tx_errors // "-"); kernel rx_dropped \(.kernel.rx_dropped // "-") tx_dropped \(.kernel.tx_dropped // "-")"' \
      "$work/$name.ports.json" 2>/dev/null
  fi
  [ -s "$work/$name.errors" ] && head -5 "$work/$name.errors"
  [ "${phaseCapDropped:-x}" = 0 ] || failure "$name: the capture at the far side dropped frames ('${phaseCapDropped:-no tcpdump summary}'); counts are not exact"
  [ "$phaseEchoSent" -gt 0 ] && [ "$phaseUdpXSent" -gt 0 ] && [ "$phaseUdpYSent" -gt 0 ] && [ "$phaseLaptopSent" -gt 0 ] ||
    failure "$name: some traffic was never sent"
  return 0
}

echo "reload under load: $pushes pushes while X and Y run"
runPhase same-ports "$here/reload-b.yaml" "$here/reload-a.yaml" "$pushes"
[ "$phaseXLost" -eq 0 ] || failure "X lost $phaseXLost frames during the pushes"
[ "$phaseEchoDup" -eq 0 ] || failure "X: $phaseEchoDup duplicate echo replies (a frame forwarded twice)"
[ "$phaseYGot" -eq 0 ] || failure "Y: $phaseYGot denied frames were delivered"
[ "$phasePushFailures" -eq 0 ] || failure "$phasePushFailures pushes failed"
[ "$phaseHistory" -eq "$pushes" ] || failure "the history grew by $phaseHistory, not $pushes"
[ "$phaseNotTaken" -eq 0 ] || failure "$phaseNotTaken pushes were not taken by the dataplane"
[ "$phaseReloads" -eq "$pushes" ] || failure "dataplane.reloads grew by $phaseReloads, not $pushes"
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"

echo "pushes that change the ports (the daemon reopens them): measured, loss not asserted"
runPhase port-change "$here/reload-a-ports.yaml" "$here/reload-a.yaml" "$portPushes"
[ "$phaseYGot" -eq 0 ] || failure "ports phase, Y: $phaseYGot denied frames were delivered"
[ "$phasePushFailures" -eq 0 ] || failure "ports phase: $phasePushFailures pushes failed"
[ "$phaseHistory" -eq "$portPushes" ] || failure "ports phase: the history grew by $phaseHistory, not $portPushes"
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"
ping2 pc || failure "the PC cannot reach the RDnet host after the port changes"
# A clean stop (under ASan this is where leaks are reported).
kill -TERM "$daemon"; wait "$daemon"; rc=$?; daemon=
[ $rc -eq 0 ] || failure "portvaktd exited $rc on SIGTERM"

if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -30 "$work/daemon.log"; fi
[ $fail -eq 0 ] && echo "reload under load e2e ok"
exit $fail
