#!/usr/bin/env bash
# Crash and restart (issue #6): "the daemon survives kill -9 at any moment and
# restarts with its last policy, its devices and every undelivered alert".
#   pv-sw      portvaktd: eth0 -> up (the RDnet host 10.20.0.1, uplink),
#              eth1 -> pc (pinned), eth2 -> laptop (quarantined),
#              eth3 -> newcomer (a new MAC every round: a new device)
# Policies tests/e2e/crash-a.yaml and crash-b.yaml route every alert to the
# webhook sink `desk` at http://127.0.0.1:18089 in the switch's namespace,
# where nothing listens until the end: alerts pile up in the spool.
# Five rounds, each: (re)start portvaktd (without --policy after the first),
# check what it came back with, then pushes alternate A and B every ~20 ms
# while pings run, and SIGKILL lands after a random delay. Rounds 1 and 4 run
# past the daemon's 5 s device flush before the random delay; the others are
# short. After each kill the spool is read (tools/e2e_probe.cc, read-only).
# After each restart:
#  - status runs the last version in the history, and that is the last push the
#    CLI saw acknowledged, or the one that was in flight when the kill came
#    (then with that file's hash); the forwarding thread runs it too and the
#    PC reaches the RDnet host again;
#  - the history is the one before the kill plus the pushes since: contiguous
#    versions, earlier entries unchanged, every acknowledged push in it;
#  - `portvakt devices --json` lists every device it listed at least 7 s before
#    the kill (the daemon writes devices every 5 s; younger ones may be lost
#    and are reported, not asserted).
# At the end a real HTTP receiver starts (portvakt_e2e_probe webhook-receiver)
# and the daemon is restarted once more: every alert in the spool for `desk`,
# including every one seen pending after a kill, must arrive exactly once
# (counted by Idempotency-Key) and be marked delivered.
# Usage: crash_restart.sh BUILD_DIR   (from the project root)
#   PV_CRASH_SEED fixes the random delays (the seed is printed).
# Requirements: R7, R9
source "$(dirname "$0")/common.bash"
probe=$build/tests/e2e/tools/portvakt_e2e_probe
here=$PWD/tests/e2e
A=$here/crash-a.yaml B=$here/crash-b.yaml
rounds=5 longRounds=" 1 4 "
flushMarginMs=7000
seed=${PV_CRASH_SEED:-$$}
RANDOM=$seed
for f in "$pvd" "$pv" "$probe"; do [ -x "$f" ] || { echo "FAIL: $f is not built"; exit 1; }; done
lab_new pvc$$
db=$work/state/portvakt.db
fail=0
daemon=

cleanup() {
  touch "$work/stop" "$work/stop-push"
  [ -n "$daemon" ] && kill -9 "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  lab_remove
}
trap cleanup EXIT
trap 'exit 1' INT TERM  # so that the EXIT trap runs on a signal too
failure() { echo "FAIL: $*"; fail=1; }
nowMs() { date +%s%3N; }
jget() { "$probe" json "$@"; }  # jget POINTER [FIELD] < json

hashOf() { "$pv" policy check "$1" | sed -n 's/.*: ok, \(sha256:[0-9a-f]*\).*/\1/p'; }
hashA=$(hashOf "$A") hashB=$(hashOf "$B")
[ -n "$hashA" ] && [ -n "$hashB" ] || { echo "FAIL: the crash policies do not compile"; exit 1; }

lab_hosts sw up pc laptop newcomer
upMac=02:00:00:00:01:01 pcMac=02:00:00:00:00:23
lab_link eth0 up "$upMac" 10.20.0.1/16
lab_link eth1 pc "$pcMac" 10.20.0.23/16
lab_link eth2 laptop a4:83:e7:00:00:01 10.20.0.99/16
lab_link eth3 newcomer a4:83:e7:00:10:00 10.20.0.50/16
for h in pc laptop newcomer; do ip -n "$(ns $h)" neigh replace 10.20.0.1 lladdr "$upMac" dev lan0 nud permanent; done
ip -n "$(ns up)" neigh replace 10.20.0.23 lladdr "$pcMac" dev lan0 nud permanent

