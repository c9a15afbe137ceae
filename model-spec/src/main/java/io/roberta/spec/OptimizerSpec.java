package io.roberta.spec;

/**
 * AdamW as {@code torch.optim.AdamW}: decoupled weight decay (not applied to biases and layer
 * norms), bias-corrected moments. {@code gradClipNorm} of 0 turns global-norm clipping off.
 */
public record OptimizerSpec(
    double beta1, double beta2, double epsilon, double weightDecay, double gradClipNorm) {

  public OptimizerSpec {
    Checks.fractionBelowOne("optimizer.beta1", beta1);
    Checks.fractionBelowOne("optimizer.beta2", beta2);
    Checks.positive("optimizer.epsilon", epsilon);
    Checks.nonNegative("optimizer.weightDecay", weightDecay);
    Checks.nonNegative("optimizer.gradClipNorm", gradClipNorm);
  }

  /** fairseq's {@code roberta.base}: Adam β (0.9, 0.98), ε 1e-6, weight decay 0.01, no clipping. */
  public static OptimizerSpec robertaPretraining() {
    return new OptimizerSpec(0.9, 0.98, 1e-6, 0.01, 0.0);
  }

  /** fairseq's GLUE fine-tuning: β (0.9, 0.98), ε 1e-6, weight decay 0.1, no clipping. */
  public static OptimizerSpec robertaFinetuning() {
    return new OptimizerSpec(0.9, 0.98, 1e-6, 0.1, 0.0);
  }
}
