// emumma.cu: kernels for the emulator's tests of the tensor-core primitives
// of mma.cuh (mma.sync, ldmatrix, cp.async), compiled into the cudaemu build
// only. Every kernel runs as one warp of 32 threads unless said otherwise.
#include "../mma.cuh"

// test_mma_raw runs one mma on fragments given register by register: lane l
// takes a[i] = a[4l+i] and b[j] = b[2l+j], starts from d = 0 and writes its
// d[i] to d[4l+i]. bf16 picks m16n8k16 over TF32 m16n8k8. The registers are
// used as given, without rounding, so a test can place any bits anywhere.
extern "C" __global__ void test_mma_raw(const uint32_t *a, const uint32_t *b, float *d, int bf16) {
  int l = threadIdx.x;
  uint32_t ra[4] = {a[4 * l], a[4 * l + 1], a[4 * l + 2], a[4 * l + 3]};
  uint32_t rb[2] = {b[2 * l], b[2 * l + 1]};
  float rd[4] = {0, 0, 0, 0};
  if (bf16) {
    mma_bf16_m16n8k16(rd, ra, rb);
  } else {
    mma_tf32_m16n8k8(rd, ra, rb);
  }
  for (int i = 0; i < 4; i++) d[4 * l + i] = rd[i];
}

// Fragment layouts test_mma_tile can build: the documented one, and two
// plausible mistakes.
#define LAYOUT_RIGHT 0
#define LAYOUT_SWAP_A12 1   // a[1] and a[2] exchanged
#define LAYOUT_B_COLMAJOR 2  // B (row-major) indexed as if column-major

// test_mma_tile computes C (16x8, row-major) = A (16xk, row-major) times B
// (kx8, row-major) with k/8 TF32 or k/16 BF16 mma steps (bf16 0 or 1),
// building the fragments straight from global memory with the layouts of
// mma.cuh (or a wrong one, see LAYOUT_*). round 0 hands the TF32 mma the
// unrounded float bits, which the tensor core truncates.
extern "C" __global__ void test_mma_tile(const float *A, const float *B, float *C, int k, int bf16, int layout,
                                         int round) {
  int l = threadIdx.x, g = l / 4, t = l % 4;
  // A[r][c], and B[r][c] or, under LAYOUT_B_COLMAJOR, the element at
  // [c][r] of B taken as column-major (c*k + r).
#define AT(r, c) A[(r) * k + (c)]
#define BT(r, c) (layout == LAYOUT_B_COLMAJOR ? B[(c) * k + (r)] : B[(r) * 8 + (c)])
  float d[4] = {0, 0, 0, 0};
  if (!bf16) {
    for (int k0 = 0; k0 < k; k0 += 8) {
      float fa[4] = {AT(g, k0 + t), AT(g + 8, k0 + t), AT(g, k0 + t + 4), AT(g + 8, k0 + t + 4)};
      float fb[2] = {BT(k0 + t, g), BT(k0 + t + 4, g)};
      if (layout == LAYOUT_SWAP_A12) {
        float s = fa[1];
        fa[1] = fa[2], fa[2] = s;
      }
      uint32_t a[4], b[2];
      for (int i = 0; i < 4; i++) a[i] = round ? tf32_operand(fa[i]) : float_bits(fa[i]);
      for (int i = 0; i < 2; i++) b[i] = round ? tf32_operand(fb[i]) : float_bits(fb[i]);
      mma_tf32_m16n8k8(d, a, b);
    }
  } else {
    for (int k0 = 0; k0 < k; k0 += 16) {
      uint32_t a[4] = {bf16x2_operand(AT(g, k0 + 2 * t), AT(g, k0 + 2 * t + 1)),
                       bf16x2_operand(AT(g + 8, k0 + 2 * t), AT(g + 8, k0 + 2 * t + 1)),
                       bf16x2_operand(AT(g, k0 + 2 * t + 8), AT(g, k0 + 2 * t + 9)),
                       bf16x2_operand(AT(g + 8, k0 + 2 * t + 8), AT(g + 8, k0 + 2 * t + 9))};
      uint32_t b[2] = {bf16x2_operand(BT(k0 + 2 * t, g), BT(k0 + 2 * t + 1, g)),
                       bf16x2_operand(BT(k0 + 2 * t + 8, g), BT(k0 + 2 * t + 9, g))};
      if (layout == LAYOUT_SWAP_A12) {
        uint32_t s = a[1];
        a[1] = a[2], a[2] = s;
      }
      mma_bf16_m16n8k16(d, a, b);
    }
  }
#undef AT
#undef BT
  C[g * 8 + 2 * t] = d[0];
  C[g * 8 + 2 * t + 1] = d[1];
  C[(g + 8) * 8 + 2 * t] = d[2];
  C[(g + 8) * 8 + 2 * t + 1] = d[3];
}