status() { "$pv" status --json > "$work/status.json" 2>"$work/status.err"; }
startDaemon() {  # [--policy FILE]; returns once the new daemon answers
  ip netns exec "$(ns sw)" "$pvd" "$@" --socket "$PORTVAKT_SOCKET" --metrics "" --state-dir "$work/state" \
    2>>"$work/daemon.log" &
  daemon=$!
  for _ in $(seq 150); do
    status && return 0
    kill -0 "$daemon" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
reaches() {  # the PC's ping gets through within ~5 s
  for _ in $(seq 10); do
    ip netns exec "$(ns pc)" ping -q -c 1 -W 0.5 10.20.0.1 >/dev/null 2>&1 && return 0
  done
  return 1
}

# Devices: every MAC `portvakt devices` lists, with the time it was first listed
# ($work/first-listed: "mac ms"); $work/devices.now: "mac first_seen" as listed.
: > "$work/first-listed"
devicesMissing=0
listDevices() {
  if ! "$pv" devices --json > "$work/devices.json" 2>"$work/devices.err" ||
     ! jget /devices mac < "$work/devices.json" > "$work/devices.mac" 2>>"$work/devices.err" ||
     ! jget /devices first_seen < "$work/devices.json" > "$work/devices.first" 2>>"$work/devices.err"; then
    [ $devicesMissing -eq 0 ] &&
      failure "'portvakt devices --json' did not list devices: $(head -c 300 "$work/devices.err")"
    devicesMissing=1
    : > "$work/devices.now"
    return 1
  fi
  paste -d' ' <(tr 'A-F' 'a-f' < "$work/devices.mac") "$work/devices.first" | sort -u > "$work/devices.now"
  local t m; t=$(nowMs)
  while read -r m _; do grep -q "^$m " "$work/first-listed" || echo "$m $t" >> "$work/first-listed"; done < "$work/devices.now"
}

# History as "version hash time uid source" lines.
historyLines() {
  "$pv" policy history --json > "$work/history.json" 2>/dev/null || return 1
  paste -d' ' <(jget /history version < "$work/history.json") <(jget /history hash < "$work/history.json") \
    <(jget /history time < "$work/history.json") <(jget /history uid < "$work/history.json") \
    <(jget /history source < "$work/history.json")
}

: > "$work/acked"; : > "$work/pending-after-kills"
expectVersion=0 expectHash= inflightCase=0 checkedDevices=0 youngDevices=0
# After a (re)start: the policy, the history, the devices, forwarding.
checkRestart() {
  local round=$1 n v h sv sh dh lastAckV lastAckH t m k
  historyLines > "$work/history.now" || { failure "round $round: policy history failed"; return; }
  n=$(wc -l < "$work/history.now")
  awk '$1 != NR { bad = 1 } END { exit bad }' "$work/history.now" ||
    failure "round $round: history versions are not 1..$n: $(cut -d' ' -f1 "$work/history.now" | tr '\n' ' ')"
  if [ -s "$work/history.before" ]; then
    head -n "$(wc -l < "$work/history.before")" "$work/history.now" | cmp -s - "$work/history.before" ||
      failure "round $round: history entries from before the kill changed"
  fi
  while read -r t v h; do
    grep -q "^$v $h " "$work/history.now" || failure "round $round: acknowledged push version $v ($h) is not in the history"
  done < "$work/acked"
  read -r v h _ < <(tail -n 1 "$work/history.now")
  sv=$(jget /policy/version < "$work/status.json") sh=$(jget /policy/hash < "$work/status.json")
  [ "$sv" = "$v" ] && [ "$sh" = "$h" ] ||
    failure "round $round: status runs version $sv ($sh), the history's last is $v ($h)"
  if [ "$round" -gt 1 ]; then
    if [ "$v" = "$expectVersion" ]; then
      [ "$h" = "$expectHash" ] || failure "round $round: version $v has hash $h, the push was acknowledged with $expectHash"
    elif [ "$v" = $((expectVersion + 1)) ]; then
      # The kill came while a push was in flight: it was recorded but not answered.
      inflightCase=$((inflightCase + 1))
      [ "$h" = "$(hashOf "$(cat "$work/inflight")")" ] ||
        failure "round $round: version $v (not acknowledged) has hash $h, not that of the push in flight ($(cat "$work/inflight"))"
    else
      failure "round $round: restarted with version $v; the last acknowledged push was $expectVersion"
    fi
  fi
  expectVersion=$v expectHash=$h
  cp "$work/history.now" "$work/history.before"
  for _ in $(seq 20); do
    dh=$(jget /dataplane/policy_hash < "$work/status.json" 2>/dev/null)
    [ "$dh" = "$h" ] && break
    sleep 0.1; status
  done
  [ "$dh" = "$h" ] || failure "round $round: the forwarding thread runs '$dh', not $h"
  reaches || failure "round $round: the PC does not reach the RDnet host after the restart"
  [ "$round" -gt 1 ] || return
  listDevices || return
  # A device the daemon listed long enough before the kill must be listed with
  # the first_seen it had then (a device learned anew from traffic would not be).
  local seen
  : > "$work/first-listed.next"
  while read -r m t; do
    seen=$(awk -v m="$m" '$1 == m { print $2 }' "$work/devices.now")
    if [ -n "$seen" ] && [ "$seen" -le $((t / 1000)) ]; then
      echo "$m $t" >> "$work/first-listed.next"
      [ "$t" -le $((lastKillMs - flushMarginMs)) ] && checkedDevices=$((checkedDevices + 1))
    elif [ "$t" -le $((lastKillMs - flushMarginMs)) ]; then
      if [ -z "$seen" ]; then
        failure "round $round: device $m, listed $(((lastKillMs - t) / 1000)) s before the kill, is gone after the restart"
      else
        failure "round $round: device $m, listed $(((lastKillMs - t) / 1000)) s before the kill, is listed with first_seen $seen: learned anew, not remembered"
      fi
      echo "$m $t" >> "$work/first-listed.next"
    else
      youngDevices=$((youngDevices + 1))
      echo "  (device $m, first listed $((lastKillMs - t)) ms before the kill, was not kept: younger than the 5 s flush)"
      [ -n "$seen" ] && echo "$m $(nowMs)" >> "$work/first-listed.next"  # learned again: a new device
    fi
  done < "$work/first-listed"
  mv "$work/first-listed.next" "$work/first-listed"
}

# Traffic that runs through every round (it fails while the daemon is down).
( while [ ! -e "$work/stop" ]; do ip netns exec "$(ns pc)" ping -q -i 0.01 -c 100 -W 1 10.20.0.1 >/dev/null 2>&1; done ) &
( while [ ! -e "$work/stop" ]; do ip netns exec "$(ns laptop)" ping -q -i 0.05 -c 20 -W 1 10.20.0.1 >/dev/null 2>&1; done ) &
( while [ ! -e "$work/stop" ]; do ip netns exec "$(ns newcomer)" ping -q -i 0.05 -c 20 -W 1 10.20.0.1 >/dev/null 2>&1; done ) &

echo "crash and restart: $rounds kills (seed $seed)"
for round in $(seq "$rounds"); do
  if [ "$round" -eq 1 ]; then startDaemon --policy "$A"; else startDaemon; fi ||
    { failure "round $round: portvaktd did not come up"; tail -20 "$work/daemon.log"; exit 1; }
  roundStartMs=$(nowMs)
  checkRestart "$round"
  # A new device on the newcomer's jack (its link goes down and up: link events too).
  ip -n "$(ns newcomer)" link set lan0 down
  ip -n "$(ns newcomer)" link set lan0 address "a4:83:e7:00:10:0$round"
  ip -n "$(ns newcomer)" link set lan0 up
  # Pushes alternate A and B, starting with the one not running.
  rm -f "$work/stop-push"
  [ "$expectHash" = "$hashB" ] && first=$A second=$B || first=$B second=$A
  ( i=0
    while [ ! -e "$work/stop-push" ]; do
      if [ $((i % 2)) -eq 0 ]; then f=$first; else f=$second; fi
      echo "$f" > "$work/inflight"
      if "$pv" policy push "$f" --json > "$work/push.out" 2>&1; then
        echo "$(nowMs) $(jget /version/version < "$work/push.out") $(jget /version/hash < "$work/push.out")" >> "$work/acked"
      else
        echo "$(nowMs) $(tr '\n' ' ' < "$work/push.out")" > "$work/push-failed"
        break
      fi
      i=$((i + 1))
      sleep 0.02
    done ) &
  pusher=$!
  if [[ $longRounds == *" $round "* ]]; then
    sleep 1.5; listDevices
    sleep 7
    delay=$((RANDOM % 1500))
  else
    delay=$((50 + RANDOM % 2500))
  fi
  sleep "$(awk -v d=$delay 'BEGIN { printf "%.3f", d / 1000 }')"
  listDevices
  lastKillMs=$(nowMs)
  kill -9 "$daemon"
  wait "$daemon" 2>/dev/null
  daemon=
  touch "$work/stop-push"
  wait "$pusher"
  if [ -s "$work/push-failed" ]; then
    read -r t _ < "$work/push-failed"
    [ "$t" -ge "$lastKillMs" ] || failure "round $round: a push failed before the kill: $(cat "$work/push-failed")"
    rm -f "$work/push-failed"
  fi
  roundAcks=$(awk -v s="$roundStartMs" '$1 >= s' "$work/acked" | wc -l)
  if [ "$roundAcks" -gt 0 ]; then read -r _ expectVersion expectHash < <(tail -n 1 "$work/acked"); fi
  if ! "$probe" spool "$db" desk > "$work/spool.txt" 2>"$work/spool.err"; then
    failure "round $round: cannot read the spool after the kill: $(cat "$work/spool.err")"
  fi
  pending=$(awk '$2 == "pending" { print $1 }' "$work/spool.txt" | tee -a "$work/pending-after-kills" | wc -l)
  echo "round $round: SIGKILL $((lastKillMs - roundStartMs)) ms after it answered, $roundAcks pushes acknowledged" \
    "(last v$expectVersion), $(wc -l < "$work/devices.now") devices listed, $pending alerts pending for desk"
done
touch "$work/stop"
wait  # the traffic loops end with their current batch

# The receiver comes back: a real HTTP server in the switch's namespace.
ip netns exec "$(ns sw)" "$probe" webhook-receiver 18089 "$work/keys.log" "$work/receiver.ready" 2>"$work/receiver.err" &
for _ in $(seq 50); do [ -e "$work/receiver.ready" ] && break; sleep 0.1; done
[ -e "$work/receiver.ready" ] || { failure "the webhook receiver did not start: $(cat "$work/receiver.err")"; exit 1; }
final=$((rounds + 1))
startDaemon || { failure "the final restart failed"; tail -20 "$work/daemon.log"; exit 1; }
checkRestart "$final"
# Everything pending goes out (the sink's backoff after the outage is a few seconds).
delivered=0
for _ in $(seq 120); do
  if "$probe" spool "$db" desk > "$work/spool.txt" 2>"$work/spool.err" && [ -s "$work/spool.txt" ] &&
     ! grep -q ' pending ' "$work/spool.txt"; then
    delivered=1; break
  fi
  sleep 0.5
done
[ $delivered -eq 1 ] || failure "alerts still pending for desk 60 s after the receiver came back: $(grep -c ' pending ' "$work/spool.txt")"
sleep 1  # nothing more may arrive
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died after the final restart"
kill -TERM "$daemon"; wait "$daemon"; rc=$?; daemon=
[ $rc -eq 0 ] || failure "portvaktd exited $rc on SIGTERM"
"$probe" spool "$db" desk > "$work/spool.txt" 2>"$work/spool.err" || failure "cannot read the spool: $(cat "$work/spool.err")"

# Exactly once: every alert for desk arrived once, nothing else arrived.
cut -d' ' -f1 "$work/spool.txt" | sort > "$work/spooled"
sort "$work/keys.log" > "$work/received"
sort -u "$work/pending-after-kills" > "$work/pending"
dups=$(uniq -d "$work/received" | wc -l)
missing=$(comm -23 "$work/spooled" <(sort -u "$work/received") | wc -l)
unknown=$(comm -13 "$work/spooled" <(sort -u "$work/received") | wc -l)
lostPending=$(comm -23 "$work/pending" <(sort -u "$work/received") | wc -l)
notDelivered=$(awk '$2 != "delivered"' "$work/spool.txt" | wc -l)
echo "alerts for desk: $(wc -l < "$work/spooled") in the spool ($(cut -d' ' -f3 "$work/spool.txt" | sort | uniq -c |
  awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')); $(wc -l < "$work/pending") seen pending after a kill;" \
  "$(wc -l < "$work/received") requests received, $(sort -u "$work/received" | wc -l) distinct keys"
echo "restarts: $inflightCase with the push that was in flight at the kill; $checkedDevices device checks" \
  "(listed >= $((flushMarginMs / 1000)) s before a kill), $youngDevices younger devices not kept"
[ "$(wc -l < "$work/pending")" -gt 0 ] || failure "no alert was pending after any kill: the test proves nothing"
[ "$dups" -eq 0 ] || failure "$dups alert ids arrived more than once: $(uniq -d "$work/received" | head -3 | tr '\n' ' ')"
[ "$missing" -eq 0 ] || failure "$missing alerts in the spool never arrived"
[ "$unknown" -eq 0 ] || failure "$unknown keys arrived that are not in the spool"
[ "$lostPending" -eq 0 ] || failure "$lostPending alerts seen pending after a kill never arrived (or left the spool)"
[ "$notDelivered" -eq 0 ] || failure "$notDelivered spool rows for desk are not marked delivered"
[ $devicesMissing -eq 1 ] || [ "$checkedDevices" -gt 0 ] || failure "no device was old enough to check: the test proves nothing"

if [ $fail -ne 0 ]; then echo "--- daemon log"; grep -v '"event"' "$work/daemon.log" | tail -30; fi
[ $fail -eq 0 ] && echo "crash and restart e2e ok"
exit $fail
