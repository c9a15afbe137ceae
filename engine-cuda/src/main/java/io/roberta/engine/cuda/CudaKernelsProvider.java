package io.roberta.engine.cuda;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.KernelsProvider;
import java.util.Optional;

/**
 * The CUDA backend as a {@link KernelsProvider} named {@code cuda}. Loading this class loads no
 * native code; {@link #create} opens the GPU.
 */
public final class CudaKernelsProvider implements KernelsProvider {

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public boolean supports(KernelPrecision precision) {
    return precision == KernelPrecision.FP32 || precision == KernelPrecision.BF16;
  }

  @Override
  public Optional<String> unavailableReason() {
    return CudaAvailability.unavailableReason();
  }

  @Override
  public Kernels create(KernelPrecision precision) {
    return new CudaKernels(JavaCppDevice.open(), precision);
  }

  /**
   * A backend over a dry device that checks and records every launch instead of running it: the
   * host side of the backend on a machine without a GPU (tests, {@code bench engine --dry}).
   */
  public static Kernels dry(KernelPrecision precision) {
    return new CudaKernels(new DryDevice(), precision);
  }
}
