package io.roberta.engine.model;

import java.util.Arrays;

/**
 * A batch of token sequences of equal length, flattened row-major ({@code [B*T]}).
 * {@code attentionMask} is 1 for real tokens, 0 for padding; {@code tokenTypeIds} are all zero
 * for RoBERTa. {@code positionStarts[b]} (null: all zero) is how many real tokens precede sequence b
 * in the text it was cut from: its position ids continue from there, so a piece of a longer block
 * trains the position embeddings it has in that block.
 *
 * <pre>{@code Batch b = Batch.pad(new int[][] {{0, 31, 2}, {0, 2}}, pad); // B=2, T=3}</pre>
 */
public record Batch(
    int size, int length, int[] inputIds, int[] attentionMask, int[] tokenTypeIds, int[] positionStarts) {

  /** Sequences whose positions start at the first one. */
  public Batch(int size, int length, int[] inputIds, int[] attentionMask, int[] tokenTypeIds) {
    this(size, length, inputIds, attentionMask, tokenTypeIds, null);
  }

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
    if (positionStarts == null) {
      positionStarts = new int[size];
    } else if (positionStarts.length != size) {
      throw new IllegalArgumentException(
          "positionStarts has " + positionStarts.length + " entries, expected one per sequence, " + size);
    } else {
      for (int b = 0; b < size; b++) {
        if (positionStarts[b] < 0) {
          throw new IllegalArgumentException("positionStarts[" + b + "] = " + positionStarts[b] + ", must be >= 0");
        }
      }
    }
  }

  /**
   * This batch's sequences cut into pieces of {@code pieceLength} tokens, each a sequence of its own
   * whose positions continue from the real (not {@code pad}) tokens before it, as HF counts
   * positions: the same flattened ids and mask, {@code [B*T/L, L]}.
   */
  public Batch pieces(int pieceLength, int pad) {
    if (pieceLength <= 0 || length % pieceLength != 0) {
      throw new IllegalArgumentException(
          "piece length " + pieceLength + " must be positive and divide the sequence length " + length);
    }
    int per = length / pieceLength;
    int[] starts = new int[size * per];
    for (int b = 0; b < size; b++) {
      int real = positionStarts[b];
      for (int k = 0; k < per; k++) {
        starts[b * per + k] = real;
        for (int t = 0; t < pieceLength; t++) {
          real += inputIds[b * length + k * pieceLength + t] != pad ? 1 : 0;
        }
      }
    }
    return new Batch(size * per, pieceLength, inputIds, attentionMask, tokenTypeIds, starts);
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
