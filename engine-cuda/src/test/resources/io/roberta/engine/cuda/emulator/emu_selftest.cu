// Kernels with deliberate defects, built into the emulator only, so that its tests can show each
// check catching what it is for. None of these is part of the backend.
#include "common.cuh"

// A block sum without the barrier between the warps' partial sums and thread 0 reading them: a
// race between warps (wrong in forward thread order, right by luck in reverse; TSan reports it).
extern "C" __global__ void selftest_racy_sum(float* out, const float* x, int n) {
  __shared__ float part[32];
  float v = (int) threadIdx.x < n ? x[threadIdx.x] : 0.0f;
  v = warp_sum(v);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  if (threadIdx.x == 0) {
    float s = 0.0f;
    for (int w = 0; w < (int) (blockDim.x >> 5); w++) s += part[w];
    out[blockIdx.x] = s;
  }
}

// The same sum with its barrier: right in every order.
extern "C" __global__ void selftest_sum(float* out, const float* x, int n) {
  __shared__ float scratch[32];
  float v = (int) threadIdx.x < n ? x[threadIdx.x] : 0.0f;
  v = block_sum(v, scratch);
  if (threadIdx.x == 0) out[blockIdx.x] = v;
}

// Half the block waits at one barrier, half at another.
extern "C" __global__ void selftest_divergent_barrier(float* out) {
  if (threadIdx.x < blockDim.x / 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1.0f;
}

// One thread returns while the others wait at a barrier.
extern "C" __global__ void selftest_early_return(float* out) {
  if (threadIdx.x == 5) return;
  __syncthreads();
  out[threadIdx.x] = 1.0f;
}

// Reads one float past the dynamic shared memory the launch gave (blockDim.x floats).
extern "C" __global__ void selftest_shared_overrun(float* out) {
  extern __shared__ float acc[];
  acc[threadIdx.x] = (float) threadIdx.x;
  __syncthreads();
  out[threadIdx.x] = acc[threadIdx.x + 1];
}

// Reads one element past the end of x (n elements).
extern "C" __global__ void selftest_global_overrun(float* out, const float* x, int n) {
  int i = threadIdx.x;
  if (i < n) out[i] = x[i + 1];
}
