// attention.cu: fused dot-product attention with channel-major operands
// (kernels.AttentionParams): for each batch entry b and query j,
//
//   s_ji = scale * sum_d q[d,j] k[d,i],   o[:,j] = sum_i softmax_i(s_j)_i v[:,i],
//   lse_j = log sum_i exp(s_ji).
//
// Two versions. The FP32 kernels (the *_f32 below) run on every device and
// in every precision, rounding the products' operands for TF32 and BF16;
// they are what FP32 always runs. The tensor-core kernels (*_tf32, *_bf16,
// at the end of the file, sm_80 and newer) run TF32 and BF16 where the
// device has tensor cores: FlashAttention-2's loop structure, the scores,
// softmax state and outputs in registers, the products on mma.sync.
//
// Forward (FlashAttention-style): one block of 256 threads per tile of T
// queries of one batch entry; it walks the keys in tiles of T, keeping for
// each query the running maximum m, the running sum l of exp(s - m) and the
// unnormalised output in shared memory, rescaling them when the maximum
// grows (online softmax). The Nq x Nk matrix never exists: only a T x T
// tile of it, in shared memory.
//
// Backward: attention_rowdot_f32 computes D_j = sum_c do[c,j] o[c,j]; then
// two kernels recompute the probabilities p_ji = exp(s_ji - lse_j) tile by
// tile, with ds_ji = p_ji (sum_c do[c,j] v[c,i] - D_j):
//   attention_backward_dq_f32   a block per query tile:  dq[:,j] += scale * sum_i ds_ji k[:,i]
//   attention_backward_dkdv_f32 a block per key tile:    dk[:,i] += scale * sum_j ds_ji q[:,j]
//                                                         dv[:,i] += sum_j p_ji do[:,j]
// so that every output element is owned by one block (no atomics).
//
// T is chosen by the host so that the dynamic shared memory (layouts below)
// fits in 48 KiB; grid (ceil(N/T), Batch). The T x T tiles of scores (P,
// dS) have rows of TP = T + 1 floats: loops whose 32 lanes walk down a
// column of such a tile then touch 32 different banks instead of one (with
// rows of T = 32 floats every lane would wait on the same bank).
//
// Precision: these kernels take prec (PREC_FP32, PREC_TF32, PREC_BF16) and
// round every operand of a product with round_operand as they stage it: q,
// k, v and do as their tiles are loaded, the weights p as the forward's
// O += V P reads them (l sums them unrounded), and the backward's p and ds
// as they are stored for dv, dq and dk. The softmax, lse, D and every sum
// stay float32. With PREC_FP32 round_operand is the identity and the
// arithmetic and its order are as they were, so the FP32 results are those
// of the kernels before precision existed. (prec stays a run-time value:
// compiling a body per precision into one kernel raised the forward's
// registers on sm_70 from 96 to 134.) They are the only kernels for FP32,
// and the TF32 and BF16 kernels of devices without tensor cores.
#include "mma.cuh"

// PV_ROWS is how many output channels a thread of the forward kernel
// accumulates at once (in registers).
#define PV_ROWS 8

// attention_forward_f32: the forward pass of every device and precision;
// grid (ceil(Nq/T), Batch), attnBlock threads (a multiple of T), shared
// memory as laid out below; prec is a PREC_* code.
extern "C" __global__ void attention_forward_f32(const float *__restrict__ q, const float *__restrict__ k,
                                                 const float *__restrict__ v, float *__restrict__ o,
                                                 float *__restrict__ lse, int Dk, int Dv, int Nq, int Nk,
                                                 float scale, int T, int prec) {
  // Shared layout: Qs [Dk][T], Ks [Dk][T], Vs [Dv][T], P [T][TP], Os [Dv][T],
  // m [T], l [T], corr [T].
  DYNAMIC_SHARED(float, smem);
  int TP = T + 1;
  float *Qs = smem, *Ks = Qs + Dk * T, *Vs = Ks + Dk * T, *P = Vs + Dv * T, *Os = P + T * TP;
  float *m = Os + Dv * T, *l = m + T, *corr = l + T;
  int b = blockIdx.y, j0 = blockIdx.x * T, tid = threadIdx.x, nt = blockDim.x;
  int lane = tid & 31, warp = tid >> 5, warps = nt >> 5;
  q += (size_t)b * Dk * Nq, k += (size_t)b * Dk * Nk, v += (size_t)b * Dv * Nk;
  for (int e = tid; e < Dk * T; e += nt) {
    int d = e / T, j = e % T;
    Qs[e] = j0 + j < Nq ? round_operand(prec, q[(size_t)d * Nq + j0 + j]) : 0.0f;
  }
  for (int e = tid; e < Dv * T; e += nt) Os[e] = 0.0f;
  for (int j = tid; j < T; j += nt) m[j] = -INFINITY, l[j] = 0.0f;
  for (int i0 = 0; i0 < Nk; i0 += T) {
    for (int e = tid; e < Dk * T; e += nt) {
      int d = e / T, i = e % T;
      Ks[e] = i0 + i < Nk ? round_operand(prec, k[(size_t)d * Nk + i0 + i]) : 0.0f;
    }
    for (int e = tid; e < Dv * T; e += nt) {
      int c = e / T, i = e % T;
      Vs[e] = i0 + i < Nk ? round_operand(prec, v[(size_t)c * Nk + i0 + i]) : 0.0f;
    }
    __syncthreads();  // Q (first time), K and V tiles loaded; O, m, l initialised
    // Scores of the tile; keys past the end get -inf, so weight 0.
    for (int e = tid; e < T * T; e += nt) {
      int j = e / T, i = e % T;
      float s = 0.0f;
      for (int d = 0; d < Dk; d++) s += Qs[d * T + j] * Ks[d * T + i];
      P[j * TP + i] = i0 + i < Nk ? scale * s : -INFINITY;
    }
    __syncthreads();
    // Online softmax, a warp per query, its lanes over the keys: the new
    // maximum, the weights relative to it, and the factor corr that
    // rescales what was summed relative to the old maximum. (The loop's
    // bounds are the same in every lane, as the shuffles need.)
    for (int j = warp; j < T; j += warps) {
      float mx = m[j];
      for (int i = lane; i < T; i += 32) mx = fmaxf(mx, P[j * TP + i]);
      mx = warp_max(mx);
      float sum = 0.0f;
      for (int i = lane; i < T; i += 32) {
        float p = expf(P[j * TP + i] - mx);
        P[j * TP + i] = p;
        sum += p;
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        corr[j] = expf(m[j] - mx);  // 0 on the first tile, where m = -inf
        l[j] = l[j] * corr[j] + sum;
        m[j] = mx;
      }
    }
    __syncthreads();
    // O[c][j] = corr_j O[c][j] + sum_i P[j][i] V[c][i]. T divides 32, so
    // T divides the block and each thread keeps one query j; it takes
    // channels PV_ROWS at a time, loading each P[j][i] once for all of them.
    {
      int j = tid % T, stride = nt / T;
      for (int c0 = tid / T; c0 < Dv; c0 += PV_ROWS * stride) {
        float acc[PV_ROWS];
        for (int r = 0; r < PV_ROWS; r++) {
          int c = c0 + r * stride;
          acc[r] = c < Dv ? Os[c * T + j] * corr[j] : 0.0f;
        }
        for (int i = 0; i < T; i++) {
          float p = round_operand(prec, P[j * TP + i]);  // l summed P unrounded
          for (int r = 0; r < PV_ROWS; r++) {
            int c = min(c0 + r * stride, Dv - 1);  // rows past Dv are computed but not stored
            acc[r] += p * Vs[c * T + i];
          }
        }
        for (int r = 0; r < PV_ROWS; r++) {
          int c = c0 + r * stride;
          if (c < Dv) Os[c * T + j] = acc[r];
        }
      }
    }
    __syncthreads();  // before the next tile overwrites K, V and P
  }
  o += (size_t)b * Dv * Nq;
  for (int e = tid; e < Dv * T; e += nt) {
    int c = e / T, j = e % T;
    if (j0 + j < Nq) o[(size_t)c * Nq + j0 + j] = Os[e] / l[j];
  }
  for (int j = tid; j < T; j += nt) {
    if (j0 + j < Nq) lse[(size_t)b * Nq + j0 + j] = m[j] + logf(l[j]);
  }
}

