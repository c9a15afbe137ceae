package io.roberta.runners.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import io.roberta.pipelines.finetune.FinetuneStage;
import io.roberta.pipelines.pretrain.TrainModel;
import io.roberta.runners.cli.RobertaCli;
import io.roberta.runners.options.InvalidOptionException;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Stage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.util.JsonFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The offline Dataflow job description: every stage's pipeline is built and translated but not
 * run; only the training stage's transform asks for the accelerator, and only its job gets the
 * training machine type and the GPU.
 */
class JobDescriptionTest {
  static final String GPU = "type:nvidia-l4;count:1;install-nvidia-driver";
  static final String TRAIN_STEP = "TrainModel/" + TrainModel.TRAIN_STEP + "/ParMultiDo(Train)";
  static final String FINETUNE_STEP = FinetuneStage.TRAIN_STEP + "/ParMultiDo(Finetune)";

  static Recipe recipe(Path dir, String accelerator) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < 200; p++) {
      text.append("Call me Ishmael. Some years ago, never mind how long precisely, paragraph ").append(p)
          .append(", having little money in my purse.\n\n");
    }
    Files.writeString(data.resolve("book.txt"), text);
    Pretrain pretrain = Pretrain.mlm().batchSize(8).microBatch(8).warmupSteps(1).totalSteps(10);
    if (accelerator != null) {
      pretrain.accelerator(accelerator);
    }
    return RecipeBuilder.named("plan")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(400).minFrequency(2))
        .corpus(Corpus.of(Sources.textFiles(data + "/*.txt").perParagraph().name("book")).holdout(0.2).pack(Packing.fullSentences(32)))
        .pretrain(pretrain)
        .evaluate(Eval.maskedLm())
        .build();
  }

  static List<String> dataflow(String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("--runner=DataflowRunner", "--project=roberta-test", "--region=europe-west4",
        "--tempLocation=gs://roberta-test/tmp", "--workDir=gs://roberta-test/work", "--workerMachineType=n2-standard-4"));
    args.addAll(List.of(more));
    return args;
  }

  static void assertOnlyTrainingAsksForTheGpu(JobDescription d, String hint) {
    int described = 0;
    for (JobDescription.StageJob s : d.stages()) {
      if (s.pipeline() == null) {
        continue;
      }
      described++;
      Map<String, String> hinted = JobDescription.acceleratorHints(s.pipeline());
      if (s.kind() == Stage.Kind.PRETRAIN) {
        assertEquals(Map.of(TRAIN_STEP, hint), hinted, "the training step alone carries the hint");
      } else if (s.kind() == Stage.Kind.FINETUNE) {
        assertEquals(Map.of(FINETUNE_STEP, hint), hinted, "the fine-tuning step alone carries the hint");
      } else {
        assertEquals(Map.of(), hinted, s.kind() + " must not ask for an accelerator");
        assertTrue(s.pipeline().getComponents().getTransformsCount() > 3, s.kind() + " pipeline is built");
      }
    }
    assertTrue(described >= 3, "tokenizer, corpus and pretrain at least");
  }

  @Test
  void dataflowPlanPutsTheGpuOnTheTrainingStageOnly(@TempDir Path dir) throws Exception {
    Recipe recipe = recipe(dir, null);
    JobDescription d = JobDescription.planned(recipe, dataflow("--trainingMachineType=g2-standard-8", "--trainingAccelerator=" + GPU));
    assertEquals(List.of(Stage.Kind.TOKENIZER, Stage.Kind.CORPUS, Stage.Kind.PRETRAIN, Stage.Kind.EVAL),
        d.stages().stream().map(JobDescription.StageJob::kind).toList());
    assertOnlyTrainingAsksForTheGpu(d, GPU);

    for (JobDescription.StageJob s : d.stages()) {
      assertEquals("roberta-test", s.options().get("project"));
      assertEquals("europe-west4", s.options().get("region"));
      assertEquals("gs://roberta-test/tmp", s.options().get("tempLocation"));
      assertTrue(s.directory().startsWith("gs://roberta-test/work/plan/"), s.directory());
      if (s.kind() == Stage.Kind.PRETRAIN) {
        assertEquals("g2-standard-8", s.options().get("workerMachineType"));
      } else {
        assertEquals("n2-standard-4", s.options().get("workerMachineType"));
      }
      // exactly one way to ask for the GPU: the training step's resource hint, never also the
      // worker_accelerator service option (Dataflow's right-fitting guide says not to combine them)
      assertNull(s.options().get("dataflowServiceOptions"), s.kind().name());
    }
    // every path in the description is a well-formed gs:// URI
    String text = d.toJson().toString();
    assertFalse(java.util.regex.Pattern.compile("gs:/[^/]").matcher(text).find(), "a one-slash gs:/ URI in the description");
    assertTrue(text.contains("gs://roberta-test/work/plan/pretrain/"), "the training job names its gs:// stage folder");
    assertTrue(text.contains("gs://roberta-test/work/plan/corpus/"), "the corpus job names its gs:// stage folder");
    // The corpus has not run (and is on gs://), so the masked-LM evaluation is announced, not built.
    JobDescription.StageJob eval = d.stages().get(3);
    assertNull(eval.pipeline());
    assertTrue(eval.note().contains("once the corpus stage has run"), eval.note());
  }

  @Test
  void multiWorkerRoundsPutTheGpuOnEachRoundsInnerTrainingOnly(@TempDir Path dir) throws Exception {
    recipe(dir, null); // writes the data
    Path data = dir.resolve("data");
    Recipe recipe = RecipeBuilder.named("plan")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(400).minFrequency(2))
        .corpus(Corpus.of(Sources.textFiles(data + "/*.txt").perParagraph().name("book")).holdout(0.2)
            .pack(Packing.fullSentences(32)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(4).warmupSteps(1).totalSteps(10)
            .workers(2).roundSteps(5).outer(Pretrain.Outer.nesterov(0.7, 0.9)))
        .build();
    JobDescription d = JobDescription.planned(recipe, dataflow("--trainingMachineType=g2-standard-8",
        "--trainingAccelerator=" + GPU, "--numWorkers=2", "--numberOfWorkerHarnessThreads=1"));
    JobDescription.StageJob pre = d.stages().stream().filter(s -> s.kind() == Stage.Kind.PRETRAIN).findFirst().orElseThrow();
    Map<String, String> hinted = JobDescription.acceleratorHints(pre.pipeline());
    assertEquals(java.util.Set.of("Round1/" + TrainModel.TRAIN_STEP,
        "Round2/" + TrainModel.TRAIN_STEP), hinted.keySet(), hinted.toString());
    assertTrue(hinted.values().stream().allMatch(GPU::equals), hinted.toString());
    assertEquals("g2-standard-8", pre.options().get("workerMachineType"));
  }

  @Test
  void aMalformedURIInADescriptionIsRefused() {
    var json = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    json.putObject("stage").put("directory", "gs:/bucket/work/x");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> JobDescription.checkUris(json, "$"));
    assertTrue(e.getMessage().contains("$.stage.directory") && e.getMessage().contains("gs:/bucket/work/x"), e.getMessage());
  }

  @Test
  void fineTuningJobsAreTrainingJobsToo(@TempDir Path dir) throws Exception {
    Recipe base = recipe(dir, null);
    Recipe recipe = new Recipe(base.schemaVersion(), base.name(), base.model(), base.tokenizer(), base.corpus(), base.pretrain(),
        List.of(Finetune.tokenClassification("brown-pos", 12).maxSequenceLength(32).data(dir.toString()).withRandomInitBaseline().build()),
        base.eval());
    JobDescription d = JobDescription.planned(recipe, dataflow("--trainingMachineType=g2-standard-8", "--trainingAccelerator=" + GPU));
    assertEquals(List.of(Stage.Kind.TOKENIZER, Stage.Kind.CORPUS, Stage.Kind.PRETRAIN, Stage.Kind.FINETUNE, Stage.Kind.FINETUNE,
        Stage.Kind.EVAL), d.stages().stream().map(JobDescription.StageJob::kind).toList());
    assertOnlyTrainingAsksForTheGpu(d, GPU);
    for (JobDescription.StageJob s : d.stages()) {
      boolean training = s.kind() == Stage.Kind.PRETRAIN || s.kind() == Stage.Kind.FINETUNE;
      assertEquals(training ? "g2-standard-8" : "n2-standard-4", s.options().get("workerMachineType"), s.directory());
    }
    assertTrue(d.stages().get(4).directory().contains("/finetune-brown-pos-random-init/"), d.stages().get(4).directory());
  }

  @Test
  void theRecipesAcceleratorIsUsedAndTheEvalStageHasNone(@TempDir Path dir) throws Exception {
    Recipe recipe = recipe(dir, "type:nvidia-tesla-t4;count:1");
    String work = dir.resolve("work").toString();
    // Run the tokenizer and corpus stages (DirectRunner), so that the evaluation can be built too.
    RecipeJson.write(recipe, dir.resolve("plan.json"));
    assertEquals(0, RobertaCli.newCommandLine().execute("corpus", dir.resolve("plan.json").toString(), "--work-dir", work));
    JobDescription d = JobDescription.of(recipe, List.of("--runner=FlinkRunner", "--flinkMaster=[local]", "--workDir=" + work));
    assertEquals(4, d.stages().stream().filter(s -> s.pipeline() != null).count(), "every stage built, the evaluation too");
    assertOnlyTrainingAsksForTheGpu(d, "type:nvidia-tesla-t4;count:1");
    // Not Dataflow: no Dataflow service options are invented.
    assertNull(d.stages().get(2).options().get("dataflowServiceOptions"));
  }

  @Test
  void planJobWritesJsonThatReadsBackAsTheSamePipelines(@TempDir Path dir) throws Exception {
    Recipe recipe = recipe(dir, null);
    Path json = dir.resolve("plan.json");
    RecipeJson.write(recipe, json);
    Path out = dir.resolve("job.json");
    CommandLine cli = RobertaCli.newCommandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    List<String> args = new java.util.ArrayList<>(List.of("plan-job", json.toString(), "--out", out.toString(), "--planned-only"));
    args.addAll(dataflow("--trainingAccelerator=" + GPU));
    assertEquals(0, cli.execute(args.toArray(String[]::new)), err.toString());
    assertTrue(err.toString().contains("accelerator on " + TRAIN_STEP), err.toString());

    JsonNode written = new ObjectMapper().readTree(out.toFile());
    assertEquals("DataflowRunner", written.path("runner").asText());
    JobDescription d = JobDescription.planned(recipe, dataflow("--trainingAccelerator=" + GPU));
    for (int i = 0; i < 3; i++) {
      JsonNode stage = written.path("stages").get(i);
      RunnerApi.Pipeline.Builder back = RunnerApi.Pipeline.newBuilder();
      JsonFormat.parser().merge(stage.path("pipeline").toString(), back);
      assertEquals(d.stages().get(i).pipeline().getComponents().getTransformsMap().keySet(),
          back.build().getComponents().getTransformsMap().keySet(), stage.path("stage").asText());
      assertEquals(i == 2 ? 1 : 0, stage.path("acceleratorTransforms").size(), stage.path("stage").asText());
    }
  }

  @Test
  void badOptionsFailBeforeAnythingIsBuilt(@TempDir Path dir) throws Exception {
    Recipe recipe = recipe(dir, null);
    InvalidOptionException e = assertThrows(InvalidOptionException.class,
        () -> JobDescription.planned(recipe, List.of("--runner=DataflowRunner", "--project=p", "--region=r", "--workDir=gs://b/w")));
    assertEquals("--tempLocation", e.option());
    InvalidOptionException gpu = assertThrows(InvalidOptionException.class,
        () -> JobDescription.planned(recipe, dataflow("--trainingAccelerator=nvidia-l4")));
    assertEquals("--trainingAccelerator", gpu.option());
  }
}
