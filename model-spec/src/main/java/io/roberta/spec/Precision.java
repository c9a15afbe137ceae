package io.roberta.spec;

/** Numeric precision of training. FP32 runs everywhere; BF16 and FP16 need a GPU backend. */
public enum Precision {
  FP32,
  BF16,
  FP16
}
