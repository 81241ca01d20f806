#!/usr/bin/env bash
# The management API under load (issue 16, "Measured"): requests per second and
# p50/p99 latency of GET status and GET devices with 500 devices, over HTTPS
# with mutual TLS from a loopback client (bench/https_load.cc: cpp-httplib, one
# kept-alive connection per client thread), beside the same calls over the
# Unix socket in the same run (one connection per request: that socket's
# protocol); meanwhile a PC pings its uplink host through the switch every
# 10 ms, and the loss is printed. With --rollout it also runs
# tests/fleet/ansible_rollout.sh and prints the time of its four-clinic
# roll-out (the apply run of ansible-playbook).
#
#   sudo bench/https_fleet_bench.sh BUILD_DIR [--requests N] [--rollout]
#
# Lab (namespaces pvhb<pid>-*, removed at exit, also on failure or a signal):
#   <tag>-pc   lan0 02:00:00:78:00:01 10.78.0.1 -- eth0 (pinned into lab)  \
#   <tag>-dev  lan0 (500 devices, one frame each) -- eth1 (monitor mode)   [<tag>-sw: portvaktd,
#   <tag>-up   lan0 10.78.0.2                  -- eth2 (uplink)           /  HTTPS on 127.0.0.1]
# Nothing is asserted about speed: it prints the figures (docs/performance.md).
# Exit 1 when a request failed or a ping was lost, 0 with "skip:" without root.
set -uo pipefail
build=${1:?usage: https_fleet_bench.sh BUILD_DIR [--requests N] [--rollout]}
shift
requests=2000 rollout=
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --rollout) rollout=1; shift ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (network namespaces)"; exit 0; fi
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
pvd=$build/control/portvaktd
pv=$build/control/portvakt
load=$build/bench/portvakt_https_load
[ -x "$load" ] || { echo "FAIL: $load is missing (cmake --build $build --target portvakt_https_load)"; exit 1; }
tag=pvhb$$
ns() { echo "$tag-$1"; }
work=$(mktemp -d)
daemon= pinger=
cleanup() {
  for p in $pinger $daemon; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  for n in sw pc dev up; do ip netns del "$(ns $n)" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Certificates: the CA, the appliance (127.0.0.1), an engineer's client certificate.
pki=$work/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 -subj "/CN=Bench CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
cert() {  # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -out "$pki/$1.crt" \
    -days 2 -extfile "$pki/$1.ext" 2>/dev/null
  chmod 600 "$pki/$1.key"
}
cert server "/CN=localhost" "$(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth')"
cert eva "/OU=Network Engineering/CN=eva" "extendedKeyUsage=clientAuth"

for n in sw pc dev up; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
ip -n "$(ns sw)" link set lo up
link() {  # switch-side name, host ns, host MAC, host address
  ip link add "$1" netns "$(ns sw)" type veth peer name lan0 netns "$(ns $2)" || { echo "FAIL: veth $1"; exit 1; }
  ip -n "$(ns $2)" link set lan0 address "$3"
  [ -n "$4" ] && ip -n "$(ns $2)" addr add "$4" dev lan0
  ip -n "$(ns $2)" link set lan0 up
  ip -n "$(ns sw)" link set "$1" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip netns exec "$(ns $2)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=1
}
link eth0 pc 02:00:00:78:00:01 10.78.0.1/24
link eth1 dev 02:00:00:78:00:99 ""
link eth2 up 02:00:00:78:00:02 10.78.0.2/24

ip netns exec "$(ns sw)" "$pvd" --policy "$src/bench/https-fleet-bench.yaml" --socket "$work/api.sock" --metrics "" \
  --state-dir "$work/state" --https 127.0.0.1:0 --https-cert "$pki/server.crt" --https-key "$pki/server.key" \
  --https-ca "$pki/ca.crt" 2>"$work/daemon.log" &
daemon=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*HTTPS API on .* (port \([0-9]*\)).*/\1/p' "$work/daemon.log")
  [ -n "$port" ] && [ -S "$work/api.sock" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: portvaktd did not start HTTPS"; cat "$work/daemon.log"; exit 1; }
ip netns exec "$(ns pc)" ping -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null || { echo "FAIL: the PC cannot reach its uplink host"; exit 1; }

# 500 devices, one broadcast frame each (an ARP request), from one raw socket.
ip netns exec "$(ns dev)" /usr/bin/python3 - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("lan0", 0))
for i in range(500):
    mac = bytes([0x00, 0x1a, 0xe8, 0x00, i >> 8, i & 0xff])
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, bytes([10, 78, 1 + (i >> 8), i & 0xff]),
                      b"\0" * 6, bytes([10, 78, 0, 2]))
    s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)
EOF
devices=0
for _ in $(seq 60); do
  devices=$("$pv" devices --json --socket "$work/api.sock" 2>/dev/null | grep -c '"mac"')
  [ "$devices" -ge 500 ] && break
  sleep 0.5
done
[ "$devices" -ge 500 ] || echo "note: the daemon lists $devices devices, not 500+"

echo "https_fleet_bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), portvaktd $(git -C "$src" rev-parse --short HEAD 2>/dev/null), $devices devices, $requests requests per case"
secs=$(( requests / 50 + 30 ))
ip netns exec "$(ns pc)" ping -q -c $((secs * 100)) -i 0.01 -W 1 10.78.0.2 > "$work/ping" 2>&1 &
pinger=$!
verdict=0
run() {  # where, then the load client's arguments
  ip netns exec "$(ns sw)" "$load" "$@" || verdict=1
}
for clients in 1 4; do
  run https 127.0.0.1 "$port" /api/v1/status "$pki/eva.crt" "$pki/eva.key" "$pki/ca.crt" "$requests" $clients
  run unix "$work/api.sock" status "$requests" $clients
  run https 127.0.0.1 "$port" /api/v1/devices "$pki/eva.crt" "$pki/eva.key" "$pki/ca.crt" "$requests" $clients
  run unix "$work/api.sock" devices "$requests" $clients
done
# The CLI over HTTPS, one call per process as an engineer runs it: its own
# connection and TLS handshake each time (what the load client above does
# every kHttpsKeepAliveRequests requests).
cli_calls=50
cli_start=$(date +%s%N)
for _ in $(seq $cli_calls); do
  ip netns exec "$(ns sw)" "$pv" status --server "https://127.0.0.1:$port" --cert "$pki/eva.crt" --key "$pki/eva.key" \
    --ca "$pki/ca.crt" >/dev/null || { verdict=1; break; }
done
cli_ms=$(( ($(date +%s%N) - cli_start) / 1000000 ))
echo "cli portvakt status --server https://... calls $cli_calls total_ms $cli_ms per_call_ms $(( cli_ms / cli_calls ))"
kill -INT "$pinger" 2>/dev/null
wait "$pinger" 2>/dev/null
pinger=
sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' "$work/ping")
recv=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' "$work/ping")
echo "forwarding meanwhile: ping every 10 ms through the switch: ${sent:-0} sent, $(( ${sent:-0} - ${recv:-0} )) lost"
[ "${sent:-0}" -gt 0 ] && [ "${sent:-0}" = "${recv:-0}" ] || verdict=1
kill -0 "$daemon" 2>/dev/null || { echo "FAIL: portvaktd died"; tail "$work/daemon.log"; verdict=1; }

if [ -n "$rollout" ]; then
  out=$work/rollout.out
  (cd "$src" && bash tests/fleet/ansible_rollout.sh "$build") > "$out" 2>&1 || { echo "the roll-out test failed:"; tail -20 "$out"; verdict=1; }
  grep '^timing:' "$out"
fi
exit $verdict
