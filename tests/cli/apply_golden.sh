#!/usr/bin/env bash
# Every stored product of every golden case, reproduced through `./ntk4j apply` (the launcher, a
# real JVM process, the bindings, the native core) to a relative error <= 1e-10.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
checked=0
for case in "$root"/tests/golden/*/ "$root"/tests/golden/cells/*/ "$root"/tests/golden/blocks/*/; do
  [[ -f "$case/model.json" && -f "$case/q.npy" ]] || continue
  name=$(basename "$case")
  # op, probe, expected
  while read -r op probe expected; do
    "$root/ntk4j" apply --model "$case" --inputs "$case/inputs.npy" --probe "$case/$probe" \
      --op "$op" --out "$out/$name-$op.npy" > /dev/null
    if ! "$root/ntk4j" compare --rtol 1e-10 "$out/$name-$op.npy" "$case/$expected" > "$out/cmp.txt"; then
      echo "FAIL $name $op: $(cat "$out/cmp.txt")" >&2
      exit 1
    fi
    echo "ok   $name $op: $(cat "$out/cmp.txt")"
    checked=$((checked + 1))
  done <<'OPS'
P q.npy P_q.npy
Pt q.npy Pt_q.npy
Pinv q.npy Pinv_q.npy
Pinvt q.npy Pinvt_q.npy
K q.npy K_q.npy
NTK q.npy NTK_q.npy
NTK q.npy JJt_q.npy
Jtheta v.npy Jtheta_v.npy
JthetaT q.npy Jtheta_t_q.npy
OPS
done
[[ $checked -ge 81 ]] || { echo "only $checked golden products checked (expected 81: 9 cases x 9)" >&2; exit 1; }
echo "$checked golden products reproduced through ./ntk4j apply"
