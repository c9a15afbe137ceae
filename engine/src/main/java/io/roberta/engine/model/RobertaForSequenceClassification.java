package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with {@link ClassificationHead} on {@code <s>}, weights named as HF's {@code
 * RobertaForSequenceClassification}. A one-output (regression) model is a {@code
 * RobertaTaskModel<double[]>} with {@link RegressionHead}: {@link #regression}.
 *
 * <pre>{@code Tensor logits = model.logits(batch); // [B, numLabels]}</pre>
 */
public final class RobertaForSequenceClassification extends RobertaTaskModel<int[]> {

  public RobertaForSequenceClassification(ModelSpec spec, int numLabels, Kernels kernels) {
    super(spec, kernels, ClassificationHead.factory(numLabels));
  }

  /** Loads a fine-tuned classifier from {@code dir}. */
  public static RobertaForSequenceClassification load(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForSequenceClassification(config.spec(), config.numLabels(), kernels));
  }

  /** A classifier for {@code use}: {@link ModelUse#INFERENCE} allocates no gradients. */
  public RobertaForSequenceClassification(ModelSpec spec, int numLabels, Kernels kernels, ModelUse use) {
    super(spec, kernels, ClassificationHead.factory(numLabels), use);
  }

  /** As {@link #load}, without gradient buffers: prediction only. */
  public static RobertaForSequenceClassification loadForInference(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForSequenceClassification(config.spec(), config.numLabels(), kernels,
        ModelUse.INFERENCE));
  }

  /** Starts from a pretrained encoder in {@code dir}; the head from {@code seed} where the file has none. */
  public static RobertaForSequenceClassification fromPretrained(Path dir, int numLabels, long seed, Kernels kernels)
      throws IOException {
    return pretrainedAs(dir, config -> new RobertaForSequenceClassification(config.spec(), numLabels, kernels), seed);
  }

  /** A one-output head trained on the mean squared error (STS-B), same names and architecture. */
  public static RobertaTaskModel<double[]> regression(ModelSpec spec, Kernels kernels) {
    return new RobertaTaskModel<>(spec, kernels, RegressionHead.factory());
  }

  /** Class logits {@code [B, numLabels]}. */
  public Tensor logits(Batch batch) {
    return scores(batch);
  }
}
