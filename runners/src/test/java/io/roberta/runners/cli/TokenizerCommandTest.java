package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roberta tokenizer train|encode} run in-process. */
class TokenizerCommandTest {

  @Test
  void trainThenEncode(@TempDir Path dir) throws Exception {
    Path corpus = Path.of(getClass().getResource("/tokenizer-corpus").toURI());
    Path out = dir.resolve("tok");
    CommandLineTest.Result train = CommandLineTest.run(
        "tokenizer", "train", "--input", corpus + "/*.txt", "--vocab-size", "400", "--out", out.toString());
    assertEquals(0, train.status(), train.err());
    assertTrue(train.out().contains("vocabulary 400 (139 merges)"), train.out());
    assertTrue(Files.exists(out.resolve("tokenizer.json")));
    assertTrue(Files.exists(out.resolve("vocab.json")));
    assertTrue(Files.exists(out.resolve("merges.txt")));

    CommandLineTest.Result encode =
        CommandLineTest.run("tokenizer", "encode", "--tokenizer", out.toString(), "Call me Ishmael.");
    assertEquals(0, encode.status(), encode.err());
    assertTrue(encode.out().startsWith("ids:    0 "), encode.out());
    assertTrue(encode.out().contains("tokens: \"<s>\" "), encode.out());
    assertTrue(encode.out().contains("\"</s>\""), encode.out());
  }

  @Test
  void globMatchingNothingIsNamed(@TempDir Path dir) {
    String glob = dir + "/no-such-*.txt";
    CommandLineTest.Result r = CommandLineTest.run(
        "tokenizer", "train", "--input", glob, "--vocab-size", "400", "--out", dir.resolve("o").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("--input " + glob + " matches no files"), r.err());
  }

  @Test
  void emptyCorpusAndBadVocabSizeAreOneLineErrors(@TempDir Path dir) throws Exception {
    Files.createFile(dir.resolve("empty.txt"));
    CommandLineTest.Result empty = CommandLineTest.run(
        "tokenizer", "train", "--input", dir + "/*.txt", "--vocab-size", "400", "--out", dir.resolve("o").toString());
    assertEquals(1, empty.status());
    assertTrue(empty.err().contains("error: The corpus is empty"), empty.err());

    CommandLineTest.Result small = CommandLineTest.run(
        "tokenizer", "train", "--input", dir + "/*.txt", "--vocab-size", "100", "--out", dir.resolve("o").toString());
    assertEquals(1, small.status());
    assertTrue(small.err().contains("--vocab-size 100"), small.err());
    assertTrue(small.err().contains("at least 261"), small.err());

    CommandLineTest.Result missing = CommandLineTest.run(
        "tokenizer", "encode", "--tokenizer", dir.resolve("nope").toString(), "hi");
    assertEquals(1, missing.status());
    assertTrue(missing.err().contains("No tokenizer at"), missing.err());
  }
}
