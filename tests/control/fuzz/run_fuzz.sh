#!/usr/bin/env bash
# Bounded libFuzzer runs of the control plane's third-party inputs (the
# driver: tools/run_fuzz.sh): management API requests (api), the inventory CSV
# (inventory), Fingerbank-format fingerprint files (fingerprint).
#   tests/control/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 20 s, all three)
# A crash input goes, after the fix, to tests/control/fuzz_corpus/<target>/crash-<what>.
seconds=${1:-20}
shift || true
[ $# -eq 0 ] && set -- control
exec "$(dirname "$0")/../../../tools/run_fuzz.sh" "$seconds" "$@"
