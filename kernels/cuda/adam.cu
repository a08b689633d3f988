// adam.cu: one fused Adam step (torch.optim.Adam without weight decay or
// amsgrad) over a parameter buffer.
//
// Launch: 1-D grid-stride loop, 256 threads per block. The bias corrections
// are computed on the host in float64 and passed in; the per-element
// arithmetic is float32 in PyTorch's order.
#include "common.cuh"

//   m = b1*m + c1*g          (c1 = 1 - b1)
//   v = b2*v + c2*g^2        (c2 = 1 - b2)
//   p -= step * m / (sqrt(v)/sqrt_bc2 + eps)   (step = lr / bc1)
extern "C" __global__ void adam_f32(float *__restrict__ p, const float *__restrict__ g, float *__restrict__ m,
                                    float *__restrict__ v, float step, float sqrt_bc2, float b1, float b2, float c1,
                                    float c2, float eps, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * c1;
    float vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step * (mi / (sqrtf(vi) / sqrt_bc2 + eps));
  }
}
