// Two kernels that scripts/ptx-check.sh must reject, for its self-test
// (scripts/ptx-check.sh --self-test): one that spills registers, and one
// that exists only where tensor cores do but runs no mma.
#include "../kernels/cuda/mma.cuh"

// spiller keeps 256 values live across a reduction: more than the 64
// registers a thread has in a block of 1024.
extern "C" __global__ __launch_bounds__(1024) void spiller(float *o, int n) {
  float a[256];
#pragma unroll
  for (int i = 0; i < 256; i++) a[i] = o[i * n + threadIdx.x];
  float s = 0;
#pragma unroll
  for (int i = 0; i < 256; i++) s += a[i] * a[255 - i] * o[i];
#pragma unroll
  for (int i = 0; i < 256; i++) o[i * n] = a[i] + s;
}

#if SEMGAN_TENSOR_CORES
// tc_without_mma is a tensor-core kernel by where it is defined, and has
// no HMMA.
extern "C" __global__ void tc_without_mma(float *o) { o[threadIdx.x] = round_tf32(o[threadIdx.x]); }
#endif
