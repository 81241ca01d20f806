#!/usr/bin/env bash
# portvakt simulate and trace on real captures from ../shared/pcaps.
set -uo pipefail
build=${1:?usage: simulate_cli.sh BUILD_DIR}
pv=${PORTVAKT_BIN:-$build/control/portvakt}
site=examples/vardcentral-karlstad.yaml
dhcp=../shared/pcaps/tcpdump/dhcp-rfc4388.pcap
lldp=../shared/pcaps/tcpdump/LLDP_and_CDP.pcap
if [ ! -f "$dhcp" ] || [ ! -f "$lldp" ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: ../shared/pcaps missing under CI"; exit 1; }
  echo "skip: ../shared/pcaps not present"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail=0
check() {  # description pattern file
  grep -qE -- "$2" "$3" || { echo "FAIL: $1: no /$2/"; sed 's/^/  | /' "$3" | head -30; fail=1; }
}

"$pv" simulate --policy "$site" --pcap "$dhcp" > "$work/sim" 2>&1 || { echo "FAIL: simulate exit $?"; fail=1; }
check "frame count" "^54 frames from .* on eth3 under vardcentral-karlstad" "$work/sim"
check "the DHCP server on an access port is a rogue" "quarantine +dropped:rogue_dhcp +17$" "$work/sim"
check "the rogue server alert" "^  rogue_dhcp  a6:82:4b:c9:a1:a7" "$work/sim"
check "the client's fingerprint is evidence" "dhcp.parameter_list=1,28,2,121,15,6,12,40,41,42,26,119,3" "$work/sim"
check "decode anomalies are listed" "decode.dhcp.bad_cookie  2" "$work/sim"

"$pv" simulate --policy "$site" --pcap "$lldp" --json > "$work/lldp.json" || { echo "FAIL: simulate --json"; fail=1; }
if [ -f /usr/share/ieee-data/oui.txt ]; then
  check "vendor names from the IEEE registry" '"vendor": "Cisco' "$work/lldp.json"
elif [ "${CI:-}" = true ]; then
  echo "FAIL: ieee-data missing under CI"; fail=1
fi
check "JSON devices with CDP evidence" '"evidence": ".*cdp.platform=\\"cisco WS-C3560-24TS\\"' "$work/lldp.json"

"$pv" trace --policy "$site" --pcap "$dhcp" --frame 2 > "$work/trace" || { echo "FAIL: trace exit"; fail=1; }
check "trace decodes" "^  decode   a6:82:4b:c9:a1:a7 -> 74:83:ef:07:d0:a9, layers eth,ipv4,icmp" "$work/trace"
check "trace names the policy step" "^  policy   blocked: zone quarantine is a quarantine zone" "$work/trace"
check "trace verdict" "^  verdict  dropped:quarantine" "$work/trace"

"$pv" trace --policy "$site" --hex "ffffffffffff 3c52821a2b3c 0806 0001 0800 06 04 0001 3c52821a2b3c 0a0a0017 000000000000 0a0a0001" > "$work/hex" || { echo "FAIL: trace --hex"; fail=1; }
check "a frame given in hex is decoded" "layers eth,arp, anomalies none" "$work/hex"
check "and placed by the policy (no DHCP yet: quarantine)" "^  verdict  dropped:quarantine in zone quarantine" "$work/hex"
"$pv" trace --policy "$site" --hex "abc" > /dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: odd hex is a usage error"; fail=1; }
"$pv" simulate --policy "$site" --pcap "$dhcp" --fingerprints ../shared/fingerprints/fingerbank/dhcp_fingerprints.conf > /dev/null || { echo "FAIL: --fingerprints with Fingerbank"; fail=1; }
"$pv" simulate --policy "$site" --pcap "$dhcp" --fingerprints /nonexistent.conf > "$work/out" 2>&1; [ $? -eq 3 ] || { echo "FAIL: a missing fingerprint file is a runtime error"; fail=1; }

"$pv" trace --policy "$site" --pcap "$dhcp" --frame 999 > "$work/out" 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: a frame past the end: exit $rc, want 2"; fail=1; }
check "says how many frames there are" "the capture has 54 frames" "$work/out"
"$pv" simulate --policy "$site" --pcap /nonexistent.pcap > "$work/out" 2>&1; rc=$?
[ $rc -eq 3 ] || { echo "FAIL: a missing capture: exit $rc, want 3"; fail=1; }
check "names the missing file" "/nonexistent.pcap" "$work/out"
"$pv" simulate --policy "$site" --pcap "$dhcp" --port eth99 > "$work/out" 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: unknown port: exit $rc, want 2"; fail=1; }

[ $fail -eq 0 ] && echo "simulate/trace ok"
exit $fail
