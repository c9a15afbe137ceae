package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.util.stream.IntStream;

/**
 * Span extraction as HF's {@code RobertaForQuestionAnswering}: {@code qa_outputs} maps each token
 * to a start and an end logit ({@code [B*T, 2]}); the loss is the mean of the start and end
 * cross-entropies over the sequence. A position equal to the sequence length is ignored (HF's
 * {@code ignored_index}).
 */
public final class SpanHead implements Head<SpanHead.Answers> {
  private final Linear qaOutputs;

  /** Gold start and end token of each sequence, {@code [B]} each. */
  public record Answers(int[] starts, int[] ends) {}

  SpanHead(Parameters params, ModelSpec spec) {
    this.qaOutputs = new Linear(params, "qa_outputs", spec.hiddenSize(), 2);
  }

  public static Head.Factory<Answers> factory() {
    return (params, spec, encoder) -> new SpanHead(params, spec);
  }

  public String architecture() { return HfConfig.QUESTION_ANSWERING; }

  public int numLabels() { return 2; }

  /** Start (column 0) and end (column 1) logits of every token, {@code [B*T, 2]}. */
  public Tensor scores(Kernels k, Encoder.Forward f) {
    return qaOutputs.forward(k, f.last());
  }

  /** {@code (CE(start) + CE(end)) / 2}, each a mean over the answerable sequences. */
  public Pass loss(Kernels k, Encoder.Forward f, Answers a, RunMode mode, boolean backward) {
    Batch batch = f.batch();
    if (a.starts().length != batch.size() || a.ends().length != batch.size()) {
      throw new IllegalArgumentException(a.starts().length + " starts and " + a.ends().length
          + " ends for a batch of " + batch.size() + " sequences");
    }
    Tensor logits = scores(k, f);
    Tensor dLogits = backward ? k.zeros(batch.rows(), 2) : null;
    double loss = side(k, logits, a.starts(), batch, 0, dLogits) + side(k, logits, a.ends(), batch, 1, dLogits);
    return new Pass(loss, backward ? qaOutputs.backward(k, dLogits, f.last()) : null);
  }

  /** Half the mean cross-entropy of one side; adds its gradient into column {@code col}. */
  private static double side(Kernels k, Tensor logits, int[] positions, Batch batch, int col, Tensor dLogits) {
    for (int p : positions) {
      if (p < 0 || p > batch.length()) {
        throw new IllegalArgumentException("answer position " + p + " outside [0, "
            + batch.length() + "] (" + batch.length() + " means unanswerable, ignored)");
      }
    }
    int[] rows = IntStream.range(0, positions.length).filter(b -> positions[b] != batch.length()).toArray();
    if (rows.length == 0) {
      return 0.0;
    }
    Tensor column = k.zeros(batch.size(), batch.length()); // [B, T]
    k.copyColumn(column, logits, col);
    int[] targets = IntStream.of(rows).map(b -> positions[b]).toArray();
    Tensor d = dLogits == null ? null : k.zeros(column.shape());
    double loss = k.crossEntropy(column, rows, targets, 0.5 / rows.length, d);
    if (d != null) {
      k.addToColumn(dLogits, col, d);
    }
    return loss;
  }
}
