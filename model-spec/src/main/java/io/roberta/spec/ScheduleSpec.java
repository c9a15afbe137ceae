package io.roberta.spec;

/**
 * Peak learning rate with linear warm-up then linear decay to zero at {@code totalSteps}:
 * {@code lr_t = peak * min(t / warmup, 1 - (t - warmup) / (total - warmup))}.
 *
 * <pre>{@code new ScheduleSpec(5e-4, 100, 2_000).learningRate(50); // 2.5e-4}</pre>
 */
public record ScheduleSpec(double peakLearningRate, int warmupSteps, int totalSteps) {

  public ScheduleSpec {
    Checks.positive("schedule.peakLearningRate", peakLearningRate);
    Checks.nonNegative("schedule.warmupSteps", warmupSteps);
    Checks.positive("schedule.totalSteps", totalSteps);
    if (warmupSteps >= totalSteps) {
      throw Checks.invalid(
          "schedule.warmupSteps",
          warmupSteps,
          "must be less than schedule.totalSteps = " + totalSteps + " (warm-up cannot run past the end)");
    }
  }

  /** The learning rate at optimizer step {@code step} (0-based), never negative. */
  public double learningRate(long step) {
    if (step < 0) {
      throw Checks.invalid("step", step, "must be >= 0");
    }
    double warm = warmupSteps == 0 ? 1.0 : (double) step / warmupSteps;
    double decay = 1.0 - (double) (step - warmupSteps) / (totalSteps - warmupSteps);
    return peakLearningRate * Math.max(0.0, Math.min(warm, decay));
  }
}
