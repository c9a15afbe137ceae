// The row-wise parts of attention; the four products (q k^T, p v and their backward) are cuBLAS
// strided-batched GEMMs. Scores and their gradients arrive in fp32 scratch so that only the
// probabilities are rounded to the storage type.
#include "common.cuh"

// probs[row, :] = softmax(scores[row, :] + key_bias[b, :]) for each row of [B, nh, T, T] (the
// 1/sqrt(d) scale was applied by the GEMM). One block per row (grid = B*nh*T), block =
// LaunchShape.rowThreads(T).
extern "C" __global__ void attention_softmax_forward(void* probs, int pb, const float* scores,
    const void* key_bias, int kb, i64 rows, int heads, int t) {
  __shared__ float scratch[32];
  i64 row = blockIdx.x;
  if (row >= rows) return;
  i64 b = row / ((i64) heads * t);
  i64 base = row * t;
  float mx = NEG_INF_F;
  for (int j = threadIdx.x; j < t; j += blockDim.x) mx = fmaxf(mx, scores[base + j] + ld(key_bias, kb, b * t + j));
  mx = block_max(mx, scratch);
  float s = 0.0f;
  for (int j = threadIdx.x; j < t; j += blockDim.x) s += expf(scores[base + j] + ld(key_bias, kb, b * t + j) - mx);
  float inv = 1.0f / block_sum(s, scratch);
  for (int j = threadIdx.x; j < t; j += blockDim.x) {
    st(probs, pb, base + j, expf(scores[base + j] + ld(key_bias, kb, b * t + j) - mx) * inv);
  }
}

// dscores = p * (dp' - sum_j dp'_j p_j) * scale with dp' = dprobs * mask * mask_scale (mask
// optional: has_mask 0 ignores it; mask_scale is the dropout's 1/(1-p)). dprobs fp32 scratch;
// dscores in the GEMM input type. One block per row.
extern "C" __global__ void attention_softmax_backward(void* dscores, int sb, const float* dprobs,
    const void* probs, int pb, const void* mask, int mb, int has_mask, float mask_scale, i64 rows, int t,
    float scale) {
  __shared__ float scratch[32];
  i64 row = blockIdx.x;
  if (row >= rows) return;
  i64 base = row * t;
  float dot = 0.0f;
  for (int j = threadIdx.x; j < t; j += blockDim.x) {
    float g = dprobs[base + j] * (has_mask ? ld(mask, mb, base + j) * mask_scale : 1.0f);
    dot += g * ld(probs, pb, base + j);
  }
  dot = block_sum(dot, scratch);
  for (int j = threadIdx.x; j < t; j += blockDim.x) {
    float g = dprobs[base + j] * (has_mask ? ld(mask, mb, base + j) * mask_scale : 1.0f);
    st(dscores, sb, base + j, ld(probs, pb, base + j) * (g - dot) * scale);
  }
}
