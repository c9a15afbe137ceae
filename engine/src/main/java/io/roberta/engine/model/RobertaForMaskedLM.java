package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * RoBERTa with the masked-LM head ({@link MaskedLmHead}), weights named as Hugging Face's {@code
 * RobertaForMaskedLM}. Training projects only the labelled rows onto the vocabulary; {@link
 * #logits} projects every row for inference.
 *
 * <pre>{@code
 * RobertaForMaskedLM model = RobertaForMaskedLM.load(dir, new Nd4jKernels(KernelPrecision.FP32));
 * model.parameters().zeroGrads();
 * double loss = model.forwardBackward(batch, labels, RunMode.training(step));
 * }</pre>
 */
public final class RobertaForMaskedLM extends RobertaTaskModel<int[]> {

  public RobertaForMaskedLM(ModelSpec spec, Kernels kernels) {
    super(spec, kernels, MaskedLmHead::new);
  }

  /** A masked LM for {@code use}: {@link ModelUse#INFERENCE} allocates no gradients. */
  public RobertaForMaskedLM(ModelSpec spec, Kernels kernels, ModelUse use) {
    super(spec, kernels, MaskedLmHead::new, use);
  }

  /** Loads {@code config.json} and {@code model.safetensors} from {@code dir}, for training. */
  public static RobertaForMaskedLM load(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForMaskedLM(config.spec(), kernels));
  }

  /** As {@link #load}, without gradient buffers: scoring and fill-mask only. */
  public static RobertaForMaskedLM loadForInference(Path dir, Kernels kernels) throws IOException {
    return loadAs(dir, config -> new RobertaForMaskedLM(config.spec(), kernels, ModelUse.INFERENCE));
  }

  private MaskedLmHead lm() {
    return (MaskedLmHead) head;
  }

  /** Logits over the vocabulary for every token: {@code [B*T, V]}. */
  public Tensor logits(Encoder.Forward f) {
    return lm().scores(kernels, f);
  }

  /** Logits over the vocabulary for the given rows of the batch only: {@code [rows, V]}. */
  public Tensor logits(Encoder.Forward f, int[] rows) {
    Tensor selected = kernels.zeros(rows.length, spec.hiddenSize()); // [M, C]
    kernels.gatherRows(selected, f.last(), rows);
    return lm().forward(kernels, selected).logits();
  }

  /**
   * What one masked-LM pass measured: summed loss over the labelled rows, argmax hits, rows, and
   * of those the rows whose input was {@code <mask>} and how many of them were predicted right.
   */
  public record Step(double lossSum, int correct, int labelled, int atMask, int correctAtMask) {
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
    if (gradScale != 0) {
      parameters.requireGradients("a training step");
    }
    try (Kernels.Scope scope = kernels.scope()) {
      Encoder.Forward f = encoder.forward(kernels, batch, mode);
      MaskedLmHead.Sums s = lm().sums(kernels, f, labels, gradScale);
      if (s.dLast() != null) {
        encoder.backward(kernels, f, s.dLast());
      }
      return new Step(s.lossSum(), s.correct(), s.labelled(), s.atMask(), s.correctAtMask());
    }
  }
}
