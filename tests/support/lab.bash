# The network-namespace lab of the shell tests and benches, sourced (not a
# test itself: ctest runs */*.sh). One switch namespace "<tag>-sw" where
# portvaktd runs, host namespaces "<tag>-<host>" joined to it by veth pairs
# (switch side: the port's name, host side: lan0), real programs on the hosts.
# The C++ tests and the veth bench have the same in tests/support/netns.h.
#
#   source tests/support/lab.bash
#   lab_require_root; lab_require_tools dnsmasq dhclient
#   lab_paths "$1"                    # build, pvd, pv
#   lab_new pvx$$                      # tag, ns(), work; names unique per run
#   trap lab_remove EXIT; trap 'exit 1' INT TERM
#   lab_hosts sw pc up
#   lab_link eth0 pc 02:00:00:00:00:23 10.20.0.23/16
#   lab_daemon tests/e2e/lab-site.yaml   # portvaktd in <tag>-sw, $daemon, $PORTVAKT_SOCKET
#
# Skips: a test that cannot run here (no root, a tool missing) exits 77, which
# ctest reports as skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt); under
# CI=true, where everything is installed and tests run as root, it fails.
# Everything the lab made is removed by lab_remove (kill what runs in its
# namespaces, delete them, remove $work), also after a failure or a signal.

# lab_skip REASON: skip (exit 77), or fail under CI=true.
lab_skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true: a skip is a failure)"; exit 1; fi
  echo "skip: $1"; exit 77
}

# lab_check DESCRIPTION COMMAND...: runs COMMAND and says "ok: DESCRIPTION"
# or "FAIL: DESCRIPTION"; a failure sets fail=1 (the script's exit status).
lab_check() {
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

lab_require_root() { [ "$(id -u)" -eq 0 ] || lab_skip "needs root (network namespaces)"; }

# lab_require_tools TOOL...: every tool on PATH, else a skip naming the missing ones.
lab_require_tools() {
  local tool missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] || lab_skip "${missing[*]} not installed (./run deps installs it)"
}

