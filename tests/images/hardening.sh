#!/usr/bin/env bash
# The binaries carry Debian's hardening (what `hardening-check` from devscripts
# reports, read here with binutils' readelf): PIE, full RELRO (relro + now),
# the stack protector and fortified libc calls. Registered only for hardened
# builds (PORTVAKT_HARDENING on, no sanitizers: tests/CMakeLists.txt).
set -uo pipefail
build=${1:?usage: hardening.sh BUILD_DIR}
fail=0
for bin in "$build/control/portvakt" "$build/control/portvaktd"; do
  [ -x "$bin" ] || { echo "FAIL: $bin not built"; fail=1; continue; }
  name=$(basename "$bin")
  header=$(readelf --file-header --wide "$bin")
  segments=$(readelf --program-headers --wide "$bin")
  dynamic=$(readelf --dynamic --wide "$bin")
  symbols=$(readelf --dyn-syms --wide "$bin")
  grep -q 'Type:[[:space:]]*DYN' <<<"$header" || { echo "FAIL: $name is not a position-independent executable"; fail=1; }
  grep -q 'GNU_RELRO' <<<"$segments" || { echo "FAIL: $name has no RELRO segment (-Wl,-z,relro)"; fail=1; }
  grep -qE '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' <<<"$dynamic" || { echo "FAIL: $name binds lazily (-Wl,-z,now missing)"; fail=1; }
  grep -q '__stack_chk_fail' <<<"$symbols" || { echo "FAIL: $name has no stack protector (-fstack-protector-strong)"; fail=1; }
  fortified=$(grep -oE '__[a-z0-9_]+_chk' <<<"$symbols" | grep -vx '__stack_chk' | sort -u | tr '\n' ' ')
  [ -n "$fortified" ] || { echo "FAIL: $name calls no fortified libc function (-D_FORTIFY_SOURCE=2)"; fail=1; }
  [ $fail -eq 0 ] && echo "$name: PIE, relro, now, stack protector, fortified: $fortified"
done
exit $fail
