#!/usr/bin/env bash
# Reports (--report DIR) as a user opens them: every file is there, and index.html shows every
# plot in a real headless browser (Debian's chromium): the page counts the images that decoded
# (document.body.dataset.imagesLoaded) and we read the rendered DOM. A deliberately broken copy
# must show fewer, so the check can fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || { echo "FAIL: chromium is not installed (./ntk4j test installs it)" >&2; exit 1; }

rendered() {  # rendered FILE -> "loaded total"
  "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --virtual-time-budget=10000 \
    --dump-dom "file://$1" 2> /dev/null | python3 -c '
import re, sys
m = re.search(r"<body[^>]*data-images-loaded=\"(\d+)\"[^>]*data-images=\"(\d+)\"", sys.stdin.read())
print(m.group(1), m.group(2)) if m else print("0 -1")'
}

check() {  # check DIR EXPECTED_IMAGES FILES...
  local dir=$1 want=$2
  shift 2
  for f in index.html "$@"; do
    [[ -s "$dir/$f" ]] || { echo "FAIL: $dir/$f missing or empty" >&2; exit 1; }
  done
  read -r loaded total < <(rendered "$work/$dir/index.html")
  if [[ "$loaded" != "$want" || "$total" != "$want" ]]; then
    echo "FAIL: $dir/index.html rendered $loaded of $total images (want $want)" >&2
    exit 1
  fi
  echo "ok   $dir/index.html: $loaded of $total plots rendered in headless chromium"
}

"$root/ntk4j" init-model --cell rnn_leaky --hidden 12 --input 3 --gain 1.2 --seed 5 --out m > /dev/null
"$root/ntk4j" spectrum --model m --task memory_pro --trials 4 --T 30 --op NTK --top 6 --report spec > /dev/null
check spec 2 summary.json eigenvalues.csv spectrum.png spectrum.svg cumulative_variance.png cumulative_variance.svg

echo '{"hidden": 6, "batch": 4, "steps": 12, "pulseSteps": 3, "lr": 1e-3, "trainSteps": 6, "recordEvery": 2,
  "ngRank": 2, "seeds": [1]}' > small.json
"$root/ntk4j" bifurcation --config small.json --report bif > /dev/null
check bif 4 summary.json config.json records_seed1.csv losses_seed1.csv critical_eigenvalues.png \
  critical_eigenvalues.svg effective_rank.svg mu.svg loss.svg

"$root/ntk4j" sweep --model m --task memory_pro --trials 4 --T 30 --param g --values 0:2:3 --op K --exact \
  --out sweep-points --report sweep > /dev/null
check sweep 2 sweep.json points.csv effective_rank.png effective_rank.svg partial_effective_dims.svg

# The check must be able to fail: break one inlined image.
python3 - spec/index.html broken.html <<'PY'
import sys
html = open(sys.argv[1]).read()
i = html.index("data:image/png;base64,") + len("data:image/png;base64,")
open(sys.argv[2], "w").write(html[:i] + "AAAA" + html[i + 400:])
PY
read -r loaded total < <(rendered "$work/broken.html")
if [[ "$loaded" != 1 || "$total" != 2 ]]; then
  echo "FAIL: a broken image was not noticed ($loaded of $total rendered)" >&2
  exit 1
fi
echo "ok   a broken image is noticed ($loaded of $total rendered)"
