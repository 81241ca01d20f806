#!/usr/bin/env bash
# The virtual clinic: network namespaces joined by veth pairs to a portvaktd
# that forwards between them, with real software on the hosts:
#   uplinks   rdnet (dnsmasq DHCP, the region server 10.20.0.1), voice (dnsmasq,
#             the telephony provider 198.18.0.1), internet (dnsmasq, 203.0.113.1)
#   switch    portvaktd, a hostapd per wall jack (802.1X offered), and
#             FreeRADIUS on its loopback checking EAP-TLS against the lab's CA
#   jacks     eklient  wpa_supplicant (EAP-TLS, the certificate of its asset
#                      RV-100231), then dhclient sending Windows' fingerprint
#                      (vendor class "MSFT 5.0", Windows option-55 list)
#             laptop   dhclient with Debian's own fingerprint, unknown MAC
#             phone    a Yealink MAC running lldpd (LLDP-MED class III, voice
#                      network policy), then DHCP and SIP REGISTER
#             pc       behind the phone on the same jack (a macvlan on the
#                      phone's interface): an inventoried eKlient laptop that
#                      authenticates with its own certificate (RV-100412)
#             videobar a Logitech MAC; later a rogue dnsmasq DHCP server and
#                      the sender of a double-tagged (802.1Q-in-802.1Q) frame
#             spoofer  copies the eKlient's MAC, Linux fingerprint
#             speaker  a Jabra speakerphone: the DHCP client the rogue server
#                      must never reach
#             forger   copies the MAC of an eKlient that is switched off
#                      (RV-100232) and Windows' exact DHCP fingerprint, but has
#                      no certificate
#             printer  a Brother MAC running avahi-daemon, announcing _ipp._tcp
#                      and _printer._tcp by mDNS (the video bar runs one too,
#                      announcing _airplay._tcp); each avahi-daemon runs in its
#                      host's network namespace and its own mount namespace,
#                      with this lab's config, service files and /run
# Scenarios: admission to RDnet by 802.1X, and a copied MAC with a copied
# DHCP fingerprint kept out (R1); the phone placed in voice by
# its LLDP-MED announcement, with an eKlient behind it in region on the same
# jack (R2); conference gear internet-only (R3); MAC spoofing, a rogue DHCP
# server and VLAN hopping caught (R6, with captures proving nothing arrived);
# mDNS announcements counted as evidence (the printer placed in printers by
# them, the video bar's _airplay._tcp in its device record);
# monitor mode pushed to the running daemon: a default-deny flow passes and is
# reported as flow_denied, an invariant-protected flow stays blocked; enforce
# pushed back; payloads and personal data the devices send (an HTTP body, a
# SIP body and From URI, DHCP options, mDNS TXT records, all carrying a marker
# string) appear nowhere the appliance writes (R10). It prints a reachability
# matrix (expected vs observed) and the alerts, and removes everything again (namespaces, daemons, lldpd, avahi, temp
# files), also after a failure.
# Usage: clinic_lab.sh BUILD_DIR   (root; from the project root). Exit 1 on any mismatch.
# Requirements: R1, R2, R3, R6, R6b, R10
source "$(dirname "$0")/../support/lab.bash"
# The 802.1X lab's parts: certificates, FreeRADIUS, wpa_supplicant configs.
source "$(dirname "$0")/../e2e/dot1x_lab.bash"
set -uo pipefail
lab_paths "${1:?usage: clinic_lab.sh BUILD_DIR}"
lab_require_root
lab_require_tools dnsmasq dhclient tcpdump ping ethtool lldpd lldpcli mausezahn jq avahi-daemon unshare
dot1x_require_tools hostapd wpa_supplicant freeradius openssl
lab_new lab$$
id=$$
chmod 755 "$work"
HOSTS="rdnet voice internet eklient laptop phone pc videobar spoofer speaker printer forger"
daemon=
avahiPids=  # avahi-daemon per host: ip netns exec, unshare and sh exec it, so $! is avahi itself
# lldpd chroots its unprivileged half into /run/lldpd and creates it when it is
# missing; remove it afterwards only if this lab made it (a host lldpd owns it).
lldpdChroot=
[ -d /run/lldpd ] || lldpdChroot=/run/lldpd

cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for p in $avahiPids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  if [ -n "${lldpdPid:-}" ]; then
    # Its unprivileged half first, so the monitor reaps it and then ends.
    pkill -TERM -P "$lldpdPid" 2>/dev/null; kill "$lldpdPid" 2>/dev/null; wait "$lldpdPid" 2>/dev/null
  fi
  [ -n "$lldpdChroot" ] && rm -rf "$lldpdChroot"
  lab_remove
}
trap cleanup EXIT
trap 'exit 130' INT  # a signal ends the script through exit, so cleanup runs then too
trap 'exit 143' TERM

