#!/usr/bin/env bash
# One version: debian/changelog's (the package's) is CMake's project(VERSION),
# which --version of both built binaries prints. A release bumps both; this
# fails when one is forgotten.
set -uo pipefail
build=${1:?usage: package_version.sh BUILD_DIR}
cmake_version=$(sed -n 's/^project(portvakt VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$cmake_version" ] || { echo "FAIL: no project(portvakt VERSION x.y.z) in CMakeLists.txt"; exit 1; }
# The first line of the changelog: "portvakt (VERSION) DIST; urgency=...".
# (sed, not dpkg-parsechangelog, so the test needs nothing beyond coreutils.)
package_version=$(sed -n '1s/^portvakt (\([^)]*\)).*/\1/p' debian/changelog)
fail=0
# A native package: the version is the project's, with no Debian revision.
[ "$package_version" = "$cmake_version" ] ||
  { echo "FAIL: debian/changelog says $package_version, CMakeLists.txt project(VERSION) says $cmake_version"; fail=1; }
for bin in portvakt portvaktd; do
  got=$("$build/control/$bin" --version)
  [ "$got" = "$bin $cmake_version" ] || { echo "FAIL: $bin --version says '$got', expected '$bin $cmake_version'"; fail=1; }
done
[ $fail -eq 0 ] && echo "version $cmake_version: CMake, debian/changelog and --version agree"
exit $fail
