package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.NormalizationSpec;
import io.roberta.spec.PackingSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.SourceSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The corpus stage end to end on the DirectRunner. */
class AssembleCorpusTest {

  static CorpusStage.Result run(Recipe recipe, Path work) {
    return CorpusStage.of(recipe, work.toString(), io.roberta.pipelines.tokenizer.TokenizerRef.of(CorpusFixture.tokenizer().toString()))
        .run(PipelineOptionsFactory.create());
  }

  @Test
  void everyDocumentReadIsKeptDroppedOrADuplicate(@TempDir Path dir) throws IOException {
    CorpusFixture.write(dir.resolve("in"));
    CorpusSpec corpus = CorpusFixture.corpus(dir.resolve("in"), new PackingSpec(PackingSpec.Mode.DOC_SENTENCES, 16));
    Recipe recipe = CorpusFixture.recipe("fixture", corpus);
    CorpusStage.Result result = run(recipe, dir.resolve("work"));
    JsonNode m = result.manifest();

    JsonNode books = m.path("sources").path("books");
    assertEquals(12, books.path("read").asLong(), m.toPrettyString());
    assertEquals(6, books.path("kept").asLong());
    assertEquals(1, books.path("duplicates").asLong());
    assertEquals(
        Map.of("empty", 1L, "binary", 1L, "invalid_utf8", 1L, "too_short", 1L, "blank", 1L), asMap(books.path("dropped")));
    assertEquals(1, books.path("nulBytesRemoved").asLong());
    JsonNode news = m.path("sources").path("news");
    assertEquals(6, news.path("read").asLong());
    assertEquals(2, news.path("kept").asLong());
    assertEquals(1, news.path("duplicates").asLong());
    assertEquals(Map.of("missing_field", 1L, "invalid_json", 1L, "too_long", 1L), asMap(news.path("dropped")));
    for (JsonNode s : List.of(books, news)) {
      long dropped = 0;
      for (JsonNode n : s.path("dropped")) {
        dropped += n.asLong();
      }
      assertEquals(s.path("read").asLong(), s.path("kept").asLong() + dropped + s.path("duplicates").asLong());
    }
    JsonNode docs = m.path("documents");
    assertEquals(18, docs.path("read").asLong());
    assertEquals(8, docs.path("kept").asLong());
    assertEquals(18, docs.path("kept").asLong() + docs.path("duplicates").asLong() + docs.path("droppedTotal").asLong());

    // Splits: every kept document is in exactly one; news documents count twice (weight 2).
    JsonNode train = m.path("splits").path("train");
    JsonNode holdout = m.path("splits").path("holdout");
    assertEquals(8, train.path("documents").asLong() + holdout.path("documents").asLong());
    assertEquals(10, train.path("copies").asLong() + holdout.path("copies").asLong());

    // Tokens: the kept documents as the tokenizer encodes them, news twice.
    long expectedTokens = 0;
    try (RobertaTokenizer t = RobertaTokenizer.load(CorpusFixture.tokenizer())) {
      for (String s : List.of(CorpusFixture.P1, CorpusFixture.P2, CorpusFixture.P3, CorpusFixture.P4, CorpusFixture.P5, CorpusFixture.P6)) {
        expectedTokens += t.encode(s).length() - 2;
      }
      for (String s : List.of(CorpusFixture.J1, CorpusFixture.J2)) {
        expectedTokens += 2L * (t.encode(s).length() - 2);
      }
      assertEquals(expectedTokens, m.path("tokens").asLong());

      // Shards: whole blocks of 16 uint16 ids, <s> first, </s> before padding, text that decodes.
      assertEquals("uint16", m.path("format").path("dtype").asText());
      long blocks = 0;
      long content = 0;
      List<String> decoded = new ArrayList<>();
      for (JsonNode split : List.of(train, holdout)) {
        for (JsonNode shard : split.path("shards")) {
          byte[] bytes = Files.readAllBytes(Path.of(result.directory(), shard.path("file").asText()));
          assertEquals(0, bytes.length % (16 * 2));
          int[] ids = ShardFormat.UINT16.decode(bytes);
          assertEquals(shard.path("blocks").asLong() * 16, ids.length);
          for (int b = 0; b < ids.length; b += 16) {
            int[] block = java.util.Arrays.copyOfRange(ids, b, b + 16);
            assertEquals(0, block[0]);
            int end = 15;
            while (block[end] == 1) {
              end--;
            }
            assertEquals(2, block[end], java.util.Arrays.toString(block));
            content += end - 1;
            decoded.add(t.decode(block, true));
          }
          blocks += shard.path("blocks").asLong();
        }
      }
      assertEquals(m.path("blocks").asLong(), blocks);
      assertEquals(expectedTokens, content, "DOC_SENTENCES blocks hold exactly the documents' tokens");
      String all = String.join("", decoded);
      assertTrue(all.contains("Circumambulate the city"), "the NUL was removed: " + all);
      assertEquals(2, count(all, "Fellow-Citizens of the Senate"), "weight 2 doubles a document");
      assertEquals(1, count(all, "Call me Ishmael"), "the duplicate paragraph was removed");
      assertFalse(all.contains("unterminated"));
    }
    assertTrue(m.path("paddingFraction").asDouble() > 0);
    assertEquals(64, m.path("tokenizer").path("sha256").asText().length());

    // The trainer's reader (engine) maps the same blocks.
    List<Path> trainFiles = new ArrayList<>();
    train.path("shards").forEach(s -> trainFiles.add(Path.of(result.directory(), s.path("file").asText())));
    try (io.roberta.engine.data.TokenShards shards =
        io.roberta.engine.data.TokenShards.open(trainFiles, io.roberta.engine.data.TokenShards.Dtype.UINT16, 16)) {
      assertEquals(train.path("blocks").asLong(), shards.blockCount());
      int[] first = new int[16];
      shards.read(0, first);
      int[] expected = ShardFormat.UINT16.decode(java.util.Arrays.copyOf(Files.readAllBytes(trainFiles.get(0)), 32));
      assertArrayEquals(expected, first);
    }
    assertEquals(CorpusStage.stage(recipe).fingerprint(), m.path("fingerprint").asText());
  }

