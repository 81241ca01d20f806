#!/usr/bin/env bash
# The shipped systemd unit parses, names the binary we build, and keeps the
# least-privilege settings the operator guide promises.
set -uo pipefail
unit=images/systemd/portvaktd.service
fail=0
for key in "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN" "NoNewPrivileges=yes" "ProtectSystem=strict" \
           "StateDirectory=portvakt" "RuntimeDirectory=portvakt"; do
  grep -qx "$key" "$unit" || { echo "FAIL: $unit lacks '$key'"; fail=1; }
done
grep -q '^ExecStart=/usr/bin/portvaktd --initial-policy ' "$unit" || { echo "FAIL: ExecStart does not run portvaktd --initial-policy (a restart must resume the last push)"; fail=1; }
# Every option the unit passes must be one portvaktd knows.
for opt in $(grep '^ExecStart=' "$unit" | grep -oE -- '--[a-z-]+'); do
  "${1:-build}/control/portvaktd" --help | grep -q -- "$opt" || { echo "FAIL: portvaktd has no option $opt"; fail=1; }
done
if command -v systemd-analyze >/dev/null; then
  # Only our unit's own messages: verify also loads the host's other units,
  # and some Debian ones warn (freeradius.service uses MemoryLimit=, and
  # freeradius is installed for tests/e2e/dot1x.sh).
  out=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -F "portvaktd" |
        grep -v "Command /usr/bin/portvaktd is not executable" || true)
  [ -z "$out" ] || { echo "FAIL: systemd-analyze verify:"; echo "$out"; fail=1; }
else
  echo "note: systemd-analyze not installed; unit syntax not verified"
fi
[ $fail -eq 0 ] && echo "systemd unit ok"
exit $fail
