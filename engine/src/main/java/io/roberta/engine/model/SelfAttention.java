package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * {@code RobertaAttention}: multi-head self-attention with the key padding mask, the output
 * projection, dropout, the residual and a post layer norm. x, out {@code [B*T, C]}.
 */
final class SelfAttention {
  private final Linear query;
  private final Linear key;
  private final Linear value;
  private final Linear output;
  private final LayerNorm norm;
  private final Dropout attentionDropout;
  private final Dropout hiddenDropout;
  private final int numHeads;

  record Cache(
      Tensor x, Tensor q, Tensor k, Tensor v, Tensor probs, Tensor dropMask, Tensor context,
      Dropout.Cache projected, LayerNorm.Cache norm) {
    Tensor out() {
      return norm.out();
    }
  }

  SelfAttention(Parameters params, String prefix, ModelSpec spec) {
    int c = spec.hiddenSize();
    this.query = new Linear(params, prefix + ".self.query", c, c);
    this.key = new Linear(params, prefix + ".self.key", c, c);
    this.value = new Linear(params, prefix + ".self.value", c, c);
    this.output = new Linear(params, prefix + ".output.dense", c, c);
    this.norm = new LayerNorm(params, prefix + ".output.LayerNorm", c, spec.layerNormEps());
    this.attentionDropout = new Dropout(spec.attentionDropout());
    this.hiddenDropout = new Dropout(spec.hiddenDropout());
    this.numHeads = spec.numHeads();
  }

  /** keyBias {@code [B,T]}: 0 for real keys, a large negative number for padding. */
  Cache forward(Kernels k, Tensor x, Tensor keyBias, RunMode mode) {
    long batch = keyBias.dim(0);
    long seq = keyBias.dim(1);
    Tensor q = query.forward(k, x);
    Tensor kk = key.forward(k, x);
    Tensor v = value.forward(k, x);
    Tensor probs = k.empty(batch, numHeads, seq, seq); // [B,nh,T,T], overwritten
    Tensor dropMask = attentionDropout.mask(k, mode, batch, numHeads, seq, seq);
    Tensor context = k.empty(x.shape()); // [B*T, C], overwritten
    k.attentionForward(context, probs, q, kk, v, keyBias, numHeads, dropMask);
    Dropout.Cache projected = hiddenDropout.forward(k, output.forward(k, context), mode);
    Tensor residual = k.empty(x.shape());
    k.copy(residual, projected.out());
    k.add(residual, x);
    return new Cache(x, q, kk, v, probs, dropMask, context, projected,
        norm.forward(k, residual));
  }

  Tensor backward(Kernels k, Cache c, Tensor dOut) {
    // in the forward pass this was: out = norm(dropout(output(context)) + x)
    Tensor dResidual = norm.backward(k, c.norm(), dOut);
    Tensor dProjected = hiddenDropout.backward(k, c.projected(), dResidual);
    Tensor dContext = output.backward(k, dProjected, c.context());
    Tensor dq = k.empty(c.x().shape()); // all three overwritten
    Tensor dk = k.empty(c.x().shape());
    Tensor dv = k.empty(c.x().shape());
    k.attentionBackward(dq, dk, dv, dContext, c.probs(), c.q(), c.k(), c.v(), numHeads,
        c.dropMask());
    Tensor dx = dResidual;
    query.backwardAccumulate(k, dx, dq, c.x());
    key.backwardAccumulate(k, dx, dk, c.x());
    value.backwardAccumulate(k, dx, dv, c.x());
    return dx;
  }
}
