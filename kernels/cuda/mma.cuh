// mma.cuh: operand rounding and the tensor-core primitives of the TF32 and
// BF16 kernels: warp-wide matrix multiply-accumulate (mma.sync), shared
// memory to fragment loads (ldmatrix) and asynchronous copies from global to
// shared memory (cp.async), after the PTX ISA.
//
// Precision codes are those of kernels.Precision: PREC_FP32, PREC_TF32,
// PREC_BF16; round_operand rounds exactly as kernels.Precision.Round does.
//
// The tensor-core primitives need sm_80 or newer. SEMGAN_TENSOR_CORES is 1
// where they exist: in device code for sm_80+, and in the emulator, which
// implements their warp-collective semantics with the fragment layouts of
// the PTX ISA (emu.h). Kernels that use them are defined only under
// SEMGAN_TENSOR_CORES, so the compute_70 PTX does not contain them and the
// Go side launches them only on devices that have them.
//
// Fragment layouts (PTX ISA, "Matrix fragments for mma.m16n8k8" and
// "mma.m16n8k16"), with g = lane / 4 and t = lane % 4:
//
//   TF32 m16n8k8, A 16x8 row-major, B 8x8 column-major, C/D 16x8 f32:
//     a[0] = A[g][t]    a[1] = A[g+8][t]    a[2] = A[g][t+4]    a[3] = A[g+8][t+4]
//     b[0] = B[t][g]    b[1] = B[t+4][g]
//     c[0] = C[g][2t]   c[1] = C[g][2t+1]   c[2] = C[g+8][2t]   c[3] = C[g+8][2t+1]
//
//   BF16 m16n8k16, two bf16 per 32-bit register, the lower column (A) or
//   row (B) in the lower half:
//     a[0] = A[g][2t..2t+1]      a[1] = A[g+8][2t..2t+1]
//     a[2] = A[g][2t+8..2t+9]    a[3] = A[g+8][2t+8..2t+9]
//     b[0] = B[2t..2t+1][g]      b[1] = B[2t+8..2t+9][g]
//     c as for TF32.
//
//   ldmatrix .m8n8 .b16: lanes 8i..8i+7 give the row addresses (16 bytes
//   each) of matrix i; register r[i] of lane l receives row l/4, 16-bit
//   columns 2(l%4) and 2(l%4)+1 of matrix i (with .trans: column l/4,
//   rows 2(l%4) and 2(l%4)+1). For 32-bit elements an 8x8 b16 matrix is an
//   8x4 matrix of floats and r[i] is its element [l/4][l%4].
#pragma once

#include "common.cuh"

#ifndef SEMGAN_EMU
#include <stdint.h>
#endif

#define PREC_FP32 0
#define PREC_TF32 1
#define PREC_BF16 2

#if defined(SEMGAN_EMU) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800)
#define SEMGAN_TENSOR_CORES 1
#else
#define SEMGAN_TENSOR_CORES 0
#endif

// float_bits and bits_float reinterpret between float and its bits.
static __device__ __forceinline__ uint32_t float_bits(float x) {
#ifdef SEMGAN_EMU
  uint32_t b;
  memcpy(&b, &x, 4);
  return b;
#else
  return __float_as_uint(x);
#endif
}

static __device__ __forceinline__ float bits_float(uint32_t b) {
#ifdef SEMGAN_EMU
  float x;
  memcpy(&x, &b, 4);
  return x;
#else
  return __uint_as_float(b);
#endif
}

// round_tf32 rounds x to TF32, ties away from zero (cvt.rna.tf32.f32);
// infinities and NaNs pass through.
static __device__ __forceinline__ float round_tf32(float x) {
  uint32_t b = float_bits(x);
  if ((b & 0x7f800000u) == 0x7f800000u) return x;
  return bits_float((b + 0x1000u) & ~0x1fffu);
}

