// Fused AdamW on fp32 master weights and moments, in the order of torch.optim.AdamW; also
// refreshes the bf16 copy of the weight that the matrix products read, when it has one.
#include "common.cuh"

// lr_wd = lr*wd, step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t). The decay is
// p - lr_wd*p here, not p * (1 - lr_wd) from the host: 1 - lr_wd rounded to a float near 1.0 is off
// by up to 6e-8 (+19% of the decay at lr*wd = 1e-7, none at all below about 3e-8).
extern "C" __global__ void adamw_step(float* p, const void* g, int gb, float* m, float* v,
    bf16_t* copy, i64 n, float beta1, float beta2, float eps, float lr_wd, float step_size, float bc2_sqrt) {
  FOR_EACH(i, n) {
    float gi = ld(g, gb, i);
    float mi = beta1 * m[i] + (1.0f - beta1) * gi;
    float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float pi = p[i] - lr_wd * p[i];
    pi -= step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    p[i] = pi;
    if (copy) copy[i] = f_to_bf16(pi);
  }
}