lab_hosts sw $HOSTS  # the daemon's metrics listen on the switch namespace's loopback
uplink() {  # switch port, host, MAC, address/len, DHCP range
  lab_link "$1" "$2" "$3" "$4"
  lab_dnsmasq "$2" "$5" "$2"
}
uplink eth0 rdnet 02:00:00:00:01:01 10.20.0.1/16 10.20.0.100,10.20.0.200
uplink eth1 voice 02:00:00:00:02:01 198.18.0.1/24 198.18.0.100,198.18.0.200
uplink eth2 internet 02:00:00:00:03:01 203.0.113.1/24 203.0.113.100,203.0.113.200
lab_link eth3 eklient 3c:52:82:1a:2b:3c
lab_link eth4 laptop a4:83:e7:00:00:01
lab_link eth5 phone 80:5e:c0:00:00:05
lab_link eth6 videobar c0:28:8d:00:00:07
lab_link eth7 spoofer 3c:52:82:1a:2b:3c
lab_link eth8 speaker 30:50:75:00:00:08
lab_link eth9 printer 00:80:77:00:00:09
lab_link eth10 forger 3c:52:82:1a:2b:3d
# The PC behind the phone: the phone's own switch port is a macvlan on its
# interface (the kernel has no bridge), moved into the PC's namespace. Its
# frames leave through the phone's jack eth5, with the PC's own MAC.
ip -n "$(ns phone)" link add pc0 link lan0 address 98:fa:9b:44:01:10 type macvlan mode bridge
ip -n "$(ns phone)" link set pc0 netns "$(ns pc)"
ip -n "$(ns pc)" link set pc0 name lan0
ip netns exec "$(ns pc)" ethtool -K lan0 tx off >/dev/null  # as lab_link does for the others
ip netns exec "$(ns pc)" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=1
ip -n "$(ns pc)" link set lan0 up

lab_dhclient_conf windows > "$work/windows.conf"
lab_dhclient_conf linux laptop > "$work/linux.conf"
# What the phone's lldpd applies at start (lldpcli commands; -O below keeps the
# host's /etc/lldpd.conf and /etc/lldpd.d out). A real phone announces every
# 30 s; the lab's every second, so the daemon hears it at once.
cat > "$work/lldpd.conf" <<'CONF'
configure system hostname SIP-T54W-100
configure lldp tx-interval 1
configure med policy application voice vlan 20 priority voice dscp 46
CONF

# R10: every payload and personal datum the lab's devices send carries this
# marker; nothing the appliance writes may contain it (the last section).
marker="PATIENT-R10-$$-$RANDOM"
avahi_txt=  # a TXT record avahi_on adds to every service it announces

