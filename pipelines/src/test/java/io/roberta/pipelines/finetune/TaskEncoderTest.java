package io.roberta.pipelines.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TaskEncoderTest {
  static final SpecialTokens IDS = SpecialTokens.roberta(TinyTasks.VOCAB);
  static RobertaTokenizer tokenizer;

  @BeforeAll
  static void load() {
    tokenizer = TinyTasks.tokenizer();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static int[] body(String text) {
    int[] ids = tokenizer.encode(text).ids();
    return Arrays.copyOfRange(ids, 1, ids.length - 1);
  }

  @Test
  void pairsAreEncodedRobertasWay() {
    TaskEncoder enc = new TaskEncoder(tokenizer, IDS, Head.SEQUENCE_CLASSIFICATION, List.of("no", "yes"), 64);
    Feature f = enc.encode(TaskExample.pair(0, "p", "Call me Ishmael.", "Some years ago.", "yes")).get(0);
    int[] a = body("Call me Ishmael.");
    int[] b = body("Some years ago.");
    int[] want = new int[a.length + b.length + 4];
    want[0] = 0;
    System.arraycopy(a, 0, want, 1, a.length);
    want[a.length + 1] = 2;
    want[a.length + 2] = 2;
    System.arraycopy(b, 0, want, a.length + 3, b.length);
    want[want.length - 1] = 2;
    assertArrayEquals(want, f.ids());
    assertEquals(1, f.label());
  }

  @Test
  void multipleChoiceFillsTheBlankOrAppendsTheChoiceThenThePassageAsFairseq() {
    TaskEncoder enc = new TaskEncoder(tokenizer, IDS, Head.MULTIPLE_CHOICE, List.of("A", "B", "C", "D"), 64);
    TaskExample blank = TaskExample.choice(3, "q", "The day was warm.", "It was _ .", List.of("warm", "cold", "grim", "dark"), "A");
    Feature f = enc.encode(blank).get(0);
    assertEquals(0, f.label());
    assertEquals(3, f.exampleIndex());
    assertEquals(4, f.choices().length);
    int[] qa = body("It was cold .");
    int[] passage = body("The day was warm.");
    int[] want = new int[qa.length + passage.length + 4];
    want[0] = 0;
    System.arraycopy(qa, 0, want, 1, qa.length);
    want[qa.length + 1] = 2;
    want[qa.length + 2] = 2;
    System.arraycopy(passage, 0, want, qa.length + 3, passage.length);
    want[want.length - 1] = 2;
    assertArrayEquals(want, f.choices()[1]);
    TaskExample appended = TaskExample.choice(0, "q", "The day was warm.", "Which?", List.of("a", "b", "c", "d"), "D");
    assertArrayEquals(body("Which? c"), Arrays.copyOfRange(enc.encode(appended).get(0).choices()[2], 1, 1 + body("Which? c").length));
    // a long passage loses its tail; every sequence still ends with </s> and fits
    TaskEncoder shortEnc = new TaskEncoder(tokenizer, IDS, Head.MULTIPLE_CHOICE, List.of("A", "B", "C", "D"), 16);
    Feature cut = shortEnc.encode(TaskExample.choice(0, "q", "one two three four five six seven eight nine ten eleven twelve",
        "_", List.of("a", "b", "c", "d"), "B")).get(0);
    for (int[] seq : cut.choices()) {
      assertEquals(16, seq.length);
      assertEquals(2, seq[15]);
    }
  }

  @Test
  void longPairsAreTruncatedLongestFirst() {
    TaskEncoder enc = new TaskEncoder(tokenizer, IDS, Head.SEQUENCE_CLASSIFICATION, List.of("no", "yes"), 12);
    String longText = "one two three four five six seven eight nine ten eleven twelve";
    Feature f = enc.encode(TaskExample.pair(0, "p", longText, "short", "no")).get(0);
    assertEquals(12, f.length());
    int[] b = body("short");
    // B keeps all its tokens; A gives up the rest
    assertArrayEquals(b, Arrays.copyOfRange(f.ids(), 12 - 1 - b.length, 11));
    assertEquals(2, f.ids()[11]);
  }

  @Test
  void tagsGoOnEachWordsFirstSubToken() {
    List<String> tags = List.of("O", "GOOD", "BAD");
    TaskEncoder enc = new TaskEncoder(tokenizer, IDS, Head.TOKEN_CLASSIFICATION, tags, 64);
    TaskExample e = TaskExample.tagged(0, "t", List.of("the", "unbelievably", "grim"), List.of("O", "GOOD", "BAD"));
    Feature f = enc.encode(e).get(0);
    long labelled = Arrays.stream(f.tokenLabels()).filter(l -> l >= 0).count();
    assertEquals(3, labelled, Arrays.toString(f.tokenLabels()));
    int[] words = Arrays.stream(f.wordOfToken()).filter(w -> w >= 0).toArray();
    assertArrayEquals(new int[] {0, 1, 2}, words);
    assertTrue(f.length() > 5, "'unbelievably' should take several sub-tokens: " + f.length());
    for (int t = 0; t < f.length(); t++) {
      if (f.wordOfToken()[t] >= 0) {
        assertEquals(tags.indexOf(e.tags().get(f.wordOfToken()[t])), f.tokenLabels()[t]);
      }
    }
  }

  @Test
  void longContextsBecomeOverlappingWindowsThatFindTheAnswer() {
    TaskEncoder enc = new TaskEncoder(tokenizer, IDS, Head.QUESTION_ANSWERING, List.of(), 24);
    StringBuilder ctx = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      ctx.append("word").append(i).append(' ');
    }
    int start = ctx.length();
    ctx.append("Ishmael rests here.");
    TaskExample e = TaskExample.question(0, "q", "who?", ctx.toString(), List.of(new TaskExample.Answer("Ishmael", start)));
    List<Feature> windows = enc.encode(e);
    assertTrue(windows.size() > 2, windows.size() + " windows");
    int found = 0;
    for (Feature w : windows) {
      assertTrue(w.length() <= 24);
      if (w.start() > 0) {
        found++;
        int[][] off = w.charOffsets();
        String text = e.textB().substring(off[w.start() - w.contextStart()][0], off[w.end() - w.contextStart()][1]);
        assertEquals("Ishmael", text);
      } else {
        assertEquals(0, w.end());
      }
    }
    assertTrue(found >= 1, "no window holds the answer");
  }
}
