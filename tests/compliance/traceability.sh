#!/usr/bin/env bash
# Every requirement (tools/compliance/requirements.tsv: DESIGN.md's R1-R12 and
# the parts later issues made their own) has at least one test tagged
# `Requirements:` that CTest runs, every tag names a known requirement and a
# registered test, and docs/compliance.md is what the tree generates.
# Usage: traceability.sh BUILD_DIR   (run from the project root)
set -uo pipefail
build=${1:?usage: traceability.sh BUILD_DIR}
command -v python3 >/dev/null || { echo "FAIL: python3 is missing (./run deps installs it)"; exit 1; }
exec python3 tools/compliance/trace.py --build "$build" --check
