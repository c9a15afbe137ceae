package io.roberta.runners.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RoundsSpec;
import io.roberta.spec.SequenceCurriculumSpec;
import org.junit.jupiter.api.Test;

/** The benchmark's variants of a recipe keep what they do not change, the sequence curriculum included. */
class RoundsBenchVariantTest {

  private static Recipe recipe(boolean curriculum) {
    Pretrain p = Pretrain.mlm().batchSize(16).microBatch(16).warmupSteps(10).totalSteps(1_000);
    if (curriculum) {
      p.sequenceCurriculum(16, 500);
    }
    return RecipeBuilder.named("variant")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(1_000))
        .corpus(Corpus.of(Sources.textFiles("data/*.txt")).holdout(0.05).pack(Packing.fullSentences(128)))
        .pretrain(p)
        .build();
  }

  @Test
  void aShorterScheduleKeepsTheCurriculumsShareAndRoundsKeepItToo() {
    Recipe v = RoundsBench.variant(recipe(true), 300, 18, 16, 4, null, 100);
    assertEquals(new SequenceCurriculumSpec(16, 150), v.pretrain().sequenceCurriculum());
    assertEquals(300, v.pretrain().schedule().totalSteps());
    assertEquals(18, v.pretrain().seed());
    Recipe r = RoundsBench.variant(recipe(true), 300, 17, 16, 4, new RoundsSpec(4, 50, 1.0, 0.0, false), 300);
    assertEquals(new SequenceCurriculumSpec(16, 150), r.pretrain().sequenceCurriculum());
    assertEquals(4, r.pretrain().workers());
    assertNull(RoundsBench.variant(recipe(false), 300, 17, 16, 4, null, 100).pretrain().sequenceCurriculum());
  }
}
