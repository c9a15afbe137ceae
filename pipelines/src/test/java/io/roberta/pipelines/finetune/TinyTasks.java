package io.roberta.pipelines.finetune;

import io.roberta.dsl.Roberta;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A tiny model shape, the test tokenizer, and synthetic tasks a tiny model can learn. */
public final class TinyTasks {
  public static final int VOCAB = 2156;
  static final String[] GOOD = {"happy", "glad", "bright", "warm", "kind"};
  static final String[] BAD = {"sad", "dark", "cold", "cruel", "grim"};
  static final String[] FILL = {"the", "day", "was", "very", "and", "long", "it", "felt"};

  private TinyTasks() {}

  public static ModelSpec spec() {
    return Roberta.custom(VOCAB, 32, 2, 4, 64, 66).specialTokens(SpecialTokens.roberta(VOCAB)).build();
  }

  public static Path tokenizerDir() {
    try {
      return Path.of(TinyTasks.class.getResource("/finetune/tokenizer.json").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static RobertaTokenizer tokenizer() {
    return RobertaTokenizer.load(tokenizerDir());
  }

  /** Label "pos" when the sentence holds a GOOD word, "neg" when a BAD one, amid filler words. */
  public static List<TaskExample> sentiment(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<TaskExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean good = r.nextBoolean();
      String key = good ? GOOD[r.nextInt(GOOD.length)] : BAD[r.nextInt(BAD.length)];
      List<String> words = new ArrayList<>();
      int len = 3 + r.nextInt(5);
      for (int w = 0; w < len; w++) {
        words.add(FILL[r.nextInt(FILL.length)]);
      }
      words.add(r.nextInt(words.size() + 1), key);
      out.add(TaskExample.single(i, "s" + i, String.join(" ", words), good ? "pos" : "neg"));
    }
    return out;
  }

  /** Tags each word GOOD, BAD or O. */
  public static List<TaskExample> tagging(int n, long seed) {
    List<TaskExample> out = new ArrayList<>();
    for (TaskExample e : sentiment(n, seed)) {
      List<String> words = List.of(e.textA().split(" "));
      List<String> tags = words.stream()
          .map(w -> List.of(GOOD).contains(w) ? "GOOD" : List.of(BAD).contains(w) ? "BAD" : "O").toList();
      out.add(TaskExample.tagged(e.index(), e.id(), words, tags));
    }
    return out;
  }

  /** Score = number of GOOD words in A and B together (0..2). */
  public static List<TaskExample> regression(int n, long seed) {
    List<TaskExample> a = sentiment(n, seed);
    List<TaskExample> b = sentiment(n, seed + 1);
    List<TaskExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double score = (a.get(i).label().equals("pos") ? 1 : 0) + (b.get(i).label().equals("pos") ? 1 : 0);
      out.add(TaskExample.regression(i, "r" + i, a.get(i).textA(), b.get(i).textA(), score));
    }
    return out;
  }

  /** "Which word is good?" over a context with one GOOD word. */
  public static List<TaskExample> questions(int n, long seed) {
    List<TaskExample> out = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      String key = GOOD[r.nextInt(GOOD.length)];
      StringBuilder ctx = new StringBuilder();
      int before = 2 + r.nextInt(6);
      for (int w = 0; w < before; w++) {
        ctx.append(FILL[r.nextInt(FILL.length)]).append(' ');
      }
      int start = ctx.length();
      ctx.append(key);
      for (int w = 0; w < 3; w++) {
        ctx.append(' ').append(FILL[r.nextInt(FILL.length)]);
      }
      out.add(TaskExample.question(i, "q" + i, "which word is good?", ctx.toString(),
          List.of(new TaskExample.Answer(key, start))));
    }
    return out;
  }

  /**
   * "Which word of the passage is good?": a filler passage with one GOOD word, four choices (that
   * word and three BAD ones) in a random order; the answer's letter is the label.
   */
  public static List<TaskExample> choices(int n, long seed) {
    List<TaskExample> out = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      String key = GOOD[r.nextInt(GOOD.length)];
      List<String> words = new ArrayList<>();
      for (int w = 0; w < 4 + r.nextInt(4); w++) {
        words.add(FILL[r.nextInt(FILL.length)]);
      }
      words.add(r.nextInt(words.size() + 1), key);
      List<String> options = new ArrayList<>();
      while (options.size() < 3) {
        String bad = BAD[r.nextInt(BAD.length)];
        if (!options.contains(bad)) {
          options.add(bad);
        }
      }
      int answer = r.nextInt(4);
      options.add(answer, key);
      out.add(TaskExample.choice(i, "c" + i, String.join(" ", words), "the good word is _", options,
          TaskExample.choiceLetter(answer)));
    }
    return out;
  }
}
