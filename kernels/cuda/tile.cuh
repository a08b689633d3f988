// tile.cuh: the shared-memory tile engine of the matrix products (gemm.cu,
// conv.cu). A block of 256 threads (1-D) computes a TILE_M x TILE_N tile of
// C = A * B, each thread a 4 x 4 set of outputs, stepping TILE_K along the
// reduction. The operands are not matrices but functors: la(m, k) and
// lb(k, n) return one element, so that a convolution can read the image
// patches straight from the image (implicit GEMM) instead of from an
// im2col matrix in global memory.
//
// This is the engine of every device and every precision: the tensor-core
// kernels of mma_tile.cuh replace it for TF32 and BF16 on sm_80 and newer,
// and elsewhere it rounds the operands as the precision says
// (round_operand) before multiplying them in float32.
#pragma once

#include "common.cuh"
#include "mma.cuh"

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define TILE_THREADS 256

// The shared tiles of A and B; the +1 column keeps the threads of a warp
// that store one column of a tile in different banks.
struct TileSmem {
  float a[TILE_K][TILE_M + 1];
  float b[TILE_K][TILE_N + 1];
};

// gemm_tile computes, for the thread's outputs of the tile at (m0, n0),
//
//   acc[i][j] = sum_{k < K} la(m, k) * lb(k, n),  m = m0 + ty + 16 i,  n = n0 + tx + 16 j
//
// where tx = threadIdx.x % 16 and ty = threadIdx.x / 16. la and lb are only
// called inside [0, M) x [0, K) and [0, K) x [0, N); elements outside count
// as zero. A_K_FAST (B_N_FAST) says which index of A (B) is contiguous in
// memory, so that neighbouring threads load neighbouring addresses. Every
// thread of the block must call it (it holds barriers); sm must be
// __shared__.
template <bool A_K_FAST, bool B_N_FAST, class LA, class LB>
__device__ __forceinline__ void gemm_tile(int prec, int M, int N, int K, int m0, int n0, const LA &la,
                                          const LB &lb, TileSmem &sm, float acc[4][4]) {
  int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  for (int i = 0; i < 4; i++) {
    for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
  }
  for (int k0 = 0; k0 < K; k0 += TILE_K) {
    // Each thread loads 4 of the 1024 elements of each tile, rounded once
    // here rather than at every use.
    for (int r = 0; r < 4; r++) {
      int e = tid + TILE_THREADS * r;
      int am = A_K_FAST ? e / TILE_K : e % TILE_M, ak = A_K_FAST ? e % TILE_K : e / TILE_M;
      int m = m0 + am, ka = k0 + ak;
      sm.a[ak][am] = m < M && ka < K ? round_operand(prec, la(m, ka)) : 0.0f;
      int bn = B_N_FAST ? e % TILE_N : e / TILE_K, bk = B_N_FAST ? e / TILE_N : e % TILE_K;
      int n = n0 + bn, kb = k0 + bk;
      sm.b[bk][bn] = n < N && kb < K ? round_operand(prec, lb(kb, n)) : 0.0f;
    }
    __syncthreads();  // the tiles are complete
    for (int kk = 0; kk < TILE_K; kk++) {
      float a[4], b[4];
      for (int i = 0; i < 4; i++) a[i] = sm.a[kk][ty + 16 * i];
      for (int j = 0; j < 4; j++) b[j] = sm.b[kk][tx + 16 * j];
      for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
      }
    }
    __syncthreads();  // everybody is done with the tiles before they are refilled
  }
}
