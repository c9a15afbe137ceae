package io.roberta.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The FP32 row kernels: the vectorized implementation gives the scalar one's bytes (a worker
 * without the Vector API computes the same numbers), and both are accurate against double
 * precision references.
 */
class FloatOpsTest {

  private static final FloatOps SCALAR = new ScalarFloatOps();

  /** The surefire JVM has jdk.incubator.vector, so the vectorized implementation is in use. */
  @Test
  void theTestJvmUsesTheVectorizedKernels() {
    assertTrue(FloatOps.INSTANCE instanceof FloatOps.VectorCapable,
        "surefire's argLine adds jdk.incubator.vector; got " + Nd4jKernels.floatKernels());
  }

  private static float[] values(long seed, int n, float spread) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((r.nextDouble() * 2 - 1) * spread);
    }
    // edge values: zeros of both signs, far tails, the exp cut-offs
    float[] edges = {0f, -0f, 1e-30f, -1e-30f, 9f, -9f, 40f, -40f, -87.3f, -87.4f, -200f,
        88f, 0.5f, -0.5f, Float.MIN_VALUE};
    System.arraycopy(edges, 0, x, 0, Math.min(n, edges.length));
    return x;
  }

  @Test
  void vectorAndScalarGiveTheSameBytes() {
    FloatOps vector = FloatOps.INSTANCE;
    for (int n : new int[] {1, 7, 8, 9, 128, 131, 8000}) {
      for (float spread : new float[] {1f, 6f, 100f}) {
        float[] x = values(n * 31L + (long) spread, n + 3, spread);
        float[] g = values(n * 17L, n + 3, 1f);
        float[] m = values(n * 13L, n + 3, 2f);
        int off = 3 % (n + 3);
        float[] a = new float[n + 3];
        float[] b = new float[n + 3];
        SCALAR.gelu(x, a, off, n);
        vector.gelu(x, b, off, n);
        assertArrayEquals(a, b, "gelu, n=" + n);
        b = x.clone();
        vector.gelu(b, b, off, n); // in place
        System.arraycopy(x, 0, b, 0, off);
        System.arraycopy(x, off + n, b, off + n, b.length - off - n);
        System.arraycopy(x, 0, a, 0, off);
        System.arraycopy(x, off + n, a, off + n, a.length - off - n);
        assertArrayEquals(a, b, "gelu in place, n=" + n);
        a = g.clone();
        b = g.clone();
        SCALAR.geluBackward(x, a, off, n);
        vector.geluBackward(x, b, off, n);
        assertArrayEquals(a, b, "geluBackward, n=" + n);
        a = x.clone();
        b = x.clone();
        assertEquals(SCALAR.expShiftedRow(a, off, n), vector.expShiftedRow(b, off, n), "sum, n=" + n);
        assertArrayEquals(a, b, "expShiftedRow, n=" + n);
        a = g.clone();
        b = g.clone();
        float da = SCALAR.maskDot(a, m, x, off, n);
        float db = vector.maskDot(b, m, x, off, n);
        assertEquals(Float.floatToIntBits(da), Float.floatToIntBits(db), "maskDot, n=" + n);
        assertArrayEquals(a, b, "maskDot's masked gradient, n=" + n);
        SCALAR.softmaxGrad(a, x, off, n, da, 0.125f);
        vector.softmaxGrad(b, x, off, n, db, 0.125f);
        assertArrayEquals(a, b, "softmaxGrad, n=" + n);
        SCALAR.multiply(x, m, a, off, n);
        vector.multiply(x, m, b, off, n);
        assertArrayEquals(a, b, "multiply, n=" + n);
      }
    }
  }

  @Test
  void expAndErfAreAccurate() {
    double worstExp = 0;
    double worstErf = 0;
    for (float x = -87f; x <= 0f; x += 0.00731f) {
      double want = Math.exp(x);
      worstExp = Math.max(worstExp, Math.abs(ScalarFloatOps.exp(x) - want) / want);
    }
    for (float x = -6f; x <= 6f; x += 0.000377f) {
      worstErf = Math.max(worstErf, Math.abs(ScalarFloatOps.erf(x) - erf(x)));
    }
    assertTrue(worstExp < 3e-7, "exp relative error " + worstExp);
    // A&S 7.1.26 is within 1.5e-7; float evaluation adds a few ulp of 1 (PyTorch's has the same)
    assertTrue(worstErf < 6e-7, "erf absolute error " + worstErf);
    assertEquals(0f, ScalarFloatOps.exp(-200f));
    assertEquals(1f, ScalarFloatOps.exp(0f));
    assertEquals(0f, Math.abs(ScalarFloatOps.gelu(-20f)));
    assertEquals(20f, ScalarFloatOps.gelu(20f));
  }

  @Test
  void softmaxRowsSumToOneAndMatchDouble() {
    float[] x = values(5, 8000, 12f);
    double max = Double.NEGATIVE_INFINITY;
    for (float v : x) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : x) {
      sum += Math.exp(v - max);
    }
    float[] e = x.clone();
    float s = FloatOps.INSTANCE.expShiftedRow(e, 0, e.length);
    assertEquals(sum, s, sum * 1e-5);
    for (int i = 0; i < x.length; i++) {
      double want = Math.exp(x[i] - max);
      assertEquals(want, e[i], want * 1e-6 + 1e-37, "element " + i);
    }
  }

  /** erf in double to ~1e-15 (series below 3, continued fraction above). */
  static double erf(double x) {
    double ax = Math.abs(x);
    double r;
    if (ax < 3) {
      double term = ax;
      double s = ax;
      for (int n = 1; n < 200; n++) {
        term *= -ax * ax / n;
        s += term / (2 * n + 1);
      }
      r = 2 / Math.sqrt(Math.PI) * s;
    } else {
      double f = 0;
      for (int n = 60; n >= 1; n--) {
        f = n / 2.0 / (ax + f);
      }
      r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
    }
    return Math.copySign(r, x);
  }
}
