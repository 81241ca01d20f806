#!/usr/bin/env bash
# The Debian package's life on a Debian 12 system, in a chroot made by
# mmdebstrap (no systemd boots in a chroot: the maintainer scripts, the files,
# the user and the store are tested here; images/ boots the image in qemu):
#   install   user and group portvakt (sysusers.d), /var/lib/portvakt and
#             /var/log/portvakt owned by it (tmpfiles.d), the unit enabled,
#             /etc/portvakt's example policy as conffiles, the fingerprint
#             data, the man pages as checked in (docs/man);
#   run       portvaktd as the unit runs it: user portvakt, only the unit's
#             ambient capabilities, on 16 veth ports in a network namespace;
#             an operator in group portvakt reaches the socket and pushes, a
#             user outside it cannot connect;
#   upgrade   to a higher version: the store and an edited conffile are kept,
#             and the daemon resumes the pushed policy, not site.yaml; a store
#             of an earlier schema (the first package's, written by it) is
#             migrated at start and its last push runs;
#   remove    binaries gone, state and conffiles kept;
#   purge     state, alert files and conffiles gone.
# The higher version is the same .deb with its version raised (dpkg-deb),
# unless PORTVAKT_DEB_NEXT names a real one (e.g. built by ./run package after
# a version bump). Needs root, mmdebstrap and out/portvakt_<version>_<arch>.deb
# (./run package); the Debian root is made once and kept in out/deb-test/.
set -uo pipefail
build=${1:?usage: deb_lifecycle.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
skip() {
  [ "${CI:-}" = true ] && { echo "FAIL: $1 (under CI a skip is a failure)"; exit 1; }
  echo "skip: $1"; exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (chroot, network namespace)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (./run installs it)"
version=$(sed -n '1s/^portvakt (\([^)]*\)).*/\1/p' debian/changelog)
arch=$(dpkg --print-architecture)
deb=$PWD/out/portvakt_${version}_${arch}.deb
[ -f "$deb" ] || skip "no $deb: build it with ./run package"

run_id=$$-$RANDOM
netns=pvdeb-$run_id
work=$(mktemp -d "/tmp/portvakt-deb-$run_id.XXXX")
root=$work/root
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  ip netns del "$netns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail=0
check() {  # check DESCRIPTION COMMAND...: FAIL line unless COMMAND succeeds
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
require() {  # require DESCRIPTION COMMAND...: as check, but what follows needs it
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; echo "FAIL: stopping here: the rest depends on it"; exit 1; fi
}

# ---- the Debian root: what the package depends on, and nothing of it ----
# The first alternative of each dependency, without versions; passwd for
# useradd (the operators). Cached by that list and the host's apt sources.
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | grep . | sort -u)
includes=$(printf '%s\n' $depends passwd | sort -u | paste -sd, -)
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=http://deb.debian.org/debian
key=$(printf '%s\n%s\n' "$includes" "$(cat "$sources" 2>/dev/null || echo "$sources")" | sha256sum | cut -c1-16)
base=out/deb-test/bookworm-$key.tar
if [ ! -f "$base" ]; then
  mkdir -p out/deb-test
  echo "making the Debian 12 root (mmdebstrap, once): $includes"
  start=$(date +%s)
  mmdebstrap --quiet --variant=apt --include="$includes" bookworm "$work/base.tar" "$sources" ||
    { echo "FAIL: mmdebstrap"; exit 1; }
  mv "$work/base.tar" "$base"
  echo "made $base in $(( $(date +%s) - start )) s"
fi
mkdir "$root"
tar -xf "$base" -C "$root" || { echo "FAIL: cannot unpack $base"; exit 1; }

# Runs a command in the root with /proc, /dev and /sys, in a mount namespace
# of its own (the mounts vanish with it). Exec all the way down, so a
# backgrounded in_root's $! is the command's own pid.
in_root() {
  unshare --mount --propagation private bash -c '
    r=$1; shift
    mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount --rbind /sys "$r/sys" &&
      exec chroot "$r" "$@"' in_root "$root" "$@"
}
as_user() { local user=$1; shift; in_root setpriv --reuid "$user" --regid "$user" --init-groups "$@"; }
export root
export -f in_root as_user
apt_in_root() { in_root env DEBIAN_FRONTEND=noninteractive apt-get -q -y "$@" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; return 1; }; }

# ---- install ----
cp "$deb" "$root/tmp/"
require "apt-get install ./$(basename "$deb")" apt_in_root install "/tmp/$(basename "$deb")"
check "user portvakt is a system user without a login shell" \
  bash -c "in_root getent passwd portvakt | awk -F: '\$3 < 1000 && \$7 ~ /nologin|false/' | grep -q ."
check "group portvakt exists" bash -c "in_root getent group portvakt >/dev/null"
for dir in /var/lib/portvakt /var/log/portvakt; do
  check "$dir is 0750 portvakt:portvakt" bash -c "[ \"\$(chroot '$root' stat -c '%a %U:%G' '$dir')\" = '750 portvakt:portvakt' ]"
done
conffiles=$(in_root dpkg-query -W -f='${Conffiles}' portvakt)
for f in /etc/portvakt/region-base.yaml /etc/portvakt/vardcentral-karlstad.yaml /etc/portvakt/vardcentral-karlstad-inventory.csv; do
  check "$f is a conffile" grep -q " $f " <<<"$conffiles"
done
check "the unit is enabled" test -L "$root/etc/systemd/system/multi-user.target.wants/portvaktd.service"
for f in /usr/bin/portvakt /usr/bin/portvaktd /lib/systemd/system/portvaktd.service \
         /usr/lib/sysusers.d/portvakt.conf /usr/lib/tmpfiles.d/portvakt.conf \
         /usr/share/portvakt/portvakt_dhcp_fingerprints.conf /usr/share/doc/portvakt/operations.md \
         /usr/share/doc/portvakt/copyright; do
  check "installs $f" test -e "$root$f"
done
normalise() { sed -E -e '/^\.\\" DO NOT MODIFY THIS FILE!/d' -e 's/^(\.TH [^ ]+ "[0-9]+" )"[^"]*"/\1"DATE"/'; }
for page in man1/portvakt.1 man8/portvaktd.8; do
  check "the package's $page is docs/man/$(basename $page) (generated from --help)" \
    cmp -s <(zcat "$root/usr/share/man/$page.gz" | normalise) <(normalise < "docs/man/$(basename $page)")
done
check "the example site policy checks with the installed CLI" bash -c "in_root portvakt policy check /etc/portvakt/vardcentral-karlstad.yaml >/dev/null"

# ---- run: as the unit does, without systemd ----
unit=$root/lib/systemd/system/portvaktd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
unit_user=$(sed -n 's/^User=//p' "$unit")
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr 'A-Z' 'a-z' | sed -E 's/cap_/+/g; s/ +/,/g')
umask_value=$(sed -n 's/^UMask=//p' "$unit")
ip netns add "$netns" || { echo "FAIL: ip netns add"; exit 1; }
ip -n "$netns" link set lo up
for i in $(seq 0 15); do  # the example's ports eth0..eth15, each with a live peer
  ip -n "$netns" link add "eth$i" type veth peer name "peer$i" && ip -n "$netns" link set "peer$i" up
