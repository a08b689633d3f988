#!/usr/bin/env bash
# The test metrics of every checkpoint a run kept: how the background and the
# translation evolve through training (the numbered checkpoints, then
# latest).
#
# Usage: scripts/checkpoints.sh OUT_DIR [OUT_DIR ...]
# Each checkpoint is evaluated with `horse2zebra eval` in a temporary folder
# holding the run's data_flags.json and that checkpoint as latest, so the
# run's own results are left as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/horse2zebra" ./examples/horse2zebra

echo "| run | checkpoint | psnr_background | translation_score | psnr | ssim |"
echo "|---|---|---|---|---|---|"
for run in "$@"; do
	for ckpt in "$run"/checkpoints/iter_*.safetensors "$run/checkpoints/latest.safetensors"; do
		[[ -f $ckpt ]] || continue
		ev="$tmp/eval"
		rm -rf "$ev"
		mkdir -p "$ev/checkpoints"
		cp "$run/data_flags.json" "$ev/"
		cp "$ckpt" "$ev/checkpoints/latest.safetensors"
		"$tmp/horse2zebra" eval -out "$ev" >/dev/null
		/usr/bin/python3 - "$run" "$(basename "$ckpt" .safetensors)" "$ev/metrics.json" <<'PY'
import json, sys
run, name, path = sys.argv[1:]
m = json.load(open(path))
print(f"| {run} | {name} | {m['psnr_background']:.2f} | {m['translation_score']:.3f} | {m['psnr']:.2f} | {m['ssim']:.3f} |")
PY
	done
done
