package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.beam.sdk.PipelineResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single 100 MB line (no newline anywhere) trains without running out of memory: the reader
 * streams it in 1 MB pieces, so no element holds the whole line.
 */
class HundredMegabyteLineTest {

  @Test
  void trainsOnOneHundredMegabyteLine(@TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    Path file = in.resolve("one-line.txt");
    String[] words = new String[2000];
    Random random = new Random(3);
    for (int i = 0; i < words.length; i++) {
      StringBuilder w = new StringBuilder(" ");
      for (int j = 0, n = 2 + random.nextInt(9); j < n; j++) {
        w.append((char) ('a' + random.nextInt(26)));
      }
      words[i] = w.toString();
    }
    long size = 0;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      while (size < 100_000_000L) {
        byte[] w = words[random.nextInt(words.length)].getBytes(StandardCharsets.US_ASCII);
        out.write(w);
        size += w.length;
      }
    }
    PipelineResult result = TrainTokenizerTest.train(
        TrainTokenizerTest.direct(), file.toString(), 1000, 2, dir.resolve("out"), ReadTextDocuments.DEFAULT_MAX_CHARS);
    assertEquals(1, TrainTokenizerTest.counter(result, ReadTextDocuments.FILES));
    assertEquals(size, TrainTokenizerTest.counter(result, ReadTextDocuments.BYTES));
    assertTrue(Files.size(dir.resolve("out/tokenizer.json")) > 10_000);
  }
}