// D[b,j] = sum_c do[b,c,j] o[b,c,j], a thread per (b, j); total = Batch*Nq.
extern "C" __global__ void attention_rowdot_f32(const float *__restrict__ o, const float *__restrict__ dout,
                                                float *__restrict__ D, int Dv, int Nq, int total) {
  for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < total; t += blockDim.x * gridDim.x) {
    int b = t / Nq, j = t % Nq;
    const float *ob = o + (size_t)b * Dv * Nq + j, *db = dout + (size_t)b * Dv * Nq + j;
    float s = 0.0f;
    for (int c = 0; c < Dv; c++) s += ob[(size_t)c * Nq] * db[(size_t)c * Nq];
    D[t] = s;
  }
}

// attn_ds computes, for the tile pair in shared memory, p_ji and
// ds_ji = p_ji (dp_ji - D_j), with dp_ji = sum_c dO[c][j] V[c][i], into P (if
// not null) and dS, both [T][T+1] with j the query. Rows and columns past
// the ends (nq, nk valid) get 0. Both are stored rounded with prec, as the
// operands of the products that read them (ds itself is computed from the
// unrounded p).
static __device__ __forceinline__ void attn_ds(const float *Qs, const float *Ks, const float *Vs, const float *dOs,
                                               const float *lse_s, const float *D_s, float *P, float *dS, int Dk,
                                               int Dv, int T, int nq, int nk, float scale, int prec) {
  for (int e = threadIdx.x; e < T * T; e += blockDim.x) {
    int j = e / T, i = e % T;
    float p = 0.0f, dp = 0.0f;
    if (j < nq && i < nk) {
      float s = 0.0f;
      for (int d = 0; d < Dk; d++) s += Qs[d * T + j] * Ks[d * T + i];
      p = expf(scale * s - lse_s[j]);
      for (int c = 0; c < Dv; c++) dp += dOs[c * T + j] * Vs[c * T + i];
    }
    if (P) P[j * (T + 1) + i] = round_operand(prec, p);
    dS[j * (T + 1) + i] = round_operand(prec, p * (dp - D_s[j]));
  }
}

// attn_load copies columns [c0, c0+T) of the [rows, n] matrix src into the
// [rows][T] tile dst, zero past n, each element rounded with prec (PREC_FP32
// for tiles that are not product operands).
static __device__ __forceinline__ void attn_load(float *dst, const float *__restrict__ src, int rows, int n, int c0,
                                                 int T, int prec) {
  for (int e = threadIdx.x; e < rows * T; e += blockDim.x) {
    int r = e / T, c = e % T;
    dst[e] = c0 + c < n ? round_operand(prec, src[(size_t)r * n + c0 + c]) : 0.0f;
  }
}

