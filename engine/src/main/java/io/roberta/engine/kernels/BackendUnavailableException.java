package io.roberta.engine.kernels;

/** The backend that was asked for cannot run on this machine; the message says why and what to do. */
public final class BackendUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public BackendUnavailableException(String message) {
    super(message);
  }

  public BackendUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
