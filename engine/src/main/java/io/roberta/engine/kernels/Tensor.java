package io.roberta.engine.kernels;

import java.util.Arrays;

/**
 * A handle on an array that a {@link Kernels} backend owns. Model code only passes handles
 * around and asks the backend to compute on them, so a backend may keep the data anywhere (host
 * memory, GPU memory).
 *
 * <pre>{@code Tensor x = kernels.zeros(batch * seq, hidden); // [B*T, C]}</pre>
 */
public interface Tensor {

  /** The dimensions, outermost first; the returned array is a copy. */
  long[] shape();

  /** Number of dimensions. */
  default int rank() {
    return shape().length;
  }

  /** Number of elements. */
  default long size() {
    long n = 1;
    for (long d : shape()) {
      n *= d;
    }
    return n;
  }

  /** Size of dimension {@code dim}. */
  default long dim(int dim) {
    return shape()[dim];
  }

  /** The shape as text, e.g. {@code [3, 16, 32]}. */
  default String shapeString() {
    return Arrays.toString(shape());
  }
}
