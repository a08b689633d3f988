#!/usr/bin/env bash
# Runs semgan's benchmark cases (examples/bench) and the same cases in
# PyTorch (scripts/bench_torch.py) alternately, and prints both medians,
# their ratio and both peak RSS figures.
#
# Usage, from anywhere in the repository:
#
#     scripts/bench-compare.sh [CASES_REGEXP] [REPS]
#
#     scripts/bench-compare.sh                      # every case, 5 rounds
#     scripts/bench-compare.sh 'sgemm|conv' 9       # a selection, 9 rounds
#     WARMUP=0 scripts/bench-compare.sh '^train_iter_256_paper_up2$' 1
#     PRECISION=bf16 scripts/bench-compare.sh 'sgemm_2048|conv3x3' 5
#     ISA=avx2 scripts/bench-compare.sh 'sgemm|conv' 5  # AVX2 code on both sides
#
# CASES_REGEXP selects cases by name (default: all; the list comes from
# `examples/bench -list`, so it is Go regexp syntax; PyTorch gets each name
# anchored). REPS (default 5) is the number of rounds. examples/bench is
# built once; then, case by case, each round runs Go then PyTorch, each as a
# fresh process doing WARMUP untimed and one timed repetition (A B A B ...),
# so that load from others on a shared machine falls on both sides alike.
# A side that fails (out of memory, error) is not run again for that case.
# The training iterations at 256x256 take minutes per process on a 2-core
# machine (the warm-up doubles that); WARMUP=0 halves it, at the price of
# timing a first iteration.
#
# The PyTorch side runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
# which some machines set to force an older OpenBLAS kernel (bench_torch.py
# drops them before torch loads); the table ends with the host line it
# prints: the CPU, its vector extensions and the OpenBLAS core it ran.
#
# Columns: the median of each side's timed repetitions, ratio = torch
# seconds / go seconds (> 1 means Go is faster), and each side's largest
# per-case peak RSS (VmHWM after clear_refs; see the two programs).
#
# Environment:
#   PRECISION=fp32        bf16: examples/bench -precision bf16 against PyTorch
#                         under bf16 autocast (bench_torch.py --precision bf16)
#   ISA=all               avx2: both sides limited to their AVX2 and FMA code,
#                         semgan by SEMGAN_CPU_KERNELS=avx2 and PyTorch by
#                         bench_torch.py --isa avx2 (ATen, oneDNN, OpenBLAS): the
#                         AVX2 comparison, run on a host that has AVX-512
#   WARMUP=1              untimed repetitions per process before the timed one
#   PYTHON=/usr/bin/python3
#   GO_ARGS=              extra flags for examples/bench (e.g. -device cpu)
#   TORCH_ARGS=           extra flags for bench_torch.py (e.g. --no-flush-denormal)
#   MEM_LIMIT_GIB=        address-space limit (ulimit -v) for each run; default
#                         80% of MemAvailable at start, so that a case that does
#                         not fit fails alone instead of waking the OOM killer
#                         on a shared machine; 0 for none
#   OUT=                  directory for the per-run JSON files and compare.json
#                         (default: a new temporary directory, printed at the end)
set -euo pipefail

cases_re=${1:-.}
reps=${2:-5}
warmup=${WARMUP:-1}
python=${PYTHON:-/usr/bin/python3}
precision=${PRECISION:-fp32}
isa=${ISA:-all}
read -r -a go_args <<<"${GO_ARGS:-}"
read -r -a torch_args <<<"${TORCH_ARGS:-}"

case $precision in fp32 | bf16) ;; *)
	echo "bench-compare: PRECISION must be fp32 or bf16, not '$precision'" >&2
	exit 2
	;;
esac
case $isa in all | avx2) ;; *)
	echo "bench-compare: ISA must be all or avx2, not '$isa'" >&2
	exit 2
	;;
esac
case $reps in '' | *[!0-9]* | 0)
	echo "bench-compare: REPS must be a positive integer, not '$reps'" >&2
	exit 2
	;;
esac

# SEMGAN_CPU_KERNELS for the Go side: the caller's, unless ISA limits it.
go_kernels=${SEMGAN_CPU_KERNELS:-all}
if [ "$isa" = avx2 ]; then go_kernels=avx2; fi

root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")}
mkdir -p "$out"

if [ -z "${MEM_LIMIT_GIB:-}" ]; then
	avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
	limit_kb=$((avail_kb * 8 / 10))
else
	limit_kb=$(awk -v g="$MEM_LIMIT_GIB" 'BEGIN {printf "%d", g * 1048576}')
fi

bin=$out/bench
echo "building examples/bench ..." >&2
(cd "$root" && go build -o "$bin" ./examples/bench)

