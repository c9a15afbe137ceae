package io.roberta.pipelines.eval.metrics;

/**
 * Metrics of label predictions, computed as the GLUE reference does (scikit-learn): accuracy,
 * F1 of one positive class, and the Matthews correlation. Degenerate cases follow scikit-learn:
 * an F1 or MCC whose denominator is zero is 0, not NaN.
 *
 * <pre>{@code double mcc = Classification.matthews(predicted, gold, 2);}</pre>
 */
public final class Classification {
  private Classification() {}

  /** Fraction of predictions equal to the gold label. */
  public static double accuracy(int[] predicted, int[] gold) {
    checkSameLength(predicted, gold);
    long right = 0;
    for (int i = 0; i < gold.length; i++) {
      if (predicted[i] == gold[i]) {
        right++;
      }
    }
    return (double) right / gold.length;
  }

  /**
   * F1 of class {@code positive}: {@code 2 tp / (2 tp + fp + fn)}; 0 when there is neither a
   * positive prediction nor a positive label (scikit-learn's {@code zero_division=0}).
   */
  public static double f1(int[] predicted, int[] gold, int positive) {
    checkSameLength(predicted, gold);
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int i = 0; i < gold.length; i++) {
      boolean p = predicted[i] == positive;
      boolean g = gold[i] == positive;
      if (p && g) {
        tp++;
      } else if (p) {
        fp++;
      } else if (g) {
        fn++;
      }
    }
    long denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 0.0 : 2.0 * tp / denominator;
  }

  /**
   * The Matthews correlation coefficient of {@code numClasses} classes (Gorodkin's R_K, which is
   * scikit-learn's {@code matthews_corrcoef}); 0 when predictions or labels are constant.
   */
  public static double matthews(int[] predicted, int[] gold, int numClasses) {
    checkSameLength(predicted, gold);
    long[][] confusion = new long[numClasses][numClasses]; // [gold][predicted]
    for (int i = 0; i < gold.length; i++) {
      confusion[check(gold[i], numClasses, "gold", i)][check(predicted[i], numClasses, "predicted", i)]++;
    }
    double[] t = new double[numClasses]; // times class k truly occurs
    double[] p = new double[numClasses]; // times class k was predicted
    double c = 0;
    for (int k = 0; k < numClasses; k++) {
      c += confusion[k][k];
      for (int j = 0; j < numClasses; j++) {
        t[k] += confusion[k][j];
        p[k] += confusion[j][k];
      }
    }
    double s = gold.length;
    double pt = 0;
    double pp = 0;
    double tt = 0;
    for (int k = 0; k < numClasses; k++) {
      pt += p[k] * t[k];
      pp += p[k] * p[k];
      tt += t[k] * t[k];
    }
    double denominator = Math.sqrt((s * s - pp) * (s * s - tt));
    return denominator == 0 ? 0.0 : (c * s - pt) / denominator;
  }

  private static int check(int label, int numClasses, String what, int row) {
    if (label < 0 || label >= numClasses) {
      throw new IllegalArgumentException(
          what + " label " + label + " of example " + row + " is outside [0, " + numClasses + ")");
    }
    return label;
  }

  static void checkSameLength(int[] predicted, int[] gold) {
    if (predicted.length != gold.length) {
      throw new IllegalArgumentException(
          predicted.length + " predictions for " + gold.length + " gold labels");
    }
    if (gold.length == 0) {
      throw new IllegalArgumentException("no examples to score");
    }
  }
}
