#!/usr/bin/env bash
# Measures 802.1X admission through portvaktd with real parts (FreeRADIUS on
# the switch namespace's loopback, hostapd per jack started by portvaktd,
# wpa_supplicant -D wired; the lab of tests/e2e/dot1x_lab.bash), each figure
# beside a baseline measured in the same run:
#   1. link up -> region access of the eKlient (RUNS runs, default 50; p50,
#      p99): the jack's link goes up, the PC sends its DHCP DISCOVER (the
#      Windows fingerprint) and pings an RDnet host every 10 ms; the time is
#      from `ip link set up` to the first echo reply. The device is forgotten
#      before each run, so it is admitted afresh. With 802.1X: the eKlient
#      authenticates (EAP-TLS) and is placed by the 802.1X class. Baseline:
#      the same device under a profiling-only policy (inventory + DHCP
#      fingerprint, the policy before issue 12).
#   2. new 802.1X sessions per second that portvaktd + hostapd sustain: N
#      supplicants (default 32) started at once on one jack (private macvlans)
#      and spread over 16 jacks, from their start to the last authorisation
#      in portvaktd's log. Baseline: N eapol_test runs (EAP-TLS straight to
#      the same FreeRADIUS, no hostapd, no portvaktd) at once.
# Usage (root): bench/dot1x_admission_bench.sh BUILD_DIR [RUNS] [SUPPLICANTS]
# Not a test: it prints figures, it asserts nothing (a failed step says so).
here=$(cd "$(dirname "$0")/../tests/e2e" && pwd)
source "$here/common.bash"
source "$here/dot1x_lab.bash"
dot1x_require_tools hostapd wpa_supplicant freeradius openssl eapol_test python3
runs=${2:-50}
count=${3:-32}

id=$$
ns() { echo "pvdb$id-$1"; }
work=$(mktemp -d /tmp/pvdot1xbench.XXXXXX)
export PORTVAKT_SOCKET=$work/api.sock
mac1=02:00:00:d1:00:01
labs="sw rdnet pc one"
for j in $(seq 1 16); do labs="$labs j$j"; done
daemon=
stop_daemon() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; daemon=; }
cleanup() {
  stop_daemon
  remove_lab "$labs"  # every process in the lab's namespaces: the supplicants too
}
trap cleanup EXIT
trap 'exit 1' INT TERM

dot1x_pki client1=EK-0001
DOT1X_RADIUS_MAX_SESSIONS=256 dot1x_radius_config

for n in $labs; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
ip -n "$(ns sw)" link set lo up
veth() {  # switch-side name, namespace, its side
  ip link add "$1" netns "$(ns sw)" type veth peer name "$3" netns "$(ns $2)" || { echo "FAIL: veth $1"; exit 1; }
  ip -n "$(ns $2)" link set "$3" up
  ip -n "$(ns sw)" link set "$1" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
}
veth eth0 rdnet up0; ip -n "$(ns rdnet)" addr add 10.20.0.1/16 dev up0
veth eth3 pc lan0; ip -n "$(ns pc)" link set lan0 address $mac1; ip -n "$(ns pc)" addr add 10.20.0.21/16 dev lan0
veth eth4 one jack
for j in $(seq 1 16); do veth "eth$((9 + j))" "j$j" jack; done
# Supplicants for the rate: COUNT private macvlans on the one jack (eth4),
# and the same number spread over the 16 jacks (eth10..eth25).
macvlan() {  # namespace name index
  ip -n "$(ns $1)" link add link jack name "$2" address "$(printf '02:00:00:e1:%02x:%02x' $(($3 / 256)) $(($3 % 256)))" \
    type macvlan mode private && ip -n "$(ns $1)" link set "$2" up
}
for i in $(seq 1 "$count"); do
  macvlan one "s$i" "$i"
  macvlan "j$(( (i - 1) % 16 + 1 ))" "s$i" $((1000 + i))
done

cat > "$work/dot1x.yaml" <<'EOF'
portvakt: 1
name: bench-dot1x
zones:
  region: {vlan: 10, purpose: "RDnet: eKlient PCs admitted by 802.1X"}
  quarantine: {vlan: 999, quarantine: true}
destinations:
  rdnet: {prefixes: [10.0.0.0/8]}
classes:
  eklient:
    zone: region
    priority: 100
    match: {inventory: true, dot1x: true, dhcp: {vendor_class: "MSFT 5.0"}}
    require: [inventory, dot1x]
    evidence: 2
