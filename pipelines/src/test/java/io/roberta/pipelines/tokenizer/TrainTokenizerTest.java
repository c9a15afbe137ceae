package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.tokenizer.Encoding;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stage on the DirectRunner: wiring, files DJL can load, exact round trips, bad input. */
class TrainTokenizerTest {

  static Path corpus;

  @BeforeAll
  static void findCorpus() throws Exception {
    corpus = Path.of(TrainTokenizerTest.class.getResource("/corpus/README.md").toURI()).getParent();
  }

  /** Runs ReadTextDocuments + TrainTokenizer and returns the pipeline result. */
  static PipelineResult train(PipelineOptions options, String glob, int vocabSize, long minFrequency, Path out) {
    // Small pieces, so that documents are cut and the counts must still come out the same.
    return train(options, glob, vocabSize, minFrequency, out, 4096);
  }

  static PipelineResult train(
      PipelineOptions options, String glob, int vocabSize, long minFrequency, Path out, int maxChars) {
    Pipeline p = Pipeline.create(options);
    p.apply("ReadCorpus", ReadTextDocuments.from(glob).withMaxChars(maxChars))
        .apply("TrainTokenizer", TrainTokenizer.byteLevelBpe(vocabSize, minFrequency).writingTo(out.toString()));
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return result;
  }

  static PipelineOptions direct() {
    return PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").create();
  }

  static String glob() {
    return corpus + "/*/*.txt";
  }