// attention_backward_dq_f32: dq += scale dS K, a block per query tile of T;
// grid (ceil(Nq/T), Batch); prec is a PREC_* code.
extern "C" __global__ void attention_backward_dq_f32(const float *__restrict__ q, const float *__restrict__ k,
                                                     const float *__restrict__ v, const float *__restrict__ lse,
                                                     const float *__restrict__ D, const float *__restrict__ dout,
                                                     float *__restrict__ dq, int Dk, int Dv, int Nq, int Nk,
                                                     float scale, int T, int prec) {
  // Shared layout: Qs, Ks, dQs [Dk][T]; dOs, Vs [Dv][T]; dS [T][TP]; lse, D [T].
  DYNAMIC_SHARED(float, smem);
  int TP = T + 1;
  float *Qs = smem, *Ks = Qs + Dk * T, *dQs = Ks + Dk * T, *dOs = dQs + Dk * T, *Vs = dOs + Dv * T;
  float *dS = Vs + Dv * T, *lse_s = dS + T * TP, *D_s = lse_s + T;
  int b = blockIdx.y, j0 = blockIdx.x * T, tid = threadIdx.x, nt = blockDim.x;
  q += (size_t)b * Dk * Nq, k += (size_t)b * Dk * Nk, v += (size_t)b * Dv * Nk, dout += (size_t)b * Dv * Nq;
  attn_load(Qs, q, Dk, Nq, j0, T, prec);
  attn_load(dOs, dout, Dv, Nq, j0, T, prec);
  attn_load(lse_s, lse + (size_t)b * Nq, 1, Nq, j0, T, PREC_FP32);
  attn_load(D_s, D + (size_t)b * Nq, 1, Nq, j0, T, PREC_FP32);
  for (int e = tid; e < Dk * T; e += nt) dQs[e] = 0.0f;
  int nq = min(T, Nq - j0);
  for (int i0 = 0; i0 < Nk; i0 += T) {
    attn_load(Ks, k, Dk, Nk, i0, T, prec);
    attn_load(Vs, v, Dv, Nk, i0, T, prec);
    __syncthreads();  // the tiles are loaded
    attn_ds(Qs, Ks, Vs, dOs, lse_s, D_s, nullptr, dS, Dk, Dv, T, nq, min(T, Nk - i0), scale, prec);
    __syncthreads();
    for (int e = tid; e < Dk * T; e += nt) {
      int d = e / T, j = e % T;
      float acc = 0.0f;
      for (int i = 0; i < T; i++) acc += dS[j * TP + i] * Ks[d * T + i];
      dQs[e] += scale * acc;
    }
    __syncthreads();  // before K, V and dS are overwritten
  }
  dq += (size_t)b * Dk * Nq;
  for (int e = tid; e < Dk * T; e += nt) {
    int d = e / T, j = e % T;
    if (j < nq) dq[(size_t)d * Nq + j0 + j] += dQs[e];
  }
}

// attention_backward_dkdv_f32: dk += scale dS^T Q and dv += P^T dO (a null
// one skipped), a block per key tile of T; grid (ceil(Nk/T), Batch); prec is
// a PREC_* code.
extern "C" __global__ void attention_backward_dkdv_f32(const float *__restrict__ q, const float *__restrict__ k,
                                                       const float *__restrict__ v, const float *__restrict__ lse,
                                                       const float *__restrict__ D, const float *__restrict__ dout,
                                                       float *__restrict__ dk, float *__restrict__ dv, int Dk,
                                                       int Dv, int Nq, int Nk, float scale, int T, int prec) {
  // Shared layout: Ks, Qs, dKs [Dk][T]; Vs, dOs, dVs [Dv][T]; P, dS [T][TP];
  // lse, D [T].
  DYNAMIC_SHARED(float, smem);
  int TP = T + 1;
  float *Ks = smem, *Qs = Ks + Dk * T, *dKs = Qs + Dk * T, *Vs = dKs + Dk * T, *dOs = Vs + Dv * T;
  float *dVs = dOs + Dv * T, *P = dVs + Dv * T, *dS = P + T * TP, *lse_s = dS + T * TP, *D_s = lse_s + T;
  int b = blockIdx.y, i0 = blockIdx.x * T, tid = threadIdx.x, nt = blockDim.x;
  q += (size_t)b * Dk * Nq, k += (size_t)b * Dk * Nk, v += (size_t)b * Dv * Nk, dout += (size_t)b * Dv * Nq;
  attn_load(Ks, k, Dk, Nk, i0, T, prec);
  attn_load(Vs, v, Dv, Nk, i0, T, prec);
  for (int e = tid; e < Dk * T; e += nt) dKs[e] = 0.0f;
  for (int e = tid; e < Dv * T; e += nt) dVs[e] = 0.0f;
  int nk = min(T, Nk - i0);
  for (int j0 = 0; j0 < Nq; j0 += T) {
    attn_load(Qs, q, Dk, Nq, j0, T, prec);
    attn_load(dOs, dout, Dv, Nq, j0, T, prec);
    attn_load(lse_s, lse + (size_t)b * Nq, 1, Nq, j0, T, PREC_FP32);
    attn_load(D_s, D + (size_t)b * Nq, 1, Nq, j0, T, PREC_FP32);
    __syncthreads();  // the tiles are loaded
    attn_ds(Qs, Ks, Vs, dOs, lse_s, D_s, P, dS, Dk, Dv, T, min(T, Nq - j0), nk, scale, prec);
    __syncthreads();
    for (int e = tid; e < Dk * T; e += nt) {
      int d = e / T, i = e % T;
      float acc = 0.0f;
      for (int j = 0; j < T; j++) acc += dS[j * TP + i] * Qs[d * T + j];
      dKs[e] += scale * acc;
    }
    for (int e = tid; e < Dv * T; e += nt) {
      int c = e / T, i = e % T;
      float acc = 0.0f;
      for (int j = 0; j < T; j++) acc += P[j * TP + i] * dOs[c * T + j];
      dVs[e] += acc;
    }
    __syncthreads();  // before the query tiles are overwritten
  }
  // dk or dv may be null: not wanted.
  for (int e = tid; e < Dk * T && dk; e += nt) {
    int d = e / T, i = e % T;
    if (i < nk) dk[((size_t)b * Dk + d) * Nk + i0 + i] += dKs[e];
  }
  for (int e = tid; e < Dv * T && dv; e += nt) {
    int c = e / T, i = e % T;
    if (i < nk) dv[((size_t)b * Dv + c) * Nk + i0 + i] += dVs[e];
  }
}

#if SEMGAN_TENSOR_CORES

