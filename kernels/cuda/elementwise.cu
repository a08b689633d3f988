// elementwise.cu: unary functions and their derivatives, binary operations
// with broadcasting, axpby, and SumTo (the adjoint of the broadcast).
//
// Launch: 1-D grid-stride loops over the elements, 256 threads per block,
// as many blocks as the Go side asks for (the loops cover any n). SumTo has
// two shapes: one thread per output element when each sums few inputs
// (sum_to_thread_f32), one block per output element with a block reduction
// otherwise (sum_to_block_f32).
//
// Op codes are those of kernels.UnaryOp and kernels.BinaryOp.
#include "common.cuh"

// Unary op codes (kernels.UnaryOp).
#define U_RELU 0
#define U_LEAKY 1
#define U_TANH 2
#define U_SIGMOID 3
#define U_SCALE 4
#define U_ADD_SCALAR 5
#define U_SQUARE 6
#define U_EXP 7
#define U_ABS 8

// y[i] = op(x[i]); x and y may alias (so no __restrict__).
extern "C" __global__ void unary_f32(int op, float alpha, const float *x, float *y, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    float v = x[i], r;
    switch (op) {
      case U_RELU: r = v > 0.0f ? v : 0.0f; break;
      case U_LEAKY: r = v > 0.0f ? v : alpha * v; break;
      case U_TANH: r = tanhf(v); break;
      case U_SIGMOID: r = 1.0f / (1.0f + expf(-v)); break;
      case U_SCALE: r = alpha * v; break;
      case U_ADD_SCALAR: r = v + alpha; break;
      case U_SQUARE: r = v * v; break;
      case U_EXP: r = expf(v); break;
      default: r = fabsf(v); break;  // U_ABS
    }
    y[i] = r;
  }
}

// dx[i] += op'(x[i]) * dy[i], reading x or y = op(x) as the op needs (the
// other may be null).
extern "C" __global__ void unary_backward_f32(int op, float alpha, const float *__restrict__ x,
                                              const float *__restrict__ y, const float *__restrict__ dy,
                                              float *__restrict__ dx, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    float g = dy[i], d;
    switch (op) {
      case U_RELU: d = x[i] > 0.0f ? g : 0.0f; break;
      case U_LEAKY: d = x[i] > 0.0f ? g : alpha * g; break;
      case U_TANH: d = (1.0f - y[i] * y[i]) * g; break;
      case U_SIGMOID: d = y[i] * (1.0f - y[i]) * g; break;
      case U_SCALE: d = alpha * g; break;
      case U_ADD_SCALAR: d = g; break;
      case U_SQUARE: d = 2.0f * x[i] * g; break;
      case U_EXP: d = y[i] * g; break;
      default: d = x[i] > 0.0f ? g : (x[i] < 0.0f ? -g : 0.0f); break;  // U_ABS
    }
    dx[i] += d;
  }
}

// y = a op b over the full shape (s0, s1, s2, s3), b read at strides
// (b0, b1, b2, b3) (0 broadcasts). y may alias a.
extern "C" __global__ void binary_f32(int op, const float *a, const float *__restrict__ b, float *y, int s0, int s1,
                                      int s2, int s3, int b0, int b1, int b2, int b3) {
  int n = s0 * s1 * s2 * s3;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    // Coordinates of element i, innermost last.
    int i3 = i % s3, i2 = (i / s3) % s2, i1 = (i / (s3 * s2)) % s1, i0 = i / (s3 * s2 * s1);
    float u = a[i], v = b[i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3], r;
    switch (op) {
      case 0: r = u + v; break;
      case 1: r = u - v; break;
      case 2: r = u * v; break;
      default: r = u / v; break;
    }
    y[i] = r;
  }
}

// y = alpha*x + beta*y; y is not read when beta is 0.
extern "C" __global__ void axpby_f32(float alpha, const float *__restrict__ x, float beta, float *__restrict__ y,
                                     int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) {
    y[i] = beta == 0.0f ? alpha * x[i] : alpha * x[i] + beta * y[i];
  }
}

// sum_to_coords splits the full shape into the kept dimensions (b stride
// non-zero), which index y, and the summed ones, and returns the offsets in
// x (contiguous full shape) and y of kept element e and, through
// sum_offset, of summed element r. Dimensions are (s0..s3), strides (b0..b3).
struct SumToShape {
  int s[4], b[4], xs[4];  // sizes, y strides, x strides

  __device__ void init(int s0, int s1, int s2, int s3, int b0, int b1, int b2, int b3) {
    s[0] = s0, s[1] = s1, s[2] = s2, s[3] = s3;
    b[0] = b0, b[1] = b1, b[2] = b2, b[3] = b3;
    xs[3] = 1, xs[2] = s3, xs[1] = s3 * s2, xs[0] = s3 * s2 * s1;
  }
  // kept_offsets returns the x offset of kept element e and sets *yoff.
  __device__ int kept_offsets(int e, int *yoff) const {
    int xoff = 0, yo = 0;
    for (int d = 3; d >= 0; d--) {
      if (b[d] == 0) continue;
      int c = e % s[d];
      e /= s[d];
      xoff += c * xs[d], yo += c * b[d];
    }
    *yoff = yo;
    return xoff;
  }
  // summed_offset returns the x offset of summed element r.
  __device__ int summed_offset(int r) const {
    int xoff = 0;
    for (int d = 3; d >= 0; d--) {
      if (b[d] != 0) continue;
      int c = r % s[d];
      r /= s[d];
      xoff += c * xs[d];
    }
    return xoff;
  }
};

// y[kept] += sum over the summed dims of x, one thread per element of y;
// kept elements number nkeep, summed ones nsum.
extern "C" __global__ void sum_to_thread_f32(const float *__restrict__ x, float *__restrict__ y, int s0, int s1,
                                             int s2, int s3, int b0, int b1, int b2, int b3, int nkeep, int nsum) {
  SumToShape sh;
  sh.init(s0, s1, s2, s3, b0, b1, b2, b3);
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nkeep; e += blockDim.x * gridDim.x) {
    int yoff, xoff = sh.kept_offsets(e, &yoff);
    float s = 0.0f;
    for (int r = 0; r < nsum; r++) s += x[xoff + sh.summed_offset(r)];
    y[yoff] += s;
  }
}

// The same with one block per element of y (blocks stride over them), for
// long sums. blockDim.x is a multiple of 32.
extern "C" __global__ void sum_to_block_f32(const float *__restrict__ x, float *__restrict__ y, int s0, int s1,
                                            int s2, int s3, int b0, int b1, int b2, int b3, int nkeep, int nsum) {
  SumToShape sh;
  sh.init(s0, s1, s2, s3, b0, b1, b2, b3);
  // The loop bound is the same for the whole block, so every thread meets
  // the barriers of block_sum equally often.
  for (int e = blockIdx.x; e < nkeep; e += gridDim.x) {
    int yoff, xoff = sh.kept_offsets(e, &yoff);
    float s = 0.0f;
    for (int r = threadIdx.x; r < nsum; r += blockDim.x) s += x[xoff + sh.summed_offset(r)];
    s = block_sum(s);
    if (threadIdx.x == 0) y[yoff] += s;
  }
}
