package io.roberta.spec;

/**
 * Dynamic masking: {@code probability} of the non-special tokens are chosen each step; of those
 * {@code maskFraction} become {@code <mask>}, {@code randomFraction} a random token and
 * {@code keepFraction} stay unchanged. Masks are a pure function of (seed, epoch, block).
 */
public record MaskingSpec(
    double probability, double maskFraction, double randomFraction, double keepFraction, long seed) {

  private static final double SUM_TOLERANCE = 1e-9;

  public MaskingSpec {
    if (!(probability > 0 && probability < 1)) {
      throw Checks.invalid("pretrain.masking.probability", probability, "must be in (0, 1), e.g. 0.15");
    }
    Checks.probability("pretrain.masking.maskFraction", maskFraction);
    Checks.probability("pretrain.masking.randomFraction", randomFraction);
    Checks.probability("pretrain.masking.keepFraction", keepFraction);
    double sum = maskFraction + randomFraction + keepFraction;
    if (Math.abs(sum - 1) > SUM_TOLERANCE) {
      throw Checks.invalid(
          "pretrain.masking",
          maskFraction + " + " + randomFraction + " + " + keepFraction + " = " + sum,
          "maskFraction + randomFraction + keepFraction must sum to 1 (RoBERTa: 0.8 + 0.1 + 0.1)");
    }
  }

  /** RoBERTa's 15% with 80% {@code <mask>}, 10% random, 10% unchanged. */
  public static MaskingSpec roberta(long seed) {
    return new MaskingSpec(0.15, 0.8, 0.1, 0.1, seed);
  }
}
