#!/usr/bin/env bash
# `train` interrupted (SIGTERM, SIGINT: shutdown hooks run; SIGKILL: none) and resumed with
# --resume ends bit for bit where an uninterrupted run ends (issue 13), and no staging folder or
# temporary file is left in the checkpoints (after a SIGKILL, the next run clears the hidden
# staging it left).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL $*" >&2; exit 1; }
g="$root/tests/golden/training/gru_output_adam"
steps=3000
args=(train --model "$g" --inputs "$g/inputs.npy" --targets "$g/targets.npy" --optimizer adam --lr 0.003
  --steps "$steps" --checkpoint-every 50)
"$root/ntk4j" "${args[@]}" --out whole > whole.log
for sig in TERM INT KILL; do
  out="run_$sig"
  # A background job of a script starts with SIGINT ignored; restore the default so that the JVM
  # takes SIGINT as a terminal's Ctrl-C would deliver it.
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$root/ntk4j" "${args[@]}" --out "$out" > "$sig.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do  # wait (up to 60 s) for a few checkpoints, then interrupt
    if [[ -d "$out/checkpoints" ]] && (( $(ls "$out/checkpoints" | wc -l) >= 3 )); then break; fi
    sleep 0.1
  done
  kill -"$sig" "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  [[ -f "$out/weight_hh.npy" ]] && fail "$sig: the interrupted run wrote its final model"
  if [[ $sig != KILL ]]; then  # the shutdown hook removed what was in flight
    leftovers=$(find "$out" -name '.*' | wc -l)
    (( leftovers == 0 )) || fail "$sig: $(find "$out" -name '.*') left behind"
  fi
  kept=$(ls "$out/checkpoints" | wc -l)
  "$root/ntk4j" "${args[@]}" --out "$out" --resume > "$sig.resume.log" 2>&1 || { cat "$sig.resume.log" >&2; fail "$sig: resume failed"; }
  grep -q "resuming from" "$sig.resume.log" || fail "$sig: no resume message"
  for f in weight_ih weight_hh bias_ih bias_hh readout_weight readout_bias; do
    cmp -s "whole/$f.npy" "$out/$f.npy" || fail "$sig: $f.npy differs from the uninterrupted run's"
  done
  leftovers=$(find "$out" -name '.*' | wc -l)
  (( leftovers == 0 )) || fail "$sig: $(find "$out" -name '.*') left after the resumed run"
  echo "ok   train interrupted by SIG$sig with $kept checkpoints, resumed: bit-identical to the uninterrupted run"
done
