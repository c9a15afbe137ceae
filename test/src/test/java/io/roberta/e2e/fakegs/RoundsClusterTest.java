package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.e2e.cluster.LocalFlinkCluster;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.spec.Recipe;
import io.roberta.spec.SpecialTokens;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-worker pretraining in rounds (4 workers, 3 rounds) with data and work folder on {@code
 * fakegs://}: the committed rounds' SHA-256s and the exported model are the same on the
 * DirectRunner (parallelism 1 and 2), embedded Flink and a real Flink cluster (a JobManager and two
 * TaskManagers, each its own JVM, 2 slots each); and on the cluster, a TaskManager killed with
 * SIGKILL in the middle of a round's inner training changes nothing in the result.
 */
class RoundsClusterTest {
  static final int VOCAB = 300;
  static final int BLOCK = 32;
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path local;
  private static LocalFlinkCluster cluster;
  private static Path pauseMarker;
  static String data;
  static List<String> reference;
  static String referenceModel;

  static Recipe recipe() {
    return RecipeBuilder.named("rounds")
        .model(Roberta.custom(VOCAB, 32, 2, 4, 64, BLOCK + 8).specialTokens(SpecialTokens.roberta(VOCAB)))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(VOCAB))
        .corpus(Corpus.of(Sources.textFiles("unused/*.txt")).holdout(0.1).pack(Packing.fullSentences(BLOCK)))
        .pretrain(Pretrain.mlm().batchSize(16).microBatch(4).peakLearningRate(1e-3).warmupSteps(3).totalSteps(30)
            .seed(5).workers(4).roundSteps(10).outer(Pretrain.Outer.nesterov(0.7, 0.9)))
        .build();
  }

  /** Synthetic token blocks ({@code <s> a b a b ... </s>}) as a UINT16 shard. */
  static byte[] shard(int blocks, long seed) {
    ByteBuffer buf = ByteBuffer.allocate(blocks * BLOCK * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(seed);
    for (int b = 0; b < blocks; b++) {
      int[] pair = {4 + r.nextInt(VOCAB - 6), 4 + r.nextInt(VOCAB - 6)};
      buf.putShort((short) 0);
      for (int i = 1; i < BLOCK - 1; i++) {
        buf.putShort((short) pair[i % 2]);
      }
      buf.putShort((short) 2);
    }
    return buf.array();
  }

  @BeforeAll
  static void dataAndCluster() throws Exception {
    data = FakeGcs.freshPrefix("rounds-data");
    FakeGcs.write(data + "corpus/train-00000.bin", shard(96, 1));
    FakeGcs.write(data + "corpus/train-00001.bin", shard(64, 2));
    FakeGcs.write(data + "corpus/holdout-00000.bin", shard(8, 3));
    FakeGcs.write(data + "tokenizer/tokenizer.json", "{\"version\":\"1.0\"}".getBytes(StandardCharsets.UTF_8));
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path dir = Path.of("target", "flink-cluster", "rounds-" + stamp).toAbsolutePath();
    pauseMarker = local.resolve("paused-pid");
    List<String> flags = new ArrayList<>(FakeGcs.jvmFlags());
    // the first worker to finish global step 15 (round 2 covers steps 11..20) waits there to be killed
    flags.add("-Droberta.pauseAt=inner-step:15");
    flags.add("-Droberta.pauseMarker=" + pauseMarker);
    cluster = LocalFlinkCluster.start(dir, 2, 2, Map.of(
        "restart-strategy.type", "fixed-delay",
        "restart-strategy.fixed-delay.attempts", "4",
        "restart-strategy.fixed-delay.delay", "2 s"), flags);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static RobertaPipelineOptions options(String work, String... runner) {
    List<String> args = new ArrayList<>(List.of(runner));
    args.add("--workDir=" + work);
    args.add("--fakeGcsRoot=" + FakeGcs.root());
    return PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(RobertaPipelineOptions.class);
  }

  /** Runs the pretraining stage; returns the rounds' "round:stateSha256" list and the model's SHA-256. */
  static List<String> run(String label, RobertaPipelineOptions options) throws Exception {
    FileSystems.setDefaultPipelineOptions(options);
    CorpusOutput corpus = CorpusOutput.ofFiles(List.of(data + "corpus/train-00000.bin", data + "corpus/train-00001.bin"),
        List.of(data + "corpus/holdout-00000.bin"), "UINT16", BLOCK);
    long t0 = System.nanoTime();
    PretrainStage.Result r = PretrainStage.run(recipe(), options.getWorkDir(), corpus,
        TokenizerRef.of(data + "tokenizer"), options, -1, 8, null);
    System.out.printf(Locale.ROOT, "[rounds] %s: %.1f s%n", label, (System.nanoTime() - t0) / 1e9);
    JsonNode result = JSON.readTree(FakeGcs.read(r.directory() + "/result.json"));
    List<String> out = new ArrayList<>();
    for (JsonNode h : result.path("rounds").path("history")) {
      out.add(h.path("round").asInt() + ":" + h.path("stateSha256").asText());
    }
    out.add("model:" + io.roberta.pipelines.stage.Artifacts.sha256(FakeGcs.read(r.directory() + "/hf/model.safetensors")));
    return out;
  }

  static synchronized List<String> reference() throws Exception {
    if (reference == null) {
      String work = FakeGcs.freshPrefix("rounds-direct1");
      RobertaPipelineOptions o = options(work, "--runner=DirectRunner");
      o.as(DirectOptions.class).setTargetParallelism(1);
      reference = run("DirectRunner, parallelism 1", o);
      assertEquals(5, reference.size(), reference.toString()); // rounds 0..3 and the model
    }
    return reference;
  }

  @Test
  void theSameRoundsOnTheDirectRunnerEmbeddedFlinkAndTheCluster() throws Exception {
    List<String> expected = reference();
    RobertaPipelineOptions d2 = options(FakeGcs.freshPrefix("rounds-direct2"), "--runner=DirectRunner",
        "--roundsPerPipeline=1");
    d2.as(DirectOptions.class).setTargetParallelism(2);
    assertEquals(expected, run("DirectRunner, parallelism 2, one pipeline per round", d2));
    assertEquals(expected, run("embedded Flink", options(FakeGcs.freshPrefix("rounds-flink"), "--runner=FlinkRunner",
        "--flinkMaster=[local]", "--parallelism=2")));
    // the cluster: no pause here (the marker exists), the rounds only
    Files.writeString(pauseMarker, "none");
    try {
      assertEquals(expected, run("Flink cluster", clusterOptions(FakeGcs.freshPrefix("rounds-cluster"))));
    } finally {
      Files.delete(pauseMarker);
    }
  }

  static RobertaPipelineOptions clusterOptions(String work) {
    return options(work, "--runner=FlinkRunner", "--flinkMaster=" + cluster.master(), "--parallelism=4",
        "--filesToStage=" + cluster.emptyJar());
  }

  @Test
  void aTaskManagerKilledDuringInnerTrainingChangesNothing() throws Exception {
    List<String> expected = reference();
    String work = FakeGcs.freshPrefix("rounds-kill");
    CompletableFuture<List<String>> run = CompletableFuture.supplyAsync(() -> {
      try {
        return run("Flink cluster, a TaskManager killed in round 2", clusterOptions(work));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    try {
      cluster.await("a TaskManager paused in inner training", Duration.ofSeconds(600),
          () -> run.isDone() || Files.isRegularFile(pauseMarker) && readPid() > 0);
      assertFalse(run.isDone(), "the run ended before a TaskManager paused");
      long pid = readPid();
      String victim = cluster.taskManagerWithPid(pid);
      assertNotNull(victim, "pid " + pid + " is no TaskManager of the cluster");
      cluster.killTaskManager(victim);
      cluster.startTaskManager(); // a replacement, so the restarted job finds its 4 slots
      System.out.printf(Locale.ROOT, "[rounds] killed %s (pid %d) inside round 2's inner training%n", victim, pid);
      List<String> got = run.get(900, TimeUnit.SECONDS);
      assertEquals(expected, got);
      // round 2 was trained again after the kill: none of its workers ran in the killed process
      JsonNode round2 = JSON.readTree(FakeGcs.read(work + "rounds/pretrain/" + stageFolder(work)
          + "/rounds/round-000002/ROUND.json"));
      TreeSet<String> processes = new TreeSet<>();
      for (JsonNode w : round2.path("workers")) {
        processes.add(w.path("process").asText().split("@")[0]);
      }
      assertFalse(processes.contains(String.valueOf(pid)), round2.path("workers").toString());
    } catch (AssertionError | RuntimeException e) {
      System.err.println(cluster.logs());
      throw e;
    }
  }

  static long readPid() {
    try {
      String s = Files.readString(pauseMarker).trim();
      return s.matches("\\d+") ? Long.parseLong(s) : -1;
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  static String stageFolder(String work) throws Exception {
    for (String name : FakeGcs.objects(work + "rounds/pretrain/").keySet()) {
      return name.split("/")[0];
    }
    throw new AssertionError("no pretraining stage under " + work);
  }
}
