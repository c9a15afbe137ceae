// Row gathers and scatters: embeddings, the masked rows of the LM head. One block per row
// (grid = rows), threads over the channels (block = LaunchShape.rowThreads(c)).
#include "common.cuh"

// out[i, :] += table[ids[i], :]; out [n, c], table [V, c]
extern "C" __global__ void embedding_forward(void* out, int ob, const void* table, int tb, const int* ids, i64 n, int c) {
  i64 i = blockIdx.x;
  if (i >= n) return;
  i64 src = (i64) ids[i] * c, dst = i * c;
  for (int j = threadIdx.x; j < c; j += blockDim.x) st(out, ob, dst + j, ld(out, ob, dst + j) + ld(table, tb, src + j));
}

// dtable[ids[i], :] += dout[i, :] for ids[i] != skip; dtable fp32 (rows repeat: atomics)
extern "C" __global__ void embedding_backward(float* dtable, const void* dout, int gb, const int* ids, i64 n, int c, int skip) {
  i64 i = blockIdx.x;
  if (i >= n || ids[i] == skip) return;
  i64 dst = (i64) ids[i] * c, src = i * c;
  for (int j = threadIdx.x; j < c; j += blockDim.x) atomicAdd(dtable + dst + j, ld(dout, gb, src + j));
}

// out[j, :] = x[rows[j], :]; out [m, c]
extern "C" __global__ void gather_rows(void* out, int ob, const void* x, int xb, const int* rows, i64 m, int c) {
  i64 j = blockIdx.x;
  if (j >= m) return;
  i64 src = (i64) rows[j] * c, dst = j * c;
  for (int k = threadIdx.x; k < c; k += blockDim.x) st(out, ob, dst + k, ld(x, xb, src + k));
}

// dx[rows[j], :] += drows[j, :]; the host checks that rows are distinct, so no two blocks meet
extern "C" __global__ void scatter_add_rows(void* dx, int dxb, const void* drows, int rb, const int* rows, i64 m, int c) {
  i64 j = blockIdx.x;
  if (j >= m) return;
  i64 dst = (i64) rows[j] * c, src = j * c;
  for (int k = threadIdx.x; k < c; k += blockDim.x) st(dx, dxb, dst + k, ld(dx, dxb, dst + k) + ld(drows, rb, src + k));
}
