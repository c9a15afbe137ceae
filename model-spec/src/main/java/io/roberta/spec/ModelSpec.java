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
    checkSizes(vocabSize, hiddenSize, intermediateSize, maxPositions, typeVocabSize);
    if (maxPositions <= specialTokens.pad() + 1) {
      throw Checks.invalid(
          "model.maxPositions",
          maxPositions,
          "must exceed model.specialTokens.pad + 1 = " + (specialTokens.pad() + 1)
              + " (RoBERTa's position ids start after the padding id)");
    }
    // Fields are not assigned yet in a compact constructor: compute from the arguments.
    long h = hiddenSize;
    long perLayer = perLayer(h, intermediateSize);
    long outside = (long) vocabSize * h + (long) maxPositions * h + (long) typeVocabSize * h
        + 2 * h + h * h + 3 * h + vocabSize;
    long layers = layerSharing == LayerSharing.ALL_LAYERS ? 1 : numLayers;
    long maxLayers = (MAX_PARAMETERS - outside) / perLayer;
    if (layers > maxLayers) {
      throw Checks.invalid("model.numLayers", numLayers, "with " + perLayer
          + " parameters per layer the model would exceed " + MAX_PARAMETERS
          + " parameters (" + MAX_PARAMETERS * TRAINING_BYTES_PER_PARAMETER / 1_000_000_000_000L
          + " TB of training state); at most " + Math.max(0, maxLayers)
          + " layers of this width");
    }
  }

  private static long perLayer(long h, long i) {
    // each product is below 2^62 (both factors are ints) and the sum below 2^63
    long attention = 4 * (h * h + h) + 2 * h;
    long ffn = (h * i + i) + (i * h + h) + 2 * h;
    return attention + ffn;
  }

  /**
   * The most elements one weight matrix may have: each is one Java array and one kernel tensor
   * indexed by {@code int} (2^31 - 1 minus a JVM array header margin).
   */
  public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;

  /** The most parameters a spec may describe (16 bytes each to train: 1.6 TB of state). */
  public static final long MAX_PARAMETERS = 100_000_000_000L;

  /**
   * Bytes of training state per parameter: FP32 weight, gradient and the two AdamW moments.
   */
  public static final int TRAINING_BYTES_PER_PARAMETER = 16;

  /** Each weight matrix fits one tensor; the totals are checked in the compact constructor. */
  private static void checkSizes(int vocab, int hidden, int intermediate, int positions, int types) {
    String[][] matrices = {
        {"model.hiddenSize", "attention weight [hiddenSize, hiddenSize]"},
        {"model.vocabSize", "word embeddings [vocabSize, hiddenSize]"},
        {"model.intermediateSize", "feed-forward weight [intermediateSize, hiddenSize]"},
        {"model.maxPositions", "position embeddings [maxPositions, hiddenSize]"},
        {"model.typeVocabSize", "token-type embeddings [typeVocabSize, hiddenSize]"}};
    int[] rows = {hidden, vocab, intermediate, positions, types};
    for (int i = 0; i < rows.length; i++) {
      long elements = (long) rows[i] * hidden; // two ints: never overflows a long
      if (elements > MAX_TENSOR_ELEMENTS) {
        throw Checks.invalid(matrices[i][0], rows[i], "with model.hiddenSize = " + hidden
            + " the " + matrices[i][1] + " would hold " + elements + " elements, more than one"
            + " tensor holds (" + MAX_TENSOR_ELEMENTS + ")");
      }
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
    return perLayer(hiddenSize, intermediateSize);
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
    return embeddingParameters()
        + Math.multiplyExact((long) distinctLayers(), parametersPerLayer()) + lmHeadParameters();
  }

  /**
   * Bytes of the training state ({@link #TRAINING_BYTES_PER_PARAMETER} per parameter), the floor
   * of what a training worker needs before activations.
   */
  public long trainingStateBytes() {
    return parameterCount() * TRAINING_BYTES_PER_PARAMETER;
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
