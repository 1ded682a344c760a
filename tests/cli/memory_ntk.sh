#!/usr/bin/env bash
# `./ntk4j apply --op NTK` on an rnn_leaky model with B=64, T=200, H=512, N=3 and k=1 must stay
# within 2 GB of resident memory (issue 2): the core never stores per-step H x H Jacobians.
# Peak RSS is measured from outside by GNU time (%M, in KiB), for the whole JVM process.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
limit_kib=$((2 * 1024 * 1024))
"$root/ntk4j" init-model --cell rnn_leaky --hidden 512 --input 3 --dt 0.1 --gain 1.5 --seed 1 --out "$work/model" > /dev/null
"$root/ntk4j" randn --shape 64,200,3 --seed 2 --out "$work/x.npy" > /dev/null
"$root/ntk4j" randn --shape 64,200,512 --seed 3 --out "$work/q.npy" > /dev/null
/usr/bin/time -f "%M %e" -o "$work/time.txt" \
  "$root/ntk4j" apply --model "$work/model" --inputs "$work/x.npy" --probe "$work/q.npy" --op NTK --out "$work/y.npy" > /dev/null
read -r rss_kib seconds < "$work/time.txt"
[[ -s "$work/y.npy" ]] || { echo "no output written" >&2; exit 1; }
echo "NTK apply, rnn_leaky B=64 T=200 H=512 N=3 k=1: peak RSS $((rss_kib / 1024)) MiB in ${seconds}s (limit 2048 MiB)"
if (( rss_kib > limit_kib )); then
  echo "FAIL: peak resident memory ${rss_kib} KiB exceeds ${limit_kib} KiB" >&2
  exit 1
fi
