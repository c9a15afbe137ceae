package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with a per-token classifier ({@link TokenClassificationHead}), weights named as HF's
 * {@code RobertaForTokenClassification}.
 *
 * <pre>{@code Tensor logits = model.logits(batch); // [B*T, numLabels]}</pre>
 */
public final class RobertaForTokenClassification extends RobertaTaskModel<int[]> {

  public RobertaForTokenClassification(ModelSpec spec, int numLabels, Kernels kernels) {
    super(spec, kernels, TokenClassificationHead.factory(numLabels));
  }

  public static RobertaForTokenClassification load(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForTokenClassification(config.spec(), config.numLabels(), kernels));
  }

  /** Starts from a pretrained encoder in {@code dir}; the head from {@code seed} where the file has none. */
  public static RobertaForTokenClassification fromPretrained(Path dir, int numLabels, long seed, Kernels kernels)
      throws IOException {
    return pretrainedAs(dir, config -> new RobertaForTokenClassification(config.spec(), numLabels, kernels), seed);
  }

  /** Per-token logits {@code [B*T, numLabels]}. */
  public Tensor logits(Batch batch) {
    return scores(batch);
  }
}
