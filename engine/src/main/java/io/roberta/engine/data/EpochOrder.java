package io.roberta.engine.data;

import java.util.SplittableRandom;

/**
 * The order blocks are visited in an epoch: a permutation of {@code [0, blocks)} drawn from
 * (seed, epoch), so it is the same on every resume.
 *
 * <pre>{@code long block = EpochOrder.of(seed, epoch, n).blockAt(position);}</pre>
 */
public final class EpochOrder {
  private final int[] order;

  private EpochOrder(int[] order) {
    this.order = order;
  }

  public static EpochOrder of(long seed, long epoch, long blocks) {
    if (blocks < 0 || blocks > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("blocks = " + blocks + " must be in [0, 2^31 - 9]");
    }
    int n = (int) blocks;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, epoch, -1));
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return new EpochOrder(order);
  }

  public int size() {
    return order.length;
  }

  public long blockAt(long position) {
    return order[(int) position];
  }
}
