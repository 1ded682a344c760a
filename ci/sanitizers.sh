#!/usr/bin/env bash
# The native core and its C++ tests under AddressSanitizer and UndefinedBehaviorSanitizer (run by
# .ci/run after the tests): a separate build in build/sanitize (RelWithDebInfo, -fsanitize=
# address,undefined, every UB finding fatal), then ctest. Zero findings is the bar; a suppression
# needs a comment here saying why. OpenBLAS and LAPACK are Debian's uninstrumented builds: their
# internals are not checked, but every buffer we hand them is ours and is.
#   ci/sanitizers.sh [JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${1:-$(nproc)}
build=build/sanitize
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNTK4J_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target ntk4j_native_tests ntk4j_abi_tests >"$build.build.log" 2>&1 \
  || { tail -40 "$build.build.log" >&2; exit 1; }
# detect_leaks: the tests free what they allocate; a leak is a finding too.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$jobs" >"$build.test.log" 2>&1 \
  || { grep -E "ERROR: (Address|Undefined|Leak)Sanitizer|runtime error|FAILED|Failed" "$build.test.log" | head -40 >&2
       echo "ci/sanitizers.sh: findings or failures (full log: $build.test.log)" >&2; exit 1; }
echo "sanitizers: $(grep -Eo '[0-9]+ tests passed|tests passed, 0 tests failed out of [0-9]+' "$build.test.log" | tail -1) under ASan + UBSan, no findings"
