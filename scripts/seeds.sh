#!/usr/bin/env bash
# The quick demo trained with several seeds (weights, data order and the
# built-in scenes all follow the seed), then a Markdown table of the test
# metrics per seed. GAN training amplifies rounding and luck, so one seed
# says little: this is how the README's demo figures are measured.
#
# Usage: scripts/seeds.sh [OUT_DIR] [SEEDS] [extra demo flags...]
#   OUT_DIR defaults to out/seeds, SEEDS to "1 2 3"; extra flags go to every
#   run, e.g. scripts/seeds.sh out/seeds-idt "1 2 3" -lambda-idt 1
# Each run is `horse2zebra demo -seed S` (about 6 minutes on 2 cores). A
# seed whose folder already holds metrics.json is kept, so an interrupted
# run resumes and more seeds can be added later.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/seeds}
seeds=${2:-1 2 3}
shift 2 || shift $# || true

go build -o "$out/horse2zebra" ./examples/horse2zebra
for s in $seeds; do
	if [[ -f "$out/seed$s/metrics.json" ]]; then
		echo "== seed $s: kept from an earlier run ($out/seed$s)"
		continue
	fi
	echo "== seed $s: $*"
	# shellcheck disable=SC2086
	"$out/horse2zebra" demo -seed "$s" "$@" -out "$out/seed$s" </dev/null
done

/usr/bin/python3 - "$out" $seeds <<'PY'
import json, os, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
keys = ["psnr", "ssim", "psnr_background", "translation_score", "psnr_gt", "ssim_gt"]
print("| seed | iterations | " + " | ".join(keys) + " |")
print("|---|---|" + "---|" * len(keys))
ms = []
for s in seeds:
    m = json.load(open(os.path.join(out, f"seed{s}", "metrics.json")))
    ms.append(m)
    print(f"| {s} | {m['iteration']} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |")
print("| median | | " + " | ".join(f"{statistics.median(m[k] for m in ms):.3f}" for k in keys) + " |")
PY
