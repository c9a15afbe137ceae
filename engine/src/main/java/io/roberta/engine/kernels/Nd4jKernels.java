package io.roberta.engine.kernels;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference backend: ND4J on the CPU (nd4j-native), every matrix product through its BLAS
 * ({@link Nd4j#gemm}, batched {@link Nd4j#matmul}). Every tensor it creates is a fresh,
 * contiguous, row-major array, never a view.
 *
 * <pre>{@code Kernels k = new Nd4jKernels(KernelPrecision.FP32);}</pre>
 */
public final class Nd4jKernels implements Kernels {

  private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
  private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  private final KernelPrecision precision;
  private final DataType type;

  public Nd4jKernels(KernelPrecision precision) {
    if (precision == KernelPrecision.BF16) {
      throw new IllegalArgumentException("the ND4J backend computes in FP32 or FP64, not " + precision
          + "; BF16 mixed precision needs the CUDA backend (--backend=cuda)");
    }
    this.precision = precision;
    this.type = precision == KernelPrecision.FP64 ? DataType.DOUBLE : DataType.FLOAT;
  }

  /** A tensor backed by an ND4J array. */
  static final class Nd4jTensor implements Tensor {
    final INDArray array;

    Nd4jTensor(INDArray array) {
      this.array = array;
    }

    @Override
    public long[] shape() {
      return array.shape().clone();
    }

    @Override
    public long size() {
      return array.length();
    }

    @Override
    public String toString() {
      return "Nd4jTensor" + Arrays.toString(array.shape()) + " " + array.dataType();
    }
  }

  private static INDArray a(Tensor t) {
    if (!(t instanceof Nd4jTensor)) {
      throw new IllegalArgumentException(
          "tensor " + t + " was not created by Nd4jKernels; tensors of two backends do not mix");
    }
    return ((Nd4jTensor) t).array;
  }

  /** Column view {@code [N,1]} of a per-row statistic stored as {@code [N]}. */
  private static INDArray column(Tensor t) {
    INDArray x = a(t);
    return x.reshape(x.length(), 1);
  }

  /**
   * Pins ND4J's native threads (OpenMP, BLAS) to {@code threads} for every ND4J backend in this
   * JVM, so benchmarks and workers sharing a machine are repeatable. Returns the BLAS thread
   * count now in effect.
   */
  public static int pinThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads = " + threads + ", must be >= 1");
    }
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps()
        .setOmpNumThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    return Nd4j.factory().blas().getMaxThreads();
  }

  /**
   * Single-precision {@code C = A B^T} throughput of ND4J's BLAS for {@code [m,k] x [n,k]^T}, in
   * GFLOP/s (2 per multiply-add): the best single run after a warm-up, repeating for at least
   * {@code minSeconds} so that a busy machine still shows a quiet moment.
   */
  public static double sgemmGflops(int m, int n, int k, double minSeconds) {
    INDArray x = Nd4j.rand(DataType.FLOAT, m, k);
    INDArray w = Nd4j.rand(DataType.FLOAT, n, k);
    INDArray y = Nd4j.create(DataType.FLOAT, m, n);
    Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
    double best = 0;
    long end = System.nanoTime() + (long) (minSeconds * 1e9);
    for (int r = 0; r < 3 || System.nanoTime() < end; r++) {
      long start = System.nanoTime();
      Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
      double seconds = (System.nanoTime() - start) * 1e-9;
      best = Math.max(best, 2.0 * m * n * k / seconds / 1e9);
    }
    return best;
  }

  /** A body over the index range {@code [from, to)}. */
  interface RangeBody {
    void run(int from, int to);
  }

  /** Splits {@code [0, count)} over the common fork-join pool when the work is worth it. */
  static void forRanges(int count, long costPerItem, RangeBody body) {
    int workers = Math.max(1, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1);
    if (workers == 1 || count < 2 || (long) count * costPerItem < PARALLEL_THRESHOLD) {
      body.run(0, count);
      return;
    }
    int chunks = Math.min(count, workers * 4);
    java.util.stream.IntStream.range(0, chunks).parallel()
        .forEach(c -> body.run((int) ((long) c * count / chunks),
            (int) ((long) (c + 1) * count / chunks)));
  }

  private static final long PARALLEL_THRESHOLD = 1 << 16;

  /** {@code target[c] += sum over rows of g[r, c]}. */
  private static void addColumnSums(INDArray target, INDArray g) {
    int rows = (int) g.rows();
    int width = (int) g.columns();
    HostBuffer gs = HostBuffer.of(g);
    double[] sums = new double[width];
    for (int r = 0; r < rows; r++) {
      int base = r * width;
      for (int c = 0; c < width; c++) {
        sums[c] += gs.get(base + c);
      }
    }
    HostBuffer ts = HostBuffer.of(target);
    for (int c = 0; c < width; c++) {
      ts.add(c, sums[c]);
    }
  }

  @Override
  public KernelPrecision precision() {
    return precision;
  }

  // ---- memory ------------------------------------------------------------------------------

  private static final ThreadLocal<java.util.ArrayDeque<java.util.List<INDArray>>> SCOPES =
      ThreadLocal.withInitial(java.util.ArrayDeque::new);

  @Override
  public Scope scope() {
    java.util.ArrayDeque<java.util.List<INDArray>> stack = SCOPES.get();
    java.util.List<INDArray> owned = new java.util.ArrayList<>();
    stack.push(owned);
    return () -> {
      if (stack.peek() != owned) {
        throw new IllegalStateException("kernel scopes closed out of order");
      }
      stack.pop();
      for (INDArray array : owned) {
        if (array.closeable() && !array.wasClosed()) {
          array.close();
        }
      }
    };
  }

  @Override
  public void release(Tensor t) {
    INDArray array = a(t);
    if (array.closeable() && !array.wasClosed()) {
      array.close();
    }
  }

  /** Records a new array in the innermost open scope, if any. */
  private static Tensor owned(INDArray array) {
    java.util.List<INDArray> scope = SCOPES.get().peek();
    if (scope != null) {
      scope.add(array);
    }
    return new Nd4jTensor(array);
  }

  @Override
  public Tensor zeros(long... shape) {
    return owned(Nd4j.create(type, shape));
  }

  @Override
  public Tensor fromFloats(float[] data, long... shape) {
    Kernels.checkCount(data.length, shape);
    return owned(Nd4j.createFromArray(data).castTo(type).reshape('c', shape).dup('c'));
  }

  @Override
  public Tensor fromDoubles(double[] data, long... shape) {
    Kernels.checkCount(data.length, shape);
    return owned(Nd4j.createFromArray(data).castTo(type).reshape('c', shape).dup('c'));
  }

  @Override
  public float[] toFloats(Tensor t) {
    return a(t).castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  @Override
  public double[] toDoubles(Tensor t) {
    return a(t).castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  @Override
  public double get(Tensor t, long index) {
    return a(t).getDouble(index);
  }

  @Override
  public void set(Tensor t, long index, double value) {
    a(t).putScalar(index, value);
  }

  @Override
  public void copy(Tensor dst, Tensor src) {
    INDArray d = a(dst);
    d.assign(a(src).reshape(d.shape()));
  }

  // Below NATIVE_THRESHOLD elements a Java loop beats an ND4J op: no op dispatch, no OpenMP
  // hand-off (which costs most when the machine is busy).
  private static final long NATIVE_THRESHOLD = 1 << 20;

  @Override
  public void fill(Tensor t, double value) {
    INDArray x = a(t);
    if (x.length() >= NATIVE_THRESHOLD) {
      x.assign(value);
      return;
    }
    HostBuffer b = HostBuffer.of(x);
    for (int i = 0, n = (int) x.length(); i < n; i++) {
      b.set(i, value);
    }
  }

  @Override
  public void scale(Tensor t, double factor) {
    INDArray x = a(t);
    if (x.length() >= NATIVE_THRESHOLD) {
      x.muli(factor);
      return;
    }
    HostBuffer b = HostBuffer.of(x);
    for (int i = 0, n = (int) x.length(); i < n; i++) {
      b.set(i, b.get(i) * factor);
    }
  }

  @Override
  public void add(Tensor dst, Tensor src) {
    INDArray d = a(dst);
    INDArray s = a(src);
    checkSameLength(d, s, "add");
    if (d.length() >= NATIVE_THRESHOLD) {
      d.addi(s);
      return;
    }
    HostBuffer db = HostBuffer.of(d);
    HostBuffer sb = HostBuffer.of(s);
    for (int i = 0, n = (int) d.length(); i < n; i++) {
      db.set(i, db.get(i) + sb.get(i));
    }
  }

  @Override
  public void multiply(Tensor dst, Tensor x, Tensor y) {
    INDArray d = a(dst);
    INDArray xs = a(x);
    INDArray ys = a(y);
    checkSameLength(d, xs, "multiply");
    checkSameLength(d, ys, "multiply");
    if (d.length() >= NATIVE_THRESHOLD) {
      xs.mul(ys, d);
      return;
    }
    HostBuffer db = HostBuffer.of(d);
    HostBuffer xb = HostBuffer.of(xs);
    HostBuffer yb = HostBuffer.of(ys);
    for (int i = 0, n = (int) d.length(); i < n; i++) {
      db.set(i, xb.get(i) * yb.get(i));
    }
  }

  private static void checkSameLength(INDArray x, INDArray y, String where) {
    if (x.length() != y.length()) {
      throw new IllegalArgumentException(where + ": shapes " + Arrays.toString(x.shape())
          + " and " + Arrays.toString(y.shape()) + " differ");
    }
  }

  @Override
  public double sumOfSquares(Tensor t) {
    double norm = a(t).norm2Number().doubleValue();
    return norm * norm;
  }

  // ---- rows and columns --------------------------------------------------------------------

  @Override
  public void embeddingForward(Tensor out, Tensor table, int[] ids) {
    INDArray t = a(table);
    checkIds(ids, t.rows(), "embeddingForward");
    int width = (int) t.columns();
    HostBuffer o = HostBuffer.of(a(out));
    HostBuffer w = HostBuffer.of(t);
    forRanges(ids.length, width, (from, to) -> {
      for (int i = from; i < to; i++) {
        int src = ids[i] * width;
        int dst = i * width;
        for (int c = 0; c < width; c++) {
          o.add(dst + c, w.get(src + c));
        }
      }
    });
  }

  @Override
  public void embeddingBackward(Tensor dTable, Tensor dOut, int[] ids, int skipId) {
    INDArray t = a(dTable);
    checkIds(ids, t.rows(), "embeddingBackward");
    int width = (int) t.columns();
    HostBuffer table = HostBuffer.of(t);
    HostBuffer d = HostBuffer.of(a(dOut));
    // one thread: several rows may carry the same id
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != skipId) {
        int dst = ids[i] * width;
        int src = i * width;
        for (int c = 0; c < width; c++) {
          table.add(dst + c, d.get(src + c));
        }
      }
    }
  }

  private static void checkIds(int[] ids, long rows, String where) {
    for (int id : ids) {
      if (id < 0 || id >= rows) {
        throw new IllegalArgumentException(
            where + ": index " + id + " outside [0, " + rows + ")");
      }
    }
  }

  @Override
  public void gatherRows(Tensor out, Tensor x, int[] rows) {
    INDArray in = a(x);
    checkIds(rows, in.rows(), "gatherRows");
    int width = (int) in.columns();
    HostBuffer o = HostBuffer.of(a(out));
    HostBuffer src = HostBuffer.of(in);
    for (int j = 0; j < rows.length; j++) {
      for (int c = 0; c < width; c++) {
        o.set(j * width + c, src.get(rows[j] * width + c));
      }
    }
  }

  @Override
  public void scatterAddRows(Tensor dx, Tensor dRows, int[] rows) {
    INDArray target = a(dx);
    checkIds(rows, target.rows(), "scatterAddRows");
    int width = (int) target.columns();
    HostBuffer t = HostBuffer.of(target);
    HostBuffer src = HostBuffer.of(a(dRows));
    for (int j = 0; j < rows.length; j++) {
      for (int c = 0; c < width; c++) {
        t.add(rows[j] * width + c, src.get(j * width + c));
      }
    }
  }

  @Override
  public void copyColumn(Tensor dst, Tensor src, int col) {
    INDArray d = a(dst);
    d.assign(a(src).getColumn(col).reshape(d.shape()));
  }

  @Override
  public void addToColumn(Tensor dst, int col, Tensor src) {
    INDArray s = a(src);
    a(dst).getColumn(col).addi(s.reshape(s.length()));
  }

  // ---- layers ------------------------------------------------------------------------------

  @Override
  public void layerNormForward(
      Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, double eps) {
    INDArray in = a(x);
    int rows = (int) in.rows();
    int width = (int) in.columns();
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer ys = HostBuffer.of(a(out));
    HostBuffer mu = HostBuffer.of(a(mean));
    HostBuffer rs = HostBuffer.of(a(rstd));
    HostBuffer w = HostBuffer.of(a(weight));
    HostBuffer b = HostBuffer.of(a(bias));
    forRanges(rows, width, (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * width;
        double sum = 0;
        for (int c = 0; c < width; c++) {
          sum += xs.get(base + c);
        }
        double m = sum / width;
        double squares = 0;
        for (int c = 0; c < width; c++) {
          double d = xs.get(base + c) - m;
          squares += d * d;
        }
        double inv = 1.0 / Math.sqrt(squares / width + eps); // biased variance, as PyTorch
        mu.set(r, m);
        rs.set(r, inv);
        for (int c = 0; c < width; c++) {
          ys.set(base + c, (xs.get(base + c) - m) * inv * w.get(c) + b.get(c));
        }
      }
    });
  }

  @Override
  public void layerNormBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
      Tensor weight) {
    INDArray in = a(x);
    int rows = (int) in.rows();
    int width = (int) in.columns();
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer g = HostBuffer.of(a(dOut));
    HostBuffer dxs = HostBuffer.of(a(dx));
    HostBuffer mu = HostBuffer.of(a(mean));
    HostBuffer rs = HostBuffer.of(a(rstd));
    HostBuffer w = HostBuffer.of(a(weight));
    double[] dw = new double[width];
    double[] db = new double[width];
    forRanges(rows, width, (from, to) -> {
      double[] dwPart = new double[width];
      double[] dbPart = new double[width];
      for (int r = from; r < to; r++) {
        int base = r * width;
        double m = mu.get(r);
        double inv = rs.get(r);
        // dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dOut * weight
        double meanDNorm = 0;
        double meanDNormXhat = 0;
        for (int c = 0; c < width; c++) {
          double xhat = (xs.get(base + c) - m) * inv;
          double go = g.get(base + c);
          double dNorm = go * w.get(c);
          meanDNorm += dNorm;
          meanDNormXhat += dNorm * xhat;
          dwPart[c] += go * xhat;
          dbPart[c] += go;
        }
        meanDNorm /= width;
        meanDNormXhat /= width;
        for (int c = 0; c < width; c++) {
          double xhat = (xs.get(base + c) - m) * inv;
          double dNorm = g.get(base + c) * w.get(c);
          dxs.set(base + c, inv * (dNorm - meanDNorm - xhat * meanDNormXhat));
        }
      }
      synchronized (dw) {
        for (int c = 0; c < width; c++) {
          dw[c] += dwPart[c];
          db[c] += dbPart[c];
        }
      }
    });
    HostBuffer dws = HostBuffer.of(a(dWeight));
    HostBuffer dbs = HostBuffer.of(a(dBias));
    for (int c = 0; c < width; c++) {
      dws.add(c, dw[c]);
      dbs.add(c, db[c]);
    }
  }

  @Override
  public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias) {
    INDArray y = a(out);
    Nd4j.gemm(a(x), a(weight), y, false, true, 1.0, 0.0);
    if (bias != null) {
      int rows = (int) y.rows();
      int width = (int) y.columns();
      HostBuffer ys = HostBuffer.of(y);
      HostBuffer b = HostBuffer.of(a(bias));
      forRanges(rows, width, (from, to) -> {
        for (int r = from; r < to; r++) {
          for (int c = 0; c < width; c++) {
            ys.add(r * width + c, b.get(c));
          }
        }
      });
    }
  }

  @Override
  public void linearBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight) {
    INDArray g = a(dOut);
    if (dx != null) {
      Nd4j.gemm(g, a(weight), a(dx), false, false, 1.0, 0.0);
    }
    Nd4j.gemm(g, a(x), a(dWeight), true, false, 1.0, 1.0);
    if (dBias != null) {
      addColumnSums(a(dBias), g);
    }
  }

  @Override
  public void geluForward(Tensor out, Tensor x) {
    INDArray in = a(x);
    INDArray erf = in.mul(INV_SQRT2);
    Nd4j.getExecutioner().exec(new Erf(erf, erf));
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer es = HostBuffer.of(erf);
    HostBuffer ys = HostBuffer.of(a(out));
    forRanges((int) in.length(), 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        ys.set(i, 0.5 * xs.get(i) * (1.0 + es.get(i)));
      }
    });
    erf.close();
  }

  @Override
  public void geluBackward(Tensor dx, Tensor dOut, Tensor x) {
    INDArray in = a(x);
    // d/dx [x Phi(x)] = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)
    INDArray slope = in.mul(INV_SQRT2);
    Nd4j.getExecutioner().exec(new Erf(slope, slope));
    slope.addi(1.0).muli(0.5);
    INDArray density = in.mul(in).muli(-0.5);
    Transforms.exp(density, false).muli(in).muli(INV_SQRT_2PI);
    slope.addi(density);
    slope.mul(a(dOut), a(dx));
    slope.close();
    density.close();
  }

  @Override
  public void tanhForward(Tensor out, Tensor x) {
    a(out).assign(Transforms.tanh(a(x), true));
  }

  @Override
  public void tanhBackward(Tensor dx, Tensor dOut, Tensor out) {
    INDArray y = a(out);
    a(dx).assign(y.mul(y).rsubi(1.0).muli(a(dOut)));
  }

  /** {@code [B*T, C]} as heads {@code [B, nh, T, d]} (a view). */
  private static INDArray heads(INDArray x, long batch, long seq, int numHeads) {
    long headDim = x.size(1) / numHeads;
    return x.reshape('c', batch, seq, numHeads, headDim).permute(0, 2, 1, 3);
  }

  @Override
  public void attentionForward(
      Tensor context, Tensor probs, Tensor q, Tensor k, Tensor v, Tensor keyBias, int numHeads,
      Tensor dropMask) {
    INDArray bias = a(keyBias);
    long batch = bias.size(0);
    long seq = bias.size(1);
    long headDim = a(q).size(1) / numHeads;
    INDArray qh = heads(a(q), batch, seq, numHeads); // [B,nh,T,d]
    INDArray kh = heads(a(k), batch, seq, numHeads);
    INDArray vh = heads(a(v), batch, seq, numHeads);
    INDArray scores = Nd4j.create(type, batch, numHeads, seq, seq); // [B,nh,T,T]
    Nd4j.matmul(qh, kh, scores, false, true, false);
    double scale = 1.0 / Math.sqrt(headDim);
    HostBuffer ss = HostBuffer.of(scores);
    HostBuffer bs = HostBuffer.of(bias);
    int t = (int) seq;
    int heads = numHeads;
    forRanges((int) (batch * numHeads * seq), t, (from, to) -> {
      for (int row = from; row < to; row++) {
        int b = row / (heads * t);
        for (int j = 0; j < t; j++) {
          ss.set(row * t + j, ss.get(row * t + j) * scale + bs.get(b * t + j));
        }
      }
    });
    INDArray p = a(probs);
    Nd4j.exec(new SoftMax(scores, p, -1));
    scores.close();
    INDArray mixing = dropMask == null ? p : p.mul(a(dropMask));
    INDArray contextHeads = Nd4j.create(type, batch, numHeads, seq, headDim); // [B,nh,T,d]
    Nd4j.matmul(mixing, vh, contextHeads, false, false, false);
    heads(a(context), batch, seq, numHeads).assign(contextHeads);
    contextHeads.close();
    if (mixing != p) {
      mixing.close();
    }
  }

  @Override
  public void attentionBackward(
      Tensor dq, Tensor dk, Tensor dv, Tensor dContext, Tensor probs, Tensor q, Tensor k, Tensor v,
      int numHeads, Tensor dropMask) {
    INDArray p = a(probs);
    long batch = p.size(0);
    long seq = p.size(2);
    long headDim = a(q).size(1) / numHeads;
    INDArray qh = heads(a(q), batch, seq, numHeads);
    INDArray kh = heads(a(k), batch, seq, numHeads);
    INDArray vh = heads(a(v), batch, seq, numHeads);
    INDArray dContextHeads = heads(a(dContext), batch, seq, numHeads);
    // in the forward pass this was: context = (probs * dropMask) @ v
    INDArray mixing = dropMask == null ? p : p.mul(a(dropMask));
    INDArray dvHeads = Nd4j.create(type, batch, numHeads, seq, headDim);
    Nd4j.matmul(mixing, dContextHeads, dvHeads, true, false, false);
    INDArray dProbs = Nd4j.create(type, batch, numHeads, seq, seq);
    Nd4j.matmul(dContextHeads, vh, dProbs, false, true, false);
    if (dropMask != null) {
      dProbs.muli(a(dropMask));
    }
    // softmax backward: dScores = p * (dProbs - sum(dProbs * p)), then the 1/sqrt(d) scale
    double scale = 1.0 / Math.sqrt(headDim);
    HostBuffer dps = HostBuffer.of(dProbs);
    HostBuffer ps = HostBuffer.of(p);
    int t = (int) seq;
    forRanges((int) (batch * numHeads * seq), t, (from, to) -> {
      for (int row = from; row < to; row++) {
        int base = row * t;
        double dot = 0;
        for (int j = 0; j < t; j++) {
          dot += dps.get(base + j) * ps.get(base + j);
        }
        for (int j = 0; j < t; j++) {
          dps.set(base + j, ps.get(base + j) * (dps.get(base + j) - dot) * scale);
        }
      }
    });
    INDArray dScores = dProbs;
    INDArray dqHeads = Nd4j.create(type, batch, numHeads, seq, headDim);
    Nd4j.matmul(dScores, kh, dqHeads, false, false, false);
    INDArray dkHeads = Nd4j.create(type, batch, numHeads, seq, headDim);
    Nd4j.matmul(dScores, qh, dkHeads, true, false, false);
    heads(a(dq), batch, seq, numHeads).assign(dqHeads);
    heads(a(dk), batch, seq, numHeads).assign(dkHeads);
    heads(a(dv), batch, seq, numHeads).assign(dvHeads);
    for (INDArray temporary : new INDArray[] {dqHeads, dkHeads, dvHeads, dProbs}) {
      temporary.close();
    }
    if (mixing != p) {
      mixing.close();
    }
  }

  @Override
  public void dropoutMask(Tensor mask, double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability " + p + " outside [0, 1)");
    }
    HostBuffer m = HostBuffer.of(a(mask));
    SplittableRandom random = new SplittableRandom(seed);
    double keep = 1.0 / (1.0 - p);
    long n = a(mask).length();
    for (int i = 0; i < n; i++) {
      m.set(i, random.nextDouble() < p ? 0.0 : keep);
    }
  }

  @Override
  public double crossEntropy(
      Tensor logits, int[] rows, int[] targets, double scale, Tensor dLogits) {
    INDArray z = a(logits);
    long classes = z.size(1);
    if (rows != null && rows.length != targets.length) {
      throw new IllegalArgumentException(
          rows.length + " rows but " + targets.length + " targets");
    }
    if (rows == null && targets.length != z.rows()) {
      throw new IllegalArgumentException(
          targets.length + " targets for " + z.rows() + " rows of logits");
    }
    for (int t : targets) {
      if (t < 0 || t >= classes) {
        throw new IllegalArgumentException("target " + t + " outside [0, " + classes + ")");
      }
    }
    int count = targets.length;
    int[] selectedRows = rows != null ? rows : java.util.stream.IntStream.range(0, count).toArray();
    checkIds(selectedRows, z.rows(), "crossEntropy");
    INDArray selected = rows == null ? z : Nd4j.pullRows(z, 1, rows); // [M, K]
    INDArray probs = Nd4j.createUninitialized(type, selected.shape());
    Nd4j.exec(new SoftMax(selected, probs, -1));
    HostBuffer ps = HostBuffer.of(probs);
    HostBuffer zs = HostBuffer.of(selected);
    int width = (int) classes;
    double loss = 0;
    for (int j = 0; j < count; j++) {
      double p = ps.get(j * width + targets[j]);
      // -log p from the rounded probability is exact to ~1e-7; an underflowed p needs logsumexp
      loss -= p > 1e-30 ? Math.log(p) : logSoftmaxAt(zs, j * width, width, targets[j]);
    }
    if (dLogits != null) {
      for (int j = 0; j < count; j++) {
        int at = j * width + targets[j];
        ps.set(at, ps.get(at) - 1.0);
      }
      probs.muli(scale);
      INDArray d = a(dLogits);
      if (rows == null) {
        d.assign(probs);
      } else {
        d.assign(0.0);
        HostBuffer ds = HostBuffer.of(d);
        for (int j = 0; j < count; j++) {
          for (int c = 0; c < width; c++) {
            ds.add(rows[j] * width + c, ps.get(j * width + c));
          }
        }
      }
    }
    probs.close();
    if (selected != z) {
      selected.close();
    }
    return scale * loss;
  }

  /** {@code log softmax(z[base .. base+width))[target]}, computed in double. */
  private static double logSoftmaxAt(HostBuffer z, int base, int width, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < width; c++) {
      max = Math.max(max, z.get(base + c));
    }
    double sum = 0;
    for (int c = 0; c < width; c++) {
      sum += Math.exp(z.get(base + c) - max);
    }
    return z.get(base + target) - max - Math.log(sum);
  }

  // ---- optimizer ---------------------------------------------------------------------------

  @Override
  public void adamW(
      Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step) {
    // one pass, no temporaries: the optimizer touches every parameter every step
    HostBuffer p = HostBuffer.of(a(param));
    HostBuffer g = HostBuffer.of(a(grad));
    HostBuffer m1 = HostBuffer.of(a(m));
    HostBuffer m2 = HostBuffer.of(a(v));
    double decay = 1.0 - lr * weightDecay;
    double stepSize = lr / (1.0 - Math.pow(beta1, step));
    double biasCorrection2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
    forRanges((int) a(param).length(), 8, (from, to) -> {
      for (int i = from; i < to; i++) {
        double gi = g.get(i);
        double mi = beta1 * m1.get(i) + (1.0 - beta1) * gi;
        double vi = beta2 * m2.get(i) + (1.0 - beta2) * gi * gi;
        m1.set(i, mi);
        m2.set(i, vi);
        double denominator = Math.sqrt(vi) / biasCorrection2Sqrt + eps;
        p.set(i, p.get(i) * decay - stepSize * mi / denominator);
      }
    });
  }
}
