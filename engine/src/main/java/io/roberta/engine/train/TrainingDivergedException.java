package io.roberta.engine.train;

/** A non-finite loss or gradient: training stopped before the optimizer step that would spread it. */
public final class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) {
    super(message);
  }
}
