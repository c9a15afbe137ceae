package io.roberta.engine.kernels;

/** Floating-point width of a backend's tensors. */
public enum KernelPrecision {
  /** 32-bit floats: training and inference. */
  FP32,
  /** 64-bit floats: finite-difference gradient checks. */
  FP64,
  /**
   * Mixed precision: bf16 activations, bf16 copies of the weights for matrix products (fp32
   * accumulation), fp32 master weights, gradients and optimizer state. The CUDA backend only.
   */
  BF16
}
