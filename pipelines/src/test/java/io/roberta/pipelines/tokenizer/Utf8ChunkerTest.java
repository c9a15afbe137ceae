package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8ChunkerTest {

  private static List<String> pieces(byte[] bytes, int maxChars, long[] invalid) throws IOException {
    List<String> out = new ArrayList<>();
    invalid[0] = new Utf8Chunker(maxChars).read(Channels.newChannel(new ByteArrayInputStream(bytes)), out::add);
    return out;
  }

  @Test
  void piecesAreBoundedAndKeepTheWords() throws IOException {
    StringBuilder sb = new StringBuilder();
    Random random = new Random(5);
    String[] words = {" whale", " 🐳", " naïve", "  ", "\n", " 東京", ",", " it's", " 12"};
    while (sb.length() < 300_000) {
      sb.append(words[random.nextInt(words.length)]);
    }
    String text = sb.toString();
    long[] invalid = new long[1];
    List<String> pieces = pieces(text.getBytes(StandardCharsets.UTF_8), 1000, invalid);
    assertEquals(0, invalid[0]);
    assertEquals(text, String.join("", pieces));
    assertTrue(pieces.size() > 300);
    WordCounts whole = new WordCounts();
    whole.addText(text);
    WordCounts cut = new WordCounts();
    for (String piece : pieces) {
      assertTrue(piece.length() <= 1000, "piece of " + piece.length());
      cut.addText(piece);
    }
    assertEquals(whole.sorted(), cut.sorted());
  }

  @Test
  void replacesAndCountsInvalidSequencesAsJavaDoes() throws IOException {
    byte[] bad = {'a', (byte) 0xff, 'b', (byte) 0xc3, ' ', (byte) 0xf0, (byte) 0x9f, (byte) 0x90, 'c', (byte) 0xe2};
    long[] invalid = new long[1];
    String decoded = String.join("", pieces(bad, 16, invalid));
    String java = new String(bad, StandardCharsets.UTF_8);
    assertEquals(java, decoded);
    assertEquals(java.chars().filter(c -> c == 0xFFFD).count(), invalid[0]);
  }

  @Test
  void textWithoutSpacesIsCutAtCodePointBoundaries() throws IOException {
    String text = "🐳".repeat(5000);
    long[] invalid = new long[1];
    List<String> pieces = pieces(text.getBytes(StandardCharsets.UTF_8), 101, invalid);
    assertEquals(text, String.join("", pieces));
    for (String piece : pieces) {
      assertTrue(!Character.isHighSurrogate(piece.charAt(piece.length() - 1)));
    }
  }
}
