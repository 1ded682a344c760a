#!/usr/bin/env bash
# `apply` and `spectrum --report` interrupted by SIGTERM or SIGINT at points spread over their run
# (issue 13): the output is either absent or complete, and no temporary file or staging folder
# is left behind (the shutdown hook deletes what was in flight). SIGKILL runs no hook: what it
# leaves is hidden, and the next run writing there removes it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL $*" >&2; exit 1; }
"$root/ntk4j" init-model --cell rnn_leaky --hidden 256 --input 3 --dt 0.1 --gain 1.2 --seed 1 --out m > /dev/null
"$root/ntk4j" randn --shape 32,200,3 --seed 2 --out x.npy > /dev/null
"$root/ntk4j" randn --shape 32,200,256 --seed 3 --out q.npy > /dev/null
# Run "$@" with SIGINT at its default (a background job of a script starts with it ignored),
# send signal $1 after $2 seconds, and wait.
interrupt() {
  local sig=$1 delay=$2
  shift 2
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    "$@" > run.log 2>&1 &
  local pid=$!
  sleep "$delay"
  kill -"$sig" "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
}
n=0
for delay in 0.6 1.2 1.8 2.4 3.0 3.6; do
  for sig in TERM INT; do
    rm -rf y.npy report
    interrupt "$sig" "$delay" "$root/ntk4j" apply --model m --inputs x.npy --probe q.npy --op NTK --out y.npy
    if [[ -e y.npy ]]; then  # finished before the signal: complete
      python3 -c "import sys, struct; d=open('y.npy','rb').read(); assert len(d) > 32*200*256*8, len(d)" \
        || fail "SIG$sig after ${delay}s: y.npy is partial"
    fi
    interrupt "$sig" "$delay" "$root/ntk4j" spectrum --model m --inputs x.npy --top 3 --eigenvalues-only --report report
    if [[ -e report ]]; then
      [[ -f report/index.html ]] || fail "SIG$sig after ${delay}s: report/ exists without index.html"
    fi
    left=$(find . -name '.*' ! -name . | wc -l)
    (( left == 0 )) || fail "SIG$sig after ${delay}s left $(find . -name '.*' ! -name .)"
    n=$((n + 2))
  done
done
echo "ok   $n interrupted apply and report runs: outputs absent or complete, nothing left behind"
# SIGKILL while a temporary is on disk: polled for, so the kill lands inside the write window.
# Start "$@", kill -9 it once a file matching $1 appears; returns 0 if it was killed so.
kill_when_seen() {
  local pattern=$1
  shift
  "$@" > run.log 2>&1 &
  local pid=$! hit=1
  for _ in $(seq 1 6000); do
    if compgen -G "$pattern" > /dev/null; then kill -KILL "$pid" 2> /dev/null && hit=0; break; fi
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.005
  done
  wait "$pid" 2> /dev/null || true
  return $hit
}
rm -rf y.npy report
kill_when_seen '.big.npy.ntk4j-*.tmp' "$root/ntk4j" randn --shape 16000,10000 --seed 4 --out big.npy \
  || fail "randn finished before its temporary was seen: no SIGKILL test"
[[ -e big.npy ]] && fail "SIGKILL during the write left big.npy"
before=$(find . -name '.big.npy.*' | wc -l)
(( before == 1 )) || fail "expected the killed write's temporary, found $before"
if kill_when_seen '.report.ntk4j-*' "$root/ntk4j" spectrum --model m --inputs x.npy --top 3 --eigenvalues-only --report report; then
  [[ -e report ]] && fail "SIGKILL while staging left report/"
  stale=report
fi
# The next runs writing there (apply writes y.npy, spectrum the report) remove what the dead left.
"$root/ntk4j" apply --model m --inputs x.npy --probe q.npy --op NTK --out y.npy > /dev/null
"$root/ntk4j" spectrum --model m --inputs x.npy --top 3 --eigenvalues-only --report report > /dev/null
left=$(find . -name '.*' ! -name . | wc -l)
(( left == 0 )) || fail "after SIGKILL, the next runs left $(find . -name '.*' ! -name .)"
echo "ok   SIGKILL during a write (randn${stale:+, spectrum --report}): the next runs removed the temporaries it left"