avahi_on() {  # host, then service type/port pairs: a real avahi-daemon announcing them by mDNS
  # Its own mount namespace (unshare -m, private propagation): this lab's
  # service files over /etc/avahi/services and a lab directory over /run (for
  # its pid file and socket), so it never meets the host's avahi; no D-Bus,
  # lan0 only, IPv4 only, no privilege drop or chroot (no avahi user needed).
  local host=$1 dir=$work/$1-avahi; shift
  mkdir -p "$dir/services" "$dir/run"
  printf '[server]\nhost-name=%s\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lan0\nenable-dbus=no\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n[reflector]\nenable-reflector=no\n' \
    "$host" > "$dir/avahi-daemon.conf"
  { echo '<?xml version="1.0" standalone="no"?>'; echo '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">'
    echo "<service-group><name>lab $host</name>"
    while [ $# -ge 2 ]; do
      echo "<service><type>$1</type><port>$2</port>${avahi_txt:+<txt-record>$avahi_txt</txt-record>}</service>"; shift 2
    done
    echo '</service-group>'; } > "$dir/services/lab.service"
  ip netns exec "$(ns $host)" unshare -m sh -c 'mount --bind "$1/services" /etc/avahi/services && mount --bind "$1/run" /run &&
    exec avahi-daemon -f "$1/avahi-daemon.conf" --no-drop-root --no-chroot --no-rlimits --no-proc-title' sh "$dir" \
    >"$work/$host-avahi.log" 2>&1 &
  avahiPids="$avahiPids $!"
}

# 802.1X: the region's PKI in miniature (a CA, the RADIUS server's
# certificate, one per eKlient with CN = its inventory asset id, a CRL) and
# FreeRADIUS checking EAP-TLS on the switch namespace's loopback, where the
# policy's radius_servers point (tests/e2e/dot1x_lab.bash).
dot1x_pki eklient=RV-100231 pc=RV-100412 >/dev/null
dot1x_radius_config
start_radius "$(ns sw)" >/dev/null || { echo "FAIL: FreeRADIUS did not start"; tail -20 "$work/radius.log"; exit 1; }
lab_daemon tests/lab/lab-clinic.yaml --metrics 127.0.0.1:9120 \
  --dot1x-secret-file "$work/radius.secret" --dot1x-runtime-dir "$work/dot1x"
for port in eth3 eth5; do
  for _ in $(seq 100); do grep -q "802.1X $port: hostapd-started" "$work/daemon.log" && break; sleep 0.1; done
done
supplicant() {  # host, certificate name, identity: wpa_supplicant -D wired with EAP-TLS on the host's lan0
  supplicant_conf "$work/sup-$1.conf" "$2" "$3"
  ip netns exec "$(ns $1)" wpa_supplicant -D wired -i lan0 -c "$work/sup-$1.conf" > "$work/sup-$1.log" 2>&1 &
}
authorised() {  # port, MAC, identity: authorised when portvaktd admitted the session within 20 s
  for _ in $(seq 200); do
    grep -q "802.1X $1 $2 authorised identity $3" "$work/daemon.log" && { echo authorised; return; }
    sleep 0.1
  done
  echo none
}

dhcp() {  # host, config, [seconds]: prints the leased address, or nothing when no server answered in time
  local host=$1 conf=$2 secs=${3:-12}
  sed "s/^send host-name .*/send host-name \"$host\";/" "$work/$conf.conf" > "$work/$host-dhclient.conf"
  [ "$host" = eklient ] && echo 'send host-name "EK-KSD-0231";' >> "$work/$host-dhclient.conf"
  [ "$host" = pc ] && echo 'send host-name "EK-KSD-0412";' >> "$work/$host-dhclient.conf"
  [ "$host" = forger ] && echo 'send host-name "EK-KSD-0232";' >> "$work/$host-dhclient.conf"
  timeout "$secs" ip netns exec "$(ns $host)" dhclient -1 -cf "$work/$host-dhclient.conf" -lf "$work/$host.lease" \
    -pf "$work/$host-dhclient.pid" lan0 >/dev/null 2>&1 || return 0
  sed -n 's/^ *fixed-address \([0-9.]*\);/\1/p' "$work/$host.lease" | tail -1
}
sip_register() {  # host, destination: one SIP REGISTER (one datagram) with a Yealink User-Agent
  printf 'REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nFrom: <sip:100@%s>;tag=1\r\nTo: <sip:100@%s>\r\nCall-ID: 1@x\r\nCSeq: 1 REGISTER\r\nUser-Agent: Yealink SIP-T54W 96.86.0.100\r\nContent-Length: 0\r\n\r\n' "$2" "$2" "$2" > "$work/register.txt"
  # cat writes the file in one write(), so the request is one datagram.
  ip netns exec "$(ns $1)" bash -c "cat '$work/register.txt' > /dev/udp/$2/5060" 2>/dev/null
}
pings() { ip netns exec "$(ns $1)" ping -c 2 -W 1 -i 0.3 "$2" >/dev/null 2>&1 && echo reached || echo blocked; }
tcp_to() { ip netns exec "$(ns $1)" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; return 0; }

# Captures: tcpdump on a host's lan0, started before the test traffic and read
# afterwards. A frame that was forwarded arrives within milliseconds; 1.5 s
# after the traffic the capture is closed and counted.
cap_start() {  # name, host, filter
  rm -f "$work/$1.err" "$work/$1.pcap"  # a name is used again: wait for this tcpdump, not the last one
  timeout 10 ip netns exec "$(ns $2)" tcpdump -n -i lan0 --immediate-mode -c 1 -w "$work/$1.pcap" "$3" 2>"$work/$1.err" &
  echo $! > "$work/$1-tcpdump.pid"
  for _ in $(seq 100); do grep -q 'listening on' "$work/$1.err" 2>/dev/null && return; sleep 0.05; done
  echo "clinic_lab: tcpdump on $2 did not start within 5 s" >&2
}
cap_result() {  # name: reached when a matching frame arrived, else blocked
  local pid; pid=$(cat "$work/$1-tcpdump.pid")
  for _ in $(seq 15); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -INT "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$work/$1-tcpdump.pid"
  [ "$(tcpdump -r "$work/$1.pcap" 2>/dev/null | wc -l)" -ge 1 ] && echo reached || echo blocked
}
captured() {  # host, filter, command...: reached if a frame matching the filter arrives at the host
  local host=$1 filter=$2; shift 2
  cap_start cap "$host" "$filter"
  "$@" >/dev/null
  cap_result cap
}

addr_if_none() {  # host: a fixed address when DHCP gave none, so blocked hosts still try
  ip -n "$(ns $1)" -4 addr show lan0 | grep -q inet || ip -n "$(ns $1)" addr add "$2" dev lan0
  for net in 10.0.0.0/8 198.18.0.0/24 203.0.113.0/24; do ip -n "$(ns $1)" route add "$net" dev lan0 2>/dev/null; done
}
leased() { [ -n "$1" ] && echo reached || echo blocked; }
since=1  # event() looks at the daemon's log from this line on
event() {  # event, MAC, [text in the detail]: the daemon's log line of that event, if it was raised
  local line
  for _ in $(seq 12); do  # the dataplane hands its events over every 500 ms
    line=$(tail -n "+$since" "$work/daemon.log" | grep "portvaktd: event " | grep "\"event\":\"$1\"" |
           grep "\"mac\":\"$2\"" | grep -F -- "${3:-}" | tail -1)
    [ -n "$line" ] && break
    sleep 0.1
  done
  echo "$line"
}
raised() { [ -n "$(event "$@")" ] && echo raised || echo none; }
rx_dropped() {  # interface: the switch's drop count on that port ("rx N (dropped M)" in portvakt status)
  "$pv" status | sed -n "s/^  $1 .*(dropped \([0-9]*\)).*/\1/p"
}
rx_total() { "$pv" status | sed -n "s/^  eth.* rx \([0-9]*\) .*/\1/p" | awk '{ n += $1 } END { print n + 0 }'; }
push() {  # policy file: push it to the running daemon and wait until its dataplane runs it
  # The lab's two policies differ in the ports' mode, so the dataplane rebuilds
  # its switch, whose counters start again from zero (status shows them, as
  # published every 500 ms): that is the moment the new policy is in force;
  # status itself names the new policy as soon as it is accepted.
  local before; before=$(rx_total)
  "$pv" policy push "$PWD/tests/lab/$1" >/dev/null || echo "clinic_lab: push of $1 refused" >&2
  for _ in $(seq 100); do [ "$(rx_total)" -lt "$before" ] && break; sleep 0.1; done
  "$pv" status | sed -n 's/^policy .*(\(.*\))$/\1/p'
}
frame() { echo "$*" | tr -d ' '  | sed 's/../&:/g; s/:$//'; }  # hex bytes for mausezahn, which sends them as one frame

section() { printf '\n%s\n' "-- $*"; }
printf '\n%-10s %-42s %-11s %-11s %s\n' device "destination / check" expected observed ""
mismatch=0
row() {  # device destination expected observed
  local mark=ok colour='' reset=''
  if [ -t 1 ]; then colour=$'\e[32m'; reset=$'\e[0m'; fi
  if [ "$3" != "$4" ]; then mark=MISMATCH; mismatch=1; [ -t 1 ] && colour=$'\e[31m'; fi
  printf '%-10s %-42s %-11s %s%-11s %s%s\n' "$1" "$2" "$3" "$colour" "$4" "$mark" "$reset"
}

# The unknown laptop asks for the region network while the rest goes on: a
# lease that never comes costs the lab its whole wait, so it waits in the background.
( dhcp laptop linux 6 > "$work/laptop.ip" ) &
laptopDhcp=$!
# The printer (no DHCP for it: its zone has no uplink) announces its services
# from the start; its rows come after the VLAN hopping.
addr_if_none printer 10.20.9.80/16
# (Its announcements are captured on its own wire: R10 below checks the TXT
# record with the marker really went out.)
timeout 15 ip netns exec "$(ns printer)" tcpdump -n -i lan0 -w "$work/printer-mdns.pcap" udp port 5353 2>/dev/null &
sleep 0.3
avahi_txt="note=$marker-mdns-txt" avahi_on printer _ipp._tcp 631 _printer._tcp 515

section "admission (R1): 802.1X, not a copied MAC and DHCP fingerprint"
# A forger with the MAC of an inventoried eKlient that is switched off and
# Windows' exact DHCP fingerprint, but no certificate: profiling alone would
# have admitted it. It asks in the background; its rows follow the eKlient's.
( dhcp forger windows 8 > "$work/forger.ip" ) &
forgerDhcp=$!
# The eKlient authenticates with its region certificate (EAP-TLS through the
# jack's hostapd and FreeRADIUS), then gets its address from RDnet.
supplicant eklient eklient RV-100231
row eklient "802.1X EAP-TLS as RV-100231" authorised "$(authorised eth3 3c:52:82:1a:2b:3c RV-100231)"
eklientIp=$(dhcp eklient windows); addr_if_none eklient 10.20.9.23/16
row eklient "DHCP lease from RDnet" reached "$(leased "$eklientIp")"
row eklient "RDnet server 10.20.0.1 (ping)" reached "$(pings eklient 10.20.0.1)"
wait "$forgerDhcp"; forgerIp=$(cat "$work/forger.ip"); addr_if_none forger 10.20.9.32/16
row forger "DHCP lease (copied MAC + fingerprint)" blocked "$(leased "$forgerIp")"
row forger "RDnet server 10.20.0.1 (ping)" blocked "$(pings forger 10.20.0.1)"
row forger "portvakt devices: zone" quarantine \
  "$("$pv" devices show 3c:52:82:1a:2b:3d --json 2>/dev/null | jq -r '.device.zone // "none"')"
# A hostile host copies the eKlient's MAC on another jack (R6): it is caught,
# and the MAC is blocked on both jacks until someone looks. Its DHCP attempt
# also runs in the background; its rows and the laptop's follow the phone's.
( dhcp spoofer linux 6 > "$work/spoofer.ip" ) &
spooferDhcp=$!

section "IP phone by LLDP-MED, PC behind it on the same jack (R2)"
# Before it announces itself, the phone is a Yealink MAC and nothing more: one
# piece of evidence of the two ip-phone needs, so it is quarantined.
ip -n "$(ns phone)" addr add 198.18.0.5/24 dev lan0
row phone "before LLDP: provider 198.18.0.1 (ping)" blocked "$(pings phone 198.18.0.1)"
ip -n "$(ns phone)" addr flush dev lan0
# lldpd as a class III endpoint (telephone), on lan0 only, with this lab's own
# control socket, pid file and configuration (-O), so it never meets a host lldpd.
ip netns exec "$(ns phone)" lldpd -dd -M 3 -I lan0 -u "$work/lldpd.socket" -p "$work/lldpd.pid" -O "$work/lldpd.conf" \
  -S "Yealink SIP-T54W" 2>"$work/lldpd.log" &
lldpdPid=$!
for _ in $(seq 5); do why=$(event device_class_changed 80:5e:c0:00:00:05 'class ip-phone'); [ -n "$why" ] && break; done
row phone "LLDP-MED telephone -> class ip-phone" lldp_med "$(grep -q 'lldp_med.capabilities' <<<"$why" && echo lldp_med || echo none)"
phoneIp=$(dhcp phone linux); addr_if_none phone 198.18.0.5/24
row phone "DHCP lease from the voice network" reached "$(leased "$phoneIp")"
# The PC behind the phone is an inventoried eKlient: it authenticates on the
# phone's jack (802.1X per MAC: the phone itself has no supplicant and stays
# profiled) and lands in region, while the phone stays in voice.
supplicant pc pc RV-100412
row pc "802.1X EAP-TLS as RV-100412 (same jack)" authorised "$(authorised eth5 98:fa:9b:44:01:10 RV-100412)"
pcIp=$(dhcp pc windows); addr_if_none pc 10.20.9.41/16
row pc "DHCP lease from RDnet (same jack as phone)" reached "$(leased "$pcIp")"
row pc "RDnet server 10.20.0.1 (ping)" reached "$(pings pc 10.20.0.1)"
row pc "voice provider 198.18.0.1 (ping)" blocked "$(pings pc 198.18.0.1)"
# The daemon's own device table, where this build has it (portvakt devices).
if "$pv" devices --help >/dev/null 2>&1; then
  placed() {  # MAC: the device's zone, +lldp when LLDP-MED evidence placed it
    local d
    for _ in $(seq 12); do  # the device table is published about once a second
      d=$("$pv" devices show "$1" --json 2>/dev/null)
      [ -n "$(jq -r '.device.class // empty' <<<"$d" 2>/dev/null)" ] && break
      sleep 0.25
    done
    jq -r '.device | .zone + (if (.explanation // "" | test("lldp_med")) then "+lldp" else "" end)' <<<"$d" 2>/dev/null
  }
  row phone "portvakt devices: zone, by LLDP-MED" voice+lldp "$(placed 80:5e:c0:00:00:05)"
  row pc "portvakt devices: zone" region "$(placed 98:fa:9b:44:01:10)"
else
  echo "           (this build has no 'portvakt devices': the phone's class is read from its device_class_changed event)"
fi
row phone "provider 198.18.0.1 SIP REGISTER" reached "$(captured voice 'udp port 5060' sip_register phone 198.18.0.1)"
row phone "RDnet server 10.20.0.1 SIP" blocked "$(captured rdnet 'udp port 5060' sip_register phone 10.20.0.1)"

section "an unknown laptop (R1), a MAC spoofer (R6)"
wait "$laptopDhcp"; laptopIp=$(cat "$work/laptop.ip"); addr_if_none laptop 10.20.9.99/16
row laptop "DHCP lease" blocked "$(leased "$laptopIp")"
row laptop "RDnet server 10.20.0.1 (ping)" blocked "$(pings laptop 10.20.0.1)"
wait "$spooferDhcp"; spooferIp=$(cat "$work/spoofer.ip"); addr_if_none spoofer 10.20.9.66/16
row spoofer "DHCP lease" blocked "$(leased "$spooferIp")"
row spoofer "RDnet server 10.20.0.1 (ping)" blocked "$(pings spoofer 10.20.0.1)"
row eklient "RDnet after its MAC was copied" blocked "$(pings eklient 10.20.0.1)"

section "conference gear (R3)"
# The video bar is recognised by its vendor and may reach the internet.
videobarIp=$(dhcp videobar linux); addr_if_none videobar 203.0.113.7/24
row videobar "DHCP lease from the internet uplink" reached "$(leased "$videobarIp")"
row videobar "internet 203.0.113.1 tcp/443" reached "$(captured internet 'tcp port 443' tcp_to videobar 203.0.113.1 443)"
row videobar "internet 203.0.113.1 tcp/80 (default deny)" blocked "$(captured internet 'tcp port 80' tcp_to videobar 203.0.113.1 80)"
row videobar "RDnet server 10.20.0.1 (ping)" blocked "$(pings videobar 10.20.0.1)"

section "rogue DHCP server on a jack (R6)"
# The video bar runs a real dnsmasq DHCP server (same subnet, its own gateway);
# the speakerphone on another jack of the same zone asks for an address.
lab_dnsmasq videobar 203.0.113.210,203.0.113.220 rogue --dhcp-option=3,203.0.113.66
cap_start rogueoffer speaker 'udp src port 67 and ether src c0:28:8d:00:00:07'
speakerIp=$(dhcp speaker linux)
row speaker "DHCP lease from the internet uplink" reached "$(leased "$speakerIp")"
row speaker "rogue server's offer arrives (capture)" blocked "$(cap_result rogueoffer)"
# The rogue server did answer (else the capture above proves nothing).
row videobar "rogue dnsmasq sent an offer (its log)" reached "$(grep -q DHCPOFFER "$work/rogue-dnsmasq.log" && echo reached || echo blocked)"
row videobar "portvaktd alert rogue_dhcp" raised "$(raised rogue_dhcp c0:28:8d:00:00:07)"
kill "$(cat "$work/rogue-dnsmasq.pid")" 2>/dev/null

section "VLAN hopping: 802.1Q-in-802.1Q from a jack (R6)"
# A TCP SYN in a broadcast frame (203.0.113.7:31337 -> 203.0.113.1:443, what
# the video bar's zone may send: flow conference-web), sent by mausezahn as raw
# bytes: once double tagged (outer VLAN 30, the video bar's zone; inner VLAN
# 10, the region), and once untagged as a control that the frame and the
# captures work. A switch that took the inner tag would put it into region;
# one that ignored the tags would flood it to the internet uplink. (The
# control is what the flows allow: IP in a broadcast frame goes through the
# flow rules like unicast, docs/forwarding.md "What a wall jack may send".)
iptcp="45 00 00 28 00 00 00 00 40 06 02 c7 cb 00 71 07 cb 00 71 01 7a 69 01 bb 00 00 00 01 00 00 00 00 50 02 ff ff bb b3 00 00"
hop=$(frame "ff ff ff ff ff ff c0 28 8d 00 00 07 81 00 00 1e 81 00 00 0a 08 00 $iptcp")
plain=$(frame "ff ff ff ff ff ff c0 28 8d 00 00 07 08 00 $iptcp")
dropsBefore=$(rx_dropped eth6)
cap_start hoprd rdnet 'ether src c0:28:8d:00:00:07'
cap_start hopnet internet 'ether src c0:28:8d:00:00:07 and (tcp port 31337 or vlan)'
ip netns exec "$(ns videobar)" mausezahn lan0 -q -c 3 -d 50msec "$hop"
row videobar "double-tagged 30/10 frame at RDnet" blocked "$(cap_result hoprd)"
row videobar "double-tagged frame at the internet uplink" blocked "$(cap_result hopnet)"
sleep 0.6  # the switch's counters are published every 500 ms
row videobar "switch dropped all 3 (status rx_dropped)" counted \
  "$([ $(( $(rx_dropped eth6) - dropsBefore )) -ge 3 ] && echo counted || echo missed)"
row videobar "control: the same frame untagged, internet" reached \
  "$(captured internet 'tcp port 31337' ip netns exec "$(ns videobar)" mausezahn lan0 -q -c 1 "$plain")"
row videobar "portvaktd alert vlan_hopping" raised "$(raised vlan_hopping c0:28:8d:00:00:07)"

section "mDNS announcements: avahi-daemon on the printer and the video bar"
# The daemon's own view (portvakt devices): the zone, and the mDNS services in
# the device's evidence. The video bar's avahi starts only now, so its
# announcements stay out of the drop counts and captures above.
avahi_on videobar _airplay._tcp 7000
mdns() {  # MAC: zone:services, once the device's evidence has mDNS services
  local d
  for _ in $(seq 24); do  # probing and the first announcement take about 1.5 s; the table is published about once a second
    d=$("$pv" devices show "$1" --json 2>/dev/null)
    [ -n "$(jq -r '.device.evidence["mdns.services"] // empty' <<<"$d" 2>/dev/null)" ] && break
    sleep 0.25
  done
  jq -r '.device | .zone + ":" + ((.evidence["mdns.services"] // []) | sort | join(","))' <<<"$d" 2>/dev/null
}
row printer "portvakt devices: zone:mdns.services" printers:_ipp._tcp,_printer._tcp "$(mdns 00:80:77:00:00:09)"
row printer "RDnet server 10.20.0.1 (ping)" blocked "$(pings printer 10.20.0.1)"
row printer "internet 203.0.113.1 (ping)" blocked "$(pings printer 203.0.113.1)"
row videobar "portvakt devices: zone:mdns.services" conference:_airplay._tcp "$(mdns c0:28:8d:00:00:07)"

section "monitor mode pushed to the running daemon, then enforce again"
# The site's mode switch (tests/lab/lab-clinic-monitor.yaml): flows and the
# default deny only watch; the region's `never` invariants still enforce.
since=$(( $(wc -l < "$work/daemon.log") + 1 ))
row portvaktd "status after the push" monitor "$(push lab-clinic-monitor.yaml)"
row videobar "monitor: tcp/80 (default deny) passes" reached "$(captured internet 'tcp port 80' tcp_to videobar 203.0.113.1 80)"
row videobar "monitor: flow_denied 'by default deny'" raised \
  "$(raised flow_denied c0:28:8d:00:00:07 'would be denied by default deny')"
# The speakerphone (same zone, no RDnet attempt before: the daemon holds
# repeats of an event per device for 10 s) routes RDnet via its internet
# gateway: the ping leaves in a unicast frame to the uplink, which only the
# invariant conference-never-rdnet stops, in monitor mode too.
ip -n "$(ns speaker)" route replace 10.0.0.0/8 via 203.0.113.1 dev lan0
row speaker "monitor: RDnet via gateway (invariant)" blocked \
  "$(captured internet 'icmp and dst host 10.20.0.1' pings speaker 10.20.0.1)"
row speaker "monitor: region_access_attempt" raised \
  "$(raised region_access_attempt 30:50:75:00:00:08 'invariant:conference-never-rdnet')"
row portvaktd "enforce again: status" enforce "$(push lab-clinic.yaml)"
row videobar "enforce again: tcp/80 (default deny)" blocked "$(captured internet 'tcp port 80' tcp_to videobar 203.0.113.1 80)"

section "no payload or personal data stored (R10)"
# Payloads with the marker cross the switch, each shown to arrive, so the
# search below looks for something that really went through the appliance.
# (The PC behind the phone sends the HTTP body: the eKlient on eth3 is held
# out since its MAC was copied.)
ip netns exec "$(ns rdnet)" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.20.0.1", 8080)); s.listen(1); s.settimeout(8)
c, _ = s.accept(); c.settimeout(3); data = b""
while b"\r\n\r\n" not in data or not data.endswith(b"}"):
    chunk = c.recv(4096)
    if not chunk: break
    data += chunk
c.sendall(b"HTTP/1.0 204 No Content\r\n\r\n"); c.close()
open(sys.argv[1], "wb").write(data)' "$work/http-received" &
httpServer=$!
for _ in $(seq 50); do ip netns exec "$(ns rdnet)" ss -Hltn 'sport = :8080' | grep -q . && break; sleep 0.1; done
ip netns exec "$(ns pc)" curl -s -m 5 -o /dev/null -H 'Content-Type: application/json' \
  --data "{\"patient\":\"$marker-http-body\"}" http://10.20.0.1:8080/journal
wait "$httpServer"
row pc "HTTP body to RDnet arrives (server got it)" reached "$(grep -q -- "$marker-http-body" "$work/http-received" 2>/dev/null && echo reached || echo blocked)"
sip_with_body() {  # a REGISTER whose From URI names a person and whose body is a note
  local body="patient note $marker-sip-body"
  printf 'REGISTER sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK2\r\nFrom: "Anna Andersson" <sip:anna.%s-sip-from@198.18.0.1>;tag=2\r\nTo: <sip:anna.%s-sip-from@198.18.0.1>\r\nCall-ID: 2@x\r\nCSeq: 2 REGISTER\r\nUser-Agent: Yealink SIP-T54W 96.86.0.100\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s' \
    "$marker" "$marker" "${#body}" "$body" > "$work/register-r10.txt"
  ip netns exec "$(ns phone)" bash -c "cat '$work/register-r10.txt' > /dev/udp/198.18.0.1/5060" 2>/dev/null
}
row phone "SIP REGISTER with a body and a From URI" reached "$(captured voice 'udp port 5060' sip_with_body)"
# DHCP options no class needs: a user class (77) and a client FQDN (81); and a
# host name naming a person, which the policy does not use for this device (no
# class matches host names, no inventory entry for its MAC).
printf 'send user-class "%s-dhcp-user-class";\nsend fqdn.fqdn "%s-dhcp-fqdn.example";\n' "$marker" "$marker" >> "$work/linux.conf"
sed "s/^send host-name .*/send host-name \"anna-$marker\";/" "$work/linux.conf" > "$work/speaker-r10.conf"
timeout 12 ip netns exec "$(ns speaker)" dhclient -1 -cf "$work/speaker-r10.conf" -lf "$work/speaker-r10.lease" \
  -pf "$work/speaker-dhclient.pid" lan0 >/dev/null 2>&1
speakerIp2=$(sed -n 's/^ *fixed-address \([0-9.]*\);/\1/p' "$work/speaker-r10.lease" 2>/dev/null | tail -1)
row speaker "DHCP: user class, FQDN, a person's host name" reached "$(leased "$speakerIp2")"
row printer "mDNS TXT record on its wire (capture)" reached "$(tcpdump -r "$work/printer-mdns.pcap" -A 2>/dev/null | grep -q -F -- "$marker-mdns-txt" && echo reached || echo blocked)"
sleep 6  # the device flush (every 5 s) and the alert feed have written what they will
ip netns exec "$(ns sw)" curl -s -m 5 http://127.0.0.1:9120/metrics > "$work/r10-metrics.txt"
{ "$pv" devices --json; "$pv" alerts --json --limit 10000; "$pv" status --json; "$pv" policy history; } > "$work/r10-exports.json" 2>&1
# Where the appliance writes: its state directory (SQLite database, WAL,
# audit trail, alert spool), its log, the alert sinks' files, the metrics and
# what the API exports.
written="$work/state $work/daemon.log $work/r10-metrics.txt $work/r10-exports.json"
[ -f /var/log/portvakt/alerts.jsonl ] && written="$written /var/log/portvakt/alerts.jsonl"
found=$(grep -r -a -l -F -- "$marker" $written 2>/dev/null | tr '\n' ' ')
row portvaktd "marker in anything it wrote" absent "${found:-absent}"
# Control: the search does see what the appliance keeps on purpose (the
# phone's SIP User-Agent, a class's evidence), in the database files too.
row portvaktd "control: SIP User-Agent in the state dir" found \
  "$(grep -r -a -q -F 'Yealink SIP-T54W' "$work/state" && echo found || echo missing)"
[ -s "$work/r10-metrics.txt" ] || { echo "clinic_lab: no metrics scraped"; mismatch=1; }

# What the service desk would hear.
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
