package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;

/**
 * Model presets and a fluent builder for {@link ModelSpec}. Every setter checks its value at
 * once; {@link #build()} checks the combination.
 *
 * <pre>{@code
 * ModelSpec base = Roberta.base().build();                 // HF roberta-base shapes
 * ModelSpec mine = Roberta.tiny().layers(6).heads(8).build();
 * }</pre>
 *
 * <p>When a recipe trains its own byte-level BPE and the vocabulary size was not set here, the
 * recipe builder takes the tokenizer's size and puts {@code <mask>} last.
 */
public final class Roberta {
  private int vocabSize;
  private boolean vocabSizeSet;
  private int hiddenSize;
  private int numLayers;
  private int numHeads;
  private int intermediateSize;
  private int maxPositions;
  private int typeVocabSize = 1;
  private double layerNormEps = 1e-5;
  private double hiddenDropout = 0.1;
  private double attentionDropout = 0.1;
  private double initializerRange = 0.02;
  private SpecialTokens specialTokens;
  private LayerSharing layerSharing = LayerSharing.NONE;

  private Roberta(int vocab, int hidden, int layers, int heads, int ffn, int maxPositions) {
    this.vocabSize = vocab;
    this.hiddenSize = hidden;
    this.numLayers = layers;
    this.numHeads = heads;
    this.intermediateSize = ffn;
    this.maxPositions = maxPositions;
  }

  /** Hugging Face {@code roberta-base}: 12 layers, 768 wide, 12 heads, 50,265 tokens, 124.7 M parameters. */
  public static Roberta base() {
    Roberta r = new Roberta(50_265, 768, 12, 12, 3_072, 514);
    r.vocabSizeSet = true;
    return r;
  }

  /** Hugging Face {@code roberta-large}: 24 layers, 1,024 wide, 16 heads, 355 M parameters. */
  public static Roberta large() {
    Roberta r = new Roberta(50_265, 1_024, 24, 16, 4_096, 514);
    r.vocabSizeSet = true;
    return r;
  }

  /**
   * A model that pretrains on 2 CPU cores in minutes: 4 layers, 128 wide, 4 heads, sequences up
   * to 128 tokens, vocabulary 8,000 (or whatever the recipe's tokenizer trains).
   */
  public static Roberta tiny() {
    return new Roberta(8_000, 128, 4, 4, 512, 130);
  }

  /** RoBERTa-Shared at base size: one layer's weights reused by all 12 layers. */
  public static Roberta sharedBase() {
    return base().sharedLayers();
  }

  /**
   * XLM-R base: {@code roberta-base}'s encoder with a 250,002-token SentencePiece vocabulary
   * ({@code <s>=0, <pad>=1, </s>=2, <unk>=3, <mask>=250001}).
   */
  public static Roberta xlmrBase() {
    Roberta r = new Roberta(250_002, 768, 12, 12, 3_072, 514);
    r.vocabSizeSet = true;
    return r;
  }

  /** Start from nothing: every shape must be set. */
  public static Roberta custom(int vocabSize, int hiddenSize, int layers, int heads, int intermediateSize, int maxPositions) {
    Roberta r = new Roberta(vocabSize, hiddenSize, layers, heads, intermediateSize, maxPositions);
    r.vocabSize(vocabSize).hiddenSize(hiddenSize).layers(layers).heads(heads).intermediateSize(intermediateSize).maxPositions(maxPositions);
    return r;
  }

  public Roberta vocabSize(int vocabSize) {
    this.vocabSize = Checks.positive("model.vocabSize", vocabSize);
    this.vocabSizeSet = true;
    return this;
  }

  public Roberta hiddenSize(int hiddenSize) {
    this.hiddenSize = Checks.positive("model.hiddenSize", hiddenSize);
    return this;
  }

  public Roberta layers(int numLayers) {
    this.numLayers = Checks.positive("model.numLayers", numLayers);
    return this;
  }

  public Roberta heads(int numHeads) {
    this.numHeads = Checks.positive("model.numHeads", numHeads);
    return this;
  }

  public Roberta intermediateSize(int intermediateSize) {
    this.intermediateSize = Checks.positive("model.intermediateSize", intermediateSize);
    return this;
  }

  /** HF's {@code max_position_embeddings}; the longest sequence is this minus pad minus 1. */
  public Roberta maxPositions(int maxPositions) {
    this.maxPositions = Checks.positive("model.maxPositions", maxPositions);
    return this;
  }

  /** Sets {@code maxPositions} so that sequences of {@code length} tokens fit. */
  public Roberta maxSequenceLength(int length) {
    Checks.positive("model.maxSequenceLength", length);
    return maxPositions(length + (specialTokens == null ? 1 : specialTokens.pad()) + 1);
  }

  public Roberta typeVocabSize(int typeVocabSize) {
    this.typeVocabSize = Checks.positive("model.typeVocabSize", typeVocabSize);
    return this;
  }

  public Roberta layerNormEps(double eps) {
    this.layerNormEps = Checks.positive("model.layerNormEps", eps);
    return this;
  }

  public Roberta dropout(double hidden, double attention) {
    this.hiddenDropout = Checks.fractionBelowOne("model.hiddenDropout", hidden);
    this.attentionDropout = Checks.fractionBelowOne("model.attentionDropout", attention);
    return this;
  }

  public Roberta initializerRange(double range) {
    this.initializerRange = Checks.positive("model.initializerRange", range);
    return this;
  }

  /** Explicit special-token ids; by default RoBERTa's layout with {@code <mask>} last. */
  public Roberta specialTokens(SpecialTokens ids) {
    this.specialTokens = Checks.notNull("model.specialTokens", ids);
    return this;
  }

  /** RoBERTa-Shared: every layer uses the first layer's weights. */
  public Roberta sharedLayers() {
    this.layerSharing = LayerSharing.ALL_LAYERS;
    return this;
  }

  boolean vocabSizeSet() {
    return vocabSizeSet;
  }

  public ModelSpec build() {
    return build(vocabSize);
  }

  /** Builds with {@code vocab} tokens (the recipe's trained tokenizer decides it), leaving this builder as it is. */
  ModelSpec build(int vocab) {
    SpecialTokens ids = specialTokens != null ? specialTokens : SpecialTokens.roberta(vocab);
    return new ModelSpec(
        vocab, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, typeVocabSize,
        layerNormEps, hiddenDropout, attentionDropout, initializerRange, ids, layerSharing);
  }
}
