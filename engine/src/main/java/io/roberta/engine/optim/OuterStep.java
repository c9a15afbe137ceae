package io.roberta.engine.optim;

import java.util.List;

/**
 * DiLoCo's outer step on one chunk of the flattened parameters: the outer gradient is the global
 * parameters minus the workers' mean, and SGD with (Nesterov) momentum applies it, as PyTorch's
 * {@code torch.optim.SGD(momentum=mu, nesterov=...)} does:
 *
 * <pre>
 *   delta = global - mean_k(worker_k)          (summed in worker order, in double)
 *   m     = mu * m + delta
 *   g     = global - lr * (nesterov ? delta + mu * m : m)
 * </pre>
 *
 * <p>Everything is computed in double from the float inputs in a fixed order, so the result is the
 * same bits on any runner, any bundling and any thread count. With one worker, lr 1 and no
 * momentum the new global parameters are the worker's parameters exactly (the float difference is
 * exact in double, and so is subtracting it back).
 *
 * <pre>{@code OuterStep.Result r = OuterStep.apply(global, momentum, List.of(w0, w1), 0.7, 0.9, true);}</pre>
 */
public final class OuterStep {
  /** The new global parameters and momentum of the chunk. */
  public record Result(float[] global, float[] momentum) {}

  private OuterStep() {}

  /** {@code value} rounded to the nearest bfloat16 (ties to even), as the 16 high bits of a float. */
  public static short toBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40); // stays a NaN
    }
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return (short) (rounded >>> 16);
  }

  public static float fromBf16(short value) {
    return Float.intBitsToFloat((value & 0xFFFF) << 16);
  }

  /**
   * The same step from the workers' updates ({@code worker - global}) in bfloat16: the mean update
   * is summed in worker order in double, and the outer gradient is its negation.
   */
  public static Result applyBf16(float[] global, float[] momentum, List<short[]> updates, double lr, double mu,
      boolean nesterov) {
    List<float[]> workers = new java.util.ArrayList<>();
    for (short[] u : updates) {
      if (u.length != global.length) {
        throw new IllegalArgumentException("worker " + workers.size() + " sent " + u.length + " values for a chunk of "
            + global.length);
      }
      float[] f = new float[u.length];
      for (int i = 0; i < u.length; i++) {
        f[i] = fromBf16(u[i]);
      }
      workers.add(f);
    }
    int n = global.length;
    float[] newGlobal = new float[n];
    float[] newMomentum = new float[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (float[] w : workers) {
        sum += w[i];
      }
      double g = global[i];
      double delta = -sum / workers.size();
      double m = (momentum == null ? 0.0 : mu * momentum[i]) + delta;
      double update = nesterov ? delta + mu * m : m;
      newGlobal[i] = (float) (g - lr * update);
      newMomentum[i] = (float) m;
    }
    return new Result(newGlobal, newMomentum);
  }

  /**
   * @param momentum the chunk's outer momentum after the previous round, or null (all zero: the
   *     first round)
   * @param workers the workers' parameters for the chunk, in worker order
   */
  public static Result apply(float[] global, float[] momentum, List<float[]> workers, double lr, double mu,
      boolean nesterov) {
    int n = global.length;
    if (workers.isEmpty()) {
      throw new IllegalArgumentException("an outer step needs at least one worker's parameters");
    }
    if (momentum != null && momentum.length != n) {
      throw new IllegalArgumentException("momentum has " + momentum.length + " values, the parameters " + n);
    }
    for (int k = 0; k < workers.size(); k++) {
      if (workers.get(k).length != n) {
        throw new IllegalArgumentException(
            "worker " + k + " sent " + workers.get(k).length + " values for a chunk of " + n);
      }
    }
    int count = workers.size();
    float[] newGlobal = new float[n];
    float[] newMomentum = new float[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int k = 0; k < count; k++) {
        sum += workers.get(k)[i];
      }
      double g = global[i];
      double delta = count == 1 ? g - workers.get(0)[i] : g - sum / count;
      double m = (momentum == null ? 0.0 : mu * momentum[i]) + delta;
      double update = nesterov ? delta + mu * m : m;
      newGlobal[i] = (float) (g - lr * update);
      newMomentum[i] = (float) m;
    }
    return new Result(newGlobal, newMomentum);
  }
}
