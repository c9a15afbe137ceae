package io.roberta.pipelines.corpus;

import java.util.Locale;

/** Why a document read from a source does not reach the corpus. Each is counted in the manifest. */
public enum DropReason {
  /** The input held no bytes (an empty file). */
  EMPTY,
  /** The bytes are not valid UTF-8. */
  INVALID_UTF8,
  /** The file looks binary (NUL and control bytes in its first 8 KiB). */
  BINARY,
  /** Longer than {@link DocumentReader#MAX_DOCUMENT_BYTES}; skipped while streaming, never held in memory. */
  OVERSIZED,
  /** A JSON Lines record that is not valid JSON. */
  INVALID_JSON,
  /** A JSON Lines record without the recipe's text field (or with a non-text value there). */
  MISSING_FIELD,
  /** Nothing left after cleaning (only whitespace or control characters). */
  BLANK,
  /** Fewer characters than {@code corpus.minChars} after cleaning. */
  TOO_SHORT,
  /** More characters than {@code corpus.maxChars} after cleaning. */
  TOO_LONG,
  /**
   * The file could not be read to its end: a damaged compressed file (truncated or corrupt
   * {@code .gz}, {@code .bz2}, ...) or an I/O error. One such document stands for the file.
   */
  UNREADABLE;

  /** The name used in counts and in {@code manifest.json}, e.g. {@code invalid_utf8}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
