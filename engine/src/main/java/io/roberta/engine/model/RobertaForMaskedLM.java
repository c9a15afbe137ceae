package io.roberta.engine.model;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with the masked-LM head, weights named as Hugging Face's {@code RobertaForMaskedLM}.
 * Training projects only the labelled rows onto the vocabulary; {@link #logits} projects every
 * row for inference.
 *
 * <pre>{@code
 * RobertaForMaskedLM model = RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32));
 * model.parameters().zeroGrads();
 * double loss = model.forwardBackward(batch, labels, RunMode.training(step));
 * }</pre>
 */
public final class RobertaForMaskedLM extends RobertaTaskModel {
  private final MaskedLmHead head;

  public RobertaForMaskedLM(ModelSpec spec, Kernels kernels) {
    super(spec, kernels);
    this.head = new MaskedLmHead(parameters, spec, encoder.wordEmbeddings());
  }

  /** Loads {@code config.json} and {@code model.safetensors} from {@code dir}. */
  public static RobertaForMaskedLM load(Path dir, Kernels kernels) throws IOException {
    HfConfig config = readConfig(dir);
    RobertaForMaskedLM model = new RobertaForMaskedLM(config.spec(), kernels);
    model.loadWeights(dir, false);
    return model;
  }

  @Override
  public String architecture() {
    return HfConfig.MASKED_LM;
  }

  /** Logits over the vocabulary for every token: {@code [B*T, V]}. */
  public Tensor logits(Encoder.Forward f) {
    return head.forward(kernels, f.last()).logits();
  }

  /** Mean cross-entropy over positions whose label is not {@value #IGNORE_INDEX}; no gradients. */
  /** The loss without gradients, with dropout when {@code mode} trains (evaluation, checks). */
  public double loss(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, false);
  }

  public double loss(Batch batch, int[] labels) {
    return run(batch, labels, RunMode.inference(), false);
  }

  /**
   * Mean masked-LM loss over the labelled positions, accumulating every parameter's gradient.
   * Returns 0 and leaves the gradients alone when no position is labelled.
   */
  public double forwardBackward(Batch batch, int[] labels, RunMode mode) {
    return run(batch, labels, mode, true);
  }

  private double run(Batch batch, int[] labels, RunMode mode, boolean backward) {
    // every activation of the step is freed when it ends: nothing but the loss leaves it
    try (Kernels.Scope scope = kernels.scope()) {
      return step(batch, labels, mode, backward);
    }
  }

  private double step(Batch batch, int[] labels, RunMode mode, boolean backward) {
    if (labels.length != batch.rows()) {
      throw new IllegalArgumentException(
          labels.length + " labels for a batch of " + batch.rows() + " tokens");
    }
    int[] rows = labelledRows(labels);
    if (rows.length == 0) {
      return 0.0;
    }
    int[] targets = new int[rows.length];
    for (int j = 0; j < rows.length; j++) {
      targets[j] = labels[rows[j]];
    }
    Encoder.Forward f = encoder.forward(kernels, batch, mode);
    Tensor selected = kernels.zeros(rows.length, spec.hiddenSize()); // [M, C]
    kernels.gatherRows(selected, f.last(), rows);
    MaskedLmHead.Cache c = head.forward(kernels, selected);
    Tensor dLogits = backward ? kernels.zeros(c.logits().shape()) : null;
    double loss = kernels.crossEntropy(c.logits(), null, targets, 1.0 / rows.length, dLogits);
    if (backward) {
      Tensor dSelected = head.backward(kernels, c, dLogits);
      Tensor dLast = kernels.zeros(f.last().shape());
      kernels.scatterAddRows(dLast, dSelected, rows);
      encoder.backward(kernels, f, dLast);
    }
    return loss;
  }

  static int[] labelledRows(int[] labels) {
    return java.util.stream.IntStream.range(0, labels.length)
        .filter(i -> labels[i] != IGNORE_INDEX)
        .toArray();
  }
}
