// reduce.cu: reductions of a whole buffer to one value (sum, mean, mean
// |a-b|, mean (a-b)^2) and their gradients.
//
// Reduce runs in two launches: reduce_partial_f32 with up to 1024 blocks of
// 256 threads, each summing its grid-stride share into one partial, then
// reduce_final_f32 with one block summing the partials into out[0]. The
// result never leaves the device. reduce_backward_f32 is a 1-D grid-stride
// loop that reads the upstream gradient from device memory.
//
// Op codes are those of kernels.ReduceOp.
#include "common.cuh"

#define R_SUM 0
#define R_MEAN 1
#define R_MEAN_ABS_DIFF 2
#define R_MEAN_SQUARED_DIFF 3

// partial[blockIdx.x] = sum over this block's elements of the reduced term.
extern "C" __global__ void reduce_partial_f32(int op, const float *__restrict__ a, const float *__restrict__ b,
                                              float *__restrict__ partial, int n) {
  float s = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    if (op == R_MEAN_ABS_DIFF) {
      s += fabsf(a[i] - b[i]);
    } else if (op == R_MEAN_SQUARED_DIFF) {
      float d = a[i] - b[i];
      s += d * d;
    } else {
      s += a[i];
    }
  }
  s = block_sum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// out[0] = the sum of partial[0:m], divided by n for the means (NaN for a
// mean of nothing). One block.
extern "C" __global__ void reduce_final_f32(int op, const float *__restrict__ partial, int m,
                                            float *__restrict__ out, int n) {
  float s = 0.0f;
  for (int i = threadIdx.x; i < m; i += blockDim.x) s += partial[i];
  s = block_sum(s);
  if (threadIdx.x == 0) out[0] = op == R_SUM ? s : s / (float)n;
}

// da += and db -= the gradient of the reduction given dout[0]; either may
// be null. b is read only by the two-operand ops.
extern "C" __global__ void reduce_backward_f32(int op, const float *__restrict__ a, const float *__restrict__ b,
                                               const float *__restrict__ dout, float *__restrict__ da,
                                               float *__restrict__ db, int n) {
  float g = dout[0];
  // The per-element factor: d(sum)/da = g, d(mean)/da = g/n, and for the
  // differences g/n times sign(a-b), or 2g/n times (a-b).
  float c = op == R_SUM ? g : (op == R_MEAN_SQUARED_DIFF ? 2.0f * g : g) / (float)n;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    float d;
    if (op == R_MEAN_ABS_DIFF) {
      d = a[i] > b[i] ? c : (a[i] < b[i] ? -c : 0.0f);
    } else if (op == R_MEAN_SQUARED_DIFF) {
      d = c * (a[i] - b[i]);
    } else {
      d = c;
    }
    if (da) da[i] += d;
    if (db) db[i] -= d;
  }
}
