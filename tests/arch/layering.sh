#!/usr/bin/env bash
# The dependency direction is a build fact: policy/tables <- policy/compiler,
# policy/tables <- dataplane, everything <- control. This test fails if
#  - the dataplane or the compiled tables link yaml-cpp or the policy compiler
#    (read from CMake's own target graph), or
#  - a source file includes across the boundary (YAML in dataplane/ or tables,
#    packet or socket headers in policy/).
# Usage: layering.sh BUILD_DIR   (run from the project root)
set -euo pipefail
build=${1:?usage: layering.sh BUILD_DIR}
fail=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && cmake --graphviz=deps.dot "$OLDPWD/$build" >/dev/null 2>&1 || cmake --graphviz=deps.dot "$build" >/dev/null)
# Edges appear as comments: "// portvakt_dataplane -> portvakt_tables".
grep -o '// .* -> .*' "$work/deps.dot" | sed 's|^// ||' > "$work/edges"
[ -s "$work/edges" ] || { echo "FAIL: no dependency edges read from CMake's graph"; exit 1; }

reachable() {  # all targets reachable from $1
  local frontier=("$1") seen=" $1 "
  while [ ${#frontier[@]} -gt 0 ]; do
    local next=()
    for node in "${frontier[@]}"; do
      while IFS= read -r dep; do
        case "$seen" in *" $dep "*) ;; *) seen+="$dep "; next+=("$dep") ;; esac
      done < <(awk -v n="$node" -F' -> ' '$1 == n { print $2 }' "$work/edges")
    done
    frontier=("${next[@]+"${next[@]}"}")
  done
  echo "$seen"
}

for lib in portvakt_tables portvakt_dataplane; do
  deps=$(reachable "$lib")
  for forbidden in yaml-cpp portvakt_policy portvakt_control; do
    case "$deps" in *" $forbidden "*) echo "FAIL: $lib depends on $forbidden"; fail=1 ;; esac
  done
done
case "$(reachable portvakt_policy)" in *" portvakt_dataplane "*|*" portvakt_control "*)
  echo "FAIL: portvakt_policy depends on the dataplane or control"; fail=1 ;; esac

check_includes() {  # dir pattern message
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.h' --include='*.cc' || true)
  if [ -n "$hits" ]; then echo "FAIL: $3"; echo "$hits"; fail=1; fi
}
check_includes dataplane '#include\s*[<"](yaml-cpp/|policy/compiler/)' "dataplane/ includes the YAML front end"
check_includes policy/tables '#include\s*[<"](yaml-cpp/|policy/compiler/)' "policy/tables includes the YAML front end"
check_includes policy '#include\s*[<"](pcap|sys/socket\.h|netinet/|linux/|netlink/|dataplane/|control/)' \
  "policy/ includes packet, socket or other modules' headers"

[ $fail -eq 0 ] && echo "layering ok: tables and dataplane are free of YAML; policy is free of packets and sockets"
exit $fail
