package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.e2e.cluster.LocalFlinkCluster;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.spec.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer and corpus stages with data and work folder on {@code fakegs://}, run on a real
 * Flink 1.19 session cluster of two TaskManagers ({@link LocalFlinkCluster}, separate JVMs that
 * share the store's folder on this disk): the same bytes as a local-disk run on the DirectRunner.
 *
 * <p>The cluster's JVMs are started with {@code -Dfakegs.root} naming an empty decoy folder, while
 * the jobs carry {@code --fakeGcsRoot} naming the real store: the jobs only succeed if every
 * TaskManager's {@code fakegs} file system was built from the job's deserialized options
 * ({@code SerializablePipelineOptions} calls {@code FileSystems.setDefaultPipelineOptions} as it
 * is read), never from a JVM-wide fallback; the decoy must stay empty. (Full-recipe tests that
 * simply want one store everywhere start the cluster with {@link FakeGcs#jvmFlags()}.)
 */
class FakeGcsClusterTest {
  private static final int TASK_MANAGERS = 2;
  private static final int SLOTS = 2;
  private static final int PARALLELISM = 2;

  @TempDir static Path brownLocal;
  @TempDir static Path localWork;
  private static LocalFlinkCluster cluster;
  private static Path decoy;
  private static String brownFake;
  private static TokenizerRef localTokenizer;
  private static CorpusStage.Result localCorpus;

  @BeforeAll
  static void startClusterAndRunLocally() throws Exception {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path dir = Path.of("target", "flink-cluster", "fakegs-" + stamp).toAbsolutePath();
    decoy = Files.createDirectories(dir.resolve("decoy-store"));
    long t0 = System.nanoTime();
    cluster = LocalFlinkCluster.start(dir, TASK_MANAGERS, SLOTS, Map.of("restart-strategy.type", "none"),
        List.of("-D" + FakeGcsOptions.SYSTEM_PROPERTY + "=" + decoy));
    System.out.printf(Locale.ROOT, "[fakegs] cluster of %d TaskManagers up in %.1f s; logs in %s%n",
        TASK_MANAGERS, (System.nanoTime() - t0) / 1e9, dir);

    FakeGcsStages.copyBrownSubset(brownLocal, 4);
    brownFake = FakeGcs.freshPrefix("data") + "brown/";
    assertEquals(12, FakeGcs.copyIn(brownLocal, brownFake));
    long t1 = System.nanoTime();
    Recipe localRecipe = FakeGcsStages.recipe(brownLocal + "/");
    localTokenizer = RecipeTokenizer.ensure(localRecipe, localWork.toString(), direct(), line -> {});
    localCorpus = CorpusStage.of(localRecipe, localWork.toString(), localTokenizer).run(direct());
    System.out.printf(Locale.ROOT, "[fakegs] local tokenizer + corpus on Direct: %.1f s%n", (System.nanoTime() - t1) / 1e9);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
    o.as(DirectOptions.class).setTargetParallelism(2);
    return o;
  }

  static PipelineOptions flink(String jobName) {
    return PipelineOptionsFactory.fromArgs(
            "--runner=FlinkRunner", "--flinkMaster=" + cluster.master(), "--parallelism=" + PARALLELISM,
            "--jobName=" + jobName, "--filesToStage=" + cluster.emptyJar(), "--fakeGcsRoot=" + FakeGcs.root())
        .create();
  }

  /** The tokenizer stage's pipeline and the corpus stage (local tokenizer file) on the cluster, on fakegs. */
  @Test
  void tokenizerAndCorpusJobsOnTheClusterReadAndWriteFakeGcs() throws Exception {
    try {
      Recipe recipe = FakeGcsStages.recipe(brownFake);
      String work = FakeGcs.freshPrefix("cluster-work");
      FileSystems.setDefaultPipelineOptions(flink("driver"));

      long t0 = System.nanoTime();
      String tokenizerDir = FakeGcsStages.tokenizerDir(recipe, work);
      FakeGcsStages.trainTokenizer(recipe, tokenizerDir, flink("fakegs-tokenizer"));
      long t1 = System.nanoTime();
      FakeGcsStages.assertSameStageFiles(Path.of(localTokenizer.dir()), tokenizerDir, "manifest.json");

      CorpusStage.Result corpus = CorpusStage.of(recipe, work, localTokenizer).run(flink("fakegs-corpus"));
      long t2 = System.nanoTime();
      System.out.printf(Locale.ROOT, "[fakegs] cluster tokenizer job %.1f s, corpus job %.1f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
      assertFalse(corpus.skipped());
      assertTrue(corpus.directory().startsWith("fakegs://"), corpus.directory());
      FakeGcsStages.assertSameStageFiles(Path.of(localCorpus.directory()), corpus.directory());

      try (Stream<Path> inDecoy = Files.walk(decoy)) {
        assertEquals(List.of(decoy), inDecoy.toList(), "a TaskManager used its -D" + FakeGcsOptions.SYSTEM_PROPERTY
            + " fallback instead of the job's --fakeGcsRoot");
      }
      FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath());
    } catch (AssertionError | RuntimeException e) {
      System.err.println(cluster.logs());
      throw e;
    }
  }

  /** The stages as a recipe runs them, on the cluster, all on fakegs. */
  @Test
  void theStagesAsARecipeRunsThemOnTheClusterOnFakeGcs() throws Exception {
    Recipe recipe = FakeGcsStages.recipe(brownFake);
    String work = FakeGcs.freshPrefix("cluster-work");
    TokenizerRef tokenizer = RecipeTokenizer.ensure(recipe, work, flink("fakegs-recipe-tokenizer"), line -> {});
    FakeGcsStages.assertSameStageFiles(Path.of(localTokenizer.dir()), FakeGcsStages.tokenizerDir(recipe, work));
    CorpusStage.Result corpus = CorpusStage.of(recipe, work, tokenizer).run(flink("fakegs-recipe-corpus"));
    FakeGcsStages.assertSameStageFiles(Path.of(localCorpus.directory()), corpus.directory());
    FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath());
  }
}
