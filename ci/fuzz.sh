#!/usr/bin/env bash
# Coverage-guided fuzzing of the C ABI's validation with libFuzzer (run by .ci/run): the core and
# the ABI built with clang and -fsanitize=fuzzer-no-link,address,undefined (build/fuzz), then
# native/fuzz/fuzz_abi.cpp run for SECONDS (default 60) from the committed seed corpus
# (tests/fuzz/abi; new inputs go to a scratch copy). Any crash, sanitizer report, leak or hang
# (timeout 10 s per input) fails; the input that triggered it is left in build/fuzz/ to become a
# regression test. Then the Java readers (.npy, .npz, safetensors, model.json): ReaderFuzzCampaign
# for SECONDS each, through the launcher's JDK and Maven, against the library ./ntk4j test built
# (a shorter seeded version, ReaderFuzzTest, runs under ./ntk4j test).
#   ci/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
command -v clang++ >/dev/null || { echo "ci/fuzz.sh: clang++ is not installed (apt-get install clang)" >&2; exit 1; }
# clang finds its sanitizer runtimes only when they are installed (Debian: libclang-rt-dev, which
# the clang package does not pull in); say so rather than fail in CMake's compiler check.
rt=$(clang++ -print-file-name="libclang_rt.asan-$(uname -m).a")
[[ -f "$rt" ]] || { echo "ci/fuzz.sh: clang's sanitizer runtimes are not installed (apt-get install libclang-rt-dev)" >&2; exit 1; }
build=build/fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DNTK4J_BUILD_TESTS=OFF -DNTK4J_BUILD_BENCH=OFF -DNTK4J_BUILD_FUZZERS=ON -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target ntk4j_fuzz_abi >"$build.build.log" 2>&1 \
  || { tail -40 "$build.build.log" >&2; exit 1; }
corpus="$build/corpus-abi"
rm -rf "$corpus" && mkdir -p "$corpus" && cp tests/fuzz/abi/* "$corpus/"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
exe="$root/$build/native/fuzz/ntk4j_fuzz_abi"
(cd "$build" && OPENBLAS_NUM_THREADS=1 "$exe" -max_total_time="$seconds" -timeout=10 -max_len=4096 \
  -print_final_stats=1 "$root/$corpus" >"$root/$build.run.log" 2>&1) \
  || { grep -E "ERROR|SUMMARY|runtime error|timeout|Test unit written" "$build.run.log" | head -20 >&2
       echo "ci/fuzz.sh: the fuzzer found a failing input (log: $build.run.log)" >&2; exit 1; }
runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$build.run.log" | grep -Eo '[0-9]+$' || echo "?")
cov=$(grep -Eo 'cov: [0-9]+' "$build.run.log" | tail -1 || true)
echo "fuzz: ntk4j_fuzz_abi ran ${seconds}s, $runs inputs, ${cov:-cov: ?} edges, no findings"

# The Java readers, with the JDK and Maven the launcher finds (sourced: it defines, runs nothing).
source "$root/ntk4j"
JAVA_HOME=$(find_jdk)
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
ensure_jdk_trust_store
ensure_maven
[[ -f "$LIB" && -d java/api/target/test-classes ]] || { echo "ci/fuzz.sh: run ./ntk4j test first (it builds what the campaign runs)" >&2; exit 1; }
log="$root/build/fuzz-java.log"
mvn -B -pl java/api surefire:test -Dtest=ReaderFuzzCampaign -Dsurefire.failIfNoSpecifiedTests=false \
  -Dntk4j.fuzz.seconds="$seconds" -Dntk4j.library="$LIB" -Dntk4j.fuzz.findings="$root/build/fuzz-java-findings" \
  >"$log" 2>&1 || { grep -E "AssertionError|FAIL|ERROR" "$log" | head -20 >&2
                    echo "ci/fuzz.sh: the Java reader campaign failed (log: $log)" >&2; exit 1; }
summary=$(grep -E '^fuzz: ' "$log" || true)
[[ $(grep -c '^fuzz: ' <<<"$summary") -eq 4 ]] || { tail -30 "$log" >&2; echo "ci/fuzz.sh: expected 4 reader campaigns in $log" >&2; exit 1; }
echo "$summary"
