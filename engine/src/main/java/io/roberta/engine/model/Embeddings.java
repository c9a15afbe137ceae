package io.roberta.engine.model;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.ModelSpec;

/**
 * {@code RobertaEmbeddings}: word + position + token type, then layer norm and dropout. Position
 * ids count real tokens from {@code pad + 1}; padding keeps {@code pad}. The padding rows of the
 * word and position tables get no gradient, as with PyTorch's {@code padding_idx}.
 */
final class Embeddings {
  final Parameters.Param words; // [V, C]
  final Parameters.Param positions; // [P, C]
  final Parameters.Param tokenTypes; // [types, C]
  private final LayerNorm norm;
  private final Dropout dropout;
  private final int pad;
  private final int hidden;
  private final int maxPositions;

  record Cache(Batch batch, int[] positionIds, LayerNorm.Cache norm, Dropout.Cache dropout) {
    Tensor out() {
      return dropout.out();
    }
  }

  Embeddings(Parameters params, ModelSpec spec) {
    this.hidden = spec.hiddenSize();
    this.pad = spec.specialTokens().pad();
    this.maxPositions = spec.maxPositions();
    this.words = params.add("roberta.embeddings.word_embeddings.weight", spec.vocabSize(), hidden);
    this.positions =
        params.add("roberta.embeddings.position_embeddings.weight", spec.maxPositions(), hidden);
    this.tokenTypes =
        params.add("roberta.embeddings.token_type_embeddings.weight", spec.typeVocabSize(), hidden);
    this.norm = new LayerNorm(params, "roberta.embeddings.LayerNorm", hidden, spec.layerNormEps());
    this.dropout = new Dropout(spec.hiddenDropout());
  }

  /**
   * HF's {@code create_position_ids_from_input_ids}: per sequence, cumulative count of non-pad,
   * continued from {@link Batch#positionStarts()} (zero for a whole sequence).
   */
  int[] positionIds(Batch batch) {
    int[] ids = batch.inputIds();
    int[] out = new int[ids.length];
    for (int b = 0; b < batch.size(); b++) {
      int count = batch.positionStarts()[b];
      for (int t = 0; t < batch.length(); t++) {
        int i = b * batch.length() + t;
        if (ids[i] != pad) {
          count++;
          out[i] = pad + count;
        } else {
          out[i] = pad;
        }
        if (out[i] >= maxPositions) {
          throw new IllegalArgumentException("sequence " + b + " needs position id " + out[i]
              + " but max_position_embeddings is " + maxPositions
              + " (longest sequence: " + (maxPositions - pad - 1) + " tokens)");
        }
      }
    }
    return out;
  }

  Cache forward(Kernels k, Batch batch, RunMode mode) {
    int[] positionIds = positionIds(batch);
    Tensor sum = k.zeros(batch.rows(), hidden); // [B*T, C]
    k.embeddingForward(sum, words.value(), batch.inputIds());
    k.embeddingForward(sum, tokenTypes.value(), batch.tokenTypeIds());
    k.embeddingForward(sum, positions.value(), positionIds);
    LayerNorm.Cache n = norm.forward(k, sum);
    return new Cache(batch, positionIds, n, dropout.forward(k, n.out(), mode));
  }

  void backward(Kernels k, Cache c, Tensor dOut) {
    Tensor dSum = norm.backward(k, c.norm(), dropout.backward(k, c.dropout(), dOut));
    k.embeddingBackward(words.grad(), dSum, c.batch().inputIds(), pad);
    k.embeddingBackward(tokenTypes.grad(), dSum, c.batch().tokenTypeIds(), -1);
    k.embeddingBackward(positions.grad(), dSum, c.positionIds(), pad);
  }
}
