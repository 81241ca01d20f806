#!/usr/bin/env bash
# A region's fleet roll-out with Ansible (issue 16), with real parts: four
# appliances, each a portvaktd forwarding in its own network namespace with its
# own server certificate and HTTPS endpoint, a controller namespace that
# reaches them over veth pairs and runs Debian's ansible-playbook with the
# collection of this tree (ansible/collections) and the roll-out playbook
# (ansible/playbooks/rollout-base.yml), certificates made here with openssl
# (the region's CA, one server certificate per clinic, engineer, servicedesk
# and monitor client certificates), and a real Prometheus scraping the four
# over mutual TLS with the scrape configuration of ansible/prometheus.
#
#   <tag>-ctl  the controller: ansible-playbook, prometheus, curl
#      m<i> 10.77.<i>.1 --- mgmt0 10.77.<i>.2:8443  <tag>-c<i>: portvaktd
#                                                    eth0 -- up0  (RDnet uplink)
#                                                    eth3 -- jack3 (a phone of the new model, OUI 00:1a:e8)
#                                                    eth4 -- jack4 (mora only: a phone of another vendor
#                                                                   with a hard-coded RDnet address)
# Clinics vc-mora, vc-falun, vc-ludvika, vc-avesta (tests/fleet/policy) run
# their site files on base version 1; the region then publishes version 2:
#   - check mode (--check --diff) reports each clinic's plan: the semantic
#     changes and the phone that moves from quarantine to voice; nothing runs;
#   - vc-ludvika's site uses VLAN 50, which version 2 gives to a new zone: it
#     fails the plan play with the compiler's file:line:col diagnostics and is
#     left on its old policy, while the others are rolled out in batches
#     (serial [1, 3]: vc-mora as canary, then vc-falun and vc-avesta);
#   - a second run changes nothing (changed=0 everywhere);
#   - a servicedesk certificate cannot push (nor plan), but reads the facts;
#   - base version 3 makes vc-mora's second phone a voice device; it sends to
#     RDnet, which raises critical region_access_attempt alerts in the grace
#     period: vc-mora is rolled back to version 2 and the roll-out stops, so
#     vc-falun and vc-avesta are never pushed version 3.
# Also: the modules compile (py_compile) and ansible-doc renders them; the
# scrape configuration passes promtool check config, and Prometheus scrapes
# every clinic (up == 1 with the clinic label).
# Usage: ansible_rollout.sh BUILD_DIR   (from the project root; root: namespaces)
#   PORTVAKT_FLEET_OUTPUT=DIR keeps the ansible-playbook outputs there.
source "$(dirname "$0")/../e2e/common.bash"
src=$PWD
missing=
for tool in ansible-playbook ansible-doc openssl curl promtool prometheus /usr/bin/python3; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: not installed:$missing (./run deps installs them)"; exit 1; }
  echo "skip: not installed:$missing (./run deps installs them)"; exit 77
