package io.roberta.engine.optim;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.Parameters;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code torch.optim.AdamW} with bias correction and decoupled weight decay, decay skipped for
 * biases and LayerNorm (rank-1 parameters). The learning rate may change every step (schedules).
 *
 * <pre>{@code
 * AdamW opt = new AdamW(5e-4, 0.9, 0.98, 1e-6, 0.01);
 * opt.step(model.parameters(), schedule.lr(step));
 * }</pre>
 */
public final class AdamW implements AutoCloseable {
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final Map<String, Tensor[]> moments = new HashMap<>();
  private Kernels kernels; // of the parameters stepped, which created the moments
  private long step;

  public AdamW(double learningRate, double beta1, double beta2, double eps, double weightDecay) {
    check("learningRate", learningRate, learningRate >= 0, ">= 0");
    check("beta1", beta1, beta1 >= 0 && beta1 < 1, "in [0, 1)");
    check("beta2", beta2, beta2 >= 0 && beta2 < 1, "in [0, 1)");
    check("eps", eps, eps >= 0, ">= 0");
    check("weightDecay", weightDecay, weightDecay >= 0, ">= 0");
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  private static void check(String name, double value, boolean ok, String valid) {
    if (!ok) {
      throw new IllegalArgumentException("AdamW " + name + " = " + value + ", must be " + valid);
    }
  }

  /** Steps taken so far. */
  public long steps() {
    return step;
  }

  /** One update of every parameter with the constructor's learning rate. */
  public void step(Parameters params) {
    step(params, learningRate);
  }

  /** One update of every parameter with {@code lr} (a schedule's value for this step). */
  public void step(Parameters params, double lr) {
    params.requireGradients("an AdamW step");
    step++;
    Kernels k = params.kernels();
    kernels = k;
    for (Parameters.Param p : params.all()) {
      Tensor[] mv = moments.computeIfAbsent(p.name(),
          n -> new Tensor[] {k.zeros(p.value().shape()), k.zeros(p.value().shape())});
      k.adamW(p.value(), p.grad(), mv[0], mv[1], lr, beta1, beta2, eps,
          p.decays() ? weightDecay : 0.0, step);
    }
  }

  /**
   * Restores the state a checkpoint saved: the number of steps taken (for bias correction) and
   * each parameter's first and second moments, by name.
   */
  public void restore(long steps, Map<String, Tensor[]> savedMoments) {
    restore(steps, savedMoments, null);
  }

  /**
   * As {@link #restore(long, Map)}, with the backend that created the moments: this optimizer then
   * owns them ({@link #close()} frees them even before a step), and frees the moments it replaces.
   */
  public void restore(long steps, Map<String, Tensor[]> savedMoments, Kernels backend) {
    if (steps < 0) {
      throw new IllegalArgumentException("AdamW steps = " + steps + ", must be >= 0");
    }
    close();
    moments.putAll(savedMoments);
    if (backend != null) {
      kernels = backend;
    }
    this.step = steps;
  }

  /** Frees the moments now; a later step starts them again from zero. */
  @Override
  public void close() {
    if (kernels != null) { // else restored without its backend and never stepped: the collector frees them
      for (Tensor[] mv : moments.values()) {
        kernels.release(mv[0]);
        kernels.release(mv[1]);
      }
    }
    moments.clear();
  }

  /** The first and second moments of a parameter (for checkpoints), or null before a step. */
  public Tensor[] moments(String name) {
    return moments.get(name);
  }
}
