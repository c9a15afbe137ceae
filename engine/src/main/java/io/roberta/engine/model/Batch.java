package io.roberta.engine.model;

import java.util.Arrays;

/**
 * A batch of token sequences of equal length, flattened row-major ({@code [B*T]}).
 * {@code attentionMask} is 1 for real tokens, 0 for padding; {@code tokenTypeIds} are all zero
 * for RoBERTa.
 *
 * <pre>{@code Batch b = Batch.pad(new int[][] {{0, 31, 2}, {0, 2}}, pad); // B=2, T=3}</pre>
 */
public record Batch(int size, int length, int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {

  public Batch {
    if (size <= 0 || length <= 0) {
      throw new IllegalArgumentException(
          "batch size " + size + " and length " + length + " must be positive");
    }
    int n = size * length;
    if (inputIds.length != n) {
      throw new IllegalArgumentException(
          "inputIds has " + inputIds.length + " ids, expected size*length = " + n);
    }
    if (attentionMask == null) {
      attentionMask = new int[n];
      Arrays.fill(attentionMask, 1);
    } else if (attentionMask.length != n) {
      throw new IllegalArgumentException(
          "attentionMask has " + attentionMask.length + " entries, expected " + n);
    }
    if (tokenTypeIds == null) {
      tokenTypeIds = new int[n];
    } else if (tokenTypeIds.length != n) {
      throw new IllegalArgumentException(
          "tokenTypeIds has " + tokenTypeIds.length + " entries, expected " + n);
    }
  }

  /** Rows of the flattened activations, {@code B*T}. */
  public int rows() {
    return size * length;
  }

  /** Sequences right-padded with {@code pad} to the longest one; the mask marks real tokens. */
  public static Batch pad(int[][] sequences, int pad) {
    return pad(sequences, pad, 1);
  }

  /**
   * As {@link #pad(int[][], int)}, with the common length rounded up to a multiple of {@code
   * multiple}. Batches of sentences of every length then come in a few shapes, not one per
   * longest sentence: the kernels' buffer pool reuses arrays of a shape it has seen, and a new
   * shape costs fresh native allocations (fine-tuning on sentences of 20-128 tokens ran at a
   * third of its speed until it had seen most lengths). The extra padding is masked out, as all
   * padding is; positions of padding tokens do not count, so any length the model takes works.
   */
  public static Batch pad(int[][] sequences, int pad, int multiple) {
    if (multiple < 1) {
      throw new IllegalArgumentException("multiple = " + multiple + ", must be >= 1");
    }
    int length = 0;
    for (int[] s : sequences) {
      length = Math.max(length, s.length);
    }
    length = (length + multiple - 1) / multiple * multiple;
    int[] ids = new int[sequences.length * length];
    int[] mask = new int[ids.length];
    Arrays.fill(ids, pad);
    for (int b = 0; b < sequences.length; b++) {
      System.arraycopy(sequences[b], 0, ids, b * length, sequences[b].length);
      Arrays.fill(mask, b * length, b * length + sequences[b].length, 1);
    }
    return new Batch(sequences.length, length, ids, mask, null);
  }
}
