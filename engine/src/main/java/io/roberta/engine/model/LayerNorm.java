package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;

/** Layer norm over channels: x, out {@code [N,C]}. */
final class LayerNorm {
  final Parameters.Param weight;
  final Parameters.Param bias;
  private final double eps;

  /** What the backward needs: the input and its per-row mean and 1/std {@code [N]}. */
  record Cache(Tensor in, Tensor out, Tensor mean, Tensor rstd) {}

  LayerNorm(Parameters params, String prefix, int channels, double eps) {
    this.weight = params.add(prefix + ".weight", channels);
    this.bias = params.add(prefix + ".bias", channels);
    this.eps = eps;
  }

  Cache forward(Kernels k, Tensor x) {
    long rows = x.dim(0);
    Tensor out = k.empty(x.shape()); // all three overwritten
    Tensor mean = k.empty(rows);
    Tensor rstd = k.empty(rows);
    k.layerNormForward(out, mean, rstd, x, weight.value(), bias.value(), eps);
    return new Cache(x, out, mean, rstd);
  }

  Tensor backward(Kernels k, Cache c, Tensor dOut) {
    Tensor dx = k.empty(c.in().shape()); // overwritten
    k.layerNormBackward(dx, weight.grad(), bias.grad(), dOut, c.in(), c.mean(), c.rstd(),
        weight.value());
    return dx;
  }
}
