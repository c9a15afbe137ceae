package io.roberta.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A Hugging Face {@code tokenizer.json} through DJL's binding of the Rust library. */
final class HuggingFaceBackend implements RobertaTokenizer.Backend {

  private final HuggingFaceTokenizer tokenizer;

  HuggingFaceBackend(Path tokenizerJson) throws IOException {
    // Spelled out so that a tokenizer_config.json next to the file cannot turn on padding or
    // truncation behind the caller's back.
    Map<String, String> options =
        Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
    this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerJson, options);
  }

  @Override
  public Encoding encode(String text) {
    return convert(text, tokenizer.encode(text));
  }

  @Override
  public List<Encoding> encodeBatch(List<String> texts) {
    ai.djl.huggingface.tokenizers.Encoding[] encodings = tokenizer.batchEncode(texts);
    List<Encoding> out = new ArrayList<>(encodings.length);
    for (int i = 0; i < encodings.length; i++) {
      out.add(convert(texts.get(i), encodings[i]));
    }
    return out;
  }

  @Override
  public String decode(int[] ids, boolean skipSpecial) {
    long[] longIds = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longIds[i] = ids[i];
    }
    return tokenizer.decode(longIds, skipSpecial);
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static Encoding convert(String text, ai.djl.huggingface.tokenizers.Encoding e) {
    long[] longIds = e.getIds();
    int[] ids = new int[longIds.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = Math.toIntExact(longIds[i]);
    }
    CharSpan[] spans = e.getCharTokenSpans();
    int[][] offsets = new int[ids.length][];
    CodePointIndex index = new CodePointIndex(text);
    for (int i = 0; i < ids.length; i++) {
      CharSpan span = spans[i];
      offsets[i] =
          span == null
              ? new int[] {0, 0}
              : new int[] {index.toCharIndex(span.getStart()), index.toCharIndex(span.getEnd())};
    }
    return new Encoding(ids, e.getTokens(), offsets);
  }

  /**
   * The Rust library counts offsets in Unicode scalar values; Java strings count UTF-16 units.
   * They differ only past a supplementary character (an emoji, say).
   */
  static final class CodePointIndex {
    private final int[] charIndexOfCodePoint; // null when the text has no surrogate pairs
    private final int length;

    CodePointIndex(String text) {
      this.length = text.length();
      int codePoints = text.codePointCount(0, text.length());
      if (codePoints == text.length()) {
        charIndexOfCodePoint = null;
      } else {
        charIndexOfCodePoint = new int[codePoints + 1];
        int c = 0;
        for (int i = 0; i < codePoints; i++) {
          charIndexOfCodePoint[i] = c;
          c += Character.charCount(text.codePointAt(c));
        }
        charIndexOfCodePoint[codePoints] = c;
      }
    }

    int toCharIndex(int codePointIndex) {
      if (charIndexOfCodePoint == null) {
        return Math.min(codePointIndex, length);
      }
      return charIndexOfCodePoint[Math.min(codePointIndex, charIndexOfCodePoint.length - 1)];
    }
  }
}
