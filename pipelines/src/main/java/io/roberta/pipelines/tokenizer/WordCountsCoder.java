package io.roberta.pipelines.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/**
 * Encodes {@link WordCounts} as a count of entries, then (word, count) pairs in table order (not
 * sorted: sorting made every copy the DirectRunner takes of a partial result slow, and nothing
 * downstream depends on the order).
 */
public final class WordCountsCoder extends AtomicCoder<WordCounts> {

  private static final WordCountsCoder INSTANCE = new WordCountsCoder();
  private static final StringUtf8Coder WORD = StringUtf8Coder.of();
  private static final VarLongCoder COUNT = VarLongCoder.of();
  private static final VarIntCoder SIZE = VarIntCoder.of();

  private WordCountsCoder() {}

  public static WordCountsCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(WordCounts value, OutputStream out) throws IOException {
    SIZE.encode(value.distinct(), out);
    IOException[] failure = new IOException[1];
    value.forEach((word, count) -> {
      if (failure[0] == null) {
        try {
          WORD.encode(word, out);
          COUNT.encode(count, out);
        } catch (IOException e) {
          failure[0] = e;
        }
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
  }

  @Override
  public WordCounts decode(InputStream in) throws IOException {
    int size = SIZE.decode(in);
    WordCounts counts = new WordCounts();
    for (int i = 0; i < size; i++) {
      counts.add(WORD.decode(in), COUNT.decode(in));
    }
    return counts;
  }

  @Override
  public void verifyDeterministic() throws NonDeterministicException {
    throw new NonDeterministicException(this, "entries are written in hash table order");
  }
}
