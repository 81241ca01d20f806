#!/usr/bin/env bash
# The virtual clinic: network namespaces joined by veth pairs to a portvaktd
# that forwards between them, with real software on the hosts:
#   uplinks   rdnet (dnsmasq DHCP, the region server 10.20.0.1), voice (dnsmasq,
#             the telephony provider 198.18.0.1), internet (dnsmasq, 203.0.113.1)
#   jacks     eklient  dhclient sending Windows' fingerprint (vendor class
#                      "MSFT 5.0", Windows option-55 list), MAC in the inventory
#             laptop   dhclient with Debian's own fingerprint, unknown MAC
#             phone    a Yealink MAC that registers over SIP with its User-Agent
#             videobar a Logitech MAC
#             spoofer  copies the eKlient's MAC, Linux fingerprint
# It runs the scenarios, prints a reachability matrix (expected vs observed)
# and the alerts, and removes everything again, also after a failure.
# Usage: clinic_lab.sh BUILD_DIR   (root; from the project root). Exit 1 on any mismatch.
set -uo pipefail
build=${1:?usage: clinic_lab.sh BUILD_DIR}
if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: the lab needs root, and CI runs as root"; exit 1; }
  echo "skip: the virtual clinic needs root (network namespaces)"; exit 0
fi
for tool in dnsmasq dhclient tcpdump ping ethtool; do
  command -v "$tool" >/dev/null || { echo "clinic_lab: $tool is missing (./run deps installs it)"; exit 2; }