fi
work=$(mktemp -d)
tag=pvf$$
ns() { echo "$tag-$1"; }
clinics=(vc-mora vc-falun vc-ludvika vc-avesta)
hosts="ctl c1 c2 c3 c4"
fail=0
cleanup() { remove_lab "$hosts"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
failure() { echo "FAIL: $*"; fail=1; }

# --- the modules: Python that compiles, documentation that ansible-doc renders
coll=$src/ansible/collections/ansible_collections/portvakt/appliance
PYTHONPYCACHEPREFIX=$work/pycache /usr/bin/python3 -m py_compile "$coll"/plugins/modules/*.py \
  "$coll"/plugins/module_utils/*.py "$coll"/plugins/doc_fragments/*.py || failure "the collection's Python does not compile"
export ANSIBLE_COLLECTIONS_PATH=$src/ansible/collections ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$work/ansible-tmp \
  ANSIBLE_HOME=$work/ansible-home ANSIBLE_REMOTE_TEMP=$work/ansible-remote-tmp ANSIBLE_CONFIG=$src/ansible/ansible.cfg \
  ANSIBLE_RETRY_FILES_ENABLED=0
for m in portvakt_policy portvakt_info; do
  ansible-doc "portvakt.appliance.$m" >"$work/doc-$m" 2>&1 || { failure "ansible-doc $m"; cat "$work/doc-$m"; }
  for section in OPTIONS EXAMPLES RETURN; do
    grep -q "^$section" "$work/doc-$m" || failure "ansible-doc $m shows no $section"
  done
done
grep -q "client_cert" "$work/doc-portvakt_info" || failure "the shared connection options are not in portvakt_info's documentation"

# --- certificates
pki=$work/pki
mkdir -p "$pki"
make_ca() {  # name subject
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
for i in 1 2 3 4; do
  make_cert "${clinics[$((i - 1))]}" "/O=Region Test/OU=Appliances/CN=${clinics[$((i - 1))]}" \
    "$(printf 'subjectAltName=DNS:%s,IP:10.77.%d.2\nextendedKeyUsage=serverAuth' "${clinics[$((i - 1))]}" "$i")"
done
make_cert eva "/O=Region Test/OU=Network Engineering/CN=eva.engineer" "extendedKeyUsage=clientAuth"
make_cert sam "/O=Region Test/OU=Servicedesk/CN=sam.servicedesk" "extendedKeyUsage=clientAuth"
make_cert prometheus "/O=Region Test/OU=Monitoring/CN=prometheus" "extendedKeyUsage=clientAuth"
for f in region-ca "${clinics[@]}" eva sam prometheus; do [ -s "$pki/$f.crt" ] || { echo "FAIL: $f.crt was not made"; exit 1; }; done

# --- the region's policy repository: base version 1 and the four site files
policy=$work/policy
mkdir -p "$policy"
cp -r "$src/tests/fleet/policy/base" "$src/tests/fleet/policy/clinics" "$policy/"
cp "$policy/base/region-base-v1.yaml" "$policy/base/region-base.yaml"

# --- the lab
for n in $hosts; do
  ip netns add "$(ns $n)" || { echo "FAIL: ip netns add $(ns $n)"; exit 1; }
  ip -n "$(ns $n)" link set lo up
done
pair() {  # namespace name peer-namespace peer-name
  ip link add "$2" netns "$(ns $1)" type veth peer name "$4" netns "$(ns $3)" || { echo "FAIL: veth $2"; exit 1; }
  ip -n "$(ns $1)" link set "$2" up
  ip -n "$(ns $3)" link set "$4" up
}
daemons=()
for i in 1 2 3 4; do
  c=c$i
  pair ctl "m$i" "$c" mgmt0
  ip -n "$(ns ctl)" addr add "10.77.$i.1/24" dev "m$i"
  ip -n "$(ns $c)" addr add "10.77.$i.2/24" dev mgmt0
  pair "$c" eth0 "$c" up0
  pair "$c" eth3 "$c" jack3
  pair "$c" eth4 "$c" jack4
  for dev in eth0 eth3 eth4 up0 jack3 jack4; do ip netns exec "$(ns $c)" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"; done
done

start_appliance() {  # index
  local i=$1 name=${clinics[$(($1 - 1))]}
  ip netns exec "$(ns c$i)" "$pvd" --policy "$policy/clinics/$name.yaml" --socket "$work/$name.sock" --metrics "" \
    --state-dir "$work/state-$name" --https "10.77.$i.2:8443" --https-cert "$pki/$name.crt" \
    --https-key "$pki/$name.key" --https-ca "$pki/region-ca.crt" 2>"$work/$name.log" &
  daemons+=($!)
}
for i in 1 2 3 4; do start_appliance $i; done
for i in 1 2 3 4; do
  name=${clinics[$((i - 1))]}
  for _ in $(seq 100); do grep -q "HTTPS API on" "$work/$name.log" && [ -S "$work/$name.sock" ] && break; sleep 0.1; done
  grep -q "HTTPS API on" "$work/$name.log" || { echo "FAIL: $name did not start HTTPS"; cat "$work/$name.log"; exit 1; }
done
# Each clinic's phone of the new model says something (ARP) on its jack.
for i in 1 2 3 4; do
  ip -n "$(ns c$i)" link set jack3 address "00:1a:e8:0$i:00:05"
  ip -n "$(ns c$i)" addr add "192.168.$i.5/24" dev jack3
  ip netns exec "$(ns c$i)" ping -c 2 -i 0.2 -W 1 -I jack3 "192.168.$i.1" >/dev/null 2>&1
done
pvs() { "$pv" "$@" --socket "$work/$name.sock"; }  # the CLI on the box, over its Unix socket ($name)
for i in 1 2 3 4; do
  name=${clinics[$((i - 1))]}
  for _ in $(seq 50); do pvs devices 2>/dev/null | grep -q "^00:1a:e8:0$i:00:05" && break; sleep 0.2; done
  pvs devices | grep -qE "^00:1a:e8:0$i:00:05 +eth3 +- +quarantine" || { failure "$name: the new phone is not in quarantine on base v1"; pvs devices; }
done
hash_of() { pvs status | sed -n 's/^hash *//p'; }  # ($name)
declare -A v1hash
for name in "${clinics[@]}"; do v1hash[$name]=$(hash_of); done

cat > "$work/inventory.yml" <<EOF
clinics:
  hosts:
    vc-mora: {portvakt_server: "https://10.77.1.2:8443"}
    vc-falun: {portvakt_server: "https://10.77.2.2:8443"}
    vc-ludvika: {portvakt_server: "https://10.77.3.2:8443"}
    vc-avesta: {portvakt_server: "https://10.77.4.2:8443"}
  vars:
    ansible_connection: local
    ansible_python_interpreter: /usr/bin/python3
    portvakt_site: "$policy/clinics/{{ inventory_hostname }}.yaml"
    portvakt_client_cert: "$pki/eva.crt"
    portvakt_client_key: "$pki/eva.key"
    portvakt_ca: "$pki/region-ca.crt"
    portvakt_grace_s: 3
EOF
playbook() {  # output-file, then ansible-playbook's options; returns its exit code
  local out=$1; shift
  # The batches are a play keyword: only extra vars (or play vars) set them, not the inventory.
  ip netns exec "$(ns ctl)" ansible-playbook -i "$work/inventory.yml" "$src/ansible/playbooks/rollout-base.yml" \
    -e '{"portvakt_batches": [1, 3]}' "$@" \
    >"$out" 2>&1
}
recap() {  # output-file host -> "changed=N failed=M" of the play recap
  sed -n "s/^$2 *: .*changed=\([0-9]*\) .*failed=\([0-9]*\) .*/changed=\1 failed=\2/p" "$1"
}
versions() { pvs policy history | grep -c .; }  # ($name)

# --- base version 2: check mode reports every clinic's plan and runs nothing
cp "$policy/base/region-base-v2.yaml" "$policy/base/region-base.yaml"
playbook "$work/check.out" --check --diff
rc=$?
[ $rc -eq 2 ] || failure "check mode exit $rc, want 2 (vc-ludvika does not compile)"
for i in 1 2 4; do
  name=${clinics[$((i - 1))]}
  grep -q "$name: +[0-9]* ~1 -0 items, 1 devices move" "$work/check.out" || failure "check mode: no plan summary for $name"
  grep -q "> device 00:1a:e8:0$i:00:05 on eth3: -/quarantine -> ip-phone/voice" "$work/check.out" ||
    failure "check mode: $name's plan does not say its phone moves to voice"
  [ "$(recap "$work/check.out" "$name")" = "changed=1 failed=0" ] ||
    failure "check mode recap for $name: $(recap "$work/check.out" "$name"), want changed=1 failed=0"
done
grep -q "^+ zone medtech" "$work/check.out" || failure "--diff shows no semantic diff (+ zone medtech)"
grep -q "vc-ludvika.yaml:11:15: error\[duplicate-vlan\]: VLAN 50 is already used by another zone" "$work/check.out" ||
  failure "check mode: vc-ludvika's failure lacks the compiler's file:line:col diagnostic"
for name in "${clinics[@]}"; do
  [ "$(versions)" -eq 1 ] || failure "check mode installed something on $name"
done

# --- apply: vc-ludvika stays on version 1, the others are pushed in batches
started=$(date +%s.%N)
playbook "$work/apply.out"
rc=$?
# A figure, not a check (bench/https_fleet_bench.sh --rollout prints it).
echo "timing: the four-clinic roll-out (plan 4, push 3 in 2 batches, grace 3 s each) took $(echo "$(date +%s.%N) - $started" | bc) s"
[ $rc -eq 2 ] || failure "apply exit $rc, want 2 (vc-ludvika does not compile)"
[ "$(recap "$work/apply.out" vc-ludvika)" = "changed=0 failed=1" ] || failure "apply recap for vc-ludvika: $(recap "$work/apply.out" vc-ludvika)"
for name in vc-mora vc-falun vc-avesta; do
  r=$(recap "$work/apply.out" "$name")
  case "$r" in "changed=1 failed=0") ;; *) failure "apply recap for $name: $r, want changed=1 failed=0" ;; esac
  [ "$(versions)" -eq 2 ] || failure "$name has $(versions) versions after the roll-out, want 2"
  pvs policy history | tail -1 | grep -q "CN=eva.engineer,OU=Network Engineering,O=Region Test  push" ||
    { failure "$name's history does not name the engineer's certificate"; pvs policy history; }
  [ "$(hash_of)" != "${v1hash[$name]}" ] || failure "$name still runs base version 1"
