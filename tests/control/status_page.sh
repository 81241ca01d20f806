#!/usr/bin/env bash
# The status page in a real headless Chromium, over mutual TLS, against a
# portvaktd that forwards between network namespaces:
#   sp<pid>-sw      portvaktd (this test's policy, HTTPS on the namespace's loopback)
#   sp<pid>-rdnet   the uplink (eth0)
#   sp<pid>-pc      an inventoried eKlient, 3c:52:82:00:00:31 (eth3): DHCP with
#                   Windows' vendor class and option 55 list, so it lands in region
#   sp<pid>-guest   an inventoried MAC pinned to the guests zone, 00:80:77:00:00:41
#                   (eth4), whose DHCP host name and vendor class are markup and
#                   script, and which then answers as a rogue DHCP server
#                   (rogue_dhcp, critical)
# Chromium (Debian's `chromium`) gets the servicedesk certificate and the
# region CA from an NSS database (certutil, pk12util) and sends the
# certificate because the managed policy AutoSelectCertificateForUrls names
# the appliance; that policy lives in /etc/chromium/policies inside a private
# mount namespace of this run (a tmpfs over /etc/chromium), never on the host.
# tests/control/status_page_browser.py drives it over the DevTools protocol
# and checks: the overview (policy, ports, open alerts), devices by zone (both
# MACs, the hostile strings as text, no element or script made of them) and
# the graph load; no console errors; an acknowledge from the page reaches the
# store (read here with sqlite3: the alert's acked_by_subject is the
# servicedesk certificate's); a form posted from another origin is refused;
# the servicedesk certificate cannot push (403); Swedish by Accept-Language.
# Screenshots of each page: BUILD_DIR/test-artifacts/status_page/*.png
# (docs/images/status-page.png is one of them).
# Usage: status_page.sh BUILD_DIR   (root; from the project root)
# Requirements: R7, R9
set -uo pipefail
build=${1:?usage: status_page.sh BUILD_DIR}
cannot_run() {  # a skip outside CI (ctest: skipped), a failure under CI=true
  [ "${CI:-}" = true ] && { echo "FAIL: $1"; exit 1; }
  echo "skip: $1"; exit 77
}
[ "$(id -u)" -eq 0 ] || cannot_run "needs root (network namespaces, a mount namespace for Chromium's policy)"
chromium=/usr/lib/chromium/chromium
[ -x "$chromium" ] || cannot_run "Chromium is not installed (Debian package chromium; ./run deps installs it)"
for tool in certutil pk12util openssl python3 sqlite3 unshare ethtool jq; do
  command -v $tool >/dev/null || cannot_run "$tool is not installed (./run deps installs it)"
done
[ -d /etc/chromium ] || cannot_run "/etc/chromium is missing (the chromium package makes it)"
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
pvd=$build/control/portvaktd
pv=$build/control/portvakt
here=$PWD/tests/control
work=$(mktemp -d)
export PORTVAKT_SOCKET=$work/api.sock
artifacts=$build/test-artifacts/status_page
rm -rf "$artifacts" && mkdir -p "$artifacts"
tag=sp$$
ns() { echo "$tag-$1"; }
hosts="sw rdnet pc guest"
daemon=
fail=0
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  for n in $hosts; do
    pids=$(ip netns pids "$(ns $n)" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
  done
  for n in $hosts; do ip netns del "$(ns $n)" 2>/dev/null; done
  [ -n "${KEEP_WORK:-}" ] && cp -r "$work" "$KEEP_WORK"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
failure() { echo "FAIL: $*"; fail=1; }

# --- certificates: the region CA, the appliance, a servicedesk client
pki=$work/pki
mkdir -p "$pki"
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.crt" -days 2 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_cert() {  # name subject extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/region-ca.crt" -CAkey "$pki/region-ca.key" -CAcreateserial \
    -out "$pki/$1.crt" -days 2 -extfile "$pki/$1.ext" 2>/dev/null
  chmod 600 "$pki/$1.key"
}
make_ca region-ca "/O=Region Test/CN=Region Test Management CA"
make_cert server "/O=Region Test/CN=localhost" "$(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth')"
make_cert sd "/O=Region Test/OU=Servicedesk/CN=sam.servicedesk" "extendedKeyUsage=clientAuth"
for f in region-ca.crt server.crt server.key sd.crt sd.key; do [ -s "$pki/$f" ] || { echo "FAIL: $f was not made"; exit 1; }; done

