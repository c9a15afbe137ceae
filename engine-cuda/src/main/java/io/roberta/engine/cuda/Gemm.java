package io.roberta.engine.cuda;

/**
 * One cuBLAS strided-batched product in cuBLAS's column-major terms: {@code C = alpha op(A)
 * op(B) + beta C} with {@code op(A)} {@code [m,k]}, {@code op(B)} {@code [k,n]}, {@code C}
 * {@code [m,n]}, for {@code batch} matrices {@code stride} elements apart. A row-major {@code
 * [R,C]} tensor is a column-major {@code [C,R]} matrix, which is how {@link CudaKernels} writes
 * every product.
 */
record Gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Operand a, Operand b,
    float beta, Operand c, int batch) {

  /**
   * A matrix operand: where it starts, its storage type, leading dimension and batch stride;
   * {@code owner} (the tensor, or null) stays reachable with it (see {@link Launch.Ptr}).
   */
  record Operand(DeviceBuffer buffer, long offset, DType type, int ld, long stride, Object owner) {
    Operand(DeviceBuffer buffer, long offset, DType type, int ld, long stride) {
      this(buffer, offset, type, ld, stride, null);
    }

    /** Bytes the operand spans from its offset, for a stored {@code rows x cols} matrix. */
    long extent(int rows, int cols, int batch) {
      return ((long) (batch - 1) * stride + (long) (cols - 1) * ld + rows) * type.bytes;
    }
  }

  /** Throws unless sizes, leading dimensions, types and extents are consistent. */
  void check() {
    if (m < 1 || n < 1 || k < 1 || batch < 1) {
      throw new IllegalArgumentException("gemm sizes m=" + m + " n=" + n + " k=" + k + " batch=" + batch + " must be >= 1");
    }
    if (a.type() != b.type()) {
      throw new IllegalArgumentException("gemm inputs of two types: " + a.type() + " and " + b.type());
    }
    if (c.type() != DType.F32 && c.type() != a.type()) {
      throw new IllegalArgumentException("gemm output " + c.type() + " for inputs " + a.type());
    }
    checkOperand("A", a, transA ? k : m, transA ? m : k);
    checkOperand("B", b, transB ? n : k, transB ? k : n);
    checkOperand("C", c, m, n);
  }

  private void checkOperand(String name, Operand o, int rows, int cols) {
    if (o.ld() < rows) {
      throw new IllegalArgumentException("gemm " + name + ": ld " + o.ld() + " < " + rows + " rows (" + this + ")");
    }
    if (o.buffer() == null || o.buffer().freed()) {
      throw new IllegalStateException("gemm " + name + ": no live buffer (" + o.buffer() + ")");
    }
    long end = o.offset() + o.extent(rows, cols, batch);
    if (o.offset() < 0 || end > o.buffer().bytes) {
      throw new IllegalArgumentException("gemm " + name + " [" + rows + "x" + cols + ", ld " + o.ld() + ", batch "
          + batch + ", stride " + o.stride() + "] needs bytes [" + o.offset() + ", " + end + ") of " + o.buffer());
    }
    if (batch > 1 && o.stride() < 1) {
      throw new IllegalArgumentException("gemm " + name + ": batch " + batch + " with stride " + o.stride());
    }
  }

  /** Multiply-adds, for FLOP counts. */
  long flops() {
    return 2L * m * n * k * batch;
  }
}