done
name=vc-ludvika
[ "$(versions)" -eq 1 ] && [ "$(hash_of)" = "${v1hash[vc-ludvika]}" ] || failure "vc-ludvika's policy changed"
name=vc-mora
for _ in $(seq 20); do pvs devices | grep -qE "^00:1a:e8:01:00:05 +eth3 +ip-phone +voice" && break; sleep 0.2; done
pvs devices | grep -qE "^00:1a:e8:01:00:05 +eth3 +ip-phone +voice" || { failure "vc-mora's new phone is not in voice after the push"; pvs devices; }
# The batches: vc-mora alone first (the canary), then vc-falun and vc-avesta.
pushes=$(sed -n '/^PLAY \[Roll the new base/,$p' "$work/apply.out" | sed -n 's/^changed: \[\(vc-[a-z]*\)\]$/\1/p' | tr '\n' ' ')
case "$pushes" in "vc-mora vc-falun vc-avesta "|"vc-mora vc-avesta vc-falun ") ;; *) failure "the pushes came in the order '$pushes'" ;; esac
[ "$(grep -c '^PLAY \[Roll the new base' "$work/apply.out")" -eq 2 ] || failure "the roll-out did not run in 2 batches"
grep -q "ok: \[vc-mora\] => {$" "$work/apply.out" && grep -q '"msg": "vc-mora runs sha256:' "$work/apply.out" ||
  failure "no health check passed for vc-mora"

