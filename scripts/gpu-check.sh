#!/usr/bin/env bash
# Builds here, without a GPU, everything a GPU machine needs to check the
# CUDA backend, into one folder, and prints the one command to run there.
#
# Usage, from anywhere in the repository:
#
#     scripts/gpu-check.sh [FOLDER]        # default: /tmp/semgan-gpu-check
#
# The folder holds:
#   kernels-cuda.test   go test -c -tags cuda ./kernels/cuda: every kernel
#                       against the CPU backend, the live-bytes training test,
#                       and the benchmarks (generator inference at 256x256, a
#                       paper training iteration at 256x256 batch 8, SGEMM,
#                       convolution and attention in GFLOP/s)
#   horse2zebra         the CLI built with -tags cuda: run.sh trains the
#                       quick demo with -device cuda in each precision
#                       (examples/bench is only built, to check that it
#                       builds with the cuda backend)
#   torch_gpu.py        the same cases in PyTorch on the GPU, in the same
#                       three precisions (scripts/torch_gpu.py; its
#                       networks are scripts/bench_torch.py's, copied along
#                       with testdata/golden.py)
#   cpu-*.test          the CPU backend's tests (kernels/cpu, tensor, autograd,
#                       nn, gan, gan/metrics), for the host CPU's AVX-512
#   run.sh [STAGE...]   the command to run there (all stages, or the
#                       numbered ones given: 0 CPU tests, 1 kernel tests,
#                       2/2b Go timings and profile, 3 PyTorch, 4 table,
#                       5 quick demo on the GPU): the CPU tests (in their
#                       package folders when this folder sits in the
#                       repository, as .gpucheck does), the kernel tests,
#                       the Go timings, PyTorch's if it has CUDA, then the
#                       ratios. Everything it prints is also in run.log.
#                       Each step has its own time limit (120 s per CPU
#                       package, then 150 s, 120 + 240 s, 60 s, 150 s,
#                       3 x 100 s); run.sh 1 2 3 4 runs the GPU stages
#                       only, in about ten minutes at most.
#
# The binaries link libcuda.so.1 dynamically (the GPU machine's driver) and
# glibc of this machine (Debian bookworm); the GPU machine needs a glibc at
# least as new.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/semgan-gpu-check}
cd "$root"

bash scripts/install-cuda.sh
rm -rf "$out"
mkdir -p "$out/torch/scripts" "$out/torch/testdata"

echo "gpu-check: building kernels-cuda.test"
go test -c -tags cuda -o "$out/kernels-cuda.test" ./kernels/cuda

# The CPU backend's tests, pure Go, to run on the GPU machine's host CPU:
# where it has AVX-512 (this machine has not), they are the only test of
# the AVX-512 micro-kernel, alone and inside every model test.
cpu_pkgs="kernels/cpu tensor autograd nn gan gan/metrics"
for pkg in $cpu_pkgs; do
	echo "gpu-check: building cpu-${pkg//\//-}.test"
	go test -c -ldflags=-s -o "$out/cpu-${pkg//\//-}.test" "./$pkg"
done
echo "$cpu_pkgs" >"$out/cpu-packages"

notes=()
for prog in bench horse2zebra; do
	if [ ! -d "examples/$prog" ]; then
		continue
	fi
	# horse2zebra is kept: run.sh trains the quick demo on the GPU with it.
	bin=/dev/null
	[ "$prog" != horse2zebra ] || bin=$out/horse2zebra
	if go build -tags cuda -o "$bin" "./examples/$prog" 2>"$out/$prog.build.log"; then
		if go list -tags cuda -deps "./examples/$prog" | grep -qx 'github.com/semgan/semgan/kernels/cuda'; then
			notes+=("examples/$prog: built with the cuda backend (-device cuda)")
		else
			notes+=("examples/$prog: built, but it does not import kernels/cuda, so -device cuda is not available in it")
		fi
		rm -f "$out/$prog.build.log"
	else
		notes+=("examples/$prog: does not build with -tags cuda (see $prog.build.log)")
	fi
done

cp scripts/bench_torch.py "$out/torch/scripts/"
cp testdata/golden.py "$out/torch/testdata/"

cp scripts/torch_gpu.py "$out/"

cat >"$out/run.sh" <<'EOF'
#!/usr/bin/env bash
# Runs the CUDA backend's checks on this GPU machine; see
# scripts/gpu-check.sh in the semgan repository. Output also goes to run.log.
set -uo pipefail
cd "$(dirname "$0")"
exec > >(tee run.log) 2>&1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
status=0
# The stages to run: all by default, or those named as arguments
# (run.sh 1 2 3 4: the GPU stages only).
stages=" ${*:-0 1 2 2b 3 4 5} "
want() { [[ $stages == *" $1 "* ]]; }

