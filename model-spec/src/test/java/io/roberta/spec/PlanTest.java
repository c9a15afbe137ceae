package io.roberta.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Stage fingerprints change exactly when the stage or something upstream of it changes. */
class PlanTest {

  static Recipe withPretrain(PretrainSpec pre) {
    Recipe r = TestRecipes.recipe();
    return new Recipe(r.schemaVersion(), r.name(), r.model(), r.tokenizer(), r.corpus(), pre, r.finetune(), r.eval());
  }

  static Recipe withTokenizer(TokenizerSpec tok) {
    Recipe r = TestRecipes.recipe();
    return new Recipe(r.schemaVersion(), r.name(), r.model(), tok, r.corpus(), r.pretrain(), r.finetune(), r.eval());
  }

  @Test
  void stagesComeInDataFlowOrder() {
    List<Stage.Kind> kinds = Plan.compile(TestRecipes.recipe()).stages().stream().map(Stage::kind).toList();
    assertEquals(List.of(Stage.Kind.TOKENIZER, Stage.Kind.CORPUS, Stage.Kind.PRETRAIN, Stage.Kind.FINETUNE, Stage.Kind.EVAL), kinds);
  }

  @Test
  void aPretrainChangeReRunsPretrainAndWhatFollowsOnly() {
    Plan before = Plan.compile(TestRecipes.recipe());
    PretrainSpec p = TestRecipes.pretrain();
    Plan after = Plan.compile(withPretrain(new PretrainSpec(p.batchSize(), p.microBatch(), p.precision(), p.masking(), p.optimizer(),
        new ScheduleSpec(6e-4, 10, 100), p.checkpointInterval(), p.keepCheckpoints(), p.seed(), p.accelerator())));
    assertEquals(before.stages().get(0).fingerprint(), after.stages().get(0).fingerprint());
    assertEquals(before.stages().get(1).fingerprint(), after.stages().get(1).fingerprint());
    for (int i = 2; i < 5; i++) {
      assertNotEquals(before.stages().get(i).fingerprint(), after.stages().get(i).fingerprint(), "stage " + i);
    }
  }

  @Test
  void aTokenizerChangeReRunsEverything() {
    Plan before = Plan.compile(TestRecipes.recipe());
    Plan after = Plan.compile(withTokenizer(TokenizerSpec.byteLevelBpe(1000, 3)));
    for (int i = 0; i < 5; i++) {
      assertNotEquals(before.stages().get(i).fingerprint(), after.stages().get(i).fingerprint(), "stage " + i);
    }
  }

  @Test
  void aRandomInitBaselineIsItsOwnStageAndIndependentOfPretraining() {
    FinetuneSpec g = TestRecipes.genre();
    FinetuneSpec withBaseline = new FinetuneSpec(g.task(), g.head(), g.numLabels(), g.maxSequenceLength(), g.epochs(),
        g.batchSize(), g.learningRate(), g.warmupRatio(), g.optimizer(), g.seed(), g.initFrom(), g.data(), 500, true);
    Recipe r = TestRecipes.recipe();
    Recipe recipe = new Recipe(r.schemaVersion(), r.name(), r.model(), r.tokenizer(), r.corpus(), r.pretrain(),
        List.of(withBaseline), r.eval());
    Plan plan = Plan.compile(recipe);
    assertEquals(List.of("tokenizer", "corpus", "pretrain", "finetune-genre", "finetune-genre-random-init", "eval"),
        plan.stages().stream().map(Stage::directory).toList());
    Stage baseline = plan.stage(Plan.baselineStageName("genre")).orElseThrow();
    assertTrue(plan.stage("eval").orElseThrow().inputs().contains("finetune-genre-random-init/hf/"));

    PretrainSpec p = TestRecipes.pretrain();
    PretrainSpec longer = new PretrainSpec(p.batchSize(), p.microBatch(), p.precision(), p.masking(), p.optimizer(),
        new ScheduleSpec(5e-4, 10, 200), p.checkpointInterval(), p.keepCheckpoints(), p.seed(), p.accelerator());
    Plan after = Plan.compile(new Recipe(r.schemaVersion(), r.name(), r.model(), r.tokenizer(), r.corpus(), longer,
        List.of(withBaseline), r.eval()));
    assertEquals(baseline.fingerprint(), after.stage(Plan.baselineStageName("genre")).orElseThrow().fingerprint(),
        "the random-init baseline does not read the pretrained model");
    assertNotEquals(plan.stage("finetune-genre").orElseThrow().fingerprint(),
        after.stage("finetune-genre").orElseThrow().fingerprint());
  }

  @Test
  void sizesFollowTheRecipe() {
    Plan plan = Plan.compile(TestRecipes.recipe());
    assertEquals(64L * 128, plan.tokensPerStep());
    assertEquals(4, plan.accumulationSteps());
    assertEquals(64L * 128 * 100, plan.totalTokens());
    ModelSpec m = TestRecipes.tinyModel();
    double perToken = m.numLayers() * (8.0 * 64 * 64 + 4.0 * 64 * 128 + 4.0 * 128 * 64) + 0.15 * (2.0 * 64 * 64 + 2.0 * 64 * 1000);
    assertEquals(3 * perToken * plan.totalTokens(), plan.trainingFlops(), 1e-6 * plan.trainingFlops());
    assertEquals("unit-recipe/corpus/" + plan.stages().get(1).fingerprint().substring(0, 12), plan.stages().get(1).relativePath("unit-recipe"));
  }
}
