package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java byte-level BPE gives Hugging Face's ids (through DJL) token for token: on tricky
 * strings, and on every file of the shared corpus (Brown as tagged files, Moby-Dick, the State
 * of the Union texts).
 */
class ByteLevelBpeTest {

  static final List<String> TRICKY =
      List.of(
          "",
          " ",
          "Call me Ishmael.",
          "  two leading spaces and trailing   ",
          "tabs\tand\nnew\r\nlines\n\n\nand   runs \u00a0 of\u2003unicode\u3000spaces",
          "don't won't I'm we've they're I'll he'd 'quoted' '' 's",
          "DON'T 'S 'Re",
          "numbers 1234567 3.14159 1,000,000 ½ ² ٣",
          "caf\u00e9 cafe\u0301 na\u00efve \u00dcber stra\u00dfe",
          "emoji 😀👍🏽 👨‍👩‍👧 flags 🇫🇷",
          "中文字符和日本語のテキスト 한국어",
          "Ελληνικά русский עברית العربية हिन्दी",
          "control \u0001\u0007 chars \u007f and \u200b zero width",
          "symbols !!! ??? ... --- *** @#$%^&() [] {} <> / \\ | ~ `",
          "a <mask> inside, and <s> and </s> literally",
          "unpaired surrogate \ud800 end",
          "x".repeat(3000),
          "Mixed123abc-456_def ALLCAPS lowercase CamelCase");

  @Test
  void loadsTheFixtureAndRefusesOtherShapes(@TempDir Path dir) throws IOException {
    assertNotNull(ByteLevelBpe.tryLoad(CorpusFixture.tokenizer()));
    String json = Files.readString(CorpusFixture.tokenizer());
    Files.writeString(dir.resolve("norm.json"), json.replace("\"normalizer\":null", "\"normalizer\":{\"type\":\"NFC\"}"));
    assertNull(ByteLevelBpe.tryLoad(dir.resolve("norm.json")), "a normalizer is not reproduced: DJL takes over");
    assertNull(ByteLevelBpe.tryLoad(dir.resolve("missing.json")));
  }

  @Test
  void vocabularyFactsMatchTheEnginesTokenizer() {
    try (ByteLevelBpe json = ByteLevelBpe.tryLoad(CorpusFixture.tokenizer());
        io.roberta.engine.tokenizer.RobertaTokenizer t = io.roberta.engine.tokenizer.RobertaTokenizer.load(CorpusFixture.tokenizer())) {
      assertEquals(t.vocabSize(), json.vocabSize());
      for (String token : List.of("<s>", "</s>", "<pad>", "<unk>", "<mask>", "Ġthe", "Ishmael", "no-such-token")) {
        assertEquals(t.tokenToId(token), json.tokenToId(token), token);
      }
    }
  }

  @Test
  void sameIdsAsHuggingFaceOnTrickyText() {
    assertSameIds(TRICKY);
  }

  /**
   * Every 8th file in the build (DJL takes minutes for all of them on 2 cores); all of them with
   * {@code -Dcorpus.parity=full}, which {@code bench/corpus.sh} also checks with a 30k vocabulary.
   */
  @Test
  void sameIdsAsHuggingFaceOnTheSharedCorpus() throws IOException {
    int every = "full".equals(System.getProperty("corpus.parity")) ? 1 : 8;
    Path data = SharedData.root();
    List<String> texts = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    try (Stream<Path> files = Stream.of("brown", "moby-dick", "sotu").flatMap(d -> list(data.resolve(d)))) {
      List<Path> all = files.toList();
      for (int k = 0; k < all.size(); k += every) {
        Path f = all.get(k);
        String content = Files.readString(f, StandardCharsets.UTF_8);
        if (f.toString().endsWith(".json")) {
          content = json.readTree(content).path("text").asText();
        }
        texts.add(content);
        // Cleaned as the corpus stage cleans, too.
        texts.add(new TextCleaner(io.roberta.spec.NormalizationSpec.standard()).clean(content));
      }
    }
    assertTrue(texts.size() > 1500 / every, "found " + texts.size() + " texts under " + data);
    assertSameIds(texts);
  }

  private static Stream<Path> list(Path dir) {
    try {
      return Files.list(dir).filter(Files::isRegularFile).sorted().toList().stream();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The fixture, or {@code -Dcorpus.parity.tokenizer=PATH} (bench/corpus.sh passes its 30k one). */
  static Path tokenizer() {
    String other = System.getProperty("corpus.parity.tokenizer");
    return other == null || other.isEmpty() ? CorpusFixture.tokenizer() : Path.of(other);
  }

  static void assertSameIds(List<String> texts) {
    try (ByteLevelBpe fast = ByteLevelBpe.tryLoad(tokenizer());
        TokenEncoder djl = TokenEncoder.djl(tokenizer())) {
      for (int start = 0; start < texts.size(); start += 64) {
        List<String> batch = texts.subList(start, Math.min(texts.size(), start + 64));
        List<int[]> expected = djl.encodeBatch(batch);
        List<int[]> actual = fast.encodeBatch(batch);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < batch.size(); i++) {
          int[] e = expected.get(i);
          int[] a = actual.get(i);
          if (!java.util.Arrays.equals(e, a)) {
            int at = java.util.Arrays.mismatch(e, a);
            String text = batch.get(i);
            assertArrayEquals(e, a, "text " + (start + i) + " differs at token " + at + ": "
                + text.substring(0, Math.min(200, text.length())));
          }
        }
      }
    }
  }
}
