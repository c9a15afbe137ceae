// Dropout masks from a counter-based generator: element i of a mask drawn with seed s depends on
// (s, i) only, so any launch shape gives the same mask (CounterRng.java is the host twin).
#include "common.cuh"

__device__ __forceinline__ float counter_uniform(unsigned long long seed, unsigned long long i) {
  unsigned long long z = seed + (i + 1ull) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float) (z >> 40) * 5.9604644775390625e-8f;  // 2^-24: [0, 1)
}

// mask[i] = 0 with probability p, else 1: a keep bit, exact in bf16. The scale 1/(1-p) stays an
// fp32 number on the host (CudaTensor.scale) that multiply and attention apply, since 1.1111 stored
// in bf16 is 1.109375 and would shrink every dropout output by 0.16%.
extern "C" __global__ void dropout_mask(void* mask, int mb, i64 n, float p, unsigned long long seed) {
  FOR_EACH(i, n) st(mask, mb, i, counter_uniform(seed, (unsigned long long) i) < p ? 0.0f : 1.0f);
}
