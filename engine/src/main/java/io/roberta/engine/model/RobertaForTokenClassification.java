package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with a per-token classifier (dropout, linear); cross-entropy over tokens whose label
 * is not {@value #IGNORE_INDEX}.
 *
 * <pre>{@code Tensor logits = model.logits(batch); // [B*T, numLabels]}</pre>
 */
public final class RobertaForTokenClassification extends RobertaTaskModel {
  private final int numLabels;
  private final Linear classifier;
  private final Dropout dropout;

  public RobertaForTokenClassification(ModelSpec spec, int numLabels, Kernels kernels) {
    super(spec, kernels);
    if (numLabels < 1) {
      throw new IllegalArgumentException("numLabels = " + numLabels + " must be positive");
    }
    this.numLabels = numLabels;
    this.classifier = new Linear(parameters, "classifier", spec.hiddenSize(), numLabels);
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  public static RobertaForTokenClassification load(Path dir, Kernels kernels) throws IOException {
    HfConfig config = readConfig(dir);
    RobertaForTokenClassification model =
        new RobertaForTokenClassification(config.spec(), config.numLabels(), kernels);
    model.loadWeights(dir, config, false);
    return model;
  }

  @Override
  public String architecture() {
    return HfConfig.TOKEN_CLASSIFICATION;
  }

  @Override
  public int numLabels() {
    return numLabels;
  }

  /** Per-token logits {@code [B*T, numLabels]}. */
  public Tensor logits(Batch batch) {
    Encoder.Forward f = encoder.forward(kernels, batch, RunMode.inference());
    return classifier.forward(kernels, f.last());
  }

  /** The loss without gradients, with dropout when {@code mode} trains (evaluation, checks). */
  public double loss(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, false);
  }

  public double loss(Batch batch, int[] labels) {
    return run(batch, labels, RunMode.inference(), false);
  }

  /** Mean cross-entropy over labelled tokens (labels {@code [B*T]}), accumulating gradients. */
  public double forwardBackward(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, true);
  }

  private double run(Batch batch, int[] labels, RunMode mode, boolean backward) {
    // every activation of the step is freed when it ends: nothing but the loss leaves it
    try (Kernels.Scope scope = kernels.scope()) {
      return step(batch, labels, mode, backward);
    }
  }

  private double step(Batch batch, int[] labels, RunMode mode, boolean backward) {
    if (labels.length != batch.rows()) {
      throw new IllegalArgumentException(
          labels.length + " labels for a batch of " + batch.rows() + " tokens");
    }
    int[] rows = RobertaForMaskedLM.labelledRows(labels);
    if (rows.length == 0) {
      return 0.0;
    }
    int[] targets = new int[rows.length];
    for (int j = 0; j < rows.length; j++) {
      targets[j] = labels[rows[j]];
    }
    Encoder.Forward f = encoder.forward(kernels, batch, mode);
    Dropout.Cache d = dropout.forward(kernels, f.last(), mode);
    Tensor logits = classifier.forward(kernels, d.out()); // [B*T, L]
    Tensor dLogits = backward ? kernels.zeros(logits.shape()) : null;
    double loss = kernels.crossEntropy(logits, rows, targets, 1.0 / rows.length, dLogits);
    if (backward) {
      Tensor dLast = dropout.backward(kernels, d, classifier.backward(kernels, dLogits, d.out()));
      encoder.backward(kernels, f, dLast);
    }
    return loss;
  }
}
