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
  private final String problem;

  public ModelFileException(Path file, String item, String problem) {
    this(file, file.toString(), item, problem);
  }

  private ModelFileException(Path file, String shown, String item, String problem) {
    super(shown + (item == null ? "" : ": " + item) + ": " + problem);
    this.file = file;
    this.item = item;
    this.problem = problem;
  }

  /**
   * The same problem named at {@code location} (a URI such as {@code gs://b/model/config.json}):
   * for a file checked in a local copy of it.
   */
  public ModelFileException at(String location) {
    ModelFileException e = new ModelFileException(file, location, item, problem);
    e.initCause(this);
    return e;
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
