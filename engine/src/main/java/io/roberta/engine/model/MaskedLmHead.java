package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.util.stream.IntStream;

/**
 * {@code RobertaLMHead}: dense, GELU, layer norm, then the decoder tied to the word embeddings
 * plus its own bias. Training projects only the labelled rows {@code [M,C]} onto the vocabulary
 * ({@code [M,V]}); {@link #scores} projects every row. Labels {@code [B*T]}, {@value
 * RobertaTaskModel#IGNORE_INDEX} where no loss applies.
 */
public final class MaskedLmHead implements Head<int[]> {
  private final Linear dense;
  private final LayerNorm norm;
  private final Parameters.Param decoder; // the word embeddings [V, C]
  private final Parameters.Param bias; // [V]
  private final int hidden;
  private final int maskId;

  record Cache(Tensor x, Tensor preActivation, Tensor activation, LayerNorm.Cache norm, Tensor logits) {}

  /**
   * Sums over the labelled rows of one pass, and the gradient of the last hidden state (or null).
   * {@code atMask} of the labelled rows had {@code <mask>} as input, {@code correctAtMask} of them
   * were predicted right: what context alone gives, without the 10% of targets left visible.
   */
  record Sums(double lossSum, int correct, int labelled, int atMask, int correctAtMask, Tensor dLast) {}

  MaskedLmHead(Parameters params, ModelSpec spec, Encoder encoder) {
    this.hidden = spec.hiddenSize();
    this.maskId = spec.specialTokens().mask();
    this.dense = new Linear(params, "lm_head.dense", hidden, hidden);
    this.norm = new LayerNorm(params, "lm_head.layer_norm", hidden, spec.layerNormEps());
    this.bias = params.add("lm_head.bias", spec.vocabSize());
    this.decoder = encoder.wordEmbeddings();
  }

  public String architecture() { return io.roberta.engine.io.HfConfig.MASKED_LM; }

  public int numLabels() { return 2; } // HF's default: the config of a masked LM names no labels

  Cache forward(Kernels k, Tensor x) {
    Tensor pre = dense.forward(k, x);
    Tensor act = k.empty(pre.shape());
    k.geluForward(act, pre);
    LayerNorm.Cache n = norm.forward(k, act);
    Tensor logits = k.empty(x.dim(0), decoder.value().dim(0)); // [M, V], overwritten
    k.linearForward(logits, n.out(), decoder.value(), bias.value());
    return new Cache(x, pre, act, n, logits);
  }

  Tensor backward(Kernels k, Cache c, Tensor dLogits) {
    Tensor dNorm = k.empty(c.norm().out().shape());
    // the decoder's weight gradient lands on the word embeddings' gradient (tied)
    k.linearBackward(dNorm, decoder.grad(), bias.grad(), dLogits, c.norm().out(), decoder.value());
    Tensor dAct = norm.backward(k, c.norm(), dNorm);
    Tensor dPre = k.empty(c.preActivation().shape());
    k.geluBackward(dPre, dAct, c.preActivation());
    return dense.backward(k, dPre, c.x());
  }

  /** Logits over the vocabulary for every token: {@code [B*T, V]}. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return forward(k, f.last()).logits();
  }

  public Pass loss(Kernels k, Encoder.Forward f, int[] labels, RunMode mode, boolean backward) {
    int labelled = Head.labelledRows(labels).length;
    Sums s = sums(k, f, labels, backward && labelled > 0 ? 1.0 / labelled : 0.0);
    return new Pass(labelled == 0 ? 0.0 : s.lossSum() / labelled, s.dLast());
  }

  /** The pass with the gradient of {@code gradScale * sum(loss)}; none when it is 0. */
  Sums sums(Kernels k, Encoder.Forward f, int[] labels, double gradScale) {
    if (labels.length != f.batch().rows()) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + f.batch().rows() + " tokens");
    }
    int[] rows = Head.labelledRows(labels);
    if (rows.length == 0) {
      return new Sums(0, 0, 0, 0, 0, null);
    }
    int[] targets = IntStream.of(rows).map(r -> labels[r]).toArray();
    Tensor selected = k.zeros(rows.length, hidden); // [M, C]
    k.gatherRows(selected, f.last(), rows);
    Cache c = forward(k, selected);
    boolean backward = gradScale != 0;
    Tensor dLogits = backward ? k.zeros(c.logits().shape()) : null;
    // crossEntropy returns scale * sum: with the gradient's scale, divide it back out
    double lossSum = backward
        ? k.crossEntropy(c.logits(), null, targets, gradScale, dLogits) / gradScale
        : k.crossEntropy(c.logits(), null, targets, 1.0, null);
    int[] predicted = k.argmaxRows(c.logits());
    int[] inputs = f.batch().inputIds();
    int correct = 0;
    int atMask = 0;
    int correctAtMask = 0;
    for (int j = 0; j < rows.length; j++) {
      boolean hit = predicted[j] == targets[j];
      correct += hit ? 1 : 0;
      if (inputs[rows[j]] == maskId) {
        atMask++;
        correctAtMask += hit ? 1 : 0;
      }
    }
    Tensor dLast = null;
    if (backward) {
      dLast = k.zeros(f.last().shape());
      k.scatterAddRows(dLast, backward(k, c, dLogits), rows);
    }
    return new Sums(lossSum, correct, rows.length, atMask, correctAtMask, dLast);
  }
}
