// gemm.cu: strided-batched single-precision matrix product,
// C = alpha*sum_k R(op(A)) R(op(B)) + beta*C with row-major matrices
// (kernels.GemmParams), where R rounds an operand as precision prec says
// (round_operand; the identity for PREC_FP32) and the sums are float32.
//
// gemm_f32 runs on every device and in every precision: grid (ceil(N/64),
// ceil(M/64), batch), 256 threads; each block computes a 64 x 64 tile of
// one batch entry of C with the shared-memory tile engine of tile.cuh.
// gemm_tc_f32 is the same product on the tensor cores (sm_80 and newer,
// TF32 and BF16 only): grid (ceil(N/64), ceil(M/128), batch), 256 threads,
// a 128 x 64 tile a block with the engine of mma_tile.cuh.
//
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

#include "mma_tile.cuh"

#if SEMGAN_TENSOR_CORES

// gemm_tc_run is gemm_tc_f32 for one combination of transposes.
template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tc_run(int prec, int M, int N, int K, float alpha, const float *__restrict__ A,
                                            const float *__restrict__ B, float beta, float *__restrict__ C,
                                            MmaSmem &sm) {
  int lda = TA ? M : K, ldb = TB ? K : N;
  // The engine reads A as rows m and B as rows n: op(A)(m, k) is
  // A[m*lda + k] (k contiguous) or A[k*lda + m] transposed, and op(B)(k, n)
  // is B[k*ldb + n] or B[n*ldb + k] transposed (k contiguous).
  mma_gemm(
      prec, M, N, alpha == 0.0f ? 0 : K, blockIdx.y * MMA_TILE_M, blockIdx.x * MMA_TILE_N,
      matrix_operand<!TA>(A, lda), matrix_operand<TB>(B, ldb),
      [=](int m, int n, float v) {
        float *c = &C[(size_t)m * N + n];
        float r = alpha * v;
        *c = beta == 0.0f ? r : r + beta * *c;
      },
      sm);
}

// gemm_tc_f32 is gemm_f32 on the tensor cores, for prec PREC_TF32 or
// PREC_BF16 (sm_80+). Launch: grid (ceil(N/64), ceil(M/128), batch), 256
// threads; each block computes a 128 x 64 tile of one batch entry of C with
// the engine of mma_tile.cuh, and each thread owns 32 of its elements (the
// mma accumulator layout).
extern "C" __global__ void gemm_tc_f32(int prec, int transA, int transB, int M, int N, int K, float alpha,
                                       const float *__restrict__ A, long long strideA, const float *__restrict__ B,
                                       long long strideB, float beta, float *__restrict__ C, long long strideC) {
  __shared__ MmaSmem sm;
  A += blockIdx.z * strideA;
  B += blockIdx.z * strideB;
  C += blockIdx.z * strideC;
  if (transA) {
    if (transB) {
      gemm_tc_run<true, true>(prec, M, N, K, alpha, A, B, beta, C, sm);
    } else {
      gemm_tc_run<true, false>(prec, M, N, K, alpha, A, B, beta, C, sm);
    }
  } else if (transB) {
    gemm_tc_run<false, true>(prec, M, N, K, alpha, A, B, beta, C, sm);
  } else {
    gemm_tc_run<false, false>(prec, M, N, K, alpha, A, B, beta, C, sm);
  }
}

#endif  // SEMGAN_TENSOR_CORES
