package io.roberta.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.spec.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The tokenizer and corpus stages on a real Flink 1.19 session cluster (a JobManager and two
 * TaskManagers, each its own JVM, see {@link LocalFlinkCluster}) give the DirectRunner's bytes;
 * and a corpus job whose TaskManager is killed mid-run restarts on the survivor and still writes
 * exactly the DirectRunner's shards and manifest.
 *
 * <p>The cluster's logs stay under {@code target/flink-cluster/<time>/} and are printed when a
 * test fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterTest {
  private static final Path DATA = Path.of("..", "..", "shared", "data").toAbsolutePath().normalize();
  private static final int TASK_MANAGERS = 2;
  private static final int SLOTS = 2;
  /** Spread over both TaskManagers; the survivor alone still has enough slots for it. */
  private static final int PARALLELISM = 2;
  private static final int RESTART_ATTEMPTS = 4;

  private static LocalFlinkCluster cluster;
  private static Path work;
  private static TokenizerRef directTokenizer;
  private static final Consumer<String> LOG = line -> System.out.println("[test] " + line);

  @BeforeAll
  static void startCluster() throws Exception {
    assertTrue(Files.isDirectory(DATA.resolve("brown")), "the shared data is beside the project: " + DATA);
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path dir = Path.of("target", "flink-cluster", stamp).toAbsolutePath();
    work = Files.createDirectories(dir.resolve("work"));
    long t0 = System.nanoTime();
    cluster = LocalFlinkCluster.start(dir, TASK_MANAGERS, SLOTS, Map.of(
        "restart-strategy.type", "fixed-delay",
        "restart-strategy.fixed-delay.attempts", Integer.toString(RESTART_ATTEMPTS),
        "restart-strategy.fixed-delay.delay", "2 s",
        "metrics.fetcher.update-interval", "1000"));
    LOG.accept(String.format(Locale.ROOT, "cluster of %d TaskManagers up in %.1f s at %s; logs in %s",
        TASK_MANAGERS, (System.nanoTime() - t0) / 1e9, cluster.master(), dir));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A few dozen Brown files: the press reportage (genre a, 44 files). */
  static Recipe smallRecipe() {
    return recipe("cluster-small", DATA + "/brown/ca[0-9][0-9]");
  }

  /** Enough text that a TaskManager can be killed while the job runs: genres a to f, 238 files. */
  static Recipe faultRecipe() {
    return recipe("cluster-fault", DATA + "/brown/c[a-f][0-9][0-9]");
  }

  static Recipe recipe(String name, String brownGlob) {
    return RecipeBuilder.named(name)
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(2_000).minFrequency(2))
        .corpus(Corpus.of(Sources.custom("brown", brownGlob)).minChars(20).holdout(0.05).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).warmupSteps(1).totalSteps(10))
        .build();
  }

  static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
    o.as(DirectOptions.class).setTargetParallelism(2);
    return o;
  }

  static PipelineOptions flink(String jobName) {
    return PipelineOptionsFactory.fromArgs(
            "--runner=FlinkRunner", "--flinkMaster=" + cluster.master(), "--parallelism=" + PARALLELISM,
            "--jobName=" + jobName, "--filesToStage=" + cluster.emptyJar())
        .create();
  }

  static synchronized TokenizerRef directTokenizer() {
    if (directTokenizer == null) {
      directTokenizer = RecipeTokenizer.ensure(smallRecipe(), work.resolve("direct").toString(), direct(), LOG);
    }
    return directTokenizer;
  }

  @Test
  @Order(1)
  void tokenizerAndCorpusStagesOnTheClusterWriteTheDirectRunnersBytes() throws Exception {
    try {
      Recipe recipe = smallRecipe();
      long t0 = System.nanoTime();
      TokenizerRef directTok = directTokenizer();
      CorpusStage.Result directCorpus = CorpusStage.of(recipe, work.resolve("direct").toString(), directTok).run(direct());
      long t1 = System.nanoTime();
      String flinkWork = work.resolve("flink").toString();
      TokenizerRef flinkTok = RecipeTokenizer.ensure(recipe, flinkWork, flink("tokenizer-small"), LOG);
      long t2 = System.nanoTime();
      CorpusStage.Result flinkCorpus = CorpusStage.of(recipe, flinkWork, flinkTok).run(flink("corpus-small"));
      long t3 = System.nanoTime();
      LOG.accept(String.format(Locale.ROOT, "direct tokenizer+corpus %.1f s; cluster tokenizer %.1f s, corpus %.1f s",
          (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9));

      assertFalse(flinkCorpus.skipped());
      for (String name : new String[] {"tokenizer.json", "vocab.json", "merges.txt"}) {
        assertArrayEquals(Files.readAllBytes(Path.of(directTok.dir(), name)), Files.readAllBytes(Path.of(flinkTok.dir(), name)),
            name + " differs between the DirectRunner and the cluster");
      }
      // The manifests name their own tokenizer file (same bytes, checked above, and same sha256).
      assertEquals(withoutTokenizerPath(directCorpus.manifest()), withoutTokenizerPath(flinkCorpus.manifest()));
      assertSameShards(directCorpus, flinkCorpus);
      assertTrue(directCorpus.manifest().path("splits").path("train").path("blocks").asLong() > 100, directCorpus.manifest().toString());
    } catch (AssertionError | RuntimeException e) {
      System.err.println(cluster.logs());
      throw e;
    }
  }

  @Test
  @Order(2)
  void aCorpusJobSurvivesTheLossOfATaskManager() throws Exception {
    try {
      Recipe recipe = faultRecipe();
      TokenizerRef tokenizer = directTokenizer();
      long t0 = System.nanoTime();
      // DJL's encoder (native code) rather than the Java one: the restart on the surviving
      // TaskManager then also shows that the native library survives a second job class loader.
      CorpusStage.Result reference = CorpusStage.of(recipe, work.resolve("direct").toString(), tokenizer).fastEncoder(false).run(direct());
      LOG.accept(String.format(Locale.ROOT, "direct corpus (fault recipe) %.1f s", (System.nanoTime() - t0) / 1e9));

      String jobName = "corpus-fault";
      long t1 = System.nanoTime();
      CompletableFuture<CorpusStage.Result> run = CompletableFuture.supplyAsync(
          () -> CorpusStage.of(recipe, work.resolve("flink").toString(), tokenizer).fastEncoder(false).run(flink(jobName)));

      // Mid-job: documents are being tokenized (the stage's costly step; the metrics lag ~1 s).
      String[] jobId = new String[1];
      cluster.await("job " + jobName + " running with output", Duration.ofSeconds(120), () -> {
        if (run.isDone()) {
          return true;
        }
        JsonNode job = cluster.job(j -> j.path("name").asText().startsWith(jobName));
        if (job == null || !job.path("state").asText().equals("RUNNING")) {
          return false;
        }
        jobId[0] = job.path("jid").asText();
        JsonNode details = cluster.rest("/jobs/" + jobId[0]);
        if (details == null) {
          return false;
        }
        for (JsonNode v : details.path("vertices")) {
          if (v.path("name").asText().contains("SplitAndTokenize") && v.path("metrics").path("read-records").asLong() > 0) {
            return true;
          }
        }
        return false;
      });
      assertFalse(run.isDone(), "the job ended before a TaskManager could be killed; give it more input: " + describe(run));
      double killedAt = (System.nanoTime() - t1) / 1e9;
      cluster.killTaskManager("taskmanager-1");
      LOG.accept(String.format(Locale.ROOT, "killed taskmanager-1 %.1f s after submitting job %s", killedAt, jobId[0]));

      CorpusStage.Result survived;
      try {
        survived = run.get(180, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("the job did not survive the lost TaskManager", e.getCause());
      } catch (TimeoutException e) {
        throw new AssertionError("the job did not finish within 180 s of the kill");
      }
      double total = (System.nanoTime() - t1) / 1e9;
      JsonNode exceptions = cluster.rest("/jobs/" + jobId[0] + "/exceptions");
      int failures = exceptions == null ? -1 : exceptions.path("exceptionHistory").path("entries").size();
      LOG.accept(String.format(Locale.ROOT, "job %s finished %.1f s after submission; %d failure(s) in its exception history",
          jobId[0], total, failures));
      assertTrue(failures >= 1, "the kill must have hit the job (a restart in its history): " + exceptions);
      assertTrue(cluster.isAlive("taskmanager-2"));

      assertEquals(reference.manifest(), survived.manifest(), "the manifest after the restart differs from the DirectRunner's");
      assertSameShards(reference, survived);
      JsonNode docs = survived.manifest().path("documents");
      assertEquals(docs.path("read").asLong(),
          docs.path("kept").asLong() + docs.path("duplicates").asLong() + docs.path("droppedTotal").asLong(),
          "read = kept + duplicates + dropped: " + docs);
    } catch (AssertionError | RuntimeException e) {
      System.err.println(cluster.logs());
      throw e;
    }
  }

  private static String describe(CompletableFuture<?> f) {
    try {
      return String.valueOf(f.getNow(null));
    } catch (RuntimeException e) {
      return e.toString();
    }
  }

  static JsonNode withoutTokenizerPath(JsonNode manifest) {
    ObjectNode copy = manifest.deepCopy();
    ((ObjectNode) copy.path("tokenizer")).remove("path");
    return copy;
  }

  static void assertSameShards(CorpusStage.Result expected, CorpusStage.Result actual) throws IOException {
    Map<String, byte[]> a = shards(Path.of(expected.directory()));
    Map<String, byte[]> b = shards(Path.of(actual.directory()));
    assertEquals(a.keySet(), b.keySet(), "shard files");
    assertFalse(a.isEmpty());
    for (String name : a.keySet()) {
      assertArrayEquals(a.get(name), b.get(name), name + " differs");
    }
    try (var left = Files.list(Path.of(actual.directory()))) {
      assertEquals(java.util.List.of(), left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".tmp-")).toList(),
          "temporary files left behind");
    }
    assertNotNull(actual.manifest());
  }

  static Map<String, byte[]> shards(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".bin")).toList()) {
        out.put(f.getFileName().toString(), Files.readAllBytes(f));
      }
    }
    return out;
  }
}
