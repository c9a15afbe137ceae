package io.roberta.engine.kernels;

import io.roberta.spec.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Creates the {@link Kernels} that {@code --backend} and the recipe's precision ask for. ND4J is
 * in the engine; any other backend is a {@link KernelsProvider} found through {@link
 * ServiceLoader}, so this class never loads a backend's native code unless it was chosen.
 *
 * <pre>{@code
 * Kernels k = Backends.create(Backend.parse(options.getBackend()), Backends.precision(spec.precision()));
 * }</pre>
 */
public final class Backends {
  private Backends() {}

  /** The engine's precision for a recipe's training precision. */
  public static KernelPrecision precision(Precision precision) {
    switch (precision) {
      case FP32:
        return KernelPrecision.FP32;
      case BF16:
        return KernelPrecision.BF16;
      default:
        throw new IllegalArgumentException("pretrain.precision = " + precision
            + " has no backend; use FP32 (any backend) or BF16 (--backend=cuda)");
    }
  }

  /** Which backend {@code backend} means for {@code precision}: AUTO resolved. */
  public static Backend resolve(Backend backend, KernelPrecision precision) {
    if (backend != Backend.AUTO) {
      return backend;
    }
    return precision == KernelPrecision.BF16 ? Backend.CUDA : Backend.ND4J;
  }

  /** A new backend; a clear {@link BackendUnavailableException} when this machine cannot run it. */
  public static Kernels create(Backend backend, KernelPrecision precision) {
    return create(backend, precision, providers());
  }

  static Kernels create(Backend backend, KernelPrecision precision, List<KernelsProvider> found) {
    Backend chosen = resolve(backend, precision);
    String asked = backend == Backend.AUTO
        ? "--backend=auto with precision " + precision + " (which picks " + chosen.optionValue() + ")"
        : "--backend=" + chosen.optionValue();
    if (chosen == Backend.ND4J) {
      if (precision == KernelPrecision.BF16) {
        throw new BackendUnavailableException(asked + ": the ND4J backend computes in FP32;"
            + " BF16 needs --backend=cuda on a machine with an NVIDIA GPU");
      }
      return new Nd4jKernels(precision);
    }
    String name = chosen.optionValue();
    Optional<KernelsProvider> provider =
        found.stream().filter(p -> p.name().equalsIgnoreCase(name)).findFirst();
    if (provider.isEmpty()) {
      throw new BackendUnavailableException(asked + ": no " + name + " backend on the class path"
          + " (looked for a " + KernelsProvider.class.getName() + " named '" + name
          + "' through ServiceLoader); add the engine-" + name + " module, or use --backend=nd4j");
    }
    KernelsProvider p = provider.get();
    if (!p.supports(precision)) {
      throw new BackendUnavailableException(asked + ": the " + name + " backend does not compute in " + precision);
    }
    Optional<String> reason = p.unavailableReason();
    if (reason.isPresent()) {
      throw new BackendUnavailableException(asked + ": " + reason.get()
          + (precision == KernelPrecision.BF16 ? "" : "; --backend=nd4j runs on the CPU"));
    }
    return p.create(precision);
  }

  /** Every backend provider on the class path, in ServiceLoader order. */
  public static List<KernelsProvider> providers() {
    List<KernelsProvider> out = new ArrayList<>();
    ServiceLoader.load(KernelsProvider.class, Backends.class.getClassLoader()).forEach(out::add);
    return out;
  }

  /** Names of the backends this class path offers, for help texts: {@code nd4j, cuda}. */
  public static String available() {
    StringBuilder s = new StringBuilder("nd4j");
    for (KernelsProvider p : providers()) {
      s.append(", ").append(p.name().toLowerCase(Locale.ROOT));
    }
    return s.toString();
  }
}
