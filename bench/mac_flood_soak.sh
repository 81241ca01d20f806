#!/usr/bin/env bash
# MAC-flood soak (issue 14): portvaktd between lab hosts in network namespaces,
# a random-source-MAC flood on one access port (mausezahn -a rand, as fast as
# it goes) beside an admitted PC's ping to the uplink on another port. Prints
# per interval (default 60 s): portvaktd's RSS, the state directory's size
# (database + WAL), the daemon's stderr bytes, the ping loss in that interval,
# the flood frames received by the switch port; and at the end whether memory,
# state and log are flat after the first interval (growth over the rest of the
# run within the tolerance) and whether the legitimate flow lost nothing.
#
#   sudo bench/mac_flood_soak.sh BUILD_DIR [--duration S] [--interval S]
#                                [--portvaktd PATH] [--tolerance-kib K] [--policy FILE]
#
# Defaults: 600 s, 60 s intervals, the build's portvaktd, 2048 KiB tolerance
# (for each of RSS and state dir; the log must not grow by more than 64 KiB per
# interval, i.e. the rate-limited summaries); bench/mac-flood.yaml, or FILE
# with the same ports (bench/mac-flood-monitor.yaml: the flood jack in
# monitor mode, so the flood reaches the profiler). Exit 0 when flat and lossless,
# 1 otherwise, 77 with "skip:" without root or mausezahn. Everything it creates
# (namespaces pvflood<pid>-*, a temp dir) is removed at exit, also on failure
# or a signal (the lab: tests/support/lab.bash).
# Lab:
#   <tag>-pc    lan0 02:00:00:78:00:01 10.78.0.1 -- eth0 \
#   <tag>-flood lan0 (mausezahn)                 -- eth1  [<tag>-sw: portvaktd]
#   <tag>-up    lan0 10.78.0.2                   -- eth2 /
set -uo pipefail
build=${1:?usage: mac_flood_soak.sh BUILD_DIR [--duration S] [--interval S] [--portvaktd PATH] [--tolerance-kib K]}
shift
duration=600 interval=60 tolerance=2048 pvd= policy=
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --portvaktd) pvd=$2; shift 2 ;;
    --tolerance-kib) tolerance=$2; shift 2 ;;
    --policy) policy=$(cd "$(dirname "$2")" && pwd)/$(basename "$2"); shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
source "$src/tests/support/lab.bash"
lab_require_root
lab_require_tools mausezahn
custom_pvd=$pvd
lab_paths "$build"
[ -n "$custom_pvd" ] && pvd=$custom_pvd
[ -n "$policy" ] || policy=$src/bench/mac-flood.yaml
lab_new pvflood$$
flooder= pinger=
cleanup() {
  for p in $pinger $flooder; do kill "$p" 2>/dev/null; done
  lab_remove  # portvaktd runs in the switch's namespace
}
trap cleanup EXIT
trap 'exit 1' INT TERM

lab_hosts sw pc flood up
lab_link eth0 pc 02:00:00:78:00:01 10.78.0.1/24
lab_link eth1 flood 02:00:00:78:00:99
lab_link eth2 up 02:00:00:78:00:02 10.78.0.2/24

lab_daemon "$policy"
ip netns exec "$(ns pc)" ping -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null || { echo "FAIL: the PC cannot reach the uplink host before the flood"; exit 1; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$daemon/status"; }
state_kib() { du -sk "$work/state" | cut -f1; }
db_kib() { du -k "$work/state/portvakt.db" | cut -f1; }
wal_kib() { if [ -f "$work/state/portvakt.db-wal" ]; then du -k "$work/state/portvakt.db-wal" | cut -f1; else echo 0; fi; }
log_bytes() { stat -c %s "$work/daemon.log"; }
rx_frames() { ip netns exec "$(ns sw)" cat /sys/class/net/eth1/statistics/rx_packets; }

echo "mac-flood soak: $duration s, $(nproc) cores, $(basename "$pvd") $(git -C "$src" rev-parse --short HEAD 2>/dev/null), $(basename "$policy")"
echo "legitimate flow: ping 10.78.0.1 -> 10.78.0.2 every 0.1 s on eth0; flood: mausezahn -a rand on eth1"
ip netns exec "$(ns flood)" mausezahn lan0 -q -a rand -b ff:ff:ff:ff:ff:ff -c 0 -d 0 -t udp "sp=1234,dp=9" \
  -A 10.78.0.66 -B 10.78.0.2 >/dev/null 2>&1 &
flooder=$!
printf "%6s %10s %10s %8s %8s %12s %10s %10s %10s\n" t_s rss_kib state_kib db_kib wal_kib log_bytes flood_fps ping_sent ping_lost
declare -a rss state logb
t=0 lost_total=0 sent_total=0 rx_before=$(rx_frames)
while [ $t -lt "$duration" ]; do
  step=$interval
  [ $((t + step)) -gt "$duration" ] && step=$((duration - t))
  count=$((step * 10))
  out=$(ip netns exec "$(ns pc)" ping -q -c "$count" -i 0.1 -W 1 10.78.0.2 2>&1)
  sent=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p')
  recv=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p')
  t=$((t + step))
  kill -0 "$daemon" 2>/dev/null || { echo "FAIL: portvaktd died"; tail -20 "$work/daemon.log"; exit 1; }
  rx_now=$(rx_frames)
  rss+=("$(rss_kib)"); state+=("$(state_kib)"); logb+=("$(log_bytes)")
  sent_total=$((sent_total + ${sent:-0})); lost_total=$((lost_total + ${sent:-0} - ${recv:-0}))
  printf "%6d %10d %10d %8d %8d %12d %10d %10d %10d\n" "$t" "${rss[-1]}" "${state[-1]}" "$(db_kib)" "$(wal_kib)" "${logb[-1]}" \
    $(( (rx_now - rx_before) / step )) "${sent:-0}" "$(( ${sent:-0} - ${recv:-0} ))"
  rx_before=$rx_now
done
kill "$flooder" 2>/dev/null; wait "$flooder" 2>/dev/null; flooder=

# Flat: from the end of the first interval to the end, RSS and state grew by
# less than the tolerance, and the log by less than 64 KiB per interval.
n=${#rss[@]}
verdict=0
if [ "$n" -ge 2 ]; then
  drss=$((rss[n-1] - rss[0])); dstate=$((state[n-1] - state[0])); dlog=$((logb[n-1] - logb[0]))
  loglimit=$(( (n - 1) * 64 * 1024 ))
  echo "after the first interval: RSS +${drss} KiB, state +${dstate} KiB, log +${dlog} B (tolerance ${tolerance} KiB, log ${loglimit} B)"
  [ "$drss" -le "$tolerance" ] || { echo "NOT FLAT: RSS"; verdict=1; }
  [ "$dstate" -le "$tolerance" ] || { echo "NOT FLAT: state directory"; verdict=1; }
  [ "$dlog" -le "$loglimit" ] || { echo "NOT FLAT: log"; verdict=1; }
fi
echo "legitimate flow: $sent_total pings, $lost_total lost"
[ "$lost_total" -eq 0 ] || verdict=1
grep 'similar event lines suppressed' "$work/daemon.log" | sort | uniq -c | sort -rn | head -3
echo "mac_limit events in the log: $(grep -c '"event":"mac_limit"' "$work/daemon.log"), summary lines: $(grep -c 'similar event lines suppressed' "$work/daemon.log")"
[ $verdict -eq 0 ] && echo "FLAT and lossless" || echo "RESULT: not flat or not lossless"
exit $verdict
