#!/usr/bin/env bash
# Where the CLI's JVM finds libntk4j.so, in the documented order (NativeLibrary): an explicit
# -Dntk4j.library (a missing file is an error, never skipped), then java.library.path, then the
# copy inside the jar; and a library of another ABI version is refused by name.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }
cp="$root/java/cli/target/ntk4j-cli-0.1.0.jar:$root/java/cli/target/lib/*"
cli() { env -u NTK4J_LIBRARY "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$work" "$@"; }

out=$(cli -Djava.library.path="$root/build/native/native" -cp "$cp" io.ntk4j.cli.Main --version)
grep -q "from java.library.path" <<<"$out" || fail "java.library.path not used: $out"
echo "ok   java.library.path: $(grep 'java.library.path' <<<"$out" | xargs)"

out=$(cli -cp "$cp" io.ntk4j.cli.Main --version)
grep -q "the copy inside the ntk4j jar" <<<"$out" || fail "bundled copy not used: $out"
echo "ok   no setting: $(grep 'inside the ntk4j jar' <<<"$out" | xargs)"

set +e
err=$(cli -Dntk4j.library=/nonexistent/libntk4j.so -cp "$cp" io.ntk4j.cli.Main spectrum \
  --model "$root/tests/golden/rnn_elman" --inputs "$root/tests/golden/rnn_elman/inputs.npy" 2>&1 >/dev/null)
code=$?
set -e
[[ $code -ne 0 ]] || fail "a missing -Dntk4j.library file was ignored (exit 0)"
grep -q "Dntk4j.library=/nonexistent/libntk4j.so is not a file" <<<"$err" || fail "unclear message: $err"
grep -q "Exception\|at io\.ntk4j" <<<"$err" && fail "stack trace instead of a message: $err"
echo "ok   missing explicit path: exit $code, $(head -1 <<<"$err")"

# A library from another build: the same symbols, another ABI version.
cat > "$work/fake.c" <<'C'
#include <stdint.h>
int32_t ntk4j_abi_version(void) { return 99; }
const char* ntk4j_version(void) { return "0.0.0"; }
C
gcc -shared -fPIC -o "$work/libntk4j.so" "$work/fake.c"
set +e
err=$(cli -Dntk4j.library="$work/libntk4j.so" -cp "$cp" io.ntk4j.cli.Main spectrum \
  --model "$root/tests/golden/rnn_elman" --inputs "$root/tests/golden/rnn_elman/inputs.npy" 2>&1 >/dev/null)
code=$?
set -e
[[ $code -ne 0 ]] || fail "a library of ABI 99 was accepted"
abi=$(sed -nE 's/^#define NTK4J_ABI_VERSION ([0-9]+).*/\1/p' "$root/native/include/ntk4j.h")
grep -q "has ABI version 99 but this ntk4j jar needs ABI $abi" <<<"$err" || fail "unclear ABI message: $err"
echo "ok   other ABI: exit $code, $(head -1 <<<"$err")"