if want 0; then
echo "== 0. the CPU backend's tests on this host's CPU (run where this folder sits in the repository, for testdata)"
grep -m1 'model name' /proc/cpuinfo || true
echo "AVX-512F: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
repo=$(cd .. && pwd)
for pkg in $(cat cpu-packages); do
	bin=$PWD/cpu-${pkg//\//-}.test
	if [ -d "$repo/$pkg" ]; then
		(cd "$repo/$pkg" && timeout 120 "$bin" -test.timeout 110s) >"cpu-${pkg//\//-}.log" 2>&1
	else
		timeout 120 "$bin" -test.timeout 110s >"cpu-${pkg//\//-}.log" 2>&1
	fi
	rc=$?
	[ $rc -eq 0 ] || status=1
	echo "$pkg: exit $rc, $(tail -n 1 "cpu-${pkg//\//-}.log")"
	[ $rc -eq 0 ] || grep -E -- '--- FAIL|panic|Error' "cpu-${pkg//\//-}.log" | head -20
done
timeout 60 ./cpu-kernels-cpu.test -test.run '^TestMicroKernel$' -test.v 2>&1 | grep -E -- '--- (PASS|FAIL)' || true
timeout 60 ./cpu-kernels-cpu.test -test.run '^$' -test.bench '^BenchmarkMicroKernel$' -test.benchtime 0.5s 2>&1 | grep GFLOP || status=1
timeout 60 ./cpu-kernels-cpu.test -test.run '^$' -test.bench '^BenchmarkGemmMicroKernels$' -test.benchtime 10x 2>&1 | grep GFLOP || status=1

fi
if want 1; then
echo "== 1. every kernel against the CPU backend (and the live-bytes training test)"
SEMGAN_CUDA_REQUIRE=1 ./kernels-cuda.test -test.run . -test.v -test.timeout 150s >tests.log 2>&1 || status=1
grep -E '^(=== RUN|--- (PASS|FAIL|SKIP)|PASS|FAIL|ok )|device:|Error|off \(' tests.log | grep -v '^=== RUN' | head -80
grep -m1 'device:' tests.log || true

fi
if want 2; then
echo "== 2. semgan on the GPU (Go benchmarks)"
# Kernels 5 times each; the model cases (a training iteration took 21 s
# in fp32 before the tensor cores) twice.
SEMGAN_CUDA_REQUIRE=1 ./kernels-cuda.test -test.run '^$' -test.bench 'Sgemm|Conv|Attention' -test.benchtime 5x -test.timeout 120s 2>&1 | tee bench.log || status=1
SEMGAN_CUDA_REQUIRE=1 ./kernels-cuda.test -test.run '^$' -test.bench 'GeneratorInfer|TrainIter' -test.benchtime 2x -test.timeout 240s 2>&1 | tee -a bench.log || status=1

fi
if want 2b; then
echo "== 2b. where generator inference spends its time (kernels timed one by one)"
SEMGAN_CUDA_REQUIRE=1 SEMGAN_CUDA_PROFILE=1 ./kernels-cuda.test -test.run '^$' -test.bench 'GeneratorInfer256/(fp32|tf32)' -test.benchtime 2x -test.timeout 60s 2>&1 | grep -v '^\(goos\|goarch\|pkg\|cpu\):' || status=1

fi
if want 3; then
echo "== 3. PyTorch on the GPU"
py=${PYTHON:-python3}
if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
	timeout 150 "$py" torch_gpu.py | tee torch.log || status=1
else
	echo "no PyTorch with CUDA here ($py); skipped"
	: >torch.log
fi

fi
if want 4; then
echo "== 4. semgan beside PyTorch, case by case (ratio = PyTorch seconds / semgan seconds)"
# bench.log lines: BenchmarkX/prec-16  N  ns/op  [metric unit]...
# torch.log lines: {"name": "X", "precision": "prec", "seconds": s} or an error.
awk '
	FNR == NR {
		if ($1 ~ /^Benchmark/) {
			name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
			for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") go[name] = $i / 1e9
		}
		next
	}
	/"precision"/ {
		match($0, /"name": "[^"]*"/); n = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"precision": "[^"]*"/); p = substr($0, RSTART + 14, RLENGTH - 15)
		key = n "/" p
		if (match($0, /"seconds": [0-9.e+-]+/)) {
			t = substr($0, RSTART + 11, RLENGTH - 11) + 0
			if (key in go) {
				printf "%-32s semgan %9.5f s  torch %9.5f s  ratio %6.2f  %s ahead\n", key, go[key], t, t / go[key], (t > go[key] ? "semgan" : "PyTorch")
			} else {
				printf "%-32s semgan n/a  torch %9.5f s\n", key, t
			}
		} else {
			match($0, /"error": "[^"]*"/)
			printf "%-32s torch: %s\n", key, substr($0, RSTART + 10, RLENGTH - 11)
		}
	}' bench.log torch.log
# The attention exponentials floor: 2*65536^2 exp per forward+backward; an
# H100/H200 SM issues 16 MUFU.EX2 per clock (132 SMs at up to 1.98 GHz:
# about 4.2e12 exp/s).
grep -E 'Attention256/.*Gexp/s' bench.log | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "Gexp/s") printf "%s: %.0f Gexp/s, %.0f%% of 4182 Gexp/s (132 SMs x 16/clock x 1.98 GHz)\n", $1, $i, 100 * $i / 4182}'
grep 'TFLOP/s' bench.log || true
fi
if want 5; then
echo "== 5. the quick demo on the GPU in each precision (1000 iterations, same seed; docs/precision.md has the CPU's)"
if [ -x ./horse2zebra ]; then
	for prec in fp32 tf32 bf16; do
		timeout 100 ./horse2zebra demo -device cuda -precision "$prec" -iters 1000 -decay 400 -minutes 0 \
			-out "demo-$prec" </dev/null >"demo-$prec.log" 2>&1 || status=1
		echo "$prec: $(tr -d '\n ' <"demo-$prec/metrics.json" 2>/dev/null || tail -n 2 "demo-$prec.log")"
	done
fi
fi
echo "exit status $status (0: all kernel tests passed and everything ran)"
exit $status
EOF
chmod +x "$out/run.sh" "$out/torch_gpu.py"

echo
for n in "${notes[@]}"; do
	echo "gpu-check: $n"
done
echo "gpu-check: built $(du -sh "$out" | cut -f1) in $out. Copy that folder to the GPU machine and run there:"
echo
echo "    $out/run.sh"
