package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.e2e.RunRecipeTest;
import io.roberta.pipelines.run.RunReport;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.runners.run.RecipeRun;
import io.roberta.spec.Recipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole recipe of {@code RunRecipeTest} (tokenizer, corpus, pretraining, two fine-tunings
 * with random-init baselines, sharded evaluation, report) with its data and work folder on {@code
 * fakegs://}, a store with Cloud Storage's semantics: on the DirectRunner (parallelism 2,
 * immutability and encodability enforced) and on embedded Flink. Every artifact equals a
 * local-disk run's ({@link RecipeArtifacts}), nothing lands on local disk but the staging folder,
 * whose scratch space is empty afterwards, and a second run skips every stage.
 */
class FakeGcsRecipeTest {
  @TempDir static Path local;
  @TempDir static Path staging;
  static String previousStaging;
  static Map<String, byte[]> reference;
  static String brownFake;

  @BeforeAll
  static void localReference() throws Exception {
    previousStaging = System.setProperty("roberta.staging", staging.toString());
    Path brown = Files.createDirectories(local.resolve("brown"));
    FakeGcsStages.copyBrownSubset(brown, 10);
    brownFake = FakeGcs.freshPrefix("recipe-data") + "brown";
    FakeGcs.copyIn(brown, brownFake + "/");
    long t0 = System.nanoTime();
    Recipe recipe = RunRecipeTest.recipe(brown.toString());
    RecipeRun.Outcome o = RecipeRun.run(recipe, options(local.resolve("work").toString(), false), line -> {});
    assertTrue(o.complete());
    reference = RecipeArtifacts.byStage(FakeGcs.localFiles(local.resolve("work").resolve(recipe.name())));
    System.out.printf(Locale.ROOT, "[fakegs] whole recipe on local disk: %.1f s, %d files%n", (System.nanoTime() - t0) / 1e9,
        reference.size());
  }

  @AfterAll
  static void restoreStaging() {
    if (previousStaging == null) {
      System.clearProperty("roberta.staging");
    } else {
      System.setProperty("roberta.staging", previousStaging);
    }
  }

  static RobertaPipelineOptions options(String work, boolean enforce, String... runner) {
    List<String> args = new ArrayList<>(List.of(runner));
    args.add("--workDir=" + work);
    args.add("--holdoutBlocks=50");
    args.add("--fakeGcsRoot=" + FakeGcs.root());
    RobertaPipelineOptions o = PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).as(RobertaPipelineOptions.class);
    DirectOptions d = o.as(DirectOptions.class);
    d.setTargetParallelism(2);
    d.setEnforceImmutability(enforce);
    d.setEnforceEncodability(enforce);
    return o;
  }

  static void runOnFakeGcs(String label, RobertaPipelineOptions options, String work) throws Exception {
    Recipe recipe = RunRecipeTest.recipe(brownFake);
    long t0 = System.nanoTime();
    List<String> log = new ArrayList<>();
    RecipeRun.Outcome o = RecipeRun.run(recipe, options, log::add);
    assertTrue(o.complete(), String.join("\n", log));
    assertTrue(o.report().startsWith("fakegs://"), o.report());
    System.out.printf(Locale.ROOT, "[fakegs] whole recipe on %s: %.1f s%n", label, (System.nanoTime() - t0) / 1e9);
    Map<String, byte[]> files = RecipeArtifacts.byStage(FakeGcs.objects(work + recipe.name() + "/"));
    RecipeArtifacts.assertSame(reference, files, label);
    assertTrue(FakeGcs.read(work + recipe.name() + "/" + RunReport.FILE).length > 100);

    RecipeRun.Outcome again = RecipeRun.run(recipe, options, log::add);
    assertTrue(again.stages().stream().allMatch(RunReport.StageRun::skipped), again.stages().toString());
    assertEquals(o.evalManifest(), again.evalManifest());

    FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath(), local);
    try (Stream<Path> left = Files.walk(staging)) {
      assertEquals(List.of(), left.filter(p -> p.toString().contains("/scratch/") && Files.isRegularFile(p)).toList(),
          "scratch files left in the staging folder");
    }
  }

  @Test
  void theWholeRecipeOnFakeGcsOnTheDirectRunner() throws Exception {
    String work = FakeGcs.freshPrefix("recipe-direct");
    runOnFakeGcs("DirectRunner", options(work, true), work);
  }

  @Test
  void theWholeRecipeOnFakeGcsOnEmbeddedFlink() throws Exception {
    String work = FakeGcs.freshPrefix("recipe-flink");
    runOnFakeGcs("embedded Flink", options(work, false, "--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"), work);
  }
}
