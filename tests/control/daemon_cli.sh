#!/usr/bin/env bash
# portvaktd and the CLI commands against it, as an engineer uses them: status,
# plan, push (with and without a plan id), an invalid push that changes
# nothing, history, rollback, an unauthorised caller, an unreachable daemon.
# Usage: daemon_cli.sh BUILD_DIR   (run from the project root)
# Requirements: R9
set -uo pipefail
build=${1:?usage: daemon_cli.sh BUILD_DIR}
pv=$build/control/portvakt
pvd=$build/control/portvaktd
work=$(mktemp -d)
sock=$work/api.sock
export PORTVAKT_SOCKET=$sock
fail=0
daemon=
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

expect_exit() {
  local want=$1 what=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  | /' "$work/out" "$work/err" | head -20; fail=1
  fi
}
expect_output() {
  if ! grep -qE -- "$1" "$work/out" "$work/err"; then
    echo "FAIL: $2: output lacks /$1/"; sed 's/^/  | /' "$work/out" "$work/err" | head -20; fail=1
  fi
}

expect_exit 1 "portvaktd refuses to start on an invalid policy" "$pvd" --policy tests/policy/invalid/duplicate-vlan.yaml --socket "$sock" --state-dir "$work/state0" --forward no
expect_output "error\[duplicate-vlan\]" "and says why"
expect_exit 2 "portvaktd without --policy and without history is a usage error" "$pvd" --socket "$sock" --state-dir "$work/empty" --forward no

"$pvd" --policy examples/vardcentral-karlstad.yaml --socket "$sock" --metrics "" --forward no --state-dir "$work/state" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done  # up to 30 s: it runs beside other tests
[ -S "$sock" ] || { echo "FAIL: portvaktd did not create its socket"; cat "$work/daemon.log"; exit 1; }
[ "$(stat -c %a "$sock")" = 660 ] || { echo "FAIL: socket mode is $(stat -c %a "$sock"), want 660"; fail=1; }

expect_exit 0 "status" "$pv" status
expect_output "^policy   vardcentral-karlstad version 1 \(enforce\)" "status names the running policy"
expect_output "eth14  access  default quarantine" "status lists ports"
expect_exit 0 "status --json" "$pv" status --json
expect_output '"hash": "sha256:' "JSON status has the hash"

expect_exit 0 "plan the Fysioterapi policy" "$pv" policy plan examples/fysioterapi-arvika.yaml
expect_output "^\+ zone practice$" "the plan shows what would be added"
plan=$(sed -n 's/^plan \([0-9a-f]*\):.*/\1/p' "$work/out")
[ -n "$plan" ] || { echo "FAIL: no plan id"; fail=1; }
expect_exit 1 "push with a stale plan id is refused" "$pv" policy push examples/fysioterapi-arvika.yaml --plan 0000000000000000
expect_output "is stale" "and says the plan is stale"
expect_exit 0 "status unchanged after the refused push" "$pv" status
expect_output "vardcentral-karlstad version 1" "still version 1"

expect_exit 1 "an invalid policy is rejected" "$pv" policy push tests/policy/invalid/site-loosens-invariant.yaml
expect_output "running policy is unchanged" "the rejection says nothing changed"
expect_output "error\[invariant-violation\]" "and shows the compiler's diagnostics"

expect_exit 0 "push with the right plan id" "$pv" policy push examples/fysioterapi-arvika.yaml --plan "$plan"
expect_output "^running version 2 sha256:" "push reports the new version"
expect_exit 0 "status after push" "$pv" status
expect_output "^policy   fysioterapi-arvika version 2" "the new policy runs"

expect_exit 0 "rollback" "$pv" policy rollback
expect_output "rollback to version 1" "rollback names its target"
expect_exit 0 "status after rollback" "$pv" status
expect_output "^policy   vardcentral-karlstad version 3" "rollback is a new version running the old tables"

expect_exit 0 "history" "$pv" policy history
[ "$(grep -c . "$work/out")" -eq 3 ] || { echo "FAIL: history should have 3 versions"; cat "$work/out"; fail=1; }
expect_output "uid 0" "history records the caller's uid"
expect_output "push .*$PWD/examples/fysioterapi-arvika.yaml$" "history names the site file as the CLI sent it"

