package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * {@code RobertaLayer}: attention block, then the feed-forward block {@code norm(dropout(W2
 * gelu(W1 h)) + h)}. One instance holds one set of weights; with shared layers the encoder runs
 * the same instance at every depth, each call with its own {@link Cache}, and the gradients sum.
 */
final class EncoderLayer {
  private final SelfAttention attention;
  private final Linear intermediate;
  private final Linear output;
  private final LayerNorm norm;
  private final Dropout dropout;

  record Cache(
      SelfAttention.Cache attention, Tensor preActivation, Tensor activation,
      Dropout.Cache projected, LayerNorm.Cache norm) {
    Tensor out() {
      return norm.out();
    }
  }

  EncoderLayer(Parameters params, String prefix, ModelSpec spec) {
    int c = spec.hiddenSize();
    int i = spec.intermediateSize();
    this.attention = new SelfAttention(params, prefix + ".attention", spec);
    this.intermediate = new Linear(params, prefix + ".intermediate.dense", c, i);
    this.output = new Linear(params, prefix + ".output.dense", i, c);
    this.norm = new LayerNorm(params, prefix + ".output.LayerNorm", c, spec.layerNormEps());
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  Cache forward(Kernels k, Tensor x, Tensor keyBias, RunMode mode) {
    SelfAttention.Cache a = attention.forward(k, x, keyBias, mode);
    Tensor h = a.out(); // [B*T, C]
    Tensor pre = intermediate.forward(k, h); // [B*T, I]
    Tensor act = k.empty(pre.shape());
    k.geluForward(act, pre);
    Dropout.Cache projected = dropout.forward(k, output.forward(k, act), mode); // [B*T, C]
    Tensor residual = k.empty(h.shape());
    k.copy(residual, projected.out());
    k.add(residual, h);
    return new Cache(a, pre, act, projected, norm.forward(k, residual));
  }

  Tensor backward(Kernels k, Cache c, Tensor dOut) {
    // in the forward pass this was: out = norm(dropout(output(gelu(intermediate(h)))) + h)
    Tensor dResidual = norm.backward(k, c.norm(), dOut);
    Tensor dAct = output.backward(k, dropout.backward(k, c.projected(), dResidual), c.activation());
    Tensor dPre = k.empty(c.preActivation().shape());
    k.geluBackward(dPre, dAct, c.preActivation());
    Tensor dh = dResidual;
    intermediate.backwardAccumulate(k, dh, dPre, c.attention().out());
    return attention.backward(k, c.attention(), dh);
  }
}
