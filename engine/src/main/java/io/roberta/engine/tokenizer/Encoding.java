package io.roberta.engine.tokenizer;

import java.util.Arrays;

/**
 * One encoded text: token ids, their string forms, and for each token the {@code [start, end)}
 * span of the input it came from, in Java {@code char} (UTF-16) indices. Special tokens added by
 * the tokenizer ({@code <s>}, {@code </s>}) have the empty span {@code [0, 0]}.
 *
 * <pre>{@code
 * Encoding e = tokenizer.encode("Hello world");
 * e.ids();      // [0, 31414, 232, 2]
 * e.tokens();   // ["<s>", "Hello", "Ġworld", "</s>"]
 * e.offsets();  // [[0, 0], [0, 5], [6, 11], [0, 0]]
 * }</pre>
 *
 * @param ids token ids, {@code [T]}
 * @param tokens token strings as the vocabulary spells them, {@code [T]}
 * @param offsets character spans into the input, {@code [T][2]}
 */
public record Encoding(int[] ids, String[] tokens, int[][] offsets) {

  public Encoding {
    if (ids.length != tokens.length || ids.length != offsets.length) {
      throw new IllegalArgumentException(
          "ids, tokens and offsets must have the same length, got "
              + ids.length + ", " + tokens.length + " and " + offsets.length);
    }
  }

  /** Number of tokens, special tokens included. */
  public int length() {
    return ids.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Encoding e
        && Arrays.equals(ids, e.ids)
        && Arrays.equals(tokens, e.tokens)
        && Arrays.deepEquals(offsets, e.offsets);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(ids) + Arrays.hashCode(tokens)) + Arrays.deepHashCode(offsets);
  }

  @Override
  public String toString() {
    return "Encoding{ids=" + Arrays.toString(ids) + ", tokens=" + Arrays.toString(tokens)
        + ", offsets=" + Arrays.deepToString(offsets) + "}";
  }
}