# A policy in a directory only the caller can read: the CLI reads it and sends
# the texts (as under the unit's ProtectHome=yes/PrivateTmp=yes, where the
# daemon would not see the file at all).
mkdir -m 700 "$work/private"
cp examples/fysioterapi-arvika.yaml examples/fysioterapi-arvika-inventory.csv examples/region-base.yaml examples/dhcp-fingerprints.conf "$work/private/"
expect_exit 0 "plan a policy from the caller's own directory" "$pv" policy plan "$work/private/fysioterapi-arvika.yaml"
# The request must fit the socket's 1 MiB: the CLI says so before sending.
{ cat "$work/private/fysioterapi-arvika.yaml"; for i in $(seq 20000); do echo "# padding line $i of a policy far too large to send in one request"; done; } > "$work/private/huge.yaml"
expect_exit 1 "a bundle over 1 MiB is refused by the CLI" "$pv" policy plan "$work/private/huge.yaml"
expect_output "is larger than the 1048576 bytes \(1 MiB\) portvaktd accepts per request" "and says why"
expect_exit 3 "a base that is missing is named" "$pv" policy plan tests/policy/invalid/extends-missing.yaml
expect_output "base policy .no-such-base.yaml. not found" "and the CLI says which, before sending anything"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
  chmod 755 "$work"; chmod 666 "$sock"  # let an unprivileged user connect, to test the daemon's own check
  expect_exit 1 "an unprivileged user may not push" runuser -u nobody -- "$pv" policy push "$PWD/examples/fysioterapi-arvika.yaml" --socket "$sock"
  expect_output "may not use policy.push" "the refusal says why"
  expect_exit 0 "an unprivileged user may read status" runuser -u nobody -- "$pv" status --socket "$sock"
  # The CLI reads the policy with the caller's rights; portvaktd (root) never
  # opens a path a client names, so /etc/shadow stays unreadable to nobody.
  expect_exit 3 "an unprivileged user cannot plan a file it may not read" runuser -u nobody -- "$pv" policy plan /etc/shadow --socket "$sock"
  expect_output "cannot open '/etc/shadow': Permission denied" "the CLI gives the system's reason"
  if grep -qE '^root:' /etc/shadow && grep -q "$(head -1 /etc/shadow | cut -d: -f1-2)" "$work/out" "$work/err"; then
    echo "FAIL: a line of /etc/shadow reached an unprivileged user"; fail=1
  fi
elif [ "${CI:-}" = true ]; then
  echo "FAIL: the unprivileged-caller check needs root, and CI runs as root"; fail=1
else
  echo "skip: unprivileged-caller check (needs root)"
fi

# The history is the audit trail: it survives a restart, and the daemon comes
# back with the last policy that ran, without --policy.
kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=
"$pvd" --socket "$sock" --metrics "" --forward no --state-dir "$work/state" 2>"$work/daemon2.log" &
daemon=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done  # up to 30 s: it runs beside other tests
expect_exit 0 "history after a restart" "$pv" policy history
[ "$(grep -c . "$work/out")" -eq 3 ] || { echo "FAIL: 3 versions should survive the restart"; cat "$work/out"; fail=1; }
expect_output "rollback .*rollback to version 1" "the rollback is recorded as one"
expect_exit 0 "status after a restart" "$pv" status
expect_output "^policy   vardcentral-karlstad version 3" "the daemon restarted with the last policy, same version"
grep -q "policy_reload" "$work/daemon.log" || { echo "FAIL: no policy_reload event in the daemon log"; fail=1; }
grep -q '"event":"policy_rolled_back"' "$work/daemon.log" || { echo "FAIL: no policy_rolled_back event in the daemon log"; fail=1; }
grep -q '"event":"policy_rejected"' "$work/daemon.log" || { echo "FAIL: no policy_rejected event for the invalid push"; fail=1; }
# Versions from before the restart are rebuilt from the files recorded with them.
expect_exit 0 "rollback to a version from before the restart" "$pv" policy rollback 2
expect_output "^running version 4 sha256:" "the rollback is version 4"
expect_exit 0 "status after that rollback" "$pv" status
expect_output "^policy   fysioterapi-arvika version 4" "version 2's tables run again"

