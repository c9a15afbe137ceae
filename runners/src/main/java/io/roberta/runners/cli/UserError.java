package io.roberta.runners.cli;

/** A problem the user can fix (bad path, bad recipe); printed as one line, exit status 1. */
public final class UserError extends RuntimeException {
  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