// ---------------------------------------------------------------------------
// Tensor-core kernels (TF32 and BF16, sm_80 and newer), FlashAttention-2 style.
//
// Forward, attention_forward_{tf32,bf16}: grid (ceil(Nq/64), Batch), 128
// threads. Each of the 4 warps owns 16 queries, whose Q fragments it keeps
// in registers for the whole kernel. The block walks the keys in tiles of
// Bc (64, or 32 or 16 when the shared memory needs it), staging the K and V
// tiles in shared memory with cp.async, double-buffered: tile i+1 is copied
// while tile i is used. Per tile, a warp computes its 16 x Bc scores
// S = Q K^T on tensor cores, updates its rows' online softmax in registers,
// and adds P V into its 16 x Dv output O, also in registers; it divides O
// by the softmax sum at the end and writes o and lse.
//
// Online softmax, in base 2: x = s * scale * log2(e), so that
// exp(s*scale - c) = exp2(x - c*log2(e)) and one exp2f per score remains.
// For each row the warp keeps m, the largest x so far, and l, the sum of
// exp2(x - m) over the keys so far (each lane sums its own columns; the four
// lanes of a row add their sums at the end). A tile with row maximum
// m' = max(m, max x) rescales by corr = exp2(m - m'):
//
//   l <- l * corr + sum_tile exp2(x - m'),   O <- O * corr + P V,  P = exp2(x - m'),
//
// and at the end o = O / l, lse = (m + log2 l) * ln 2. The kernel computes
// exactly one exp2f per score (Nq x Nk per batch entry and pass, plus those
// of the masked slots of the last key tile), and one per row and tile for
// corr.
//
// Backward, attention_backward_{tf32,bf16}: grid (ceil(Nk/Bc), Batch), one
// warp per 16 keys (Bc = 16 * warps, 64 unless the shared memory needs
// fewer). The block stages its K and V tiles once, then walks the queries
// in tiles of 32 (Q, dO, lse and D staged with cp.async, double-buffered
// when they fit). Per query tile a warp recomputes its 16 x 32 scores
// transposed, S^T = K Q^T, and P^T = exp2(x - lse*log2 e) (one exp2f per
// score), dP^T = V^T dO, dS^T = P^T (dP^T - D), and accumulates in registers
//
//   dV += P^T dO,   dK += dS^T Q   (scaled by scale at the end).
//
// dQ = scale * dS K needs the sum over all keys, which the blocks share:
// the warps store dS^T in shared memory, compute this key tile's part of
// dQ for the 32 queries on tensor cores, and add it to dq with atomicAdd.
// The alternative, a second pass over query tiles, would compute every
// score and its exp2f a second time; the atomics cost one per dq element
// per key tile, few next to the Bc x 32 x (Dk + Dv) multiply-adds of a
// tile (dq's sums then depend on the order of the atomics, within float32
// rounding). D = rowsum(dO * O) comes from attention_rowdot_f32.
//
// Operands: every product's operands are rounded to the precision as its
// fragments are built (tf32_operand, bf16x2_operand): q, k, v, dO from
// shared memory or global memory, P and dS from registers; the softmax,
// lse, D, dS itself and every sum are float32. Dk and Dv up to
// ATTN_TC_DMAX, padded with zeros to a multiple of the mma's k; keys and
// queries past the ends are masked (scores -inf in the forward, P = 0 in
// the backward).
//
// Fragment mapping from a product's C to the next product's A. The C
// fragment of a 16x8 tile of S gives lane (g, t) the columns 2t and 2t+1 of
// rows g and g+8 (mma.cuh). As the A operand of P V:
//
//   BF16 m16n8k16: A's 16 columns are two C tiles of 8 keys side by side,
//     and a[0] = A[g][2t..2t+1] = (c0[0], c0[1]), a[1] = A[g+8][2t..2t+1] =
//     (c0[2], c0[3]), a[2] = A[g][2t+8..2t+9] = (c1[0], c1[1]), a[3] =
//     (c1[2], c1[3]): the registers pair up as they are.
//   TF32 m16n8k8: A wants columns t and t+4 where the lane holds 2t and
//     2t+1. The sum over k does not care in which order the keys come, so
//     the mma's k index t stands for key 2t and k index t+4 for key 2t+1:
//     a = (c[0], c[2], c[1], c[3]), and the B operand is read with the
//     same order, b[0] = B[key 2t][g], b[1] = B[key 2t+1][g] (b_frag_c).
//
// Shared tiles are fp32, rows padded to ld = cols + PAD floats so that the
// fragment reads of a warp fall into distinct banks (TF32: rows 8 words
// apart modulo 32 for reads of rows t = 0..3; BF16: 4 words apart, for
// rows 2t); ldmatrix is not used: its .trans form transposes 16-bit
// elements, not the fp32 of these tiles.

#define ATTN_LOG2E 1.4426950408889634f
#define ATTN_LN2 0.6931471805599453f
#define ATTN_TC_DMAX 64  // largest Dk and Dv of the tensor-core kernels
#define ATTN_FWD_ROWS 64 // forward: queries per block, 16 per warp of 4
#define ATTN_FWD_BC 64   // forward: largest key tile
#define ATTN_BWD_BR 32   // backward: queries per tile

// AttnPair is two adjacent floats of shared memory, loaded as one 8-byte
// word.
struct alignas(8) AttnPair {
  float lo, hi;
};

// TcTf32 and TcBf16 build the fragments of one precision's mma from element
// functions (lane (g, t) = (lane / 4, lane % 4), layouts in mma.cuh):
//   a_frag(a, A)    A(m, kk), m < 16, kk < K: the 16 x K A operand;
//   b_frag(b, B)    B(kk, n), kk < K, n < 8: the K x 8 B operand;
//   b_frag_c(b, at) the B operand of a product whose A comes from
//                   a_from_c (keys in the order described above), from
//                   at(kk, n), the address of B(kk, n) in shared memory,
//                   with B(kk+1, n) next to it (kk even, 8-byte aligned):
//                   the fragment's pairs load as one 8-byte word;
//   a_from_c(a, c, kc)  the A operand of k-chunk kc from C fragments c
//                   of 16 x 8 tiles (tiles kc*K/8 ...).
struct TcTf32 {
  static constexpr int K = 8;
  static constexpr int PAD = 8;
  template <class F>
  static __device__ __forceinline__ void a_frag(uint32_t a[4], int g, int t, F A) {
    a[0] = tf32_operand(A(g, t)), a[1] = tf32_operand(A(g + 8, t));
    a[2] = tf32_operand(A(g, t + 4)), a[3] = tf32_operand(A(g + 8, t + 4));
  }
  template <class F>
  static __device__ __forceinline__ void b_frag(uint32_t b[2], int g, int t, F B) {
    b[0] = tf32_operand(B(t, g)), b[1] = tf32_operand(B(t + 4, g));
  }
  template <class F>
  static __device__ __forceinline__ void b_frag_c(uint32_t b[2], int g, int t, F at) {
    AttnPair p = *reinterpret_cast<const AttnPair *>(at(2 * t, g));
    b[0] = tf32_operand(p.lo), b[1] = tf32_operand(p.hi);
  }
  static __device__ __forceinline__ void a_from_c(uint32_t a[4], const float (*c)[4], int kc) {
    a[0] = tf32_operand(c[kc][0]), a[1] = tf32_operand(c[kc][2]);
    a[2] = tf32_operand(c[kc][1]), a[3] = tf32_operand(c[kc][3]);
  }
  static __device__ __forceinline__ void mma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
    mma_tf32_m16n8k8(d, a, b);
  }
};

