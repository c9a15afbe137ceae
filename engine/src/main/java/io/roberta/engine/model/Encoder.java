package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code RobertaModel} without pooler: embeddings and {@code numLayers} post-LN layers. With
 * {@link LayerSharing#ALL_LAYERS} only {@code roberta.encoder.layer.0.*} exists and runs at every
 * depth.
 */
public final class Encoder {
  /** Added to attention scores of padding keys; exp() of it is exactly 0 in fp32 and fp64. */
  static final double MASKED_SCORE = -1e9;

  private final ModelSpec spec;
  private final Embeddings embeddings;
  private final List<EncoderLayer> layers = new ArrayList<>();

  /** One forward pass: its input, every hidden state and what the backward needs. */
  public static final class Forward {
    final Batch batch;
    final Embeddings.Cache embeddings;
    final List<EncoderLayer.Cache> layers;

    Forward(Batch batch, Embeddings.Cache embeddings, List<EncoderLayer.Cache> layers) {
      this.batch = batch;
      this.embeddings = embeddings;
      this.layers = layers;
    }

    public Batch batch() {
      return batch;
    }

    /** Hidden states {@code [B*T, C]}: the embeddings' output, then each layer's output. */
    public List<Tensor> hiddenStates() {
      List<Tensor> out = new ArrayList<>();
      out.add(embeddings.out());
      layers.forEach(l -> out.add(l.out()));
      return Collections.unmodifiableList(out);
    }

    /** The last hidden state {@code [B*T, C]}. */
    public Tensor last() {
      return layers.isEmpty() ? embeddings.out() : layers.get(layers.size() - 1).out();
    }
  }

  Encoder(Parameters params, ModelSpec spec) {
    this.spec = spec;
    this.embeddings = new Embeddings(params, spec);
    for (int i = 0; i < spec.distinctLayers(); i++) {
      layers.add(new EncoderLayer(params, "roberta.encoder.layer." + i, spec));
    }
  }

  private EncoderLayer layerAt(int depth) {
    return layers.get(spec.layerSharing() == LayerSharing.ALL_LAYERS ? 0 : depth);
  }

  /** Key bias {@code [B,T]} from the attention mask. */
  private static Tensor keyBias(Kernels k, Batch batch) {
    double[] bias = new double[batch.rows()];
    int[] mask = batch.attentionMask();
    for (int i = 0; i < bias.length; i++) {
      bias[i] = mask[i] == 0 ? MASKED_SCORE : 0.0;
    }
    return k.fromDoubles(bias, batch.size(), batch.length());
  }

  public Forward forward(Kernels k, Batch batch, RunMode mode) {
    for (int id : batch.inputIds()) {
      if (id < 0 || id >= spec.vocabSize()) {
        throw new IllegalArgumentException(
            "token id " + id + " outside the vocabulary [0, " + spec.vocabSize() + ")");
      }
    }
    Embeddings.Cache e = embeddings.forward(k, batch, mode);
    Tensor bias = keyBias(k, batch);
    List<EncoderLayer.Cache> caches = new ArrayList<>();
    Tensor x = e.out();
    for (int depth = 0; depth < spec.numLayers(); depth++) {
      EncoderLayer.Cache c = layerAt(depth).forward(k, x, bias, mode);
      caches.add(c);
      x = c.out();
    }
    return new Forward(batch, e, caches);
  }

  /** Accumulates every encoder gradient from {@code dLast}, the gradient of the last hidden state. */
  public void backward(Kernels k, Forward f, Tensor dLast) {
    Tensor d = dLast;
    for (int depth = spec.numLayers() - 1; depth >= 0; depth--) {
      d = layerAt(depth).backward(k, f.layers.get(depth), d);
    }
    embeddings.backward(k, f.embeddings, d);
  }

  Parameters.Param wordEmbeddings() {
    return embeddings.words;
  }
}
