package io.roberta.pipelines.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

  private static WordCounts counts(Object... wordsAndCounts) {
    WordCounts c = new WordCounts();
    for (int i = 0; i < wordsAndCounts.length; i += 2) {
      c.add((String) wordsAndCounts[i], ((Number) wordsAndCounts[i + 1]).longValue());
    }
    return c;
  }

  private static List<String> merges(BpeModel model) {
    return model.merges().stream().map(m -> m[0] + " " + m[1]).toList();
  }

  @Test
  void learnsTheMostFrequentPairFirstAndBreaksTiesBySmallerIds() {
    // The Hugging Face course's example. After "p un" (12), "p ug" and "hug s" tie at 5; "p" has
    // the smaller id (a byte) than "hug" (a merge), so "p ug" comes first.
    WordCounts c = counts("hug", 10, "pug", 5, "pun", 12, "bun", 4, "hugs", 5);
    BpeModel model = BpeTrainer.builder().vocabSize(1000).minFrequency(0).build().train(c);
    assertEquals(List.of("u g", "u n", "h ug", "p un", "p ug", "hug s", "b un"), merges(model));
    assertTrue(model.isSmallerThanRequested());
    assertTrue(model.shortfallMessage().contains("only 268 tokens"), model.shortfallMessage());
  }

  @Test
  void vocabularyIsRobertasLayout() {
    WordCounts c = counts("hug", 10, "pug", 5, "pun", 12, "bun", 4, "hugs", 5);
    BpeModel model = BpeTrainer.builder().vocabSize(264).minFrequency(0).build().train(c);
    List<String> vocab = model.vocab();
    assertEquals(List.of("<s>", "<pad>", "</s>", "<unk>"), vocab.subList(0, 4));
    assertEquals("!", vocab.get(4)); // the smallest byte character
    assertEquals("ug", vocab.get(260));
    assertEquals("<mask>", vocab.get(263));
    assertEquals(264, model.vocabSize());
    assertFalse(model.isSmallerThanRequested());
    assertEquals(3, model.merges().size());
  }

  @Test
  void minimumFrequencyStopsTheMerges() {
    WordCounts c = counts("hug", 10, "pug", 5, "pun", 12, "bun", 4, "hugs", 5);
    BpeModel model = BpeTrainer.builder().vocabSize(1000).minFrequency(6).build().train(c);
    assertEquals(List.of("u g", "u n", "h ug", "p un"), merges(model));
    assertTrue(model.shortfallMessage().contains("minimum frequency"), model.shortfallMessage());
  }

  @Test
  void resultDoesNotDependOnTheOrderWordsArrive() {
    List<String> words = new ArrayList<>();
    Random random = new Random(7);
    for (int i = 0; i < 3000; i++) {
      StringBuilder w = new StringBuilder(" ");
      for (int j = 0, n = 1 + random.nextInt(8); j < n; j++) {
        w.append((char) ('a' + random.nextInt(6)));
      }
      words.add(w.toString());
    }
    WordCounts forward = new WordCounts();
    words.forEach(w -> forward.add(w, 1));
    Collections.shuffle(words, new Random(8));
    WordCounts shuffled = new WordCounts();
    words.forEach(w -> shuffled.add(w, 1));
    BpeTrainer trainer = BpeTrainer.builder().vocabSize(600).minFrequency(2).build();
    assertEquals(merges(trainer.train(forward)), merges(trainer.train(shuffled)));
  }

  @Test
  void learnsTheSameMergesAsHuggingFace() throws IOException {
    // The reference trains on the file line by line, so count it line by line too.
    String text = resource("/corpus/moby-dick/chapter_1.txt");
    WordCounts c = new WordCounts();
    for (String line : text.split("(?<=\n)")) {
      c.addText(line);
    }
    BpeModel model = BpeTrainer.builder().vocabSize(100_000).minFrequency(0).build().train(c);
    List<String> expected = resource("/tokenizer/hf-merges-moby-dick-chapter_1.txt").lines().toList();
    assertEquals(expected.size(), model.merges().size());
    assertEquals(expected, merges(model));
  }

  @Test
  void emptyCorpusIsAClearError() {
    IllegalArgumentException e = assertThrows(
        IllegalArgumentException.class,
        () -> BpeTrainer.builder().vocabSize(1000).build().train(new WordCounts()));
    assertTrue(e.getMessage().contains("corpus is empty"), e.getMessage());
  }

  @Test
  void builderNamesTheBadValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(100));
    assertTrue(e.getMessage().contains("vocabSize must be at least 261"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().minFrequency(-1));
  }

  static String resource(String name) throws IOException {
    try (InputStream in = BpeTrainerTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
