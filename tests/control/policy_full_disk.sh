#!/usr/bin/env bash
# Record first, then swap: with the state directory full, a push and a
# rollback that cannot be recorded are refused (exit 1, "cannot record ...
# the running policy is unchanged") and the running policy stays; a daemon
# start with --policy on a full disk fails instead of running unrecorded; once
# space is freed a push goes through with the next version number, and a
# restart resumes exactly the last acknowledged push with no version listed
# twice.
# The store's WAL is reused after each checkpoint, so a full file system does
# not stop the first pushes: they are written durably into log pages the file
# already has. The script pushes until the log has no room left and the store
# refuses, and then checks that every acknowledged push was recorded and the
# refused one changed nothing.
# The state directory is a 3 MiB tmpfs in this script's own mount namespace
# (gone with the script, whatever happens).
# Usage: policy_full_disk.sh BUILD_DIR   (run from the project root; needs root)
# Requirements: R9
set -uo pipefail
build=${1:?usage: policy_full_disk.sh BUILD_DIR}
if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: needs root (a tmpfs in a mount namespace), and CI runs as root"; exit 1; }
  echo "skip: needs root (a tmpfs in a mount namespace)"; exit 77  # ctest: skipped
fi
if [ -z "${PORTVAKT_IN_MOUNT_NS:-}" ]; then
  # Everything below runs in a private mount namespace: the tmpfs is never
  # visible to the host or to other tests, and goes away with the last process.
  exec unshare --mount --propagation private env PORTVAKT_IN_MOUNT_NS=1 bash "$0" "$@"
fi
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
pv=$build/control/portvakt
pvd=$build/control/portvaktd
work=$(mktemp -d /tmp/portvakt-full-disk-$$-XXXXXX)
state=$work/state
sock=$work/api.sock
export PORTVAKT_SOCKET=$sock
fail=0
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
  wait 2>/dev/null
  umount "$state" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkdir -p "$state"
mount -t tmpfs -o size=3m,mode=0700 "portvakt-test-$$" "$state" || { echo "FAIL: cannot mount a tmpfs"; exit 1; }

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
start_daemon() {
  "$pvd" "$@" --socket "$sock" --metrics "" --forward=false --state-dir "$state" 2>>"$work/daemon.log" &
  daemon=$!
  for _ in $(seq 100); do [ -S "$sock" ] && return 0; kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
  echo "FAIL: portvaktd did not start"; cat "$work/daemon.log"; exit 1
}
stop_daemon() { kill "$daemon"; wait "$daemon" 2>/dev/null; daemon=; rm -f "$sock"; }
# Fills the tmpfs to the last page (dd stops at ENOSPC).
fill_disk() {
  dd if=/dev/zero of="$state/fill" bs=64k 2>/dev/null
  dd if=/dev/zero of="$state/fill2" bs=4k 2>/dev/null
  [ "$(df --output=avail "$state" | tail -1)" -eq 0 ] || { echo "FAIL: the tmpfs is not full"; df "$state"; fail=1; }
}
free_disk() { rm -f "$state/fill" "$state/fill2"; }
running_hash() { "$pv" status --json | sed -n 's/^ *"hash": "\(sha256:[0-9a-f]*\)",*$/\1/p' | head -1; }
running_version() { "$pv" status | sed -n 's/^policy .* version \([0-9]*\) .*/\1/p'; }

start_daemon --policy examples/vardcentral-karlstad.yaml
expect_exit 0 "push version 2" "$pv" policy push examples/fysioterapi-arvika.yaml
hash2=$(running_hash)
[ -n "$hash2" ] || { echo "FAIL: no running hash"; fail=1; }

# Pushes the two example sites in turn on a full disk until one is refused
# (at most 60: the WAL holds at most 1 MiB, a push record a few KiB). Sets
# accepted_hash/accepted_version to the last push the daemon acknowledged.
accepted_version=2
accepted_hash=$hash2
accepted_site=examples/fysioterapi-arvika.yaml
push_until_refused() {
  local site n
  for n in $(seq 60); do
    if [ $((n % 2)) -eq 1 ]; then site=examples/vardcentral-karlstad.yaml; else site=examples/fysioterapi-arvika.yaml; fi
    "$pv" policy push "$site" >"$work/out" 2>"$work/err"
    case $? in
      0) accepted_version=$((accepted_version + 1)); accepted_hash=$(running_hash); accepted_site=$site
         grep -q "^running version $accepted_version sha256:" "$work/out" ||
           { echo "FAIL: an accepted push is not version $accepted_version"; cat "$work/out"; fail=1; } ;;
      1) echo "full disk: $((n - 1)) pushes went into the WAL's room, push $n was refused"; return 0 ;;
      *) echo "FAIL: push on a full disk: unexpected exit"; cat "$work/out" "$work/err"; fail=1; return 1 ;;
    esac
  done
  echo "FAIL: 60 pushes on a full disk were all accepted: the store never ran out of room"; fail=1; return 1
}

