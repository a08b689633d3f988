#!/usr/bin/env bash
# The ablation of the paper's Tab. 2 on the built-in synthetic horse2zebra:
# the quick demo trained four times, with neither, one or both of the paper's
# additions (self-attention at the end of the generator, the semantic loss),
# everything else equal, then a Markdown table of the test metrics.
#
# Usage: scripts/ablation.sh [OUT_DIR] [extra demo flags...]
#   OUT_DIR defaults to out/ablation; extra flags go to every run, e.g.
#   scripts/ablation.sh out/ablation -attn up2
# Each run is `horse2zebra demo`: the quick demo's model, schedule and time
# limit (quickDemo in examples/horse2zebra/options.go), with the variant's
# flags and then the extra ones on top. A variant whose folder already holds
# metrics.json is kept, so an interrupted ablation resumes where it stopped
# (and the quick demo's own run can stand in for "both").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/ablation}
shift || true

go build -o "$out/horse2zebra" ./examples/horse2zebra

declare -A variants=(
	[plain]="-attn none -lambda-sem 0"
	[sem]="-attn none -lambda-sem 1"
	[attn]="-lambda-sem 0"
	[both]=""
)
for name in plain sem attn both; do
	if [[ -f "$out/$name/metrics.json" ]]; then
		echo "== $name: kept from an earlier run ($out/$name)"
		continue
	fi
	echo "== $name: ${variants[$name]} $*"
	# shellcheck disable=SC2086
	"$out/horse2zebra" demo ${variants[$name]} "$@" -out "$out/$name" </dev/null
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = [("plain", "CycleGAN (LSGAN + PatchGAN, TTUR)"), ("sem", "+ semantic loss"),
        ("attn", "+ self-attention"), ("both", "+ both (the quick demo)")]
keys = ["psnr", "ssim", "psnr_background", "translation_score", "psnr_gt", "ssim_gt"]
print("| model | iterations | " + " | ".join(keys) + " |")
print("|---|---|" + "---|" * len(keys))
for name, label in rows:
    m = json.load(open(os.path.join(out, name, "metrics.json")))
    it = m["iteration"]
    print(f"| {label} | {it} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |")
PY
