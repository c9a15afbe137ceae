// The row-wise parts of attention and the head layout; the products (q k^T, p v and their
// backward) are cuBLAS strided-batched GEMMs over every (sequence, head) at once, on q, k, v laid
// out [B, heads, T, d] by split_heads. Scores and their gradients arrive in fp32 scratch so that
// only the probabilities are rounded to the storage type.
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

// Head layout for the batched products: dst part w (w < count) is source w, [B*T, heads*d], laid
// out [B, heads, T, d], at dst + w*n (n = B*T*heads*d elements a part). One launch for q, k and v.
extern "C" __global__ void split_heads(void* dst, int db, const void* a, int ab, const void* b, int bb,
    const void* c, int cb, int count, i64 n, int t, int heads, int d) {
  FOR_EACH(i, (i64) count * n) {
    int w = (int) (i / n);
    i64 e = i - (i64) w * n;
    i64 j = e % d, r = e / d;
    i64 tt = r % t;
    r /= t;
    i64 h = r % heads, s = r / heads;
    i64 from = (s * t + tt) * ((i64) heads * d) + h * d + j;
    const void* src = w == 0 ? a : w == 1 ? b : c;
    int sf = w == 0 ? ab : w == 1 ? bb : cb;
    st(dst, db, i, ld(src, sf, from));
  }
}

// The inverse of split_heads: destination w (w < count), [B*T, heads*d], from part w of src.
extern "C" __global__ void merge_heads(void* a, int ab, void* b, int bb, void* c, int cb, const void* src,
    int sb, int count, i64 n, int t, int heads, int d) {
  FOR_EACH(i, (i64) count * n) {
    int w = (int) (i / n);
    i64 e = i - (i64) w * n;
    i64 j = e % d, r = e / d;
    i64 tt = r % t;
    r /= t;
    i64 h = r % heads, s = r / heads;
    i64 to = (s * t + tt) * ((i64) heads * d) + h * d + j;
    void* dst = w == 0 ? a : w == 1 ? b : c;
    int df = w == 0 ? ab : w == 1 ? bb : cb;
    st(dst, df, to, ld(src, sb, i));
  }
}