  @Test
  void writesWhatThePlainTrainerWritesAndDjlRoundTripsAnyText(@TempDir Path out) throws IOException {
    train(direct(), glob(), 2000, 2, out);

    // Same bytes as the plain classes on whole documents (so cutting documents changed nothing).
    WordCounts counts = new WordCounts();
    try (Stream<Path> files = Files.list(corpus)) {
      for (Path dir : files.filter(Files::isDirectory).sorted().toList()) {
        try (Stream<Path> docs = Files.list(dir)) {
          for (Path doc : docs.filter(f -> f.toString().endsWith(".txt")).toList()) {
            counts.addText(Files.readString(doc));
          }
        }
      }
    }
    BpeModel model = BpeTrainer.builder().vocabSize(2000).minFrequency(2).build().train(counts);
    assertArrayEquals(TokenizerFiles.tokenizerJson(model), Files.readAllBytes(out.resolve("tokenizer.json")));
    assertArrayEquals(TokenizerFiles.vocabJson(model), Files.readAllBytes(out.resolve("vocab.json")));
    assertArrayEquals(TokenizerFiles.mergesTxt(model), Files.readAllBytes(out.resolve("merges.txt")));

    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(out)) {
      assertEquals(2000, tokenizer.vocabSize());
      assertEquals(0, tokenizer.tokenToId("<s>"));
      assertEquals(1, tokenizer.tokenToId("<pad>"));
      assertEquals(2, tokenizer.tokenToId("</s>"));
      assertEquals(3, tokenizer.tokenToId("<unk>"));
      assertEquals(1999, tokenizer.tokenToId("<mask>"));

      Encoding e = tokenizer.encode("Call me Ishmael.");
      assertEquals("<s>", e.tokens()[0]);
      assertEquals("</s>", e.tokens()[e.length() - 1]);
      assertTrue(e.length() <= 8, e::toString);

      for (String text : roundTripSamples()) {
        int[] ids = tokenizer.encode(text).ids();
        assertEquals(text, tokenizer.decode(ids, true), () -> "round trip of " + escape(text));
      }
      // Special tokens spelled out in the text are special tokens, as in roberta-base.
      Encoding masked = tokenizer.encode("Hello <mask>.");
      assertEquals(1999, masked.ids()[masked.length() - 3], masked::toString);

      String chapter = Files.readString(corpus.resolve("moby-dick/chapter_1.txt"));
      assertEquals(chapter, tokenizer.decode(tokenizer.encode(chapter).ids(), true));
    }
  }

  static List<String> roundTripSamples() {
    List<String> samples = new ArrayList<>(List.of(
        "", " ", "  leading and trailing  ", "tabs\tnew\nlines\r\n",
        "naïve café 東京 Ελληνικά русский e\u0301 ﬁne",
        "whale 🐳🐋 ship 👩‍👩‍👧 done 🇺🇸",
        "nbsp\u00a0x ideographic\u3000y nel\u0085z line\u2028sep",
        "I'm you're they'LL it's 'sa"));
    StringBuilder controls = new StringBuilder();
    for (int c = 0; c < 0x20; c++) {
      controls.append((char) c).append('x');
    }
    controls.append('\u007f').append('\u0080').append('\u009f');
    samples.add(controls.toString());
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      StringBuilder sb = new StringBuilder();
      for (int j = 0, n = random.nextInt(30); j < n; j++) {
        int cp;
        do {
          cp = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(0x80);
            case 1 -> random.nextInt(0x800);
            case 2 -> random.nextInt(0x10000);
            default -> 0x10000 + random.nextInt(0x100000);
          };
        } while (cp >= 0xD800 && cp <= 0xDFFF); // lone surrogates are not text
        sb.appendCodePoint(cp);
      }
      samples.add(sb.toString());
    }
    return samples;
  }

  /**
   * Texts arriving one per bundle (as FileIO's matches do on the DirectRunner), with the runner's
   * immutability checks on: the per-bundle tables add up to the same files as one table.
   */
  @Test
  void manySmallBundlesGiveTheSameFilesWithoutMutatingInputs(@TempDir Path out) throws IOException {
    List<String> texts = new java.util.ArrayList<>();
    WordCounts counts = new WordCounts();
    try (Stream<Path> docs = Files.walk(corpus)) {
      for (Path doc : docs.filter(f -> f.toString().endsWith(".txt")).sorted().toList()) {
        String text = Files.readString(doc);
        for (String para : text.split("\n\n")) {
          texts.add(para);
          counts.addText(para);
        }
      }
    }
    Pipeline p = Pipeline.create(direct());
    org.apache.beam.sdk.values.PCollectionList<String> parts = org.apache.beam.sdk.values.PCollectionList.empty(p);
    for (int i = 0; i < texts.size(); i++) {
      parts = parts.and(p.apply("Text" + i, org.apache.beam.sdk.transforms.Create.of(texts.get(i))));
    }
    parts.apply(org.apache.beam.sdk.transforms.Flatten.pCollections())
        .apply("TrainTokenizer", TrainTokenizer.byteLevelBpe(600, 2).writingTo(out.toString()));
    p.run().waitUntilFinish();
    BpeModel model = BpeTrainer.builder().vocabSize(600).minFrequency(2).build().train(counts);
    assertTrue(texts.size() > 20, "enough bundles: " + texts.size());
    assertArrayEquals(TokenizerFiles.tokenizerJson(model), Files.readAllBytes(out.resolve("tokenizer.json")));
  }

  @Test
  void countsAndReplacesInvalidUtf8(@TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    byte[] good = "the whale and the ship ".repeat(50).getBytes(StandardCharsets.UTF_8);
    byte[] bad = new byte[] {'o', 'k', (byte) 0xff, ' ', (byte) 0xc3, ' ', (byte) 0xe2, (byte) 0x82, ' ', (byte) 0xed, (byte) 0xa0, (byte) 0x80};
    Files.write(in.resolve("good.txt"), good);
    Files.write(in.resolve("bad.txt"), bad);
    PipelineResult result = train(direct(), in + "/*.txt", 300, 1, dir.resolve("out"));
    // As many as Java's own decoder replaces: 0xff, 0xc3 (cut short), e2 82 (cut short), and the
    // encoded surrogate ed a0 80.
    long replaced = new String(bad, StandardCharsets.UTF_8).chars().filter(c -> c == 0xFFFD).count();
    assertTrue(replaced >= 4, "replaced " + replaced);
    assertEquals(replaced, counter(result, ReadTextDocuments.INVALID_UTF8));
    assertEquals(2, counter(result, ReadTextDocuments.FILES));
    String vocab = Files.readString(dir.resolve("out/vocab.json"));
    assertTrue(vocab.contains("\"ok\""), "the valid text around the bad bytes is still counted");
  }

  @Test
  void emptyCorpusFailsClearly(@TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.write(in.resolve("empty.txt"), new byte[0]);
    Exception e = assertThrows(Exception.class, () -> train(direct(), in + "/*.txt", 300, 1, dir.resolve("out")));
    assertTrue(rootMessage(e).contains("corpus is empty"), rootMessage(e));
  }

  @Test
  void globMatchingNothingFailsClearly(@TempDir Path dir) {
    Exception e = assertThrows(Exception.class, () -> train(direct(), dir + "/nothing-*.txt", 300, 1, dir.resolve("out")));
    assertTrue(rootMessage(e).contains("nothing-*.txt"), rootMessage(e));
  }

  @Test
  void corpusSmallerThanTheVocabularyGivesASmallerVocabularyAndSaysSo(@TempDir Path dir) throws IOException {
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.writeString(in.resolve("tiny.txt"), "the whale the whale the ship");
    Pipeline p = Pipeline.create(direct());
    PCollection<TrainedTokenizer> trained = p.apply(ReadTextDocuments.from(in + "/*.txt"))
        .apply(TrainTokenizer.byteLevelBpe(8000, 1).writingTo(dir.resolve("out").toString()));
    PAssert.thatSingleton(trained).satisfies(t -> {
      assertEquals(8000, t.requestedVocabSize());
      assertTrue(t.vocabSize() < 300, "vocabulary " + t.vocabSize());
      assertTrue(t.warning().contains("smaller than the 8000 asked for"), t.warning());
      return null;
    });
    p.run().waitUntilFinish();
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(dir.resolve("out"))) {
      assertEquals("<mask>", tokenizer.idToToken(tokenizer.vocabSize() - 1));
      assertEquals("the whale", tokenizer.decode(tokenizer.encode("the whale").ids(), true));
    }
  }

  @Test
  void takesItsSettingsFromATokenizerSpec() {
    TrainTokenizer fromSpec = TrainTokenizer.from(io.roberta.spec.TokenizerSpec.byteLevelBpe(8000, 2));
    assertTrue(fromSpec.writingTo("out") != null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrainTokenizer.from(io.roberta.spec.TokenizerSpec.pretrained("roberta-base/tokenizer.json")));
    assertTrue(e.getMessage().contains("PRETRAINED"), e.getMessage());
    IllegalArgumentException small =
        assertThrows(IllegalArgumentException.class, () -> TrainTokenizer.byteLevelBpe(100, 2));
    assertTrue(small.getMessage().contains("vocabSize must be at least 261") && small.getMessage().contains("got 100"), small.getMessage());
  }

  static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(ReadTextDocuments.class, name)).build())
        .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  static String rootMessage(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      sb.append(t.getMessage()).append(" | ");
    }
    return sb.toString();
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().forEach(cp -> sb.append(cp < 0x20 || cp > 0x7e ? String.format("\\u{%x}", cp) : Character.toString(cp)));
    return sb.toString();
  }
}
