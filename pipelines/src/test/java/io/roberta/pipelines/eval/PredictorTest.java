package io.roberta.pipelines.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec.Head;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scores to predictions: best span across windows, first-sub-token tags, ties to the lowest label. */
class PredictorTest {

  @Test
  void theBestSpanOverAllWindowsIsCutFromTheContext() {
    String context = "Denver Broncos won";
    TaskExample e = TaskExample.question(0, "q", "who?", context, List.of(new TaskExample.Answer("Denver Broncos", 0)));
    // layout: <s> q </s> </s> ctx... </s>; context starts at token 4
    int[][] offsets1 = {{0, 6}, {6, 14}};
    int[][] offsets2 = {{6, 14}, {14, 18}};
    Feature w1 = new Feature(0, new int[] {0, 9, 2, 2, 20, 21, 2}, -1, Double.NaN, null, null, 0, 0, 4, offsets1);
    Feature w2 = new Feature(0, new int[] {0, 9, 2, 2, 21, 22, 2}, -1, Double.NaN, null, null, 0, 0, 4, offsets2);
    float[] s1 = new float[14];
    float[] s2 = new float[14];
    s1[4] = 3; // start "Denver"
    s1[7 + 5] = 2; // end "Broncos"
    s2[5] = 4; // start "won" in window 2 ...
    s2[7 + 4] = 4; // ... but the end "Broncos" comes before it: not a span
    s2[7 + 5] = 0.5f; // "won" alone scores 4.5 < 5
    Prediction p = Predictor.predict(e, List.of(), List.of(w1, w2), List.of(s1, s2), Head.QUESTION_ANSWERING);
    assertEquals("Denver Broncos", p.predicted());
    assertEquals(List.of("Denver Broncos"), p.goldAnswers());
  }

  @Test
  void wordsTakeTheTagOfTheirFirstSubTokenAndCutOffWordsHaveNone() {
    TaskExample e = TaskExample.tagged(3, "t", List.of("a", "b", "c"), List.of("X", "Y", "X"));
    // tokens: <s> a b1 b2 </s>; "c" fell beyond the limit
    Feature f = new Feature(3, new int[] {0, 5, 6, 7, 2}, -1, Double.NaN, null, new int[] {-1, 0, 1, -1, -1}, 0, 0, -1, null);
    float[] logits = {
      0, 0, // <s>
      1, 0, // a -> X
      0, 1, // b1 -> Y
      5, 0, // b2 ignored
      0, 0};
    Prediction p = Predictor.predict(e, List.of("X", "Y"), List.of(f), List.of(logits), Head.TOKEN_CLASSIFICATION);
    assertEquals(Arrays.asList("X", "Y", null), p.tags());
  }

  @Test
  void tiedLogitsGoToTheLowestLabel() {
    TaskExample e = TaskExample.single(0, "s", "x", "b");
    Feature f = new Feature(0, new int[] {0, 5, 2}, 1, Double.NaN, null, null, 0, 0, -1, null);
    Prediction p = Predictor.predict(e, List.of("a", "b"), List.of(f), List.of(new float[] {0.5f, 0.5f}), Head.SEQUENCE_CLASSIFICATION);
    assertEquals("a", p.predicted());
  }
}
