package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with {@code RobertaClassificationHead} on {@code <s>}: dropout, dense, tanh, dropout,
 * projection to {@code numLabels}; single-label cross-entropy.
 *
 * <pre>{@code Tensor logits = model.logits(batch); // [B, numLabels]}</pre>
 */
public final class RobertaForSequenceClassification extends RobertaTaskModel {
  private final int numLabels;
  private final Linear dense;
  private final Linear projection;
  private final Dropout dropout;

  private record Cache(Encoder.Forward encoder, int[] firstRows, Tensor features,
      Dropout.Cache drop1, Tensor dense, Tensor activation, Dropout.Cache drop2, Tensor logits) {}

  public RobertaForSequenceClassification(ModelSpec spec, int numLabels, Kernels kernels) {
    super(spec, kernels);
    if (numLabels < 2) {
      throw new IllegalArgumentException("numLabels = " + numLabels
          + ": single-label classification needs at least 2 labels");
    }
    int c = spec.hiddenSize();
    this.numLabels = numLabels;
    this.dense = new Linear(parameters, "classifier.dense", c, c);
    this.projection = new Linear(parameters, "classifier.out_proj", c, numLabels);
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  /** Loads a fine-tuned classifier from {@code dir}. */
  public static RobertaForSequenceClassification load(Path dir, Kernels kernels)
      throws IOException {
    HfConfig config = readConfig(dir);
    RobertaForSequenceClassification model =
        new RobertaForSequenceClassification(config.spec(), config.numLabels(), kernels);
    model.loadWeights(dir, config, false);
    return model;
  }

  /**
   * Starts fine-tuning from a pretrained encoder in {@code dir} (e.g. a masked-LM checkpoint): the
   * head is initialized from {@code seed} where the file has none.
   */
  public static RobertaForSequenceClassification fromPretrained(
      Path dir, int numLabels, long seed, Kernels kernels) throws IOException {
    HfConfig config = readConfig(dir);
    RobertaForSequenceClassification model =
        new RobertaForSequenceClassification(config.spec(), numLabels, kernels);
    model.initialize(seed);
    model.loadWeights(dir, config, true);
    return model;
  }

  @Override
  public String architecture() {
    return HfConfig.SEQUENCE_CLASSIFICATION;
  }

  @Override
  public int numLabels() {
    return numLabels;
  }

  /** Class logits {@code [B, numLabels]}. */
  public Tensor logits(Batch batch) {
    return forward(batch, RunMode.inference()).logits();
  }

  /** Mean cross-entropy over the batch; labels {@code [B]}; no gradients. */
  /** The loss without gradients, with dropout when {@code mode} trains (evaluation, checks). */
  public double loss(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, false);
  }

  public double loss(Batch batch, int[] labels) {
    return run(batch, labels, RunMode.inference(), false);
  }

  /** Mean cross-entropy over the batch, accumulating gradients. */
  public double forwardBackward(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, true);
  }

  private Cache forward(Batch batch, RunMode mode) {
    Encoder.Forward f = encoder.forward(kernels, batch, mode);
    int[] first = new int[batch.size()];
    for (int b = 0; b < first.length; b++) {
      first[b] = b * batch.length();
    }
    Tensor features = kernels.zeros(batch.size(), spec.hiddenSize()); // [B, C] at <s>
    kernels.gatherRows(features, f.last(), first);
    Dropout.Cache d1 = dropout.forward(kernels, features, mode);
    Tensor h = dense.forward(kernels, d1.out());
    Tensor act = kernels.zeros(h.shape());
    kernels.tanhForward(act, h);
    Dropout.Cache d2 = dropout.forward(kernels, act, mode);
    Tensor logits = projection.forward(kernels, d2.out()); // [B, L]
    return new Cache(f, first, features, d1, h, act, d2, logits);
  }

  private double run(Batch batch, int[] labels, RunMode mode, boolean backward) {
    // every activation of the step is freed when it ends: nothing but the loss leaves it
    try (Kernels.Scope scope = kernels.scope()) {
      return step(batch, labels, mode, backward);
    }
  }

  private double step(Batch batch, int[] labels, RunMode mode, boolean backward) {
    if (labels.length != batch.size()) {
      throw new IllegalArgumentException(
          labels.length + " labels for a batch of " + batch.size() + " sequences");
    }
    Cache c = forward(batch, mode);
    Tensor dLogits = backward ? kernels.zeros(c.logits().shape()) : null;
    double loss = kernels.crossEntropy(c.logits(), null, labels, 1.0 / labels.length, dLogits);
    if (backward) {
      Tensor dAct = dropout.backward(kernels, c.drop2(),
          projection.backward(kernels, dLogits, c.drop2().out()));
      Tensor dh = kernels.zeros(c.dense().shape());
      kernels.tanhBackward(dh, dAct, c.activation());
      Tensor dFeatures = dropout.backward(kernels, c.drop1(),
          dense.backward(kernels, dh, c.drop1().out()));
      Tensor dLast = kernels.zeros(c.encoder().last().shape());
      kernels.scatterAddRows(dLast, dFeatures, c.firstRows());
      encoder.backward(kernels, c.encoder(), dLast);
    }
    return loss;
  }
}
