package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.IntStream;

/**
 * RoBERTa for extractive QA: {@code qa_outputs} maps each token to a start and an end logit; the
 * loss is the mean of the start and end cross-entropies over the sequence, as in Hugging Face.
 * A position equal to the sequence length is ignored (HF's {@code ignored_index}).
 *
 * <pre>{@code RobertaForQuestionAnswering.Spans s = model.logits(batch); // start, end [B, T]}</pre>
 */
public final class RobertaForQuestionAnswering extends RobertaTaskModel {
  private final Linear qaOutputs;

  /** Start and end logits, each {@code [B, T]}. */
  public record Spans(Tensor start, Tensor end) {}

  public RobertaForQuestionAnswering(ModelSpec spec, Kernels kernels) {
    super(spec, kernels);
    this.qaOutputs = new Linear(parameters, "qa_outputs", spec.hiddenSize(), 2);
  }

  public static RobertaForQuestionAnswering load(Path dir, Kernels kernels) throws IOException {
    HfConfig config = readConfig(dir);
    RobertaForQuestionAnswering model = new RobertaForQuestionAnswering(config.spec(), kernels);
    model.loadWeights(dir, config, false);
    return model;
  }

  @Override
  public String architecture() {
    return HfConfig.QUESTION_ANSWERING;
  }

  /** Start and end logits for every token. */
  public Spans logits(Batch batch) {
    return forward(batch, RunMode.inference()).spans();
  }

  /** The loss without gradients, with dropout when {@code mode} trains (evaluation, checks). */
  public double loss(Batch batch, int[] starts, int[] ends, RunMode mode) {
    return run(batch, starts, ends, mode, false);
  }

  public double loss(Batch batch, int[] starts, int[] ends) {
    return run(batch, starts, ends, RunMode.inference(), false);
  }

  /** {@code (CE(start) + CE(end)) / 2}, each a mean over the answerable examples. */
  public double forwardBackward(Batch batch, int[] starts, int[] ends, RunMode mode) {
    return run(batch, starts, ends, mode, true);
  }

  private double run(Batch batch, int[] starts, int[] ends, RunMode mode, boolean backward) {
    // every activation of the step is freed when it ends: nothing but the loss leaves it
    try (Kernels.Scope scope = kernels.scope()) {
      return step(batch, starts, ends, mode, backward);
    }
  }

  private double step(Batch batch, int[] starts, int[] ends, RunMode mode, boolean backward) {
    if (starts.length != batch.size() || ends.length != batch.size()) {
      throw new IllegalArgumentException(starts.length + " starts and " + ends.length
          + " ends for a batch of " + batch.size() + " sequences");
    }
    Cache c = forward(batch, mode);
    Tensor dLogits = backward ? kernels.zeros(batch.rows(), 2) : null;
    double loss = side(c.spans().start(), starts, batch, 0, dLogits)
        + side(c.spans().end(), ends, batch, 1, dLogits);
    if (backward) {
      Tensor last = c.encoder().last();
      encoder.backward(kernels, c.encoder(), qaOutputs.backward(kernels, dLogits, last));
    }
    return loss;
  }

  private record Cache(Encoder.Forward encoder, Spans spans) {}

  private Cache forward(Batch batch, RunMode mode) {
    Encoder.Forward f = encoder.forward(kernels, batch, mode);
    Tensor logits = qaOutputs.forward(kernels, f.last()); // [B*T, 2]
    Tensor start = kernels.zeros(batch.size(), batch.length());
    Tensor end = kernels.zeros(batch.size(), batch.length());
    kernels.copyColumn(start, logits, 0);
    kernels.copyColumn(end, logits, 1);
    return new Cache(f, new Spans(start, end));
  }

  /** Half the mean cross-entropy of one side; adds its gradient into column {@code col}. */
  private double side(Tensor logits, int[] positions, Batch batch, int col, Tensor dLogits) {
    int[] rows = IntStream.range(0, positions.length)
        .filter(b -> positions[b] != batch.length())
        .toArray();
    for (int p : positions) {
      if (p < 0 || p > batch.length()) {
        throw new IllegalArgumentException("answer position " + p + " outside [0, "
            + batch.length() + "] (" + batch.length() + " means unanswerable, ignored)");
      }
    }
    if (rows.length == 0) {
      return 0.0;
    }
    int[] targets = IntStream.of(rows).map(b -> positions[b]).toArray();
    Tensor d = dLogits == null ? null : kernels.zeros(logits.shape());
    double loss = kernels.crossEntropy(logits, rows, targets, 0.5 / rows.length, d);
    if (d != null) {
      kernels.addToColumn(dLogits, col, d);
    }
    return loss;
  }
}
