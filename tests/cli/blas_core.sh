#!/usr/bin/env bash
# The BLAS kernels the CLI reports and runs on: a user-set OPENBLAS_CORETYPE is respected exactly
# (also when it is slower than the CPU's own kernels), and without one the core matches the CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for core in Sandybridge Prescott; do
  out=$(OPENBLAS_CORETYPE=$core "$root/ntk4j" --version)
  grep -q "kernels $core " <<<"$out" || fail "OPENBLAS_CORETYPE=$core not in use: $out"
  grep -q "set by the user: respected" <<<"$out" || fail "OPENBLAS_CORETYPE=$core not reported as the user's: $out"
  echo "ok   OPENBLAS_CORETYPE=$core respected"
done

out=$(env -u OPENBLAS_CORETYPE "$root/ntk4j" --version)
line=$(grep "^BLAS " <<<"$out") || fail "no BLAS line in --version: $out"
cpu=$(sed -nE 's/.*\(CPU: ([a-z0-9]+)\).*/\1/p' <<<"$line")
core=$(sed -nE 's/.*kernels ([A-Za-z0-9_]+) .*/\1/p' <<<"$line")
case "$cpu" in
  avx512) want="SkylakeX|Cooperlake|SapphireRapids" ;;
  avx2) want="Haswell|Zen|Excavator" ;;
  avx) want="Sandybridge|Bulldozer|Piledriver|Steamroller" ;;
  *) want="" ;;
esac
if [[ -n "$want" ]] && ! grep -qxE "$want" <<<"$core"; then
  fail "CPU supports $cpu but the kernels in use are $core: $out"
else
  echo "ok   no user setting: kernels $core on a CPU with $cpu"
fi

[[ $failures -eq 0 ]] || exit 1
