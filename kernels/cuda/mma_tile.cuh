// mma_tile.cuh: the tensor-core tile engine of the TF32 and BF16 matrix
// products (gemm.cu, conv.cu), for sm_80 and newer. A block of 256 threads
// (8 warps, 1-D) computes an MMA_TILE_M x MMA_TILE_N (128 x 64) tile of
//
//   C = sum_k R(A(m, k)) R(B(k, n))
//
// with mma.sync, R rounding to TF32 or BF16, the sums in float32. As in
// tile.cuh the operands are functors, so that a convolution reads its
// patches straight from the image (implicit GEMM), but here they return
// addresses: the engine copies them into shared memory with cp.async, two
// k-tiles of MMA_TILE_K = 32 in flight (double buffering), and an element
// that is padding or outside the matrix is zero-filled by the copy itself.
//
// Operand interface (see MatrixOperand; conv.cu has the gathers). Both
// operands are seen as row-major "rows x K" matrices: A's rows are m, B's
// rows are n (so B is read transposed, column-major, as mma.sync wants it):
//
//   const float *at(int r, int k) const   address of element (r, k), for
//                                         r < rows and k < K, or nullptr for
//                                         a zero (convolution padding)
//   static constexpr bool K_FAST          whether k is the contiguous index in
//                                         memory: neighbouring threads then
//                                         take neighbouring k, else rows
//   bool vec() const                      whether a row's elements k..k+3
//                                         (k % 4 == 0) are contiguous and
//                                         16-byte aligned, for any row < rows
//                                         and k < K: then 16-byte copies
//   const float *p                        a valid, 16-byte aligned address
//                                         in global memory: the source of
//                                         the zero-filling copies, which
//                                         read nothing
//
// Shared memory holds each operand tile as [row][32 k] floats, 128 bytes a
// row. The eight 16-byte chunks of row r are stored XOR-swizzled (chunk c
// at c ^ (r % 8)), so that ldmatrix, which reads one chunk from each of
// eight consecutive rows, touches every bank once.
//
// Warps: warp w computes rows 32*(w % 4).. and columns 32*(w / 4).. of the
// tile, 2 x 4 mma tiles of 16 x 8, 32 float accumulators a thread.
// Fragments: an 8x8 b16 ldmatrix tile over [row][k] floats is an 8x4 float
// tile, and lane l = 4g + t receives its element [g][t]. For A (m16 x k8)
// the four matrices of ldmatrix_x4 are rows 0-7 / 8-15 times k 0-3 / 4-7,
// which gives exactly the TF32 A fragment of mma.cuh: A[g][t], A[g+8][t],
// A[g][t+4], A[g+8][t+4]; for B (n8 x k8) two matrices give B[t][g] and
// B[t+4][g], the TF32 B fragment, and one ldmatrix_x4 serves two n-tiles.
//
// BF16 (m16n8k16) takes two such k8 slices, kb and kb+8, and packs pairs of
// floats into bf16x2 registers. The mma's register a[0] holds its logical
// k = 2t, 2t+1; we put the physical k = t, t+4 there (and 8+t, 12+t in
// a[2]), and the same for B. That permutes the 16 k of the step, the same
// permutation for A and B, which leaves the sum over k unchanged, and lets
// the BF16 path use the TF32 path's ldmatrix loads as they are.
#pragma once

#include "mma.cuh"

#if SEMGAN_TENSOR_CORES

#define MMA_TILE_M 128
#define MMA_TILE_N 64
#define MMA_TILE_K 32
#define MMA_THREADS 256

// The two stages of both operand tiles: 48 KiB, all the static shared
// memory a block may have (and the emulator's limit). That is what sets the
// tile at 128 x 64: 128 x 128 with k-tiles of 32 would need 64 KiB.
struct alignas(16) MmaSmem {
  float a[2][MMA_TILE_M * MMA_TILE_K];
  float b[2][MMA_TILE_N * MMA_TILE_K];
};

// MatrixOperand is a dense operand: element (r, k) at p[r*ld + k] when
// K_FAST, at p[k*ld + r] otherwise.
template <bool K_FAST_>
struct MatrixOperand {
  static constexpr bool K_FAST = K_FAST_;
  const float *p;
  int ld;
  bool aligned;  // p and ld allow 16-byte copies (used only when K_FAST)

  __device__ __forceinline__ const float *at(int r, int k) const {
    return K_FAST ? p + (size_t)r * ld + k : p + (size_t)k * ld + r;
  }
  __device__ __forceinline__ bool vec() const { return K_FAST && aligned; }
};

// GatherOperand is an operand whose element addresses come from a functor
// f(r, k) (nullptr for a zero); p is any valid address of the tensor.
template <bool K_FAST_, class F>
struct GatherOperand {
  static constexpr bool K_FAST = K_FAST_;
  const float *p;
  F f;

  __device__ __forceinline__ const float *at(int r, int k) const { return f(r, k); }
  __device__ __forceinline__ bool vec() const { return false; }
};

