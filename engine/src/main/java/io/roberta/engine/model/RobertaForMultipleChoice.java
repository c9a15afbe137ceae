package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa for multiple choice ({@link MultipleChoiceHead}), weights named as HF's {@code
 * RobertaForMultipleChoice}: a batch holds every choice of each question, question by question.
 *
 * <pre>{@code
 * // 2 questions x 4 choices = 8 sequences; answers [2]
 * double loss = model.forwardBackward(Batch.pad(pairs, pad), new int[] {3, 0}, RunMode.training(step));
 * Tensor scores = model.logits(batch); // [8, 1]
 * }</pre>
 */
public final class RobertaForMultipleChoice extends RobertaTaskModel<int[]> {

  public RobertaForMultipleChoice(ModelSpec spec, int numChoices, Kernels kernels) {
    super(spec, kernels, MultipleChoiceHead.factory(numChoices));
  }

  public static RobertaForMultipleChoice load(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForMultipleChoice(config.spec(), config.numLabels(), kernels));
  }

  /** Starts from a pretrained encoder in {@code dir}; pooler and classifier from {@code seed} where missing. */
  public static RobertaForMultipleChoice fromPretrained(Path dir, int numChoices, long seed, Kernels kernels)
      throws IOException {
    return pretrainedAs(dir, config -> new RobertaForMultipleChoice(config.spec(), numChoices, kernels), seed);
  }

  /** One score per (question, choice) sequence, {@code [B*C, 1]}. */
  public Tensor logits(Batch batch) {
    return scores(batch);
  }
}
