package io.roberta.engine.kernels;

/** Floating-point width of a backend's tensors. */
public enum KernelPrecision {
  /** 32-bit floats: training and inference. */
  FP32,
  /** 64-bit floats: finite-difference gradient checks. */
  FP64
}
