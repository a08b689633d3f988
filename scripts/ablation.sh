#!/usr/bin/env bash
# The ablation of the paper's Tab. 2 on the built-in synthetic horse2zebra:
# the quick demo trained four times, with neither, one or both of the paper's
# additions (self-attention at the end of the generator, the semantic loss),
# everything else equal, then a Markdown table of the test metrics.
#
# Usage: scripts/ablation.sh [OUT_DIR] [extra train flags...]
#   OUT_DIR defaults to out/ablation; extra flags go to every run, e.g.
#   scripts/ablation.sh out/ablation -iters 600 -decay 200
# Each run is the quick demo's model and schedule (see quickDemo in
# examples/horse2zebra/options.go) unless the extra flags say otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/ablation}
shift || true

go build -o "$out/horse2zebra" ./examples/horse2zebra

declare -A variants=(
	[plain]="-attn none -lambda-sem 0"
	[sem]="-attn none -lambda-sem 1"
	[attn]="-attn up2 -lambda-sem 0"
	[both]="-attn up2 -lambda-sem 1"
)
for name in plain sem attn both; do
	echo "== $name: ${variants[$name]} $*"
	# shellcheck disable=SC2086
	"$out/horse2zebra" train -ngf 16 -ndf 32 -blocks 4 -iters 1500 -decay 500 -minutes 9 \
		${variants[$name]} "$@" -out "$out/$name" </dev/null
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
rows = [("plain", "CycleGAN (LSGAN + PatchGAN)"), ("sem", "+ semantic loss"),
        ("attn", "+ self-attention"), ("both", "+ both (the paper)")]
keys = ["psnr", "ssim", "psnr_background", "translation_score", "psnr_gt", "ssim_gt"]
print("| model | iterations | " + " | ".join(keys) + " |")
print("|---|---|" + "---|" * len(keys))
for name, label in rows:
    m = json.load(open(os.path.join(out, name, "results", "metrics.json")))
    it = m["iteration"]
    print(f"| {label} | {it} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + " |")
PY
