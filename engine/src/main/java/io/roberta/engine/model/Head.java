package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * A task head on the encoder's last hidden state, the way Hugging Face's {@code
 * modeling_roberta.py} pairs {@code RobertaModel} with a small head class per task. A head
 * registers its parameters under HF's names when it is built, turns the last hidden state {@code
 * [B*T, C]} into its scores, and turns its loss into the gradient of that state. Everything else
 * (the encoder, kernel scopes, loading, saving, the optimizer step) is {@link RobertaTaskModel}'s.
 *
 * <pre>{@code
 * RobertaTaskModel<int[]> model = new RobertaTaskModel<>(spec, kernels, ClassificationHead.factory(3));
 * double loss = model.forwardBackward(batch, labels, RunMode.training(step));
 * }</pre>
 *
 * @param <T> the targets of one batch (labels, values, answer spans...)
 */
public interface Head<T> {

  /** The {@code architectures} entry of the config of a model with this head. */
  String architecture();

  /** The label count written to the config ({@code num_labels}). */
  int numLabels();

  /** Inference scores (dropout off) of every example of the batch, in the head's own layout. */
  Tensor scores(Kernels k, Encoder.Forward f);

  /**
   * The loss of {@code targets}, the head's forward and, when {@code backward}, its backward: the
   * head's gradients accumulate and {@link Pass#dLast} holds the gradient of the last hidden
   * state (null when nothing is to propagate, e.g. no labelled position).
   */
  Pass loss(Kernels k, Encoder.Forward f, T targets, RunMode mode, boolean backward);

  /** The loss of one pass and the gradient to send into the encoder. */
  record Pass(double loss, Tensor dLast) {}

  /** Builds a head on a model's parameters (after the encoder's, so the head's come last). */
  @FunctionalInterface
  interface Factory<T> {
    Head<T> create(Parameters parameters, ModelSpec spec, Encoder encoder);
  }

  /** The rows whose label is not {@value RobertaTaskModel#IGNORE_INDEX}, in order. */
  static int[] labelledRows(int[] labels) {
    return java.util.stream.IntStream.range(0, labels.length)
        .filter(i -> labels[i] != RobertaTaskModel.IGNORE_INDEX).toArray();
  }

  /** The rows of {@code <s>}, the first token of each sequence: {@code b * T}. */
  static int[] firstTokenRows(Batch batch) {
    int[] rows = new int[batch.size()];
    for (int b = 0; b < rows.length; b++) {
      rows[b] = b * batch.length();
    }
    return rows;
  }
}
