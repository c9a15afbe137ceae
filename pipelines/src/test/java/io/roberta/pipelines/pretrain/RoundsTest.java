package io.roberta.pipelines.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Pretrain;
import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.spec.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multi-worker rounds (DiLoCo) on the DirectRunner and embedded Flink with the tiny job. */
class RoundsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static List<Double> losses(Path stage) {
    List<Double> out = new ArrayList<>();
    for (StepMetrics m : MetricsLog.read(stage.resolve("metrics.jsonl"))) {
      out.add(m.loss());
    }
    return out;
  }

  static String modelSha(Path stage) throws Exception {
    return Artifacts.sha256(Files.readAllBytes(stage.resolve("hf/model.safetensors")));
  }

  static void runRounds(TrainingJob job, PipelineOptions options) {
    RoundsRun.run(job, options, null, System.err);
  }

  @Test
  void oneWorkerWithPlainAveragingIsTheSingleTrainerBitForBit(@TempDir Path dir) throws Exception {
    TrainingJob single = TinyJob.job(dir.resolve("single"), TinyJob.recipe(null), -1);
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(single).withCoder(SerializableCoder.of(TrainingJob.class))).apply(TrainModel.onCpu());
    p.run().waitUntilFinish();

    Recipe oneWorker = TinyJob.recipe(null, pre -> pre.workers(1).roundSteps(3).outer(Pretrain.Outer.average()));
    TrainingJob rounds = TinyJob.job(dir.resolve("rounds"), oneWorker, -1);
    runRounds(rounds, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--roundsPerPipeline=1").as(RoundsOptions.class));

    Path a = dir.resolve("single/pretrain");
    Path b = dir.resolve("rounds/pretrain");
    assertEquals(6, losses(a).size());
    assertEquals(losses(a), losses(b));
    assertEquals(modelSha(a), modelSha(b));
    JsonNode result = JSON.readTree(b.resolve("result.json").toFile());
    assertEquals(2, result.path("rounds").path("rounds").asInt(), result.toString());
    assertEquals(JSON.readTree(a.resolve("result.json").toFile()).path("holdoutLoss").asDouble(),
        result.path("holdoutLoss").asDouble());
  }

  static void trainSingle(TrainingJob job) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    p.apply(Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class))).apply(TrainModel.onCpu());
    p.run().waitUntilFinish();
  }

  @Test
  void aSynchronousPhaseIsTheSingleTrainerThenKWorkersTakeOver(@TempDir Path dir) throws Exception {
    // the whole schedule synchronous: four workers configured, one trains, bit for bit the single trainer
    // (micro-batches of 2: the workers' share of the 8-block batch after a synchronous phase)
    trainSingle(TinyJob.job(dir.resolve("single"), TinyJob.recipe(null, pre -> pre.microBatch(2)), -1));
    Recipe allSync = TinyJob.recipe(null,
        pre -> pre.microBatch(2).workers(4).roundSteps(3).syncSteps(6).outer(Pretrain.Outer.nesterov(0.7, 0.9)));
    runRounds(TinyJob.job(dir.resolve("all-sync"), allSync, -1),
        PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(RoundsOptions.class));
    assertEquals(losses(dir.resolve("single/pretrain")), losses(dir.resolve("all-sync/pretrain")));
    assertEquals(modelSha(dir.resolve("single/pretrain")), modelSha(dir.resolve("all-sync/pretrain")));

    // the first round synchronous, the second on four workers that start from its optimizer state
    Recipe firstSync = TinyJob.recipe(null, pre -> pre.microBatch(2).workers(4).roundSteps(3).syncSteps(3)
        .outer(Pretrain.Outer.nesterov(0.7, 0.9)));
    runRounds(TinyJob.job(dir.resolve("sync3"), firstSync, -1),
        PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=1").as(RoundsOptions.class));
    runRounds(TinyJob.job(dir.resolve("sync3-p2"), firstSync, -1),
        PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2", "--roundsPerPipeline=1")
            .as(RoundsOptions.class));
    List<Double> single = losses(dir.resolve("single/pretrain"));
    List<Double> rounds = losses(dir.resolve("sync3/pretrain"));
    assertEquals(single.subList(0, 3), rounds.subList(0, 3));
    assertNotEquals(single.subList(3, 6), rounds.subList(3, 6));
    assertEquals(history(dir.resolve("sync3/pretrain")), history(dir.resolve("sync3-p2/pretrain")));
    assertEquals(1, JSON.readTree(dir.resolve("sync3/pretrain/rounds/round-000001/ROUND.json").toFile())
        .path("workers").size());
    JsonNode second = JSON.readTree(dir.resolve("sync3/pretrain/rounds/round-000002/ROUND.json").toFile());
    assertEquals(4, second.path("workers").size(), second.toString());
    // the four workers' inner AdamW continued the synchronous worker's: step counts 3 + 3
    for (int w = 0; w < 4; w++) {
      JsonNode state = JSON.readTree(Files.readAllBytes(
          dir.resolve("sync3/pretrain/rounds/round-000002/workers/w-000" + w + "/state.json")));
      assertEquals(6, state.path("optimizerSteps").asLong(), state.toString());
    }
  }

  @Test
  void theOuterWarmUpStartsFromPlainAveragingAfterTheSynchronousPhase(@TempDir Path dir) throws Exception {
    // one synchronous round, then one of four workers: outer lr 3 warmed up over 2 rounds is 2 there,
    // so the model is that of outer lr 2 without a warm-up, and not that of outer lr 3
    java.util.function.BiFunction<Double, Integer, Recipe> recipe = (lr, warm) -> TinyJob.recipe(null,
        pre -> pre.microBatch(2).workers(4).roundSteps(3).syncSteps(3).outer(Pretrain.Outer.momentum(lr, 0))
            .outerWarmupRounds(warm));
    PipelineOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(RoundsOptions.class);
    runRounds(TinyJob.job(dir.resolve("warm"), recipe.apply(3.0, 2), -1), options);
    runRounds(TinyJob.job(dir.resolve("two"), recipe.apply(2.0, 0), -1), options);
    runRounds(TinyJob.job(dir.resolve("three"), recipe.apply(3.0, 0), -1), options);
    assertEquals(modelSha(dir.resolve("two/pretrain")), modelSha(dir.resolve("warm/pretrain")));
    assertNotEquals(modelSha(dir.resolve("three/pretrain")), modelSha(dir.resolve("warm/pretrain")));
    JsonNode second = JSON.readTree(dir.resolve("warm/pretrain/rounds/round-000002/ROUND.json").toFile());
    assertEquals(2.0, second.path("outerLearningRate").asDouble(), second.toString());
    JsonNode result = JSON.readTree(dir.resolve("warm/pretrain/result.json").toFile());
    assertEquals(2, result.path("rounds").path("outerWarmupRounds").asInt(), result.toString());
  }

  static Recipe fourWorkers() {
    return TinyJob.recipe(null, pre -> pre.microBatch(2).workers(4).roundSteps(3).outer(Pretrain.Outer.nesterov(0.7, 0.9)));
  }

  static List<String> history(Path stage) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode h : JSON.readTree(stage.resolve("result.json").toFile()).path("rounds").path("history")) {
      out.add(h.path("round").asInt() + ":" + h.path("stateSha256").asText());
    }
    return out;
  }

  @Test
  void fourWorkersGiveTheSameRoundsOnEveryRunnerAndParallelism(@TempDir Path dir) throws Exception {
    TrainingJob d1 = TinyJob.job(dir.resolve("d1"), fourWorkers(), -1);
    runRounds(d1, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=1").as(RoundsOptions.class));
    TrainingJob d2 = TinyJob.job(dir.resolve("d2"), fourWorkers(), -1);
    runRounds(d2, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2",
        "--roundsPerPipeline=1").as(RoundsOptions.class));
    TrainingJob f = TinyJob.job(dir.resolve("flink"), fourWorkers(), -1);
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--flinkMaster=[local]", "--parallelism=2")
        .as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    runRounds(f, options);

    List<String> direct = history(dir.resolve("d1/pretrain"));
    assertEquals(3, direct.size(), direct.toString()); // round 0 (initial weights) and two rounds
    assertEquals(direct, history(dir.resolve("d2/pretrain")));
    assertEquals(direct, history(dir.resolve("flink/pretrain")));
    assertEquals(modelSha(dir.resolve("d1/pretrain")), modelSha(dir.resolve("flink/pretrain")));
    assertNotEquals(direct.get(1), direct.get(2));
    // every round scores the global parameters on the holdout: loss and accuracy at <mask> inputs
    for (JsonNode h : JSON.readTree(dir.resolve("d1/pretrain/result.json").toFile()).path("rounds").path("history")) {
      assertTrue(h.path("holdoutLoss").isNumber(), h.toString());
      double atMask = h.path("holdoutAccuracyAtMask").asDouble(-1);
      assertTrue(atMask >= 0 && atMask <= 1, h.toString());
    }
    JsonNode commit = JSON.readTree(dir.resolve("d1/pretrain/rounds/round-000002/ROUND.json").toFile());
    assertEquals(4, commit.path("workers").size(), commit.toString());
    for (JsonNode w : commit.path("workers")) {
      // which kernels each worker trained on, so a byte difference between machines can be traced
      assertTrue(w.path("kernels").asText().startsWith("nd4j-native, FP32"), w.toString());
    }
    assertTrue(commit.path("allReduceBytes").asLong() > commit.path("bytesFromWorkers").asLong(), commit.toString());
    assertEquals(6, losses(dir.resolve("flink/pretrain")).size());
    // on Flink (parallelism 2) the four workers of a round are spread over both subtasks: the task
    // thread's name ends in "(i/2)"
    JsonNode flinkCommit = JSON.readTree(dir.resolve("flink/pretrain/rounds/round-000002/ROUND.json").toFile());
    java.util.Set<String> subtasks = new java.util.TreeSet<>();
    for (JsonNode w : flinkCommit.path("workers")) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\((\\d+)/2\\)").matcher(w.path("thread").asText());
      assertTrue(m.find(), w.toString());
      subtasks.add(m.group(1));
    }
    assertEquals(java.util.Set.of("1", "2"), subtasks, flinkCommit.path("workers").toString());
  }

  @Test
  void shardAffineWorkersReadOnlyTheirOwnShardsAndAgreeAcrossRunners(@TempDir Path dir) throws Exception {
    Recipe affine = TinyJob.recipe(null, pre -> pre.workers(2).roundSteps(3).outer(Pretrain.Outer.nesterov(0.7, 0.9))
        .shardAffine());
    TrainingJob direct = TinyJob.job(dir.resolve("direct"), affine, -1, 3);
    runRounds(direct, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").as(RoundsOptions.class));
    TrainingJob flink = TinyJob.job(dir.resolve("flink"), affine, -1, 3);
    FlinkPipelineOptions options = PipelineOptionsFactory.fromArgs("--flinkMaster=[local]", "--parallelism=2")
        .as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    runRounds(flink, options);
    assertEquals(history(dir.resolve("direct/pretrain")), history(dir.resolve("flink/pretrain")));
    JsonNode commit = JSON.readTree(dir.resolve("direct/pretrain/rounds/round-000002/ROUND.json").toFile());
    assertEquals("[\"train-00000.bin\",\"train-00002.bin\"]", commit.path("workers").get(0).path("shards").toString());
    assertEquals("[\"train-00001.bin\"]", commit.path("workers").get(1).path("shards").toString());

    // the same workers sending BF16 updates: another (deterministic) run, half the bytes back, a close model
    Recipe half = TinyJob.recipe(null, pre -> pre.workers(2).roundSteps(3).outer(Pretrain.Outer.nesterov(0.7, 0.9))
        .shardAffine().bf16Deltas());
    TrainingJob bf16 = TinyJob.job(dir.resolve("bf16"), half, -1, 3);
    runRounds(bf16, PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2").as(RoundsOptions.class));
    JsonNode halfCommit = JSON.readTree(dir.resolve("bf16/pretrain/rounds/round-000002/ROUND.json").toFile());
    assertEquals(commit.path("bytesFromWorkers").asLong() / 2, halfCommit.path("bytesFromWorkers").asLong());
    assertNotEquals(history(dir.resolve("direct/pretrain")), history(dir.resolve("bf16/pretrain")));
    double fullLoss = JSON.readTree(dir.resolve("direct/pretrain/result.json").toFile()).path("holdoutLoss").asDouble();
    double halfLoss = JSON.readTree(dir.resolve("bf16/pretrain/result.json").toFile()).path("holdoutLoss").asDouble();
    assertEquals(fullLoss, halfLoss, 0.01, "holdout loss with BF16 updates");

    // fewer shards than workers is refused before any pipeline runs, naming the counts
    TrainingJob tooFew = TinyJob.job(dir.resolve("few"), affine, -1, 1);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> runRounds(tooFew, PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(RoundsOptions.class)));
    assertTrue(e.getMessage().contains("needs at least one training shard per worker") && e.getMessage().contains("has 1 for 2"),
        e.getMessage());
  }
}
