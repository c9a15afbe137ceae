package io.roberta.spec;

/** Text cleaning applied to every document before filtering and tokenization. */
public record NormalizationSpec(boolean nfc, boolean stripControlCharacters, boolean collapseWhitespace) {

  /** NFC, control characters removed, runs of whitespace collapsed: what the corpus stage does by default. */
  public static NormalizationSpec standard() {
    return new NormalizationSpec(true, true, true);
  }

  public static NormalizationSpec none() {
    return new NormalizationSpec(false, false, false);
  }
}
