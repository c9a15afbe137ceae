package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * A one-output {@link ClassificationHead} trained on the mean squared error against real targets
 * {@code [B]} (STS-B), as Hugging Face does for {@code num_labels == 1}; same weight names, same
 * architecture.
 */
public final class RegressionHead implements Head<double[]> {
  private final ClassificationHead layers;

  RegressionHead(Parameters params, ModelSpec spec) {
    this.layers = new ClassificationHead(params, spec, 1);
  }

  public static Head.Factory<double[]> factory() {
    return (params, spec, encoder) -> new RegressionHead(params, spec);
  }

  public String architecture() { return HfConfig.SEQUENCE_CLASSIFICATION; }

  public int numLabels() { return 1; }

  /** The predicted values {@code [B, 1]}. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return layers.scores(k, f);
  }

  public Pass loss(Kernels k, Encoder.Forward f, double[] targets, RunMode mode, boolean backward) {
    if (targets.length != f.batch().size()) {
      throw new IllegalArgumentException(targets.length + " targets for a batch of " + f.batch().size() + " sequences");
    }
    ClassificationHead.Cache c = layers.forward(k, f, mode);
    double[] y = k.toDoubles(c.logits()); // [B]
    double loss = 0;
    double[] dy = new double[y.length];
    for (int b = 0; b < y.length; b++) {
      double diff = y[b] - targets[b];
      loss += diff * diff / y.length;
      dy[b] = 2 * diff / y.length;
    }
    return new Pass(loss, backward ? layers.backward(k, f, c, k.fromDoubles(dy, c.logits().shape())) : null);
  }
}