# lab_paths BUILD_DIR: build (absolute), pvd (portvaktd), pv (portvakt).
lab_paths() {
  build=$1
  case "$build" in /*) ;; *) build=$PWD/$build ;; esac
  pvd=$build/control/portvaktd
  pv=$build/control/portvakt
}

# lab_new TAG: the run's namespace prefix (TAG must be unique per run: put $$
# in it, and keep it short: interface-name rules), ns(), and a work directory.
lab_new() {
  tag=$1
  lab_host_list=""
  work=$(mktemp -d)
  export PORTVAKT_SOCKET=$work/api.sock
}
ns() { echo "$tag-$1"; }

# lab_hosts HOST...: a namespace per host, loopback up.
lab_hosts() {
  local n
  for n in "$@"; do
    ip netns add "$(ns "$n")" || { echo "FAIL: ip netns add $(ns "$n")"; exit 1; }
    lab_host_list="$lab_host_list $n"
    ip -n "$(ns "$n")" link set lo up
  done
}

# lab_link [--ipv6] [--name IF] PORT HOST MAC [ADDRESS]: a veth pair, PORT in
# the switch namespace, lan0 (or IF) in HOST's with MAC and ADDRESS, both up.
# The switch side never answers or routes (no IPv6 on it); the host side has
# no IPv6 either unless --ipv6 (the kernel's own ND/MLD frames would be
# traffic the test did not send), and computes its own checksums (veth leaves
# them to "hardware"; a frame the switch re-sends would arrive with a partial
# checksum, which DHCP clients drop).
lab_link() {
  local ipv6=0 name=lan0 try
  while [ $# -gt 0 ]; do
    case "$1" in
      --ipv6) ipv6=1; shift ;;
      --name) name=$2; shift 2 ;;
      *) break ;;
    esac
  done
  local port=$1 host=$2 mac=$3 address=${4:-}
  # Retried: with other tests creating and removing namespaces at the same
  # time, iproute2 now and then cannot open a fresh one ("Peer netns
  # reference is invalid").
  for try in 1 2 3; do
    ip link add "$port" netns "$(ns sw)" type veth peer name "$name" netns "$(ns "$host")" 2>"$work/ip-link.err" && break
    [ $try = 3 ] && { echo "FAIL: veth $port: $(cat "$work/ip-link.err")"; exit 1; }
    sleep 0.2
  done
  ip -n "$(ns "$host")" link set "$name" address "$mac"
  ip netns exec "$(ns "$host")" sysctl -qw "net.ipv6.conf.$name.disable_ipv6=$((1 - ipv6))"
  command -v ethtool >/dev/null && ip netns exec "$(ns "$host")" ethtool -K "$name" tx off >/dev/null 2>&1
  [ -n "$address" ] && ip -n "$(ns "$host")" addr add "$address" dev "$name"
  ip -n "$(ns "$host")" link set "$name" up
  ip netns exec "$(ns sw)" sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
  ip -n "$(ns sw)" link set "$port" up
}

# lab_daemon POLICY [OPTION...]: portvaktd in the switch namespace with its
# socket ($PORTVAKT_SOCKET) and state ($work/state) in the work dir, stderr
# in $work/daemon.log, no metrics unless an option says otherwise; waits for
# its socket (10 s). Sets daemon (its pid).
lab_daemon() {
  local policy=$1; shift
  local metrics=(--metrics "")
  case " $* " in *" --metrics "*) metrics=() ;; esac
  ip netns exec "$(ns sw)" "$pvd" --policy "$policy" --socket "$PORTVAKT_SOCKET" "${metrics[@]}" \
    --state-dir "$work/state" "$@" 2>"$work/daemon.log" &
  daemon=$!
  for _ in $(seq 100); do [ -S "$PORTVAKT_SOCKET" ] && return 0; sleep 0.1; done
  echo "FAIL: portvaktd did not start"; cat "$work/daemon.log"; exit 1
}

# lab_dnsmasq HOST RANGE NAME [OPTION...]: a real DHCP server (no DNS) on the
# host's lan0, leases, pid and log in $work/NAME*.
lab_dnsmasq() {
  local host=$1 range=$2 name=$3; shift 3
  ip netns exec "$(ns "$host")" dnsmasq --port=0 --interface=lan0 --bind-interfaces --dhcp-range="$range,10m" \
    --dhcp-leasefile="$work/$name.leases" --pid-file="$work/$name-dnsmasq.pid" --log-facility="$work/$name-dnsmasq.log" \
    --log-dhcp "$@"
}

# lab_dhclient_conf windows|linux [HOST-NAME]: a dhclient.conf sending what
# that client sends (Windows 10/11: vendor class "MSFT 5.0" and its option-55
# list, which the project's fingerprints know; Linux: Debian's own list).
lab_dhclient_conf() {
  case "$1" in
    windows)
      cat <<'CONF'
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
option ms-classless-static-routes code 249 = array of unsigned integer 8;
option wpad code 252 = text;
send vendor-class-identifier "MSFT 5.0";
request subnet-mask, routers, domain-name-servers, domain-name, router-discovery, static-routes,
  vendor-encapsulated-options, netbios-name-servers, netbios-node-type, netbios-scope, domain-search,
  rfc3442-classless-static-routes, ms-classless-static-routes, wpad;
CONF
      ;;
    linux)
      cat <<'CONF'
request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers,
  domain-search, host-name, interface-mtu, ntp-servers;
CONF
      ;;
    *) echo "lab_dhclient_conf: windows or linux, not '$1'" >&2; return 1 ;;
  esac
  [ -n "${2:-}" ] && echo "send host-name \"$2\";"
  return 0
}

# remove_lab "HOST...": kills everything still running in those namespaces
# (the lab started all of it), deletes them and the work dir.
remove_lab() {
  local n pids
  for n in $1; do
    pids=$(ip netns pids "$(ns "$n")" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
  done
  wait 2>/dev/null
  for n in $1; do ip netns del "$(ns "$n")" 2>/dev/null; done
  rm -rf "$work"
}
# lab_remove: remove_lab for every host lab_hosts made.
lab_remove() { remove_lab "$lab_host_list"; }
