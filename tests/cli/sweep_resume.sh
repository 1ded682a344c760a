#!/usr/bin/env bash
# A sweep killed halfway (SIGKILL, no chance to clean up) resumes from its finished points when
# run again with the same arguments, and ends with every point exactly once.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$root/ntk4j" init-model --cell rnn_leaky --hidden 32 --input 3 --gain 1.0 --seed 3 --out m > /dev/null
"$root/ntk4j" randn --shape 6,40,3 --seed 4 --out x.npy > /dev/null
n=10
args=(sweep --model m --inputs x.npy --param g --values "0:3:$n" --op K --probes 32 --workers 1 --out out)
"$root/ntk4j" "${args[@]}" > first.log 2>&1 &
pid=$!
for _ in $(seq 1 600); do   # wait (up to 60 s) for a few finished points, then kill
  if [[ -f out/points.jsonl ]] && (( $(wc -l < out/points.jsonl) >= 2 )); then break; fi
  sleep 0.1
done
kill -9 "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
before=$(wc -l < out/points.jsonl)
if (( before < 2 || before >= n )); then
  echo "FAIL: expected the kill to land halfway, found $before of $n points" >&2
  exit 1
fi
"$root/ntk4j" "${args[@]}" > second.log
grep -q "resuming: $before of $n points already done" second.log || { echo "FAIL: no resume message" >&2; cat second.log >&2; exit 1; }
python3 - out/points.jsonl out/points.csv "$n" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[3])
idx = sorted(p["index"] for p in lines)
assert idx == list(range(n)), f"points after resume: {idx}"
rows = open(sys.argv[2]).read().strip().splitlines()
assert len(rows) == n + 1, f"points.csv has {len(rows)} lines"
PY
echo "ok   sweep killed after $before of $n points resumed and finished all $n"
