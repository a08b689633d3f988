// instancenorm.cu: instance normalisation of each (n, c) plane of
// x [N, C, S] over its S elements, forward and backward.
//
// Launch: one block of 256 threads per plane (blocks stride over the N*C
// planes); the plane's sums come from block reductions (warp shuffles, then
// shared memory). The forward pass reads the plane three times (mean, the
// variance about the mean, the output) rather than keeping it in shared
// memory, which would limit S. The backward pass adds each plane's sums into
// dgamma and dbeta with atomicAdd (N planes share a channel).
#include "common.cuh"

// y = (x - mean) * rstd * gamma[c] + beta[c] with the biased variance;
// gamma and beta may be null (1 and 0). mean and rstd [N*C] are kept for
// the backward pass.
extern "C" __global__ void instance_norm_forward_f32(const float *x, const float *__restrict__ gamma,
                                                     const float *__restrict__ beta, float *y,
                                                     float *__restrict__ mean, float *__restrict__ rstd, int planes,
                                                     int C, int S, float eps) {
  for (int pl = blockIdx.x; pl < planes; pl += gridDim.x) {
    const float *xp = x + (size_t)pl * S;
    float *yp = y + (size_t)pl * S;
    float s = 0.0f;
    for (int i = threadIdx.x; i < S; i += blockDim.x) s += xp[i];
    float mu = block_sum(s) / (float)S;
    // The variance in a second pass over (x - mean)^2, so that a large mean
    // cannot cancel it.
    float ss = 0.0f;
    for (int i = threadIdx.x; i < S; i += blockDim.x) {
      float d = xp[i] - mu;
      ss += d * d;
    }
    float r = 1.0f / sqrtf(block_sum(ss) / (float)S + eps);
    if (threadIdx.x == 0) mean[pl] = mu, rstd[pl] = r;  // kept for backward
    int c = pl % C;
    float scale = gamma ? r * gamma[c] : r, shift = beta ? beta[c] : 0.0f;
    for (int i = threadIdx.x; i < S; i += blockDim.x) yp[i] = (xp[i] - mu) * scale + shift;
  }
}

// With xhat = (x - mean)*rstd and g = dy*gamma[c], per plane:
//   dx        += rstd * (g - mean(g) - xhat*mean(g*xhat))
//   dgamma[c] += sum of dy*xhat,   dbeta[c] += sum of dy
// dx, gamma, dgamma and dbeta may be null.
extern "C" __global__ void instance_norm_backward_f32(const float *__restrict__ x, const float *__restrict__ gamma,
                                                      const float *__restrict__ mean, const float *__restrict__ rstd,
                                                      const float *__restrict__ dy, float *__restrict__ dx,
                                                      float *__restrict__ dgamma, float *__restrict__ dbeta,
                                                      int planes, int C, int S) {
  for (int pl = blockIdx.x; pl < planes; pl += gridDim.x) {
    const float *xp = x + (size_t)pl * S, *dyp = dy + (size_t)pl * S;
    float mu = mean[pl], r = rstd[pl];
    float sd = 0.0f, sdx = 0.0f;
    for (int i = threadIdx.x; i < S; i += blockDim.x) {
      float d = dyp[i];
      sd += d;
      sdx += d * (xp[i] - mu) * r;
    }
    sd = block_sum(sd);
    sdx = block_sum(sdx);
    int c = pl % C;
    if (dx) {
      float g = gamma ? gamma[c] : 1.0f;
      float mg = sd / (float)S, mgx = sdx / (float)S;  // mean(dy), mean(dy*xhat)
      float *dxp = dx + (size_t)pl * S;
      for (int i = threadIdx.x; i < S; i += blockDim.x) {
        float xhat = (xp[i] - mu) * r;
        dxp[i] += r * g * (dyp[i] - mg - xhat * mgx);
      }
    }
    if (threadIdx.x == 0) {
      if (dgamma) atomicAdd(&dgamma[c], sdx);
      if (dbeta) atomicAdd(&dbeta[c], sd);
    }
  }
}
