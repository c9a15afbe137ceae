// Layer norm over the last dimension, biased variance (as PyTorch). Statistics in fp32.
#include "common.cuh"

// One block per row (grid = n, block = LaunchShape.rowThreads(c)).
extern "C" __global__ void layernorm_forward(void* out, int ob, float* mean, float* rstd,
    const void* x, int xb, const void* w, int wb, const void* b, int bb, int n, int c, float eps) {
  __shared__ float scratch[32];
  int r = blockIdx.x;
  if (r >= n) return;
  i64 base = (i64) r * c;
  float s = 0.0f;
  for (int j = threadIdx.x; j < c; j += blockDim.x) s += ld(x, xb, base + j);
  float m = block_sum(s, scratch) / c;
  float q = 0.0f;
  for (int j = threadIdx.x; j < c; j += blockDim.x) {
    float d = ld(x, xb, base + j) - m;
    q += d * d;
  }
  float inv = rsqrtf(block_sum(q, scratch) / c + eps);
  if (threadIdx.x == 0) {
    mean[r] = m;
    rstd[r] = inv;
  }
  for (int j = threadIdx.x; j < c; j += blockDim.x) {
    st(out, ob, base + j, (ld(x, xb, base + j) - m) * inv * ld(w, wb, j) + ld(b, bb, j));
  }
}

// dx overwritten; dw, db (fp32) accumulated. Each block takes rows_per_block rows, sums its
// share of dw and db in shared memory (2*c floats, dynamic) and adds it with one atomic per
// column. grid = ceil(n / rows_per_block), block = LaunchShape.rowThreads(c).
extern "C" __global__ void layernorm_backward(void* dx, int dxb, float* dw, float* db,
    const void* dout, int gb, const void* x, int xb, const float* mean, const float* rstd,
    const void* w, int wb, int n, int c, int rows_per_block) {
  extern __shared__ float acc[];  // [2 * c]: dw part, db part
  __shared__ float scratch[32];
  float* dw_part = acc;
  float* db_part = acc + c;
  for (int j = threadIdx.x; j < c; j += blockDim.x) {
    dw_part[j] = 0.0f;
    db_part[j] = 0.0f;
  }
  __syncthreads();
  int r0 = blockIdx.x * rows_per_block;
  int r1 = imin(n, r0 + rows_per_block);
  for (int r = r0; r < r1; r++) {
    i64 base = (i64) r * c;
    float m = mean[r], inv = rstd[r];
    float s1 = 0.0f, s2 = 0.0f;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
      float xhat = (ld(x, xb, base + j) - m) * inv;
      float go = ld(dout, gb, base + j);
      float dn = go * ld(w, wb, j);
      s1 += dn;
      s2 += dn * xhat;
      dw_part[j] += go * xhat;  // each thread owns its columns: no race
      db_part[j] += go;
    }
    float mean_dn = block_sum(s1, scratch) / c;
    float mean_dn_xhat = block_sum(s2, scratch) / c;
    for (int j = threadIdx.x; j < c; j += blockDim.x) {
      float xhat = (ld(x, xb, base + j) - m) * inv;
      float dn = ld(dout, gb, base + j) * ld(w, wb, j);
      st(dx, dxb, base + j, inv * (dn - mean_dn - xhat * mean_dn_xhat));
    }
  }
  __syncthreads();
  for (int j = threadIdx.x; j < c; j += blockDim.x) {
    atomicAdd(dw + j, dw_part[j]);
    atomicAdd(db + j, db_part[j]);
  }
}