# --- the policy
cat > "$work/site.yaml" <<EOF
portvakt: 1
name: status-page-lab
zones:
  region: {vlan: 10, purpose: "admitted eKlient PCs"}
  guests: {vlan: 30, purpose: "pinned visitors' devices"}
  quarantine: {vlan: 999, quarantine: true, purpose: "unknown devices reach nothing"}
ports:
  - {name: rdnet-uplink, interfaces: eth0, role: uplink, zones: [region]}
  - {name: wall-jacks, interfaces: "eth[3-4]", role: access, zones: [region, guests, quarantine], default_zone: quarantine}
classes:
  eklient:
    zone: region
    match:
      inventory: true
      dhcp: {vendor_class: "MSFT 5.0"}
    evidence: all
inventory:
  devices:
    - {mac: "3c:52:82:00:00:31", asset: SP-PC-31, hostname: EK-SP-0031}
    - {mac: "00:80:77:00:00:41", asset: SP-PC-41, hostname: EK-SP-0041}
pins:
  # Out of quarantine, so that its rogue DHCP offer meets the DHCP guard.
  - {mac: "00:80:77:00:00:41", zone: guests, reason: "the test's hostile device"}
sinks:
  local: {type: jsonl, path: "$work/alerts.jsonl"}
alerts:
  - {event: rogue_dhcp, severity: critical, sinks: [local]}
  - {event: device_new, severity: info, sinks: [local]}
management:
  roles:
    engineer: ["OU=Network Engineering"]
    servicedesk: ["OU=Servicedesk"]
EOF

# --- the namespaces
for n in $hosts; do ip netns add "$(ns $n)" || { echo "FAIL: ip netns add"; exit 1; }; done
ip -n "$(ns sw)" link set lo up
link() {  # switch port, host, host MAC
  local try
  for try in 1 2 3; do
    ip link add "$1" netns "$(ns sw)" type veth peer name lan0 netns "$(ns $2)" 2>"$work/ip.err" && break
    [ $try = 3 ] && { echo "FAIL: veth $1: $(cat "$work/ip.err")"; exit 1; }
    sleep 0.2
  done
  ip -n "$(ns $2)" link set lan0 address "$3"
  ip netns exec "$(ns $2)" ethtool -K lan0 tx off >/dev/null
  ip -n "$(ns $2)" link set lan0 up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1"
  ip -n "$(ns sw)" link set "$1" up
}
link eth0 rdnet 00:80:77:00:01:01
link eth3 pc 3c:52:82:00:00:31
link eth4 guest 00:80:77:00:00:41

ip netns exec "$(ns sw)" "$pvd" --policy "$work/site.yaml" --socket "$PORTVAKT_SOCKET" --metrics "" --state-dir "$work/state" \
  --https 127.0.0.1:0 --https-cert "$pki/server.crt" --https-key "$pki/server.key" --https-ca "$pki/region-ca.crt" \
  2>"$work/daemon.log" &
