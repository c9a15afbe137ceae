package io.roberta.spec;

/**
 * How token streams become fixed-length training blocks. {@code blockLength} counts every
 * position the model reads, {@code <s>} and {@code </s>} included.
 */
public record PackingSpec(Mode mode, int blockLength) {

  public enum Mode {
    /** Documents concatenated with {@code </s>} between them; blocks may cross documents. */
    FULL_SENTENCES,
    /** Blocks never cross a document boundary; short tails are padded. */
    DOC_SENTENCES
  }

  public PackingSpec {
    Checks.notNull("corpus.packing.mode", mode);
    Checks.positive("corpus.packing.blockLength", blockLength);
    if (blockLength < 3) {
      throw Checks.invalid(
          "corpus.packing.blockLength", blockLength, "must be >= 3 (<s>, at least one token, </s>)");
    }
  }
}
