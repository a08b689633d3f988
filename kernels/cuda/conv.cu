// conv.cu: 2-D convolution (no groups, no dilation, zero padding) as
// implicit GEMM: matrix products whose operands read the image patches
// straight from the image, so no im2col matrix is ever stored.
// With K = InC*KH*KW, S = OutH*OutW and P = InH*InW:
//
//   forward        y[n] [OutC, S]  = w [OutC, K] * patches(x[n]) [K, S] + bias
//   backward data  dx[n] [InC, P] += w^T (as [InC, OutC*KH*KW]) * taps(dy[n]) [OutC*KH*KW, P]
//   backward filt. dw [OutC, K]   += sum over n of dy[n] [OutC, S] * patches(x[n])^T [S, K]
//
// Every product multiplies operands rounded as precision prec says (R =
// round_operand, the identity for PREC_FP32) and sums in float32; the bias
// gradient is an exact float32 sum in every precision.
//
// Two versions of each product, with the same operands (the accessors of
// ConvShape):
//
//   conv_*_f32      the scalar tile engine of tile.cuh, any device, any
//                   precision: 256 threads per block, grid (ceil(cols/64),
//                   ceil(rows/64), z);
//   conv_*_tc_f32   the tensor-core engine of mma_tile.cuh, sm_80 and newer,
//                   TF32 and BF16: 256 threads per block, grid
//                   (ceil(cols/64), ceil(rows/128), z).
//
// z is the image for forward and backward data, and a split of the N*S
// reduction for the filter gradient (whose partial tiles are added with
// atomicAdd when there is more than one split). Each element of dx is owned
// by one thread: backward data gathers the taps that reach it, with no
// atomics. The bias gradient is a block reduction per output channel
// (conv_bias_grad_f32).
#include "mma_tile.cuh"
#include "tile.cuh"

// ConvShape holds the sizes of a convolution, as kernels.ConvParams, and
// the operands of the three products: each accessor returns the address of
// an element, or nullptr where the element is zero padding.
struct ConvShape {
  int N, InC, InH, InW, OutC, KH, KW, SH, SW, PH, PW, OutH, OutW;

  // patch is the input element under kernel tap k = (c, kh, kw) of output
  // pixel s of image xn.
  __device__ __forceinline__ const float *patch(const float *xn, int k, int s) const {
    int c = k / (KH * KW), r = k % (KH * KW);
    int ih = (s / OutW) * SH - PH + r / KW, iw = (s % OutW) * SW - PW + r % KW;
    if (ih < 0 || ih >= InH || iw < 0 || iw >= InW) return nullptr;
    return &xn[((size_t)c * InH + ih) * InW + iw];
  }

  // weight_t is w^T (c, k) = w[o, c, kh, kw] for k = (o, kh, kw), the A
  // operand of backward data.
  __device__ __forceinline__ const float *weight_t(const float *w, int c, int k) const {
    int KK = KH * KW;
    return &w[((size_t)(k / KK) * InC + c) * KK + k % KK];
  }

  // tap is dy[o, oh, ow] of image dyn for k = (o, kh, kw) and input pixel
  // pix = (ih, iw), where (oh, ow) is the output pixel whose tap (kh, kw)
  // reads (ih, iw), if there is one.
  __device__ __forceinline__ const float *tap(const float *dyn, int k, int pix) const {
    int KK = KH * KW, o = k / KK, r = k % KK;
    int th = pix / InW + PH - r / KW, tw = pix % InW + PW - r % KW;
    if (th < 0 || tw < 0 || th % SH != 0 || tw % SW != 0) return nullptr;
    int oh = th / SH, ow = tw / SW;
    if (oh >= OutH || ow >= OutW) return nullptr;
    return &dyn[((size_t)o * OutH + oh) * OutW + ow];
  }

  // grad_out is dy[n, o, s] for j = n*S + s, the A operand of the filter
  // gradient.
  __device__ __forceinline__ const float *grad_out(const float *dy, int o, int j) const {
    int S = OutH * OutW, n = j / S;
    return &dy[((size_t)n * OutC + o) * S + j % S];
  }

  // patch_of is patch for j = n*S + s over the whole batch x, the B operand
  // of the filter gradient.
  __device__ __forceinline__ const float *patch_of(const float *x, int j, int k) const {
    int S = OutH * OutW, n = j / S;
    return patch(x + (size_t)n * InC * InH * InW, k, j % S);
  }
};

// value reads an accessor's element: 0 for the padding.
static __device__ __forceinline__ float value(const float *p) { return p ? *p : 0.0f; }

// Kernel arguments travel in 8-byte slots, so the sizes come as separate
// ints (in the order of ConvShape) rather than as one struct.
#define CONV_ARGS                                                                                               \
  int N, int InC, int InH, int InW, int OutC, int KH, int KW, int SH, int SW, int PH, int PW, int OutH, int OutW
#define CONV_SHAPE ConvShape p = {N, InC, InH, InW, OutC, KH, KW, SH, SW, PH, PW, OutH, OutW}

