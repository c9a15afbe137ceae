package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.util.stream.IntStream;

/**
 * A per-token classifier (dropout, linear {@code classifier.*}) as HF's {@code
 * RobertaForTokenClassification}; cross-entropy over tokens whose label {@code [B*T]} is not
 * {@value RobertaTaskModel#IGNORE_INDEX}.
 */
public final class TokenClassificationHead implements Head<int[]> {
  private final int numLabels;
  private final Linear classifier;
  private final Dropout dropout;

  TokenClassificationHead(Parameters params, ModelSpec spec, int numLabels) {
    this.numLabels = numLabels;
    this.classifier = new Linear(params, "classifier", spec.hiddenSize(), numLabels);
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  public static Head.Factory<int[]> factory(int numLabels) {
    if (numLabels < 1) {
      throw new IllegalArgumentException("numLabels = " + numLabels + " must be positive");
    }
    return (params, spec, encoder) -> new TokenClassificationHead(params, spec, numLabels);
  }

  public String architecture() { return HfConfig.TOKEN_CLASSIFICATION; }

  public int numLabels() { return numLabels; }

  /** Per-token logits {@code [B*T, numLabels]}. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return classifier.forward(k, f.last());
  }

  public Pass loss(Kernels k, Encoder.Forward f, int[] labels, RunMode mode, boolean backward) {
    if (labels.length != f.batch().rows()) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + f.batch().rows() + " tokens");
    }
    int[] rows = Head.labelledRows(labels);
    if (rows.length == 0) {
      return new Pass(0.0, null);
    }
    int[] targets = IntStream.of(rows).map(r -> labels[r]).toArray();
    Dropout.Cache d = dropout.forward(k, f.last(), mode);
    Tensor logits = classifier.forward(k, d.out()); // [B*T, L]
    Tensor dLogits = backward ? k.zeros(logits.shape()) : null;
    double loss = k.crossEntropy(logits, rows, targets, 1.0 / rows.length, dLogits);
    return new Pass(loss, backward ? dropout.backward(k, d, classifier.backward(k, dLogits, d.out())) : null);
  }
}