// round_bf16 rounds x to bfloat16, ties to even, as a float; a NaN stays a
// (quiet) NaN.
static __device__ __forceinline__ float round_bf16(float x) {
  uint32_t b = float_bits(x);
  if ((b & 0x7f800000u) == 0x7f800000u) {
    return (b & 0x007fffffu) ? bits_float((b | 0x00400000u) & 0xffff0000u) : x;
  }
  return bits_float((b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u);
}

// round_operand rounds x as precision prec's multiplier sees it.
static __device__ __forceinline__ float round_operand(int prec, float x) {
  return prec == PREC_TF32 ? round_tf32(x) : prec == PREC_BF16 ? round_bf16(x) : x;
}

// tf32_operand returns x rounded to TF32, as the 32-bit register an mma
// operand is. On the device it is one cvt.rna.tf32.f32, which rounds as
// round_tf32 does.
static __device__ __forceinline__ uint32_t tf32_operand(float x) {
#if SEMGAN_TENSOR_CORES && !defined(SEMGAN_EMU)
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
#else
  return float_bits(round_tf32(x));
#endif
}

// bf16x2_operand returns lo and hi rounded to bfloat16 and packed into one
// register, lo in the lower half. On the device it is one
// cvt.rn.bf16x2.f32 (its first source goes to the upper half), which
// rounds as round_bf16 does; only a NaN's payload may differ.
static __device__ __forceinline__ uint32_t bf16x2_operand(float lo, float hi) {
#if SEMGAN_TENSOR_CORES && !defined(SEMGAN_EMU)
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
#else
  return (float_bits(round_bf16(lo)) >> 16) | (float_bits(round_bf16(hi)) & 0xffff0000u);
#endif
}

#if SEMGAN_TENSOR_CORES

#ifdef SEMGAN_EMU

// The emulator's implementations (emu.h, emu.cc); every lane of the warp must
// call them together, as on the device.
#define mma_tf32_m16n8k8(d, a, b) ::emu::mma_tf32_m16n8k8(d, a, b, __FILE__, __LINE__)
#define mma_bf16_m16n8k16(d, a, b) ::emu::mma_bf16_m16n8k16(d, a, b, __FILE__, __LINE__)
#define ldmatrix_x1(r, p) ::emu::ldmatrix(r, 1, false, p, __FILE__, __LINE__)
#define ldmatrix_x2(r, p) ::emu::ldmatrix(r, 2, false, p, __FILE__, __LINE__)
#define ldmatrix_x4(r, p) ::emu::ldmatrix(r, 4, false, p, __FILE__, __LINE__)
#define ldmatrix_x1_trans(r, p) ::emu::ldmatrix(r, 1, true, p, __FILE__, __LINE__)
#define ldmatrix_x2_trans(r, p) ::emu::ldmatrix(r, 2, true, p, __FILE__, __LINE__)
#define ldmatrix_x4_trans(r, p) ::emu::ldmatrix(r, 4, true, p, __FILE__, __LINE__)
#define cp_async_16(dst, src, src_bytes) ::emu::cp_async(dst, src, 16, src_bytes)
#define cp_async_8(dst, src, src_bytes) ::emu::cp_async(dst, src, 8, src_bytes)
#define cp_async_4(dst, src, src_bytes) ::emu::cp_async(dst, src, 4, src_bytes)
#define cp_async_commit() ::emu::cp_async_commit()
#define cp_async_wait(n) ::emu::cp_async_wait(n)

#else  // nvcc, sm_80 and newer

// mma_tf32_m16n8k8 computes d += A*B for one 16x8x8 tile held in the
// warp's fragments (layouts above); a and b are TF32 registers.
static __device__ __forceinline__ void mma_tf32_m16n8k8(float d[4], const uint32_t a[4], const uint32_t b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// mma_bf16_m16n8k16 computes d += A*B for one 16x8x16 tile; a and b hold
// bfloat16 pairs.
static __device__ __forceinline__ void mma_bf16_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// smem_addr is the shared-state-space address of a generic pointer into
// shared memory, as ldmatrix and cp.async take it.
static __device__ __forceinline__ unsigned smem_addr(const void *p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// ldmatrix_xN loads N 8x8 b16 matrices from shared memory; p is this lane's
// row address (lanes 8i..8i+7 address matrix i; lanes past 8N are ignored
// but must pass a valid address).
static __device__ __forceinline__ void ldmatrix_x1(uint32_t r[1], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];\n" : "=r"(r[0]) : "r"(smem_addr(p)));
}
static __device__ __forceinline__ void ldmatrix_x2(uint32_t r[2], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_addr(p)));
}
static __device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
static __device__ __forceinline__ void ldmatrix_x1_trans(uint32_t r[1], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];\n" : "=r"(r[0]) : "r"(smem_addr(p)));
}
static __device__ __forceinline__ void ldmatrix_x2_trans(uint32_t r[2], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(smem_addr(p)));
}
static __device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void *p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// cp_async_N starts a copy of N bytes from global src to shared dst (both
// aligned to N); only the first src_bytes (0..N) are read and the rest of
// dst is zero-filled, so a tile's edge needs no branch. The copy lands at
// the latest when a cp_async_wait covers its group.
static __device__ __forceinline__ void cp_async_16(void *dst, const void *src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(src_bytes));
}
static __device__ __forceinline__ void cp_async_8(void *dst, const void *src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(src_bytes));
}
static __device__ __forceinline__ void cp_async_4(void *dst, const void *src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(src_bytes));
}

// cp_async_commit closes the group of this thread's copies started since
// the last commit.
static __device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// cp_async_wait(n) waits until at most n of this thread's committed groups
// are still in flight; n must be a constant. Other threads' copies need a
// __syncthreads() after it to be visible.
#define cp_async_wait(n) asm volatile("cp.async.wait_group %0;\n" ::"n"(n))

#endif  // SEMGAN_EMU
#endif  // SEMGAN_TENSOR_CORES
