package io.roberta.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The FP32 paths of the row kernels (FloatOps, float arithmetic) against the FP64 paths (double
 * arithmetic, the gradient checks' reference) on the same inputs, and their determinism.
 */
class Fp32RowKernelsTest {

  private final Kernels f32 = new Nd4jKernels(KernelPrecision.FP32);
  private final Kernels f64 = new Nd4jKernels(KernelPrecision.FP64);

  private static double[] random(long seed, int n, double spread) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((r.nextDouble() * 2 - 1) * spread); // representable in both precisions
    }
    return x;
  }

  private static void close(double[] want, float[] got, double tolerance, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], tolerance * (1 + Math.abs(want[i])), what + " [" + i + "]");
    }
  }

  /** Runs {@code op} on both backends with the same inputs; compares every output tensor. */
  private void both(long[][] shapes, double[][] inputs, int outputs, double tolerance, String what,
      java.util.function.BiConsumer<Kernels, Tensor[]> op) {
    for (int repeat = 0; repeat < 2; repeat++) {
      Tensor[] a = new Tensor[shapes.length];
      Tensor[] b = new Tensor[shapes.length];
      for (int i = 0; i < shapes.length; i++) {
        a[i] = i < inputs.length ? f32.fromDoubles(inputs[i], shapes[i]) : f32.zeros(shapes[i]);
        b[i] = i < inputs.length ? f64.fromDoubles(inputs[i], shapes[i]) : f64.zeros(shapes[i]);
      }
      op.accept(f32, a);
      op.accept(f64, b);
      for (int i = shapes.length - outputs; i < shapes.length; i++) {
        close(f64.toDoubles(b[i]), f32.toFloats(a[i]), tolerance, what + " output " + i);
      }
    }
  }

  /**
   * The FP32 arg-max (Java row threads) against the FP64 one (ND4J's native argMax) on rows wide
   * enough to be split over threads, with planted ties: both take the first index of the largest.
   */
  @Test
  void argmaxRowsMatchesNativeAndTakesTheFirstTie() {
    int rows = 700;
    int width = 1031;
    double[] z = random(11, rows * width, 4);
    for (int j = 0; j < rows; j += 3) { // a tie for the largest value, at two columns
      int first = (j * 7) % (width - 1);
      z[j * width + first] = 9;
      z[j * width + width - 1] = 9;
    }
    int[] got = f32.argmaxRows(f32.fromDoubles(z, new long[] {rows, width}));
    int[] want = f64.argmaxRows(f64.fromDoubles(z, new long[] {rows, width}));
    assertArrayEquals(want, got);
    for (int j = 0; j < rows; j += 3) {
      assertEquals((j * 7) % (width - 1), got[j], "row " + j);
    }
  }

  @Test
  void geluMatchesDouble() {
    int n = 5000;
    double[] x = random(1, n, 8);
    double[] g = random(2, n, 1);
    both(new long[][] {{n}, {n}, {n}, {n}}, new double[][] {x, g}, 2, 1e-6, "gelu",
        (k, t) -> {
          k.geluForward(t[2], t[0]);
          k.geluBackward(t[3], t[1], t[0]);
        });
  }

  @Test
  void layerNormMatchesDouble() {
    int rows = 300;
    int width = 72;
    double[] x = random(3, rows * width, 3);
    double[] w = random(4, width, 2);
    double[] b = random(5, width, 1);
    double[] g = random(6, rows * width, 1);
    long[] rw = {rows, width};
    both(new long[][] {rw, {width}, {width}, rw, rw, {rows}, {rows}, rw, {width}, {width}},
        new double[][] {x, w, b, g}, 6, 2e-5, "layer norm",
        (k, t) -> {
          k.layerNormForward(t[4], t[5], t[6], t[0], t[1], t[2], 1e-5);
          k.layerNormBackward(t[7], t[8], t[9], t[3], t[0], t[5], t[6], t[1]);
        });
  }

  @Test
  void attentionWithPaddingAndDropoutMatchesDouble() {
    int batch = 2;
    int seq = 9;
    int heads = 3;
    int c = 12;
    int n = batch * seq * c;
    double[] q = random(7, n, 1.5);
    double[] kk = random(8, n, 1.5);
    double[] v = random(9, n, 1);
    double[] dc = random(10, n, 1);
    double[] bias = new double[batch * seq];
    bias[seq - 1] = -1e4; // padding on the last key of the first sequence
    bias[2 * seq - 2] = -1e4;
    double[] mask = new double[batch * heads * seq * seq];
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < mask.length; i++) {
      mask[i] = r.nextDouble() < 0.1 ? 0 : 1 / 0.9;
    }
    long[] bt = {batch * seq, c};
    long[] p = {batch, heads, seq, seq};
    both(new long[][] {bt, bt, bt, bt, {batch, seq}, p, bt, p, bt, bt, bt},
        new double[][] {q, kk, v, dc, bias, mask}, 5, 2e-5, "attention",
        (k, t) -> {
          k.attentionForward(t[6], t[7], t[0], t[1], t[2], t[4], heads, t[5]);
          k.attentionBackward(t[8], t[9], t[10], t[3], t[7], t[0], t[1], t[2], heads, t[5]);
        });
  }

  @Test
  void linearBackwardBiasSumsMatchDouble() {
    int rows = 600; // three reduction chunks
    int in = 24;
    int out = 40;
    double[] x = random(14, rows * in, 1);
    double[] w = random(15, out * in, 1);
    double[] g = random(16, rows * out, 1);
    both(new long[][] {{rows, in}, {out, in}, {rows, out}, {rows, in}, {out, in}, {out}},
        new double[][] {x, w, g}, 3, 2e-5, "linear backward",
        (k, t) -> k.linearBackward(t[3], t[4], t[5], t[2], t[0], t[1]));
  }

  @Test
  void crossEntropyMatchesDouble() {
    int rows = 40;
    int classes = 1003;
    double[] z = random(12, rows * classes, 9);
    int[] targets = new int[rows / 2];
    int[] picked = new int[rows / 2];
    for (int j = 0; j < targets.length; j++) {
      targets[j] = (j * 97) % classes;
      picked[j] = 2 * j + 1;
    }
    double[] loss = new double[2];
    both(new long[][] {{rows, classes}, {rows, classes}}, new double[][] {z}, 1, 1e-6, "cross-entropy",
        (k, t) -> loss[k == f32 ? 0 : 1] = k.crossEntropy(t[0], picked, targets, 0.25, t[1]));
    assertEquals(loss[1], loss[0], 1e-6 * loss[1]);
  }

  @Test
  void fp32KernelsRepeatBitForBit() {
    int rows = 700; // several reduction chunks, several blocks
    int width = 128;
    float[] x = new float[rows * width];
    SplittableRandom r = new SplittableRandom(13);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    float[][] first = null;
    for (int run = 0; run < 2; run++) {
      Tensor in = f32.fromFloats(x, rows, width);
      Tensor w = f32.fromFloats(java.util.Arrays.copyOf(x, width), width);
      Tensor y = f32.zeros(rows, width);
      Tensor mean = f32.zeros(rows);
      Tensor rstd = f32.zeros(rows);
      Tensor dx = f32.zeros(rows, width);
      Tensor dw = f32.zeros(width);
      Tensor db = f32.zeros(width);
      f32.layerNormForward(y, mean, rstd, in, w, w, 1e-5);
      f32.layerNormBackward(dx, dw, db, in, in, mean, rstd, w);
      f32.geluForward(dx, dx);
      float[][] now = {f32.toFloats(y), f32.toFloats(dx), f32.toFloats(dw), f32.toFloats(db)};
      if (first != null) {
        for (int i = 0; i < now.length; i++) {
          assertArrayEquals(first[i], now[i], "output " + i);
        }
      }
      first = now;
    }
  }
}
