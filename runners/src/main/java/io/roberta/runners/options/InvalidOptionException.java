package io.roberta.runners.options;

/**
 * A pipeline option that cannot work, found before any stage starts. The message names the
 * option, the value and what would be valid; {@link #option()} is the option's name as typed
 * ({@code --runner}).
 */
public final class InvalidOptionException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String option;

  public InvalidOptionException(String option, String message) {
    super(message);
    this.option = option;
  }

  public InvalidOptionException(String option, String message, Throwable cause) {
    super(message, cause);
    this.option = option;
  }

  /** The option at fault, e.g. {@code --tempLocation}. */
  public String option() {
    return option;
  }
}
