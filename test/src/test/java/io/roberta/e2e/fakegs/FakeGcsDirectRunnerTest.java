package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.spec.Recipe;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tokenizer and corpus stages with their data and work folder on {@code fakegs://} (a store
 * with GCS's semantics, {@link FakeGcsFileSystem}) on the DirectRunner, parallelism 2, immutability
 * and encodability enforced: every file they write is the local-disk run's, byte for byte, and
 * nothing lands on local disk.
 */
class FakeGcsDirectRunnerTest {
  @TempDir static Path brownLocal;
  @TempDir static Path localWork;
  private static String brownFake;
  private static Recipe localRecipe;
  private static TokenizerRef localTokenizer;
  private static CorpusStage.Result localCorpus;

  static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--fakeGcsRoot=" + FakeGcs.root()).create();
    DirectOptions d = o.as(DirectOptions.class);
    d.setTargetParallelism(2);
    d.setEnforceImmutability(true);
    d.setEnforceEncodability(true);
    return o;
  }

  /** The reference: both stages on local disk. */
  @BeforeAll
  static void localRunAndDataOnFakeGcs() throws Exception {
    FakeGcsStages.copyBrownSubset(brownLocal, 10);
    brownFake = FakeGcs.freshPrefix("data") + "brown/";
    assertEquals(30, FakeGcs.copyIn(brownLocal, brownFake));
    long t0 = System.nanoTime();
    localRecipe = FakeGcsStages.recipe(brownLocal + "/");
    localTokenizer = RecipeTokenizer.ensure(localRecipe, localWork.toString(), direct(), line -> {});
    localCorpus = CorpusStage.of(localRecipe, localWork.toString(), localTokenizer).run(direct());
    System.out.printf(Locale.ROOT, "[fakegs] local tokenizer + corpus on Direct: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertTrue(localCorpus.manifest().path("splits").path("train").path("blocks").asLong() > 10, localCorpus.manifest().toString());
  }

  /**
   * What works before issue 13's staging: the tokenizer stage's pipeline reads the Brown files
   * from {@code fakegs://} and writes its three files there; the corpus stage reads the same files
   * and writes its shards and manifest there (its tokenizer still a local file, as the stage's
   * API takes a {@code Path}); a second run finds the manifest and skips.
   */
  @Test
  void tokenizerAndCorpusPipelinesReadAndWriteFakeGcs() throws Exception {
    PipelineOptions options = direct();
    FileSystems.setDefaultPipelineOptions(options);
    Recipe recipe = FakeGcsStages.recipe(brownFake);
    String work = FakeGcs.freshPrefix("work");

    long t0 = System.nanoTime();
    String tokenizerDir = FakeGcsStages.tokenizerDir(recipe, work);
    FakeGcsStages.trainTokenizer(recipe, tokenizerDir, options);
    FakeGcsStages.assertSameStageFiles(Path.of(localTokenizer.dir()), tokenizerDir, "manifest.json");

    CorpusStage.Result corpus = CorpusStage.of(recipe, work, localTokenizer).run(options);
    assertFalse(corpus.skipped());
    assertTrue(corpus.directory().startsWith("fakegs://"), corpus.directory());
    FakeGcsStages.assertSameStageFiles(Path.of(localCorpus.directory()), corpus.directory());
    System.out.printf(Locale.ROOT, "[fakegs] fakegs tokenizer + corpus on Direct: %.1f s%n", (System.nanoTime() - t0) / 1e9);

    CorpusStage.Result again = CorpusStage.of(recipe, work, localTokenizer).run(options);
    assertTrue(again.skipped(), "the second run finds the manifest on fakegs");
    assertEquals(corpus.manifest(), again.manifest());
    FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath());
  }

  /**
   * The stages as a recipe runs them ({@code RecipeTokenizer.ensure}, then the corpus stage with
   * the tokenizer it returns), all on {@code fakegs://}.
   */
  @Test
  void theStagesAsARecipeRunsThemOnFakeGcs() throws Exception {
    PipelineOptions options = direct();
    Recipe recipe = FakeGcsStages.recipe(brownFake);
    String work = FakeGcs.freshPrefix("work");

    TokenizerRef tokenizer = RecipeTokenizer.ensure(recipe, work, options, line -> {});
    assertTrue(tokenizer.dir().startsWith("fakegs://"), tokenizer.dir());
    FakeGcsStages.assertSameStageFiles(Path.of(localTokenizer.dir()), FakeGcsStages.tokenizerDir(recipe, work));
    CorpusStage.Result corpus = CorpusStage.of(recipe, work, tokenizer).run(options);
    FakeGcsStages.assertSameStageFiles(Path.of(localCorpus.directory()), corpus.directory());
    FakeGcsStages.assertNoStrays(Path.of("").toAbsolutePath());
  }
}
