package io.roberta.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads tokenizers written by Hugging Face's own library (see {@code make-fixtures.js} in the test
 * resources) and checks ids, tokens, offsets and decoding against what that library produced.
 */
class RobertaTokenizerTest {

  private static Path fixtures;
  private static JsonNode expected;

  @BeforeAll
  static void findFixtures() throws URISyntaxException, IOException {
    fixtures = Path.of(RobertaTokenizerTest.class.getResource("/tokenizer/hf-bpe").toURI()).getParent();
    expected = new ObjectMapper().readTree(fixtures.resolve("expected-encodings.json").toFile());
  }

  @Test
  void byteLevelBpeMatchesHuggingFace() {
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(fixtures.resolve("hf-bpe"))) {
      assertMatchesReference(tokenizer, expected.get("hf-bpe"));
      assertEquals(0, tokenizer.tokenToId("<s>"));
      assertEquals(1, tokenizer.tokenToId("<pad>"));
      assertEquals(2, tokenizer.tokenToId("</s>"));
      assertEquals(3, tokenizer.tokenToId("<unk>"));
      assertEquals(tokenizer.vocabSize() - 1, tokenizer.tokenToId("<mask>"));
      assertEquals("Ġship", tokenizer.idToToken(tokenizer.tokenToId("Ġship")));
      assertEquals(-1, tokenizer.tokenToId("no such token"));
    }
  }

  @Test
  void unigramMatchesHuggingFace() {
    try (RobertaTokenizer tokenizer =
        RobertaTokenizer.load(fixtures.resolve("hf-unigram").resolve("tokenizer.json"))) {
      assertMatchesReference(tokenizer, expected.get("hf-unigram"));
      assertEquals("<unk>", tokenizer.idToToken(3));
      assertEquals("<mask>", tokenizer.idToToken(tokenizer.vocabSize() - 1));
    }
  }

  @Test
  void sentencePieceModelSegmentsAsTheSameUnigramVocabulary(@TempDir Path dir) throws IOException {
    Path model = writeSentencePieceModelFromUnigramFixture(dir);
    try (RobertaTokenizer sp = RobertaTokenizer.load(model);
        RobertaTokenizer hf = RobertaTokenizer.load(fixtures.resolve("hf-unigram"))) {
      for (String text : List.of("Call me Ishmael.", "Some years ago—never mind how long precisely")) {
        Encoding e = sp.encode(text);
        String[] hfTokens = hf.encode(text).tokens();
        assertArrayEquals(hfTokens, e.tokens(), text);
        // SentencePiece's default specials get XLM-R's ids, which the HF unigram fixture uses
        assertArrayEquals(hf.encode(text).ids(), e.ids(), text);
        assertEquals(0, e.ids()[0]);
        assertEquals(2, e.ids()[e.length() - 1]);
        assertEquals(text, sp.decode(e.ids(), true));
        for (int i = 1; i < e.length() - 1; i++) {
          int[] span = e.offsets()[i];
          String surface = e.tokens()[i].replace('▁', ' ').strip();
          assertEquals(surface, text.substring(span[0], span[1]).strip(), "offsets of " + e.tokens()[i]);
        }
      }
      assertEquals("<unk>", sp.idToToken(3));
      assertEquals("<pad>", sp.idToToken(1));
      assertEquals("<mask>", sp.idToToken(sp.vocabSize() - 1));
      assertEquals(hf.vocabSize(), sp.vocabSize()); // <pad> and <mask> added as XLM-R does
      assertEquals(-1, sp.tokenToId("no such piece"));
    }
  }

  @Test
  void offsetsCountJavaCharsPastEmoji() {
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(fixtures.resolve("hf-bpe"))) {
      String text = "a🐳 ship";
      Encoding e = tokenizer.encode(text);
      String[] tokens = e.tokens();
      int ship = List.of(tokens).indexOf("Ġship");
      assertTrue(ship > 0, () -> e.toString());
      assertEquals("ship", text.substring(e.offsets()[ship][0], e.offsets()[ship][1]));
    }
  }

  @Test
  void batchEqualsOneByOneAndLongTextIsNotTruncated() throws IOException {
    String chapter = Files.readString(fixtures.resolve("moby-dick-chapter_1.txt"));
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(fixtures.resolve("hf-bpe"))) {
      List<String> texts = List.of("Call me Ishmael.", "", chapter);
      List<Encoding> batch = tokenizer.encodeBatch(texts);
      List<Encoding> single = new ArrayList<>();
      for (String t : texts) {
        single.add(tokenizer.encode(t));
      }
      assertEquals(single, batch);
      assertArrayEquals(new String[] {"<s>", "</s>"}, batch.get(1).tokens());
      assertTrue(batch.get(2).length() > 2000, "the chapter is about 2,600 tokens");
      assertEquals(chapter.replace("🐳", ""), tokenizer.decode(batch.get(2).ids(), true));
    }
  }

  @Test
  void clearErrors(@TempDir Path dir) throws IOException {
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> RobertaTokenizer.load(dir.resolve("nope")));
    assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class, () -> RobertaTokenizer.load(dir));
    assertTrue(empty.getMessage().contains("no tokenizer.json"), empty.getMessage());
    Path junk = Files.write(dir.resolve("junk.model"), new byte[] {(byte) 0xff, 0x01, 0x02});
    IllegalArgumentException notSp =
        assertThrows(IllegalArgumentException.class, () -> RobertaTokenizer.load(junk));
    assertTrue(notSp.getMessage().contains("SentencePiece"), notSp.getMessage());
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(fixtures.resolve("hf-bpe"))) {
      assertThrows(IllegalArgumentException.class, () -> tokenizer.idToToken(tokenizer.vocabSize()));
      assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-1}, true));
      tokenizer.close();
      assertThrows(IllegalStateException.class, () -> tokenizer.encode("x"));
    }
  }

  private static void assertMatchesReference(RobertaTokenizer tokenizer, JsonNode samples) {
    for (JsonNode sample : samples) {
      String text = sample.get("text").asText();
      Encoding e = tokenizer.encode(text);
      assertArrayEquals(ints(sample.get("ids")), e.ids(), text);
      assertArrayEquals(strings(sample.get("tokens")), e.tokens(), text);
      if (text.codePointCount(0, text.length()) == text.length()) {
        // The reference counts offsets in code points; they equal Java chars here.
        for (int i = 0; i < e.length(); i++) {
          assertArrayEquals(ints(sample.get("offsets").get(i)), e.offsets()[i], text + " token " + i);
        }
      }
      assertEquals(sample.get("decoded").asText(), tokenizer.decode(e.ids(), true), text);
    }
  }

  private static Path writeSentencePieceModelFromUnigramFixture(Path dir) throws IOException {
    JsonNode vocab =
        new ObjectMapper().readTree(fixtures.resolve("hf-unigram/tokenizer.json").toFile())
            .get("model").get("vocab");
    List<SentencePieceModelWriter.Piece> pieces = new ArrayList<>();
    pieces.add(new SentencePieceModelWriter.Piece("<unk>", 0f, SentencePieceModel.UNKNOWN));
    pieces.add(new SentencePieceModelWriter.Piece("<s>", 0f, SentencePieceModel.CONTROL));
    pieces.add(new SentencePieceModelWriter.Piece("</s>", 0f, SentencePieceModel.CONTROL));
    Set<String> specials = Set.of("<s>", "<pad>", "</s>", "<unk>", "<mask>");
    for (JsonNode p : vocab) {
      if (!specials.contains(p.get(0).asText())) {
        pieces.add(new SentencePieceModelWriter.Piece(
            p.get(0).asText(), (float) p.get(1).asDouble(), SentencePieceModel.NORMAL));
      }
    }
    Path model = dir.resolve("unigram.model");
    Files.write(model, SentencePieceModelWriter.unigram(pieces));
    return model;
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  private static String[] strings(JsonNode array) {
    String[] out = new String[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asText();
    }
    return out;
  }

  // ---- hostile tokenizer files (issue 16) ------------------------------------------------------

  @Test
  void sentencePieceModelWithANegativeLengthFailsAtOnce(@TempDir Path dir) throws IOException {
    // field 1 (pieces), wire 2, length varint 0xffffffff 0x0f = -1 as an int: looped forever
    Path file = Files.write(dir.resolve("negative.model"),
        new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f});
    TokenizerFileException e =
        assertThrows(TokenizerFileException.class, () -> RobertaTokenizer.load(file));
    assertTrue(e.getMessage().contains("negative.model") && e.getMessage().contains("length")
        && e.getMessage().contains("piece 0"), e.getMessage());
  }

  @Test
  void tokenizerJsonIdsMustBeIntegersInRange(@TempDir Path dir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String bad : List.of("2147483000", "-5", "1.5", "\"7\"")) {
      com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
          json.readTree(fixtures.resolve("hf-bpe/tokenizer.json").toFile());
      ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("model").get("vocab"))
          .set("!", json.readTree(bad));
      Path file = dir.resolve("bad-id-" + bad.replaceAll("\\W", "_") + ".json");
      json.writeValue(file.toFile(), root);
      TokenizerFileException e =
          assertThrows(TokenizerFileException.class, () -> RobertaTokenizer.load(file), bad);
      assertEquals("model.vocab[\"!\"]", e.item(), e.getMessage());
      assertTrue(e.getMessage().contains(file.getFileName().toString())
          && e.getMessage().contains(bad), e.getMessage());
    }
    com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode)
        json.readTree(fixtures.resolve("hf-bpe/tokenizer.json").toFile());
    ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("added_tokens").get(1)).put("id", -1);
    Path added = dir.resolve("added.json");
    json.writeValue(added.toFile(), root);
    TokenizerFileException e =
        assertThrows(TokenizerFileException.class, () -> RobertaTokenizer.load(added));
    assertEquals("added_tokens[1] (\"<pad>\")", e.item(), e.getMessage());
  }

  /**
   * A few thousand mutations of a valid SentencePiece model through the Java protobuf reader
   * (the part this project wrote): each parses or fails with {@link TokenizerFileException}.
   */
  @Test
  void fuzzedSentencePieceModelsParseOrFailWithTheReadersOwnException(@TempDir Path dir)
      throws IOException {
    byte[] original = Files.readAllBytes(writeSentencePieceModelFromUnigramFixture(dir));
    int pieces = SentencePieceModel.parse(original, dir).pieces().length;
    java.util.SplittableRandom random = new java.util.SplittableRandom(16);
    int parsed = 0;
    int refused = 0;
    for (int i = 0; i < 5000; i++) {
      byte[] mutated = io.roberta.engine.io.Fuzz.mutate(original, original.length, random);
      try {
        SentencePieceModel model = SentencePieceModel.parse(mutated, dir.resolve("fuzz.model"));
        assertEquals(model.pieces().length, model.types().length);
        assertTrue(model.pieces().length <= pieces + 64, "mutation " + i);
        parsed++;
      } catch (TokenizerFileException e) {
        assertTrue(e.getMessage().contains("fuzz.model"), e.getMessage());
        refused++;
      }
    }
    assertTrue(parsed > 100 && refused > 100, "parsed " + parsed + ", refused " + refused);
  }
}
