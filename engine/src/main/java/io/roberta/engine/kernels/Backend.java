package io.roberta.engine.kernels;

import java.util.Locale;

/**
 * Which {@link Kernels} implementation computes: the option {@code --backend=nd4j|cuda|auto}.
 * {@link #AUTO} takes ND4J for FP32 and FP64 and the CUDA backend for BF16, the only backend
 * that has it.
 */
public enum Backend {
  ND4J,
  CUDA,
  AUTO;

  /** The option's text, lower case. */
  public String optionValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code nd4j}, {@code cuda} or {@code auto} (any case); null or blank is AUTO. */
  public static Backend parse(String text) {
    if (text == null || text.isBlank()) {
      return AUTO;
    }
    for (Backend b : values()) {
      if (b.optionValue().equalsIgnoreCase(text.trim())) {
        return b;
      }
    }
    throw new IllegalArgumentException(
        "--backend=" + text + " is not a backend; valid values are nd4j, cuda and auto");
  }
}