ports:
  - {name: rdnet-uplink, interfaces: eth0, role: uplink, zones: [region]}
  - {name: jacks, interfaces: "eth[3-4]", role: access, zones: [region, quarantine], default_zone: quarantine, authentication: dot1x}
  - {name: many, interfaces: "eth[10-25]", role: access, zones: [region, quarantine], default_zone: quarantine, authentication: dot1x}
dot1x:
  radius_servers: ["127.0.0.1:1812"]
inventory:
  devices:
    - {mac: "02:00:00:d1:00:01", asset: EK-0001, hostname: EK-LAB-1}
flows:
  - {name: eklient-rdnet, from: region, to: rdnet}
EOF
# The baseline: the same site before issue 12, placed by profiling.
sed -e 's/name: bench-dot1x/name: bench-profiling/' -e 's/, authentication: dot1x//' \
  -e 's/match: {inventory: true, dot1x: true, dhcp: {vendor_class: "MSFT 5.0"}}/match: {inventory: true, dhcp: {vendor_class: "MSFT 5.0"}}/' \
  -e 's/require: \[inventory, dot1x\]/require: [inventory]/' -e '/^dot1x:/,+1d' "$work/dot1x.yaml" > "$work/profiling.yaml"

start_radius "$(ns sw)" || { tail -20 "$work/radius.log"; exit 1; }
start_daemon() {  # policy
  : > "$work/daemon.log"
  ip netns exec "$(ns sw)" nice -n "${BENCH_NICE:-0}" "$pvd" --policy "$1" --socket "$PORTVAKT_SOCKET" --metrics "" \
    --state-dir "$work/state-$(basename "$1" .yaml)" --dot1x-secret-file "$work/radius.secret" \
    --dot1x-runtime-dir "$work/rt" 2>"$work/daemon.log" &
  daemon=$!
  wait_for 30 "portvaktd runs $(basename "$1")" test -S "$PORTVAKT_SOCKET" || exit 1
}
logged_times() { [ "$(grep -cE "$2" "$work/daemon.log")" -ge "$1" ]; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
dhcp_discover() {  # the eKlient's DHCPDISCOVER: Windows 10's option 55 and vendor class
  ip netns exec "$(ns pc)" python3 - "$mac1" <<'EOF'
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(':', ''))
opts = bytes([53, 1, 1, 61, 7, 1]) + mac + bytes([12, 8]) + b'EK-LAB-1' + bytes([60, 8]) + b'MSFT 5.0'
params = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]
opts += bytes([55, len(params)] + params) + bytes([255])
bootp = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, 0x1234, 0, 0x8000, b'\0'*4, b'\0'*4, b'\0'*4, b'\0'*4,
                    mac + b'\0'*10, b'\0'*64, b'\0'*128) + bytes([99, 130, 83, 99]) + opts
udp = struct.pack('!HHHH', 68, 67, 8 + len(bootp), 0) + bootp
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, b'\0'*4, b'\xff'*4)
s = sum(struct.unpack('!10H', ip)); s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
ip = ip[:10] + struct.pack('!H', ~s & 0xffff) + ip[12:]
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind(('lan0', 0))
sock.send(b'\xff'*6 + mac + b'\x08\x00' + ip + udp)
EOF
}
percentiles() {  # file of numbers -> "p50 X ms, p99 Y ms (n N)"
  sort -n "$1" | awk '{v[NR]=$1} END {if (NR == 0) {print "no samples"; exit}
    i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999);
    printf "p50 %d ms, p99 %d ms (n %d, min %d, max %d)", v[i50], v[i99], NR, v[1], v[NR]}'
}

# --- 1. link up -> region access
link_up_runs() {  # mode (dot1x|profiling) output-file
  local i t0 t1 ended=0
  : > "$2"
  for i in $(seq 1 "$runs"); do
    ip -n "$(ns pc)" link set lan0 down
    if [ "$1" = dot1x ]; then
      ended=$((ended + 1))
      wait_for 10 "run $i: the session ended (link down)" logged_times "$ended" "802.1X eth3 $mac1 ended .*\(link down\)" >/dev/null ||
        { echo "run $i: no link-down end"; ended=$(grep -cE "802.1X eth3 $mac1 ended .*\(link down\)" "$work/daemon.log"); }
      sleep 6  # hostapd frees a deauthenticated station after 5 s; an EAPOL-Start before is ignored
    else
      sleep 0.5
    fi
    "$pv" devices forget $mac1 >/dev/null 2>&1
    sleep 1.2  # the forget reaches the dataplane and its device snapshot
    t0=$(now_ms)
    ip -n "$(ns pc)" link set lan0 up
    dhcp_discover
    if ip netns exec "$(ns pc)" ping -c 1 -w 30 -i 0.01 10.20.0.1 >/dev/null 2>&1; then
      t1=$(now_ms); echo $((t1 - t0)) >> "$2"
    else
      echo "run $i ($1): no region access within 30 s"
    fi
  done
}