done
case "$build" in /*) ;; *) build=$PWD/$build ;; esac  # ctest passes it absolute
pvd=$build/control/portvaktd
pv=$build/control/portvakt
work=$(mktemp -d)
chmod 755 "$work"
export PORTVAKT_SOCKET=$work/api.sock
tag=lab$$
ns() { echo "$tag-$1"; }
HOSTS="rdnet voice internet eklient laptop phone videobar spoofer"
daemon=

cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  for n in sw $HOSTS; do ip netns del "$(ns $n)" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$(ns sw)" || exit 1
link() {  # switch port, host, host MAC
  ip netns add "$(ns $2)"
  ip link add "$1" netns "$(ns sw)" type veth peer name lan0 netns "$(ns $2)"
  ip -n "$(ns $2)" link set lan0 address "$3"
  # veth leaves UDP/TCP checksums to "hardware" that does not exist; frames the
  # switch picks up and re-sends would arrive with partial checksums, and DHCP
  # clients drop those. Real NICs finish the checksum before the wire.
  ip netns exec "$(ns $2)" ethtool -K lan0 tx off >/dev/null
  ip -n "$(ns $2)" link set lan0 up
  ip -n "$(ns $2)" link set lo up
  ip -n "$(ns sw)" link set "$1" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip netns exec "$(ns $2)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=1
}
uplink() {  # switch port, host, MAC, address/len, DHCP range
  link "$1" "$2" "$3"
  ip -n "$(ns $2)" addr add "$4" dev lan0
  ip netns exec "$(ns $2)" dnsmasq --port=0 --interface=lan0 --bind-interfaces --dhcp-range="$5,10m" \
    --dhcp-leasefile="$work/$2.leases" --pid-file="$work/$2-dnsmasq.pid" --log-facility="$work/$2-dnsmasq.log"
}
uplink eth0 rdnet 02:00:00:00:01:01 10.20.0.1/16 10.20.0.100,10.20.0.200
uplink eth1 voice 02:00:00:00:02:01 198.18.0.1/24 198.18.0.100,198.18.0.200
uplink eth2 internet 02:00:00:00:03:01 203.0.113.1/24 203.0.113.100,203.0.113.200
link eth3 eklient 3c:52:82:1a:2b:3c
link eth4 laptop a4:83:e7:00:00:01
link eth5 phone 80:5e:c0:00:00:05
link eth6 videobar c0:28:8d:00:00:07
link eth7 spoofer 3c:52:82:1a:2b:3c

cat > "$work/windows.conf" <<'CONF'
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
option ms-classless-static-routes code 249 = array of unsigned integer 8;
option wpad code 252 = text;
send vendor-class-identifier "MSFT 5.0";
send host-name "EK-KSD-0231";
request subnet-mask, routers, domain-name-servers, domain-name, router-discovery, static-routes,
  vendor-encapsulated-options, netbios-name-servers, netbios-node-type, netbios-scope, domain-search,
  rfc3442-classless-static-routes, ms-classless-static-routes, wpad;
CONF
cat > "$work/linux.conf" <<'CONF'
send host-name "laptop";
request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers,
  domain-search, host-name, interface-mtu, ntp-servers;
CONF

ip netns exec "$(ns sw)" "$pvd" --policy tests/lab/lab-clinic.yaml --socket "$PORTVAKT_SOCKET" --metrics "" --state-dir "$work/state" \
  2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 50); do [ -S "$PORTVAKT_SOCKET" ] && break; sleep 0.1; done
[ -S "$PORTVAKT_SOCKET" ] || { echo "clinic_lab: portvaktd did not start:"; cat "$work/daemon.log"; exit 1; }

dhcp() {  # host, config: prints the leased address, or nothing when no server answered
  timeout 12 ip netns exec "$(ns $1)" dhclient -1 -cf "$work/$2.conf" -lf "$work/$1.lease" -pf "$work/$1-dhclient.pid" \
    lan0 >/dev/null 2>&1 || return 0
  sed -n 's/^ *fixed-address \([0-9.]*\);/\1/p' "$work/$1.lease" | tail -1
}
sip_register() {  # host, destination: one SIP REGISTER (one datagram) with a Yealink User-Agent
  printf 'REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nFrom: <sip:100@%s>;tag=1\r\nTo: <sip:100@%s>\r\nCall-ID: 1@x\r\nCSeq: 1 REGISTER\r\nUser-Agent: Yealink SIP-T54W 96.86.0.100\r\nContent-Length: 0\r\n\r\n' "$2" "$2" "$2" > "$work/register.txt"
  # cat writes the file in one write(), so the request is one datagram.
  ip netns exec "$(ns $1)" bash -c "cat '$work/register.txt' > /dev/udp/$2/5060" 2>/dev/null
}
pings() { ip netns exec "$(ns $1)" ping -c 2 -W 1 -i 0.3 "$2" >/dev/null 2>&1 && echo reached || echo blocked; }
captured() {  # host where to listen, tcpdump filter, command...: reached if a frame matching the filter arrives
  local host=$1 filter=$2; shift 2
  ip netns exec "$(ns $host)" timeout 4 tcpdump -n -i lan0 -c 1 -w "$work/cap.pcap" "$filter" >/dev/null 2>&1 &
  local cap=$!
  sleep 0.7
  "$@"
  wait $cap
  [ "$(tcpdump -r "$work/cap.pcap" 2>/dev/null | wc -l)" -ge 1 ] && echo reached || echo blocked
}

addr_if_none() {  # host: a fixed address when DHCP gave none, so blocked hosts still try
  ip -n "$(ns $1)" -4 addr show lan0 | grep -q inet || ip -n "$(ns $1)" addr add "$2" dev lan0
  for net in 10.0.0.0/8 198.18.0.0/24 203.0.113.0/24; do ip -n "$(ns $1)" route add "$net" dev lan0 2>/dev/null; done
}
leased() { [ -n "$1" ] && echo reached || echo blocked; }

printf '\n%-10s %-34s %-9s %-9s %s\n' device destination expected observed ""
mismatch=0
row() {  # device destination expected observed
  local mark=ok colour='' reset=''
  if [ -t 1 ]; then colour=$'\e[32m'; reset=$'\e[0m'; fi
  if [ "$3" != "$4" ]; then mark=MISMATCH; mismatch=1; [ -t 1 ] && colour=$'\e[31m'; fi
  printf '%-10s %-34s %-9s %s%-9s %s%s\n' "$1" "$2" "$3" "$colour" "$4" "$mark" "$reset"
}

# The eKlient: a real DHCP exchange with Windows' fingerprint admits it (R1).
eklientIp=$(dhcp eklient windows); addr_if_none eklient 10.20.9.23/16
row eklient "DHCP lease from RDnet" reached "$(leased "$eklientIp")"
row eklient "RDnet server 10.20.0.1 (ping)" reached "$(pings eklient 10.20.0.1)"

# An unknown laptop asks for the same network and gets nothing (R1).
laptopIp=$(dhcp laptop linux); addr_if_none laptop 10.20.9.99/16
row laptop "DHCP lease" blocked "$(leased "$laptopIp")"
row laptop "RDnet server 10.20.0.1 (ping)" blocked "$(pings laptop 10.20.0.1)"

# The phone speaks SIP first (its User-Agent and Yealink vendor prefix make it
# an ip-phone), then gets its address from the voice network (R2). A real
# phone would announce itself by LLDP-MED; the lab phone knows its provider's
# MAC so its first frame is the REGISTER, not an ARP it could not complete.
ip -n "$(ns phone)" addr add 198.18.0.5/24 dev lan0
ip -n "$(ns phone)" neigh add 198.18.0.1 lladdr 02:00:00:00:02:01 dev lan0
sip_register phone 198.18.0.1; sleep 0.3
ip -n "$(ns phone)" addr flush dev lan0
phoneIp=$(dhcp phone linux); addr_if_none phone 198.18.0.5/24
row phone "DHCP lease from the voice network" reached "$(leased "$phoneIp")"
row phone "provider 198.18.0.1 SIP" reached "$(captured voice 'udp port 5060' sip_register phone 198.18.0.1)"
row phone "RDnet server 10.20.0.1 SIP" blocked "$(captured rdnet 'udp port 5060' sip_register phone 10.20.0.1)"

# The video bar is recognised by its vendor and may reach the internet (R3).
videobarIp=$(dhcp videobar linux); addr_if_none videobar 203.0.113.7/24
row videobar "DHCP lease from the internet uplink" reached "$(leased "$videobarIp")"
row videobar "internet 203.0.113.1 tcp/443" reached "$(captured internet 'tcp port 443' ip netns exec "$(ns videobar)" timeout 2 bash -c 'exec 3<>/dev/tcp/203.0.113.1/443' 2>/dev/null)"
row videobar "RDnet server 10.20.0.1 (ping)" blocked "$(pings videobar 10.20.0.1)"

# A hostile host copies the eKlient's MAC on another jack (R6): it is caught,
# and the MAC is blocked on both jacks until someone looks.
spooferIp=$(dhcp spoofer linux); addr_if_none spoofer 10.20.9.66/16
row spoofer "DHCP lease" blocked "$(leased "$spooferIp")"
row spoofer "RDnet server 10.20.0.1 (ping)" blocked "$(pings spoofer 10.20.0.1)"
row eklient "RDnet after its MAC was copied" blocked "$(pings eklient 10.20.0.1)"

# 3. What the service desk would hear.
sleep 0.6
echo
echo "alerts (portvaktd events):"
grep -o '"event":"[a-z_]*","mac":"[0-9a-f:]*"' "$work/daemon.log" | sort | uniq -c | sed 's/^/ /'
"$pv" status | sed -n '1,2p'

if ! kill -0 "$daemon" 2>/dev/null; then
  echo "portvaktd is no longer running:"; tail -20 "$work/daemon.log"; daemon=; mismatch=1
fi
[ $mismatch -eq 0 ] && echo "virtual clinic: every scenario as expected" || { echo "virtual clinic: MISMATCHES above"; cat "$work/daemon.log"; }
exit $mismatch
