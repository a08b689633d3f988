// pool.cu: 2-D max and average pooling of [planes, H, W] into
// [planes, OH, OW] with a KH x KW window moved by SH, SW over the input
// padded by PH, PW on each side (see kernels.PoolParams), and their
// gradients.
//
// Launch: 1-D grid-stride loops, 256 threads per block. The forward passes
// have a thread per output element; the backward passes a thread per input
// element that gathers the dy of every window holding it, so they need no
// atomics and are deterministic. Max pooling picks, like the CPU reference,
// the first maximum in row-major order, or the last NaN of the window.
#include "common.cuh"

// The sizes every pooling kernel takes: planes = N*C, the input h x w, the
// window kh x kw, its strides and paddings, and the output oh x ow.
#define POOL_ARGS \
  int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow

// pool_span clips window o along an axis of n inputs (window k, stride s,
// padding p) to the input, writing [lo, hi), and returns the divisor's
// factor along that axis: the window's size within the padded input, or
// the number of inputs in it without count_pad.
static __device__ __forceinline__ int pool_span(int o, int n, int k, int s, int p, int count_pad, int *lo,
                                                int *hi) {
  int l = o * s - p;
  int h = min(l + k, n + p);  // the window within the padded input
  int count = h - l;
  l = max(l, 0);
  h = min(h, n);
  *lo = l;
  *hi = h;
  return count_pad ? count : h - l;
}

// pool_windows writes into [first, last] the windows along an axis that
// hold input position i.
static __device__ __forceinline__ void pool_windows(int i, int k, int s, int p, int out, int *first,
                                                    int *last) {
  int f = i + p - k + 1;  // the first window starts at or after f
  *first = f <= 0 ? 0 : (f + s - 1) / s;
  *last = min((i + p) / s, out - 1);
}

// pool_argmax returns the index within the plane xp (width w) of the
// maximum of rows [r0, r1) and columns [c0, c1), and writes the maximum.
static __device__ __forceinline__ int pool_argmax(const float *xp, int w, int r0, int r1, int c0, int c1,
                                                  float *best) {
  float m = -INFINITY;
  int at = r0 * w + c0;
  for (int ih = r0; ih < r1; ih++) {
    for (int iw = c0; iw < c1; iw++) {
      float v = xp[ih * w + iw];
      if (v > m || v != v) {
        m = v;
        at = ih * w + iw;
      }
    }
  }
  *best = m;
  return at;
}

extern "C" __global__ void max_pool_forward_f32(const float *__restrict__ x, float *__restrict__ y, POOL_ARGS) {
  int n = planes * oh * ow;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int c = i % ow, r = (i / ow) % oh, pl = i / (ow * oh);
    int r0, r1, c0, c1;
    pool_span(r, h, kh, sh, ph, 0, &r0, &r1);
    pool_span(c, w, kw, sw, pw, 0, &c0, &c1);
    float m;
    pool_argmax(x + (size_t)pl * h * w, w, r0, r1, c0, c1, &m);
    y[i] = m;
  }
}

extern "C" __global__ void max_pool_backward_f32(const float *__restrict__ x, const float *__restrict__ dy,
                                                 float *__restrict__ dx, POOL_ARGS) {
  int n = planes * h * w;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int iw = i % w, ih = (i / w) % h, pl = i / (w * h);
    const float *xp = x + (size_t)pl * h * w;
    const float *dyp = dy + (size_t)pl * oh * ow;
    int fr, lr, fc, lc;
    pool_windows(ih, kh, sh, ph, oh, &fr, &lr);
    pool_windows(iw, kw, sw, pw, ow, &fc, &lc);
    float s = 0.0f;
    for (int r = fr; r <= lr; r++) {
      for (int c = fc; c <= lc; c++) {
        // The window's maximum, found again; dy goes to it alone.
        int r0, r1, c0, c1;
        float m;
        pool_span(r, h, kh, sh, ph, 0, &r0, &r1);
        pool_span(c, w, kw, sw, pw, 0, &c0, &c1);
        if (pool_argmax(xp, w, r0, r1, c0, c1, &m) == ih * w + iw) s += dyp[r * ow + c];
      }
    }
    dx[i] += s;
  }
}

extern "C" __global__ void avg_pool_forward_f32(const float *__restrict__ x, float *__restrict__ y, POOL_ARGS,
                                                int count_pad) {
  int n = planes * oh * ow;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int c = i % ow, r = (i / ow) % oh, pl = i / (ow * oh);
    int r0, r1, c0, c1;
    int div = pool_span(r, h, kh, sh, ph, count_pad, &r0, &r1) * pool_span(c, w, kw, sw, pw, count_pad, &c0, &c1);
    const float *xp = x + (size_t)pl * h * w;
    float s = 0.0f;
    for (int ih = r0; ih < r1; ih++) {
      for (int iw = c0; iw < c1; iw++) s += xp[ih * w + iw];
    }
    y[i] = s / (float)div;
  }
}

extern "C" __global__ void avg_pool_backward_f32(const float *__restrict__ dy, float *__restrict__ dx, POOL_ARGS,
                                                 int count_pad) {
  int n = planes * h * w;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int iw = i % w, ih = (i / w) % h, pl = i / (w * h);
    const float *dyp = dy + (size_t)pl * oh * ow;
    int fr, lr, fc, lc;
    pool_windows(ih, kh, sh, ph, oh, &fr, &lr);
    pool_windows(iw, kw, sw, pw, ow, &fc, &lc);
    float s = 0.0f;
    for (int r = fr; r <= lr; r++) {
      int r0, r1;
      int dr = pool_span(r, h, kh, sh, ph, count_pad, &r0, &r1);
      for (int c = fc; c <= lc; c++) {
        int c0, c1;
        int dc = pool_span(c, w, kw, sw, pw, count_pad, &c0, &c1);
        s += dyp[r * ow + c] / (float)(dr * dc);
      }
    }
    dx[i] += s;
  }
}
