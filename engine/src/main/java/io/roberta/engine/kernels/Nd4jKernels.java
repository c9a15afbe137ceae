package io.roberta.engine.kernels;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference backend: ND4J on the CPU (nd4j-native), every matrix product through its BLAS
 * ({@link Nd4j#gemm}, batched {@link Nd4j#matmul}). Every tensor it creates is a fresh,
 * contiguous, row-major array, never a view.
 *
 * <pre>{@code Kernels k = new Nd4jKernels(Precision.FP32);}</pre>
 */
public final class Nd4jKernels implements Kernels {

  private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
  private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  private final Precision precision;
  private final DataType type;

  public Nd4jKernels(Precision precision) {
    this.precision = precision;
    this.type = precision == Precision.FP64 ? DataType.DOUBLE : DataType.FLOAT;
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

  private static Tensor wrap(INDArray array) {
    return new Nd4jTensor(array);
  }

  /** Column view {@code [N,1]} of a per-row statistic stored as {@code [N]}. */
  private static INDArray column(Tensor t) {
    INDArray x = a(t);
    return x.reshape(x.length(), 1);
  }

  @Override
  public Precision precision() {
    return precision;
  }

  // ---- memory ------------------------------------------------------------------------------

  @Override
  public Tensor zeros(long... shape) {
    return wrap(Nd4j.create(type, shape));
  }

  @Override
  public Tensor fromFloats(float[] data, long... shape) {
    checkCount(data.length, shape);
    return wrap(Nd4j.createFromArray(data).castTo(type).reshape('c', shape).dup('c'));
  }

  @Override
  public Tensor fromDoubles(double[] data, long... shape) {
    checkCount(data.length, shape);
    return wrap(Nd4j.createFromArray(data).castTo(type).reshape('c', shape).dup('c'));
  }

  private static void checkCount(int length, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != length) {
      throw new IllegalArgumentException(
          length + " values do not fill shape " + Arrays.toString(shape) + " (" + n + " elements)");
    }
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

  @Override
  public void fill(Tensor t, double value) {
    a(t).assign(value);
  }

  @Override
  public void scale(Tensor t, double factor) {
    a(t).muli(factor);
  }

  @Override
  public void add(Tensor dst, Tensor src) {
    a(dst).addi(a(src));
  }

  @Override
  public void multiply(Tensor dst, Tensor x, Tensor y) {
    a(x).mul(a(y), a(dst));
  }

  @Override
  public double sumOfSquares(Tensor t) {
    double norm = a(t).norm2Number().doubleValue();
    return norm * norm;
  }

  // ---- rows and columns --------------------------------------------------------------------

  @Override
  public void embeddingForward(Tensor out, Tensor table, int[] ids) {
    checkIds(ids, a(table).rows(), "embeddingForward");
    a(out).addi(Nd4j.pullRows(a(table), 1, ids));
  }

  @Override
  public void embeddingBackward(Tensor dTable, Tensor dOut, int[] ids, int skipId) {
    INDArray table = a(dTable);
    INDArray d = a(dOut);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != skipId) {
        table.getRow(ids[i]).addi(d.getRow(i));
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
    checkIds(rows, a(x).rows(), "gatherRows");
    a(out).assign(Nd4j.pullRows(a(x), 1, rows));
  }

  @Override
  public void scatterAddRows(Tensor dx, Tensor dRows, int[] rows) {
    INDArray target = a(dx);
    INDArray source = a(dRows);
    for (int j = 0; j < rows.length; j++) {
      target.getRow(rows[j]).addi(source.getRow(j));
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
    INDArray mu = in.mean(true, 1); // [N,1]
    INDArray centered = in.subColumnVector(mu); // [N,C]
    INDArray variance = centered.mul(centered).mean(true, 1); // [N,1], biased as in PyTorch
    INDArray inverseStd = Transforms.sqrt(variance.addi(eps), false).rdivi(1.0);
    column(mean).assign(mu);
    column(rstd).assign(inverseStd);
    a(out).assign(
        centered.muliColumnVector(inverseStd).muliRowVector(a(weight)).addiRowVector(a(bias)));
  }

  @Override
  public void layerNormBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
      Tensor weight) {
    INDArray g = a(dOut);
    INDArray inverseStd = column(rstd);
    INDArray normalized = a(x).subColumnVector(column(mean)).muliColumnVector(inverseStd);
    a(dWeight).addi(g.mul(normalized).sum(0));
    a(dBias).addi(g.sum(0));
    // dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dOut * weight
    INDArray dNorm = g.mulRowVector(a(weight));
    INDArray meanDNorm = dNorm.mean(true, 1);
    INDArray meanDNormXhat = dNorm.mul(normalized).mean(true, 1);
    a(dx).assign(
        dNorm.subiColumnVector(meanDNorm)
            .subi(normalized.muliColumnVector(meanDNormXhat))
            .muliColumnVector(inverseStd));
  }

  @Override
  public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias) {
    INDArray y = a(out);
    Nd4j.gemm(a(x), a(weight), y, false, true, 1.0, 0.0);
    if (bias != null) {
      y.addiRowVector(a(bias));
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
      a(dBias).addi(g.sum(0));
    }
  }

  @Override
  public void geluForward(Tensor out, Tensor x) {
    INDArray in = a(x);
    INDArray cdf = in.mul(INV_SQRT2);
    Nd4j.getExecutioner().exec(new Erf(cdf, cdf));
    a(out).assign(cdf.addi(1.0).muli(in).muli(0.5));
  }

  @Override
  public void geluBackward(Tensor dx, Tensor dOut, Tensor x) {
    INDArray in = a(x);
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    INDArray cdf = in.mul(INV_SQRT2);
    Nd4j.getExecutioner().exec(new Erf(cdf, cdf));
    cdf.addi(1.0).muli(0.5);
    INDArray pdf = Transforms.exp(in.mul(in).muli(-0.5), false).muli(INV_SQRT_2PI).muli(in);
    a(dx).assign(cdf.addi(pdf).muli(a(dOut)));
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
    scores.muli(1.0 / Math.sqrt(headDim));
    scores.addi(bias.reshape(batch, 1, 1, seq));
    INDArray p = a(probs);
    Nd4j.exec(new SoftMax(scores, p, -1));
    INDArray mixing = dropMask == null ? p : p.mul(a(dropMask));
    INDArray contextHeads = Nd4j.create(type, batch, numHeads, seq, headDim); // [B,nh,T,d]
    Nd4j.matmul(mixing, vh, contextHeads, false, false, false);
    heads(a(context), batch, seq, numHeads).assign(contextHeads);
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
    INDArray rowDot = dProbs.mul(p).sum(true, 3); // [B,nh,T,1]
    INDArray dScores = dProbs.subi(rowDot).muli(p).muli(1.0 / Math.sqrt(headDim));
    INDArray dqHeads = Nd4j.create(type, batch, numHeads, seq, headDim);
    Nd4j.matmul(dScores, kh, dqHeads, false, false, false);
    INDArray dkHeads = Nd4j.create(type, batch, numHeads, seq, headDim);
    Nd4j.matmul(dScores, qh, dkHeads, true, false, false);
    heads(a(dq), batch, seq, numHeads).assign(dqHeads);
    heads(a(dk), batch, seq, numHeads).assign(dkHeads);
    heads(a(dv), batch, seq, numHeads).assign(dvHeads);
  }

  @Override
  public void dropoutMask(Tensor mask, double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability " + p + " outside [0, 1)");
    }
    INDArray m = a(mask);
    SplittableRandom random = new SplittableRandom(seed);
    double keep = 1.0 / (1.0 - p);
    long n = m.length();
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("dropout mask of " + n + " elements is too large");
    }
    float[] values = new float[(int) n];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble() < p ? 0f : (float) keep;
    }
    INDArray host = Nd4j.createFromArray(values).castTo(type);
    if (type == DataType.DOUBLE) {
      // exact 1/(1-p) in double rather than its float rounding
      host = host.gt(0).castTo(type).muli(keep);
    }
    m.assign(host.reshape(m.shape()));
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
    INDArray selected = rows == null ? z : Nd4j.pullRows(z, 1, rows);
    INDArray logProbs = Nd4j.create(type, selected.shape());
    Nd4j.exec(new LogSoftMax(selected, logProbs));
    double loss = 0;
    for (int j = 0; j < targets.length; j++) {
      loss -= logProbs.getDouble(j, targets[j]);
    }
    if (dLogits != null) {
      INDArray grad = Transforms.exp(logProbs, false).muli(scale);
      for (int j = 0; j < targets.length; j++) {
        grad.putScalar(j, targets[j], grad.getDouble(j, targets[j]) - scale);
      }
      INDArray d = a(dLogits);
      if (rows == null) {
        d.assign(grad);
      } else {
        d.assign(0.0);
        for (int j = 0; j < rows.length; j++) {
          d.getRow(rows[j]).addi(grad.getRow(j));
        }
      }
    }
    return scale * loss;
  }

  // ---- optimizer ---------------------------------------------------------------------------

  @Override
  public void adamW(
      Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step) {
    INDArray p = a(param);
    INDArray g = a(grad);
    INDArray m1 = a(m);
    INDArray m2 = a(v);
    if (weightDecay != 0) {
      p.muli(1.0 - lr * weightDecay);
    }
    m1.muli(beta1).addi(g.mul(1.0 - beta1));
    m2.muli(beta2).addi(g.mul(g).muli(1.0 - beta2));
    double biasCorrection1 = 1.0 - Math.pow(beta1, step);
    double biasCorrection2 = 1.0 - Math.pow(beta2, step);
    INDArray denominator =
        Transforms.sqrt(m2, true).divi(Math.sqrt(biasCorrection2)).addi(eps);
    p.subi(m1.div(denominator).muli(lr / biasCorrection1));
  }
}
