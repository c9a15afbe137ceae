package io.roberta.spec;

/**
 * A recipe file that cannot be read: bad JSON, an unknown or missing field, a wrong type, or a
 * value the spec rejects. The message names the file, the field and, where known, the line.
 */
public final class RecipeFormatException extends IllegalArgumentException {
  private final String field;

  public RecipeFormatException(String field, String message, Throwable cause) {
    super(message, cause);
    this.field = field;
  }

  /** The dotted field path (e.g. {@code pretrain.optimizer.beta2}); empty for syntax errors. */
  public String field() {
    return field;
  }
}
