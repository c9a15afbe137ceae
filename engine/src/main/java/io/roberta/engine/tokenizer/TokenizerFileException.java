package io.roberta.engine.tokenizer;

import java.nio.file.Path;

/**
 * A tokenizer file that cannot be used: not the format it claims, damaged, or holding ids or
 * lengths out of range. The message names the file and the entry at fault (a token, a piece, a
 * field); {@link #file()} and {@link #item()} give them alone. It is an
 * {@link IllegalArgumentException} because the path given to {@link RobertaTokenizer#load} is the
 * argument at fault.
 */
public final class TokenizerFileException extends IllegalArgumentException {
  private final transient Path file;
  private final String item;

  public TokenizerFileException(Path file, String item, String problem) {
    super(file + (item == null ? "" : ": " + item) + ": " + problem);
    this.file = file;
    this.item = item;
  }

  public TokenizerFileException(Path file, String item, String problem, Throwable cause) {
    this(file, item, problem);
    initCause(cause);
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }

  /** The token, piece or field at fault, or null when the whole file is. */
  public String item() {
    return item;
  }
}