// gather_operand returns the GatherOperand of f over the tensor at p.
template <bool K_FAST, class F>
__device__ __forceinline__ GatherOperand<K_FAST, F> gather_operand(const float *p, F f) {
  return {p, f};
}

// matrix_operand returns the operand over p with leading dimension ld,
// allowing 16-byte copies where the rows are aligned.
template <bool K_FAST>
__device__ __forceinline__ MatrixOperand<K_FAST> matrix_operand(const float *p, int ld) {
  return {p, ld, ld % 4 == 0 && (size_t)p % 16 == 0};
}

// mma_swz is the offset of element (r, k) in a [row][32 k] stage: chunk
// k/4 of row r, swizzled.
static __device__ __forceinline__ int mma_swz(int r, int k) {
  return r * MMA_TILE_K + ((((k >> 2) ^ (r & 7)) << 2) | (k & 3));
}

// mma_load starts the copies of a ROWS x 32 stage of operand op, rows
// r0.. (of rows) and k0.. (of K), into s; every slot is written, with zeros
// where there is no element.
template <int ROWS, class Op>
__device__ __forceinline__ void mma_load(const Op &op, int rows, int K, int r0, int k0, float *s) {
  int tid = threadIdx.x;
  if (op.vec()) {
    // 8 chunks of 4 k a row; src_bytes cuts the last chunk of K.
    UNROLL
    for (int i = 0; i < ROWS * 8 / MMA_THREADS; i++) {
      int e = tid + MMA_THREADS * i, r = e >> 3, k = (e & 7) << 2;
      int n = r0 + r < rows ? max(0, min(4, K - (k0 + k))) : 0;
      cp_async_16(&s[mma_swz(r, k)], n ? op.at(r0 + r, k0 + k) : op.p, 4 * n);
    }
    return;
  }
  // One element a thread. A warp takes 32 consecutive k of a row when k
  // is contiguous in memory; otherwise 8 consecutive rows times 4 k, which
  // reads 32-byte segments of memory and, with the swizzle, writes 32
  // different banks (32 rows of one k would hit 8 banks 4 times each).
  UNROLL_BY(4)  // not fully: that holds every address in a register at once
  for (int i = 0; i < ROWS * MMA_TILE_K / MMA_THREADS; i++) {
    int e = tid + MMA_THREADS * i, r, k;
    if (Op::K_FAST) {
      r = e >> 5, k = e & 31;
    } else {
      int lane = e & 31, group = e >> 5;  // ROWS/8 groups of rows times 8 of k
      r = 8 * (group % (ROWS / 8)) + (lane & 7), k = 4 * (group / (ROWS / 8)) + (lane >> 3);
    }
    const float *src = r0 + r < rows && k0 + k < K ? op.at(r0 + r, k0 + k) : nullptr;
    cp_async_4(&s[mma_swz(r, k)], src ? src : op.p, src ? 4 : 0);
  }
}

// MmaFrags holds one k8 slice of a warp's operands as floats, in the TF32
// fragment layouts: a[i] for the rows 16i.. of the warp, b[j] for its
// columns 8j...
struct MmaFrags {
  float a[2][4], b[4][2];
};

// mma_frags loads the k8 slice kb.. of the warp's operands from a stage.
static __device__ __forceinline__ void mma_frags(const float *sa, const float *sb, int wm, int wn, int kb,
                                                 MmaFrags &f) {
  // This lane addresses row lr of ldmatrix matrix li.
  int lane = threadIdx.x & 31, li = lane >> 3, lr = lane & 7;
  uint32_t r[4];
  UNROLL
  for (int i = 0; i < 2; i++) {
    // Matrices: rows +0 / +8 (li & 1) times k +0 / +4 (li >> 1).
    ldmatrix_x4(r, &sa[mma_swz(wm + 16 * i + lr + 8 * (li & 1), kb + 4 * (li >> 1))]);
    UNROLL
    for (int q = 0; q < 4; q++) f.a[i][q] = bits_float(r[q]);
  }
  UNROLL
  for (int j = 0; j < 4; j += 2) {
    // Matrices: k +0 / +4 (li & 1) times n-tile j / j+1 (li >> 1).
    ldmatrix_x4(r, &sb[mma_swz(wn + 8 * j + lr + 8 * (li >> 1), kb + 4 * (li & 1))]);
    f.b[j][0] = bits_float(r[0]);
    f.b[j][1] = bits_float(r[1]);
    f.b[j + 1][0] = bits_float(r[2]);
    f.b[j + 1][1] = bits_float(r[3]);
  }
}

