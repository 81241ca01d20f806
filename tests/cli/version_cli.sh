#!/usr/bin/env bash
# One version for the product: project(VERSION) in CMakeLists.txt is what
# `portvakt --version` and `portvaktd --version` print (the status API and the
# CEF header use the same constant, control/version.h; their tests check them).
set -uo pipefail
build=${1:?usage: version_cli.sh BUILD_DIR}
want=$(sed -n 's/^project(portvakt VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$want" ] || { echo "FAIL: no project(portvakt VERSION ...) in CMakeLists.txt"; exit 1; }
fail=0
for tool in portvakt portvaktd; do
  got=$("$build/control/$tool" --version) || { echo "FAIL: $tool --version exited $?"; fail=1; continue; }
  [ "$got" = "$tool $want" ] || { echo "FAIL: $tool --version printed '$got', want '$tool $want'"; fail=1; }
done
[ $fail -eq 0 ] && echo "version $want everywhere"
exit $fail
