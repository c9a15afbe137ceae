package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * HF's {@code RobertaClassificationHead} on {@code <s>}: dropout, dense, tanh, dropout,
 * projection to {@code numLabels} ({@code classifier.dense.*}, {@code classifier.out_proj.*});
 * single-label cross-entropy over labels {@code [B]}. {@link RegressionHead} reuses the layers
 * with one output.
 */
public final class ClassificationHead implements Head<int[]> {
  private final int numLabels;
  private final Linear dense;
  private final Linear projection;
  private final Dropout dropout;

  record Cache(int[] firstRows, Dropout.Cache drop1, Tensor dense, Tensor activation, Dropout.Cache drop2,
      Tensor logits) {}

  ClassificationHead(Parameters params, ModelSpec spec, int numLabels) {
    int c = spec.hiddenSize();
    this.numLabels = numLabels;
    this.dense = new Linear(params, "classifier.dense", c, c);
    this.projection = new Linear(params, "classifier.out_proj", c, numLabels);
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  /** A classifier over {@code numLabels >= 2} classes. */
  public static Head.Factory<int[]> factory(int numLabels) {
    if (numLabels < 2) {
      throw new IllegalArgumentException("numLabels = " + numLabels
          + ": a classifier needs at least 2 (one output is a regression: RegressionHead)");
    }
    return (params, spec, encoder) -> new ClassificationHead(params, spec, numLabels);
  }

  public String architecture() { return HfConfig.SEQUENCE_CLASSIFICATION; }

  public int numLabels() { return numLabels; }

  /** Class logits {@code [B, numLabels]}. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return forward(k, f, RunMode.inference()).logits();
  }

  public Pass loss(Kernels k, Encoder.Forward f, int[] labels, RunMode mode, boolean backward) {
    if (labels.length != f.batch().size()) {
      throw new IllegalArgumentException(labels.length + " labels for a batch of " + f.batch().size() + " sequences");
    }
    Cache c = forward(k, f, mode);
    Tensor dLogits = backward ? k.zeros(c.logits().shape()) : null;
    double loss = k.crossEntropy(c.logits(), null, labels, 1.0 / labels.length, dLogits);
    return new Pass(loss, backward ? backward(k, f, c, dLogits) : null);
  }

  Cache forward(Kernels k, Encoder.Forward f, RunMode mode) {
    int[] first = Head.firstTokenRows(f.batch());
    Tensor features = k.zeros(first.length, dense.weight.value().dim(1)); // [B, C] at <s>
    k.gatherRows(features, f.last(), first);
    Dropout.Cache d1 = dropout.forward(k, features, mode);
    Tensor h = dense.forward(k, d1.out());
    Tensor act = k.zeros(h.shape());
    k.tanhForward(act, h);
    Dropout.Cache d2 = dropout.forward(k, act, mode);
    return new Cache(first, d1, h, act, d2, projection.forward(k, d2.out())); // logits [B, L]
  }

  /** The gradient of the last hidden state {@code [B*T, C]} from that of the logits. */
  Tensor backward(Kernels k, Encoder.Forward f, Cache c, Tensor dLogits) {
    Tensor dAct = dropout.backward(k, c.drop2(), projection.backward(k, dLogits, c.drop2().out()));
    Tensor dh = k.zeros(c.dense().shape());
    k.tanhBackward(dh, dAct, c.activation());
    Tensor dFeatures = dropout.backward(k, c.drop1(), dense.backward(k, dh, c.drop1().out()));
    Tensor dLast = k.zeros(f.last().shape());
    k.scatterAddRows(dLast, dFeatures, c.firstRows());
    return dLast;
  }
}
