package io.roberta.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.PackingSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.SpecException;
import org.junit.jupiter.api.Test;

class RecipeBuilderTest {

  static RecipeBuilder architectureExample() {
    return RecipeBuilder.named("brown-tiny")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(8_000))
        .corpus(Corpus.of(Sources.textFiles("data/brown/*"))
            .dedupe().minChars(20).holdout(0.02).pack(Packing.fullSentences(128)))
        .pretrain(Pretrain.mlm().maskProbability(0.15)
            .batchSize(256).microBatch(32)
            .adamW(0.9, 0.98, 1e-6).weightDecay(0.01)
            .peakLearningRate(5e-4).warmupSteps(100).totalSteps(2_000))
        .finetune(Finetune.classification("brown-genre", 15).maxSequenceLength(128))
        .evaluate(Eval.maskedLm(), Eval.task("brown-genre").shards(8));
  }

  @Test
  void theArchitectureExampleBuilds() {
    Recipe r = architectureExample().build();
    assertEquals(8, r.pretrain().accumulationSteps());
    assertEquals(PackingSpec.Mode.FULL_SENTENCES, r.corpus().packing().mode());
    assertEquals(8, r.eval().tasks().get(1).shards());
    assertEquals(0.8, r.pretrain().masking().maskFraction());
    assertEquals("data-brown", r.corpus().sources().get(0).name());
    assertEquals(r, RecipeJson.read(RecipeJson.write(r), "round-trip"));
  }

  @Test
  void multiWorkerRoundsNeedAllThreePartsAndDefaultTheCheckpointsToRoundEnds() {
    io.roberta.spec.PretrainSpec p = Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(100).warmupSteps(10)
        .workers(4).roundSteps(10).outer(Pretrain.Outer.nesterov(0.7, 0.9)).build();
    assertEquals(new io.roberta.spec.RoundsSpec(4, 10, 0.7, 0.9, true), p.rounds());
    assertEquals(10, p.checkpointInterval());
    assertEquals(10, p.rounds().rounds(100));
    assertNull(Pretrain.mlm().totalSteps(100).warmupSteps(10).build().rounds());
    SpecException e = assertThrows(SpecException.class,
        () -> Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(100).warmupSteps(10).workers(4).build());
    assertTrue(e.getMessage().contains("missing: roundSteps outer"), e.getMessage());
    // a synchronous phase: whole rounds, named when it is not
    io.roberta.spec.PretrainSpec sync = Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(100).warmupSteps(10)
        .workers(4).roundSteps(10).syncSteps(30).outer(Pretrain.Outer.average()).build();
    assertEquals(30, sync.rounds().syncSteps());
    assertEquals(1, sync.rounds().workersIn(3, 100));
    assertEquals(4, sync.rounds().workersIn(4, 100));
    SpecException partial = assertThrows(SpecException.class, () -> Pretrain.mlm().batchSize(64).microBatch(8)
        .totalSteps(100).warmupSteps(10).workers(4).roundSteps(10).syncSteps(25).outer(Pretrain.Outer.average()).build());
    assertTrue(partial.getMessage().contains("pretrain.rounds.syncSteps = 25"), partial.getMessage());
    // the whole schedule may be synchronous even when its last round is shorter
    io.roberta.spec.PretrainSpec all = Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(95).warmupSteps(10)
        .workers(4).roundSteps(10).syncSteps(95).outer(Pretrain.Outer.average()).build();
    assertEquals(1, all.rounds().workersIn(10, 95), "the short last round too");
    assertThrows(SpecException.class, () -> Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(95)
        .warmupSteps(10).workers(4).roundSteps(10).syncSteps(96).outer(Pretrain.Outer.average()).build());
  }

  @Test
  void theOuterLearningRateWarmsUpFromOneOverTheFirstRoundsOfKWorkers() {
    // 3 synchronous rounds, then the outer lr goes 1 -> 2 over 4 rounds: rounds 4..7 use 1.25, 1.5, 1.75, 2
    io.roberta.spec.RoundsSpec r = Pretrain.mlm().batchSize(64).microBatch(8).totalSteps(100).warmupSteps(10)
        .workers(4).roundSteps(10).syncSteps(30).outer(Pretrain.Outer.momentum(2.0, 0.0)).outerWarmupRounds(4)
        .build().rounds();
    assertEquals(4, r.outerWarmupRounds());
    assertEquals(1.25, r.outerLearningRateIn(4));
    assertEquals(1.5, r.outerLearningRateIn(5));
    assertEquals(1.75, r.outerLearningRateIn(6));
    assertEquals(2.0, r.outerLearningRateIn(7));
    assertEquals(2.0, r.outerLearningRateIn(10));
    // without it, every round takes the outer lr; below 1 the way goes down from 1
    io.roberta.spec.RoundsSpec plain = new io.roberta.spec.RoundsSpec(4, 10, 0.7, 0.9, true);
    assertEquals(0.7, plain.outerLearningRateIn(1));
    io.roberta.spec.RoundsSpec down = new io.roberta.spec.RoundsSpec(4, 10, 0.5, 0.9, true, false, false, 0, 2);
    assertEquals(0.75, down.outerLearningRateIn(1));
    assertEquals(0.5, down.outerLearningRateIn(2));
    SpecException e = assertThrows(SpecException.class, () -> Pretrain.mlm().outerWarmupRounds(-2));
    assertTrue(e.getMessage().contains("pretrain.rounds.outerWarmupRounds = -2"), e.getMessage());
    // alone it asks for the rest of the rounds settings
    SpecException alone = assertThrows(SpecException.class,
        () -> Pretrain.mlm().totalSteps(100).warmupSteps(10).outerWarmupRounds(2).build());
    assertTrue(alone.getMessage().contains("missing: workers roundSteps outer"), alone.getMessage());
  }

  @Test
  void theSequenceCurriculumBuildsIntoTheSpecAndIsOffByDefault() {
    io.roberta.spec.PretrainSpec p = Pretrain.mlm().totalSteps(100).warmupSteps(10).sequenceCurriculum(32, 60).build();
    assertEquals(new io.roberta.spec.SequenceCurriculumSpec(32, 60), p.sequenceCurriculum());
    assertNull(Pretrain.mlm().totalSteps(100).warmupSteps(10).build().sequenceCurriculum());
    SpecException e = assertThrows(SpecException.class,
        () -> Pretrain.mlm().totalSteps(100).warmupSteps(10).sequenceCurriculum(32, 101).build());
    assertTrue(e.getMessage().contains("pretrain.sequenceCurriculum.steps"), e.getMessage());
  }

  @Test
  void modelVocabularyFollowsTheTrainedTokenizer() {
    Recipe r = architectureExample().tokenizer(Tokenizer.byteLevelBpe().vocabSize(3_000)).build();
    assertEquals(3_000, r.model().vocabSize());
    assertEquals(2_999, r.model().specialTokens().mask());
  }

  @Test
  void anExplicitVocabularyThatDisagreesIsAnError() {
    SpecException e = assertThrows(SpecException.class,
        () -> architectureExample().model(Roberta.tiny().vocabSize(9_000)).build());
    assertEquals("model.vocabSize", e.field());
    assertTrue(e.getMessage().contains("must equal tokenizer.vocabSize = 8000"), e.getMessage());
  }

  @Test
  void buildingTwiceGivesEqualRecipesAndLeavesBuildersAlone() {
    Roberta model = Roberta.tiny();
    RecipeBuilder b = architectureExample().model(model).tokenizer(Tokenizer.byteLevelBpe().vocabSize(3_000));
    assertEquals(b.build(), b.build());
    assertEquals(8_000, model.build().vocabSize());
  }

  @Test
  void settersRejectAtOnce() {
    assertEquals("model.numHeads", assertThrows(SpecException.class, () -> Roberta.tiny().heads(0)).field());
    assertEquals("corpus.holdoutFraction", assertThrows(SpecException.class, () -> Corpus.of(Sources.textFiles("x")).holdout(1.5)).field());
    assertEquals("schedule.peakLearningRate", assertThrows(SpecException.class, () -> Pretrain.mlm().peakLearningRate(-1)).field());
    assertEquals("optimizer.beta2", assertThrows(SpecException.class, () -> Pretrain.mlm().adamW(0.9, 1.2, 1e-6)).field());
    assertEquals("tokenizer.vocabSize", assertThrows(SpecException.class, () -> Tokenizer.pretrained("t.json").vocabSize(10)).field());
    assertEquals("source.unit", assertThrows(SpecException.class, () -> Sources.jsonLines("x.jsonl", "text").perLine()).field());
    assertEquals("name", assertThrows(SpecException.class, () -> RecipeBuilder.named("Has Spaces")).field());
    assertEquals("eval.tasks[].shards", assertThrows(SpecException.class, () -> Eval.maskedLm().shards(0)).field());
  }

  @Test
  void combinationsAreCheckedAtBuild() {
    SpecException e = assertThrows(SpecException.class,
        () -> architectureExample().pretrain(Pretrain.mlm().batchSize(100).microBatch(32).warmupSteps(10).totalSteps(100)).build());
    assertEquals("pretrain.batchSize", e.field());
    SpecException warm = assertThrows(SpecException.class,
        () -> architectureExample().pretrain(Pretrain.mlm().warmupSteps(500).totalSteps(100)).build());
    assertEquals("schedule.warmupSteps", warm.field());
    SpecException block = assertThrows(SpecException.class,
        () -> architectureExample().corpus(Corpus.of(Sources.textFiles("x")).pack(Packing.fullSentences(512))).build());
    assertEquals("corpus.packing.blockLength", block.field());
    SpecException split = assertThrows(SpecException.class,
        () -> architectureExample().pretrain(Pretrain.mlm().maskSplit(0.8, 0.1, 0.2).warmupSteps(1).totalSteps(10)).build());
    assertEquals("pretrain.masking", split.field());
  }

  @Test
  void defaultCheckpointIntervalFitsShortRunsButAnExplicitOneIsChecked() {
    assertEquals(50, Pretrain.mlm().warmupSteps(5).totalSteps(50).build().checkpointInterval());
    assertThrows(SpecException.class, () -> Pretrain.mlm().warmupSteps(5).totalSteps(50).checkpointEvery(100).build());
  }

  @Test
  void sourcesAndFinetuneDefaults() {
    SourceSpec s = Sources.textFiles("data/moby-dick/*.txt").perParagraph().weight(2).build();
    assertEquals(SourceSpec.DocumentUnit.PARAGRAPH, s.unit());
    assertEquals(2, s.weight());
    assertNull(s.textField());
    FinetuneSpec f = Finetune.regression("stsb").initFrom("models/roberta-base").build();
    assertEquals(1, f.numLabels());
    assertEquals(1e-5, f.learningRate());
    assertEquals(0.06, f.warmupRatio());
    assertEquals(0.1, f.optimizer().weightDecay());
    assertEquals(10, f.epochs());
  }

  @Test
  void finetuneOnlyRecipeFromAPretrainedModel() {
    Recipe r = RecipeBuilder.named("glue-sst2")
        .model(Roberta.base())
        .tokenizer(Tokenizer.pretrained("models/roberta-base"))
        .finetune(Finetune.classification("sst2", 2).initFrom("models/roberta-base").batchSize(32))
        .evaluate(Eval.task("sst2"))
        .build();
    assertNull(r.corpus());
    assertNull(r.pretrain());
  }
}