// mma_stage adds the products of one 32-k stage to the warp's accumulators.
template <int PREC>
__device__ __forceinline__ void mma_stage(const float *sa, const float *sb, int wm, int wn, float acc[2][4][4]) {
  if (PREC == PREC_TF32) {
    UNROLL
    for (int kb = 0; kb < MMA_TILE_K; kb += 8) {
      MmaFrags f;
      mma_frags(sa, sb, wm, wn, kb, f);
      uint32_t a[2][4], b[4][2];
      UNROLL
      for (int i = 0; i < 2; i++) {
        UNROLL
        for (int q = 0; q < 4; q++) a[i][q] = tf32_operand(f.a[i][q]);
      }
      UNROLL
      for (int j = 0; j < 4; j++) {
        b[j][0] = tf32_operand(f.b[j][0]);
        b[j][1] = tf32_operand(f.b[j][1]);
      }
      UNROLL
      for (int i = 0; i < 2; i++) {
        UNROLL
        for (int j = 0; j < 4; j++) mma_tf32_m16n8k8(acc[i][j], a[i], b[j]);
      }
    }
  } else {
    UNROLL
    for (int kb = 0; kb < MMA_TILE_K; kb += 16) {
      // Slices kb.. and kb+8..; the pairs (t, t+4) of each are a register
      // (see the header comment).
      MmaFrags lo, hi;
      mma_frags(sa, sb, wm, wn, kb, lo);
      mma_frags(sa, sb, wm, wn, kb + 8, hi);
      uint32_t a[2][4], b[4][2];
      UNROLL
      for (int i = 0; i < 2; i++) {
        a[i][0] = bf16x2_operand(lo.a[i][0], lo.a[i][2]);  // row g
        a[i][1] = bf16x2_operand(lo.a[i][1], lo.a[i][3]);  // row g+8
        a[i][2] = bf16x2_operand(hi.a[i][0], hi.a[i][2]);
        a[i][3] = bf16x2_operand(hi.a[i][1], hi.a[i][3]);
      }
      UNROLL
      for (int j = 0; j < 4; j++) {
        b[j][0] = bf16x2_operand(lo.b[j][0], lo.b[j][1]);
        b[j][1] = bf16x2_operand(hi.b[j][0], hi.b[j][1]);
      }
      UNROLL
      for (int i = 0; i < 2; i++) {
        UNROLL
        for (int j = 0; j < 4; j++) mma_bf16_m16n8k16(acc[i][j], a[i], b[j]);
      }
    }
  }
}

// mma_gemm computes the tile at (m0, n0) of the M x N product of A (M x K)
// and B (K x N, given as N x K rows, see above) in precision prec
// (PREC_TF32 or PREC_BF16), and hands every element (m, n) of the tile
// inside M x N to epi(m, n, value), once, from one thread. Every thread of
// the block must call it (it holds barriers); sm must be __shared__.
template <class OpA, class OpB, class Epi>
__device__ __forceinline__ void mma_gemm(int prec, int M, int N, int K, int m0, int n0, const OpA &opa,
                                         const OpB &opb, const Epi &epi, MmaSmem &sm) {
  int warp = threadIdx.x >> 5, wm = 32 * (warp & 3), wn = 32 * (warp >> 2);
  float acc[2][4][4];
  UNROLL
  for (int i = 0; i < 2; i++) {
    UNROLL
    for (int j = 0; j < 4; j++) {
      UNROLL
      for (int q = 0; q < 4; q++) acc[i][j][q] = 0.0f;
    }
  }
  int tiles = (K + MMA_TILE_K - 1) / MMA_TILE_K;
  if (tiles > 0) {
    mma_load<MMA_TILE_M>(opa, M, K, m0, 0, sm.a[0]);
    mma_load<MMA_TILE_N>(opb, N, K, n0, 0, sm.b[0]);
  }
  cp_async_commit();
  for (int t = 0; t < tiles; t++) {
    // Start the next stage into the buffer freed by the barrier that ended
    // step t-1, then wait for this step's (the one group before it).
    if (t + 1 < tiles) {
      int k0 = (t + 1) * MMA_TILE_K, s = (t + 1) & 1;
      mma_load<MMA_TILE_M>(opa, M, K, m0, k0, sm.a[s]);
      mma_load<MMA_TILE_N>(opb, N, K, n0, k0, sm.b[s]);
    }
    cp_async_commit();  // possibly empty, so that the count below holds
    cp_async_wait(1);
    __syncthreads();  // every thread's copies of stage t have landed
    if (prec == PREC_BF16) {
      mma_stage<PREC_BF16>(sm.a[t & 1], sm.b[t & 1], wm, wn, acc);
    } else {
      mma_stage<PREC_TF32>(sm.a[t & 1], sm.b[t & 1], wm, wn, acc);
    }
    __syncthreads();  // stage t is read before step t+1 refills it
  }
  cp_async_wait(0);  // nothing is pending (the last group is empty)
  // Accumulator q of mma tile (i, j) is C[g + 8*(q/2)][2t + q%2] of the tile.
  int lane = threadIdx.x & 31, g = lane >> 2, tq = lane & 3;
  UNROLL
  for (int i = 0; i < 2; i++) {
    UNROLL
    for (int j = 0; j < 4; j++) {
      UNROLL
      for (int q = 0; q < 4; q++) {
        int m = m0 + wm + 16 * i + g + 8 * (q >> 1), n = n0 + wn + 8 * j + 2 * tq + (q & 1);
        if (m < M && n < N) epi(m, n, acc[i][j][q]);
      }
    }
  }
}

#endif  // SEMGAN_TENSOR_CORES