done
in_root useradd --create-home --groups portvakt alice   # an operator
in_root useradd --create-home bob                        # not an operator
ln -s vardcentral-karlstad.yaml "$root/etc/portvakt/site.yaml"
start_daemon() {  # what systemd does for the unit: directories, user, capabilities, umask
  install -d -m 0750 -o "$(in_root id -u portvakt)" -g "$(in_root id -g portvakt)" "$root/run/portvakt"
  ip netns exec "$netns" unshare --mount --propagation private bash -c '
    r=$1; shift
    mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" && mount --rbind /sys "$r/sys" &&
      exec chroot "$r" "$@"' in_root "$root" \
    setpriv --reuid "$unit_user" --regid "$unit_user" --init-groups --no-new-privs \
      --inh-caps=-all,"$caps" --ambient-caps=-all,"$caps" --bounding-set=-all,"$caps" \
      sh -c "umask $umask_value; exec $exec_start" >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 1 150); do
    as_user alice portvakt status >/dev/null 2>&1 && return 0
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "portvaktd did not answer; its log:"; cat "$work/daemon.log"; return 1
}
stop_daemon() { kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null; daemon_pid=; }
status_hash() { as_user alice portvakt status --json | jq -r '.policy.hash // empty'; }

check "portvaktd starts as the unit runs it (user $unit_user, capabilities $caps)" start_daemon
if [ -n "$daemon_pid" ]; then
  daemon_uid=$(awk '/^Uid:/{print $2}' "/proc/$daemon_pid/status" 2>/dev/null)
  check "portvaktd runs as uid portvakt ($daemon_uid)" \
    test -n "$daemon_uid" -a "$daemon_uid" = "$(chroot "$root" id -u portvakt 2>/dev/null)"
  check "its effective capabilities are CAP_NET_RAW and CAP_NET_ADMIN only" \
    bash -c "[ \"\$(awk '/^CapEff:/{print \$2}' /proc/$daemon_pid/status)\" = 0000000000003000 ]"
  check "it brought its ports up and promiscuous (CAP_NET_ADMIN as uid portvakt)" \
    bash -c "ip -n '$netns' link show eth3 | grep -q 'PROMISC,UP'"
  check "the socket is 0660 group portvakt in a 0750 portvakt directory" \
    bash -c "[ \"\$(chroot '$root' stat -c '%a %G' /run/portvakt/portvakt.sock /run/portvakt | paste -sd' ')\" = '660 portvakt 750 portvakt' ]"
  check "the database is the daemon's (owner portvakt, not group-writable)" \
    bash -c "[ \"\$(chroot '$root' stat -c '%U %a' /var/lib/portvakt/portvakt.db)\" = 'portvakt 640' ]"
  initial_hash=$(status_hash)
  check "a user outside group portvakt cannot reach the socket" \
    bash -c "! as_user bob portvakt status >'$work/bob.out' 2>&1 && grep -q 'Permission denied' '$work/bob.out'"
  # alice pushes the Fysioterapi set-up (its own ports are a subset of eth0..15).
  cp examples/fysioterapi-arvika.yaml examples/fysioterapi-arvika-inventory.csv examples/region-base.yaml "$root/home/alice/"
  in_root chown -R alice:alice /home/alice
  check "an operator in group portvakt pushes a policy" bash -c "as_user alice portvakt policy push /home/alice/fysioterapi-arvika.yaml >/dev/null"
  pushed_hash=$(status_hash)
  check "the pushed policy runs ($pushed_hash, was $initial_hash)" \
    bash -c "[ -n '$pushed_hash' ] && [ '$pushed_hash' != '$initial_hash' ]"
  check "the history records alice's uid" \
    bash -c "as_user alice portvakt policy history --json | jq -e '.history[-1].uid == $(chroot "$root" id -u alice)' >/dev/null"
  stop_daemon