expect_exit 0 "alerts" "$pv" alerts
expect_output "policy_reload" "the pushes are in the alert history"
expect_exit 0 "alerts --json" "$pv" alerts --json
id=$(sed -n 's/^ *"id": "\(.*\)",$/\1/p' "$work/out" | head -1)
[ -n "$id" ] || { echo "FAIL: no alert id in alerts --json"; fail=1; }
expect_exit 0 "ack an alert" "$pv" alerts ack "$id"
expect_output "^acknowledged $id" "ack confirms the id"
expect_exit 0 "alerts --unacked" "$pv" alerts --unacked
grep -q "$id" "$work/out" && { echo "FAIL: an acknowledged alert is still listed as unacked"; fail=1; }
expect_exit 1 "ack an unknown alert" "$pv" alerts ack no-such-alert
expect_output "no alert no-such-alert" "names the id"
expect_exit 0 "ports" "$pv" ports
expect_output "^eth3 +access +voice,conference,quarantine,practice" "ports lists the running policy's ports"
expect_exit 0 "devices" "$pv" devices
expect_output "^0 device\(s\)" "no devices without forwarding"
expect_exit 1 "forget an unknown device" "$pv" devices forget 00:11:22:33:44:55
expect_output "no device 00:11:22:33:44:55 is known" "says so"
expect_exit 2 "devices show without a MAC" "$pv" devices show

# --initial-policy (what the systemd unit passes) only counts on the first
# start: a restart resumes the last push, not the file.
kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=
"$pvd" --initial-policy examples/vardcentral-karlstad.yaml --socket "$sock" --metrics "" --forward no --state-dir "$work/state" 2>"$work/daemon3.log" &
daemon=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done  # up to 30 s: it runs beside other tests
expect_exit 0 "status after a restart with --initial-policy" "$pv" status
expect_output "^policy   fysioterapi-arvika version 4" "the last push runs, not the initial policy"

# A change of the control settings alone (the service desk's webhook URL):
# a new version with the same tables hash and another settings hash, both in
# status and history. (docs/policy.md: the two hashes.)
mkdir "$work/desk"
cp examples/vardcentral-karlstad.yaml examples/vardcentral-karlstad-inventory.csv examples/region-base.yaml examples/dhcp-fingerprints.conf "$work/desk/"
sed -i 's|https://servicedesk.region.example/api/portvakt|https://desk2.region.example/hook|' "$work/desk/region-base.yaml"
expect_exit 0 "push Karlstad (version 5)" "$pv" policy push examples/vardcentral-karlstad.yaml
expect_exit 0 "status of version 5" "$pv" status
expect_output "^settings sha256:[0-9a-f]{64}$" "status shows the settings hash"
tables5=$(sed -n 's/^hash *//p' "$work/out"); settings5=$(sed -n 's/^settings *//p' "$work/out")
expect_exit 0 "push a new webhook URL (version 6)" "$pv" policy push "$work/desk/vardcentral-karlstad.yaml"
expect_exit 0 "status of version 6" "$pv" status
expect_output "^policy   vardcentral-karlstad version 6" "the settings-only push is a new version"
[ "$(sed -n 's/^hash *//p' "$work/out")" = "$tables5" ] || { echo "FAIL: a new webhook changed the tables hash"; fail=1; }
settings6=$(sed -n 's/^settings *//p' "$work/out")
[ -n "$settings6" ] && [ "$settings6" != "$settings5" ] || { echo "FAIL: a new webhook left the settings hash ($settings6)"; fail=1; }
expect_exit 0 "history --json" "$pv" policy history --json
expect_output "\"settings_hash\": \"$settings6\"" "the history records the settings hash"
# A restart with --policy of the file the last push came from adds no
# version; with a file that differs in its settings only, it is a push.
kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=
"$pvd" --policy "$work/desk/vardcentral-karlstad.yaml" --socket "$sock" --metrics "" --forward no --state-dir "$work/state" 2>"$work/daemon4.log" &
daemon=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done  # up to 30 s: it runs beside other tests
expect_exit 0 "status after a restart with the same policy" "$pv" status
expect_output "^policy   vardcentral-karlstad version 6" "the same tables and settings: no new version"
kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=
"$pvd" --policy examples/vardcentral-karlstad.yaml --socket "$sock" --metrics "" --forward no --state-dir "$work/state" 2>"$work/daemon5.log" &
daemon=$!
for _ in $(seq 300); do [ -S "$sock" ] && break; sleep 0.1; done  # up to 30 s: it runs beside other tests
expect_exit 0 "status after a restart with the old webhook" "$pv" status
expect_output "^policy   vardcentral-karlstad version 7" "other settings at a restart are recorded as a new version"
expect_output "^settings $settings5$" "and run"

kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=
expect_exit 3 "an unreachable daemon" "$pv" status
expect_output "cannot reach portvaktd" "names the problem"

[ $fail -eq 0 ] && echo "daemon CLI ok"
exit $fail