# --- a second run changes nothing
playbook "$work/again.out"
for name in "${clinics[@]}"; do
  r=$(recap "$work/again.out" "$name")
  case "$r" in changed=0*) ;; *) failure "the second run changed $name: $r" ;; esac
done
grep -q "vc-mora: +0 ~0 -0 items, 0 devices move (already running: nothing to push)" "$work/again.out" ||
  failure "the second run's plan does not say vc-mora already runs it"
for name in vc-mora vc-falun vc-avesta; do [ "$(versions)" -eq 2 ] || failure "the second run pushed to $name"; done

# --- the service desk: reads the facts, cannot push
cat > "$work/servicedesk.yml" <<EOF
- hosts: vc-mora
  gather_facts: false
  tasks:
    - portvakt.appliance.portvakt_info:
        server: "{{ portvakt_server }}"
        client_cert: "$pki/sam.crt"
        client_key: "$pki/sam.key"
        ca_path: "$pki/region-ca.crt"
      register: facts
    - ansible.builtin.debug:
        msg: "devices {{ facts.ansible_facts.portvakt.devices | map(attribute='mac') | sort | join(',') }}"
    - portvakt.appliance.portvakt_policy:
        server: "{{ portvakt_server }}"
        client_cert: "$pki/sam.crt"
        client_key: "$pki/sam.key"
        ca_path: "$pki/region-ca.crt"
        site: "$policy/clinics/vc-ludvika.yaml"
