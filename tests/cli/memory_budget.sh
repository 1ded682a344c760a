#!/usr/bin/env bash
# The memory budget (issue 13): requests that do not fit are refused before allocating, with a
# message naming what needs how much, exit 2, and the process's peak resident memory (GNU time,
# %M) stays under the budget. Cases: a trajectory too large for --max-memory, an .npz zip bomb
# (entries declaring 2 GB each), a model.json claiming hidden_size 10^9, and --exact on an
# operator of dimension 409,600.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL $*" >&2; exit 1; }
# expect_refusal BUDGET_MIB FRAGMENT ARGS...: exit 2, FRAGMENT in the message, peak RSS < budget.
expect_refusal() {
  local budget_mib=$1 fragment=$2 rc=0
  shift 2
  /usr/bin/time -f "%M" -o "$work/rss.txt" "$root/ntk4j" "$@" --max-memory "${budget_mib}M" \
    > "$work/out.txt" 2> "$work/err.txt" || rc=$?
  local rss_kib
  rss_kib=$(tail -1 "$work/rss.txt")
  [[ $rc -eq 2 ]] || { cat "$work/err.txt" >&2; fail "$1: exit $rc, expected 2"; }
  grep -q -- "$fragment" "$work/err.txt" || { cat "$work/err.txt" >&2; fail "$1: no \"$fragment\" in the message"; }
  (( rss_kib < budget_mib * 1024 )) || fail "$1: peak RSS $((rss_kib / 1024)) MiB over the budget of $budget_mib MiB"
  echo "ok   $1 refused under --max-memory ${budget_mib}M (peak RSS $((rss_kib / 1024)) MiB): $(head -1 "$work/err.txt")"
}

# A trajectory of B*T = 100,000 rows at H = 512 needs about 2 GB.
"$root/ntk4j" init-model --cell rnn_leaky --hidden 512 --input 3 --dt 0.1 --gain 1.5 --seed 1 --out "$work/model" > /dev/null
"$root/ntk4j" randn --shape 1000,100,3 --seed 2 --out "$work/x.npy" > /dev/null
expect_refusal 768 "the trajectory needs" spectrum --model "$work/model" --inputs "$work/x.npy" --top 2

# An .npz whose entries declare 2 GB each in the central directory (a zip bomb reads the same).
python3 - "$work/bomb.npz" <<'PY'
import struct, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for name in ("weight_ih.npy", "weight_hh.npy", "bias_ih.npy", "bias_hh.npy"):
        z.writestr(name, b"\0" * 4096)
data = bytearray(open(path, "rb").read())
i = data.find(b"PK\x01\x02")
while i >= 0:
    struct.pack_into("<I", data, i + 24, 2_000_000_000)  # uncompressed size
    i = data.find(b"PK\x01\x02", i + 4)
open(path, "wb").write(bytes(data))
PY
expect_refusal 768 "refused before inflating" spectrum --model "$work/bomb.npz" --inputs "$work/x.npy" --top 2

# A model.json claiming hidden_size 10^9 (its weight files are small): refused by shape, not allocated.
cp -r "$work/model" "$work/huge"
sed -i 's/"hidden_size" *: *512/"hidden_size": 1000000000/' "$work/huge/model.json"
grep -q '1000000000' "$work/huge/model.json" || fail "could not write the huge model.json"
expect_refusal 768 "hidden_size" spectrum --model "$work/huge" --inputs "$work/x.npy" --top 2

# --exact on NTK_S of dimension 10*100*512 = 512,000 (a dense matrix of 2 TB): refused by its size.
"$root/ntk4j" randn --shape 10,100,3 --seed 3 --out "$work/x_small.npy" > /dev/null
expect_refusal 768 "exact" spectrum --model "$work/model" --inputs "$work/x_small.npy" --top 2 --exact
echo "memory budget: every oversized request refused before allocating"
