package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.kernels.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel of the CUDA backend, run by the kernel emulator through the unchanged {@link
 * CudaKernels}, against the ND4J backend on the same inputs, in FP32 and BF16, at shapes that reach
 * the paths the tiny fixture never touches: row widths that are not powers of two (96, 200, 768),
 * rows wider than a block (1,500 channels, 50,265 classes), padded attention at T = 512, layer norm
 * over thousands of rows, column sums over more than 256 rows (the atomic path), embedding
 * backward with repeated ids.
 *
 * <p>In BF16 the CUDA tensors created inside a scope are bf16: ND4J is given the same
 * bf16-rounded inputs, so the difference left is the rounding of the outputs (and of bf16
 * intermediates such as the attention probabilities): {@value #BF16_TOL} of the size of the values
 * compared. FP32: {@value #FP32_TOL}, summation order only.
 */
class EmulatedKernelParityTest {
  static final double FP32_TOL = 2e-5;
  static final double BF16_TOL = 2e-2;

  static CudaKernels fp32;
  static CudaKernels bf16;
  static Nd4jKernels nd4j;

  @BeforeAll
  static void open() {
    fp32 = new CudaKernels(EmulatedDevice.openOrSkip(), KernelPrecision.FP32);
    bf16 = new CudaKernels(EmulatedDevice.openOrSkip(), KernelPrecision.BF16);
    nd4j = new Nd4jKernels(KernelPrecision.FP32);
  }

  @AfterAll
  static void close() {
    if (fp32 != null) {
      fp32.close();
    }
    if (bf16 != null) {
      bf16.close();
    }
  }

  static CudaKernels cuda(KernelPrecision p) {
    return p == KernelPrecision.BF16 ? bf16 : fp32;
  }

  static double tol(KernelPrecision p) {
    return p == KernelPrecision.BF16 ? BF16_TOL : FP32_TOL;
  }

  /** One tensor on both backends, holding the same values (as the CUDA tensor stores them). */
  record Pair(Tensor cuda, Tensor nd4j) {}

  static Pair pair(CudaKernels k, float[] data, long... shape) {
    Tensor c = k.fromFloats(data, shape);
    float[] stored = ((CudaTensor) c).type == DType.BF16 ? rounded(data) : data;
    return new Pair(c, nd4j.fromFloats(stored, shape));
  }

  static float[] rounded(float[] data) {
    float[] r = new float[data.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = Bf16.round(data[i]);
    }
    return r;
  }

  static float[] random(SplittableRandom r, long n, double scale) {
    float[] x = new float[Math.toIntExact(n)];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return x;
  }

  static Pair random(CudaKernels k, SplittableRandom r, double scale, long... shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return pair(k, random(r, n, scale), shape);
  }

  /** Element-wise |cuda - nd4j| <= tol (|nd4j| + rms(nd4j)); names the worst element. */
  static void assertClose(String what, Pair p, CudaKernels k, double tol) {
    assertClose(what, nd4j.toFloats(p.nd4j), k.toFloats(p.cuda), tol);
  }

  static void assertClose(String what, float[] expected, float[] actual, double tol) {
    assertEquals(expected.length, actual.length, what + ": element count");
    double sq = 0;
    for (float e : expected) {
      sq += (double) e * e;
    }
    double rms = Math.sqrt(sq / Math.max(1, expected.length));
    double worst = 0;
    int at = -1;
    int bad = 0;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs((double) actual[i] - expected[i]) / (Math.abs(expected[i]) + rms + 1e-30);
      if (!(err <= tol)) {
        bad++;
      }
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    if (bad > 0) {
      fail(String.format(Locale.ROOT, "%s: %d of %d elements differ by more than %.1e; worst at %d: CUDA %s, ND4J %s"
          + " (relative %.3e)", what, bad, expected.length, tol, at, actual[at], expected[at], worst));
    }
  }

  // ---- elementwise -------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void elementwise(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(1);
    long rows = 97;
    long cols = 200;
    try (Kernels.Scope s = k.scope()) {
      Pair x = random(k, r, 3, rows, cols);
      Pair y = random(k, r, 1, rows, cols);
      Pair out = random(k, r, 1, rows, cols);
      k.geluForward(out.cuda, x.cuda);
      nd4j.geluForward(out.nd4j, x.nd4j);
      assertClose("gelu forward", out, k, tol(precision));
      k.geluBackward(out.cuda, y.cuda, x.cuda);
      nd4j.geluBackward(out.nd4j, y.nd4j, x.nd4j);
      assertClose("gelu backward", out, k, tol(precision));
      k.tanhForward(out.cuda, x.cuda);
      nd4j.tanhForward(out.nd4j, x.nd4j);
      assertClose("tanh forward", out, k, tol(precision));
      Pair t = pair(k, k.toFloats(out.cuda), rows, cols); // the forward's output, as stored
      k.tanhBackward(out.cuda, y.cuda, t.cuda);
      nd4j.tanhBackward(out.nd4j, y.nd4j, t.nd4j);
      assertClose("tanh backward", out, k, tol(precision));
      k.multiply(out.cuda, x.cuda, y.cuda);
      nd4j.multiply(out.nd4j, x.nd4j, y.nd4j);
      assertClose("multiply", out, k, tol(precision));
      k.add(out.cuda, x.cuda);
      nd4j.add(out.nd4j, x.nd4j);
      assertClose("add", out, k, tol(precision));
      k.scale(out.cuda, -0.37);
      nd4j.scale(out.nd4j, -0.37);
      assertClose("scale", out, k, tol(precision));
      k.copy(out.cuda, y.cuda);
      nd4j.copy(out.nd4j, y.nd4j);
      assertClose("copy", out, k, 0);
      k.fill(out.cuda, 1.25);
      nd4j.fill(out.nd4j, 1.25);
      assertClose("fill", out, k, 0);
      k.fill(out.cuda, 0);
      nd4j.fill(out.nd4j, 0);
      assertClose("fill zero", out, k, 0);
      // fp32 parameter side (copy_convert between types)
      Pair master = random(k, r, 1, rows * cols);
      k.copy(master.cuda, x.cuda);
      nd4j.copy(master.nd4j, x.nd4j);
      assertClose("copy into fp32", master, k, 0);
    }
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void sumOfSquaresOverManyBlocks(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    try (Kernels.Scope s = k.scope()) {
      Pair x = random(k, new SplittableRandom(2), 2, 1001, 301);
      double c = k.sumOfSquares(x.cuda);
      double e = 0;
      for (float v : k.toFloats(x.cuda)) {
        e += (double) v * v;
      }
      assertEquals(e, c, 1e-5 * e, "sum of squares over " + 1001 * 301 + " elements");
    }
  }

  // ---- rows and columns --------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void embeddingsWithRepeatedIds(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(3);
    int vocab = 1000;
    int c = 768;
    int n = 700;
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i % 7 == 0 ? 1 : r.nextInt(40); // many repeats, and the padding id 1
    }
    Pair table = random(k, r, 0.5, vocab, c);
    Pair dTable = random(k, r, 0.1, vocab, c);
    try (Kernels.Scope s = k.scope()) {
      Pair out = random(k, r, 1, n, c);
      k.embeddingForward(out.cuda, table.cuda, ids);
      nd4j.embeddingForward(out.nd4j, table.nd4j, ids);
      assertClose("embedding forward", out, k, tol(precision));
      Pair dOut = random(k, r, 1, n, c);
      k.embeddingBackward(dTable.cuda, dOut.cuda, ids, 1);
      nd4j.embeddingBackward(dTable.nd4j, dOut.nd4j, ids, 1);
      // fp32 atomics in any order: sums of up to ~20 terms
      assertClose("embedding backward", dTable, k, precision == KernelPrecision.BF16 ? 1e-5 : 1e-5);
    }
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void gatherScatterAndColumns(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(4);
    int[] rows = {299, 0, 17, 150, 3, 298, 77, 100, 5, 6, 7, 200, 201, 250, 42};
    try (Kernels.Scope s = k.scope()) {
      Pair x = random(k, r, 1, 300, 200);
      Pair out = random(k, r, 1, rows.length, 200);
      k.gatherRows(out.cuda, x.cuda, rows);
      nd4j.gatherRows(out.nd4j, x.nd4j, rows);
      assertClose("gather rows", out, k, 0);
      k.scatterAddRows(x.cuda, out.cuda, rows);
      nd4j.scatterAddRows(x.nd4j, out.nd4j, rows);
      assertClose("scatter-add rows", x, k, tol(precision));
      Pair wide = random(k, r, 1, 500, 3);
      Pair col = random(k, r, 1, 500, 1);
      k.copyColumn(col.cuda, wide.cuda, 1);
      nd4j.copyColumn(col.nd4j, wide.nd4j, 1);
      assertClose("copy column", col, k, 0);
      k.addToColumn(wide.cuda, 2, col.cuda);
      nd4j.addToColumn(wide.nd4j, 2, col.nd4j);
      assertClose("add to column", wide, k, tol(precision));
    }
  }

  // ---- layers ------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void layerNormAtManyShapes(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(5);
    for (int[] shape : new int[][] {{3000, 96}, {64, 768}, {70, 200}, {40, 1500}}) {
      int n = shape[0];
      int c = shape[1];
      String at = " [" + n + ", " + c + "]";
      Pair w = pair(k, add(random(r, c, 0.5), 1f), c);
      Pair b = random(k, r, 0.5, c);
      Pair dw = random(k, r, 0.1, c);
      Pair db = random(k, r, 0.1, c);
      try (Kernels.Scope s = k.scope()) {
        Pair x = pair(k, add(random(r, (long) n * c, 2), 0.7f), n, c);
        Pair out = random(k, r, 1, n, c);
        Pair mean = random(k, r, 1, n);
        Pair rstd = random(k, r, 1, n);
        k.layerNormForward(out.cuda, mean.cuda, rstd.cuda, x.cuda, w.cuda, b.cuda, 1e-5);
        nd4j.layerNormForward(out.nd4j, mean.nd4j, rstd.nd4j, x.nd4j, w.nd4j, b.nd4j, 1e-5);
        assertClose("layer norm mean" + at, mean, k, FP32_TOL);
        assertClose("layer norm rstd" + at, rstd, k, FP32_TOL);
        assertClose("layer norm out" + at, out, k, tol(precision));
        Pair dOut = random(k, r, 1, n, c);
        Pair dx = random(k, r, 1, n, c);
        k.layerNormBackward(dx.cuda, dw.cuda, db.cuda, dOut.cuda, x.cuda, mean.cuda, rstd.cuda, w.cuda);
        nd4j.layerNormBackward(dx.nd4j, dw.nd4j, db.nd4j, dOut.nd4j, x.nd4j, mean.nd4j, rstd.nd4j, w.nd4j);
        assertClose("layer norm dx" + at, dx, k, tol(precision));
        assertClose("layer norm dw" + at, dw, k, 1e-4);
        assertClose("layer norm db" + at, db, k, 1e-4);
      }
    }
  }

  static float[] add(float[] x, float v) {
    for (int i = 0; i < x.length; i++) {
      x[i] += v;
    }
    return x;
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void linearWithColumnSumsOverMoreThan256Rows(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(6);
    int n = 600;
    int in = 96;
    int o = 200;
    Pair w = random(k, r, 0.3, o, in);
    Pair b = random(k, r, 0.3, o);
    Pair dw = random(k, r, 0.1, o, in);
    Pair db = random(k, r, 0.1, o);
    // products read bf16 weights in BF16: ND4J gets them rounded
    Pair wIn = precision == KernelPrecision.BF16 ? new Pair(w.cuda, nd4j.fromFloats(rounded(k.toFloats(w.cuda)), o, in)) : w;
    try (Kernels.Scope s = k.scope()) {
      Pair x = random(k, r, 1, n, in);
      Pair y = random(k, r, 1, n, o);
      k.linearForward(y.cuda, x.cuda, w.cuda, b.cuda);
      nd4j.linearForward(y.nd4j, x.nd4j, wIn.nd4j, b.nd4j);
      assertClose("linear forward", y, k, tol(precision));
      k.linearForward(y.cuda, x.cuda, w.cuda, null);
      nd4j.linearForward(y.nd4j, x.nd4j, wIn.nd4j, null);
      assertClose("linear forward without bias", y, k, tol(precision));
      Pair dOut = random(k, r, 1, n, o);
      Pair dx = random(k, r, 1, n, in);
      k.linearBackward(dx.cuda, dw.cuda, db.cuda, dOut.cuda, x.cuda, w.cuda);
      nd4j.linearBackward(dx.nd4j, dw.nd4j, db.nd4j, dOut.nd4j, x.nd4j, wIn.nd4j);
      assertClose("linear dx", dx, k, tol(precision));
      assertClose("linear dW", dw, k, precision == KernelPrecision.BF16 ? 1e-3 : 1e-4);
      assertClose("linear dB (column sums, " + n + " rows)", db, k, 1e-4);
    }
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void paddedAttentionAtT512(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(7);
    int b = 2;
    int heads = 2;
    int c = 16;
    // T = 512 with dropout (padded second sequence); T = 200 (224 threads a row) without
    for (int t : new int[] {512, 200}) {
      boolean dropout = t == 512;
      int[] lengths = {t, t * 3 / 5};
      float[] bias = new float[b * t];
      for (int s = 0; s < b; s++) {
        for (int j = lengths[s]; j < t; j++) {
          bias[s * t + j] = -1e9f;
        }
      }
      String at = " at T = " + t + (dropout ? " with dropout" : "");
      try (Kernels.Scope s = k.scope()) {
        Pair q = random(k, r, 2, b * t, c);
        Pair kk = random(k, r, 2, b * t, c);
        Pair v = random(k, r, 1, b * t, c);
        Pair keyBias = pair(k, bias, b, t);
        Pair mask = null;
        if (dropout) {
          Tensor m = k.zeros(b, heads, t, t);
          k.dropoutMask(m, 0.1, 99);
          mask = new Pair(m, nd4j.fromFloats(k.toFloats(m), b, heads, t, t));
        }
        Pair ctx = random(k, r, 1, b * t, c);
        Pair probs = random(k, r, 1, b, heads, t, t);
        k.attentionForward(ctx.cuda, probs.cuda, q.cuda, kk.cuda, v.cuda, keyBias.cuda, heads,
            mask == null ? null : mask.cuda);
        nd4j.attentionForward(ctx.nd4j, probs.nd4j, q.nd4j, kk.nd4j, v.nd4j, keyBias.nd4j, heads,
            mask == null ? null : mask.nd4j);
        assertClose("attention probs" + at, probs, k, tol(precision));
        assertClose("attention context" + at, ctx, k, tol(precision));
        // the backward reads the probabilities as stored: give ND4J the same
        Pair saved = new Pair(probs.cuda, nd4j.fromFloats(k.toFloats(probs.cuda), b, heads, t, t));
        Pair dCtx = random(k, r, 1, b * t, c);
        Pair dq = random(k, r, 1, b * t, c);
        Pair dk = random(k, r, 1, b * t, c);
        Pair dv = random(k, r, 1, b * t, c);
        k.attentionBackward(dq.cuda, dk.cuda, dv.cuda, dCtx.cuda, saved.cuda, q.cuda, kk.cuda, v.cuda, heads,
            mask == null ? null : mask.cuda);
        nd4j.attentionBackward(dq.nd4j, dk.nd4j, dv.nd4j, dCtx.nd4j, saved.nd4j, q.nd4j, kk.nd4j, v.nd4j, heads,
            mask == null ? null : mask.nd4j);
        assertClose("attention dq" + at, dq, k, tol(precision));
        assertClose("attention dk" + at, dk, k, tol(precision));
        assertClose("attention dv" + at, dv, k, tol(precision));
      }
    }
  }

  // ---- dropout -----------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void dropoutMaskIsCounterRngBitForBit(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    double p = 0.1;
    long seed = 0x5eedL;
    try (Kernels.Scope s = k.scope()) {
      Tensor mask = k.zeros(317, 331);
      k.dropoutMask(mask, p, seed);
      float[] m = k.toFloats(mask);
      float keep = (float) (1.0 / (1.0 - p));
      for (int i = 0; i < m.length; i++) {
        float expected = CounterRng.uniform(seed, i) < (float) p ? 0f : keep;
        if (m[i] != expected) {
          fail("mask element " + i + " is " + m[i] + ", CounterRng gives " + expected);
        }
      }
    }
  }

  /**
   * The mean of dropout's output is the mean of its input: {@code 1/(1-p)} is applied in fp32, not
   * stored in a bf16 mask (where 1.1111 becomes 1.109375 and shrinks every output by 0.16%).
   */
  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void dropoutKeepsTheMeanInBf16(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    double p = 0.1;
    try (Kernels.Scope s = k.scope()) {
      int n = 400_000;
      float[] ones = new float[n];
      Arrays.fill(ones, 1f);
      Tensor x = k.fromFloats(ones, 1000, 400);
      Tensor mask = k.zeros(1000, 400);
      Tensor y = k.zeros(1000, 400);
      k.dropoutMask(mask, p, 7);
      k.multiply(y, x, mask);
      float[] out = k.toFloats(y);
      float[] m = k.toFloats(mask);
      double kept = 0;
      double sum = 0;
      for (int i = 0; i < n; i++) {
        kept += m[i] != 0 ? 1 : 0;
        sum += out[i];
      }
      // every kept element is 1/(1-p) rounded once to the storage type
      double expected = kept * (((CudaTensor) y).type == DType.BF16 ? Bf16.round((float) (1 / (1 - p))) : (float) (1 / (1 - p)));
      assertEquals(expected, sum, 1e-9 * expected, "sum of dropout(ones)");
      double maskScale = m[java.util.stream.IntStream.range(0, n).filter(i -> m[i] != 0).findFirst().orElseThrow()];
      assertEquals((float) (1 / (1 - p)), maskScale, 0.0, "the mask's kept value is 1/(1-p) in fp32");
      // a bf16 input times the mask: the bias of the old bf16 mask (-0.16%) would show here
      SplittableRandom r = new SplittableRandom(8);
      float[] data = random(r, n, 1);
      for (int i = 0; i < n; i++) {
        data[i] = Math.abs(data[i]) + 0.5f;
      }
      Tensor z = k.fromFloats(data, 1000, 400);
      k.multiply(y, z, mask);
      float[] zs = k.toFloats(z);
      float[] ys = k.toFloats(y);
      double got = 0;
      double want = 0;
      for (int i = 0; i < n; i++) {
        got += ys[i];
        want += m[i] != 0 ? zs[i] / (1 - p) : 0;
      }
      assertEquals(want, got, 2e-4 * want, "dropout output mean, relative bias " + (got / want - 1));
    }
  }

  // ---- cross-entropy -----------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void crossEntropyAtFullVocabulary(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(9);
    for (int[] shape : new int[][] {{24, 50_265}, {1024, 96}, {300, 200}}) {
      int m = shape[0];
      int v = shape[1];
      String at = " [" + m + ", " + v + "]";
      try (Kernels.Scope s = k.scope()) {
        Pair z = random(k, r, 4, m, v);
        int[] rows = java.util.stream.IntStream.range(0, m).filter(i -> i % 3 != 1).toArray();
        int[] targets = rows.clone();
        for (int j = 0; j < targets.length; j++) {
          targets[j] = r.nextInt(v);
        }
        Pair dz = random(k, r, 1, m, v);
        double lc = k.crossEntropy(z.cuda, rows, targets, 0.25, dz.cuda);
        double ln = nd4j.crossEntropy(z.nd4j, rows, targets, 0.25, dz.nd4j);
        assertEquals(ln, lc, 2e-6 * Math.abs(ln), "cross-entropy loss" + at);
        assertClose("cross-entropy dLogits" + at, dz, k, tol(precision));
        int[] all = new int[m];
        for (int j = 0; j < m; j++) {
          all[j] = r.nextInt(v);
        }
        lc = k.crossEntropy(z.cuda, null, all, 1.0, null);
        ln = nd4j.crossEntropy(z.nd4j, null, all, 1.0, null);
        assertEquals(ln, lc, 2e-6 * Math.abs(ln), "cross-entropy loss, every row" + at);
      }
    }
  }

  /** 96 classes take 96 threads: the old tree reduction skipped slots and missed about a third of rows. */
  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void argmaxAtWidthsThatAreNotPowersOfTwo(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(10);
    for (int[] shape : new int[][] {{1024, 96}, {512, 200}, {256, 768}, {16, 50_265}}) {
      int m = shape[0];
      int v = shape[1];
      try (Kernels.Scope s = k.scope()) {
        Pair z = random(k, r, 4, m, v);
        float[] stored = k.toFloats(z.cuda);
        int[] argmax = new int[m];
        for (int j = 0; j < m; j++) {
          for (int c = 1; c < v; c++) {
            if (stored[j * v + c] > stored[j * v + argmax[j]]) {
              argmax[j] = c;
            }
          }
        }
        assertEquals(m, k.argmaxHits(z.cuda, argmax), "rows whose argmax the CUDA backend finds, [" + m + ", " + v + "]");
        assertEquals(nd4j.argmaxHits(z.nd4j, argmax), k.argmaxHits(z.cuda, argmax));
      }
    }
  }

  // ---- optimizer ---------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void adamW(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(11);
    int n = 20_000;
    Pair p = random(k, r, 1, 100, 200);
    Pair m = random(k, r, 0.01, 100, 200);
    float[] vs = random(r, n, 1e-4);
    for (int i = 0; i < n; i++) {
      vs[i] = Math.abs(vs[i]);
    }
    Pair v = pair(k, vs, 100, 200);
    try (Kernels.Scope s = k.scope()) {
      Pair g = random(k, r, 0.01, 100, 200);
      k.adamW(p.cuda, g.cuda, m.cuda, v.cuda, 1e-3, 0.9, 0.98, 1e-6, 0.01, 3);
      nd4j.adamW(p.nd4j, g.nd4j, m.nd4j, v.nd4j, 1e-3, 0.9, 0.98, 1e-6, 0.01, 3);
    }
    assertClose("adamW weights", p, k, 1e-6);
    assertClose("adamW first moment", m, k, 1e-6);
    assertClose("adamW second moment", v, k, 1e-6);
  }

  /**
   * Weight decay at small learning rates, where it is all that moves a weight with no gradient: the
   * result is {@code p (1 - lr wd)} rounded once to fp32, as ND4J computes it in double. The old
   * kernel multiplied by {@code 1 - lr*wd} rounded to a float near 1.0 (at lr 1e-5, wd 0.01 it
   * decayed by 1.19e-7 instead of 1e-7), which rounds a large share of the weights the other way.
   */
  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void adamWDecayIsExactAtSmallLearningRates(KernelPrecision precision) {
    CudaKernels k = cuda(precision);
    SplittableRandom r = new SplittableRandom(12);
    int n = 100_000;
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) ((0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
    }
    for (double lr : new double[] {1e-3, 1e-4, 1e-5}) {
      Pair p = pair(k, w, n);
      Pair g = pair(k, new float[n], n);
      Pair m1 = pair(k, new float[n], n);
      Pair m2 = pair(k, new float[n], n);
      k.adamW(p.cuda, g.cuda, m1.cuda, m2.cuda, lr, 0.9, 0.999, 1e-8, 0.01, 1);
      nd4j.adamW(p.nd4j, g.nd4j, m1.nd4j, m2.nd4j, lr, 0.9, 0.999, 1e-8, 0.01, 1);
      float[] got = k.toFloats(p.cuda);
      float[] want = nd4j.toFloats(p.nd4j);
      int differ = 0;
      for (int i = 0; i < n; i++) {
        differ += got[i] != want[i] ? 1 : 0;
      }
      assertTrue(differ <= n / 1000, String.format(Locale.ROOT,
          "lr %.0e, wd 0.01: %d of %d weights decayed to another float than p (1 - lr wd) rounded once", lr, differ, n));
    }
  }
}
