// Package cuda is the CUDA backend of semgan: hand-written kernels for every
// primitive of kernels.Backend, and the Go code that launches them.
//
// The package is empty unless built with one of two tags. With tag cuda it
// uses the real driver, through github.com/mumax/3/cuda/cu: building needs
// cgo, cuda.h and libcuda.so (scripts/install-cuda.sh installs them on
// Debian), running needs an NVIDIA GPU and its driver, and the kernels are
// loaded from PTX embedded in the binary (ptx/, compiled for compute_70,
// compute_80 and compute_90 by go generate; the tensor-core kernels of
// mma.cuh exist in the last two only). With tag cudaemu it uses the emulator: the
// same .cu files compiled as C++ by cgo with emu.h, which runs every CUDA
// thread of a block as an OS thread and checks barriers, shuffles, the
// tensor-core primitives, shared memory and out-of-bounds writes (see
// emu.h). The emulator needs only a C++20 compiler, and is how the kernels
// are tested without a GPU:
//
//	go test -tags cudaemu ./kernels/...
//
// With either tag the backend registers itself as "cuda" (kernels.Open),
// like a database/sql driver; import the package for its side effect.
//
// Layout of the package:
//
//	*.cu, common.cuh      the kernels, one family per file
//	tile.cuh              the tile engine of the matrix products (GEMM,
//	                      convolutions) for every device and precision
//	mma_tile.cuh          the tensor-core one, for TF32 and BF16 on sm_80+
//	emu.h, emu.cc         the emulator's device API and scheduler
//	emu_kernels.*         the kernels compiled for the emulator (generated table)
//	ptx/                  generated PTX, embedded under the cuda tag
//	driver*.go            the driver seam and its two implementations
//	launch_gen.go         a typed launcher per kernel (generated from the .cu
//	                      signatures by cugen; no launch by name elsewhere)
//	backend.go, <op>.go   kernels.Backend: argument checks, then launches
//
// Images are NCHW (N batch, C channels, H height, W width, S = H*W). As for
// every backend, forward primitives overwrite their outputs, backward ones
// accumulate into theirs and skip nil gradients, and argument mistakes panic
// with a message that starts with "cuda: <Method>:". Device errors (a failed
// launch, a kernel fault, an emulator check) do not panic: the first one is
// kept and returned by Synchronize.
package cuda

//go:generate go run ./internal/cugen
