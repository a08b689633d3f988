// pad.cu: zero and reflection padding of [planes, H, W] into
// [planes, H+top+bottom, W+left+right], and its gradient.
//
// Launch: 1-D grid-stride loops, 256 threads per block; the forward pass has
// a thread per output element, the backward pass a thread per input element
// that gathers the (at most 3 x 3) output elements copied from it, so it
// needs no atomics and is deterministic. Reflection mirrors without
// repeating the edge, as PyTorch's ReflectionPad2d.
#include "common.cuh"

// pad_src returns the input position that output position o copies along
// an axis of n inputs padded by lo before, or -1 for a zero.
static __device__ __forceinline__ int pad_src(int o, int lo, int n, int reflect) {
  int i = o - lo;
  if (i >= 0 && i < n) return i;
  if (!reflect) return -1;
  return i < 0 ? -i : 2 * (n - 1) - i;
}

// pad_dsts writes into out the output positions that copy input position i
// (padded by lo before and hi after) and returns how many there are.
static __device__ __forceinline__ int pad_dsts(int i, int lo, int hi, int n, int reflect, int out[3]) {
  int k = 0;
  out[k++] = i + lo;  // the interior
  if (reflect) {
    // Output lo - i mirrors i for 1 <= i <= lo (before the image), and
    // output lo + 2(n-1) - i for n-1-hi <= i <= n-2 (after it).
    if (i >= 1 && i <= lo) out[k++] = lo - i;
    if (i >= n - 1 - hi && i <= n - 2) out[k++] = lo + 2 * (n - 1) - i;
  }
  return k;
}

extern "C" __global__ void pad_forward_f32(const float *__restrict__ x, float *__restrict__ y, int planes, int h,
                                           int w, int top, int left, int oh, int ow, int reflect) {
  int n = planes * oh * ow;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int c = i % ow, r = (i / ow) % oh, pl = i / (ow * oh);
    int ih = pad_src(r, top, h, reflect), iw = pad_src(c, left, w, reflect);
    y[i] = ih < 0 || iw < 0 ? 0.0f : x[((size_t)pl * h + ih) * w + iw];
  }
}

extern "C" __global__ void pad_backward_f32(const float *__restrict__ dy, float *__restrict__ dx, int planes,
                                            int h, int w, int top, int bottom, int left, int right, int reflect) {
  int n = planes * h * w, oh = h + top + bottom, ow = w + left + right;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    int iw = i % w, ih = (i / w) % h, pl = i / (w * h);
    int rows[3], cols[3];
    int nr = pad_dsts(ih, top, bottom, h, reflect, rows), nc = pad_dsts(iw, left, right, w, reflect, cols);
    const float *dyp = dy + (size_t)pl * oh * ow;
    float s = 0.0f;
    for (int a = 0; a < nr; a++) {
      for (int b = 0; b < nc; b++) s += dyp[rows[a] * ow + cols[b]];
    }
    dx[i] += s;
  }
}
