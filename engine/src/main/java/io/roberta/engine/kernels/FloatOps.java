package io.roberta.engine.kernels;

/**
 * FP32 row and element kernels on {@code float[]} slices, used by {@link Nd4jKernels} for the
 * work ND4J has no fused op for (GELU, softmax with dropout, softmax backward, cross-entropy).
 *
 * <p>Two implementations give the same bytes: {@link ScalarFloatOps}, plain Java, and {@code
 * VectorFloatOps}, the same arithmetic eight lanes at a time through the Vector API
 * ({@code jdk.incubator.vector}), used when the JVM was started with {@code --add-modules
 * jdk.incubator.vector} (the {@code roberta} launcher and the tests do). Both round every
 * operation to float in the same order, use no fused multiply-add, and sum with the same fixed
 * layout (eight partial sums, element {@code i} into partial {@code i % 8}, then the partials in
 * order, then the tail), so a worker started without the flag computes identical results, only
 * slower. {@link #INSTANCE} is the one this JVM uses.
 *
 * <p>The transcendental functions are the ones PyTorch's CPU kernels use: a Cephes-style
 * {@code expf} (range reduction by ln 2, degree-6 polynomial, about 1 ulp) and the Abramowitz and
 * Stegun 7.1.26 {@code erf} (absolute error below 1.5e-7) that PyTorch's vectorized {@code erf},
 * and so Hugging Face's exact GELU on a CPU, evaluates.
 */
interface FloatOps {

  /**
   * {@code y[i] = 0.5 x (1 + erf(x / sqrt 2))} for {@code i} in {@code [off, off + n)}
   * ({@code y} may be {@code x}).
   */
  void gelu(float[] x, float[] y, int off, int n);

  /**
   * {@code g[i] *= Phi(x) + x phi(x)}: the GELU backward, in place in {@code g}, for {@code i} in
   * {@code [off, off + n)}.
   */
  void geluBackward(float[] x, float[] g, int off, int n);

  /** The maximum of the row {@code [off, off + n)} (negative infinity when empty). */
  float rowMax(float[] x, int off, int n);

  /** {@code x[i] = exp(x[i] - m)} over {@code [off, off + n)}. */
  void expShifted(float[] x, int off, int n, float m);

  /** The fixed-layout sum of {@code x[i]} over {@code [off, off + n)} (see the class comment). */
  float sum(float[] x, int off, int n);

  /** The fixed-layout sum of {@code x[i] y[i]} over {@code [off, off + n)}. */
  float dot(float[] x, float[] y, int off, int n);

  /**
   * {@code x[i] = exp(x[i] - max)} over the row, returns their sum: the softmax numerator and
   * denominator. Three separate passes, each small enough for the JIT to compile whole.
   */
  default float expShiftedRow(float[] x, int off, int n) {
    expShifted(x, off, n, rowMax(x, off, n));
    return sum(x, off, n);
  }

  /** {@code y[i] = x[i] * f} over {@code [off, off + n)} ({@code y} may be {@code x}). */
  void scale(float[] x, float[] y, int off, int n, float f);

  /** {@code y[i] = x[i] + c} over {@code [off, off + n)} ({@code y} may be {@code x}). */
  void addScalar(float[] x, float c, float[] y, int off, int n);

  /** {@code acc[i] = acc[i] + x[i] * y[i]} (two roundings, no fused multiply-add). */
  void multiplyAdd(float[] x, float[] y, float[] acc, int off, int n);

  /** {@code z[i] = x[i] + y[i]} over {@code [off, off + n)} ({@code z} may be either input). */
  void add(float[] x, float[] y, float[] z, int off, int n);

  /** {@code z[i] = x[i] * y[i]} over {@code [off, off + n)} ({@code z} may be either input). */
  void multiply(float[] x, float[] y, float[] z, int off, int n);

  /**
   * The softmax backward's dot product with the dropout mask folded in: {@code g[i] *= m[i]}
   * (skipped when {@code m} is null), then returns {@code sum g[i] p[i]} over {@code [off, off + n)}.
   */
  default float maskDot(float[] g, float[] m, float[] p, int off, int n) {
    if (m != null) {
      multiply(g, m, g, off, n);
    }
    return dot(g, p, off, n);
  }

  /** {@code g[i] = p[i] (g[i] - dot) scale} over {@code [off, off + n)}. */
  void softmaxGrad(float[] g, float[] p, int off, int n, float dot, float scale);

  /** The implementation this JVM uses: vectorized when the Vector API is there, else scalar. */
  FloatOps INSTANCE = Select.choose();

  /** Picks the implementation once per JVM. */
  final class Select {
    private Select() {}

    static FloatOps choose() {
      if (!Boolean.parseBoolean(System.getProperty("roberta.simd", "true"))) {
        return new ScalarFloatOps();
      }
      if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        return new ScalarFloatOps();
      }
      try {
        FloatOps ops = (FloatOps) Class.forName("io.roberta.engine.kernels.VectorFloatOps")
            .getDeclaredConstructor().newInstance();
        return ((VectorCapable) ops).usable() ? ops : new ScalarFloatOps();
      } catch (ReflectiveOperationException | LinkageError e) {
        return new ScalarFloatOps();
      }
    }
  }

  /** Lets the vectorized implementation decline on hardware with vectors narrower than 256 bits. */
  interface VectorCapable {
    boolean usable();
  }
}
