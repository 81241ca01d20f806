# Sourced by the e2e scripts (not a test itself: ctest runs *.sh): their shared
# start, on the lab library tests/support/lab.bash (namespaces, veths,
# portvaktd, skips). Takes the build dir as $1 and sets build (absolute), pvd
# and pv. Without root: a skip outside CI (exit 77, which ctest reports as
# skipped: SKIP_RETURN_CODE in tests/CMakeLists.txt), a failure under CI=true
# (CI runs as root).
source "$(dirname "${BASH_SOURCE[0]}")/../support/lab.bash"
set -uo pipefail
lab_paths "${1:?usage: $(basename "$0") BUILD_DIR}"
lab_require_root
