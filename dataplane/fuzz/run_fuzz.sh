#!/usr/bin/env bash
# Bounded libFuzzer runs of the packet parsers, over copies of
# tests/dataplane/fuzz_corpus/<target>/ (the driver: tools/run_fuzz.sh).
#   dataplane/fuzz/run_fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Defaults: 15 s per target, all of frame lldp cdp dhcp mdns sip. On a crash
# it exits 1 and prints the input: fix the parser, then commit the input as
# tests/dataplane/fuzz_corpus/<target>/crash-<what>.
seconds=${1:-15}
shift || true
[ $# -eq 0 ] && set -- packet
exec "$(dirname "$0")/../../tools/run_fuzz.sh" "$seconds" "$@"
