package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.e2e.RunRecipeTest;
import io.roberta.e2e.cluster.LocalFlinkCluster;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.runners.run.RecipeRun;
import io.roberta.spec.Recipe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code roberta run} end to end on a real Flink cluster (a JobManager and two TaskManagers, each
 * its own JVM) with data and work folder on {@code fakegs://}, and the TaskManager that trains
 * killed ({@code SIGKILL}) once pretraining has committed a checkpoint: Flink restarts the job on
 * the survivor, the training step resumes from the newest committed checkpoint in the shared
 * store, and every artifact, the model's bytes included, equals an undisturbed local run's.
 */
class FakeGcsRecipeClusterTest {
  @TempDir static Path local;
  private static LocalFlinkCluster cluster;
  private static String brownFake;
  private static Path brown;

  static final int STEPS = 120;
  static final int EVERY = 10;

  @BeforeAll
  static void startCluster() throws Exception {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path dir = Path.of("target", "flink-cluster", "fakegs-recipe-" + stamp).toAbsolutePath();
    cluster = LocalFlinkCluster.start(dir, 2, 2, Map.of(
        "restart-strategy.type", "fixed-delay",
        "restart-strategy.fixed-delay.attempts", "4",
        "restart-strategy.fixed-delay.delay", "2 s"), FakeGcs.jvmFlags());
    brown = Files.createDirectories(local.resolve("brown"));
    FakeGcsStages.copyBrownSubset(brown, 10);
    brownFake = FakeGcs.freshPrefix("cluster-recipe-data") + "brown";
    FakeGcs.copyIn(brown, brownFake + "/");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theWholeRecipeSurvivesTheLossOfTheTrainingTaskManager() throws Exception {
    try {
      Recipe localRecipe = RunRecipeTest.recipe(brown.toString(), STEPS, EVERY);
      RobertaPipelineOptions localOptions = FakeGcsRecipeTest.options(local.resolve("work").toString(), false);
      long t0 = System.nanoTime();
      RecipeRun.run(localRecipe, localOptions, line -> {});
      var reference = RecipeArtifacts.byStage(FakeGcs.localFiles(local.resolve("work").resolve(localRecipe.name())));
      System.out.printf(Locale.ROOT, "[fakegs] undisturbed local run: %.1f s%n", (System.nanoTime() - t0) / 1e9);

      Recipe recipe = RunRecipeTest.recipe(brownFake, STEPS, EVERY);
      String work = FakeGcs.freshPrefix("cluster-recipe-work");
      List<String> args = new ArrayList<>(List.of("--runner=FlinkRunner", "--flinkMaster=" + cluster.master(), "--parallelism=2",
          "--filesToStage=" + cluster.emptyJar(), "--fakeGcsRoot=" + FakeGcs.root(), "--workDir=" + work, "--holdoutBlocks=50"));
      RobertaPipelineOptions options = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(RobertaPipelineOptions.class);
      List<String> log = Collections.synchronizedList(new ArrayList<>());
      long t1 = System.nanoTime();
      CompletableFuture<RecipeRun.Outcome> run = CompletableFuture.supplyAsync(() -> RecipeRun.run(recipe, options, log::add));

      // The TaskManager whose log shows a published checkpoint is the one training.
      String[] training = new String[1];
      cluster.await("a committed pretraining checkpoint", Duration.ofSeconds(600), () -> {
        if (run.isDone()) {
          return true;
        }
        for (String tm : List.of("taskmanager-1", "taskmanager-2")) {
          Path tmLog = cluster.directory().resolve(tm + ".log");
          try {
            if (Files.isRegularFile(tmLog) && Files.readString(tmLog, StandardCharsets.UTF_8).contains("pretrain: checkpoint ")) {
              training[0] = tm;
              return true;
            }
          } catch (java.io.IOException e) {
            return false;
          }
        }
        return false;
      });
      assertFalse(run.isDone(), "the run ended before the training TaskManager could be killed: " + String.join("\n", log));
      cluster.killTaskManager(training[0]);
      System.out.printf(Locale.ROOT, "[fakegs] killed %s (training) %.1f s into the run%n", training[0],
          (System.nanoTime() - t1) / 1e9);

      RecipeRun.Outcome o = run.get(900, TimeUnit.SECONDS);
      assertTrue(o.complete(), String.join("\n", log));
      System.out.printf(Locale.ROOT, "[fakegs] whole recipe on the cluster with a lost TaskManager: %.1f s%n",
          (System.nanoTime() - t1) / 1e9);
      String other = training[0].equals("taskmanager-1") ? "taskmanager-2" : "taskmanager-1";
      String survivorLog = Files.readString(cluster.directory().resolve(other + ".log"), StandardCharsets.UTF_8);
      assertTrue(survivorLog.contains("pretrain: resumed from "), "the restarted training resumed from a checkpoint");
      RecipeArtifacts.assertSame(reference, RecipeArtifacts.byStage(FakeGcs.objects(work + recipe.name() + "/")),
          "cluster run with a lost TaskManager");
      FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath(), local);
    } catch (AssertionError | RuntimeException e) {
      System.err.println(cluster.logs());
      throw e;
    }
  }
}
