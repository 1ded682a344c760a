#!/usr/bin/env bash
# The house formatting of the native core and its tests: clang-format with .clang-format (Google
# style, 120 columns). The jextract-facing header native/include/ntk4j.h is laid out by hand and
# left as it is; generated code (bindings/) is never formatted.
#   ci/format.sh          rewrites the files
#   ci/format.sh --check  lists what is not formatted and exits 1 (run by .ci/run)
# (Java has no formatter check yet: google-java-format's 100 columns grew the sources by ~35 %,
# against the 400-line limit per file; see the notes of issue 12.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v clang-format >/dev/null || { echo "ci/format.sh: clang-format is not installed (apt-get install clang-format)" >&2; exit 1; }
mapfile -t cpp < <(git ls-files 'native/*.cpp' 'native/*.hpp' | grep -v '^native/include/ntk4j.h$')
[[ ${#cpp[@]} -gt 0 ]] || { echo "ci/format.sh: no C++ sources found" >&2; exit 1; }
if [[ "${1:-}" == --check ]]; then
  bad=0
  for f in "${cpp[@]}"; do
    clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not clang-formatted: $f"; bad=1; }
  done
  [[ $bad -eq 0 ]] || { echo "run ci/format.sh to fix the formatting" >&2; exit 1; }
  echo "formatting: ${#cpp[@]} C++ files as clang-format leaves them"
else
  clang-format --style=file -i "${cpp[@]}"
fi
