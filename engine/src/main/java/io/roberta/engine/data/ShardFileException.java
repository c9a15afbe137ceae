package io.roberta.engine.data;

import java.nio.file.Path;

/**
 * A token shard that cannot be used: its size is not a whole number of blocks of its dtype, or
 * it holds an id outside the model's vocabulary. The message names the file and the block.
 */
public final class ShardFileException extends IllegalArgumentException {
  private final transient Path file;

  public ShardFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The shard at fault. */
  public Path file() {
    return file;
  }
}