fi

# ---- upgrade ----
if [ -n "${PORTVAKT_DEB_NEXT:-}" ]; then
  next_deb=$PORTVAKT_DEB_NEXT
else
  dpkg-deb -R "$deb" "$work/next" && sed -i "s/^Version: .*/Version: ${version}+upgradetest1/" "$work/next/DEBIAN/control" &&
    dpkg-deb -b "$work/next" "$work/portvakt_next.deb" >/dev/null || { echo "FAIL: cannot make the higher version"; exit 1; }
  next_deb=$work/portvakt_next.deb
fi
next_version=$(dpkg-deb -f "$next_deb" Version)
db_before=$(sha256sum < "$root/var/lib/portvakt/portvakt.db")
echo "# the clinic's own note" >> "$root/etc/portvakt/vardcentral-karlstad.yaml"
cp "$next_deb" "$root/tmp/portvakt_next.deb"
require "apt-get install the higher version $next_version" apt_in_root install /tmp/portvakt_next.deb
check "the installed version is $next_version" bash -c "[ \"\$(chroot '$root' dpkg-query -W -f='\${Version}' portvakt)\" = '$next_version' ]"
check "the upgrade left the store as it was" bash -c "[ \"\$(sha256sum < '$root/var/lib/portvakt/portvakt.db')\" = '$db_before' ]"
check "the upgrade kept the edited conffile" grep -q "the clinic's own note" "$root/etc/portvakt/vardcentral-karlstad.yaml"
if [ -n "${pushed_hash:-}" ]; then
  check "the upgraded portvaktd starts on the kept store" start_daemon
  resumed_hash=$(status_hash)
  check "it resumes the last pushed policy ($resumed_hash), not site.yaml" test "$resumed_hash" = "$pushed_hash"
  check "the history survived the upgrade" \
    bash -c "as_user alice portvakt policy history --json | jq -e '[.history[].hash] | index(\"$pushed_hash\")' >/dev/null"
  stop_daemon
