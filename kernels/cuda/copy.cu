// copy.cu: strided block copies between two buffers (see
// kernels.BlockCopyParams): block b of len elements is read at
// src_off + b*src_stride and written (or added, with accumulate) at
// dst_off + b*dst_stride. Concatenation along a dimension and its gradient
// are such copies.
//
// Launch: a 1-D grid-stride loop over count*len elements, 256 threads per
// block; destination blocks do not overlap, so every element has one
// writer.
#include "common.cuh"

extern "C" __global__ void copy_blocks_f32(const float *__restrict__ src, float *__restrict__ dst, int count,
                                           int len, int src_off, int src_stride, int dst_off, int dst_stride,
                                           int accumulate) {
  int n = count * len;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int b = i / len, j = i % len;
    float v = src[src_off + b * src_stride + j];
    float *d = dst + dst_off + b * dst_stride + j;
    *d = accumulate ? *d + v : v;
  }
}
