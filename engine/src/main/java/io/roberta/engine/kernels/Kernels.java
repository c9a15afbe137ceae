package io.roberta.engine.kernels;

import java.util.Arrays;

/**
 * The small set of operations the RoBERTa network is written against, each forward next to its
 * backward. Shapes use {@code N} rows (tokens, {@code B*T}), {@code C} channels, {@code V}
 * vocabulary, {@code nh} heads. Backward kernels <em>accumulate</em> into parameter gradients
 * ({@code +=}, so tied and shared weights sum naturally) and <em>overwrite</em> input gradients
 * unless a method says otherwise.
 *
 * <p>An implementation owns every {@link Tensor} it creates; tensors from two backends do not mix.
 *
 * <pre>{@code
 * Kernels k = new Nd4jKernels(KernelPrecision.FP32);
 * Tensor y = k.zeros(n, out);
 * k.linearForward(y, x, weight, bias);   // y = x W^T + b
 * }</pre>
 */
public interface Kernels extends AutoCloseable {

  KernelPrecision precision();

  /**
   * Which kernels compute: the backend, its precision and, where it has them, the native library
   * build and the CPU kernels it chose. Stages record it beside their results, because the same
   * inputs give the same bytes only on the same kernels (an AVX-512 and an AVX2 sgemm sum in
   * different orders).
   */
  default String describe() {
    return getClass().getSimpleName() + ", " + precision();
  }

  /**
   * Gives back the native memory this backend keeps for reuse (pools of buffers freed by closed
   * scopes, on every thread that used it) and, for a backend that owns a device, the device.
   * Whoever created the backend closes it when the work ends (a stage, a DoFn's teardown);
   * tensors it created must not be used afterwards. Closing twice is harmless.
   *
   * <pre>{@code
   * try (Kernels k = Backends.create(Backend.ND4J, KernelPrecision.FP32);
   *     RobertaForMaskedLM model = RobertaForMaskedLM.loadForInference(dir, k)) { ... }
   * }</pre>
   */
  @Override
  default void close() {}

  // ---- memory ------------------------------------------------------------------------------

