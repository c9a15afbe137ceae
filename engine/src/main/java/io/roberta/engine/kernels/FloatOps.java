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
        if (!((VectorCapable) ops).usable()) {
          return new ScalarFloatOps();
        }
        WarmUp.run(ops, Long.getLong("roberta.simd.warmupMillis", 4000));
        return ops;
      } catch (ReflectiveOperationException | LinkageError e) {
        return new ScalarFloatOps();
      }
    }
  }

  /**
   * Compiles the vectorized kernels on clean inputs before the model runs them.
   *
   * <p>JDK 17's Vector API is fast only when C2 can keep vectors in registers, and it decides that
   * with the type profiles it gathered before compiling. Compiled after the model had run, with
   * profiles mixed by the many call sites of these kernels, the same GELU loop took 19-29 ms per
   * 4M elements instead of 5.9 ms and allocated about 250 MB of boxed vectors per call (JFR
   * allocation profile of {@code roberta bench rows}: 50 GB of {@code Float256Vector} per run,
   * 4-5 young collections a second). Running every kernel here first, alone and on small rows,
   * gets them compiled from the profile they will keep: in the same benchmark the young
   * collections fell from 336 to 26 and the GELU rows took a quarter of the time.
   *
   * <p>It runs until the round time has been flat for a few rounds after enough calls for C2 to
   * have compiled everything (about a second on a 2-core machine), or for at most {@code
   * maxMillis}; {@code -Droberta.simd.warmupMillis=0} turns it off. The results of the kernels do
   * not depend on it: only how fast they are.
   */
  final class WarmUp {
    private static final int N = 64;
    private static final int ROUND = 500;
    private static final int MIN_CALLS = 12_000;

    private WarmUp() {}

    static void run(FloatOps ops, long maxMillis) {
      if (maxMillis <= 0) {
        return;
      }
      float[] x = new float[N];
      float[] y = new float[N];
      float[] z = new float[N];
      for (int i = 0; i < N; i++) {
        x[i] = (i % 17 - 8) * 0.37f;
        y[i] = (i % 5 - 2) * 0.21f;
      }
      long deadline = System.nanoTime() + maxMillis * 1_000_000L;
      long best = Long.MAX_VALUE;
      int flat = 0;
      float sink = 0;
      for (int calls = 0; System.nanoTime() < deadline; calls += ROUND) {
        long t0 = System.nanoTime();
        for (int r = 0; r < ROUND; r++) {
          sink += round(ops, x, y, z);
        }
        long took = System.nanoTime() - t0;
        best = Math.min(best, took);
        flat = took <= best + best / 4 ? flat + 1 : 0;
        if (calls >= MIN_CALLS && flat >= 4) {
          break;
        }
      }
      if (sink == 42f) { // keeps the results alive so nothing is optimized away
        System.gc();
      }
    }

    private static float round(FloatOps ops, float[] x, float[] y, float[] z) {
      ops.gelu(x, z, 0, N);
      System.arraycopy(y, 0, z, 0, N);
      ops.geluBackward(x, z, 0, N);
      float s = ops.rowMax(x, 0, N);
      System.arraycopy(y, 0, z, 0, N);
      ops.expShifted(z, 0, N, 1f);
      s += ops.sum(x, 0, N) + ops.dot(x, y, 0, N);
      ops.scale(x, z, 0, N, 0.5f);
      ops.addScalar(x, 1f, z, 0, N);
      ops.multiplyAdd(x, y, z, 0, N);
      ops.add(x, y, z, 0, N);
      ops.multiply(x, y, z, 0, N);
      ops.softmaxGrad(z, y, 0, N, 0.3f, 0.5f);
      return s + ops.expShiftedRow(z, 0, N) + ops.maskDot(z, y, x, 0, N);
    }
  }

  /** Lets the vectorized implementation decline on hardware with vectors narrower than 256 bits. */
  interface VectorCapable {
    boolean usable();
  }
}
