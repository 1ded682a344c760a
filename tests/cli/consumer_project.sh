#!/usr/bin/env bash
# The library as a new user gets it (issue 12): a fresh Maven project (tests/consumer) that depends
# on io.ntk4j:ntk4j alone, built against the local repository `./ntk4j test` installed into,
# run with no flag but --enable-native-access and no NTK4J_LIBRARY: the native core must come out
# of the jar by itself, and an NTK_S apply and a spectrum must match the golden data. Also: the
# library's dependency tree has no CLI, plotting, progress or test libraries.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }
[[ -f "$HOME/.m2/repository/io/ntk4j/ntk4j/0.1.0/ntk4j-0.1.0.jar" ]] \
  || fail "io.ntk4j:ntk4j:0.1.0 is not in the local Maven repository (./ntk4j test runs mvn install first)"
cp -r "$root/tests/consumer" "$work/project"
(cd "$work/project" && env -u NTK4J_LIBRARY mvn -B -q package > "$work/mvn.log" 2>&1) \
  || { tail -30 "$work/mvn.log" >&2; fail "the consumer project does not build"; }
tree="$work/project/target/dependency-tree.txt"
if grep -Ei "picocli|progressbar|jline|xchart|pdfbox|junit|assertj|jmh" "$tree"; then
  fail "the library's dependency tree pulls CLI, plotting or test libraries (above)"
fi
echo "ok   dependency tree of io.ntk4j:ntk4j: $(grep -c ':jar:' "$tree") artifacts, none of CLI, plots, progress, tests"
cp_file="$work/project/target/classpath.txt"
# A fresh temporary folder: the jar's copy of libntk4j.so is extracted there, not found elsewhere.
mkdir "$work/tmp"
out=$(cd "$work" && env -u NTK4J_LIBRARY "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir="$work/tmp" -cp "project/target/classes:$(cat "$cp_file")" consumer.Consumer \
  "$root/tests/golden/rnn_elman") || fail "the consumer program failed: $out"
echo "$out"
extracted=$(find "$work/tmp" -name libntk4j.so)
[[ -n "$extracted" ]] || fail "no libntk4j.so extracted under java.io.tmpdir: the library came from elsewhere"
cmp -s "$extracted" "$root/build/native/jar-natives/libntk4j.so" || fail "the extracted library differs from the built one"
echo "ok   consumer project ran on the jar's own native library ($extracted)"
