#!/usr/bin/env bash
# The HTTPS management API with real parts: certificates made here with
# openssl (the region's CA; the appliance's server certificate; engineer,
# servicedesk and monitor client certificates; one the CA revoked in its CRL;
# one from another CA; one the policy gives no role), a real portvaktd serving
# HTTPS on loopback (--forward no: no ports, so no root needed), and the real
# CLI, curl and openssl s_client as clients.
#   - the key file check: a group-readable server key stops the daemon, clearly;
#   - no client certificate, another CA's, a revoked one, TLS 1.1: no answer
#     (the TLS handshake fails; curl gets no HTTP status at all);
#   - a certificate without a role: 403; monitor reads status and metrics only;
#     servicedesk reads but cannot push (CLI and curl); an engineer pushes with
#     the CLI (--server/--cert/--key/--ca, and a named --profile) and the
#     history and the audit trail (api_calls) record the certificate's subject;
#     servicedesk acks an alert and the alert records its subject;
#   - every route in docs/api/openapi.yaml answers (neither 404 nor 405);
#   - bad requests: a 2 MiB body (413), a wrong content type (415), malformed
#     JSON (400), an unknown route (404), a wrong method (405), an unknown query
#     parameter (400), each with a JSON error; idle TLS connections holding
#     every worker do not stop the Unix socket's status, and HTTPS answers
#     again once their read timeout closes them;
#   - slow clients (tests/control/https_api_drip.py): one dripping its TLS
#     ClientHello, two their headers, one its body, a byte a second, as many as
#     there are workers: each is cut off by the request deadline (10 s) and a
#     normal client is answered meanwhile;
#   - the CRL is reread when its file changes: a certificate the CA revokes
#     after the start is refused from then on, without a restart; a broken
#     new CRL file leaves the last good one in force;
#   - the status page with curl: monitor gets 403, servicedesk the page (in
#     Swedish when asked) with the open alerts and an acknowledge form; its POST is refused without the same Origin or without
#     the page's token, and acknowledges with both (the store records who);
#   - a prune of the audit trail that SQLite refuses (a trigger) is in the log.
# Usage: https_api.sh BUILD_DIR   (from the project root)
# Requirements: R9
set -uo pipefail
build=${1:?usage: https_api.sh BUILD_DIR}
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
pv=$build/control/portvakt
pvd=$build/control/portvaktd
for tool in openssl curl sqlite3 jq python3; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (./run deps installs it)"; exit 1; }
done
work=$(mktemp -d)
export PORTVAKT_SOCKET=$work/api.sock
daemon=
idle=""
fail=0
cleanup() {
  for p in $idle; do kill "$p" 2>/dev/null; done
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
failure() { echo "FAIL: $*"; fail=1; }

# --- certificates
pki=$work/pki
mkdir -p "$pki"
cd "$pki" || exit 1
make_ca() {  # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -days 2 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
make_cert() {  # name subject ca extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -out "$1.crt" -days 2 \
    -extfile "$1.ext" 2>/dev/null
  chmod 600 "$1.key"
}
client_ext="extendedKeyUsage=clientAuth"
make_ca region-ca "/O=Region Test/CN=Region Test Management CA"
make_ca other-ca "/O=Elsewhere/CN=Another CA"
make_cert server "/O=Region Test/CN=localhost" region-ca \
  "$(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth')"
make_cert eva "/O=Region Test/OU=Network Engineering/CN=eva.engineer" region-ca "$client_ext"
make_cert sd "/O=Region Test/OU=Servicedesk/CN=sam.servicedesk" region-ca "$client_ext"
make_cert mon "/O=Region Test/OU=Monitoring/CN=prometheus" region-ca "$client_ext"
make_cert mallory "/O=Region Test/OU=Network Engineering/CN=mallory" region-ca "$client_ext"
make_cert guest "/O=Region Test/OU=Visitors/CN=guest" region-ca "$client_ext"
make_cert late "/O=Region Test/OU=Servicedesk/CN=revoked.later" region-ca "$client_ext"
make_cert stranger "/O=Elsewhere/OU=Network Engineering/CN=stranger" other-ca "$client_ext"
# The CA revokes mallory and publishes its CRL.
printf '' > index.txt
cat > ca.cnf <<EOF
[ca]
default_ca = region
[region]
database = index.txt
default_md = sha256
default_crl_days = 2
crlnumber = crlnumber
EOF
echo 01 > crlnumber
openssl ca -config ca.cnf -cert region-ca.crt -keyfile region-ca.key -revoke mallory.crt 2>/dev/null ||
  { echo "FAIL: openssl ca -revoke"; exit 1; }
openssl ca -config ca.cnf -cert region-ca.crt -keyfile region-ca.key -gencrl -out region.crl 2>/dev/null ||
  { echo "FAIL: openssl ca -gencrl"; exit 1; }
cd - >/dev/null || exit 1
for f in "$pki"/*.crt "$pki"/*.key; do [ -s "$f" ] || { echo "FAIL: $f was not made"; exit 1; }; done

# --- the policy: the examples, with the region's management roles in the base.
mkdir -p "$work/policy"
cp examples/region-base.yaml examples/vardcentral-karlstad.yaml examples/vardcentral-karlstad-inventory.csv \
  examples/fysioterapi-arvika.yaml examples/fysioterapi-arvika-inventory.csv examples/dhcp-fingerprints.conf "$work/policy/"
cat >> "$work/policy/region-base.yaml" <<'EOF'

management:
  roles:
    engineer: ["OU=Network Engineering"]
    servicedesk: ["OU=Servicedesk"]
    monitor: ["CN=prometheus"]
EOF

start_daemon() {  # extra options...
  "$pvd" --policy "$work/policy/vardcentral-karlstad.yaml" --socket "$PORTVAKT_SOCKET" --forward no --metrics "" \
    --state-dir "$work/state" \
    --https 127.0.0.1:0 --https-cert "$pki/server.crt" --https-key "$pki/server.key" --https-ca "$pki/region-ca.crt" \
    --https-crl "$pki/region.crl" "$@" 2>"$work/daemon.log" &
  daemon=$!
}

# --- the key must be the daemon's alone
chmod 640 "$pki/server.key"
start_daemon
for _ in $(seq 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$daemon" 2>/dev/null; then
  failure "portvaktd started with a group-readable HTTPS key"
  kill "$daemon"; wait "$daemon" 2>/dev/null
else
  wait "$daemon"; rc=$?
  [ "$rc" -ne 0 ] || failure "portvaktd exited 0 on a group-readable key"
  grep -q "the HTTPS key $pki/server.key has mode 0640: the group or others may read it" "$work/daemon.log" ||
    { failure "the refusal does not say why"; cat "$work/daemon.log"; }
fi
daemon=
chmod 600 "$pki/server.key"

# A failed prune of the audit trail is said in the log, not discarded: the
# refused start above created the database; a call from 1970 is past the
# retention, a trigger refuses to delete it, and the first HTTPS call after the
# start prunes.
sqlite3 "$work/state/portvakt.db" \
  "INSERT INTO api_calls (time_ms, subject, role, method, path, command, status, error)
     VALUES (0, 'CN=old', '', 'GET', '/api/v1/status', 'status', 200, '');
   CREATE TRIGGER test_refuses_pruning BEFORE DELETE ON api_calls
     BEGIN SELECT RAISE(ABORT, 'pruning refused by the test'); END;" ||
  failure "cannot add the old call and the trigger that refuses pruning"

start_daemon
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*HTTPS API on .* (port \([0-9]*\)).*/\1/p' "$work/daemon.log")
  [ -n "$port" ] && [ -S "$PORTVAKT_SOCKET" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: portvaktd did not start HTTPS"; cat "$work/daemon.log"; exit 1; }
url=https://127.0.0.1:$port

# curl as a client: prints the HTTP status (000: no answer), the body in $work/body.
call() {  # who method path [curl options...]
  local who=$1 method=$2 path=$3; shift 3
  local auth=()
  [ "$who" != none ] && auth=(--cert "$pki/$who.crt" --key "$pki/$who.key")
  curl -s -o "$work/body" -w '%{http_code}' --max-time 20 --cacert "$pki/region-ca.crt" "${auth[@]}" \
    -X "$method" "$@" "$url$path"
}
expect_status() {  # want what who method path [curl options...]
  local want=$1 what=$2; shift 2
  local got
  got=$(call "$@")
  if [ "$got" != "$want" ]; then
    failure "$what: HTTP $got, want $want"; head -c 400 "$work/body" 2>/dev/null | sed 's/^/  | /'; echo
  fi
}
expect_body() {  # regex what
  grep -qE -- "$1" "$work/body" || { failure "$2: body lacks /$1/"; head -c 400 "$work/body" | sed 's/^/  | /'; echo; }
}

# --- who gets no answer at all
expect_status 000 "no client certificate: no answer" none GET /api/v1/status
expect_status 000 "another CA's certificate: no answer" stranger GET /api/v1/status
expect_status 000 "a revoked certificate: no answer" mallory GET /api/v1/status
# TLS 1.1, from a client that allows it (SECLEVEL=0: OpenSSL 3 refuses it by default).
printf 'GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
  timeout 10 openssl s_client -quiet -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -connect "127.0.0.1:$port" \
    -cert "$pki/eva.crt" -key "$pki/eva.key" -CAfile "$pki/region-ca.crt" > "$work/tls11" 2>&1
grep -q "^HTTP/1.1" "$work/tls11" && failure "TLS 1.1 got an answer"
expect_status 200 "TLS 1.2 answers" eva GET /api/v1/status --tlsv1.2 --tls-max 1.2
expect_status 200 "TLS 1.3 answers" eva GET /api/v1/status --tlsv1.3

# --- roles
expect_status 403 "a certificate without a role" guest GET /api/v1/status
expect_body "has no role: the running policy's management.roles" "the 403 says why"
expect_status 200 "monitor reads the status" mon GET /api/v1/status
expect_body '"policy":\{[^}]*"name":"vardcentral-karlstad"' "the status names the policy"
expect_status 200 "monitor reads the metrics" mon GET /metrics
expect_body '^# (HELP|TYPE) portvakt_' "the metrics are Prometheus text"
expect_status 403 "monitor cannot read devices" mon GET /api/v1/devices
expect_body "has the role 'monitor', which may not use devices" "and is told why"
for path in /api/v1/devices /api/v1/alerts /api/v1/ports /api/v1/policy/history; do
  expect_status 200 "servicedesk reads $path" sd GET "$path"
done
expect_status 403 "servicedesk cannot roll back" sd POST /api/v1/policy/rollback --data ''

expect_status 403 "servicedesk cannot forget a device" sd DELETE /api/v1/devices/a4:83:e7:00:20:01

# The CLI, remote: servicedesk cannot push, the engineer can.
remote() {  # who, then the CLI's arguments
  local who=$1; shift
  "$pv" "$@" --server "$url" --cert "$pki/$who.crt" --key "$pki/$who.key" --ca "$pki/region-ca.crt" \
    >"$work/out" 2>"$work/err"
}
remote sd policy push "$work/policy/fysioterapi-arvika.yaml"
rc=$?
[ "$rc" -ne 0 ] || failure "servicedesk pushed with the CLI"
grep -q "has the role 'servicedesk', which may not use policy.push" "$work/err" ||
  { failure "the CLI does not say why servicedesk may not push"; cat "$work/out" "$work/err"; }
remote eva policy push "$work/policy/fysioterapi-arvika.yaml" ||
  { failure "the engineer's push over HTTPS"; cat "$work/out" "$work/err"; }
remote eva status || failure "status over HTTPS with the CLI"
grep -q "fysioterapi-arvika" "$work/out" || { failure "status after the push does not name the new policy"; cat "$work/out"; }
"$pv" policy history >"$work/out" 2>&1 || failure "history over the Unix socket"
grep -qE "^2 .*CN=eva.engineer,OU=Network Engineering,O=Region Test  push" "$work/out" ||
  { failure "the history does not name the engineer's certificate"; cat "$work/out"; }

# A profile instead of the options.
cat > "$work/profiles.ini" <<EOF
[clinic-test]
server = $url
cert = $pki/sd.crt
key = $pki/sd.key
ca = $pki/region-ca.crt
EOF
PORTVAKT_PROFILES=$work/profiles.ini "$pv" devices --profile clinic-test >"$work/out" 2>&1 ||
  { failure "devices with --profile"; cat "$work/out"; }
PORTVAKT_PROFILES=$work/profiles.ini "$pv" status --profile no-such >"$work/out" 2>&1
[ $? -eq 2 ] && grep -q "has no profile \[no-such\]" "$work/out" || { failure "an unknown profile is not named"; cat "$work/out"; }
"$pv" status --server "$url" --cert "$pki/sd.crt" >"$work/out" 2>&1
[ $? -eq 2 ] && grep -q "needs --cert, --key and --ca" "$work/out" || { failure "--server without --key/--ca"; cat "$work/out"; }
"$pv" status --server "$url" --cert "$pki/stranger.crt" --key "$pki/stranger.key" --ca "$pki/region-ca.crt" >"$work/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "cannot reach portvaktd at $url" "$work/out" ||
  { failure "the CLI with another CA's certificate: exit $rc"; cat "$work/out"; }

# An invalid push raises policy_rejected; servicedesk acks it over HTTPS.
printf 'portvakt: 1\nname: broken\nzones: 7\n' > "$work/policy/broken.yaml"
remote eva policy push "$work/policy/broken.yaml" && failure "a broken policy was accepted"
id=
for _ in $(seq 50); do
  id=$("$pv" alerts --json 2>/dev/null | sed -n 's/.*"id": "\([^"]*\)".*/\1/p' | head -1)
  "$pv" alerts --json 2>/dev/null | grep -q policy_rejected && [ -n "$id" ] && break
  sleep 0.2
done
if [ -z "$id" ]; then
  failure "no policy_rejected alert to ack"
else
  remote sd alerts ack "$id" || { failure "servicedesk acks $id over HTTPS"; cat "$work/out" "$work/err"; }
  "$pv" alerts --json >"$work/out" 2>&1
  grep -q '"acked_by_subject": "CN=sam.servicedesk,OU=Servicedesk,O=Region Test"' "$work/out" ||
    { failure "the alert does not record who acked it"; cat "$work/out"; }
fi

# --- every documented route answers (neither 404 nor 405), as the engineer
routes=$(awk '/^paths:/{p=1;next} /^[a-z]/{p=0} p && /^  \//{path=$1; sub(":$","",path)}
              p && /^    (get|post|delete|put|patch):/{m=$1; sub(":$","",m); print toupper(m), path}' docs/api/openapi.yaml)
[ "$(echo "$routes" | wc -l)" -ge 12 ] || failure "found only $(echo "$routes" | wc -l) routes in docs/api/openapi.yaml"
while read -r method path; do
  path=${path//\{mac\}/a4:83:e7:00:20:99}
  path=${path//\{id\}/no-such-alert}
  body=()
  [ "$method" = POST ] && body=(-H 'Content-Type: application/json' --data '{}')
  [ "$path" = /api/v1/policy/push ] || [ "$path" = /api/v1/policy/rollback ] && body=(-H 'Content-Type: application/json' --data '{"version": 999}')
  [ "$path" = /api/v1/policy/push ] && body=(-H 'Content-Type: application/json' --data '{}')
  got=$(call eva "$method" "$path" "${body[@]}")
  case "$method $path" in
    "GET /") want="303" ;;                                     # to /status
    "POST /status/alerts/no-such-alert/ack") want="403" ;;  # a form post without the page's Origin and token
    *) want="200 400" ;;
  esac
  case " $want " in *" $got "*) ;; *) failure "documented route $method $path answers $got, want $want"; cat "$work/body"; echo ;; esac
done <<< "$routes"

# --- bad requests: a clear JSON error each
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' > "$work/big"
expect_status 413 "a 2 MiB body" eva POST /api/v1/policy/plan -H 'Content-Type: application/json' --data-binary "@$work/big"
expect_body '"error":"the request body is over 1048576 bytes' "the 413 says the limit"
expect_status 415 "a body that is not JSON" eva POST /api/v1/policy/plan -H 'Content-Type: text/yaml' --data 'a: 1'
expect_body "send Content-Type: application/json" "the 415 says what to send"
expect_status 400 "malformed JSON" eva POST /api/v1/policy/plan -H 'Content-Type: application/json' --data '{"bundle":'
expect_body '"error":"malformed JSON body' "the 400 says the JSON is malformed"
expect_status 400 "an incomplete plan" eva POST /api/v1/policy/plan -H 'Content-Type: application/json' --data '{}'
expect_body "policy.plan needs 'bundle'" "the handler's own error, as over the socket"
expect_status 404 "an unknown route" eva GET /api/v1/nothing
expect_body "no route GET /api/v1/nothing" "the 404 names the route"
expect_status 405 "a wrong method" eva PUT /api/v1/status --data ''
expect_body "PUT is not a method of /api/v1/status" "the 405 says so"
expect_status 400 "an unknown query parameter" eva GET "/api/v1/alerts?since=1"
expect_body "unknown query parameter 'since'" "the 400 names the parameter"
expect_status 400 "a bad limit" eva GET "/api/v1/alerts?limit=many"

# --- idle TLS clients: 8 connections that finish the handshake and say nothing
# (twice the workers). The Unix socket answers meanwhile, and HTTPS answers
# once their read timeout (5 s) has closed them: within 20 s.
for _ in $(seq 8); do
  sleep 30 | openssl s_client -quiet -connect "127.0.0.1:$port" -cert "$pki/eva.crt" -key "$pki/eva.key" \
    -CAfile "$pki/region-ca.crt" >/dev/null 2>&1 &
  idle="$idle $!"
done
sleep 1
timeout 5 "$pv" status >/dev/null 2>&1 || failure "the Unix socket's status while idle TLS clients hold the workers"
expect_status 200 "HTTPS status with idle TLS clients around" eva GET /api/v1/status
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"

# --- slow clients: as many as there are workers (4), each sending a byte a
# second and never finishing: its TLS ClientHello, its headers, its body. The
# request deadline (kHttpsRequestDeadlineS, 10 s) cuts each off; a normal
# client started meanwhile gets its answer (without the deadline the drippers
# would hold every worker for the whole minute they drip).
python3 tests/control/https_api_drip.py 127.0.0.1 "$port" "$pki/eva.crt" "$pki/eva.key" "$pki/region-ca.crt" \
  --give-up 60 handshake headers headers body > "$work/drip" 2>&1 &
drip=$!
idle="$idle $drip"
sleep 2
started=$(date +%s)
expect_status 200 "a normal client while slow clients drip" eva GET /api/v1/status
waited=$(( $(date +%s) - started ))
wait "$drip"
echo "https_api: the normal client was answered after ${waited} s; the slow clients: $(tr '\n' ';' < "$work/drip")"
[ "$(grep -c "closed-after" "$work/drip")" -eq 4 ] || { failure "a slow client was not cut off"; cat "$work/drip"; }
while read -r kind state seconds _; do
  # The deadline is 10 s from the handshake's start; the watchdog looks every 0.1 s.
  [ "$state" = closed-after ] && awk -v s="$seconds" 'BEGIN { exit !(s >= 8 && s <= 20) }' ||
    failure "$kind: $state $seconds s, want closed after 8-20 s"
done < "$work/drip"
kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"

# --- the CRL is reread when its file changes. revoked.later works now; the
# CA revokes it and the new CRL replaces the file (renamed over it, as an
# operator's fetch job does): from then on its handshake fails, without a
# restart, while others go on. A broken file later changes nothing.
expect_status 200 "revoked.later before its revocation" late GET /api/v1/status
( cd "$pki" && openssl ca -config ca.cnf -cert region-ca.crt -keyfile region-ca.key -revoke late.crt 2>/dev/null &&
  openssl ca -config ca.cnf -cert region-ca.crt -keyfile region-ca.key -gencrl -out region.crl.new 2>/dev/null &&
  mv region.crl.new region.crl ) || failure "openssl ca could not revoke revoked.later"
expect_status 000 "revoked.later after the new CRL: no answer" late GET /api/v1/status
expect_status 200 "servicedesk after the new CRL" sd GET /api/v1/status
grep -q "the CRL $pki/region.crl changed: 1 CRL(s) in force for new connections" "$work/daemon.log" ||
  { failure "the daemon does not say it took the new CRL"; tail -5 "$work/daemon.log"; }
echo "not a CRL" > "$pki/region.crl.new" && mv "$pki/region.crl.new" "$pki/region.crl"
expect_status 200 "servicedesk after a broken CRL file" sd GET /api/v1/status
expect_status 000 "revoked.later stays refused after a broken CRL file" late GET /api/v1/status
grep -q "holds no PEM CRL (-----BEGIN X509 CRL-----); the CRL read before stays in force" "$work/daemon.log" ||
  { failure "the daemon does not say the broken CRL was not taken"; tail -5 "$work/daemon.log"; }

# --- the status page, with curl (a real browser: tests/control/status_page.sh)
expect_status 403 "monitor may not read the status page" mon GET /status
expect_body "may not read the status page" "the 403 page says why"
# The open alerts: the engineer's pushes raised policy_reload (the
# policy_rejected above is acknowledged already).
page_alert=$("$pv" alerts --unacked --json 2>/dev/null | jq -r '.alerts[0].id // empty')
[ -n "$page_alert" ] || failure "no open alert for the status page to show"
expect_status 200 "servicedesk reads the status page" sd GET /status -H 'Accept-Language: sv-SE,sv;q=0.9'
expect_body "<html lang=\"sv\">" "the page is in Swedish for a Swedish browser"
expect_body "data-alert=\"$page_alert\"" "the page lists the open alert"
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' "$work/body" | head -1)
[ ${#token} -eq 64 ] || failure "no acknowledge form token on the page"
expect_status 200 "servicedesk reads the devices page" sd GET /status/devices
expect_status 200 "servicedesk reads the graph page" sd GET /status/graph
expect_status 200 "the graph's SVG" sd GET /status/graph.svg
expect_body "<svg" "the graph is SVG"
form=(-H 'Content-Type: application/x-www-form-urlencoded' --data "token=$token")
expect_status 403 "an ack form without Origin" sd POST "/status/alerts/$page_alert/ack" "${form[@]}"
expect_status 403 "an ack form from another site" sd POST "/status/alerts/$page_alert/ack" "${form[@]}" -H 'Origin: https://evil.example'
expect_body "cross-site" "the refusal says why"
expect_status 403 "an ack form without the token" sd POST "/status/alerts/$page_alert/ack" \
  -H 'Content-Type: application/x-www-form-urlencoded' --data "token=" -H "Origin: https://127.0.0.1:$port"
expect_status 403 "an ack form with another certificate's token" eva POST "/status/alerts/$page_alert/ack" "${form[@]}" \
  -H "Origin: https://127.0.0.1:$port"
"$pv" alerts --json | jq -e --arg id "$page_alert" '.alerts[] | select(.id == $id) | .acked_by == null' >/dev/null ||
  failure "a refused form acknowledged the alert"
expect_status 303 "the page's ack form" sd POST "/status/alerts/$page_alert/ack" "${form[@]}" -H "Origin: https://127.0.0.1:$port"
"$pv" alerts --json | jq -e --arg id "$page_alert" \
  '.alerts[] | select(.id == $id) | .acked_by_subject == "CN=sam.servicedesk,OU=Servicedesk,O=Region Test"' >/dev/null ||
  failure "the form's ack did not reach the store with the subject"

# --- the audit trail: every call, with the subject and the role
db=$work/state/portvakt.db
sqlite3 "$db" "SELECT subject, role, method, path, status FROM api_calls" > "$work/calls" 2>&1 ||
  { failure "cannot read api_calls"; cat "$work/calls"; }
grep -q "^CN=sam.servicedesk,OU=Servicedesk,O=Region Test|servicedesk|POST|/api/v1/policy/push|403$" "$work/calls" ||
  { failure "servicedesk's refused push is not in the audit trail"; tail "$work/calls"; }
grep -q "^CN=eva.engineer,OU=Network Engineering,O=Region Test|engineer|POST|/api/v1/policy/push|200$" "$work/calls" ||
  { failure "the engineer's push is not in the audit trail"; tail "$work/calls"; }
grep -q "^CN=guest,OU=Visitors,O=Region Test||GET|/api/v1/status|403$" "$work/calls" ||
  { failure "the role-less call is not in the audit trail"; tail "$work/calls"; }
grep -q "^CN=prometheus,OU=Monitoring,O=Region Test|monitor|GET|/metrics|200$" "$work/calls" ||
  { failure "the metrics scrape is not in the audit trail"; tail "$work/calls"; }
grep -q "^CN=sam.servicedesk,OU=Servicedesk,O=Region Test|servicedesk|POST|/status/alerts/$page_alert/ack|303$" "$work/calls" ||
  { failure "the status page's ack is not in the audit trail"; tail "$work/calls"; }

grep -q "HTTPS call log not pruned (tried again in 1000 calls): .*pruning refused by the test" "$work/daemon.log" ||
  { failure "the failed prune of api_calls is not in the daemon's log"; grep -i prune "$work/daemon.log"; }

kill -0 "$daemon" 2>/dev/null || failure "portvaktd died"
# A sanitizer build (PORTVAKT_SANITIZE) reports into the daemon's log, leaks at its exit.
kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=
grep -E "runtime error|AddressSanitizer|LeakSanitizer" "$work/daemon.log" && failure "the sanitizers found something"
[ "$fail" -eq 0 ] && echo "https_api: all checks passed"
exit "$fail"
