package io.roberta.pipelines.eval;

/** A model produced NaN or an infinity for an example: the evaluation stops instead of scoring it. */
public final class NonFiniteScoreException extends IllegalStateException {
  public NonFiniteScoreException(String message) {
    super(message);
  }
}
