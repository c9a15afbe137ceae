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
    model.loadWeights(dir, config, false);
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

  /** Logits over the vocabulary for the given rows of the batch only: {@code [rows, V]}. */
  public Tensor logits(Encoder.Forward f, int[] rows) {
    Tensor selected = kernels.zeros(rows.length, spec.hiddenSize()); // [M, C]
    kernels.gatherRows(selected, f.last(), rows);
    return head.forward(kernels, selected).logits();
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

  /** What one masked-LM pass measured: summed loss over the labelled rows, argmax hits, rows. */
  public record Step(double lossSum, int correct, int labelled) {
    public double meanLoss() {
      return labelled == 0 ? 0.0 : lossSum / labelled;
    }
  }

  /**
   * Forward and backward with the gradient of {@code gradScale * sum(loss)}: with gradient
   * accumulation, {@code gradScale = 1 / (labelled rows of the whole optimizer batch)} makes the
   * accumulated gradient that of the batch's mean loss, however the rows fall into micro-batches.
   * Also counts how many labelled rows the model predicts right (masked-token accuracy). With
   * {@code gradScale == 0} nothing is propagated back (evaluation). Every activation is freed when
   * it returns.
   */
  public Step trainStep(Batch batch, int[] labels, RunMode mode, double gradScale) {
    try (Kernels.Scope scope = kernels.scope()) {
      return pass(batch, labels, mode, gradScale);
    }
  }

  private double run(Batch batch, int[] labels, RunMode mode, boolean backward) {
    int labelled = labelledRows(labels).length;
    return trainStep(batch, labels, mode, backward && labelled > 0 ? 1.0 / labelled : 0.0).meanLoss();
  }

  private Step pass(Batch batch, int[] labels, RunMode mode, double gradScale) {
    if (labels.length != batch.rows()) {
      throw new IllegalArgumentException(
          labels.length + " labels for a batch of " + batch.rows() + " tokens");
    }
    int[] rows = labelledRows(labels);
    if (rows.length == 0) {
      return new Step(0, 0, 0);
    }
    int[] targets = new int[rows.length];
    for (int j = 0; j < rows.length; j++) {
      targets[j] = labels[rows[j]];
    }
    boolean backward = gradScale != 0;
    Encoder.Forward f = encoder.forward(kernels, batch, mode);
    Tensor selected = kernels.zeros(rows.length, spec.hiddenSize()); // [M, C]
    kernels.gatherRows(selected, f.last(), rows);
    MaskedLmHead.Cache c = head.forward(kernels, selected);
    Tensor dLogits = backward ? kernels.zeros(c.logits().shape()) : null;
    // crossEntropy returns scale * sum: with the gradient's scale, divide it back out
    double lossSum = backward
        ? kernels.crossEntropy(c.logits(), null, targets, gradScale, dLogits) / gradScale
        : kernels.crossEntropy(c.logits(), null, targets, 1.0, null);
    int correct = kernels.argmaxHits(c.logits(), targets); // logits [M, V]
    if (backward) {
      Tensor dSelected = head.backward(kernels, c, dLogits);
      Tensor dLast = kernels.zeros(f.last().shape());
      kernels.scatterAddRows(dLast, dSelected, rows);
      encoder.backward(kernels, f, dLast);
    }
    return new Step(lossSum, correct, rows.length);
  }

  static int[] labelledRows(int[] labels) {
    return java.util.stream.IntStream.range(0, labels.length)
        .filter(i -> labels[i] != IGNORE_INDEX)
        .toArray();
  }
}
