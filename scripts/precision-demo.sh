#!/usr/bin/env bash
# The quick demo trained in each precision of the products (fp32, tf32,
# bf16) on the CPU backend, same seed and same number of iterations, then a
# Markdown table of the test metrics with the differences from fp32: the
# table of docs/precision.md.
#
# Usage: scripts/precision-demo.sh [OUT_DIR] [ITERS] [DECAY] [extra demo flags...]
#   OUT_DIR defaults to out/precision; ITERS and DECAY to the demo's 1000
#   and 400. -minutes 0 switches the demo's time limit off, so that every
#   run does the same iterations however loaded the machine is. Runs go one
#   after another. A precision whose folder already holds metrics.json is
#   kept, so an interrupted script resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/precision}
iters=${2:-1000}
decay=${3:-400}
shift 3 || shift $# || true

go build -o "$out/horse2zebra" ./examples/horse2zebra
for p in fp32 tf32 bf16; do
	if [[ -f "$out/$p/metrics.json" ]]; then
		echo "== $p: kept from an earlier run ($out/$p)"
		continue
	fi
	echo "== $p: -iters $iters -decay $decay $*"
	start=$(date +%s)
	# shellcheck disable=SC2086
	"$out/horse2zebra" demo -precision "$p" -iters "$iters" -decay "$decay" -minutes 0 "$@" \
		-out "$out/$p" </dev/null >"$out/$p.log" 2>&1
	echo "$(( $(date +%s) - start ))" >"$out/$p.seconds"
done

/usr/bin/python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
keys = ["translation_score", "psnr_background", "psnr", "ssim"]
ms = {p: json.load(open(os.path.join(out, p, "metrics.json"))) for p in ["fp32", "tf32", "bf16"]}
print("| precision | iterations | minutes | " + " | ".join(keys) + " | psnr_background - fp32 |")
print("|---|---|---|" + "---|" * len(keys) + "---|")
for p, m in ms.items():
    secs = int(open(os.path.join(out, p + ".seconds")).read())
    d = m["psnr_background"] - ms["fp32"]["psnr_background"]
    print(f"| {p} | {m['iteration']} | {secs / 60:.1f} | " + " | ".join(f"{m[k]:.3f}" for k in keys) + f" | {d:+.2f} dB |")
PY
