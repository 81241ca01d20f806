# Sourced by the 802.1X e2e scripts (dot1x.sh, dot1x_admission.sh,
# dot1x_deauth.sh) and the measuring script bench/dot1x_admission_bench.sh
# (not a test itself: ctest runs *.sh): the parts they share. The caller has
# set $work (its temporary directory), $id (unique to the run) and ns()
# (a lab name -> its namespace), and sourced common.bash (or set -uo pipefail).
#   dot1x_require_tools TOOL...  skip (77) outside CI, fail under CI=true
#   ok / fail / wait_for         the checks' output and a polling helper
#   dot1x_pki NAME=CN...         a CA, the RADIUS server's certificate and a
#                                client certificate per NAME (CN = the asset
#                                id); !NAME=CN is revoked; the CRL
#   dot1x_radius_config          the shared secret ($work/radius.secret, mode
#                                600) and FreeRADIUS's own minimal config in
#                                $rad: EAP-TLS, CRL check, identity = CN
#   start_radius NS              FreeRADIUS -X in namespace NS on its loopback
#                                (log $work/radius.log), $radius_pid
#   supplicant_conf FILE CERT IDENTITY   a wpa_supplicant config for EAP-TLS
# The host's own freeradius service is never used.

dot1x_require_tools() {
  local tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
      [ "${CI:-}" = true ] && { echo "FAIL: $tool is not installed (./run deps installs it)"; exit 1; }
      echo "skip: $tool is not installed (./run deps installs hostapd, wpasupplicant, freeradius)"; exit 77
    fi
  done
  PATH=$PATH:/usr/sbin
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" >/dev/null 2>&1 && { ok "$what"; return 0; }
    sleep 0.1
  done
  fail "$what (not within $seconds s)"
  return 1
}

dot1x_pki() {
  pki=$work/pki
  mkdir -p "$pki/ca"
  cat > "$pki/ca.cnf" <<EOF
[ca]
default_ca = lab
[lab]
database = $pki/ca/index.txt
new_certs_dir = $pki/ca
serial = $pki/ca/serial
crlnumber = $pki/ca/crlnumber
certificate = $pki/ca.pem
private_key = $pki/ca.key
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any
[any]
commonName = supplied
[server_ext]
extendedKeyUsage = serverAuth
[client_ext]
extendedKeyUsage = clientAuth
EOF
  touch "$pki/ca/index.txt"; echo 01 > "$pki/ca/serial"; echo 01 > "$pki/ca/crlnumber"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 2 \
    -subj "/CN=portvakt lab CA $id" 2>/dev/null || { echo "FAIL: openssl could not make the CA"; exit 1; }
  issue() {  # name CN extension
    openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/CN=$2" 2>/dev/null &&
      openssl ca -batch -config "$pki/ca.cnf" -extensions "$3" -in "$pki/$1.csr" -out "$pki/$1.pem" -notext 2>/dev/null
  }
  issue server radius.lab server_ext || { echo "FAIL: openssl could not issue the server certificate"; exit 1; }
  local spec name
  for spec in "$@"; do
    name=${spec%%=*}
    issue "${name#!}" "${spec#*=}" client_ext || { echo "FAIL: openssl could not issue $spec"; exit 1; }
    if [ "${name:0:1}" = "!" ]; then
      openssl ca -config "$pki/ca.cnf" -revoke "$pki/${name#!}.pem" 2>/dev/null ||
        { echo "FAIL: openssl could not revoke $spec"; exit 1; }
    fi
  done
  openssl ca -config "$pki/ca.cnf" -gencrl -out "$pki/crl.pem" 2>/dev/null ||
    { echo "FAIL: openssl could not make the CRL"; exit 1; }
}

dot1x_radius_config() {
  secret="lab-$id-$RANDOM$RANDOM"
  printf '%s\n' "$secret" > "$work/radius.secret"
  chmod 600 "$work/radius.secret"
  rad=$work/radius
  mkdir -p "$rad/run" "$rad/capath"
  cp "$pki/ca.pem" "$pki/crl.pem" "$rad/capath/" && openssl rehash "$rad/capath" 2>/dev/null
  cat > "$rad/radiusd.conf" <<EOF
prefix = /usr
confdir = $rad
raddbdir = $rad
run_dir = $rad/run
logdir = $rad
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = $rad/run/radiusd.pid
name = radiusd
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 3
  max_requests_per_server = 0
}
client switch {
  ipaddr = 127.0.0.1
  secret = $secret
  require_message_authenticator = yes
}
modules {
  eap {
    default_eap_type = tls
    timer_expire = 60
    max_sessions = ${DOT1X_RADIUS_MAX_SESSIONS:-64}
    tls-config tls-common {
      private_key_file = $pki/server.key
      certificate_file = $pki/server.pem
      ca_file = $pki/ca.pem
      ca_path = $rad/capath
      check_crl = yes
      cipher_list = "DEFAULT"
      tls_min_version = "1.2"
      tls_max_version = "1.2"
      check_cert_cn = %{User-Name}
    }
    tls {
      tls = tls-common
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = 1812
  }
  authorize {
    eap {
      ok = return
    }
  }
  authenticate {
    eap
  }
  post-auth {
  }
}
EOF
}

start_radius() {  # namespace
  ip netns exec "$1" freeradius -X -d "$rad" >> "$work/radius.log" 2>&1 &
  radius_pid=$!
  wait_for 30 "FreeRADIUS is ready in the switch namespace" \
    grep -q "Ready to process requests" "$work/radius.log"
}

supplicant_conf() {  # file cert-name identity
  cat > "$1" <<EOF
ctrl_interface=${1%.conf}
eapol_version=2
ap_scan=0
network={
  key_mgmt=IEEE8021X
  eap=TLS
  identity="$3"
  ca_cert="$pki/ca.pem"
  client_cert="$pki/$2.pem"
  private_key="$pki/$2.key"
  eapol_flags=0
}
EOF
}

# The daemon log ($work/daemon.log) and FreeRADIUS log ($work/radius.log) of a test.
logged() { grep -qE "$1" "$work/daemon.log"; }
logged_times() { [ "$(grep -cE "$2" "$work/daemon.log")" -ge "$1" ]; }  # N REGEX
dump() {
  echo "--- daemon log"; grep -v '"event":"device_new"' "$work/daemon.log" | tail -40
  echo "--- radius (errors)"; grep -E "ERROR|Login incorrect" "$work/radius.log" | tail -10
}