EOF
ip netns exec "$(ns ctl)" ansible-playbook -i "$work/inventory.yml" "$work/servicedesk.yml" >"$work/sd.out" 2>&1
rc=$?
[ $rc -eq 2 ] || failure "the servicedesk play exit $rc, want 2"
grep -q '"msg": "devices 00:1a:e8:01:00:05"' "$work/sd.out" || { failure "servicedesk cannot read vc-mora's devices"; cat "$work/sd.out"; }
grep -q "CN=sam.servicedesk,OU=Servicedesk,O=Region Test has the role 'servicedesk', which may not use policy.plan" "$work/sd.out" ||
  { failure "the servicedesk's push is not refused for its role"; cat "$work/sd.out"; }
[ "$(versions)" -eq 2 ] || failure "the servicedesk changed vc-mora's policy"

# --- Prometheus: the fleet's scrape configuration, checked and scraped
mkdir -p "$work/prometheus/certs"
cp "$pki/region-ca.crt" "$pki/prometheus.crt" "$pki/prometheus.key" "$work/prometheus/certs/"
cp "$src/ansible/prometheus/portvakt-fleet.yml" "$work/prometheus/"
promtool check config "$work/prometheus/portvakt-fleet.yml" >"$work/promtool.out" 2>&1 ||
  { failure "promtool check config ansible/prometheus/portvakt-fleet.yml"; cat "$work/promtool.out"; }
# The same with this lab's four appliances and a 1 s interval.
sed -e 's/scrape_interval: .*/scrape_interval: 1s/' -e 's/scrape_timeout: .*/scrape_timeout: 1s/' -e '/^ *- targets:/,$d' "$src/ansible/prometheus/portvakt-fleet.yml" \
  > "$work/prometheus/lab.yml"
for i in 1 2 3 4; do
  printf '      - targets: ["10.77.%d.2:8443"]\n        labels: {clinic: %s}\n' "$i" "${clinics[$((i - 1))]}" >> "$work/prometheus/lab.yml"
done
promtool check config "$work/prometheus/lab.yml" >"$work/promtool.out" 2>&1 ||
  { failure "promtool check config (the lab's targets)"; cat "$work/promtool.out"; }
ip netns exec "$(ns ctl)" prometheus --config.file="$work/prometheus/lab.yml" --storage.tsdb.path="$work/prometheus/data" \
  --web.listen-address=127.0.0.1:9090 >"$work/prometheus.log" 2>&1 &
