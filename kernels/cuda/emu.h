// emu.h: the CUDA device API as plain C++, for the cudaemu emulator.
//
// The .cu files of kernels/cuda are compiled twice: by nvcc into PTX for a
// GPU, and by the C++ compiler of cgo, with SEMGAN_EMU defined, into the
// emulator (emu.cc). Under SEMGAN_EMU, common.cuh includes this header
// instead of the CUDA headers. It maps what the kernels use onto the
// emulator's scheduler:
//
//   - every CUDA thread of a block is an OS thread; only one of them runs at
//     a time (it holds the "baton"), and it runs until it waits at a barrier,
//     a warp exchange, or returns. Blocks run one after another, so a
//     __shared__ variable can be a function-local static;
//   - __syncthreads() is a barrier that records its call site: threads
//     arriving from different sites, or a thread returning while others wait,
//     is reported as divergence, and a launch where no thread can run but
//     some have not returned is reported as a deadlock;
//   - __shfl_xor_sync and __shfl_down_sync exchange values through a
//     per-warp array (double-buffered) and a warp barrier that checks the
//     call site and the mask (full masks only);
//   - the tensor-core primitives of mma.cuh are warp-collective calls on the
//     same exchange (warp_gather), which also need a warp of 32 threads:
//     mma.sync hands every lane all 32 lanes' fragments and each lane
//     computes its own part of D from them, with the PTX ISA's layouts;
//     ldmatrix hands every lane the 32 row addresses and each lane reads
//     its words of shared memory (a row address not 16-byte aligned aborts
//     the launch);
//   - cp.async copies are queued per thread, in commit groups, and done only
//     when a cp_async_wait covers their group: the latest moment the PTX
//     ISA allows, so that shared memory read before the wait shows the
//     0xff poison (below). A thread that returns with copies pending, or a
//     copy whose size, alignment or src_bytes is wrong, aborts the launch;
//   - dynamic shared memory (DYNAMIC_SHARED in common.cuh) is one buffer
//     filled with 0xff bytes (NaN as float) before every block, so a read of
//     a slot nobody wrote shows up as NaN. Static __shared__ arrays are not
//     poisoned: they keep the previous block's values;
//   - atomicAdd is std::atomic_ref (only one thread runs at a time, but the
//     kernels' code is the same as on the device);
//   - device memory lies between canaries that are checked after every
//     launch (emu.cc), and a block that runs longer than the watchdog's limit
//     aborts the launch.
//
// Switching threads costs an OS context switch (microseconds), so the
// emulator suits tests on small shapes, not timing.
//
// The order in which the threads of a block take the baton alternates
// between ascending and descending thread index, from block to block and
// after every barrier, so a missing barrier between a write by one thread and
// a read by another shows up in one of the two orders.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <atomic>
#include <type_traits>
#include <utility>

// A thread, block or grid index or size, as in CUDA.
struct uint3 {
  unsigned x, y, z;
};

// A launch shape with default extents of 1, as in CUDA.
struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu {

// Calls that hand the baton on; file and line name the call site for the
// divergence checks. They throw emu::Abort when the launch is being aborted.
void syncthreads(const char *file, int line);
uint64_t shfl(unsigned mask, uint64_t v, int src_lane_xor, int src_lane_down,
              const char *file, int line);
// The dynamic shared memory of the running block.
void *dynamic_shared();

// warp_gather hands every lane of the caller's warp the `bytes` bytes (at
// most 32) at `mine` of all 32 lanes, lane l's at all + l*bytes: the
// exchange under the warp-collective calls below, with the shuffles'
// checks (a full warp, one call site; what names the call in messages).
void warp_gather(const void *mine, size_t bytes, void *all, const char *what, const char *file, int line);

// The tensor-core primitives of mma.cuh, which documents their fragment
// layouts; a, b and d are the calling lane's registers. mma_* add A*B to d,
// the products exact and their sum rounded once into each float of d; a
// TF32 operand loses the low 13 bits of its register, as on the device.
void mma_tf32_m16n8k8(float d[4], const uint32_t a[4], const uint32_t b[2], const char *file, int line);
void mma_bf16_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2], const char *file, int line);
// ldmatrix loads n (1, 2 or 4) 8x8 b16 matrices into r[0..n-1]; row is the
// caller's row address (lanes 8i..8i+7 address matrix i), 16-byte aligned.
void ldmatrix(uint32_t *r, int n, bool trans, const void *row, const char *file, int line);
// cp_async queues a copy of src_bytes (0..bytes) from src to dst, zero
// filling dst up to bytes (4, 8 or 16, the alignment of both); it lands at
// the cp_async_wait that covers its group, not before. cp_async_commit
// closes the caller's current group; cp_async_wait(n) performs the copies
// of all its committed groups but the newest n.
void cp_async(void *dst, const void *src, int bytes, int src_bytes);
void cp_async_commit();
void cp_async_wait(int n);

