#!/usr/bin/env bash
# CI for the CUDA backend (kernels/cuda), meant to be called from .ci/run.
# No GPU is needed:
#   1. installs Debian's CUDA toolkit (nvcc, cuda.h, libcuda.so) if missing;
#   2. runs the kernel tests on the CPU emulator (tag cudaemu): every CUDA
#      kernel against the CPU backend, and the emulator's own checks;
#   3. vets the whole module with the real driver compiled in (tag cuda);
#   4. regenerates the PTX and the emulator's kernel table from the .cu
#      files and fails if they differ from the committed ones;
#   5. assembles the PTX for sm_80 and sm_90 and fails on a register spill
#      or a tensor-core kernel without HMMA (scripts/ptx-check.sh, after
#      its self-test shows both are caught).
# Takes a few minutes on 2 cores (the first install downloads about 1.5 GB).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-cuda.sh

echo "== go test -tags cudaemu ./kernels/..."
go test -tags cudaemu ./kernels/...

echo "== go vet -tags cuda ./..."
go vet -tags cuda ./...

echo "== PTX drift check"
(cd kernels/cuda && go run ./internal/cugen)
drift=$(git status --porcelain -- kernels/cuda/ptx kernels/cuda/emu_kernels.inc)
if [ -n "$drift" ]; then
	echo "kernels/cuda: the generated files differ from the .cu sources; run"
	echo "  go generate ./kernels/cuda"
	echo "and commit the result. Differences:"
	echo "$drift"
	git diff --stat -- kernels/cuda/ptx kernels/cuda/emu_kernels.inc
	exit 1
fi
echo "PTX and emulator table match the sources"

echo "== ptxas and SASS checks"
bash scripts/ptx-check.sh --self-test
bash scripts/ptx-check.sh
