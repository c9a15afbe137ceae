package io.roberta.spec;

/**
 * An invalid value or combination in a spec. The message names the field, the value and what
 * would be valid; {@link #field()} gives the field alone (dotted, as in {@code model.hiddenSize}).
 */
public final class SpecException extends IllegalArgumentException {
  private final String field;

  public SpecException(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The dotted name of the offending field, e.g. {@code pretrain.microBatch}. */
  public String field() {
    return field;
  }
}
