#!/usr/bin/env bash
# A bounded libFuzzer run of the policy front end (the driver:
# tools/run_fuzz.sh), seeded with the examples and the invalid corpus.
#   policy/fuzz/run_fuzz.sh [SECONDS] [TARGET...]   (default 60 s, policy;
#   fingerprint_data fuzzes the fingerprint files a policy names)
# A crash input goes, after the fix, to tests/policy/fuzz_crashes/.
seconds=${1:-60}
shift || true
[ $# -eq 0 ] && set -- policy
exec "$(dirname "$0")/../../tools/run_fuzz.sh" "$seconds" "$@"
