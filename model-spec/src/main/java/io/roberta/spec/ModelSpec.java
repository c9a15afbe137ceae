package io.roberta.spec;

/**
 * The shape of a RoBERTa encoder, in Hugging Face {@code RobertaConfig} terms.
 *
 * <p>{@code maxPositions} is HF's {@code max_position_embeddings}: RoBERTa's position ids start
 * at {@code pad + 1}, so the longest sequence is {@code maxPositions - pad - 1} (512 for
 * {@code roberta-base}'s 514).
 *
 * <pre>{@code ModelSpec base = Roberta.base().build(); base.parameterCount(); // 124,697,433}</pre>
 */
public record ModelSpec(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    double layerNormEps,
    double hiddenDropout,
    double attentionDropout,
    double initializerRange,
    SpecialTokens specialTokens,
    LayerSharing layerSharing) {

  public ModelSpec {
    Checks.positive("model.vocabSize", vocabSize);
    Checks.positive("model.hiddenSize", hiddenSize);
    Checks.positive("model.numLayers", numLayers);
    Checks.positive("model.numHeads", numHeads);
    Checks.positive("model.intermediateSize", intermediateSize);
    Checks.positive("model.maxPositions", maxPositions);
    Checks.positive("model.typeVocabSize", typeVocabSize);
    Checks.positive("model.layerNormEps", layerNormEps);
    Checks.fractionBelowOne("model.hiddenDropout", hiddenDropout);
    Checks.fractionBelowOne("model.attentionDropout", attentionDropout);
    Checks.positive("model.initializerRange", initializerRange);
    Checks.notNull("model.specialTokens", specialTokens);
    Checks.notNull("model.layerSharing", layerSharing);
    if (hiddenSize % numHeads != 0) {
      throw Checks.invalid(
          "model.numHeads",
          numHeads,
          "must divide model.hiddenSize = " + hiddenSize + " (valid head counts: "
              + divisors(hiddenSize) + ")");
    }
    if (specialTokens.maxId() >= vocabSize) {
      throw Checks.invalid(
          "model.vocabSize",
          vocabSize,
          "must be greater than every special token id (largest is "
              + specialTokens.maxId() + " in " + specialTokens.asMap() + ")");
    }
    if (maxPositions <= specialTokens.pad() + 1) {
      throw Checks.invalid(
          "model.maxPositions",
          maxPositions,
          "must exceed model.specialTokens.pad + 1 = " + (specialTokens.pad() + 1)
              + " (RoBERTa's position ids start after the padding id)");
    }
  }

  /** Width of one attention head. */
  public int headDim() {
    return hiddenSize / numHeads;
  }

  /** The longest input sequence, special tokens included: {@code maxPositions - pad - 1}. */
  public int maxSequenceLength() {
    return maxPositions - specialTokens.pad() - 1;
  }

  /** Number of distinct weight sets in the encoder: 1 when layers are shared. */
  public int distinctLayers() {
    return layerSharing == LayerSharing.ALL_LAYERS ? 1 : numLayers;
  }

  /** Parameters of one encoder layer: attention (q, k, v, output), two layer norms, the FFN. */
  public long parametersPerLayer() {
    long h = hiddenSize;
    long i = intermediateSize;
    long attention = 4 * (h * h + h) + 2 * h;
    long ffn = (h * i + i) + (i * h + h) + 2 * h;
    return attention + ffn;
  }

  /** Word, position and token-type embeddings plus their layer norm. */
  public long embeddingParameters() {
    long h = hiddenSize;
    return (long) vocabSize * h + (long) maxPositions * h + (long) typeVocabSize * h + 2 * h;
  }

  /** The masked-LM head: dense, layer norm, vocabulary bias; its decoder is tied to the embeddings. */
  public long lmHeadParameters() {
    long h = hiddenSize;
    return h * h + h + 2 * h + vocabSize;
  }

  /**
   * Parameters of {@code RobertaForMaskedLM} as Hugging Face counts them: tied decoder weights
   * once, no pooler, shared layers once.
   */
  public long parameterCount() {
    return embeddingParameters() + distinctLayers() * parametersPerLayer() + lmHeadParameters();
  }

  /**
   * Forward-pass FLOPs for one token of a sequence of {@code sequenceLength}, counting 2 per
   * multiply-add of the matrix products: projections, attention scores and mixing, FFN, and the
   * LM head on {@code lmHeadFraction} of the positions (1 at inference, the masking rate in
   * training, where only masked rows are projected onto the vocabulary).
   */
  public double forwardFlopsPerToken(int sequenceLength, double lmHeadFraction) {
    double h = hiddenSize;
    double perLayer = 2 * (4 * h * h) + 2 * (2 * h * intermediateSize) + 2 * (2 * h * sequenceLength);
    double head = 2 * (h * h) + 2 * (h * vocabSize);
    return numLayers * perLayer + lmHeadFraction * head;
  }

  private static String divisors(int n) {
    StringBuilder s = new StringBuilder();
    for (int d = 1; d <= n && s.length() < 60; d++) {
      if (n % d == 0) {
        s.append(s.length() == 0 ? "" : ", ").append(d);
      }
    }
    return s.toString();
  }
}