  @Test
  void withoutDedupeDuplicatesAreKeptAndStillAddUp(@TempDir Path dir) {
    CorpusFixture.write(dir.resolve("in"));
    CorpusSpec dedupe = CorpusFixture.corpus(dir.resolve("in"), new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 32));
    CorpusSpec keep =
        new CorpusSpec(dedupe.sources(), dedupe.normalization(), dedupe.minChars(), dedupe.maxChars(), false,
            dedupe.holdoutFraction(), dedupe.packing());
    JsonNode m = run(CorpusFixture.recipe("keep-duplicates", keep), dir.resolve("work")).manifest();
    assertEquals(7, m.path("sources").path("books").path("kept").asLong(), m.toPrettyString());
    assertEquals(3, m.path("sources").path("news").path("kept").asLong());
    assertEquals(0, m.path("documents").path("duplicates").asLong());
    assertEquals(18, m.path("documents").path("kept").asLong() + m.path("documents").path("droppedTotal").asLong());
    assertEquals(13, m.path("splits").path("train").path("copies").asLong() + m.path("splits").path("holdout").path("copies").asLong());
  }

  @Test
  void sameFingerprintSkipsTheStage(@TempDir Path dir) throws IOException {
    CorpusFixture.write(dir.resolve("in"));
    Recipe recipe =
        CorpusFixture.recipe("skip", CorpusFixture.corpus(dir.resolve("in"), new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 32)));
    CorpusStage.Result first = run(recipe, dir.resolve("work"));
    assertFalse(first.skipped());
    Path shard = Path.of(first.directory(), first.manifest().path("splits").path("train").path("shards").get(0).path("file").asText());
    var written = Files.getLastModifiedTime(shard);
    CorpusStage.Result second = run(recipe, dir.resolve("work"));
    assertTrue(second.skipped());
    assertEquals(first.manifest(), second.manifest());
    assertEquals(written, Files.getLastModifiedTime(shard));
    // FULL_SENTENCES: blocks cross documents, so only the last block of a shard is padded.
    JsonNode train = first.manifest().path("splits").path("train");
    assertTrue(train.path("paddingTokens").asLong() < train.path("shards").size() * 30L);
  }

  @Test
  void aGlobMatchingNothingFailsBeforeThePipelineNamingIt(@TempDir Path dir) {
    CorpusFixture.write(dir.resolve("in"));
    CorpusSpec corpus =
        new CorpusSpec(
            List.of(
                SourceSpec.textFiles("books", dir + "/in/books/*", SourceSpec.DocumentUnit.FILE, 1),
                SourceSpec.textFiles("missing", dir + "/nowhere/*.txt", SourceSpec.DocumentUnit.FILE, 1)),
            NormalizationSpec.standard(), 1, 1000, true, 0.0, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 16));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(CorpusFixture.recipe("missing", corpus), dir.resolve("work")));
    assertTrue(e.getMessage().contains(dir + "/nowhere/*.txt"), e.getMessage());
    assertTrue(e.getMessage().contains("matches no files"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("work")), "nothing was written");
  }

  @Test
  void anUnreadablePathFailsBeforeThePipelineNamingIt(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("in"));
    Files.writeString(dir.resolve("in/good.txt"), CorpusFixture.P1);
    Files.createSymbolicLink(dir.resolve("in/gone.txt"), dir.resolve("deleted-target.txt"));
    CorpusSpec corpus =
        new CorpusSpec(
            List.of(SourceSpec.textFiles("books", dir + "/in/*.txt", SourceSpec.DocumentUnit.FILE, 1)),
            NormalizationSpec.standard(), 1, 1000, true, 0.0, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 16));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> run(CorpusFixture.recipe("unreadable", corpus), dir.resolve("work")));
    assertTrue(e.getMessage().contains("gone.txt"), e.getMessage());
  }

  @Test
  void aHundredMegabyteSingleLineFileIsStreamedAndCounted(@TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    byte[] words = "lorem ipsum dolor sit amet ".getBytes(StandardCharsets.US_ASCII);
    long size = 0;
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(in.resolve("huge.txt")), 1 << 20)) {
      while (size < 100_000_000L) {
        out.write(words);
        size += words.length;
      }
    }
    Files.writeString(in.resolve("small.txt"), CorpusFixture.P1 + "\n" + CorpusFixture.P2 + "\n");
    for (SourceSpec.DocumentUnit unit : List.of(SourceSpec.DocumentUnit.LINE, SourceSpec.DocumentUnit.FILE)) {
      CorpusSpec corpus =
          new CorpusSpec(
              List.of(SourceSpec.textFiles("web", in + "/*.txt", unit, 1)),
              NormalizationSpec.standard(), 1, Integer.MAX_VALUE, true, 0.0, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 32));
      JsonNode m = run(CorpusFixture.recipe("huge-" + unit.name().toLowerCase(), corpus), dir.resolve("work")).manifest();
      JsonNode web = m.path("sources").path("web");
      assertEquals(1, web.path("dropped").path("oversized").asLong(), m.toPrettyString());
      assertEquals(unit == SourceSpec.DocumentUnit.LINE ? 3 : 2, web.path("read").asLong());
      assertEquals(web.path("read").asLong() - 1, web.path("kept").asLong());
      assertTrue(web.path("bytes").asLong() >= size, "every byte was read: " + web.path("bytes"));
    }
  }

  private static Map<String, Long> asMap(JsonNode node) {
    Map<String, Long> m = new java.util.TreeMap<>();
    node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
