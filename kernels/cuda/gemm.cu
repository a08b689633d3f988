// gemm.cu: strided-batched single-precision matrix product,
// C = alpha*sum_k R(op(A)) R(op(B)) + beta*C with row-major matrices
// (kernels.GemmParams), where R rounds an operand as precision prec says
// (round_operand; the identity for PREC_FP32) and the sums are float32.
//
// gemm_f32 runs on every device and in every precision: grid (ceil(N/64),
// ceil(M/64), batch), 256 threads; each block computes a 64 x 64 tile of
// one batch entry of C with the shared-memory tile engine of tile.cuh.
// C is not read when beta is 0, and A and B are not read when alpha is 0.
#include "tile.cuh"

// gemm_run is gemm_f32 for one combination of transposes.
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_run(int prec, int M, int N, int K, float alpha, const float *__restrict__ A,
                                         const float *__restrict__ B, float beta, float *__restrict__ C, int lda,
                                         int ldb, TileSmem &sm) {
  int m0 = blockIdx.y * TILE_M, n0 = blockIdx.x * TILE_N;
  float acc[4][4];
  // op(A)(m, k) is A[m*lda + k], or A[k*lda + m] transposed; likewise B.
  gemm_tile<!TA, !TB>(
      prec, M, N, alpha == 0.0f ? 0 : K, m0, n0,
      [=](int m, int k) { return TA ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]; },
      [=](int k, int n) { return TB ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]; }, sm, acc);
  int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  for (int i = 0; i < 4; i++) {
    int m = m0 + ty + 16 * i;
    if (m >= M) continue;
    for (int j = 0; j < 4; j++) {
      int n = n0 + tx + 16 * j;
      if (n >= N) continue;
      float *c = &C[(size_t)m * N + n];
      float r = alpha * acc[i][j];
      *c = beta == 0.0f ? r : r + beta * *c;
    }
  }
}

extern "C" __global__ void gemm_f32(int prec, int transA, int transB, int M, int N, int K, float alpha,
                                    const float *__restrict__ A, long long strideA, const float *__restrict__ B,
                                    long long strideB, float beta, float *__restrict__ C, long long strideC) {
  __shared__ TileSmem sm;
  int lda = transA ? M : K, ldb = transB ? K : N;
  // This block's batch entry.
  A += blockIdx.z * strideA;
  B += blockIdx.z * strideB;
  C += blockIdx.z * strideC;
  if (transA) {
    if (transB) {
      gemm_run<true, true>(prec, M, N, K, alpha, A, B, beta, C, lda, ldb, sm);
    } else {
      gemm_run<true, false>(prec, M, N, K, alpha, A, B, beta, C, lda, ldb, sm);
    }
  } else if (transB) {
    gemm_run<false, true>(prec, M, N, K, alpha, A, B, beta, C, lda, ldb, sm);
  } else {
    gemm_run<false, false>(prec, M, N, K, alpha, A, B, beta, C, lda, ldb, sm);
  }
}
