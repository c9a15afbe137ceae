package io.roberta.pipelines.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** Encodes {@link WordCounts} as a count of entries, then (word, count) pairs sorted by word. */
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
    List<Map.Entry<String, Long>> entries = value.sorted();
    SIZE.encode(entries.size(), out);
    for (Map.Entry<String, Long> e : entries) {
      WORD.encode(e.getKey(), out);
      COUNT.encode(e.getValue(), out);
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
  public void verifyDeterministic() {}
}
