package io.roberta.spec;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Which tokenizer a recipe uses: a pretrained Hugging Face {@code tokenizer.json}, a byte-level
 * BPE trained on the recipe's corpus, or a SentencePiece {@code .model} (XLM-R).
 *
 * <p>Fields a kind does not use must be null: a {@code path} on a tokenizer that is trained, or
 * a {@code vocabSize} on a pretrained one, is an error rather than something silently ignored.
 *
 * <pre>{@code TokenizerSpec bpe = TokenizerSpec.byteLevelBpe(8_000, 2);}</pre>
 */
public record TokenizerSpec(Kind kind, String path, Integer vocabSize, Integer minFrequency) {

  /** The five special tokens every RoBERTa tokenizer carries. */
  public static final int SPECIAL_TOKEN_COUNT = 5;

  public enum Kind {
    /** A Hugging Face {@code tokenizer.json} (BPE or Unigram), or a directory holding one. */
    PRETRAINED,
    /** GPT-2/RoBERTa byte-level BPE, trained by the tokenizer stage. */
    BYTE_LEVEL_BPE,
    /** A SentencePiece {@code .model} file, as XLM-R uses. */
    SENTENCEPIECE
  }

  public TokenizerSpec {
    Checks.notNull("tokenizer.kind", kind);
    switch (kind) {
      case BYTE_LEVEL_BPE -> {
        Checks.absent("tokenizer.path", path, "a BYTE_LEVEL_BPE tokenizer is trained, not loaded");
        Checks.notNull("tokenizer.vocabSize", vocabSize);
        Checks.notNull("tokenizer.minFrequency", minFrequency);
        // 256 byte symbols + the special tokens are the smallest byte-level vocabulary.
        if (vocabSize < 256 + SPECIAL_TOKEN_COUNT) {
          throw Checks.invalid(
              "tokenizer.vocabSize",
              vocabSize,
              "must be >= " + (256 + SPECIAL_TOKEN_COUNT)
                  + " (256 byte symbols plus the 5 special tokens)");
        }
        Checks.positive("tokenizer.minFrequency", minFrequency);
      }
      case PRETRAINED, SENTENCEPIECE -> {
        Checks.nonBlank("tokenizer.path", path);
        Checks.absent("tokenizer.vocabSize", vocabSize, "a " + kind + " tokenizer's vocabulary comes from its file");
        Checks.absent(
            "tokenizer.minFrequency", minFrequency, "a " + kind + " tokenizer is loaded, not trained");
        if (kind == Kind.SENTENCEPIECE && !path.endsWith(".model")) {
          throw Checks.invalid("tokenizer.path", path, "a SENTENCEPIECE tokenizer must name a .model file");
        }
      }
    }
  }

  public static TokenizerSpec byteLevelBpe(int vocabSize, int minFrequency) {
    return new TokenizerSpec(Kind.BYTE_LEVEL_BPE, null, vocabSize, minFrequency);
  }

  public static TokenizerSpec pretrained(String path) {
    return new TokenizerSpec(Kind.PRETRAINED, path, null, null);
  }

  public static TokenizerSpec sentencePiece(String path) {
    return new TokenizerSpec(Kind.SENTENCEPIECE, path, null, null);
  }

  /** True when the tokenizer stage has to learn this tokenizer from the corpus. */
  @JsonIgnore
  public boolean isTrained() {
    return kind == Kind.BYTE_LEVEL_BPE;
  }
}
