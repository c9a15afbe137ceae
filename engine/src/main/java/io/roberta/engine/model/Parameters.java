package io.roberta.engine.model;

import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * Every trainable tensor of a model, by its Hugging Face name, each with its gradient. Saving,
 * loading, zeroing and the optimizer are one loop over this holder (llm.c's single allocation, by
 * name).
 *
 * <pre>{@code
 * Parameters p = model.parameters();
 * p.zeroGrads();
 * p.get("lm_head.bias").grad();
 * }</pre>
 */
public final class Parameters implements AutoCloseable {

  /**
   * One parameter: its value, its gradient (same shape; null in a holder built for {@link
   * ModelUse#INFERENCE}) and whether AdamW decays it.
   */
  public record Param(String name, Tensor value, Tensor grad) {
    /** Weight decay applies to matrices only, not to biases and LayerNorm (rank 1). */
    public boolean decays() {
      return value.rank() >= 2;
    }
  }

  private final Kernels kernels;
  private final ModelUse use;
  private final Map<String, Param> params = new LinkedHashMap<>();

  /** A holder for training: every parameter gets a gradient. */
  public Parameters(Kernels kernels) {
    this(kernels, ModelUse.TRAINING);
  }

  /** A holder whose parameters get a gradient only when {@code use} is training. */
  public Parameters(Kernels kernels, ModelUse use) {
    this.kernels = kernels;
    this.use = use;
  }

  public Kernels kernels() {
    return kernels;
  }

  /** What these parameters were built for; only {@link ModelUse#TRAINING} has gradients. */
  public ModelUse use() {
    return use;
  }

  /** Throws unless these parameters have gradients; {@code what} names the operation refused. */
  public void requireGradients(String what) {
    if (use != ModelUse.TRAINING) {
      throw new IllegalStateException(what + " needs gradients, but this model was loaded for inference"
          + " (no gradient buffers); load it for training (e.g. RobertaTaskModel.load) to train it");
    }
  }

  /** Registers a new zero-initialized parameter. */
  public Param add(String name, long... shape) {
    if (params.containsKey(name)) {
      throw new IllegalArgumentException("parameter " + name + " registered twice");
    }
    Param p = new Param(name, kernels.zeros(shape), use == ModelUse.TRAINING ? kernels.zeros(shape) : null);
    params.put(name, p);
    return p;
  }

  public Param get(String name) {
    Param p = params.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter " + name);
    }
    return p;
  }

  public boolean contains(String name) {
    return params.containsKey(name);
  }

  /** Every parameter in registration order. */
  public Collection<Param> all() {
    return Collections.unmodifiableCollection(params.values());
  }

  /** Number of scalars over all parameters. */
  public long count() {
    long n = 0;
    for (Param p : params.values()) {
      n += p.value().size();
    }
    return n;
  }

  public void zeroGrads() {
    requireGradients("zeroGrads");
    for (Param p : params.values()) {
      kernels.fill(p.grad(), 0.0);
    }
  }

  /**
   * Hugging Face's initialization: matrices and embeddings normal(0, std), biases zero, LayerNorm
   * weights one; {@code zeroRows} names embedding rows that start at zero (padding).
   */
  public void initialize(double std, long seed, Map<String, Integer> zeroRows) {
    SplittableRandom random = new SplittableRandom(seed);
    for (Param p : params.values()) {
      String name = p.name();
      long[] shape = p.value().shape();
      int n = Math.toIntExact(p.value().size());
      double[] values = new double[n];
      if (name.endsWith("LayerNorm.weight") || name.endsWith("layer_norm.weight")) {
        Arrays.fill(values, 1.0);
      } else if (shape.length >= 2) {
        for (int i = 0; i < n; i++) {
          values[i] = gaussian(random) * std;
        }
        Integer row = zeroRows.get(name);
        if (row != null) {
          int width = (int) shape[1];
          Arrays.fill(values, row * width, (row + 1) * width, 0.0);
        }
      }
      copyFromHost(p.value(), kernels.fromDoubles(values, shape));
    }
  }

  /**
   * {@code dst = staged}, then frees the staging tensor at once: loading or initializing a model
   * outside any kernel scope would otherwise leave a second copy of every weight to the collector.
   */
  private void copyFromHost(Tensor dst, Tensor staged) {
    try {
      kernels.copy(dst, staged);
    } finally {
      kernels.release(staged);
    }
  }

  private static double gaussian(SplittableRandom random) {
    // Box-Muller: SplittableRandom has no nextGaussian on Java 17
    double u = 1.0 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2.0 * Math.PI * v);
  }

  /**
   * Copies every parameter from {@code file}, which must hold it with the same shape; a
   * parameter for which {@code mayBeMissing} is true keeps its current value when absent.
   * Returns the names that were loaded.
   */
  public Set<String> load(SafeTensors file, Predicate<String> mayBeMissing) {
    Set<String> loaded = new LinkedHashSet<>();
    for (Param p : params.values()) {
      if (!file.contains(p.name()) && mayBeMissing.test(p.name())) {
        continue;
      }
      float[] values = file.finiteFloats(p.name(), p.value().shape());
      copyFromHost(p.value(), kernels.fromFloats(values, p.value().shape()));
      loaded.add(p.name());
    }
    return loaded;
  }

  /**
   * Frees every value and gradient now (see {@link Kernels#release}); the model that owns these
   * parameters cannot be used afterwards. Closing twice is harmless.
   */
  @Override
  public void close() {
    for (Param p : params.values()) {
      kernels.release(p.value());
      if (p.grad() != null) {
        kernels.release(p.grad());
      }
    }
    params.clear();
  }

  /** Every parameter value as F32 tensor data, by name. */
  public Map<String, TensorData> values() {
    Map<String, TensorData> out = new LinkedHashMap<>();
    for (Param p : params.values()) {
      out.put(p.name(), TensorData.ofFloats(kernels.toFloats(p.value()), p.value().shape()));
    }
    return out;
  }
}
