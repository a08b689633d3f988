// attention.cu: fused dot-product attention with channel-major operands
// (kernels.AttentionParams): for each batch entry b and query j,
//
//   s_ji = scale * sum_d q[d,j] k[d,i],   o[:,j] = sum_i softmax_i(s_j)_i v[:,i],
//   lse_j = log sum_i exp(s_ji).
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
// stay float32. With PREC_FP32 round_operand is the identity, so the FP32
// results are those of the kernels before precision existed. They are the
// only kernels for FP32, and the TF32 and BF16 kernels of devices without
// tensor cores.
#include "mma.cuh"

// PV_ROWS is how many output channels a thread of the forward kernel
// accumulates at once (in registers).
#define PV_ROWS 8

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
