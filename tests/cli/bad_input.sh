#!/usr/bin/env bash
# Bad input through the real launcher: each case must exit with the documented code (2 for bad
# input, 1 for usage), print a message naming the problem, write no output file, and never
# crash the JVM (no hs_err file).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g="$root/tests/golden/rnn_elman"
export TMPDIR="$work/tmp"   # the launcher writes JVM crash logs (hs_err) under $TMPDIR
mkdir -p "$TMPDIR"
failures=0

expect() {  # expect CODE FRAGMENT -- ARGS...
  local code=$1 fragment=$2
  shift 3
  local out="$work/out.npy" rc=0
  rm -f "$out"
  "$root/ntk4j" "$@" > "$work/stdout" 2> "$work/stderr" || rc=$?
  if [[ $rc -ne $code ]] || ! grep -qF -- "$fragment" "$work/stderr" || [[ -e "$out" ]]; then
    echo "FAIL: ntk4j $* -> exit $rc (want $code), stderr: $(cat "$work/stderr")" >&2
    failures=$((failures + 1))
  else
    echo "ok   exit $rc: $(head -1 "$work/stderr")"
  fi
}

apply=(apply --out "$work/out.npy")
cp -r "$g" "$work/model"
head -c 100 "$g/q.npy" > "$work/truncated.npy"
python_free_f32() {  # a valid float32 .npy header followed by data
  printf '\x93NUMPY\x01\x00\x76\x00' > "$1"
  printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 6, 5), }" >> "$1"
  head -c 360 /dev/zero >> "$1"
}
python_free_f32 "$work/f32.npy"
mkdir -p "$work/nanmodel" && cp "$g"/{model.json,weight_ih.npy,bias_ih.npy,bias_hh.npy} "$work/nanmodel/"
"$root/ntk4j" randn --shape 5,5 --out "$work/nanmodel/weight_hh.npy" > /dev/null
printf '\x00\x00\x00\x00\x00\x00\xf8\x7f' | dd of="$work/nanmodel/weight_hh.npy" bs=1 seek=$((128 + 8 * 7)) conv=notrunc status=none

expect 2 "truncated" -- "${apply[@]}" --model "$g" --inputs "$g/inputs.npy" --probe "$work/truncated.npy" --op P
expect 2 "<f4" -- "${apply[@]}" --model "$g" --inputs "$g/inputs.npy" --probe "$work/f32.npy" --op P
expect 2 "weight_hh.npy: contains a non-finite value" -- "${apply[@]}" --model "$work/nanmodel" --inputs "$g/inputs.npy" --probe "$g/q.npy" --op K
expect 2 "probe has shape" -- "${apply[@]}" --model "$g" --inputs "$g/inputs.npy" --probe "$g/v.npy" --op NTK
expect 2 "q.npy: inputs [3, 6, 5] have N=5" -- "${apply[@]}" --model "$g" --inputs "$g/q.npy" --probe "$g/q.npy" --op NTK
expect 2 "model.json: missing" -- "${apply[@]}" --model "$work" --inputs "$g/inputs.npy" --probe "$g/q.npy" --op P
expect 2 "unknown operator" -- "${apply[@]}" --model "$g" --inputs "$g/inputs.npy" --probe "$g/q.npy" --op LSTM
expect 1 "Missing required option" -- apply --model "$g"

if compgen -G "$TMPDIR/*hs_err*" > /dev/null; then
  echo "FAIL: the JVM crashed: $(ls "$TMPDIR")" >&2
  failures=$((failures + 1))
fi
[[ $failures -eq 0 ]] || { echo "$failures bad-input case(s) failed" >&2; exit 1; }
echo "all bad-input cases refused cleanly"
