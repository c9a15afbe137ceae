package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.TokenizerSpec;

/**
 * Tokenizer choices.
 *
 * <pre>{@code
 * Tokenizer.byteLevelBpe().vocabSize(8_000)          // trained on the recipe's corpus
 * Tokenizer.pretrained("models/roberta-base")        // a tokenizer.json or its folder
 * Tokenizer.sentencePiece("models/xlmr/sentencepiece.bpe.model")
 * }</pre>
 */
public final class Tokenizer {
  private final TokenizerSpec.Kind kind;
  private final String path;
  private int vocabSize = 50_265;
  private int minFrequency = 2;

  private Tokenizer(TokenizerSpec.Kind kind, String path) {
    this.kind = kind;
    this.path = path;
  }

  /** GPT-2/RoBERTa byte-level BPE trained by the tokenizer stage; 50,265 tokens by default, as roberta-base. */
  public static Tokenizer byteLevelBpe() {
    return new Tokenizer(TokenizerSpec.Kind.BYTE_LEVEL_BPE, null);
  }

  public static Tokenizer pretrained(String tokenizerJsonOrDir) {
    return new Tokenizer(TokenizerSpec.Kind.PRETRAINED, Checks.nonBlank("tokenizer.path", tokenizerJsonOrDir));
  }

  public static Tokenizer sentencePiece(String modelFile) {
    return new Tokenizer(TokenizerSpec.Kind.SENTENCEPIECE, Checks.nonBlank("tokenizer.path", modelFile));
  }

  public Tokenizer vocabSize(int vocabSize) {
    requireTrained("tokenizer.vocabSize");
    this.vocabSize = Checks.positive("tokenizer.vocabSize", vocabSize);
    return this;
  }

  public Tokenizer minFrequency(int minFrequency) {
    requireTrained("tokenizer.minFrequency");
    this.minFrequency = Checks.positive("tokenizer.minFrequency", minFrequency);
    return this;
  }

  public TokenizerSpec build() {
    return kind == TokenizerSpec.Kind.BYTE_LEVEL_BPE
        ? TokenizerSpec.byteLevelBpe(vocabSize, minFrequency)
        : new TokenizerSpec(kind, path, null, null);
  }

  private void requireTrained(String field) {
    if (kind != TokenizerSpec.Kind.BYTE_LEVEL_BPE) {
      throw new io.roberta.spec.SpecException(
          field, field + " applies only to a trained byte-level BPE, not to a " + kind + " tokenizer");
    }
  }
}
