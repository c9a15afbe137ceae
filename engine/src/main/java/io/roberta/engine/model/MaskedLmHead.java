package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * {@code RobertaLMHead}: dense, GELU, layer norm, then the decoder tied to the word embeddings
 * plus its own bias. x {@code [M,C]} (all tokens, or only the labelled ones in training), logits
 * {@code [M,V]}.
 */
final class MaskedLmHead {
  private final Linear dense;
  private final LayerNorm norm;
  private final Parameters.Param decoder; // the word embeddings [V, C]
  private final Parameters.Param bias; // [V]

  record Cache(Tensor x, Tensor preActivation, Tensor activation, LayerNorm.Cache norm,
      Tensor logits) {}

  MaskedLmHead(Parameters params, ModelSpec spec, Parameters.Param wordEmbeddings) {
    int c = spec.hiddenSize();
    this.dense = new Linear(params, "lm_head.dense", c, c);
    this.norm = new LayerNorm(params, "lm_head.layer_norm", c, spec.layerNormEps());
    this.bias = params.add("lm_head.bias", spec.vocabSize());
    this.decoder = wordEmbeddings;
  }

  Cache forward(Kernels k, Tensor x) {
    Tensor pre = dense.forward(k, x);
    Tensor act = k.empty(pre.shape());
    k.geluForward(act, pre);
    LayerNorm.Cache n = norm.forward(k, act);
    Tensor logits = k.empty(x.dim(0), decoder.value().dim(0)); // [M, V], overwritten
    k.linearForward(logits, n.out(), decoder.value(), bias.value());
    return new Cache(x, pre, act, n, logits);
  }

  Tensor backward(Kernels k, Cache c, Tensor dLogits) {
    Tensor dNorm = k.empty(c.norm().out().shape());
    // the decoder's weight gradient lands on the word embeddings' gradient (tied)
    k.linearBackward(dNorm, decoder.grad(), bias.grad(), dLogits, c.norm().out(), decoder.value());
    Tensor dAct = norm.backward(k, c.norm(), dNorm);
    Tensor dPre = k.empty(c.preActivation().shape());
    k.geluBackward(dPre, dAct, c.preActivation());
    return dense.backward(k, dPre, c.x());
  }
}
