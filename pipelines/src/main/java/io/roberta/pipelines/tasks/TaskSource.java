package io.roberta.pipelines.tasks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds and reads a task's split by name: the GLUE tasks ({@code cola}, {@code sst2}, {@code
 * mrpc}, {@code stsb}, {@code qqp}, {@code mnli-m}, {@code mnli-mm}, {@code qnli}, {@code rte})
 * from a folder with {@code train.tsv} and the dev file, {@code squad} from a folder with {@code
 * train-v1.1.json} and {@code dev-v1.1.json}, and {@code brown-genre} / {@code brown-pos} from the
 * Brown corpus folder, {@code race} / {@code race-middle} / {@code race-high} from RACE's folder
 * ({@code train/} and {@code dev/}, each with {@code middle/} and {@code high/}), and {@code
 * brown-gap} (multiple choice: the sentence missing from a passage) from the Brown corpus folder.
 *
 * <pre>{@code TaskData dev = TaskSource.read("rte", Path.of("glue/RTE"), TaskSource.Split.EVAL);}</pre>
 */
public final class TaskSource {
  /** Training data, or the labelled evaluation data (GLUE dev, SQuAD dev, Brown test files). */
  public enum Split { TRAIN, EVAL }

  /** Passages of this many sentences make one genre example. */
  public static final int BROWN_GENRE_SENTENCES = 4;

  private TaskSource() {}

  public static List<String> names() {
    List<String> names = new ArrayList<>();
    for (GlueTask t : GlueTask.values()) {
      names.add(t.taskName());
    }
    names.addAll(List.of("squad", "brown-genre", "brown-pos", "race", "race-middle", "race-high", "brown-gap"));
    return names;
  }

  public static TaskData read(String task, Path data, Split split) {
    if (!Files.exists(data)) {
      throw new IllegalArgumentException("task data " + data + " does not exist (" + TaskCatalog.SEE + ")");
    }
    if (!Files.isDirectory(data)) {
      // one file for both splits would score a model on its own training data
      throw new IllegalArgumentException("task data " + data + " is a file, but a task's data is a"
          + " folder holding both splits (" + expectedFiles(task) + "); give the folder");
    }
    switch (task) {
      case "brown-genre":
        return BrownTasks.genre(data, split == Split.TRAIN ? BrownTasks.Split.TRAIN : BrownTasks.Split.TEST, BROWN_GENRE_SENTENCES);
      case "brown-pos":
        return BrownTasks.partOfSpeech(data, split == Split.TRAIN ? BrownTasks.Split.TRAIN : BrownTasks.Split.TEST);
      case "race":
        return RaceReader.read(data, split == Split.TRAIN ? "train" : "dev", RaceReader.Level.ALL);
      case "race-middle":
        return RaceReader.read(data, split == Split.TRAIN ? "train" : "dev", RaceReader.Level.MIDDLE);
      case "race-high":
        return RaceReader.read(data, split == Split.TRAIN ? "train" : "dev", RaceReader.Level.HIGH);
      case "brown-gap":
        return GapTask.read(data, split == Split.TRAIN ? BrownTasks.Split.TRAIN : BrownTasks.Split.TEST);
      case "squad":
        return SquadReader.read(file(data, split == Split.TRAIN ? "train-v1.1.json" : "dev-v1.1.json"));
      default:
        if (!names().contains(task)) {
          throw new IllegalArgumentException("unknown task '" + task + "'; known: " + names() + " (" + TaskCatalog.SEE + ")");
        }
        GlueTask glue = GlueTask.named(task);
        return GlueReader.read(glue, file(data, split == Split.TRAIN ? "train.tsv" : glue.devFile()));
    }
  }

  private static Path file(Path data, String name) {
    Path f = data.resolve(name);
    if (!Files.isRegularFile(f)) {
      throw new IllegalArgumentException("no " + name + " in " + data + " (" + TaskCatalog.SEE + ")");
    }
    return f;
  }

  private static String expectedFiles(String task) {
    return switch (task) {
      case "squad" -> "train-v1.1.json and dev-v1.1.json";
      case "brown-genre", "brown-pos" -> "the Brown corpus files ca01 ... cr09";
      default -> GlueTask.values().length > 0 && names().contains(task)
          ? "train.tsv and " + GlueTask.named(task).devFile() : "its train and eval files";
    };
  }
}
