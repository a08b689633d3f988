// common.cuh: what every kernel file of kernels/cuda includes.
//
// Under nvcc it is plain CUDA; under the cudaemu emulator (SEMGAN_EMU) it
// pulls in emu.h, which provides the CUDA names on the host. Kernels use
// only what both provide:
//
//   - dynamic shared memory through DYNAMIC_SHARED(type, name);
//   - full-warp shuffles through warp_sum / warp_max and block reductions
//     through block_sum / block_max, for blocks whose size is a multiple of
//     32 (every thread of the block must call them: they hold barriers);
//   - no dynamic allocation, no printf, no width argument to shuffles.
//
// Sizes are int: every tensor of the model has fewer than 2^31 elements; the
// Go wrappers check that before a launch.
#pragma once

#ifdef SEMGAN_EMU
#include "emu.h"
// The emulator hands every block the same poisoned buffer.
#define DYNAMIC_SHARED(T, name) T *name = reinterpret_cast<T *>(::emu::dynamic_shared())
#else
#define DYNAMIC_SHARED(T, name)                                        \
  extern __shared__ __align__(16) unsigned char semgan_dynamic_smem[]; \
  T *name = reinterpret_cast<T *>(semgan_dynamic_smem)
#endif

#define FULL_MASK 0xffffffffu

// UNROLL before a loop with a constant trip count unrolls it fully under
// nvcc, so that the arrays it indexes stay in registers, and UNROLL_BY(n)
// n times; the emulator's compiler does not know the pragma and goes
// without.
#ifdef SEMGAN_EMU
#define UNROLL
#define UNROLL_BY(n)
#else
#define UNROLL _Pragma("unroll")
#define SEMGAN_PRAGMA(x) _Pragma(#x)
#define UNROLL_BY(n) SEMGAN_PRAGMA(unroll n)
#endif

// warp_sum returns the sum of v over the 32 lanes of the warp, in every lane.
static __device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
  return v;
}

// warp_max returns the maximum of v over the warp, in every lane.
static __device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, o));
  return v;
}

// block_sum returns the sum of v over the block, in every thread. blockDim.x
// must be a multiple of 32 (and blockDim.y = blockDim.z = 1).
static __device__ float block_sum(float v) {
  __shared__ float partial[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // an earlier call may still be reading partial
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  // Every warp sums the partials, so that no third barrier is needed to
  // hand the result around.
  return warp_sum(lane < warps ? partial[lane] : 0.0f);
}

// block_max returns the maximum of v over the block, in every thread, under
// the same conditions as block_sum.
static __device__ float block_max(float v) {
  __shared__ float partial[32];
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  return warp_max(lane < warps ? partial[lane] : -INFINITY);
}