// shfl_xor returns v of lane (lane ^ lane_mask), as __shfl_xor_sync.
template <class T>
T shfl_xor(unsigned mask, T v, int lane_mask, const char *file, int line) {
  static_assert(sizeof(T) <= 8, "shuffle of a value larger than 8 bytes");
  uint64_t s = 0;
  memcpy(&s, &v, sizeof(T));  // the value travels in an 8-byte slot
  s = shfl(mask, s, lane_mask, -1, file, line);
  memcpy(&v, &s, sizeof(T));
  return v;
}

// shfl_down returns v of lane (lane + delta), or the caller's own v past
// the end of the warp, as __shfl_down_sync.
template <class T>
T shfl_down(unsigned mask, T v, unsigned delta, const char *file, int line) {
  static_assert(sizeof(T) <= 8, "shuffle of a value larger than 8 bytes");
  uint64_t s = 0;
  memcpy(&s, &v, sizeof(T));
  s = shfl(mask, s, -1, (int)delta, file, line);
  memcpy(&v, &s, sizeof(T));
  return v;
}

// Kernel is an entry of the emulator's kernel table: a __global__ function
// called with its arguments unpacked from 8-byte slots, as the CUDA driver
// reads them (a 4-byte int or float from the low half of its slot).
struct Kernel {
  const char *name;
  int nargs;
  bool is_ptr[32];  // which arguments are pointers, checked before a launch
  void (*call)(const uint64_t *slots);
};

// from_slot reads an argument of type T from its slot.
template <class T>
T from_slot(uint64_t s) {
  T v;
  memcpy(&v, &s, sizeof(T));
  return v;
}

template <class... A, size_t... I>
void invoke(void (*f)(A...), const uint64_t *s, std::index_sequence<I...>) {
  f(from_slot<A>(s[I])...);
}

template <class... A>
void invoke_slots(void (*f)(A...), const uint64_t *s) {
  invoke(f, s, std::index_sequence_for<A...>{});
}

// trampoline calls the kernel F with arguments taken from slots.
template <auto F>
void trampoline(const uint64_t *s) {
  invoke_slots(F, s);
}

// describe builds the table entry of kernel f.
template <class... A>
Kernel describe(const char *name, void (*)(A...), void (*call)(const uint64_t *)) {
  static_assert(sizeof...(A) <= 32, "a kernel with more than 32 arguments");
  Kernel k{name, (int)sizeof...(A), {}, call};
  const bool ptr[] = {std::is_pointer_v<A>..., false};
  for (size_t i = 0; i < sizeof...(A); i++) k.is_ptr[i] = ptr[i];
  return k;
}

// The table, in emu_kernels.cc.
extern const Kernel kernels[];
extern const int kernel_count;

}  // namespace emu

// The built-in variables. threadIdx is per OS thread; the others are set by
// the launcher before a block starts and are the same for all its threads.
inline thread_local uint3 threadIdx;
inline uint3 blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

// EMU_KERNEL(f) is the table entry of the __global__ function f.
#define EMU_KERNEL(f) ::emu::describe(#f, &f, &::emu::trampoline<&f>)

// Qualifiers mean nothing on the host.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Blocks run one after another, so one static copy serves every block.
#define __shared__ static

#define __syncthreads() ::emu::syncthreads(__FILE__, __LINE__)
// The width argument of the CUDA intrinsics is not supported: always 32.
#define __shfl_xor_sync(mask, v, lane_mask) ::emu::shfl_xor(mask, v, lane_mask, __FILE__, __LINE__)
#define __shfl_down_sync(mask, v, delta) ::emu::shfl_down(mask, v, delta, __FILE__, __LINE__)

// atomicAdd on float, as on the device: returns the old value.
inline float atomicAdd(float *p, float v) {
  return std::atomic_ref<float>(*p).fetch_add(v);
}

// Integer min and max, which CUDA provides as device functions.
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
// rsqrtf is a CUDA math function missing from C's math.h.
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