start_daemon "$work/profiling.yaml"
link_up_runs profiling "$work/linkup-profiling"
stop_daemon
start_daemon "$work/dot1x.yaml"
wait_for 30 "hostapd runs for eth3" logged_times 1 "802.1X eth3: hostapd-started" || exit 1
supplicant_conf "$work/sup-pc.conf" client1 EK-0001
ip netns exec "$(ns pc)" wpa_supplicant -D wired -i lan0 -c "$work/sup-pc.conf" > "$work/sup-pc.log" 2>&1 &
wait_for 60 "EK-0001 authorised" logged_times 1 "802.1X eth3 $mac1 authorised identity EK-0001" || exit 1
link_up_runs dot1x "$work/linkup-dot1x"

# --- 2. new sessions per second
wait_for 60 "hostapd runs for all 17 jacks" logged_times 17 "802.1X eth[0-9]+: hostapd-started" || exit 1
for i in $(seq 1 "$count"); do supplicant_conf "$work/sup-s$i.conf" client1 EK-0001; done
session_burst() {  # label, namespace-of-supplicant-i command -> rate
  local label=$1 before t0 t1 i pids=()
  before=$(grep -c " authorised identity " "$work/daemon.log")
  t0=$(now_ms)
  for i in $(seq 1 "$count"); do
    ip netns exec "$(ns "$($2 "$i")")" wpa_supplicant -D wired -i "s$i" -c "$work/sup-s$i.conf" \
      > "$work/sup-$label-$i.log" 2>&1 &
    pids+=($!)
  done
  if wait_for 120 "$label: $count sessions authorised" logged_times $((before + count)) " authorised identity " >/dev/null; then
    t1=$(now_ms)
    awk -v n="$count" -v ms=$((t1 - t0)) 'BEGIN {printf "%.1f sessions/s (%d in %d ms)", n * 1000 / ms, n, ms}'
  else
    echo "only $(( $(grep -c " authorised identity " "$work/daemon.log") - before )) of $count authorised within 120 s"
  fi
  kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
  sleep 1
}
on_one() { echo one; }
on_sixteen() { echo "j$(( ($1 - 1) % 16 + 1 ))"; }
rate_one=$(session_burst one-port on_one)
rate_sixteen=$(session_burst sixteen-ports on_sixteen)
stop_daemon

# Baseline: EAP-TLS straight to FreeRADIUS, no hostapd, no portvaktd.
cat > "$work/eapol_test.conf" <<EOF
network={
  key_mgmt=IEEE8021X
  eap=TLS
  identity="EK-0001"
  ca_cert="$pki/ca.pem"
  client_cert="$pki/client1.pem"
  private_key="$pki/client1.key"
  eapol_flags=0
}
EOF
t0=$(now_ms)
eapol_pids=()
for i in $(seq 1 "$count"); do
  ip netns exec "$(ns sw)" eapol_test -c "$work/eapol_test.conf" -a 127.0.0.1 -s "$secret" \
    -M "$(printf '02:00:00:f1:%02x:%02x' $((i / 256)) $((i % 256)))" > "$work/eapol_test-$i.log" 2>&1 &
  eapol_pids+=($!)
done
wait "${eapol_pids[@]}" 2>/dev/null
t1=$(now_ms)
succeeded=$(grep -l "^SUCCESS" "$work"/eapol_test-*.log 2>/dev/null | wc -l)
rate_radius=$(awk -v n="$succeeded" -v ms=$((t1 - t0)) 'BEGIN {printf "%.1f sessions/s (%d in %d ms)", n * 1000 / ms, n, ms}')

echo
echo "== 802.1X admission, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "link up -> region access, eKlient with 802.1X (EAP-TLS):        $(percentiles "$work/linkup-dot1x")"
echo "  baseline, the same device placed by profiling (no 802.1X):   $(percentiles "$work/linkup-profiling")"
echo "new 802.1X sessions, $count supplicants on one jack:              $rate_one"
echo "new 802.1X sessions, $count supplicants over 16 jacks:            $rate_sixteen"
echo "  baseline, $count eapol_test straight to FreeRADIUS at once:     $rate_radius"
