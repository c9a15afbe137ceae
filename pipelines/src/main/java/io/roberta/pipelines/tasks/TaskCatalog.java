package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every task this build can fine-tune on and score, described for people: its head and labels,
 * the metrics its report carries, the files its data folder must hold (and their columns), and
 * which split is scored. {@code roberta tasks} prints it; a data folder with the wrong layout gets
 * an error that points here. The descriptions are built from the same enums the readers use
 * ({@link GlueTask}, {@link BrownTasks}), so they cannot drift from what is read.
 *
 * <pre>{@code TaskCatalog.Entry sst2 = TaskCatalog.find("sst2").orElseThrow();}</pre>
 */
public final class TaskCatalog {
  /** Where the errors about a task folder send people. */
  public static final String SEE = "`roberta tasks` lists every task's folder layout";

  /**
   * One task. {@code labels} is empty for regression and question answering; {@code metrics} are
   * the report's keys, the task's headline metric first; {@code files} the folder's files, each
   * with its format and columns; {@code layout} the same in one short line; {@code scored} the
   * file (or files) evaluation scores.
   */
  public record Entry(
      String name, Head head, List<String> labels, List<String> metrics, List<String> files, String layout,
      String scored, String dsl) {}

  private TaskCatalog() {}

  public static List<Entry> entries() {
    List<Entry> entries = new ArrayList<>();
    for (GlueTask t : GlueTask.values()) {
      entries.add(glue(t));
    }
    entries.add(new Entry("squad", Head.QUESTION_ANSWERING, List.of(), List.of("exact_match", "f1"),
        List.of("train-v1.1.json: SQuAD v1.1 JSON (data[].paragraphs[].context, qas[].question, answers[].text/answer_start)",
            "dev-v1.1.json: the same format, every gold answer of each question"),
        "train-v1.1.json, dev-v1.1.json (SQuAD v1.1 JSON)", "dev-v1.1.json", "Finetune.questionAnswering(\"squad\")"));
    String brown = "Brown corpus files ca01 .. cr09 ('c', the genre letter a-r, two digits) of word/tag tokens,"
        + " one sentence a line (as NLTK ships the corpus)";
    String brownLayout = "the Brown corpus files ca01 .. cr09 (word/tag tokens)";
    String split = "files numbered 05, 10, 15, ... are the test split (scored), the others train";
    entries.add(new Entry("brown-genre", Head.SEQUENCE_CLASSIFICATION, BrownTasks.GENRES,
        List.of("accuracy", "matthews"),
        List.of(brown, split, "an example is a passage of " + TaskSource.BROWN_GENRE_SENTENCES
            + " consecutive sentences labelled with its file's genre letter"),
        brownLayout, "the test files (c??05, c??10, ...)",
        "Finetune.classification(\"brown-genre\", " + BrownTasks.GENRES.size() + ")"));
    entries.add(new Entry("brown-pos", Head.TOKEN_CLASSIFICATION, BrownTasks.POS_TAGS, List.of("token_accuracy"),
        List.of(brown, split, "an example is a sentence; its Brown tags are mapped to " + BrownTasks.POS_TAGS.size()
            + " coarse tags"),
        brownLayout, "the test files (c??05, c??10, ...)",
        "Finetune.tokenClassification(\"brown-pos\", " + BrownTasks.POS_TAGS.size() + ")"));
    for (RaceReader.Level level : RaceReader.Level.values()) {
      String name = level == RaceReader.Level.ALL ? "race" : "race-" + level.name().toLowerCase(java.util.Locale.ROOT);
      String levels = level == RaceReader.Level.ALL ? "{middle,high}" : level.name().toLowerCase(java.util.Locale.ROOT);
      entries.add(new Entry(name, Head.MULTIPLE_CHOICE, RaceReader.LABELS, List.of("accuracy"),
          List.of("train/" + levels + "/*.txt: RACE JSON files (article, questions[], options[][4], answers[] A-D)",
              "dev/" + levels + "/*.txt: the same format (scored)"),
          "train/ and dev/ folders of RACE JSON files (" + levels + ")", "dev/", name.equals("race")
              ? "Finetune.race()" : "Finetune.multipleChoice(\"" + name + "\", 4)"));
    }
    entries.add(new Entry("brown-gap", Head.MULTIPLE_CHOICE, RaceReader.LABELS, List.of("accuracy"),
        List.of(brown, split, "an example is a passage of " + GapTask.SENTENCES + " sentences with one taken out"
            + " and four candidates (that sentence and three from other files), drawn with a fixed seed"),
        brownLayout, "the test files (c??05, c??10, ...)", "Finetune.multipleChoice(\"brown-gap\", 4)"));
    return entries;
  }

