package io.roberta.engine.model;

import java.util.SplittableRandom;

/**
 * Whether a forward pass trains (dropout on, drawn from a seed) or infers (dropout off). A
 * training mode hands each dropout site its own seed in call order, so a step is reproducible
 * from its seed.
 *
 * <pre>{@code model.forwardBackward(batch, labels, RunMode.training(step));}</pre>
 */
public final class RunMode {
  private final boolean training;
  private final SplittableRandom seeds;

  private RunMode(boolean training, long seed) {
    this.training = training;
    this.seeds = new SplittableRandom(seed);
  }

  public static RunMode inference() {
    return new RunMode(false, 0);
  }

  public static RunMode training(long seed) {
    return new RunMode(true, seed);
  }

  public boolean training() {
    return training;
  }

  long nextSeed() {
    return seeds.nextLong();
  }
}
