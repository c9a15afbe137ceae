package io.roberta.e2e.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps stage artifact I/O on Beam {@code FileSystems}: in {@code pipelines} and {@code runners},
 * only the classes listed here touch the local file system ({@code java.nio.file.Files}, {@code
 * Path.of}, {@code FileChannel}, {@code new File}, ...), each for the reason given. Everything that
 * runs or wires a stage (tokenizer, corpus, pretraining, fine-tuning, evaluation, the run, its
 * report, job descriptions, options) reads and writes through {@code Artifacts}, and gets local
 * copies only from {@code Staging}.
 */
class LocalFileUseTest {
  private static final Pattern LOCAL_IO = Pattern.compile(
      "\\bFiles\\.|\\bPaths\\.get|\\bPath\\.of\\(|new File\\(|\\bFileInputStream\\b|\\bFileOutputStream\\b"
          + "|\\bFileChannel\\b|\\.toFile\\(\\)|\\bRandomAccessFile\\b|\\bjava\\.io\\.File\\b");

  /** Class (path under src/main/java/io/roberta/) to why it may use local files. */
  private static final Map<String, String> ALLOWED = new TreeMap<>(Map.ofEntries(
      Map.entry("pipelines/stage/Staging.java", "the staging class: worker-local copies of inputs, scratch folders for outputs"),
      Map.entry("pipelines/stage/StagingCache.java", "keeps the staging folder within the worker's disk: deletes its least recently used copies"),
      Map.entry("runners/bench/StagesBench.java", "benchmark scratch folder: synthetic shards, the exported model, reports"),
      Map.entry("pipelines/tasks/TaskSource.java", "parses a task folder staged by Staging.input (or a local one named on the command line)"),
      Map.entry("pipelines/tasks/BrownTasks.java", "parses staged Brown files"),
      Map.entry("pipelines/tasks/GlueReader.java", "parses a staged GLUE file"),
      Map.entry("pipelines/tasks/SquadReader.java", "parses a staged SQuAD file"),
      Map.entry("pipelines/tasks/RaceReader.java", "parses a staged RACE folder"),
      Map.entry("pipelines/eval/ModelTaskFit.java", "checks the config.json of a staged model folder"),
      Map.entry("pipelines/corpus/ByteLevelBpe.java", "parses a staged tokenizer.json"),
      Map.entry("pipelines/corpus/FileSource.java", "names unreadable local files in its error messages (reading goes through FileSystems)"),
      Map.entry("pipelines/finetune/FinetuneRun.java", "the fine-tuning body writes into a scratch folder from Staging (or a local --out)"),
      Map.entry("runners/cli/ParityCommand.java", "local tool: reads a fixture folder"),
      Map.entry("runners/cli/FillMaskCommand.java", "local tool: loads a model folder"),
      Map.entry("runners/cli/ExportCommand.java", "local tool: writes the recipe JSON"),
      Map.entry("runners/cli/FinetuneCommand.java", "local tool: fine-tunes from and into local folders"),
      Map.entry("runners/cli/EvalCommand.java", "local tool: reads a local task folder"),
      Map.entry("pipelines/inputs/ContentIdentity.java", "tells a local folder from a file before matching it through FileSystems"),
      Map.entry("runners/cli/NewCommand.java", "local tool: writes a recipe project for the user"),
      Map.entry("runners/cli/ValidateCommand.java", "removes the empty local work folder the options check created"),
      Map.entry("runners/cli/RecipeLoader.java", "reads a recipe JSON file named on the command line"),
      Map.entry("runners/cli/BenchCommand.java", "benchmark scratch folder"),
      Map.entry("runners/bench/EvalBench.java", "benchmark scratch folder"),
      Map.entry("runners/bench/RoundsBench.java", "benchmark: reads the local stage folders it just ran (a local --work-dir)"),
      Map.entry("pipelines/stage/CrashPoint.java", "test hook: the pause marker a kill test watches (a local file by design)")));

  @Test
  void onlyTheListedClassesTouchLocalFiles() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    TreeSet<String> found = new TreeSet<>();
    Map<String, String> firstUse = new TreeMap<>();
    for (String module : new String[] {"pipelines", "runners"}) {
      Path src = root.resolve(module).resolve("src/main/java/io/roberta").resolve(module);
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          int n = 0;
          for (String line : Files.readAllLines(f)) {
            n++;
            String code = line.strip();
            if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) {
              continue; // Javadoc examples and comments
            }
            if (LOCAL_IO.matcher(code).find()) {
              String key = module + "/" + src.relativize(f).toString().replace('\\', '/');
              found.add(key);
              firstUse.putIfAbsent(key, "line " + n + ": " + code);
            }
          }
        }
      }
    }
    TreeSet<String> unexpected = new TreeSet<>(found);
    unexpected.removeAll(ALLOWED.keySet());
    StringBuilder why = new StringBuilder();
    unexpected.forEach(k -> why.append("\n  ").append(k).append(" ").append(firstUse.get(k)));
    assertTrue(unexpected.isEmpty(), "local file I/O outside the staging class and the listed local tools"
        + " (stages must go through Artifacts / Staging):" + why);
    TreeSet<String> stale = new TreeSet<>(ALLOWED.keySet());
    stale.removeAll(found);
    assertEquals(new TreeSet<>(), stale, "listed classes that no longer use local files: drop them from ALLOWED");
  }
}