struct TcBf16 {
  static constexpr int K = 16;
  static constexpr int PAD = 4;
  template <class F>
  static __device__ __forceinline__ void a_frag(uint32_t a[4], int g, int t, F A) {
    a[0] = bf16x2_operand(A(g, 2 * t), A(g, 2 * t + 1));
    a[1] = bf16x2_operand(A(g + 8, 2 * t), A(g + 8, 2 * t + 1));
    a[2] = bf16x2_operand(A(g, 2 * t + 8), A(g, 2 * t + 9));
    a[3] = bf16x2_operand(A(g + 8, 2 * t + 8), A(g + 8, 2 * t + 9));
  }
  template <class F>
  static __device__ __forceinline__ void b_frag(uint32_t b[2], int g, int t, F B) {
    b[0] = bf16x2_operand(B(2 * t, g), B(2 * t + 1, g));
    b[1] = bf16x2_operand(B(2 * t + 8, g), B(2 * t + 9, g));
  }
  template <class F>
  static __device__ __forceinline__ void b_frag_c(uint32_t b[2], int g, int t, F at) {
    AttnPair p0 = *reinterpret_cast<const AttnPair *>(at(2 * t, g));
    AttnPair p1 = *reinterpret_cast<const AttnPair *>(at(2 * t + 8, g));
    b[0] = bf16x2_operand(p0.lo, p0.hi), b[1] = bf16x2_operand(p1.lo, p1.hi);
  }
  static __device__ __forceinline__ void a_from_c(uint32_t a[4], const float (*c)[4], int kc) {
    a[0] = bf16x2_operand(c[2 * kc][0], c[2 * kc][1]), a[1] = bf16x2_operand(c[2 * kc][2], c[2 * kc][3]);
    a[2] = bf16x2_operand(c[2 * kc + 1][0], c[2 * kc + 1][1]);
    a[3] = bf16x2_operand(c[2 * kc + 1][2], c[2 * kc + 1][3]);
  }
  static __device__ __forceinline__ void mma(float d[4], const uint32_t a[4], const uint32_t b[2]) {
    mma_bf16_m16n8k16(d, a, b);
  }
};

// attn_stage starts (cp.async, uncommitted) the copy of columns
// [c0, c0+cols) of rows [0, rows) of the row-major [valid][n] matrix src into
// the shared tile dst [rows][ld]; rows past valid and columns past n are
// zero-filled. cols and ld are multiples of 4 and dst is 16-byte aligned.
// Every thread of the block takes a share.
static __device__ __forceinline__ void attn_stage(float *dst, int ld, const float *src, int valid, int rows, int n,
                                                  int c0, int cols) {
  if (n % 4 == 0 && ((uintptr_t)src & 15) == 0) {  // 16-byte copies, 4 columns each
    int per = cols / 4;
    for (int e = threadIdx.x; e < rows * per; e += blockDim.x) {
      int r = e / per, c = e % per * 4;
      int bytes = r < valid ? 4 * max(0, min(4, n - (c0 + c))) : 0;
      cp_async_16(dst + r * ld + c, bytes ? src + (size_t)r * n + c0 + c : src, bytes);
    }
  } else {
    for (int e = threadIdx.x; e < rows * cols; e += blockDim.x) {
      int r = e / cols, c = e % cols;
      int bytes = r < valid && c0 + c < n ? 4 : 0;
      cp_async_4(dst + r * ld + c, bytes ? src + (size_t)r * n + c0 + c : src, bytes);
    }
  }
}

// quad_max and quad_sum reduce over the four lanes that share a row of a C
// fragment (lanes 4g .. 4g+3).
static __device__ __forceinline__ float quad_max(float v) {
  v = fmaxf(v, __shfl_xor_sync(FULL_MASK, v, 1));
  return fmaxf(v, __shfl_xor_sync(FULL_MASK, v, 2));
}
static __device__ __forceinline__ float quad_sum(float v) {
  v += __shfl_xor_sync(FULL_MASK, v, 1);
  return v + __shfl_xor_sync(FULL_MASK, v, 2);
}

