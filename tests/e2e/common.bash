# Sourced by the e2e scripts (not a test itself: ctest runs *.sh): their shared
# start. Takes the build dir as $1 and sets build (absolute), pvd and pv.
# Without root: a skip outside CI (exit 77, which ctest reports as skipped:
# SKIP_RETURN_CODE in tests/CMakeLists.txt), a failure under CI=true (CI runs as root).
set -uo pipefail
build=${1:?usage: $(basename "$0") BUILD_DIR}
if [ "$(id -u)" -ne 0 ]; then
  [ "${CI:-}" = true ] && { echo "FAIL: needs root, and CI runs as root"; exit 1; }
  echo "skip: needs root (network namespaces)"; exit 77
fi
case "$build" in /*) ;; *) build=$PWD/$build ;; esac  # ctest passes it absolute
pvd=$build/control/portvaktd
pv=$build/control/portvakt

# Kills everything still running in the lab's namespaces (this script started
# all of it), removes the namespaces and the work dir. $1: the host names,
# ns() maps a name to its namespace.
remove_lab() {
  local n pids
  for n in $1; do
    pids=$(ip netns pids "$(ns $n)" 2>/dev/null)
    [ -n "$pids" ] && kill $pids 2>/dev/null
  done
  wait 2>/dev/null
  for n in $1; do ip netns del "$(ns $n)" 2>/dev/null; done
  rm -rf "$work"
}