  /**
   * Opens a scope on this thread: every tensor this backend creates on this thread until {@link
   * Scope#close()} is freed then, so a training step does not wait for the garbage collector to
   * return native memory. Nothing created inside may be used after close. Scopes nest.
   *
   * <pre>{@code try (Kernels.Scope s = kernels.scope()) { ... one step ... }}</pre>
   */
  /** Throws unless {@code length} values exactly fill {@code shape}; backends call it when they take host data. */
  static void checkCount(int length, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != length) {
      throw new IllegalArgumentException(
          length + " values do not fill shape " + Arrays.toString(shape) + " (" + n + " elements)");
    }
  }

  Scope scope();

  /**
   * Frees a tensor created outside any scope (a parameter, a gradient, an optimizer moment) now,
   * instead of when the garbage collector finds it; it must not be used afterwards. A backend
   * without eager freeing leaves it to the collector.
   */
  default void release(Tensor t) {}

  /** See {@link #scope()}. */
  interface Scope extends AutoCloseable {
    @Override
    void close();
  }

  /** A new tensor of zeros. */
  Tensor zeros(long... shape);

  /**
   * A new tensor whose contents are unspecified, for outputs a kernel overwrites completely (a
   * backend may then skip zeroing a reused buffer). Defaults to {@link #zeros}.
   */
  default Tensor empty(long... shape) {
    return zeros(shape);
  }

  /** A new tensor holding {@code data} (row-major) converted to this backend's precision. */
  Tensor fromFloats(float[] data, long... shape);

  /** A new tensor holding {@code data} (row-major) converted to this backend's precision. */
  Tensor fromDoubles(double[] data, long... shape);

  /** The elements, row-major, as floats. */
  float[] toFloats(Tensor t);

  /** The elements, row-major, as doubles. */
  double[] toDoubles(Tensor t);

  /** One element by its row-major index. */
  double get(Tensor t, long index);

  /** Sets one element by its row-major index. */
  void set(Tensor t, long index, double value);

  /** {@code dst = src}; shapes must have the same element count. */
  void copy(Tensor dst, Tensor src);

  /** Sets every element to {@code value}. */
  void fill(Tensor t, double value);

  /** {@code t *= factor}. */
  void scale(Tensor t, double factor);

  /** {@code dst += src}, same shapes (residual connections, gradient sums). */
  void add(Tensor dst, Tensor src);

  /** {@code dst = a * b} elementwise (dropout masks). */
  void multiply(Tensor dst, Tensor a, Tensor b);

  /** Sum of the squared elements, accumulated in double (global-norm clipping). */
  double sumOfSquares(Tensor t);

  // ---- rows and columns --------------------------------------------------------------------

  /** {@code out[i] += table[ids[i]]}: out {@code [N,C]}, table {@code [V,C]}. */
  void embeddingForward(Tensor out, Tensor table, int[] ids);

  /**
   * {@code dTable[ids[i]] += dOut[i]} for every {@code i} whose id is not {@code skipId} (a
   * padding index whose row never learns; pass -1 for none).
   */
  void embeddingBackward(Tensor dTable, Tensor dOut, int[] ids, int skipId);

  /** {@code out[j] = x[rows[j]]}: out {@code [M,C]}, x {@code [N,C]}. */
  void gatherRows(Tensor out, Tensor x, int[] rows);

  /** {@code dx[rows[j]] += dRows[j]}: the backward of {@link #gatherRows}. */
  void scatterAddRows(Tensor dx, Tensor dRows, int[] rows);

  /** {@code dst[i] = src[i, col]}: dst has {@code N} elements (any shape), src is {@code [N,K]}. */
  void copyColumn(Tensor dst, Tensor src, int col);

  /** {@code dst[i, col] += src[i]}: the backward of {@link #copyColumn}. */
  void addToColumn(Tensor dst, int col, Tensor src);

  // ---- layers ------------------------------------------------------------------------------

  /**
   * Layer norm over the last dimension: {@code out = (x - mean) * rstd * weight + bias}; saves
   * mean and rstd {@code [N]} for the backward. x, out {@code [N,C]}.
   */
  void layerNormForward(
      Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, double eps);

  /** dx overwritten; dWeight, dBias accumulated. */
  void layerNormBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
      Tensor weight);

  /** {@code out = x W^T + b}: x {@code [N,I]}, W {@code [O,I]} (PyTorch layout), b {@code [O]} or null. */
  void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias);

  /**
   * dx overwritten ({@code dOut W}, skipped when dx is null); dWeight ({@code dOut^T x}) and
   * dBias (column sums of dOut, skipped when null) accumulated.
   */
  void linearBackward(Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight);

  /**
   * As {@link #linearBackward} but {@code dx} is accumulated ({@code dx += dOut W}), for an input
   * that feeds several projections (query, key and value). Defaults to a temporary and {@link
   * #add}.
   */
  default void linearBackwardAccumulate(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight) {
    Tensor part = empty(dx.shape());
    linearBackward(part, dWeight, dBias, dOut, x, weight);
    add(dx, part);
  }

  /** Exact GELU: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  void geluForward(Tensor out, Tensor x);

  void geluBackward(Tensor dx, Tensor dOut, Tensor x);

  void tanhForward(Tensor out, Tensor x);

  /** Uses the forward's output: {@code dx = dOut (1 - out^2)}. */
  void tanhBackward(Tensor dx, Tensor dOut, Tensor out);

  /**
   * Multi-head scaled dot-product attention with a key padding mask.
   *
   * @param context out {@code [B*T, C]}: heads concatenated per token
   * @param probs out {@code [B, nh, T, T]}: softmax of {@code q k^T / sqrt(d) + keyBias}, saved
   *     for the backward (before dropout)
   * @param q query {@code [B*T, C]}, head {@code h} in channels {@code [h*d, (h+1)*d)}
   * @param keyBias {@code [B, T]}: 0 where a key may be attended, a large negative value at padding
   * @param dropMask null, or {@code [B, nh, T, T]} multiplied into probs before mixing values
   */
  void attentionForward(
      Tensor context, Tensor probs, Tensor q, Tensor k, Tensor v, Tensor keyBias, int numHeads,
      Tensor dropMask);

  /** dq, dk, dv {@code [B*T, C]} overwritten. */
  void attentionBackward(
      Tensor dq, Tensor dk, Tensor dv, Tensor dContext, Tensor probs, Tensor q, Tensor k, Tensor v,
      int numHeads, Tensor dropMask);

  /** Fills {@code mask} with 0 (probability p) or {@code 1/(1-p)}, deterministically from seed. */
  void dropoutMask(Tensor mask, double p, long seed);

  /**
   * Cross-entropy of the softmax of {@code logits [M,K]} on the selected rows: returns {@code
   * scale * sum_j -log softmax(logits[rows[j]])[targets[j]]} and, when dLogits is not null,
   * overwrites it with the gradient (zero on rows not selected). {@code rows == null} means row
   * {@code j} for target {@code j}.
   */
  double crossEntropy(Tensor logits, int[] rows, int[] targets, double scale, Tensor dLogits);

  /**
   * For each row of {@code logits [M,K]}, the column of its largest value (the first, on ties): the
   * predicted tokens. A GPU backend overrides this so that only the M indices travel to the host.
   */
  default int[] argmaxRows(Tensor logits) {
    int m = (int) logits.dim(0);
    int k = (int) logits.dim(1);
    float[] z = toFloats(logits);
    int[] best = new int[m];
    for (int j = 0; j < m; j++) {
      for (int t = 1; t < k; t++) {
        if (z[j * k + t] > z[j * k + best[j]]) {
          best[j] = t;
        }
      }
    }
    return best;
  }

  /**
   * How many rows {@code j} of {@code logits [M,K]} have their largest value (the first, on ties)
   * at {@code targets[j]}: masked-token accuracy. {@code targets} may be shorter than M.
   */
  default int argmaxHits(Tensor logits, int[] targets) {
    if (targets.length > logits.dim(0)) {
      throw new IllegalArgumentException(targets.length + " targets for " + logits.dim(0) + " rows of logits");
    }
    int[] best = argmaxRows(logits);
    int hits = 0;
    for (int j = 0; j < targets.length; j++) {
      hits += best[j] == targets[j] ? 1 : 0;
    }
    return hits;
  }

  // ---- optimizer ---------------------------------------------------------------------------

  /**
   * One AdamW update in the order of {@code torch.optim.AdamW}: decoupled decay {@code p *= 1 -
   * lr wd}, moments, bias correction with {@code step} (1 for the first), {@code p -= lr/bc1 * m
   * / (sqrt(v)/sqrt(bc2) + eps)}.
   */
  void adamW(
      Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step);
}