"$bin" -list -cases "$cases_re" >"$out/cases.tsv" || exit 2
mapfile -t names < <(cut -f1 "$out/cases.tsv")
if [ ${#names[@]} -eq 0 ]; then
	exit 2
fi

# run SIDE CASE ROUND: one process of one side, timed once; its JSON goes to
# $out/SIDE.CASE.ROUND.json and its output to the matching .log.
run() {
	local side=$1 name=$2 round=$3 json=$out/$1.$2.$3.json log=$out/$1.$2.$3.log
	local cmd
	if [ "$side" = go ]; then
		cmd=(env SEMGAN_CPU_KERNELS="$go_kernels" "$bin" -cases "^${name}\$" -reps 1 -warmup "$warmup" -precision "$precision" -json "$json" ${go_args[@]+"${go_args[@]}"})
	else
		cmd=("$python" "$root/scripts/bench_torch.py" -cases "^${name}\$" -reps 1 -warmup "$warmup" -precision "$precision" -isa "$isa" -json "$json" ${torch_args[@]+"${torch_args[@]}"})
	fi
	local rc=0
	(
		if [ "$limit_kb" -gt 0 ]; then ulimit -v "$limit_kb"; fi
		exec "${cmd[@]}"
	) >"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || ! grep -q '"seconds"' "$json" 2>/dev/null; then
		rm -f "$json"
		echo "bench-compare: $side $name round $round failed (exit $rc); last lines of $log:" >&2
		tail -n 3 "$log" | sed 's/^/    /' >&2
		return 1
	fi
	return 0
}

echo "cases: ${names[*]}; products in $precision; kernels: $isa on both sides; $reps rounds, warm-up $warmup; memory limit $((limit_kb / 1024)) MiB per run; files in $out" >&2
for name in "${names[@]}"; do
	go_ok=1 torch_ok=1
	for round in $(seq 1 "$reps"); do
		if [ $go_ok = 1 ]; then run go "$name" "$round" || go_ok=0; fi
		if [ $torch_ok = 1 ]; then run torch "$name" "$round" || torch_ok=0; fi
		if [ $go_ok = 0 ] && [ $torch_ok = 0 ]; then break; fi
	done
	echo "bench-compare: $name done" >&2
done

# Collect the medians and print the table; compare.json keeps them.
"$python" - "$out" <<'EOF'
import glob, json, os, statistics, sys

out = sys.argv[1]
flops = {}
with open(os.path.join(out, "cases.tsv")) as f:
    for line in f:
        name, fl = line.split()
        flops[name] = float(fl)
names = list(flops)

def side(name, s):
    runs = []
    for path in glob.glob(os.path.join(out, "%s.%s.*.json" % (s, name))):
        with open(path) as f:
            runs += [r for r in json.load(f) if r["name"] == name]
    if not runs:
        return None
    sec = statistics.median(r["seconds"] for r in runs)
    return {"seconds": sec, "runs": sorted(r["seconds"] for r in runs),
            "gflops": flops[name] / sec / 1e9 if flops[name] > 0 and sec > 0 else 0.0,
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs)}

rows = []
for n in names:
    g, t = side(n, "go"), side(n, "torch")
    ratio = t["seconds"] / g["seconds"] if g and t and g["seconds"] > 0 else None
    rows.append({"name": n, "go": g, "torch": t, "ratio": ratio})

def secs(x):
    return "%.4g" % x["seconds"] if x else "failed"

def gflops(x):
    return "%.1f" % x["gflops"] if x and x["gflops"] > 0 else "-"

def mib(x):
    return "%.0f" % (x["peak_rss_bytes"] / 2.0 ** 20) if x and x["peak_rss_bytes"] > 0 else "-"

w = max([4] + [len(n) for n in names])
print("%-*s  %10s  %10s  %7s  %9s  %10s  %8s  %9s  %5s" % (
    w, "case", "go s", "torch s", "ratio", "go GF/s", "torch GF/s", "go MiB", "torch MiB", "runs"))
for r in rows:
    g, t = r["go"], r["torch"]
    print("%-*s  %10s  %10s  %7s  %9s  %10s  %8s  %9s  %2d/%-2d" % (
        w, r["name"], secs(g), secs(t), "%.2f" % r["ratio"] if r["ratio"] else "-",
        gflops(g), gflops(t), mib(g), mib(t),
        len(g["runs"]) if g else 0, len(t["runs"]) if t else 0))
print("ratio = torch seconds / go seconds (> 1: Go faster); GF/s from the medians; MiB = largest peak RSS; runs = timed runs go/torch")
tmp = os.path.join(out, ".compare.json.tmp")
with open(tmp, "w") as f:
    json.dump(rows, f, indent=2)
    f.write("\n")
os.replace(tmp, os.path.join(out, "compare.json"))
EOF
grep -h -m1 '^host:' "$out"/torch.*.log 2>/dev/null | head -n 1 || true
echo "per-run files and compare.json: $out" >&2
