package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code brown-gap}, a multiple-choice task made from the Brown corpus for want of RACE offline:
 * a passage of {@value #SENTENCES} consecutive sentences with one taken out (marked {@code _}),
 * and four candidate sentences, the one taken out and three drawn from other files of the same
 * split; pick the one that was taken out. Laid out as RACE ({@code textA} the passage, the
 * question {@code _} so each choice stands alone before the passage). Passages do not overlap;
 * every draw comes from a fixed seed, so the task is the same on every run. Train and test use
 * {@link BrownTasks}' file split, so test passages come from files pretraining never saw.
 *
 * <pre>{@code TaskData test = GapTask.read(Path.of("data/brown"), BrownTasks.Split.TEST);}</pre>
 */
public final class GapTask {
  public static final int SENTENCES = 5;
  /** Sentences shorter than this are neither taken out nor drawn as distractors (too little to match). */
  static final int MIN_WORDS = 6;
  private static final long SEED = 0x6a70L;

  private GapTask() {}

  public static TaskData read(Path brownDir, BrownTasks.Split split) {
    List<Rejected> rejected = new ArrayList<>();
    List<Path> files = BrownTasks.files(brownDir, split);
    List<List<BrownTasks.Sentence>> byFile = new ArrayList<>();
    List<BrownTasks.Sentence> pool = new ArrayList<>();
    for (Path file : files) {
      List<BrownTasks.Sentence> sentences = BrownTasks.sentences(file, rejected);
      byFile.add(sentences);
      sentences.stream().filter(s -> s.words().size() >= MIN_WORDS).forEach(pool::add);
    }
    SplittableRandom random = new SplittableRandom(SEED + split.ordinal());
    List<TaskExample> examples = new ArrayList<>();
    for (List<BrownTasks.Sentence> sentences : byFile) {
      for (int from = 0; from + SENTENCES <= sentences.size(); from += SENTENCES) {
        List<BrownTasks.Sentence> passage = sentences.subList(from, from + SENTENCES);
        int gap = random.nextInt(SENTENCES);
        BrownTasks.Sentence removed = passage.get(gap);
        if (removed.words().size() < MIN_WORDS) {
          continue;
        }
        List<String> choices = new ArrayList<>();
        while (choices.size() < 3) {
          BrownTasks.Sentence d = pool.get(random.nextInt(pool.size()));
          String text = text(d);
          if (!d.file().equals(removed.file()) && !choices.contains(text) && !text.equals(text(removed))) {
            choices.add(text);
          }
        }
        int answer = random.nextInt(4);
        choices.add(answer, text(removed));
        StringBuilder context = new StringBuilder();
        for (int i = 0; i < SENTENCES; i++) {
          context.append(i == 0 ? "" : " ").append(i == gap ? "_" : text(passage.get(i)));
        }
        examples.add(TaskExample.choice(examples.size(), passage.get(0).file() + ":" + passage.get(0).line(),
            context.toString(), "_", choices, TaskExample.choiceLetter(answer)));
      }
    }
    return new TaskData("brown-gap", Head.MULTIPLE_CHOICE, RaceReader.LABELS, examples, rejected);
  }

  private static String text(BrownTasks.Sentence s) {
    return String.join(" ", s.words());
  }
}
