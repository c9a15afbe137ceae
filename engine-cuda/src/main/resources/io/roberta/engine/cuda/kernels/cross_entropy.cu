// Cross-entropy over the selected rows only and masked-token accuracy. One block per selected
// row (grid = m, block = LaunchShape.rowThreads(k)).
#include "common.cuh"

// For j < m, row r = rows ? rows[j] : j of logits [*, k]: loss[j] = logsumexp(z_r) - z_r[t_j];
// when dlogits is not null, dlogits[r, :] = scale * (softmax(z_r) - onehot(t_j)) (the host zeroes
// the rows that are not selected).
extern "C" __global__ void cross_entropy_rows(const void* logits, int lb, void* dlogits, int db,
    const int* rows, const int* targets, float* loss, int m, int k, float scale) {
  __shared__ float scratch[32];
  int j = blockIdx.x;
  if (j >= m) return;
  i64 base = (i64) (rows ? rows[j] : j) * k;
  float mx = NEG_INF_F;
  for (int c = threadIdx.x; c < k; c += blockDim.x) mx = fmaxf(mx, ld(logits, lb, base + c));
  mx = block_max(mx, scratch);
  float s = 0.0f;
  for (int c = threadIdx.x; c < k; c += blockDim.x) s += expf(ld(logits, lb, base + c) - mx);
  s = block_sum(s, scratch);
  int t = targets[j];
  if (threadIdx.x == 0) loss[j] = logf(s) + mx - ld(logits, lb, base + t);
  if (dlogits) {
    float inv = 1.0f / s;
    for (int c = threadIdx.x; c < k; c += blockDim.x) {
      float p = expf(ld(logits, lb, base + c) - mx) * inv;
      st(dlogits, db, base + c, scale * (p - (c == t ? 1.0f : 0.0f)));
    }
  }
}

// argmax[j] = first index of the largest value of logits[j, :] (ties go to the smaller index).
extern "C" __global__ void argmax_rows(const void* logits, int lb, int* argmax, int m, int k) {
  __shared__ float best_v[1024];
  __shared__ int best_i[1024];
  int j = blockIdx.x;
  if (j >= m) return;
  i64 base = (i64) j * k;
  float bv = NEG_INF_F;
  int bi = 0x7fffffff;
  for (int c = threadIdx.x; c < k; c += blockDim.x) {
    float v = ld(logits, lb, base + c);
    if (v > bv) {
      bv = v;
      bi = c;
    }
  }
  best_v[threadIdx.x] = bv;
  best_i[threadIdx.x] = bi;
  __syncthreads();
  // a tree over the next power of two: the first step folds the slots past it (any block size,
  // e.g. 96 threads for 65-96 classes, where halving 96 -> 48 -> 24 -> 12 -> 6 -> 3 -> 1 skipped slot 2)
  int half = 1;
  while (half * 2 < (int) blockDim.x) half *= 2;
  for (int s = half; s > 0; s >>= 1) {
    if (threadIdx.x < s && threadIdx.x + s < blockDim.x) {
      float ov = best_v[threadIdx.x + s];
      int oi = best_i[threadIdx.x + s];
      if (ov > best_v[threadIdx.x] || (ov == best_v[threadIdx.x] && oi < best_i[threadIdx.x])) {
        best_v[threadIdx.x] = ov;
        best_i[threadIdx.x] = oi;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) argmax[j] = best_i[0] == 0x7fffffff ? 0 : best_i[0];
}
