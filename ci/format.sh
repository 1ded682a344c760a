#!/usr/bin/env bash
# The house formatting of the native core and its tests: clang-format with .clang-format (Google
# style, 120 columns). The jextract-facing header native/include/ntk4j.h is laid out by hand and
# left as it is; generated code (bindings/) is never formatted.
#   ci/format.sh          rewrites the files
#   ci/format.sh --check  lists what is not formatted and exits 1 (run by .ci/run)
# Java: palantir-java-format through the spotless Maven plugin (pom.xml); Maven's verify phase
# checks it, so ./ntk4j test fails on a misformatted Java file, and this script's rewrite mode
# applies it too (with the launcher's pinned Maven under build/tools, or mvn on PATH, and a
# JAVA_HOME >= 23).
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
  mvn=$(ls build/tools/apache-maven-*/bin/mvn 2>/dev/null | tail -1 || true)
  mvn=${mvn:-$(command -v mvn || true)}
  [[ -n "$mvn" ]] || { echo "ci/format.sh: no Maven for the Java formatter (run ./ntk4j once)" >&2; exit 1; }
  "$mvn" -B -q spotless:apply
fi
