package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Eval;
import io.roberta.dsl.Finetune;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.pipelines.run.RunReport;
import io.roberta.pipelines.tasks.BrownTasks;
import io.roberta.runners.cli.RobertaCli;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.runners.run.RecipeRun;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code roberta run} end to end on a small recipe with every kind of stage: tokenizer, corpus,
 * pretraining, two fine-tuning tasks each with a random-init baseline, and evaluation (masked-LM
 * and both tasks). The same recipe on the DirectRunner and on embedded Flink must write the same
 * reports; a second run skips every stage.
 */
public class RunRecipeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path brown;

  /** 30 Brown files of three genres (files 05 and 10 of each are the tasks' test files). */
  @BeforeAll
  static void copyBrownSubset() throws Exception {
    Path shared = Path.of("..", "..", "shared", "data", "brown").toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(shared), "the shared data is beside the project: " + shared);
    for (String genre : List.of("a", "b", "k")) {
      for (int n = 1; n <= 10; n++) {
        String name = String.format("c%s%02d", genre, n);
        Files.copy(shared.resolve(name), brown.resolve(name));
      }
    }
  }

  static Recipe recipe() {
    return recipe(brown.toString());
  }

  /** The recipe over the Brown files in {@code brown} (a local folder or any Beam URI). */
  public static Recipe recipe(String brown) {
    return recipe(brown, 12, 6);
  }

  /** As {@link #recipe(String)}, pretraining {@code steps} steps with a checkpoint every {@code every}. */
  public static Recipe recipe(String brown, int steps, int every) {
    return RecipeBuilder.named("run-e2e")
        .model(Roberta.tiny().hiddenSize(32).layers(2).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(600).minFrequency(2))
        .corpus(Corpus.of(Sources.custom("brown", brown + "/c[a-r][0-9][1-46-9]")).minChars(20).holdout(0.05)
            .pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).peakLearningRate(1e-3).warmupSteps(2).totalSteps(steps)
            .checkpointEvery(every).seed(5))
        .finetune(
            Finetune.classification("brown-genre", BrownTasks.GENRES.size()).data(brown).trainExamples(48)
                .maxSequenceLength(64).epochs(1).batchSize(8).learningRate(1e-3).withRandomInitBaseline(),
            Finetune.tokenClassification("brown-pos", BrownTasks.POS_TAGS.size()).data(brown).trainExamples(48)
                .maxSequenceLength(64).epochs(1).batchSize(8).learningRate(1e-3).withRandomInitBaseline())
        .evaluate(Eval.maskedLm(), Eval.task("brown-genre").shards(3), Eval.task("brown-pos").shards(2))
        .evalBatchSize(16)
        .build();
  }

  static RobertaPipelineOptions options(Path work, String... runnerArgs) {
    List<String> args = new ArrayList<>(List.of(runnerArgs));
    args.add("--workDir=" + work);
    args.add("--holdoutBlocks=50");
    RobertaPipelineOptions o = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(RobertaPipelineOptions.class);
    o.as(DirectOptions.class).setTargetParallelism(2);
    return o;
  }

  @Test
  void everyStageRunsOnDirectAndFlinkWithTheSameScores(@TempDir Path direct, @TempDir Path flink) throws Exception {
    Recipe recipe = recipe();
    List<String> log = new ArrayList<>();
    RecipeRun.Outcome d = RecipeRun.run(recipe, options(direct), log::add);
    assertTrue(d.complete(), String.join("\n", log));
    assertEquals(8, d.stages().size(), d.stages().toString());
    assertTrue(d.stages().stream().noneMatch(RunReport.StageRun::skipped), d.stages().toString());
    // every stage logs the memory this JVM holds after it; the training stages (run in this JVM by
    // the DirectRunner) close what they allocated, without a System.gc() between stages
    java.util.regex.Pattern memory = java.util.regex.Pattern.compile(
        "\\[\\d+/\\d+\\] (\\S+) memory: ND4J buffers [\\d,]+ MB held \\(([+-][\\d,]+) MB\\), resident .*");
    Map<String, Integer> grown = new java.util.LinkedHashMap<>();
    for (String line : log) {
      java.util.regex.Matcher m = memory.matcher(line);
      if (m.matches()) {
        grown.put(m.group(1), Integer.parseInt(m.group(2).replace(",", "").replace("+", "")));
      }
    }
    assertEquals(d.stages().stream().map(RunReport.StageRun::name).toList(), List.copyOf(grown.keySet()),
        "a memory line per stage in\n" + String.join("\n", log));
    grown.forEach((stage, mb) -> {
      if (stage.equals("pretrain") || stage.startsWith("finetune")) {
        assertTrue(mb <= 0, stage + " left " + mb + " MB of ND4J buffers:\n" + String.join("\n", log));
      }
    });

    JsonNode reports = d.evalManifest().path("reports");
    for (String label : List.of("masked-lm", "brown-genre", "brown-genre-random-init", "brown-pos", "brown-pos-random-init")) {
      assertTrue(reports.has(label), label + " in " + reports);
      assertTrue(reports.path(label).path("examples").asLong() > 0, label + ": " + reports.path(label));
    }
    // The test files of 3 genres (05 and 10 of each), 4 sentences per genre passage.
    long testSentences = BrownTasks.partOfSpeech(brown, BrownTasks.Split.TEST).examples().size();
    assertEquals(testSentences, reports.path("brown-pos").path("examples").asLong());
    assertEquals(BrownTasks.genre(brown, BrownTasks.Split.TEST, 4).examples().size(),
        reports.path("brown-genre").path("examples").asLong());
    double acc = reports.path("brown-pos").path("metrics").path("token_accuracy").asDouble(-1);
    assertTrue(acc >= 0 && acc <= 1, "token accuracy " + acc);

    Path report = direct.resolve("run-e2e").resolve(RunReport.FILE);
    assertEquals(report.toString(), d.report());
    String md = Files.readString(report);
    for (String s : List.of("## Stages", "## Corpus", "## Pretraining", "## Fine-tuning", "## Evaluation",
        "Pretrained vs random init", "| brown-pos | token_accuracy |", "| brown-genre | accuracy |")) {
      assertTrue(md.contains(s), s + " in\n" + md);
    }
    for (String png : List.of(RunReport.SCORES_PNG, RunReport.FINETUNE_LOSS_PNG)) {
      assertTrue(Files.size(direct.resolve("run-e2e").resolve(png)) > 1000, png);
    }
    for (var m : d.models().entrySet()) {
      for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
        assertTrue(Files.isRegularFile(Path.of(m.getValue().dir(), f)), m.getKey() + ": " + f);
      }
    }

    // Embedded Flink: every stage again from nothing, the same numbers.
    RecipeRun.Outcome f = RecipeRun.run(recipe, options(flink, "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"),
        log::add);
    assertTrue(f.complete());
    assertEquals(d.evalManifest().path("reports"), f.evalManifest().path("reports"), "Direct and Flink reports differ");
    for (String label : List.of("brown-genre", "brown-pos-random-init")) {
      assertEquals(Files.readString(evalDir(direct).resolve(label).resolve("predictions.jsonl")),
          Files.readString(evalDir(flink).resolve(label).resolve("predictions.jsonl")), label + " predictions differ");
    }

    // Again on Direct: every stage is found done.
    RecipeRun.Outcome again = RecipeRun.run(recipe, options(direct), log::add);
    assertTrue(again.stages().stream().allMatch(RunReport.StageRun::skipped), again.stages().toString());
    assertEquals(d.evalManifest(), again.evalManifest());
  }

  @Test
  void aMissingTaskFolderFailsBeforeAnyStage(@TempDir Path work) {
    Recipe bad = RecipeBuilder.named("run-bad")
        .model(Roberta.tiny().hiddenSize(32).layers(1).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(600))
        .corpus(Corpus.of(Sources.custom("brown", brown + "/c[a-r][0-9][1-46-9]")).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).totalSteps(2).warmupSteps(1))
        .finetune(Finetune.tokenClassification("brown-pos", 12).maxSequenceLength(64).data(work.resolve("nowhere").toString()))
        .build();
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> RecipeRun.run(bad, options(work), s -> {}));
    assertTrue(e.getMessage().contains("finetune[brown-pos].data") && e.getMessage().contains("does not exist"), e.getMessage());
    assertFalse(Files.exists(work.resolve("run-bad")), "no stage may have started");
  }

  @Test
  void theCommandNamesABadOptionBeforeAnyStage(@TempDir Path work) throws Exception {
    Path json = work.resolve("run-e2e.json");
    RecipeJson.write(recipe(), json);
    CommandLine cli = RobertaCli.newCommandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    int status = cli.execute("run", json.toString(), "--work-dir=" + work.resolve("w"), "--runner=Nope");
    assertTrue(status != 0, "exit status " + status);
    assertTrue(err.toString().contains("--runner"), err.toString());
    assertFalse(Files.exists(work.resolve("w").resolve("run-e2e")), "no stage may have started");
  }

  private static Path evalDir(Path work) throws Exception {
    try (Stream<Path> dirs = Files.list(work.resolve("run-e2e").resolve("eval"))) {
      return dirs.findFirst().orElseThrow();
    }
  }
}