// test_mma_divergent calls an mma from lanes below `calling` only; the
// others return. Launched with fewer than 32 threads, every thread calls it
// in a partial warp.
extern "C" __global__ void test_mma_divergent(float *d, int calling) {
  uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  float rd[4] = {0, 0, 0, 0};
  if ((int)threadIdx.x >= calling) return;
  mma_tf32_m16n8k8(rd, a, b);
  d[threadIdx.x] = rd[0];
}

// test_ldmatrix fills 512 b16 values of dynamic shared memory with their
// index and loads n (1, 2, 4) 8x8 matrices, transposed if trans: row r of
// matrix i is the 8 values at 32r + 8i. Lane l writes its registers to
// out[4l .. 4l+n-1]. Lanes past 8n pass a misaligned address, which must be
// ignored; with misalign, lane 3 passes a row address 8 bytes off.
extern "C" __global__ void test_ldmatrix(uint32_t *out, int n, int trans, int misalign) {
  DYNAMIC_SHARED(uint16_t, s);
  int l = threadIdx.x;
  for (int j = l; j < 512; j += 32) s[j] = (uint16_t)j;
  __syncthreads();
  const uint16_t *row = l < 8 * n ? s + 32 * (l % 8) + 8 * (l / 8) : s + 1;
  if (misalign && l == 3) row += 4;
  uint32_t r[4] = {0, 0, 0, 0};
  if (n == 1 && !trans) ldmatrix_x1(r, row);
  if (n == 2 && !trans) ldmatrix_x2(r, row);
  if (n == 4 && !trans) ldmatrix_x4(r, row);
  if (n == 1 && trans) ldmatrix_x1_trans(r, row);
  if (n == 2 && trans) ldmatrix_x2_trans(r, row);
  if (n == 4 && trans) ldmatrix_x4_trans(r, row);
  for (int i = 0; i < 4; i++) out[4 * l + i] = r[i];
}

// test_cp_async: thread t copies x[8t .. 8t+3] (chunk A, 16 bytes) and
// x[8t+4 .. 8t+7] (chunk B, of which src_bytes are read; none at all, from
// a null pointer, when src_bytes is 0) into dynamic shared memory, then
// writes what it sees there to y[8t .. 8t+7]. mode orders the calls:
//   0: A, B, commit, wait(0), read          (the data)
//   1: A, B, commit, read, wait(0)          (the poison)
//   2: A, commit, B, commit, wait(1), read, wait(0)  (A landed, B not)
//   3: A, B, commit, read                   (never waited for)
//   4: A, B, wait(0), read                  (never committed)
//   5: A to a destination 8 bytes off       (misaligned)
extern "C" __global__ void test_cp_async(const float *x, float *y, int src_bytes, int mode) {
  DYNAMIC_SHARED(float, s);
  int t = threadIdx.x;
  float *a = s + 8 * t, *b = s + 8 * t + 4;
  const float *bsrc = src_bytes > 0 ? x + 8 * t + 4 : nullptr;
  cp_async_16(mode == 5 ? a + 2 : a, x + 8 * t, 16);
  if (mode == 2) cp_async_commit();
  cp_async_16(b, bsrc, src_bytes);
  if (mode != 4) cp_async_commit();
  if (mode == 0 || mode == 4) cp_async_wait(0);
  if (mode == 2) cp_async_wait(1);
  for (int j = 0; j < 8; j++) y[8 * t + j] = s[8 * t + j];
  if (mode == 1 || mode == 2) cp_async_wait(0);
}