fill_disk
push_until_refused
expect_output "cannot record push of sha256:[0-9a-f]+ in the audit trail: .*database or disk is full; the running policy is unchanged" \
  "the refusal says the store is full and nothing changed"
[ "$(running_hash)" = "$accepted_hash" ] || { echo "FAIL: the refused push changed the running policy"; fail=1; }
[ "$(running_version)" = "$accepted_version" ] || { echo "FAIL: status shows version $(running_version) after the refused push, want $accepted_version"; fail=1; }
expect_exit 1 "a rollback on a full disk is refused" "$pv" policy rollback
expect_output "cannot record rollback of sha256:[0-9a-f]+ in the audit trail: .*full; the running policy is unchanged" \
  "the rollback's refusal says so too"
[ "$(running_hash)" = "$accepted_hash" ] || { echo "FAIL: the refused rollback changed the running policy"; fail=1; }
expect_exit 0 "history during the full disk" "$pv" policy history
[ "$(grep -c . "$work/out")" -eq "$accepted_version" ] || { echo "FAIL: history lists $(grep -c . "$work/out") entries, want the $accepted_version acknowledged pushes"; cat "$work/out"; fail=1; }

free_disk
expect_exit 0 "a push after freeing space" "$pv" policy push examples/vardcentral-karlstad.yaml
accepted_version=$((accepted_version + 1))
expect_output "^running version $accepted_version sha256:" "it is version $accepted_version: the refused attempts used no number"
accepted_hash=$(running_hash)

# Use up the WAL's room again and crash with the disk still full. The
# restarted daemon is given a site file with 700 KiB of comments, which its
# push record (the text and the bundle's files) cannot fit into log pages the
# WAL already has: it has nowhere to record its --policy.
fill_disk
push_until_refused
mkdir -p "$work/big"
cp examples/*.yaml examples/*.csv examples/*.conf "$work/big/"
# (The other site than the running one: the same policy again would need no record.)
other=fysioterapi-arvika.yaml
[ "${accepted_site:-}" = examples/fysioterapi-arvika.yaml ] && other=vardcentral-karlstad.yaml
for _ in $(seq 7000); do echo "# a long comment line, one hundred characters, so the record outgrows the log's room ......"; done \
  >> "$work/big/$other"

# A start with --policy on a full disk must not run the policy unrecorded.
# kill -9 leaves the database's WAL and shared-memory files in place, so the
# next start can open it and fails at recording the push (a clean stop
# removes them, and then opening the database itself fails on a full disk).
kill -9 "$daemon"; wait "$daemon" 2>/dev/null; daemon=; rm -f "$sock"
# (timeout: a daemon that wrongly starts would serve forever.)
expect_exit 1 "portvaktd --policy on a full disk refuses to start" \
  timeout 30 "$pvd" --policy "$work/big/$other" --socket "$sock" --metrics "" --forward=false --state-dir "$state"
expect_output "(cannot record push .*full|database or disk is full)" "and says the disk is full"
[ -S "$sock" ] && { echo "FAIL: portvaktd serves its socket although it could not record its policy"; fail=1; }
free_disk

start_daemon
[ "$(running_hash)" = "$accepted_hash" ] || { echo "FAIL: after the restart $(running_hash) runs, not the last acknowledged push $accepted_hash"; fail=1; }
[ "$(running_version)" = "$accepted_version" ] || { echo "FAIL: after the restart version $(running_version) runs, want $accepted_version"; fail=1; }
expect_exit 0 "history after the restart" "$pv" policy history
versions=$(awk '{print $1}' "$work/out" | tr '\n' ' ')
[ "$versions" = "$(seq -s ' ' 1 "$accepted_version") " ] || { echo "FAIL: history versions are '$versions', want 1..$accepted_version once each"; cat "$work/out"; fail=1; }
stop_daemon

[ $fail -eq 0 ] && echo "policy full disk ok"
exit $fail
