package io.roberta.dsl;

import io.roberta.spec.PackingSpec;

/**
 * Block packing modes. {@code blockLength} counts {@code <s>} and {@code </s>}.
 *
 * <pre>{@code Packing.fullSentences(512)  // RoBERTa's FULL-SENTENCES}</pre>
 */
public final class Packing {
  private Packing() {}

  /** Documents joined by {@code </s>}, blocks may cross documents (RoBERTa's choice). */
  public static PackingSpec fullSentences(int blockLength) {
    return new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, blockLength);
  }

  /** Blocks stay within one document; short tails are padded. */
  public static PackingSpec docSentences(int blockLength) {
    return new PackingSpec(PackingSpec.Mode.DOC_SENTENCES, blockLength);
  }
}
