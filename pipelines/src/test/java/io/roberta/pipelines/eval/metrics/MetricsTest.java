package io.roberta.pipelines.eval.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every metric against cases worked out by hand, ties and degenerate inputs included. */
class MetricsTest {
  private static final double EPS = 1e-12;

  @Test
  void accuracyF1AndMatthewsOfABinaryCase() {
    int[] pred = {1, 0, 1, 1};
    int[] gold = {1, 1, 1, 0};
    assertEquals(0.5, Classification.accuracy(pred, gold), EPS);
    // tp 2, fp 1, fn 1: 2*2 / (4 + 1 + 1)
    assertEquals(4.0 / 6, Classification.f1(pred, gold, 1), EPS);
    // tp 2, tn 0, fp 1, fn 1: (0 - 1) / sqrt(3 * 3 * 1 * 1)
    assertEquals(-1.0 / 3, Classification.matthews(pred, gold, 2), EPS);
  }

  @Test
  void matthewsIsOneForPerfectMinusOneForInvertedZeroForConstant() {
    int[] gold = {0, 1, 1, 0, 1};
    assertEquals(1.0, Classification.matthews(gold, gold, 2), EPS);
    assertEquals(-1.0, Classification.matthews(new int[] {1, 0, 0, 1, 0}, gold, 2), EPS);
    assertEquals(0.0, Classification.matthews(new int[] {1, 1, 1, 1, 1}, gold, 2), EPS);
    // a single class in both gold and predictions
    assertEquals(0.0, Classification.matthews(new int[] {0, 0}, new int[] {0, 0}, 2), EPS);
  }

  @Test
  void matthewsOfThreeClasses() {
    int[] gold = {0, 0, 1, 1, 2, 2};
    int[] pred = {0, 1, 1, 1, 2, 0};
    // c = 4, s = 6, t = (2,2,2), p = (2,3,1): (4*6 - 12) / sqrt((36 - 14) (36 - 12))
    assertEquals(12 / Math.sqrt(22 * 24), Classification.matthews(pred, gold, 3), EPS);
  }

  @Test
  void f1IsZeroWithoutAnyPositive() {
    assertEquals(0.0, Classification.f1(new int[] {0, 0}, new int[] {0, 0}, 1), EPS);
    assertEquals(0.0, Classification.f1(new int[] {0, 0}, new int[] {1, 1}, 1), EPS);
  }

  @Test
  void classificationRejectsMismatchedOrEmptyInput() {
    assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(new int[] {1}, new int[] {1, 0}));
    assertThrows(IllegalArgumentException.class, () -> Classification.accuracy(new int[0], new int[0]));
    assertThrows(IllegalArgumentException.class, () -> Classification.matthews(new int[] {2}, new int[] {0}, 2));
  }

  @Test
  void pearsonOfAHandCase() {
    // dx = (-1, 0, 1), dy = (-7/3, -1/3, 8/3): 5 / (sqrt 2 * sqrt(114)/3)
    assertEquals(15 / Math.sqrt(228), Correlation.pearson(new double[] {1, 2, 3}, new double[] {2, 4, 7}), EPS);
  }

  @Test
  void spearmanAveragesTiedRanks() {
    // ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): 4.5 / sqrt(4.5 * 5)
    assertEquals(4.5 / Math.sqrt(22.5),
        Correlation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}), EPS);
    // a monotone but non-linear relation is a perfect rank correlation
    assertEquals(1.0, Correlation.spearman(new double[] {1, 2, 3, 4}, new double[] {1, 8, 27, 64}), EPS);
  }

  @Test
  void correlationsOfConstantPredictionsAreUndefined() {
    assertTrue(Double.isNaN(Correlation.pearson(new double[] {2, 2, 2}, new double[] {1, 2, 3})));
    assertTrue(Double.isNaN(Correlation.spearman(new double[] {2, 2, 2}, new double[] {1, 2, 3})));
    assertTrue(Double.isNaN(Correlation.pearson(new double[] {1}, new double[] {3})));
  }

  @Test
  void squadNormalizesAsTheOfficialScript() {
    assertEquals("quick brown fox", Squad.normalize("The  Quick, brown fox!"));
    // punctuation is deleted, not replaced by a space
    assertEquals("catshat", Squad.normalize("an cat's-hat"));
    assertEquals("theatre", Squad.normalize("Theatre"));
  }

  @Test
  void squadExactMatchAndF1TakeTheBestGoldAnswer() {
    assertEquals(1.0, Squad.exactMatch("the Broncos", List.of("Denver Broncos", "Broncos")), EPS);
    assertEquals(0.0, Squad.exactMatch("Denver", List.of("Denver Broncos")), EPS);
    // vs "Broncos": P 1/3, R 1 -> 0.5; vs "Denver Broncos": P 2/3, R 1 -> 0.8
    assertEquals(0.8, Squad.f1("Denver Broncos win", List.of("Broncos", "Denver Broncos")), EPS);
    // repeated tokens count once per occurrence: "a b b" vs "b": common 1, P 1/3, R 1
    assertEquals(0.5, Squad.f1("x b b", List.of("b")), EPS);
  }

  @Test
  void squadAnswersThatNormalizeToNothing() {
    // the official script: equal empty strings match exactly but share no token for F1
    assertEquals(1.0, Squad.exactMatch("The", List.of("a")), EPS);
    assertEquals(0.0, Squad.f1("The", List.of("a")), EPS);
  }

  @Test
  void tokenAccuracyAndEntityF1() {
    List<List<String>> gold = List.of(List.of("B-PER", "I-PER", "O", "B-LOC"));
    List<List<String>> pred = List.of(List.of("B-PER", "I-PER", "O", "B-ORG"));
    assertEquals(0.75, Tagging.tokenAccuracy(pred, gold), EPS);
    Tagging.Entities e = Tagging.entities(pred, gold);
    assertEquals(new Tagging.Entities(1, 2, 2), e);
    assertEquals(0.5, e.f1(), EPS);
  }

  @Test
  void entityBoundariesFollowConlleval() {
    assertEquals(List.of(new Tagging.Chunk("PER", 1, 2)), Tagging.chunks(List.of("O", "I-PER", "I-PER", "O")));
    assertEquals(List.of(new Tagging.Chunk("PER", 0, 0), new Tagging.Chunk("LOC", 1, 1)),
        Tagging.chunks(List.of("B-PER", "I-LOC")));
    assertEquals(List.of(new Tagging.Chunk("PER", 0, 0), new Tagging.Chunk("PER", 1, 2)),
        Tagging.chunks(List.of("B-PER", "B-PER", "I-PER")));
    // a partly right span is wrong
    Tagging.Entities e = Tagging.entities(List.of(List.of("B-PER", "O")), List.of(List.of("B-PER", "I-PER")));
    assertEquals(0.0, e.f1(), EPS);
  }

  @Test
  void entityF1WithoutEntitiesIsZero() {
    List<List<String>> allO = List.of(List.of("O", "O"));
    assertEquals(0.0, Tagging.entities(allO, allO).f1(), EPS);
    assertEquals(1.0, Tagging.tokenAccuracy(allO, allO), EPS);
    assertTrue(Tagging.isEntityTagSet(List.of("O", "B-X", "I-X")));
    assertTrue(!Tagging.isEntityTagSet(List.of("NN", "VB")));
  }
}
