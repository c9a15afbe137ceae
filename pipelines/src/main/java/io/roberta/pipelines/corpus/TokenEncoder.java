package io.roberta.pipelines.corpus;

import io.roberta.engine.tokenizer.Encoding;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Text to token ids for packing: the ids of each text without {@code <s>} and {@code </s>}.
 * One instance per thread.
 *
 * <pre>{@code
 * try (TokenEncoder encoder = TokenEncoder.open(Path.of("tokenizer.json"))) {
 *   int[] ids = encoder.encodeBatch(List.of("Call me Ishmael.")).get(0);
 * }
 * }</pre>
 */
public interface TokenEncoder extends AutoCloseable {

  List<int[]> encodeBatch(List<String> texts);

  @Override
  void close();

  /**
   * The fastest encoder that gives the same ids as the Hugging Face library for this file: the
   * Java byte-level BPE with a word cache when the tokenizer is one it reproduces exactly, else
   * DJL's binding of the Hugging Face library.
   */
  static TokenEncoder open(Path tokenizer) {
    TokenEncoder fast = ByteLevelBpe.tryLoad(tokenizer);
    return fast != null ? fast : djl(tokenizer);
  }

  /** Always DJL's binding of the Hugging Face library (or SentencePiece). */
  static TokenEncoder djl(Path tokenizer) {
    RobertaTokenizer t = RobertaTokenizer.load(tokenizer);
    return new TokenEncoder() {
      @Override
      public List<int[]> encodeBatch(List<String> texts) {
        List<int[]> out = new ArrayList<>(texts.size());
        for (Encoding e : t.encodeBatch(texts)) {
          out.add(stripSpecials(e.ids()));
        }
        return out;
      }

      @Override
      public void close() {
        t.close();
      }
    };
  }

  /** Drops the {@code <s>} and {@code </s>} that the tokenizer's post-processor added. */
  static int[] stripSpecials(int[] ids) {
    if (ids.length < 2) {
      return new int[0];
    }
    int[] inner = new int[ids.length - 2];
    System.arraycopy(ids, 1, inner, 0, inner.length);
    return inner;
  }
}
