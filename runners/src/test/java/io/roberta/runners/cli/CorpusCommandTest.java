package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roberta corpus} as a user types it: tokenizer stage first, then the corpus, then a skip. */
class CorpusCommandTest {

  static final String[] SENTENCES = {
    "Call me Ishmael. Some years ago, never mind how long precisely, having little money in my purse,",
    "and nothing particular to interest me on shore, I thought I would sail about a little and see",
    "the watery part of the world. It is a way I have of driving off the spleen and regulating the",
    "circulation. Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly",
  };

  @Test
  void trainsTheTokenizerAssemblesTheCorpusAndSkipsOnRerun(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int f = 0; f < 6; f++) {
      StringBuilder s = new StringBuilder();
      for (int p = 0; p < 20; p++) {
        s.append(SENTENCES[(f + p) % SENTENCES.length]).append(" Paragraph ").append(f * 100 + p).append(".\n\n");
      }
      Files.writeString(data.resolve("part" + f + ".txt"), s);
    }
    Files.write(data.resolve("empty.txt"), new byte[0]);
    Recipe recipe =
        RecipeBuilder.named("cli-corpus")
            .model(Roberta.tiny())
            .tokenizer(Tokenizer.byteLevelBpe().vocabSize(400).minFrequency(2))
            .corpus(Corpus.of(Sources.textFiles(data + "/*.txt").perParagraph().name("book")).holdout(0.1).pack(Packing.fullSentences(32)))
            .build();
    Path json = dir.resolve("recipe.json");
    RecipeJson.write(recipe, json);
    String work = dir.resolve("work").toString();

    CommandLineTest.Result first = CommandLineTest.run("corpus", json.toString(), "--work-dir", work);
    assertEquals(0, first.status(), first.err());
    assertTrue(first.err().contains("tokenizer: training byte-level BPE"), first.err());
    assertTrue(first.err().contains("corpus: "), "progress line: " + first.err());
    // 120 paragraphs, some repeated word for word only up to the paragraph number, and one empty file.
    assertTrue(first.out().matches("(?s).*book +121 +120 +1 +0 +empty 1.*"), first.out());
    assertTrue(first.out().contains("train"), first.out());

    CommandLineTest.Result second = CommandLineTest.run("corpus", json.toString(), "--work-dir", work);
    assertEquals(0, second.status(), second.err());
    assertTrue(second.out().contains("already built"), second.out());
    assertTrue(second.err().contains("stage already ran"), second.err());
  }

  @Test
  void aMissingInputIsOneClearLine(@TempDir Path dir) throws Exception {
    Recipe recipe =
        RecipeBuilder.named("cli-missing")
            .model(Roberta.tiny())
            .tokenizer(Tokenizer.byteLevelBpe().vocabSize(400))
            .corpus(Corpus.of(Sources.textFiles(dir + "/nowhere/*.txt")).pack(Packing.fullSentences(32)))
            .build();
    Path json = dir.resolve("recipe.json");
    RecipeJson.write(recipe, json);
    CommandLineTest.Result r = CommandLineTest.run("corpus", json.toString(), "--work-dir", dir.resolve("work").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().startsWith("error: corpus.sources["), r.err());
    assertTrue(r.err().contains(dir + "/nowhere/*.txt"), r.err());
  }
}
