#!/usr/bin/env bash
# No hand-written source file over 400 lines (C++, Java, Kotlin, Scala): a file that grows past it
# holds more than one concern and is split. Excepted: jextract's generated bindings/, and the one
# public C header native/include/ntk4j.h (one header by design: the ABI in one place for jextract
# and C users; its sections mirror native/src/abi/).
#   ci/check-sizes.sh [LIMIT]   lists the files over LIMIT (default 400) and exits 1 if any
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
limit=${1:-400}
bad=0
while IFS= read -r f; do
  n=$(wc -l < "$f")
  if [[ $n -gt $limit ]]; then
    echo "over $limit lines: $f ($n)"
    bad=1
  fi
done < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.java' '*.kt' '*.scala' | grep -v '^bindings/' | grep -v '^native/include/ntk4j.h$')
[[ $bad -eq 0 ]] || { echo "split the files above (one concern per file)" >&2; exit 1; }
echo "file sizes: every source file within $limit lines"
