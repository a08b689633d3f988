// conv.cu: 2-D convolution (no groups, no dilation, zero padding) as
// implicit GEMM: the products of tile.cuh with operands that read the image
// patches straight from the image, so no im2col matrix is ever stored.
// With K = InC*KH*KW, S = OutH*OutW and P = InH*InW:
//
//   forward        y[n] [OutC, S]  = w [OutC, K] * patches(x[n]) [K, S] + bias
//   backward data  dx[n] [InC, P] += w^T (as [InC, OutC*KH*KW]) * taps(dy[n]) [OutC*KH*KW, P]
//   backward filt. dw [OutC, K]   += sum over n of dy[n] [OutC, S] * patches(x[n])^T [S, K]
//
// Launch: 256 threads per block, grid (ceil(cols/64), ceil(rows/64), z)
// where z is the image for the first two, and a split of the N*S reduction
// for the filter gradient (whose partial tiles are added with atomicAdd when
// there is more than one split). Each element of dx is owned by one thread:
// backward data gathers the taps that reach it, with no atomics. The bias
// gradient is a block reduction per output channel (conv_bias_grad_f32).
#include "tile.cuh"

// ConvShape holds the sizes of a convolution, as kernels.ConvParams.
struct ConvShape {
  int N, InC, InH, InW, OutC, KH, KW, SH, SW, PH, PW, OutH, OutW;

  // patch returns x[n] at the input position under kernel tap k = (c, kh,
  // kw) of output pixel s, or 0 in the padding; xn is image n.
  __device__ __forceinline__ float patch(const float *__restrict__ xn, int k, int s) const {
    int c = k / (KH * KW), r = k % (KH * KW);
    int ih = (s / OutW) * SH - PH + r / KW, iw = (s % OutW) * SW - PW + r % KW;
    if (ih < 0 || ih >= InH || iw < 0 || iw >= InW) return 0.0f;
    return xn[((size_t)c * InH + ih) * InW + iw];
  }
};

// Kernel arguments travel in 8-byte slots, so the sizes come as separate
// ints (in the order of ConvShape) rather than as one struct.
#define CONV_ARGS                                                                                               \
  int N, int InC, int InH, int InW, int OutC, int KH, int KW, int SH, int SW, int PH, int PW, int OutH, int OutW
#define CONV_SHAPE ConvShape p = {N, InC, InH, InW, OutC, KH, KW, SH, SW, PH, PW, OutH, OutW}

extern "C" __global__ void conv_forward_f32(const float *__restrict__ x, const float *__restrict__ w,
                                            const float *__restrict__ bias, float *__restrict__ y, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int n = blockIdx.z, K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  const float *xn = x + (size_t)n * p.InC * p.InH * p.InW;
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  gemm_tile<true, true>(
      p.OutC, S, K, m0, n0, [=](int o, int k) { return w[(size_t)o * K + k]; },
      [=](int k, int s) { return p.patch(xn, k, s); }, sm, acc);
  float *yn = y + (size_t)n * p.OutC * S;
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = 0; i < 4; i++) {
    int o = m0 + ty + 16 * i;
    if (o >= p.OutC) continue;
    float b = bias ? bias[o] : 0.0f;
    for (int j = 0; j < 4; j++) {
      int s = n0 + tx + 16 * j;
      if (s < S) yn[(size_t)o * S + s] = acc[i][j] + b;
    }
  }
}

extern "C" __global__ void conv_backward_data_f32(const float *__restrict__ dy, const float *__restrict__ w,
                                                  float *__restrict__ dx, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int n = blockIdx.z, KK = p.KH * p.KW, S = p.OutH * p.OutW, P = p.InH * p.InW;
  const float *dyn = dy + (size_t)n * p.OutC * S;
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  gemm_tile<true, true>(
      p.InC, P, p.OutC * KK, m0, n0,
      // A(c, (o, kh, kw)) = w[o, c, kh, kw].
      [=](int c, int k) { return w[((size_t)(k / KK) * p.InC + c) * KK + k % KK]; },
      // B((o, kh, kw), (ih, iw)) = dy[n, o, oh, ow] for the output pixel
      // whose tap (kh, kw) reads (ih, iw), if there is one.
      [=](int k, int pix) {
        int o = k / KK, r = k % KK;
        int th = pix / p.InW + p.PH - r / p.KW, tw = pix % p.InW + p.PW - r % p.KW;
        if (th < 0 || tw < 0 || th % p.SH != 0 || tw % p.SW != 0) return 0.0f;
        int oh = th / p.SH, ow = tw / p.SW;
        if (oh >= p.OutH || ow >= p.OutW) return 0.0f;
        return dyn[((size_t)o * p.OutH + oh) * p.OutW + ow];
      },
      sm, acc);
  float *dxn = dx + (size_t)n * p.InC * P;
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = 0; i < 4; i++) {
    int c = m0 + ty + 16 * i;
    if (c >= p.InC) continue;
    for (int j = 0; j < 4; j++) {
      int pix = n0 + tx + 16 * j;
      if (pix < P) dxn[(size_t)c * P + pix] += acc[i][j];
    }
  }
}

// Split z of the reduction covers j in [z*chunk, min((z+1)*chunk, N*S)),
// j = n*S + s.
extern "C" __global__ void conv_backward_filter_f32(const float *__restrict__ x, const float *__restrict__ dy,
                                                    float *__restrict__ dw, int chunk, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  int j0 = blockIdx.z * chunk, len = min(chunk, p.N * S - j0);
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  size_t ximg = (size_t)p.InC * p.InH * p.InW;
  float acc[4][4];
  gemm_tile<true, false>(
      p.OutC, K, len, m0, n0,
      // A(o, j) = dy[n, o, s].
      [=](int o, int j) {
        int n = (j0 + j) / S, s = (j0 + j) % S;
        return dy[((size_t)n * p.OutC + o) * S + s];
      },
      // B(j, k) = the patch element under tap k of output pixel s of image n.
      [=](int j, int k) {
        int n = (j0 + j) / S, s = (j0 + j) % S;
        return p.patch(x + n * ximg, k, s);
      },
      sm, acc);
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = 0; i < 4; i++) {
    int o = m0 + ty + 16 * i;
    if (o >= p.OutC) continue;
    for (int j = 0; j < 4; j++) {
      int k = n0 + tx + 16 * j;
      if (k >= K) continue;
      if (gridDim.z == 1) {
        dw[(size_t)o * K + k] += acc[i][j];
      } else {
        atomicAdd(&dw[(size_t)o * K + k], acc[i][j]);  // other splits add to the same element
      }
    }
  }
}

// dbias[o] += sum over n and s of dy[n, o, s]; one block per channel.
extern "C" __global__ void conv_bias_grad_f32(const float *__restrict__ dy, float *__restrict__ dbias, int N,
                                              int OutC, int S) {
  for (int o = blockIdx.x; o < OutC; o += gridDim.x) {
    float s = 0.0f;
    for (int n = 0; n < N; n++) {
      const float *row = dy + ((size_t)n * OutC + o) * S;
      for (int i = threadIdx.x; i < S; i += blockDim.x) s += row[i];
    }
    s = block_sum(s);
    if (threadIdx.x == 0) dbias[o] += s;
  }
}
