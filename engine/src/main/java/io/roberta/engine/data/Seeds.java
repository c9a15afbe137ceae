package io.roberta.engine.data;

/**
 * Seeds derived from (seed, epoch, index) by SplitMix64 finalisation, so every random choice of
 * the data path is a pure function of those numbers: a resumed run draws exactly what an
 * uninterrupted run would have drawn, on any machine and any number of workers.
 */
public final class Seeds {
  private Seeds() {}

  /** Mixes the parts into one well-spread 64-bit seed. */
  public static long derive(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h = mix(h ^ mix(p + 0x9E3779B97F4A7C15L));
    }
    return h;
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
