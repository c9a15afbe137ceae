package io.roberta.engine.cuda;

/**
 * Grid and block sizes of the kernels, and the limits every launch must respect (CUDA's, for
 * compute capability 8.0 and later).
 */
final class LaunchShape {
  /** Threads per block of the elementwise kernels. */
  static final int BLOCK = 256;
  /** Blocks of a grid-stride loop beyond which more blocks only add scheduling. */
  static final int MAX_STRIDE_BLOCKS = 1 << 16;
  /** Rows one block of {@code layernorm_backward} takes. */
  static final int LAYERNORM_ROWS_PER_BLOCK = 32;
  /** Static shared memory a block may use without opting in. */
  static final int SHARED_LIMIT = 48 * 1024;

  private LaunchShape() {}

  /** Three sizes of a grid or a block. */
  record Dim3(int x, int y, int z) {
    static Dim3 of(int x) {
      return new Dim3(x, 1, 1);
    }

    long threads() {
      return (long) x * y * z;
    }
  }

  /** Grid of a grid-stride elementwise kernel over {@code n} elements. */
  static Dim3 elementwise(long n) {
    long blocks = Math.max(1, (n + BLOCK - 1) / BLOCK);
    return Dim3.of((int) Math.min(blocks, MAX_STRIDE_BLOCKS));
  }

  /**
   * Threads of a one-block-per-row kernel over rows of {@code width}: the width rounded up to a
   * warp, at least one warp, at most 1024 (then each thread loops).
   */
  static Dim3 rowThreads(long width) {
    long t = Math.max(32, (width + 31) / 32 * 32);
    return Dim3.of((int) Math.min(1024, t));
  }

  /** Grid of a one-block-per-row kernel. */
  static Dim3 rows(long rows) {
    if (rows > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(rows + " rows exceed one launch's grid");
    }
    return Dim3.of((int) Math.max(1, rows));
  }

  /** Block of {@code column_sums_add}: 32 columns by 8 row lanes. */
  static final Dim3 COLUMN_SUMS_BLOCK = new Dim3(32, 8, 1);

  /**
   * Grid of {@code column_sums_add}: 32 columns a block; with an fp32 target the rows split into
   * chunks of about 256 that add with atomics, else one chunk.
   */
  static Dim3 columnSums(long rows, long cols, boolean atomicTarget) {
    int chunks = atomicTarget ? (int) Math.max(1, Math.min(1024, (rows + 255) / 256)) : 1;
    return new Dim3((int) ((cols + 31) / 32), chunks, 1);
  }

  /** Grid of {@code layernorm_backward}. */
  static Dim3 layerNormBackward(long rows) {
    return Dim3.of((int) Math.max(1, (rows + LAYERNORM_ROWS_PER_BLOCK - 1) / LAYERNORM_ROWS_PER_BLOCK));
  }

  /** Dynamic shared memory of {@code layernorm_backward}: a dw and a db part of {@code c} floats. */
  static int layerNormBackwardShared(long c) {
    long bytes = 2 * c * 4;
    if (bytes + 32 * 4 > SHARED_LIMIT) {
      throw new IllegalArgumentException("layer norm over " + c + " channels needs " + bytes
          + " bytes of shared memory, more than " + SHARED_LIMIT);
    }
    return (int) bytes;
  }

  /** Throws unless {@code grid} and {@code block} are a valid launch on compute capability 8.0+. */
  static void check(String kernel, Dim3 grid, Dim3 block, int sharedBytes) {
    if (grid.x() < 1 || grid.y() < 1 || grid.z() < 1 || grid.y() > 65535 || grid.z() > 65535) {
      throw new IllegalArgumentException(kernel + ": grid " + grid + " outside [1, 2^31-1] x [1, 65535]^2");
    }
    if (block.x() < 1 || block.y() < 1 || block.z() < 1 || block.z() > 64 || block.threads() > 1024) {
      throw new IllegalArgumentException(kernel + ": block " + block + " exceeds 1024 threads (z <= 64)");
    }
    if (sharedBytes < 0 || sharedBytes > SHARED_LIMIT) {
      throw new IllegalArgumentException(kernel + ": " + sharedBytes + " bytes of dynamic shared memory, limit " + SHARED_LIMIT);
    }
  }
}