// attn_forward_tc is the forward kernel in precision Tc (see above); Bc is
// the key tile (16, 32 or 64). smem, the dynamic shared memory, holds two
// stages of Ks [dkp][Bc+PAD] followed by Vs [dvp][Bc+PAD].
template <class Tc>
static __device__ __forceinline__ void attn_forward_tc(float *smem, const float *__restrict__ q,
                                                       const float *__restrict__ k, const float *__restrict__ v,
                                                       float *__restrict__ o, float *__restrict__ lse, int Dk, int Dv,
                                                       int Nq, int Nk, float scale, int Bc) {
  constexpr int K = Tc::K;
  int dkp = (Dk + K - 1) / K * K, dvp = (Dv + K - 1) / K * K, ld = Bc + Tc::PAD, stage = (dkp + dvp) * ld;
  int b = blockIdx.y, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int row0 = blockIdx.x * ATTN_FWD_ROWS + (threadIdx.x >> 5) * 16;  // the warp's first query
  int nks = dkp / K, nst = Bc / 8, nov = dvp / 8, tiles = (Nk + Bc - 1) / Bc;
  q += (size_t)b * Dk * Nq, k += (size_t)b * Dk * Nk, v += (size_t)b * Dv * Nk;
  auto load = [&](int tile, int buf) {
    float *Ks = smem + buf * stage;
    attn_stage(Ks, ld, k, Dk, dkp, Nk, tile * Bc, Bc);
    attn_stage(Ks + dkp * ld, ld, v, Dv, dvp, Nk, tile * Bc, Bc);
    cp_async_commit();
  };
  load(0, 0);

  // The warp's Q rows as A fragments, A(m, d) = q[d][row0 + m], zero past
  // Dk and Nq.
  uint32_t qa[ATTN_TC_DMAX / K][4];
UNROLL
  for (int ks = 0; ks < ATTN_TC_DMAX / K; ks++) {
    if (ks < nks) {
      Tc::a_frag(qa[ks], g, t, [&](int m, int kk) {
        int d = ks * K + kk, j = row0 + m;
        return d < Dk && j < Nq ? q[(size_t)d * Nq + j] : 0.0f;
      });
    }
  }
  float acc[ATTN_TC_DMAX / 8][4] = {};                  // O, C fragments of 8 channels each
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0, 0};  // rows g and g+8 of the warp
  float scale2 = scale * ATTN_LOG2E;

  for (int it = 0; it < tiles; it++) {
    // Prefetch the next tile into the other stage (an empty group on the
    // last tile keeps the wait below the same), then wait for this one.
    if (it + 1 < tiles) {
      load(it + 1, (it + 1) & 1);
    } else {
      cp_async_commit();
    }
    cp_async_wait(1);
    __syncthreads();  // every thread's copies of tile it have landed
    const float *Ks = smem + (it & 1) * stage, *Vs = Ks + dkp * ld;
    int i0 = it * Bc;

    // S = Q K^T: B(kk, n) = K[key n][d] = Ks[d][n].
    float s[ATTN_FWD_BC / 8][4];
UNROLL
    for (int n = 0; n < ATTN_FWD_BC / 8; n++) {
      if (n >= nst) break;
      s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
UNROLL
      for (int ks = 0; ks < ATTN_TC_DMAX / K; ks++) {
        if (ks >= nks) break;
        uint32_t bf[2];
        Tc::b_frag(bf, g, t, [&](int kk, int nn) { return Ks[(ks * K + kk) * ld + n * 8 + nn]; });
        Tc::mma(s[n], qa[ks], bf);
      }
    }
    // Scores in base 2, keys past Nk at -inf; the rows' new maxima.
    float mx[2] = {m[0], m[1]};
UNROLL
    for (int n = 0; n < ATTN_FWD_BC / 8; n++) {
      if (n >= nst) break;
UNROLL
      for (int e = 0; e < 4; e++) {
        float x = i0 + n * 8 + 2 * t + (e & 1) < Nk ? s[n][e] * scale2 : -INFINITY;
        s[n][e] = x;
        mx[e >> 1] = fmaxf(mx[e >> 1], x);
      }
    }
    float corr[2];
UNROLL
    for (int r = 0; r < 2; r++) {
      mx[r] = quad_max(mx[r]);  // finite: every tile has a key below Nk
      corr[r] = exp2f(m[r] - mx[r]);  // 0 on the first tile, where m = -inf
      m[r] = mx[r];
      l[r] *= corr[r];
    }
    // P = exp2(x - m), one exp2f per score; l sums P unrounded.
UNROLL
    for (int n = 0; n < ATTN_FWD_BC / 8; n++) {
      if (n >= nst) break;
UNROLL
      for (int e = 0; e < 4; e++) {
        float p = exp2f(s[n][e] - m[e >> 1]);
        s[n][e] = p;
        l[e >> 1] += p;
      }
    }
    // O = O * corr + P V: A = P from the C fragments of S, B(kk, n) =
    // V[key kk][channel n] = Vs[n][kk].
UNROLL
    for (int c = 0; c < ATTN_TC_DMAX / 8; c++) {
      if (c >= nov) break;
UNROLL
      for (int e = 0; e < 4; e++) acc[c][e] *= corr[e >> 1];
    }
UNROLL
    for (int kc = 0; kc < ATTN_FWD_BC / K; kc++) {
      if (kc * K >= Bc) break;
      uint32_t pa[4];
      Tc::a_from_c(pa, s, kc);
UNROLL
      for (int c = 0; c < ATTN_TC_DMAX / 8; c++) {
        if (c >= nov) break;
        uint32_t bf[2];
        Tc::b_frag_c(bf, g, t, [&](int kk, int nn) { return &Vs[(c * 8 + nn) * ld + kc * K + kk]; });
        Tc::mma(acc[c], pa, bf);
      }
    }
    __syncthreads();  // every warp is done with this stage before tile it+2 is copied into it
  }
  cp_async_wait(0);  // the empty last group

  // o = O / l, lse = (m + log2 l) ln 2.
  o += (size_t)b * Dv * Nq;
  float inv[2];
UNROLL
  for (int r = 0; r < 2; r++) {
    l[r] = quad_sum(l[r]);
    inv[r] = 1.0f / l[r];
  }
UNROLL
  for (int c = 0; c < ATTN_TC_DMAX / 8; c++) {
    if (c >= nov) break;
UNROLL
    for (int e = 0; e < 4; e++) {
      int ch = c * 8 + 2 * t + (e & 1), j = row0 + g + 8 * (e >> 1);
      if (ch < Dv && j < Nq) o[(size_t)ch * Nq + j] = acc[c][e] * inv[e >> 1];
    }
  }
  if (t == 0) {
    for (int r = 0; r < 2; r++) {
      int j = row0 + g + 8 * r;
      if (j < Nq) lse[(size_t)b * Nq + j] = (m[r] + log2f(l[r])) * ATTN_LN2;
    }
  }
}

