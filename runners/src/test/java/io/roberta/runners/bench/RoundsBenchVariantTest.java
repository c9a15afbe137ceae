package io.roberta.runners.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Set;
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
    // a schedule too short for the share keeps one step of pieces, never zero
    assertEquals(new SequenceCurriculumSpec(16, 1), new SequenceCurriculumSpec(16, 500).scaledTo(1_000, 1));
  }

  @Test
  void innerLearningRatesMultiplyTheDilocoSettingsAndKindsFilterTheRuns() {
    Recipe base = recipe(true);
    RoundsBench.Grid all = new RoundsBench.Grid(300, List.of(17L, 18L), 4, List.of(50), List.of(1.0), 0, 4,
        List.of(0.001, 0.004), RoundsBench.KINDS, List.of());
    List<RoundsBench.Run> runs = RoundsBench.runs(base, all);
    // baseline 17, floor, DiLoCo at 1e-3, baseline 18, DiLoCo at 4e-3
    assertEquals(List.of("baseline", "floor", "diloco", "baseline", "diloco"),
        runs.stream().map(RoundsBench.Run::kind).toList());
    assertEquals(0.001, runs.get(2).recipe().pretrain().schedule().peakLearningRate());
    assertEquals(0.004, runs.get(4).recipe().pretrain().schedule().peakLearningRate());
    assertTrue(runs.get(4).label().endsWith("inner lr 0.00400"), runs.get(4).label());
    // the baselines and the floor keep the recipe's rate
    double recipeLr = base.pretrain().schedule().peakLearningRate();
    assertEquals(recipeLr, runs.get(0).recipe().pretrain().schedule().peakLearningRate());
    assertEquals(recipeLr, runs.get(1).recipe().pretrain().schedule().peakLearningRate());

    RoundsBench.Grid onlyDiloco = new RoundsBench.Grid(300, List.of(17L, 18L), 4, List.of(50), List.of(1.0), 0, 4,
        List.of(), Set.of("diloco"), List.of());
    List<RoundsBench.Run> d = RoundsBench.runs(base, onlyDiloco);
    assertEquals(1, d.size());
    assertEquals(recipeLr, d.get(0).recipe().pretrain().schedule().peakLearningRate());
    assertEquals("DiLoCo K=4 H=50 outer lr 1.0, no momentum", d.get(0).label());
    assertEquals(0, d.get(0).recipe().pretrain().rounds().syncSteps());

    // a synchronous phase is a grid axis too
    RoundsBench.Grid sync = new RoundsBench.Grid(300, List.of(17L), 4, List.of(50), List.of(1.0), 0, 4,
        List.of(), Set.of("diloco"), List.of(0, 100));
    List<RoundsBench.Run> s = RoundsBench.runs(base, sync);
    assertEquals(List.of(0, 100), s.stream().map(r -> r.recipe().pretrain().rounds().syncSteps()).toList());
    assertTrue(s.get(1).label().endsWith("steps 1-100 synchronous"), s.get(1).label());

    // and so is the outer lr's warm-up after it
    RoundsBench.Grid warm = new RoundsBench.Grid(300, List.of(17L), 4, List.of(50), List.of(2.0), 0, 4,
        List.of(), Set.of("diloco"), List.of(100), List.of(0, 3));
    List<RoundsBench.Run> w = RoundsBench.runs(base, warm);
    assertEquals(List.of(0, 3), w.stream().map(r -> r.recipe().pretrain().rounds().outerWarmupRounds()).toList());
    assertEquals("DiLoCo K=4 H=50 outer lr 2.0, no momentum, from 1 over 3 rounds, steps 1-100 synchronous",
        w.get(1).label());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RoundsBench.Grid(300,
        List.of(17L), 4, List.of(50), List.of(1.0), 0, 4, List.of(), Set.of("baselines"), List.of()));
    assertTrue(e.getMessage().contains("'baselines'") && e.getMessage().contains("diloco"), e.getMessage());
  }
}
