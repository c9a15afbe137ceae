package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;

/** {@code y = x W^T + b} with PyTorch's {@code [out, in]} weight: x {@code [N,in]}, y {@code [N,out]}. */
final class Linear {
  final Parameters.Param weight;
  final Parameters.Param bias;
  private final int in;
  private final int out;

  Linear(Parameters params, String prefix, int in, int out) {
    this.in = in;
    this.out = out;
    this.weight = params.add(prefix + ".weight", out, in);
    this.bias = params.add(prefix + ".bias", out);
  }

  Tensor forward(Kernels k, Tensor x) {
    Tensor y = k.empty(x.dim(0), out); // overwritten
    k.linearForward(y, x, weight.value(), bias.value());
    return y;
  }

  /** Accumulates into the weight and bias gradients; returns dx. */
  Tensor backward(Kernels k, Tensor dy, Tensor x) {
    Tensor dx = k.empty(x.dim(0), in); // overwritten
    k.linearBackward(dx, weight.grad(), bias.grad(), dy, x, weight.value());
    return dx;
  }

  /** As {@link #backward} but adds this projection's dx into {@code dx} (an input shared by several). */
  void backwardAccumulate(Kernels k, Tensor dx, Tensor dy, Tensor x) {
    k.linearBackwardAccumulate(dx, weight.grad(), bias.grad(), dy, x, weight.value());
  }
}