  /**
   * Checks that {@code data} holds what {@code task}'s reader needs (the files, not their rows),
   * throwing an {@link IllegalArgumentException} that names {@code field}, the folder, the missing
   * file and where the layout is described.
   */
  /**
   * The task data at {@code data} (a local path or any Beam URI) has the layout {@code task} reads;
   * an error names {@code field}, the folder and what is missing.
   */
  public static void checkFolder(String field, String task, String data) {
    io.roberta.pipelines.stage.Artifacts.checkUri(data);
    var asFile = io.roberta.pipelines.stage.Artifacts.file(data);
    boolean isFile = io.roberta.pipelines.stage.Artifacts.exists(asFile);
    List<String> names = isFile ? List.of() : io.roberta.pipelines.stage.Artifacts.list(
        io.roberta.pipelines.stage.Artifacts.dir(data), "*").stream().map(r -> r.getFilename()).toList();
    if (!isFile && names.isEmpty()) {
      throw new IllegalArgumentException(field + " = " + data + " does not exist (" + SEE + ")");
    }
    if (task.startsWith("race")) {
      List<String> all = io.roberta.pipelines.stage.Artifacts.list(io.roberta.pipelines.stage.Artifacts.dir(data), "**")
          .stream().map(r -> r.toString()).toList();
      for (String splitFolder : List.of("train/", "dev/")) {
        if (!isFile && all.stream().noneMatch(n -> n.contains("/" + splitFolder) && n.endsWith(".txt"))) {
          throw new IllegalArgumentException(field + " = " + data + " has no " + splitFolder + " folder of RACE files (*.txt): "
              + task + " reads train/ and dev/ from its folder (" + SEE + ")");
        }
      }
      return;
    }
    List<String> needed = switch (task) {
      case "squad" -> List.of("train-v1.1.json", "dev-v1.1.json");
      case "brown-genre", "brown-pos", "brown-gap" -> List.of();
      default -> List.of("train.tsv", GlueTask.named(task).devFile());
    };
    if (task.startsWith("brown-")) {
      if (isFile) {
        throw new IllegalArgumentException(field + " = " + data + " is not a folder: " + task
            + " reads the Brown corpus folder (" + SEE + ")");
      }
      for (BrownTasks.Split split : BrownTasks.Split.values()) {
        if (names.stream().noneMatch(n -> BrownTasks.isFileOf(n, split))) {
          throw new IllegalArgumentException(field + ": no Brown corpus " + (split == BrownTasks.Split.TEST ? "test" : "training")
              + " files (c[a-r]NN) in " + data + " (" + SEE + ")");
        }
      }
      return;
    }
    if (isFile) {
      return; // one file given directly: the reader takes it for every split
    }
    for (String file : needed) {
      if (!names.contains(file)) {
        throw new IllegalArgumentException(field + " = " + data + " has no " + file + ": " + task + " reads "
            + String.join(" and ", needed) + " from its folder (" + SEE + ")");
      }
    }
  }

  public static Optional<Entry> find(String name) {
    return entries().stream().filter(e -> e.name().equals(name)).findFirst();
  }

  private static Entry glue(GlueTask t) {
    String columns = t.hasHeader()
        ? "a header row; columns " + (t.columnB() == null ? "'" + t.columnA() + "'" : "'" + t.columnA() + "', '" + t.columnB() + "'")
            + " and label column '" + t.labelColumn() + "'" + (t.labels().isEmpty() ? " (a number)" : " (" + String.join(" | ", t.labels()) + ")")
        : "no header; columns by position: source, label (" + String.join(" | ", t.labels()) + "), original label, sentence";
    List<String> metrics = new ArrayList<>();
    t.metrics().forEach(m -> metrics.add(reportKey(m)));
    for (String m : t.head() == Head.REGRESSION ? List.of("pearson", "spearman")
        : t.labels().size() == 2 ? List.of("accuracy", "f1", "matthews") : List.of("accuracy", "matthews")) {
      if (!metrics.contains(m)) {
        metrics.add(m);
      }
    }
    String dsl = t.head() == Head.REGRESSION ? "Finetune.regression(\"" + t.taskName() + "\")"
        : "Finetune.classification(\"" + t.taskName() + "\", " + t.labels().size() + ")";
    String layout = "train.tsv, " + t.devFile() + " (TSV; " + (t.hasHeader()
        ? "columns " + (t.columnB() == null ? t.columnA() : t.columnA() + ", " + t.columnB()) + ", " + t.labelColumn()
        : "no header: source, label, original label, sentence") + ")";
    return new Entry(t.taskName(), t.head(), t.labels(), metrics,
        List.of("train.tsv: tab-separated, " + columns, t.devFile() + ": the same columns (GLUE's labelled dev file)"),
        layout, t.devFile(), dsl);
  }

  private static String reportKey(GlueTask.Metric m) {
    return switch (m) {
      case MATTHEWS -> "matthews";
      case SQUAD_F1 -> "f1";
      default -> m.name().toLowerCase(java.util.Locale.ROOT);
    };
  }
}
