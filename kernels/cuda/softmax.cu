// softmax.cu: softmax over each row of a [rows, cols] matrix, and its
// gradient.
//
// Launch: one block of 256 threads per row (blocks stride over the rows),
// the row's maximum and sum found by block reductions. Every thread reads
// and writes only its own columns, so y may be x.
#include "common.cuh"

// y_i = exp(x_i - max x) / sum_j exp(x_j - max x), row by row.
extern "C" __global__ void softmax_forward_f32(const float *x, float *y, int rows, int cols) {
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *xr = x + (size_t)r * cols;
    float *yr = y + (size_t)r * cols;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m);  // subtracted, so that large inputs cannot overflow
    float s = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
      float e = expf(xr[i] - m);
      yr[i] = e;
      s += e;
    }
    float inv = 1.0f / block_sum(s);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) yr[i] *= inv;
  }
}

// dx_i += y_i * (dy_i - sum_j y_j dy_j), row by row.
extern "C" __global__ void softmax_backward_f32(const float *__restrict__ y, const float *__restrict__ dy,
                                                float *__restrict__ dx, int rows, int cols) {
  for (int r = blockIdx.x; r < rows; r += gridDim.x) {
    const float *yr = y + (size_t)r * cols, *dyr = dy + (size_t)r * cols;
    float *dxr = dx + (size_t)r * cols;
    float dot = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dot += yr[i] * dyr[i];
    dot = block_sum(dot);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) dxr[i] += yr[i] * (dyr[i] - dot);
  }
}
