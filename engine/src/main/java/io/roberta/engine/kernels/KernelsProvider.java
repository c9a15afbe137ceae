package io.roberta.engine.kernels;

import java.util.Optional;

/**
 * A {@link Kernels} backend found at run time through {@link java.util.ServiceLoader}, so that a
 * module with native code (the CUDA backend) can sit on the class path of a machine that cannot
 * run it: {@link #unavailableReason()} must answer without loading any native library.
 *
 * <pre>{@code Kernels k = Backends.create(Backend.CUDA, KernelPrecision.BF16);}</pre>
 */
public interface KernelsProvider {

  /** The name {@code --backend} selects it by, lower case ({@code "cuda"}). */
  String name();

  /** Whether it computes in {@code precision}. */
  boolean supports(KernelPrecision precision);

  /**
   * Empty when this machine can run the backend as far as can be told without loading native
   * code; otherwise what was looked for and not found, as one sentence.
   */
  Optional<String> unavailableReason();

  /** A new backend instance; throws {@link BackendUnavailableException} when it cannot start. */
  Kernels create(KernelPrecision precision);
}
