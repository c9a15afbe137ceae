// Shared by every kernel file. No system headers: NVRTC compiles these on the GPU machine with
// nothing but its built-ins, and nvcc compiles them in CI.
//
// Every tensor argument comes as (pointer, bf) where bf is 1 for bf16 storage and 0 for fp32; the
// branch is uniform across a launch, so it costs nothing next to the memory traffic. Arithmetic is
// always fp32.
#pragma once

typedef unsigned short bf16_t;
typedef long long i64;

#define NEG_INF_F (__int_as_float(0xff800000))

__device__ __forceinline__ float bf16_to_f(bf16_t h) {
  return __uint_as_float(((unsigned int) h) << 16);
}

// Round to nearest even, as __float2bfloat16_rn; NaN stays a quiet NaN of the same sign.
__device__ __forceinline__ bf16_t f_to_bf16(float f) {
  unsigned int u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    return (bf16_t) ((u >> 16) | 0x40u);
  }
  u += 0x7fffu + ((u >> 16) & 1u);
  return (bf16_t) (u >> 16);
}

__device__ __forceinline__ float ld(const void* p, int bf, i64 i) {
  return bf ? bf16_to_f(((const bf16_t*) p)[i]) : ((const float*) p)[i];
}

__device__ __forceinline__ void st(void* p, int bf, i64 i, float v) {
  if (bf) {
    ((bf16_t*) p)[i] = f_to_bf16(v);
  } else {
    ((float*) p)[i] = v;
  }
}

__device__ __forceinline__ int imin(int a, int b) { return a < b ? a : b; }

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// scratch: 32 floats of shared memory; the call ends with a barrier, so scratch may be reused.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0f;
  v = warp_sum(v);
  __syncthreads();
  return v;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : NEG_INF_F;
  v = warp_max(v);
  __syncthreads();
  return v;
}

// Grid-stride loop over [0, n).
#define FOR_EACH(i, n) \
  for (i64 i = (i64) blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64) blockDim.x * gridDim.x)
