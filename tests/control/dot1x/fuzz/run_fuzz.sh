#!/usr/bin/env bash
# A bounded libFuzzer run of the 802.1X message parsers (hostapd events, STA
# replies, the session table fed with events); the driver: tools/run_fuzz.sh.
#   tests/control/dot1x/fuzz/run_fuzz.sh [SECONDS]   (default 30)
# A crash input goes, after the fix, to tests/control/dot1x/fuzz_corpus/crash-<what>.
exec "$(dirname "$0")/../../../../tools/run_fuzz.sh" "${1:-30}" dot1x
