package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A folder of hostile inputs, generated here (nothing large is committed), through
 * {@code roberta corpus}: exit 0, and every input counted once as kept, duplicate or dropped by
 * reason, per source and in total. Then the same folder with the other reading policies.
 */
class HostileCorpusTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final String PROSE = "Call me Ishmael. Some years ago, never mind how long precisely, having"
      + " little money in my purse, and nothing particular to interest me on shore, I thought I would"
      + " sail about a little and see the watery part of the world. ";

  /** Writes the hostile inputs: 15 text files (one of them a single line of that many bytes), one JSON Lines file. */
  static void writeHostileFolder(Path text, Path jsonl, long hugeLineBytes) throws IOException {
    Files.createDirectories(text);
    Files.createDirectories(jsonl);
    for (int i = 0; i < 4; i++) {
      Files.writeString(text.resolve("good" + i + ".txt"), PROSE + "Chapter " + i + ". " + PROSE);
    }
    Files.writeString(text.resolve("duplicate.txt"), PROSE + "Chapter 0. " + PROSE); // = good0
    byte[] bad = (PROSE + "broken: ").getBytes(StandardCharsets.UTF_8);
    bad = Arrays.copyOf(bad, bad.length + 2);
    bad[bad.length - 2] = (byte) 0xC3;
    bad[bad.length - 1] = (byte) 0x28;
    Files.write(text.resolve("invalid-utf8.txt"), bad);
    byte[] binary = new byte[4096];
    new java.util.Random(16).nextBytes(binary);
    binary[0] = 0;
    Files.write(text.resolve("binary.txt"), binary);
    Files.write(text.resolve("empty.txt"), new byte[0]);
    Files.writeString(text.resolve("nul-bytes.txt"), PROSE + "\0with\0nul " + PROSE);
    Files.write(text.resolve("bom-crlf.txt"), ("\uFEFF" + PROSE.replace(". ", ".\r\n")).getBytes(StandardCharsets.UTF_8));
    Files.writeString(text.resolve("huge-word.txt"), "x".repeat(200_000) + " " + PROSE);
    Files.writeString(text.resolve("mixed-scripts.txt"),
        "English, Ελληνικά, русский, العربية, 日本語, 한국어, हिन्दी, 😀 emoji. " + PROSE);
    try (OutputStream out = Files.newOutputStream(text.resolve("huge-line.txt"))) {
      byte[] chunk = PROSE.getBytes(StandardCharsets.US_ASCII);
      for (long written = 0; written < hugeLineBytes; written += chunk.length) {
        out.write(chunk);
      }
    }
    try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(text.resolve("good.txt.gz")))) {
      gz.write((PROSE + "Compressed and fine.").getBytes(StandardCharsets.UTF_8));
    }
    byte[] whole;
    try (java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        OutputStream gz = new GZIPOutputStream(bytes)) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < 200; i++) {
        s.append(PROSE).append(i).append(". ");
      }
      gz.write(s.toString().getBytes(StandardCharsets.UTF_8));
      gz.close();
      whole = bytes.toByteArray();
    }
    Files.write(text.resolve("damaged.txt.gz"), Arrays.copyOf(whole, whole.length / 2)); // cut in half
    Files.writeString(jsonl.resolve("records.jsonl"), String.join("\n",
        "{\"text\": \"" + PROSE + "one\"}",
        "{\"text\": \"" + PROSE + "two\"",          // malformed JSON
        "[1, 2, 3]",                                  // JSON, but no text field
        "{\"body\": \"" + PROSE + "\"}",            // no text field
        "{\"text\": 42}",                             // not text
        "",
        "{\"text\": \"" + PROSE + "one\"}") + "\n");  // duplicate of the first
  }

  private static Recipe recipe(String name, Path text, Path jsonl, boolean otherPolicies) {
    Sources.Source files = Sources.textFiles(text + "/*").name("files");
    Sources.Source records = Sources.jsonLines(jsonl + "/*.jsonl", "text").name("records");
    if (otherPolicies) {
      files.replaceInvalidUtf8().splitOversized();
      records.replaceInvalidUtf8();
    }
    return RecipeBuilder.named(name)
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(300).minFrequency(2))
        .corpus(Corpus.of(files, records).dedupe().holdout(0.1).pack(Packing.fullSentences(32)))
        .build();
  }

  private static String lastOut;

  private static JsonNode runCorpus(Path dir, Recipe recipe) throws IOException {
    Path json = dir.resolve(recipe.name() + ".json");
    RecipeJson.write(recipe, json);
    Path work = dir.resolve("work");
    CommandLineTest.Result r = CommandLineTest.run("corpus", json.toString(), "--work-dir", work.toString());
    assertEquals(0, r.status(), r.err());
    lastOut = r.out();
    try (Stream<Path> files = Files.walk(work.resolve(recipe.name()).resolve("corpus"))) {
      Path manifest = files.filter(p -> p.getFileName().toString().equals("manifest.json")).findFirst().orElseThrow();
      JsonNode m = JSON.readTree(manifest.toFile());
      assertReconciles(m);
      return m;
    }
  }

  /** read = kept + duplicates + dropped (by reason), per source and in total. */
  static void assertReconciles(JsonNode m) {
    for (Iterator<Map.Entry<String, JsonNode>> it = m.path("sources").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode s = e.getValue();
      assertEquals(s.path("read").asLong(), s.path("kept").asLong() + s.path("duplicates").asLong() + sum(s.path("dropped")),
          e.getKey() + ": " + s);
    }
    JsonNode d = m.path("documents");
    assertEquals(d.path("read").asLong(), d.path("kept").asLong() + d.path("duplicates").asLong() + d.path("droppedTotal").asLong(), d.toString());
  }

  private static long sum(JsonNode counts) {
    long n = 0;
    for (JsonNode c : counts) {
      n += c.asLong();
    }
    return n;
  }

  @Test
  void everyHostileInputIsCountedOnceAndTheJobSucceeds(@TempDir Path dir) throws Exception {
    writeHostileFolder(dir.resolve("text"), dir.resolve("jsonl"), 100L << 20); // a 100 MB single line
    JsonNode m = runCorpus(dir, recipe("hostile", dir.resolve("text"), dir.resolve("jsonl"), false));
    JsonNode files = m.path("sources").path("files");
    // 15 files, one document each (FILE unit)
    assertEquals(15, files.path("read").asLong(), files.toString());
    assertEquals(1, files.path("duplicates").asLong(), files.toString());
    JsonNode dropped = files.path("dropped");
    assertEquals(1, dropped.path("invalid_utf8").asLong(), dropped.toString());
    assertEquals(1, dropped.path("binary").asLong(), dropped.toString());
    assertEquals(1, dropped.path("empty").asLong(), dropped.toString());
    assertEquals(1, dropped.path("oversized").asLong(), dropped.toString());
    assertEquals(1, dropped.path("unreadable").asLong(), dropped.toString());
    // 4 good ones, NUL bytes (removed), BOM and CRLF, the huge word, mixed scripts, the good .gz
    assertEquals(9, files.path("kept").asLong(), files.toString());
    assertEquals(0, files.path("repaired").path("utf8_replaced").asLong());
    JsonNode records = m.path("sources").path("records");
    assertEquals(6, records.path("read").asLong(), records.toString());
    assertEquals(1, records.path("kept").asLong(), records.toString());
    assertEquals(1, records.path("duplicates").asLong(), records.toString());
    assertEquals(1, records.path("dropped").path("invalid_json").asLong(), records.toString());
    assertEquals(3, records.path("dropped").path("missing_field").asLong(), records.toString());
  }

  @Test
  void replaceAndSplitPoliciesKeepWhatDropWouldDropAndCountIt(@TempDir Path dir) throws Exception {
    // 17 MB: just over the 16 MiB document limit, so the line is cut into two pieces
    writeHostileFolder(dir.resolve("text"), dir.resolve("jsonl"), 17L << 20);
    JsonNode m = runCorpus(dir, recipe("policies", dir.resolve("text"), dir.resolve("jsonl"), true));
    JsonNode files = m.path("sources").path("files");
    JsonNode dropped = files.path("dropped");
    assertEquals(0, dropped.path("invalid_utf8").asLong(), dropped.toString());
    assertEquals(0, dropped.path("oversized").asLong(), dropped.toString());
    assertEquals(1, files.path("repaired").path("utf8_replaced").asLong(), files.toString());
    long pieces = files.path("repaired").path("split_piece").asLong();
    assertTrue(pieces >= 2, files.toString());
    // the 14 other files, plus the pieces of the long line; the invalid one kept with U+FFFD
    assertEquals(14 + pieces, files.path("read").asLong(), files.toString());
    assertEquals(10 + pieces, files.path("kept").asLong(), files.toString());
    assertEquals(m.path("documents").path("repaired").path("split_piece").asLong(), pieces);
    assertTrue(lastOut.contains("repaired") && lastOut.contains("utf8_replaced 1"), lastOut);
  }
}