// attention_forward_tf32 and attention_forward_bf16: the forward pass on
// tensor cores; grid (ceil(Nq/64), Batch), 128 threads, Bc the key tile
// (16, 32 or 64) and 2 (dkp + dvp)(Bc + PAD) floats of shared memory, with
// dkp, dvp = Dk, Dv rounded up to the mma's k. Dk, Dv <= 64.
extern "C" __global__ void attention_forward_tf32(const float *__restrict__ q, const float *__restrict__ k,
                                                  const float *__restrict__ v, float *__restrict__ o,
                                                  float *__restrict__ lse, int Dk, int Dv, int Nq, int Nk,
                                                  float scale, int Bc) {
  DYNAMIC_SHARED(float, smem);
  attn_forward_tc<TcTf32>(smem, q, k, v, o, lse, Dk, Dv, Nq, Nk, scale, Bc);
}

extern "C" __global__ void attention_forward_bf16(const float *__restrict__ q, const float *__restrict__ k,
                                                  const float *__restrict__ v, float *__restrict__ o,
                                                  float *__restrict__ lse, int Dk, int Dv, int Nq, int Nk,
                                                  float scale, int Bc) {
  DYNAMIC_SHARED(float, smem);
  attn_forward_tc<TcBf16>(smem, q, k, v, o, lse, Dk, Dv, Nq, Nk, scale, Bc);
}


// attn_backward_tc is the backward kernel in precision Tc (see above): the
// block's warps (blockDim.x / 32 of them) own 16 keys each, from key
// i0 = blockIdx.x * Bc. nbuf (1 or 2) is how many stages of query tiles the
// shared memory holds. smem, the dynamic shared memory, holds
//
//   Ks [dkp][Bc+PAD], Vs [dvp][Bc+PAD], then nbuf stages of
//   Qs [dkp][32+PAD], dOs [dvp][32+PAD], lse [32], D [32],
//
// a stage's first Bc (32+PAD) floats doubling as dSs [Bc][32+PAD], dS^T for
// the dQ product, once its Q and dO tiles have been used.
template <class Tc>
static __device__ __forceinline__ void attn_backward_tc(float *smem, const float *__restrict__ q,
                                                        const float *__restrict__ k, const float *__restrict__ v,
                                                        const float *__restrict__ lse, const float *__restrict__ D,
                                                        const float *__restrict__ dout, float *__restrict__ dq,
                                                        float *__restrict__ dk, float *__restrict__ dv, int Dk,
                                                        int Dv, int Nq, int Nk, float scale, int nbuf) {
  constexpr int K = Tc::K, BR = ATTN_BWD_BR;
  int warps = blockDim.x >> 5, warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  int Bc = 16 * warps, i0 = blockIdx.x * Bc, b = blockIdx.y;
  int dkp = (Dk + K - 1) / K * K, dvp = (Dv + K - 1) / K * K, nks = dkp / K, nvs = dvp / K;
  int ldk = Bc + Tc::PAD, ldq = BR + Tc::PAD;
  int stage = max((dkp + dvp) * ldq + 2 * BR, Bc * ldq);
  float *Ks = smem, *Vs = Ks + dkp * ldk, *stages = Vs + dvp * ldk;
  q += (size_t)b * Dk * Nq, k += (size_t)b * Dk * Nk, v += (size_t)b * Dv * Nk, dout += (size_t)b * Dv * Nq;
  lse += (size_t)b * Nq, D += (size_t)b * Nq;
  auto load = [&](int tile, int buf) {
    float *Qs = stages + buf * stage, *dOs = Qs + dkp * ldq, *ls = dOs + dvp * ldq;
    int j0 = tile * BR;
    attn_stage(Qs, ldq, q, Dk, dkp, Nq, j0, BR);
    attn_stage(dOs, ldq, dout, Dv, dvp, Nq, j0, BR);
    attn_stage(ls, BR, lse, 1, 1, Nq, j0, BR);
    attn_stage(ls + BR, BR, D, 1, 1, Nq, j0, BR);
    cp_async_commit();
  };
  attn_stage(Ks, ldk, k, Dk, dkp, Nk, i0, Bc);
  attn_stage(Vs, ldk, v, Dv, dvp, Nk, i0, Bc);
  load(0, 0);  // one group with K and V

  float dva[ATTN_TC_DMAX / 8][4] = {}, dka[ATTN_TC_DMAX / 8][4] = {};  // dV, dK: C fragments, 8 channels each
  float scale2 = scale * ATTN_LOG2E;
  int krow = 16 * warp, tiles = (Nq + BR - 1) / BR;
  for (int it = 0; it < tiles; it++) {
    int buf = nbuf == 2 ? it & 1 : 0, j0 = it * BR;
    cp_async_wait(0);
    __syncthreads();  // tile it has landed, and every warp is done with iteration it-1
    if (nbuf == 2 && it + 1 < tiles) load(it + 1, (it + 1) & 1);
    float *Qs = stages + buf * stage, *dOs = Qs + dkp * ldq, *lse_s = dOs + dvp * ldq, *D_s = lse_s + BR;

    // S^T = K Q^T: A(m, kk) = K[key m][d] = Ks[d][m], B(kk, n) = Qs[d][n].
    // dP^T = V^T dO: A(m, kk) = Vs[c][m], B(kk, n) = dOs[c][n].
    // acc += A B^T over steps k-steps, A this warp's 16 rows of As
    // ([d][key], ldk) and B the tile's BR columns of Bs ([d][query], ldq).
    auto product = [&](float(&acc)[BR / 8][4], int steps, const float *As, const float *Bs) {
      UNROLL
      for (int ks = 0; ks < ATTN_TC_DMAX / K; ks++) {
        if (ks >= steps) break;
        uint32_t a[4];
        Tc::a_frag(a, g, t, [&](int m, int kk) { return As[(ks * K + kk) * ldk + krow + m]; });
        UNROLL
        for (int n = 0; n < BR / 8; n++) {
          uint32_t bf[2];
          Tc::b_frag(bf, g, t, [&](int kk, int nn) { return Bs[(ks * K + kk) * ldq + n * 8 + nn]; });
          Tc::mma(acc[n], a, bf);
        }
      }
    };
    float s[BR / 8][4] = {}, dp[BR / 8][4] = {};
    product(s, nks, Ks, Qs);
    product(dp, nvs, Vs, dOs);
    // P^T = exp2(x - lse log2 e), one exp2f per score, 0 past Nk and Nq;
    // dS^T = P^T (dP^T - D), in dp's registers.
    UNROLL
    for (int n = 0; n < BR / 8; n++) {
      UNROLL
      for (int e = 0; e < 4; e++) {
        int jj = n * 8 + 2 * t + (e & 1), i = i0 + krow + g + 8 * (e >> 1);
        float p = i < Nk && j0 + jj < Nq ? exp2f(s[n][e] * scale2 - lse_s[jj] * ATTN_LOG2E) : 0.0f;
        s[n][e] = p;
        dp[n][e] = p * (dp[n][e] - D_s[jj]);
      }
    }
    // acc += C^T B over the tile's queries, for k-chunk kc: A = C^T from
    // the C fragments c, B(kk, n) = Bs[channel n][query kk], width channels.
    // dV += P^T dO (c = P, Bs = dOs); dK += dS^T Q (c = dS, Bs = Qs).
    auto product_t = [&](float(&acc)[ATTN_TC_DMAX / 8][4], const float(&c)[BR / 8][4], int width, const float *Bs,
                         int kc) {
      uint32_t a[4];
      Tc::a_from_c(a, c, kc);
      UNROLL
      for (int d = 0; d < ATTN_TC_DMAX / 8; d++) {
        if (d * 8 >= width) break;
        uint32_t bf[2];
        Tc::b_frag_c(bf, g, t, [&](int kk, int nn) { return &Bs[(d * 8 + nn) * ldq + kc * K + kk]; });
        Tc::mma(acc[d], a, bf);
      }
    };
    UNROLL
    for (int kc = 0; kc < BR / K; kc++) {
      if (dv) product_t(dva, s, dvp, dOs, kc);
      if (dk) product_t(dka, dp, dkp, Qs, kc);
    }
    if (dq) {
      // dS^T into the stage's first rows, once every warp is done with its Q
      // and dO, then dQ[j][d] += scale sum_i dS^T[i][j] K[i][d] for the
      // tile's 32 queries: jobs of 16 queries x 8 channels, a warp each,
      // A(m, kk) = dSs[kk][m], B(kk, n) = K[key kk][d n] = Ks[n][kk].
      float *dSs = Qs;
      __syncthreads();
      UNROLL
      for (int n = 0; n < BR / 8; n++) {
        UNROLL
        for (int e = 0; e < 4; e++) dSs[(krow + g + 8 * (e >> 1)) * ldq + n * 8 + 2 * t + (e & 1)] = dp[n][e];
      }
      __syncthreads();
      for (int job = warp; job < (BR / 16) * (dkp / 8); job += warps) {
        int m0 = job % (BR / 16) * 16, d0 = job / (BR / 16) * 8;
        float acc[4] = {};
        for (int kc = 0; kc < Bc / K; kc++) {
          uint32_t a[4], bf[2];
          Tc::a_frag(a, g, t, [&](int m, int kk) { return dSs[(kc * K + kk) * ldq + m0 + m]; });
          Tc::b_frag(bf, g, t, [&](int kk, int nn) { return Ks[(d0 + nn) * ldk + kc * K + kk]; });
          Tc::mma(acc, a, bf);
        }
        for (int e = 0; e < 4; e++) {
          int j = j0 + m0 + g + 8 * (e >> 1), d = d0 + 2 * t + (e & 1);
          if (j < Nq && d < Dk) atomicAdd(&dq[((size_t)b * Dk + d) * Nq + j], scale * acc[e]);
        }
      }
    }
    if (nbuf == 1 && it + 1 < tiles) {
      __syncthreads();  // every warp is done with the only stage
      load(it + 1, 0);
    }
  }

  // dv += dV, dk += scale dK, for the warp's keys below Nk.
  UNROLL
  for (int e = 0; e < 4; e++) {
    int i = i0 + krow + g + 8 * (e >> 1), col = 2 * t + (e & 1);
    if (i >= Nk) continue;
    UNROLL
    for (int c = 0; c < ATTN_TC_DMAX / 8; c++) {
      if (dv && c * 8 + col < Dv) dv[((size_t)b * Dv + c * 8 + col) * Nk + i] += dva[c][e];
      if (dk && c * 8 + col < Dk) dk[((size_t)b * Dk + c * 8 + col) * Nk + i] += scale * dka[c][e];
    }
  }
}

