package io.roberta.pipelines.corpus;

import io.roberta.spec.CorpusSpec;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.NormalizationSpec;
import io.roberta.spec.PackingSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.SpecialTokens;
import io.roberta.spec.TokenizerSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * A small corpus with every kind of trouble, and what the stage must count for it.
 *
 * <p>books (TEXT per paragraph, weight 1): 12 documents read: 6 kept, 1 duplicate, dropped 1
 * empty, 1 binary, 1 invalid_utf8, 1 too_short, 1 blank. news (JSONL, weight 2): 6 read: 2 kept,
 * 1 duplicate (of a books paragraph), dropped 1 missing_field, 1 invalid_json, 1 too_long.
 */
final class CorpusFixture {
  static final String P1 = "Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse.";
  static final String P2 = "It is a way I have of driving off the spleen and regulating the circulation.";
  static final String P3 = "Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul.";
  static final String P4 = "There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral reefs.";
  static final String P5 = "Circumambulate the city of a dreamy Sabbath afternoon.";
  static final String P6 = "Go from Corlears Hook to Coenties Slip, and from thence, by Whitehall, northward.";
  static final String J1 = "Fellow-Citizens of the Senate and House of Representatives: I feel much satisfaction.";
  static final String J2 = "The abundant fruits of another year have blessed our country with plenty.";

  private CorpusFixture() {}

  static Path tokenizer() {
    try {
      return Path.of(CorpusFixture.class.getResource("/corpus/tokenizer.json").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the files under {@code root}/books and {@code root}/news. */
  static void write(Path root) {
    try {
      Path books = Files.createDirectories(root.resolve("books"));
      Files.writeString(books.resolve("a.txt"), P1 + "\n\n" + P2 + "\n" + "\n  \n" + P3 + "\n");
      gzip(books.resolve("b.txt.gz"), P1 + "\r\n\r\n" + P4 + "\r\n");
      Files.write(books.resolve("empty.txt"), new byte[0]);
      byte[] random = new byte[20_000];
      new Random(7).nextBytes(random);
      Files.write(books.resolve("image.bin"), random);
      Files.writeString(books.resolve("nul.txt"), P5.replace("city", "ci\0ty"));
      byte[] bad = ("\n" + P6 + "\n\nbroken \u00e9 bytes: ").getBytes(StandardCharsets.UTF_8);
      byte[] withBad = java.util.Arrays.copyOf(bad, bad.length + 2);
      withBad[bad.length] = (byte) 0xC3;
      withBad[bad.length + 1] = (byte) 0x28;
      Files.write(books.resolve("bad.txt"), withBad);
      Files.writeString(books.resolve("short.txt"), "hi\n\n\u00a0 \u3000\u0007\n");

      Path news = Files.createDirectories(root.resolve("news"));
      Files.writeString(
          news.resolve("n1.jsonl"),
          json(J1) + "\n" + json(P2) + "\n{\"title\": \"no text\"}\n{\"text\": \"unterminated\n");
      gzip(news.resolve("n2.jsonl.gz"), json(J2) + "\n" + json("word ".repeat(600)) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static CorpusSpec corpus(Path root, PackingSpec packing) {
    return new CorpusSpec(
        List.of(
            SourceSpec.textFiles("books", root + "/books/*", SourceSpec.DocumentUnit.PARAGRAPH, 1),
            SourceSpec.jsonLines("news", root + "/news/*.jsonl*", "text", 2)),
        NormalizationSpec.standard(),
        20,
        2000,
        true,
        0.25,
        packing);
  }

  static Recipe recipe(String name, CorpusSpec corpus) {
    ModelSpec model =
        new ModelSpec(5256, 64, 2, 4, 128, 130, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(5256), LayerSharing.NONE);
    return new Recipe(
        Recipe.SCHEMA_VERSION, name, model, TokenizerSpec.pretrained(tokenizer().toString()), corpus, null, List.of(), null);
  }

  private static String json(String text) {
    return "{\"text\": \"" + text.replace("\"", "\\\"") + "\", \"year\": 1790}";
  }

  private static void gzip(Path file, String text) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
