package io.roberta.engine.cuda.check;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The tiny example's training curve on any backend: a 2-layer, 32-wide model learning blocks
 * {@code <s> a b a b ... </s>} (a masked token is one of the two around it), 15% of the inner
 * tokens masked, batch 16 x 16, AdamW 3e-3 with clipping at 1. Batches and masks come from a
 * seed, so two backends see the same data; only dropout draws differ between them.
 *
 * <pre>{@code double[] losses = TinyCurve.run(kernels, 200);}</pre>
 */
public final class TinyCurve {
  static final int VOCAB = 64;
  static final int BLOCK = 16;
  static final int BATCH = 16;

  private TinyCurve() {}

  public static ModelSpec model() {
    return new ModelSpec(VOCAB, 32, 2, 4, 64, 24, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(VOCAB),
        LayerSharing.NONE);
  }

  /** The mean masked-LM loss of each of {@code steps} optimizer steps. */
  public static double[] run(Kernels kernels, int steps) {
    try (RobertaForMaskedLM model = new RobertaForMaskedLM(model(), kernels);
        AdamW opt = new AdamW(3e-3, 0.9, 0.98, 1e-6, 0.01)) {
      return run(model, opt, steps);
    }
  }

  private static double[] run(RobertaForMaskedLM model, AdamW opt, int steps) {
    model.initialize(1234);
    SplittableRandom data = new SplittableRandom(99);
    int mask = model().specialTokens().mask();
    double[] losses = new double[steps];
    for (int step = 0; step < steps; step++) {
      int[] ids = new int[BATCH * BLOCK];
      int[] labels = new int[ids.length];
      Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
      for (int b = 0; b < BATCH; b++) {
        int[] pair = {4 + data.nextInt(58), 4 + data.nextInt(58)};
        ids[b * BLOCK] = 0;
        ids[b * BLOCK + BLOCK - 1] = 2;
        for (int i = 1; i < BLOCK - 1; i++) {
          int at = b * BLOCK + i;
          ids[at] = pair[i % 2];
          if (data.nextDouble() < 0.15) {
            labels[at] = ids[at];
            ids[at] = mask;
          }
        }
      }
      int labelled = (int) Arrays.stream(labels).filter(l -> l != RobertaTaskModel.IGNORE_INDEX).count();
      Batch batch = new Batch(BATCH, BLOCK, ids, null, null);
      model.parameters().zeroGrads();
      RobertaForMaskedLM.Step s = model.trainStep(batch, labels, RunMode.training(step), 1.0 / Math.max(1, labelled));
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      opt.step(model.parameters(), 3e-3);
      losses[step] = s.meanLoss();
    }
    return losses;
  }

  /**
   * Whether two curves agree within noise: over each window of 50 steps the mean losses differ by
   * at most four standard errors of the difference (from the steps' spread), and at least 0.05.
   * Returns null when they agree, else the first window that does not.
   */
  public static String compare(double[] reference, double[] other) {
    int window = 50;
    for (int from = 0; from + window <= Math.min(reference.length, other.length); from += window) {
      double[] a = Arrays.copyOfRange(reference, from, from + window);
      double[] b = Arrays.copyOfRange(other, from, from + window);
      double se = Math.sqrt(variance(a) / window + variance(b) / window);
      double diff = Math.abs(mean(a) - mean(b));
      double allowed = Math.max(0.05, 4 * se);
      if (!(diff <= allowed)) {
        return String.format(java.util.Locale.ROOT, "steps %d-%d: mean loss %.4f vs %.4f, |diff| %.4f > %.4f",
            from + 1, from + window, mean(a), mean(b), diff, allowed);
      }
    }
    return null;
  }

  public static double mean(double[] x) {
    return Arrays.stream(x).average().orElse(Double.NaN);
  }

  public static double variance(double[] x) {
    double m = mean(x);
    return Arrays.stream(x).map(v -> (v - m) * (v - m)).sum() / Math.max(1, x.length - 1);
  }
}
