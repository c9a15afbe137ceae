// Elementwise kernels: one thread an element, grid-stride. Launch: block 256, grid from
// LaunchShape.elementwise(n).
#include "common.cuh"

extern "C" __global__ void fill_value(void* x, int xb, i64 n, float value) {
  FOR_EACH(i, n) st(x, xb, i, value);
}

extern "C" __global__ void scale_inplace(void* x, int xb, i64 n, float factor) {
  FOR_EACH(i, n) st(x, xb, i, ld(x, xb, i) * factor);
}

// dst = src, converting between storage types (also makes the bf16 copies of fp32 weights)
extern "C" __global__ void copy_convert(void* dst, int db, const void* src, int sb, i64 n) {
  FOR_EACH(i, n) st(dst, db, i, ld(src, sb, i));
}

// dst += src
extern "C" __global__ void add_inplace(void* dst, int db, const void* src, int sb, i64 n) {
  FOR_EACH(i, n) st(dst, db, i, ld(dst, db, i) + ld(src, sb, i));
}

// dst = a * (b * scale): scale is a dropout mask's 1/(1-p), 1 otherwise
extern "C" __global__ void multiply(void* dst, int db, const void* a, int ab, const void* b, int bb, i64 n, float scale) {
  FOR_EACH(i, n) st(dst, db, i, ld(a, ab, i) * (ld(b, bb, i) * scale));
}

// Exact GELU, x Phi(x), as torch.nn.functional.gelu(approximate='none')
extern "C" __global__ void gelu_forward(void* out, int ob, const void* x, int xb, i64 n) {
  FOR_EACH(i, n) {
    float v = ld(x, xb, i);
    st(out, ob, i, 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
  }
}

extern "C" __global__ void gelu_backward(void* dx, int dxb, const void* dout, int gb, const void* x, int xb, i64 n) {
  FOR_EACH(i, n) {
    float v = ld(x, xb, i);
    float cdf = 0.5f * (1.0f + erff(v * 0.70710678118654752f));
    float pdf = expf(-0.5f * v * v) * 0.39894228040143268f;
    st(dx, dxb, i, ld(dout, gb, i) * (cdf + v * pdf));
  }
}

extern "C" __global__ void tanh_forward(void* out, int ob, const void* x, int xb, i64 n) {
  FOR_EACH(i, n) st(out, ob, i, tanhf(ld(x, xb, i)));
}

extern "C" __global__ void tanh_backward(void* dx, int dxb, const void* dout, int gb, const void* out, int ob, i64 n) {
  FOR_EACH(i, n) {
    float y = ld(out, ob, i);
    st(dx, dxb, i, ld(dout, gb, i) * (1.0f - y * y));
  }
}

// y[r, c] += b[c]: y [rows, cols]
extern "C" __global__ void add_bias_rows(void* y, int yb, const void* b, int bb, i64 rows, int cols) {
  FOR_EACH(i, rows * cols) st(y, yb, i, ld(y, yb, i) + ld(b, bb, i % cols));
}

// dst[c] += sum over rows of g[r, c]; g [rows, cols]. Block (32, 8): 32 columns, 8 row lanes;
// grid (ceil(cols/32), row chunks). With more than one row chunk dst must be fp32 (atomicAdd).
extern "C" __global__ void column_sums_add(void* dst, int db, const void* g, int gb, int rows, int cols) {
  __shared__ float part[8][33];
  int c = blockIdx.x * 32 + threadIdx.x;
  int chunk = (rows + gridDim.y - 1) / gridDim.y;
  int r0 = blockIdx.y * chunk;
  int r1 = imin(rows, r0 + chunk);
  float s = 0.0f;
  if (c < cols) {
    for (int r = r0 + threadIdx.y; r < r1; r += 8) s += ld(g, gb, (i64) r * cols + c);
  }
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float t = 0.0f;
    for (int k = 0; k < 8; k++) t += part[k][threadIdx.x];
    if (gridDim.y > 1) {
      atomicAdd(((float*) dst) + c, t);
    } else {
      st(dst, db, c, ld(dst, db, c) + t);
    }
  }
}

// dst[i] = src[i, col]; src [n, k]
extern "C" __global__ void copy_column(void* dst, int db, const void* src, int sb, i64 n, int k, int col) {
  FOR_EACH(i, n) st(dst, db, i, ld(src, sb, i * k + col));
}

// dst[i, col] += src[i]; dst [n, k]
extern "C" __global__ void add_to_column(void* dst, int db, const void* src, int sb, i64 n, int k, int col) {
  FOR_EACH(i, n) st(dst, db, i * k + col, ld(dst, db, i * k + col) + ld(src, sb, i));
}

// *out += sum of x[i]^2 in double (global-norm clipping). Block 256.
extern "C" __global__ void sum_of_squares(const void* x, int xb, i64 n, double* out) {
  __shared__ float scratch[32];
  float s = 0.0f;
  FOR_EACH(i, n) {
    float v = ld(x, xb, i);
    s += v * v;
  }
  s = block_sum(s, scratch);
  if (threadIdx.x == 0) atomicAdd(out, (double) s);
}
