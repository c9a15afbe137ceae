package io.roberta.engine.io;

import java.nio.file.Path;

/**
 * A model file that cannot be used: corrupt, truncated, or not matching the model. The message
 * names the file and the tensor or field at fault; {@link #file()} and {@link #item()} give them
 * alone.
 */
public final class ModelFileException extends RuntimeException {
  private final Path file;
  private final String item;

  public ModelFileException(Path file, String item, String problem) {
    super(file + (item == null ? "" : ": " + item) + ": " + problem);
    this.file = file;
    this.item = item;
  }

  public ModelFileException(Path file, String item, String problem, Throwable cause) {
    this(file, item, problem);
    initCause(cause);
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }

  /** The tensor name or config field at fault, or null when the whole file is. */
  public String item() {
    return item;
  }
}
