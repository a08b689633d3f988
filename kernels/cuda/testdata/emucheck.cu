// emucheck.cu: kernels for the emulator's own tests, compiled into the
// cudaemu build only (never into PTX). Most are deliberately broken, to show
// that the emulator catches each kind of mistake; the rest check that what
// it emulates works.
#include "../common.cuh"

// block_sum_smem sums x[0:n] (n <= blockDim.x, a power of two) in dynamic
// shared memory by a tree reduction, writing the sum to y[0]. With
// skip_first_sync it leaves out the barrier between filling the shared
// array and the first step of the tree: thread t then reads s[t+stride]
// before thread t+stride has written it, and gets the NaN the emulator
// fills shared memory with.
extern "C" __global__ void test_tree_sum(const float *x, float *y, int n, int skip_first_sync) {
  DYNAMIC_SHARED(float, s);
  int t = threadIdx.x;
  s[t] = t < n ? x[t] : 0.0f;
  if (!skip_first_sync) __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (t < stride) s[t] += s[t + stride];
    __syncthreads();
  }
  if (t == 0) y[0] = s[0];
}

// test_double writes y[i] = 2*x[i] for i < n; with off_by_one the bound is
// i <= n, so the thread i = n writes one element past the end of y.
extern "C" __global__ void test_double(const float *x, float *y, int n, int off_by_one) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n || (off_by_one && i == n)) y[i] = 2.0f * x[i];
}

// test_divergent_sync calls __syncthreads from two different places.
extern "C" __global__ void test_divergent_sync(float *y) {
  if (threadIdx.x < 32) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  y[threadIdx.x] = 1.0f;
}

// test_early_return returns from threads past n before a barrier that
// the others reach.
extern "C" __global__ void test_early_return(float *y, int n) {
  if ((int)threadIdx.x >= n) return;
  y[threadIdx.x] = 1.0f;
  __syncthreads();
}

// test_deadlock has half of a warp shuffle while the other half waits at
// __syncthreads: neither can complete.
extern "C" __global__ void test_deadlock(float *y) {
  float v = (float)threadIdx.x;
  if (threadIdx.x < 16) {
    v = __shfl_xor_sync(FULL_MASK, v, 1);
  } else {
    __syncthreads();
  }
  y[threadIdx.x] = v;
}

// test_spin waits for flag[0] to become non-zero: with nobody to set it
// during the launch it never ends, and the watchdog must abort it.
extern "C" __global__ void test_spin(volatile float *flag) {
  while (flag[0] == 0.0f) {
  }
}

// test_shuffles writes, per thread t of a block of blockDim.x threads:
// y[t] = warp_sum(t), y[n+t] = the t+1 of __shfl_down_sync (t itself past
// the end of the warp), y[2n+t] = block_sum(t), y[3n+t] = block_max(t).
extern "C" __global__ void test_shuffles(float *y) {
  int t = threadIdx.x, n = blockDim.x;
  float v = (float)t;
  y[t] = warp_sum(v);
  y[n + t] = __shfl_down_sync(FULL_MASK, v, 1);
  y[2 * n + t] = block_sum(v);
  y[3 * n + t] = block_max(v);
}

// test_atomic adds 1 to y[0] from every thread of every block.
extern "C" __global__ void test_atomic(float *y) { atomicAdd(y, 1.0f); }