daemon=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*HTTPS API on .* (port \([0-9]*\)).*/\1/p' "$work/daemon.log")
  [ -n "$port" ] && [ -S "$PORTVAKT_SOCKET" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: portvaktd did not start HTTPS"; cat "$work/daemon.log"; exit 1; }

# --- the devices speak: real frames on the jacks
hostile_name="<script>alert('pwned')</script>"
hostile_vendor='"><img src=x onerror=alert(2)>'
ip netns exec "$(ns pc)" python3 "$here/status_page_dhcp.py" lan0 3c:52:82:00:00:31 discover "MSFT 5.0" EK-SP-0031 ||
  failure "the eKlient's DHCP DISCOVER was not sent"
ip netns exec "$(ns guest)" python3 "$here/status_page_dhcp.py" lan0 00:80:77:00:00:41 discover "$hostile_vendor" "$hostile_name" ||
  failure "the guest's DHCP DISCOVER was not sent"
ip netns exec "$(ns guest)" python3 "$here/status_page_dhcp.py" lan0 00:80:77:00:00:41 offer ||
  failure "the guest's DHCP OFFER was not sent"
ready=
for _ in $(seq 100); do
  "$pv" devices --json >"$work/devices.json" 2>/dev/null
  "$pv" alerts --json >"$work/alerts.json" 2>/dev/null
  if jq -e '[.devices[] | select(.mac == "3c:52:82:00:00:31" and .zone == "region")] | length == 1' "$work/devices.json" >/dev/null &&
     jq -e '[.devices[] | select(.mac == "00:80:77:00:00:41")] | length == 1' "$work/devices.json" >/dev/null &&
     jq -e '[.alerts[] | select(.event == "rogue_dhcp")] | length == 1' "$work/alerts.json" >/dev/null &&
     jq -e '[.alerts[] | select(.event == "device_new")] | length >= 1' "$work/alerts.json" >/dev/null; then
    ready=1; break
  fi
  sleep 0.2
done
[ -n "$ready" ] || { failure "the devices and alerts did not appear"; cat "$work/devices.json" "$work/alerts.json"; tail "$work/daemon.log"; }
"$pv" devices show 00:80:77:00:00:41 > "$work/guest.txt" 2>&1
grep -qF "$hostile_name" "$work/guest.txt" || { failure "the guest's host name is not in its evidence"; cat "$work/guest.txt"; }

# --- Chromium with the servicedesk certificate
home=$work/home-sd
mkdir -p "$home/.pki/nssdb" "$home/profile" "$work/chromium-policy"
certutil -N -d "sql:$home/.pki/nssdb" --empty-password
certutil -A -d "sql:$home/.pki/nssdb" -n region-ca -t "C,," -i "$pki/region-ca.crt"
openssl pkcs12 -export -in "$pki/sd.crt" -inkey "$pki/sd.key" -out "$work/sd.p12" -passout pass: -name sam.servicedesk
pk12util -d "sql:$home/.pki/nssdb" -i "$work/sd.p12" -W "" >/dev/null || failure "pk12util could not import the certificate"
printf '{"AutoSelectCertificateForUrls": ["{\\"pattern\\": \\"https://127.0.0.1:%s\\", \\"filter\\": {}}"]}\n' "$port" \
  > "$work/chromium-policy/portvakt-test.json"
ip netns exec "$(ns sw)" unshare -m --propagation private sh -c '
  mount -t tmpfs -o mode=755 portvakt-test /etc/chromium &&
  mkdir -p /etc/chromium/policies/managed && cp "$1"/*.json /etc/chromium/policies/managed/ && shift &&
  HOME=$1 && export HOME && shift && exec timeout 240 "$@"' sh "$work/chromium-policy" "$home" \
  python3 "$here/status_page_browser.py" --chromium "$chromium" --base "https://127.0.0.1:$port" --out "$artifacts" \
  --profile "$home/profile" --site status-page-lab --mac 3c:52:82:00:00:31 --mac 00:80:77:00:00:41 \
  --text "$hostile_name" --text "$hostile_vendor" --ack-event rogue_dhcp --expect-push 403 > "$work/browser.out" 2>&1
rc=$?
sed 's/^/  browser: /' "$work/browser.out"
[ $rc -eq 0 ] || { failure "the browser checks failed (exit $rc)"; tail -20 "$home/profile/chromium.log" 2>/dev/null; }
acked=$(sed -n 's/^acked \(.*\)$/\1/p' "$work/browser.out")
if [ -z "$acked" ]; then
  failure "the browser acknowledged no alert"
else
  who=$(sqlite3 "$work/state/portvakt.db" "SELECT acked_by_subject FROM alerts WHERE id = '$acked'")
  [ "$who" = "CN=sam.servicedesk,OU=Servicedesk,O=Region Test" ] ||
    failure "the store's alert $acked was acknowledged by '$who', not by the servicedesk certificate"
fi
for page in overview devices graph overview-sv; do
  [ -s "$artifacts/$page.png" ] || failure "no screenshot of $page"
done
sqlite3 "$work/state/portvakt.db" "SELECT method, path, status FROM api_calls WHERE subject LIKE 'CN=sam.servicedesk%'" > "$work/calls"
grep -q "^POST|/api/v1/policy/push|403$" "$work/calls" || { failure "the refused push is not in the audit trail"; cat "$work/calls"; }
grep -q "^POST|/status/alerts/$acked/ack|303$" "$work/calls" || { failure "the page's ack is not in the audit trail"; cat "$work/calls"; }
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"
# A sanitizer build (PORTVAKT_SANITIZE) reports into the daemon's log, leaks at its exit.
kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=
grep -E "runtime error|AddressSanitizer|LeakSanitizer" "$work/daemon.log" && failure "the sanitizers found something"
[ "$fail" -eq 0 ] && echo "status_page: all checks passed (screenshots in $artifacts)"
exit "$fail"
