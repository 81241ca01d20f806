#!/usr/bin/env bash
# The man pages (docs/man/portvakt.1, docs/man/portvaktd.8) are generated from
# the binaries' --help and --version by help2man (Debian package help2man),
# with the hand-written sections in docs/man/*.h2m. This regenerates them from
# BUILD_DIR's binaries and fails when the checked-in pages say something else,
# so a changed option cannot leave the pages behind. debian/rules runs it on
# the package's own binaries too. To update the pages after changing --help:
#   PORTVAKT_REGENERATE=1 tests/images/man_pages.sh build
# Only the month in the .TH line may differ (help2man's date, taken from
# SOURCE_DATE_EPOCH: the package build sets it from debian/changelog).
set -uo pipefail
build=${1:?usage: man_pages.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
command -v help2man >/dev/null || {
  echo "SKIP: help2man is not installed (Debian package help2man; ./run installs it)"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Roff-safe preformatted text: backslashes and leading dots/quotes escaped.
roff_block() { printf '.nf\n'; sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; printf '.fi\n'; }

# portvakt's page also carries every command's own --help.
cli="$build/control/portvakt"
daemon="$build/control/portvaktd"
for bin in "$cli" "$daemon"; do
  [ -x "$bin" ] || { echo "FAIL: $bin is not built"; exit 1; }
done
{
  cat docs/man/portvakt.h2m
  printf '\n[COMMANDS]\n'
  # The command list of `portvakt --help`: two-space indent, then the command.
  "$cli" --help | sed -n 's/^  \([a-z][a-z]*\( [a-z][a-z]*\)\?\)  .*/\1/p' | while read -r command; do
    printf '.SS "portvakt %s"\n' "$command"
    # shellcheck disable=SC2086 # a command is one or two words
    "$cli" $command --help | roff_block
  done
} > "$work/portvakt.h2m"

# The date in .TH: SOURCE_DATE_EPOCH if set, else debian/changelog's date.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && command -v dpkg-parsechangelog >/dev/null; then
  SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian/changelog -STimestamp)
fi
export SOURCE_DATE_EPOCH
help2man --no-info --section 1 --name "check, compile and push portvakt policies; inspect the daemon" \
  --include "$work/portvakt.h2m" --output "$work/portvakt.1" "$cli" || { echo "FAIL: help2man $cli"; exit 1; }
help2man --no-info --section 8 --name "portvakt network access-control daemon" \
  --include docs/man/portvaktd.h2m --output "$work/portvaktd.8" "$daemon" || { echo "FAIL: help2man $daemon"; exit 1; }

if [ -n "${PORTVAKT_REGENERATE:-}" ]; then
  cp "$work/portvakt.1" "$work/portvaktd.8" docs/man/
  echo "wrote docs/man/portvakt.1 docs/man/portvaktd.8"
  exit 0
fi
# Same page but for help2man's own version in the header comment and the date.
normalise() { sed -E -e '/^\.\\" DO NOT MODIFY THIS FILE!/d' -e 's/^(\.TH [^ ]+ "[0-9]+" )"[^"]*"/\1"DATE"/' "$1"; }
fail=0
for page in portvakt.1 portvaktd.8; do
  if ! diff -u <(normalise "docs/man/$page") <(normalise "$work/$page") > "$work/$page.diff"; then
    echo "FAIL: docs/man/$page differs from what help2man makes of $build's --help (+ is the binary):"
    head -40 "$work/$page.diff"
    fail=1
  fi
done
[ $fail -eq 0 ] && echo "man pages ok: docs/man/portvakt.1 and docs/man/portvaktd.8 match --help of $build"
[ $fail -eq 0 ] || echo "regenerate: PORTVAKT_REGENERATE=1 tests/images/man_pages.sh $build"
exit $fail