fi

# ---- a store of an earlier schema: the first package's (schema 2), written
# by that version's own portvaktd (tests/images/fixtures/store-schema2.sql) ----
fixture=tests/images/fixtures/store-schema2.sql
fixture_hash=$(sed -n "s/^INSERT INTO policy_history VALUES(2,'\(sha256:[0-9a-f]*\)'.*/\1/p" "$fixture")
schema_now=$(sed -n 's/.*kSchemaVersion = \([0-9]*\);.*/\1/p' control/store/store.h)
store=$root/var/lib/portvakt/portvakt.db
rm -f "$store" "$store-wal" "$store-shm"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' "$store" "$fixture"
chroot "$root" chown portvakt:portvakt /var/lib/portvakt/portvakt.db && chmod 0640 "$store"
store_version() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version").fetchone()[0])' "$store"; }
check "the earlier store is at schema 2 before the start" test "$(store_version)" = 2
check "portvaktd starts on the schema-2 store" start_daemon
if [ -n "$daemon_pid" ]; then
  check "it runs that store's last push (fysioterapi-arvika), rebuilt from its recorded files" \
    bash -c "[ \"\$(as_user alice portvakt status --json | jq -r '.policy.name')\" = fysioterapi-arvika ]"
  # The same tables as recorded, or (when this version compiles them to other
  # tables) a new version of kind upgrade that names the recorded ones.
  check "the history shows that version ($fixture_hash) or its upgrade" \
    bash -c "as_user alice portvakt policy history --json | jq -e --arg h '$fixture_hash' \
      '.history[-1] | .hash == \$h or (.kind == \"upgrade\" and (.summary | contains(\$h)))' >/dev/null"
  stop_daemon
  check "the store was migrated to schema $schema_now" test "$(store_version)" = "$schema_now"
fi

# ---- remove, then purge ----
check "apt-get remove portvakt" apt_in_root remove portvakt
check "remove took the binaries" test ! -e "$root/usr/bin/portvaktd"
check "remove kept the store" test -f "$root/var/lib/portvakt/portvakt.db"
check "remove kept the conffiles" test -f "$root/etc/portvakt/region-base.yaml"
check "the package is removed, its configuration kept (rc)" \
  bash -c "[ \"\$(chroot '$root' dpkg-query -W -f='\${db:Status-Abbrev}' portvakt)\" = 'rc ' ]"
check "apt-get purge portvakt" apt_in_root purge portvakt
check "purge removed the state directory" test ! -e "$root/var/lib/portvakt"
check "purge removed the alert files' directory" test ! -e "$root/var/log/portvakt"
check "purge removed the conffiles" test ! -e "$root/etc/portvakt/region-base.yaml"
check "dpkg no longer knows portvakt" bash -c "! chroot '$root' dpkg-query -W -f='\${db:Status-Abbrev}' portvakt 2>/dev/null | grep -q '^[ir]'"

[ $fail -eq 0 ] && echo "deb lifecycle ok: install, run as portvakt, upgrade $version -> $next_version, remove, purge"
exit $fail
