#!/usr/bin/env bash
# The C++ sources follow .clang-format (one convention everywhere, STYLE.md):
# clang-format --dry-run -Werror over every tracked *.h and *.cc fails on the
# first file it would change and prints where. To reformat the tree:
#   git ls-files '*.h' '*.cc' | xargs clang-format-14 -i
# clang-format-14 matches the clang the fuzz targets build with (./run
# installs both). Without it: a skip (exit 77) outside CI, a failure under CI=true.
# Usage: format.sh [BUILD_DIR]   (from the project root; the build dir is unused)
set -uo pipefail
formatter=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$formatter" >/dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL: $formatter is not installed (./run deps installs it)"; exit 1; }
  echo "skip: $formatter is not installed (apt-get install clang-format-14)"; exit 77
fi
[ -f .clang-format ] || { echo "FAIL: no .clang-format in $PWD (run from the project root)"; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.h' '*.cc')
else  # an unpacked source tree without .git
  mapfile -t files < <(find bench control dataplane policy tests tools -name '*.h' -o -name '*.cc' 2>/dev/null | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "FAIL: no C++ sources found"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$formatter" --style=file --dry-run -Werror "${files[@]}" >"$out" 2>&1
status=$?
if [ $status -ne 0 ]; then
  unformatted=$(grep -oE '^[^:]+\.(h|cc):[0-9]+:[0-9]+: error' "$out" | cut -d: -f1 | sort -u)
  echo "FAIL: $(echo "$unformatted" | grep -c .) of ${#files[@]} files differ from .clang-format, e.g.:"
  head -20 "$out"
  echo "files:"; echo "$unformatted" | sed 's/^/  /'
  echo "reformat with: git ls-files '*.h' '*.cc' | xargs $formatter -i"
  exit 1
fi
echo "format ok: ${#files[@]} C++ files follow .clang-format ($($formatter --version | head -1))"