// attention_backward_tf32 and attention_backward_bf16: the backward pass on
// tensor cores, accumulating into dq, dk and dv (a null one is skipped);
// grid (ceil(Nk/Bc), Batch) with Bc = 16 * warps, blockDim.x = 32 * warps
// (1 to 4 warps), nbuf stages of query tiles; shared memory as
// attn_backward_tc lays it out. D = rowsum(dO * O) from
// attention_rowdot_f32. Dk, Dv <= 64.
extern "C" __global__ void attention_backward_tf32(const float *__restrict__ q, const float *__restrict__ k,
                                                   const float *__restrict__ v, const float *__restrict__ lse,
                                                   const float *__restrict__ D, const float *__restrict__ dout,
                                                   float *__restrict__ dq, float *__restrict__ dk,
                                                   float *__restrict__ dv, int Dk, int Dv, int Nq, int Nk,
                                                   float scale, int nbuf) {
  DYNAMIC_SHARED(float, smem);
  attn_backward_tc<TcTf32>(smem, q, k, v, lse, D, dout, dq, dk, dv, Dk, Dv, Nq, Nk, scale, nbuf);
}

extern "C" __global__ void attention_backward_bf16(const float *__restrict__ q, const float *__restrict__ k,
                                                   const float *__restrict__ v, const float *__restrict__ lse,
                                                   const float *__restrict__ D, const float *__restrict__ dout,
                                                   float *__restrict__ dq, float *__restrict__ dk,
                                                   float *__restrict__ dv, int Dk, int Dv, int Nq, int Nk,
                                                   float scale, int nbuf) {
  DYNAMIC_SHARED(float, smem);
  attn_backward_tc<TcBf16>(smem, q, k, v, lse, D, dout, dq, dk, dv, Dk, Dv, Nq, Nk, scale, nbuf);
}

#endif  // SEMGAN_TENSOR_CORES