// conv_forward_f32: y = conv(x, w) + bias (bias may be null); block (bx,
// by, n) computes output channels by*64.. and pixels bx*64.. of image n.
extern "C" __global__ void conv_forward_f32(int prec, const float *__restrict__ x, const float *__restrict__ w,
                                            const float *__restrict__ bias, float *__restrict__ y, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int n = blockIdx.z, K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  const float *xn = x + (size_t)n * p.InC * p.InH * p.InW;
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  gemm_tile<true, true>(
      prec, p.OutC, S, K, m0, n0, [=](int o, int k) { return w[(size_t)o * K + k]; },
      [=](int k, int s) { return value(p.patch(xn, k, s)); }, sm, acc);
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

// conv_backward_data_f32: dx += conv^T(dy, w); block (bx, by, n) computes
// input channels by*64.. and input pixels bx*64.. of image n.
extern "C" __global__ void conv_backward_data_f32(int prec, const float *__restrict__ dy,
                                                  const float *__restrict__ w, float *__restrict__ dx, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int n = blockIdx.z, S = p.OutH * p.OutW, P = p.InH * p.InW;
  const float *dyn = dy + (size_t)n * p.OutC * S;
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  gemm_tile<true, true>(
      prec, p.InC, P, p.OutC * p.KH * p.KW, m0, n0, [=](int c, int k) { return *p.weight_t(w, c, k); },
      [=](int k, int pix) { return value(p.tap(dyn, k, pix)); }, sm, acc);
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

// conv_backward_filter_f32: dw += the filter gradient over split z of the
// reduction, j in [z*chunk, min((z+1)*chunk, N*S)), j = n*S + s; block
// (bx, by, z) computes output channels by*64.. and taps bx*64...
extern "C" __global__ void conv_backward_filter_f32(int prec, const float *__restrict__ x,
                                                    const float *__restrict__ dy, float *__restrict__ dw, int chunk,
                                                    CONV_ARGS) {
  CONV_SHAPE;
  __shared__ TileSmem sm;
  int K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  int j0 = blockIdx.z * chunk, len = min(chunk, p.N * S - j0);
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  gemm_tile<true, false>(
      prec, p.OutC, K, len, m0, n0, [=](int o, int j) { return *p.grad_out(dy, o, j0 + j); },
      [=](int j, int k) { return value(p.patch_of(x, j0 + j, k)); }, sm, acc);
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

#if SEMGAN_TENSOR_CORES

// conv_forward_tc_f32 is conv_forward_f32 on the tensor cores, for prec
// PREC_TF32 or PREC_BF16: block (bx, by, n) computes output channels
// by*128.. and pixels bx*64.. of image n, each thread 32 of them.
extern "C" __global__ void conv_forward_tc_f32(int prec, const float *__restrict__ x, const float *__restrict__ w,
                                               const float *__restrict__ bias, float *__restrict__ y, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ MmaSmem sm;
  int n = blockIdx.z, K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  const float *xn = x + (size_t)n * p.InC * p.InH * p.InW;
  float *yn = y + (size_t)n * p.OutC * S;
  mma_gemm(
      prec, p.OutC, S, K, blockIdx.y * MMA_TILE_M, blockIdx.x * MMA_TILE_N, matrix_operand<true>(w, K),
      gather_operand<false>(xn, [=](int s, int k) { return p.patch(xn, k, s); }),
      [=](int o, int s, float v) { yn[(size_t)o * S + s] = v + (bias ? bias[o] : 0.0f); }, sm);
}

// conv_backward_data_tc_f32 is conv_backward_data_f32 on the tensor cores:
// block (bx, by, n) computes input channels by*128.. and input pixels
// bx*64.. of image n.
extern "C" __global__ void conv_backward_data_tc_f32(int prec, const float *__restrict__ dy,
                                                     const float *__restrict__ w, float *__restrict__ dx,
                                                     CONV_ARGS) {
  CONV_SHAPE;
  __shared__ MmaSmem sm;
  int n = blockIdx.z, S = p.OutH * p.OutW, P = p.InH * p.InW;
  const float *dyn = dy + (size_t)n * p.OutC * S;
  float *dxn = dx + (size_t)n * p.InC * P;
  mma_gemm(
      prec, p.InC, P, p.OutC * p.KH * p.KW, blockIdx.y * MMA_TILE_M, blockIdx.x * MMA_TILE_N,
      gather_operand<true>(w, [=](int c, int k) { return p.weight_t(w, c, k); }),
      gather_operand<false>(dyn, [=](int pix, int k) { return p.tap(dyn, k, pix); }),
      [=](int c, int pix, float v) { dxn[(size_t)c * P + pix] += v; }, sm);
}

// conv_backward_filter_tc_f32 is conv_backward_filter_f32 on the tensor
// cores: block (bx, by, z) computes output channels by*128.. and taps
// bx*64.. over split z of the reduction.
extern "C" __global__ void conv_backward_filter_tc_f32(int prec, const float *__restrict__ x,
                                                       const float *__restrict__ dy, float *__restrict__ dw,
                                                       int chunk, CONV_ARGS) {
  CONV_SHAPE;
  __shared__ MmaSmem sm;
  int K = p.InC * p.KH * p.KW, S = p.OutH * p.OutW;
  int j0 = blockIdx.z * chunk, len = min(chunk, p.N * S - j0);
  bool split = gridDim.z > 1;
  mma_gemm(
      prec, p.OutC, K, len, blockIdx.y * MMA_TILE_M, blockIdx.x * MMA_TILE_N,
      gather_operand<true>(dy, [=](int o, int j) { return p.grad_out(dy, o, j0 + j); }),
      gather_operand<true>(x, [=](int k, int j) { return p.patch_of(x, j0 + j, k); }),
      [=](int o, int k, float v) {
        if (split) {
          atomicAdd(&dw[(size_t)o * K + k], v);  // other splits add to the same element
        } else {
          dw[(size_t)o * K + k] += v;
        }
      },
      sm);
}

#endif  // SEMGAN_TENSOR_CORES

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
