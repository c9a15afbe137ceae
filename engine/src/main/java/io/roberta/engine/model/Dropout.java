package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;

/** Inverted dropout; the identity when not training or when the rate is 0. */
final class Dropout {
  private final double rate;

  /** The output and the mask it was drawn with (null when dropout did nothing). */
  record Cache(Tensor out, Tensor mask) {}

  Dropout(double rate) {
    this.rate = rate;
  }

  /** A fresh mask for this call, or null when dropout is off. */
  Tensor mask(Kernels k, RunMode mode, long... shape) {
    if (!mode.training() || rate == 0) {
      return null;
    }
    Tensor mask = k.empty(shape); // every element drawn
    k.dropoutMask(mask, rate, mode.nextSeed());
    return mask;
  }

  Cache forward(Kernels k, Tensor x, RunMode mode) {
    Tensor mask = mask(k, mode, x.shape());
    if (mask == null) {
      return new Cache(x, null);
    }
    Tensor out = k.empty(x.shape());
    k.multiply(out, x, mask);
    return new Cache(out, mask);
  }

  Tensor backward(Kernels k, Cache c, Tensor dOut) {
    if (c.mask() == null) {
      return dOut;
    }
    Tensor dx = k.empty(dOut.shape());
    k.multiply(dx, dOut, c.mask());
    return dx;
  }
}
