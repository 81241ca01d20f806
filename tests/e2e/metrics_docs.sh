#!/usr/bin/env bash
# The metrics the docs name are the metrics a running daemon serves, both ways
# (issue 17: the operator guide named a metric and a label that were never
# set). portvaktd runs bench/mac-flood.yaml on veths in a namespace of its own;
# a pinned PC pings the uplink host so that per-port, per-device and per-drop
# series exist; /metrics is scraped with the e2e probe and compared with
#  - the "## Metrics" section of docs/operator-guide.md, family by family and
#    label by label (a documented family the daemon does not serve fails, a
#    served family or label the guide does not list fails), for the
#    portvakt_* families (prometheus-cpp's own exposer_* families are named
#    there as a group);
#  - every other portvakt_<name> in docs/*.md that is not a build target
#    (the names in the CMakeLists): it must be a served family.
# Usage: metrics_docs.sh BUILD_DIR   (from the project root)
# Requirements: R7
source "$(dirname "$0")/common.bash"
probe=$build/tests/e2e/tools/portvakt_e2e_probe
lab_new pvmd$$
fail=0
trap lab_remove EXIT
trap 'exit 1' INT TERM

lab_hosts sw pc flood up
lab_link eth0 pc 02:00:00:78:00:01 10.78.0.1/24
lab_link eth1 flood 02:00:00:78:00:99 10.78.0.9/24
lab_link eth2 up 02:00:00:78:00:02 10.78.0.2/24
metrics_port=$((20000 + $$ % 20000))

lab_daemon bench/mac-flood.yaml --metrics "127.0.0.1:$metrics_port"
ip netns exec "$(ns pc)" ping -c 3 -i 0.2 -W 1 10.78.0.2 >/dev/null || { echo "FAIL: the PC cannot reach the uplink host"; fail=1; }
# A quarantined stranger's ping is dropped: a drop reason with a count.
ip netns exec "$(ns flood)" ping -c 2 -i 0.2 -W 1 10.78.0.2 >/dev/null 2>&1
sleep 6  # a device flush (5 s) and a dataplane publish (0.5 s)
ip netns exec "$(ns sw)" "$probe" metrics 127.0.0.1 "$metrics_port" > "$work/metrics" || { echo "FAIL: cannot scrape /metrics"; exit 1; }

# "name label,label,..." per family (the labels of all its series), sorted;
# from "name label" lines, a family without labels as "name ".
group() {
  sort -u | awk '{ if ($1 != name) { if (name != "") print name, s; name = $1; s = "" }
                   if ($2 != "") s = s (s == "" ? "" : ",") $2 }
                 END { if (name != "") print name, s }'
}
served() {
  grep -E '^portvakt_' "$work/metrics" | sed -E 's/^([a-z][a-z0-9_]*)(\{([^}]*)\})?.*/\1 \3/' |
    awk '{ print $1 " "; rest = substr($0, length($1) + 2)
           while (match(rest, /[a-z_]+="/)) { print $1, substr(rest, RSTART, RLENGTH - 2); rest = substr(rest, RSTART + RLENGTH) } }' | group
}
# The same from the operator guide's Metrics section: `portvakt_x{a,b}`.
documented() {
  sed -n '/^## Metrics/,/^## [^M]/p' docs/operator-guide.md | grep -oE 'portvakt_[a-z][a-z0-9_]*(\{[a-z_,]*\})?' |
    sed -E 's/[{},]/ /g' | awk '{ print $1 " "; for (i = 2; i <= NF; i++) print $1, $i }' | group
}
served > "$work/served"
documented > "$work/documented"
[ -s "$work/served" ] || { echo "FAIL: the scrape has no metrics"; fail=1; }
if ! diff -u "$work/documented" "$work/served" > "$work/diff"; then
  echo "FAIL: docs/operator-guide.md's Metrics section and the daemon's /metrics differ (- documented only, + served only):"
  grep -E '^[-+][a-z]' "$work/diff"; fail=1
fi

# Elsewhere in docs/: every portvakt_<name> that is not a build target or an
# Ansible name must be served.
targets=$(grep -rhoE 'portvakt_[a-z0-9_]+' --include=CMakeLists.txt . | sort -u)
# (A name starts with a letter: portvakt_0.1.0_amd64.deb is a file, not a metric.)
for name in $(grep -rhoE 'portvakt_[a-z][a-z0-9_]*' docs/*.md | sort -u); do
  is_target=0
  for t in $targets; do
    { [ "$name" = "$t" ] || { [ "${t%_}" != "$t" ] && [ "${name#"$t"}" != "$name" ]; }; } && { is_target=1; break; }
  done
  [ $is_target -eq 1 ] && continue
  # The Ansible collection's modules and variables (docs/fleet.md) are not metrics.
  grep -rqw -- "$name" ansible/ 2>/dev/null && continue
  grep -q "^$name " "$work/served" || { echo "FAIL: docs name $name ($(grep -l "$name" docs/*.md | tr '\n' ' ')), which the daemon does not serve"; fail=1; }
done

# The counters issue 17 found unexported carry values: the stranger's drop.
grep -qE '^portvakt_frames_dropped_total\{[^}]*\} [1-9]' "$work/metrics" ||
  { echo "FAIL: the quarantined stranger's dropped frames are not in portvakt_frames_dropped_total"; fail=1; }

if [ $fail -ne 0 ]; then echo "--- daemon log"; tail -20 "$work/daemon.log"; fi
[ $fail -eq 0 ] && echo "metrics docs e2e ok ($(wc -l < "$work/served") families served and documented)"
exit $fail
