#!/usr/bin/env bash
# The portvakt CLI's offline policy commands, run as a user would: exit codes
# (0 ok, 1 invalid/different, 2 usage), --help on every command, and the
# outputs of check, compile, diff and graph on the shipped examples.
# Usage: policy_cli.sh BUILD_DIR   (run from the project root)
# Requirements: R11, R12
set -uo pipefail
build=${1:?usage: policy_cli.sh BUILD_DIR}
pv=${PORTVAKT_BIN:-$build/control/portvakt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
site=examples/vardcentral-karlstad.yaml
fysio=examples/fysioterapi-arvika.yaml

expect_exit() {  # expected-code description command...
  local want=$1 what=$2; shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  | /' "$work/out" "$work/err" | head -20; fail=1
  fi
}
expect_output() {  # pattern description (greps the last command's stdout+stderr)
  if ! grep -qE -- "$1" "$work/out" "$work/err"; then
    echo "FAIL: $2: output lacks /$1/"; sed 's/^/  | /' "$work/out" "$work/err" | head -20; fail=1
  fi
}

expect_exit 2 "no arguments is a usage error" "$pv"
expect_exit 0 "top-level --help" "$pv" --help
expect_output "exit codes" "the overview documents exit codes"
for cmd in "simulate" "trace" "policy test" "policy check" "policy compile" "policy diff" "policy graph" "classbench" "status" "policy plan" "policy push" "policy rollback" "policy history"; do
  expect_exit 0 "$cmd --help" "$pv" $cmd --help
  expect_output "usage: portvakt $cmd" "$cmd --help shows its usage"
done
expect_exit 2 "unknown command" "$pv" polcy check
expect_exit 2 "unknown option" "$pv" policy check --frobnicate "$site"
expect_exit 2 "missing file argument" "$pv" policy compile

expect_exit 0 "check the examples" "$pv" policy check "$site" "$fysio"
expect_output "^0 errors, 0 warnings in 2 files$" "summary line for two good files"
expect_exit 1 "check an invalid policy" "$pv" policy check tests/policy/invalid/duplicate-vlan.yaml "$site"
expect_output "^tests/policy/invalid/duplicate-vlan.yaml:5:17: error\[duplicate-vlan\]" "file:line:col: error[code]"
expect_output "^1 error, 0 warnings in 2 files$" "summary counts every file"
cat > "$work/warn.yaml" <<'YAML'
portvakt: 1
name: warn
zones:
  lan: {vlan: 10}
destinations:
  net: {prefixes: [0.0.0.0/0]}
flows:
  - {name: web, from: lan, to: net, proto: tcp, ports: [1-65535]}
  - {name: https, from: lan, to: net, proto: tcp, ports: [443]}
YAML
expect_exit 0 "warnings alone pass" "$pv" policy check "$work/warn.yaml"
expect_output "warning\[shadowed-rule\]" "the shadowed flow is reported"
expect_exit 1 "warnings fail with -W" "$pv" policy check "$work/warn.yaml" -W
expect_exit 1 "a policy file that does not exist is an invalid policy" "$pv" policy compile "$work/nope.yaml"
expect_output "error\[file-unreadable\]" "names the missing file"

expect_exit 0 "compile" "$pv" policy compile "$site" -o "$work/a.compiled"
expect_output "^hash sha256:[0-9a-f]{64}$" "compile prints the content hash"
expect_exit 0 "compile again" "$pv" policy compile "$site" -o "$work/b.compiled"
cmp -s "$work/a.compiled" "$work/b.compiled" || { echo "FAIL: compiling twice differs"; fail=1; }
expect_exit 0 "dump" "$pv" policy compile "$site" --dump
expect_output '^flow 0 "invariant:voice-never-region" deny' "the dump shows invariant rules first"
expect_output "^port eth14 group=wall-jacks role=access" "the dump shows expanded ports"

expect_exit 0 "diff of a policy with itself" "$pv" policy diff "$site" "$site"
expect_output "^no semantic changes$" "diff says nothing changed"
expect_exit 1 "diff of two sites" "$pv" policy diff "$site" "$fysio"
expect_output "^\+ zone practice$" "diff names an added zone"
expect_output "^- flow eklient-rdnet$" "diff names a removed flow"
expect_output "^- inventory 3c:52:82:1a:2b:3c$" "diff names a removed inventory device"

expect_exit 0 "policy test on the examples" "$pv" policy test "$site" "$fysio"
expect_output "^25 passed, 0 failed$" "every example test passes"
cat > "$work/wrong.yaml" <<YAML
portvakt: 1
name: wrong-expectations
extends: $PWD/examples/vardcentral-karlstad.yaml
tests:
  - name: voice reaches RDnet (it must not)
    flow: {from: voice, to: 10.20.0.5, proto: tcp, port: 443}
    expect: allow
  - name: an unknown laptop lands in region (it must not)
    device:
      mac: "a4:83:e7:00:00:09"
      dhcp: {vendor_class: "MSFT 5.0"}
    expect: {zone: region}
YAML
expect_exit 1 "policy test reports wrong expectations" "$pv" policy test "$work/wrong.yaml"
expect_output "^FAIL  .*voice reaches RDnet" "the flow case fails"
expect_output "got deny by flow 'invariant:voice-never-rdnet'" "and names the rule that decided"
expect_output "^FAIL  .*unknown laptop lands in region" "the device case fails"
expect_output "2 failed$" "both failures are counted"

expect_exit 0 "graph as DOT" "$pv" policy graph "$site"
expect_output "^digraph" "DOT output"
expect_output 'never \(voice-never-region\)' "invariants drawn as never edges"
if command -v dot >/dev/null; then
  expect_exit 0 "graph as SVG" "$pv" policy graph "$site" --format svg -o "$work/g.svg"
  grep -q "<svg" "$work/g.svg" || { echo "FAIL: no SVG written"; fail=1; }
elif [ "${CI:-}" = true ]; then
  echo "FAIL: Graphviz 'dot' missing under CI"; fail=1
else
  echo "skip: SVG rendering (Graphviz 'dot' not installed)"
fi
expect_exit 2 "graph with a bad format" "$pv" policy graph "$site" --format png

[ $fail -eq 0 ] && echo "policy CLI ok"
exit $fail
