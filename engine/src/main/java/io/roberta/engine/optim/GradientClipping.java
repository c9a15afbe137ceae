package io.roberta.engine.optim;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Parameters;

/**
 * {@code torch.nn.utils.clip_grad_norm_}: scale all gradients by {@code maxNorm / (norm + 1e-6)}
 * when their global L2 norm exceeds {@code maxNorm}.
 *
 * <pre>{@code double norm = GradientClipping.clipGlobalNorm(model.parameters(), 1.0);}</pre>
 */
public final class GradientClipping {
  private GradientClipping() {}

  /** The global L2 norm of every gradient. */
  public static double globalNorm(Parameters params) {
    params.requireGradients("the gradient norm");
    Kernels k = params.kernels();
    double sum = 0;
    for (Parameters.Param p : params.all()) {
      sum += k.sumOfSquares(p.grad());
    }
    return Math.sqrt(sum);
  }

  /** Clips in place; returns the norm before clipping. */
  public static double clipGlobalNorm(Parameters params, double maxNorm) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("maxNorm = " + maxNorm + ", must be > 0");
    }
    double norm = globalNorm(params);
    double coefficient = maxNorm / (norm + 1e-6);
    if (coefficient < 1) {
      Kernels k = params.kernels();
      for (Parameters.Param p : params.all()) {
        k.scale(p.grad(), coefficient);
      }
    }
    return norm;
  }
}
