package io.roberta.engine.cuda;

import io.roberta.engine.kernels.KernelPrecision;

/**
 * One CUDA device shared by several backends (an FP32 and a BF16 one, one after another), closed
 * once: what a GPU check program opens instead of a device per phase.
 *
 * <pre>{@code
 * try (CudaSession gpu = CudaSession.open()) {
 *   CudaKernels bf16 = gpu.kernels(KernelPrecision.BF16);
 * }
 * }</pre>
 */
public final class CudaSession implements AutoCloseable {
  private final Device device;

  private CudaSession(Device device) {
    this.device = device;
  }

  /** Device 0 of this machine; a {@code BackendUnavailableException} says what is missing. */
  public static CudaSession open() {
    return new CudaSession(JavaCppDevice.open());
  }

  /** The dry device: launches checked and counted, nothing computed. */
  public static CudaSession dry() {
    return new CudaSession(new DryDevice());
  }

  /** A backend on this session's device; closing it leaves the device open. */
  public CudaKernels kernels(KernelPrecision precision) {
    return new CudaKernels(device, precision, false);
  }

  /**
   * Whether the device waits after every launch and product and names the one that failed (see
   * {@link JavaCppDevice}); the dry device checks every launch as it comes anyway.
   */
  public void debugSync(boolean on) {
    if (device instanceof JavaCppDevice d) {
      d.debugSync(on);
    }
  }

  public String description() {
    return device.description();
  }

  @Override
  public void close() {
    device.close();
  }
}
