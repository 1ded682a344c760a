#!/usr/bin/env bash
# The main job as a user runs it: `./ntk4j demo --json` with its defaults (3 seeds) must finish,
# print the summary JSON as its last line with the documented fields, and leave the report files.
# Its time is printed, not asserted (the 3-minute budget is checked by reading, not by a timed test).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
"$root/ntk4j" demo --json --out "$work/demo" > "$work/stdout"
seconds=$(( $(date +%s) - start ))
tail -1 "$work/stdout" > "$work/summary.json"
python3 - "$work/summary.json" "$work/demo" "$seconds" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
out, seconds = sys.argv[2], int(sys.argv[3])
need = ["crossing_step", "effective_rank", "collapse_ratio", "channel_share_at_crossing", "normal_form_cosine",
        "sgd", "lowrank_ng", "seeds"]
missing = [k for k in need if k not in s]
assert not missing, f"summary lacks {missing}"
for m in ("sgd", "lowrank_ng"):
    for k in ("final_loss", "max_loss_spike", "steps_to_teacher_loss", "seconds_per_step"):
        assert k in s[m], f"{m} lacks {k}"
assert len(s["seeds"]) == 3, "the demo runs 3 seeds"
assert s["crossing_step"] is not None, "no crossing detected on the headline seed"
for k in ("before", "at", "after"):
    assert s["effective_rank"][k] > 0
for f in ("summary.json", "config.json", "effective_rank.png", "mu.png", "loss.png",
          "records_seed1.csv", "losses_seed3.csv"):
    assert os.path.getsize(os.path.join(out, f)) > 0, f
print(f"ok   demo in {seconds} s: crossing at step {s['crossing_step']}, collapse ratio {s['collapse_ratio']:.3f}, "
      f"channel share {s['channel_share_at_crossing']}, SGD spike {s['sgd']['max_loss_spike']:.3g} vs "
      f"low-rank NG {s['lowrank_ng']['max_loss_spike']:.3g}")
PY
