package io.roberta.pipelines.eval.metrics;

import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * STS-B's metrics: Pearson and Spearman correlation (tied values get the average of their ranks,
 * as {@code scipy.stats.spearmanr}). Both are undefined (NaN) when either side is constant or
 * fewer than two pairs are given, as in scipy; reports print NaN as "undefined".
 *
 * <pre>{@code double r = Correlation.pearson(predicted, gold);}</pre>
 */
public final class Correlation {
  private Correlation() {}

  public static double pearson(double[] predicted, double[] gold) {
    if (!defined(predicted, gold)) {
      return Double.NaN;
    }
    return new PearsonsCorrelation().correlation(predicted, gold);
  }

  public static double spearman(double[] predicted, double[] gold) {
    if (!defined(predicted, gold)) {
      return Double.NaN;
    }
    return new SpearmansCorrelation(new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE))
        .correlation(predicted, gold);
  }

  private static boolean defined(double[] predicted, double[] gold) {
    if (predicted.length != gold.length) {
      throw new IllegalArgumentException(
          predicted.length + " predictions for " + gold.length + " gold values");
    }
    for (int i = 0; i < gold.length; i++) {
      if (!Double.isFinite(predicted[i]) || !Double.isFinite(gold[i])) {
        throw new IllegalArgumentException("pair " + i + " is not finite: predicted "
            + predicted[i] + ", gold " + gold[i]);
      }
    }
    return gold.length >= 2 && !constant(predicted) && !constant(gold);
  }

  private static boolean constant(double[] x) {
    for (double v : x) {
      if (v != x[0]) {
        return false;
      }
    }
    return true;
  }
}
