package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa for extractive QA ({@link SpanHead}), weights named as HF's {@code
 * RobertaForQuestionAnswering}.
 *
 * <pre>{@code RobertaForQuestionAnswering.Spans s = model.logits(batch); // start, end [B, T]}</pre>
 */
public final class RobertaForQuestionAnswering extends RobertaTaskModel<SpanHead.Answers> {

  /** Start and end logits, each {@code [B, T]}. */
  public record Spans(Tensor start, Tensor end) {}

  public RobertaForQuestionAnswering(ModelSpec spec, Kernels kernels) {
    super(spec, kernels, SpanHead.factory());
  }

  public static RobertaForQuestionAnswering load(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForQuestionAnswering(config.spec(), kernels));
  }

  /** Starts from a pretrained encoder in {@code dir}; the head from {@code seed} where the file has none. */
  public static RobertaForQuestionAnswering fromPretrained(Path dir, long seed, Kernels kernels) throws IOException {
    return pretrainedAs(dir, config -> new RobertaForQuestionAnswering(config.spec(), kernels), seed);
  }

  /** Start and end logits for every token. */
  public Spans logits(Batch batch) {
    Tensor logits = scores(batch); // [B*T, 2]
    Tensor start = kernels.zeros(batch.size(), batch.length());
    Tensor end = kernels.zeros(batch.size(), batch.length());
    kernels.copyColumn(start, logits, 0);
    kernels.copyColumn(end, logits, 1);
    return new Spans(start, end);
  }

  public double loss(Batch batch, int[] starts, int[] ends, RunMode mode) {
    return loss(batch, new SpanHead.Answers(starts, ends), mode);
  }

  public double loss(Batch batch, int[] starts, int[] ends) {
    return loss(batch, new SpanHead.Answers(starts, ends));
  }

  /** {@code (CE(start) + CE(end)) / 2}, each a mean over the answerable examples. */
  public double forwardBackward(Batch batch, int[] starts, int[] ends, RunMode mode) {
    return forwardBackward(batch, new SpanHead.Answers(starts, ends), mode);
  }
}