up=
for _ in $(seq 60); do
  up=$(ip netns exec "$(ns ctl)" curl -sG http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=sum(up{job="portvakt"})' |
    sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')
  [ "$up" = 4 ] && break
  sleep 0.5
done
[ "$up" = 4 ] || { failure "Prometheus scrapes $up of 4 appliances"; tail -5 "$work/prometheus.log"; }
ip netns exec "$(ns ctl)" curl -sG http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=portvakt_policy_info' > "$work/prom-query"
grep -q '"clinic":"vc-ludvika"' "$work/prom-query" || { failure "the scraped metrics carry no clinic label"; head -c 600 "$work/prom-query"; echo; }

# --- base version 3 makes vc-mora's second phone (OUI 64:16:7f) a voice
# device; it has an RDnet address configured, so in voice its traffic hits the
# invariant voice-never-rdnet: critical region_access_attempt alerts in the
# grace period. vc-mora (the canary) is rolled back and the roll-out stops.
name=vc-mora
ip -n "$(ns c1)" link set jack4 address 64:16:7f:01:00:07
ip -n "$(ns c1)" addr add 172.30.0.7/24 dev jack4
ip -n "$(ns c1)" route add 10.20.0.0/16 dev jack4
ip -n "$(ns c1)" neigh replace 10.20.0.1 lladdr 02:00:00:00:01:01 dev jack4 nud permanent
ip netns exec "$(ns c1)" bash -c 'while :; do echo register > /dev/udp/10.20.0.1/5060; sleep 0.2; done' 2>/dev/null &
for _ in $(seq 50); do pvs devices 2>/dev/null | grep -q "^64:16:7f:01:00:07" && break; sleep 0.2; done
pvs devices | grep -qE "^64:16:7f:01:00:07 +eth4 +- +quarantine" || { failure "vc-mora's second phone is not in quarantine on base v2"; pvs devices; }
pvs alerts --json | grep -q region_access_attempt && failure "a device in quarantine raised region_access_attempt already"
declare -A v2hash
for n in "${clinics[@]}"; do name=$n; v2hash[$n]=$(hash_of); done
sed -e 's/"00:1a:e8"\]/"00:1a:e8", "64:16:7f"]/' -e 's/^# The fleet test.s region base, version 2/# The fleet test'"'"'s region base, version 3/' \
  "$policy/base/region-base-v2.yaml" > "$policy/base/region-base.yaml"
grep -q '"64:16:7f"' "$policy/base/region-base.yaml" || failure "base version 3 was not made"
playbook "$work/v3.out" --diff
rc=$?
[ $rc -eq 2 ] || failure "the roll-out of version 3 exit $rc, want 2"
grep -q "> device 64:16:7f:01:00:07 on eth4: -/quarantine -> ip-phone/voice" "$work/v3.out" || failure "version 3's plan for vc-mora lacks the second phone"
grep -q "vc-mora is not healthy 3 s after the push" "$work/v3.out" || { failure "vc-mora's health check did not fail"; }
grep -q "new critical alerts \['region_access_attempt'" "$work/v3.out" || failure "the health failure does not name the new critical alert"
grep -q "vc-mora failed after the push .*rolled back to version 2; the roll-out stops here" "$work/v3.out" ||
  failure "the play does not say it rolled vc-mora back and stopped"
name=vc-mora
pvs policy history | tail -1 | grep -q "CN=eva.engineer,OU=Network Engineering,O=Region Test  rollback" ||
  { failure "vc-mora's last version is not the engineer's rollback"; pvs policy history; }
[ "$(hash_of)" = "${v2hash[vc-mora]}" ] || failure "vc-mora does not run version 2 again after the rollback"
for name in vc-falun vc-avesta; do
  [ "$(versions)" -eq 2 ] && [ "$(hash_of)" = "${v2hash[$name]}" ] || failure "$name was pushed although the roll-out stopped"
done
grep -q "changed: \[vc-falun\]\|changed: \[vc-avesta\]" "$work/v3.out" && failure "a later batch ran after vc-mora failed"

for n in "${clinics[@]}"; do
  grep -E "runtime error|AddressSanitizer|LeakSanitizer" "$work/$n.log" && failure "the sanitizers found something in $n"
done
if [ $fail -ne 0 ]; then
  for f in check apply again v3; do echo "--- ansible-playbook ($f), its messages"; grep -E '"msg"|^fatal|RECAP|^vc-' "$work/$f.out"; done
fi
# The playbooks' output, for docs and for a look after a failure.
[ -n "${PORTVAKT_FLEET_OUTPUT:-}" ] && mkdir -p "$PORTVAKT_FLEET_OUTPUT" && cp "$work"/*.out "$PORTVAKT_FLEET_OUTPUT/"
[ $fail -eq 0 ] && echo "ansible_rollout: all checks passed"
exit $fail
