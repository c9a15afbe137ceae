package io.roberta.engine.cuda;

/**
 * The counter-based generator of {@code dropout.cu}: a uniform in [0, 1) from (seed, index) alone
 * (SplitMix64's finalizer over a Weyl sequence), so a mask does not depend on the launch shape.
 */
final class CounterRng {
  private CounterRng() {}

  static float uniform(long seed, long index) {
    long z = seed + (index + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (float) (z >>> 40) * 0x1.0p-24f;
  }
}
