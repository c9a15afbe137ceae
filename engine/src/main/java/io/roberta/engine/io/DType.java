package io.roberta.engine.io;

import java.util.Optional;

/** The safetensors element types this project reads and writes. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** F32, F16 and BF16. */
  public boolean isFloatingPoint() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** The type spelled as in a safetensors header ({@code "F32"}), if known. */
  public static Optional<DType> parse(String name) {
    for (DType t : values()) {
      if (t.name().equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
