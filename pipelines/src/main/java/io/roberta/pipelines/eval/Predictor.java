package io.roberta.pipelines.eval;

import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.tasks.TaskExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a head's raw scores into a {@link Prediction}: the arg-max label, the regression value,
 * each word's tag from its first sub-token, or the best answer span over all QA windows (start
 * not after end, at most {@value #MAX_ANSWER_TOKENS} tokens, inside the context; highest start +
 * end logit), the highest-scoring choice. Ties go to the lowest label or earliest span, so the result never depends on order.
 */
public final class Predictor {
  static final int MAX_ANSWER_TOKENS = 30;

  private Predictor() {}

  /** {@code features} and {@code scores} are the example's features, in order, and their scores. */
  public static Prediction predict(TaskExample e, List<String> labels, List<Feature> features, List<float[]> scores,
      io.roberta.spec.FinetuneSpec.Head head) {
    for (float[] s : scores) {
      for (int i = 0; i < s.length; i++) {
        if (!Float.isFinite(s[i])) {
          // an arg-max over NaN is label 0: a plausible, wrong score
          throw new NonFiniteScoreException("the model scored example " + e.id() + " with "
              + s[i] + " at output " + i + "; its weights overflow on this input, so no metric"
              + " of this evaluation can be trusted");
        }
      }
    }
    return switch (head) {
      case SEQUENCE_CLASSIFICATION -> new Prediction(e.index(), e.id(), labels.get(argMax(scores.get(0), 0, scores.get(0).length)),
          e.label(), Double.NaN, Double.NaN, null, null, null);
      case REGRESSION -> new Prediction(e.index(), e.id(), null, null, scores.get(0)[0], e.score(), null, null, null);
      case TOKEN_CLASSIFICATION -> tags(e, labels, features.get(0), scores.get(0));
      case QUESTION_ANSWERING -> answer(e, features, scores);
      case MULTIPLE_CHOICE -> new Prediction(e.index(), e.id(),
          labels.get(argMax(scores.get(0), 0, scores.get(0).length)), e.label(), Double.NaN, Double.NaN, null, null, null);
    };
  }

  private static Prediction tags(TaskExample e, List<String> labels, Feature f, float[] logits) {
    String[] tags = new String[e.words().size()];
    int l = labels.size();
    for (int t = 0; t < f.length(); t++) {
      int w = f.wordOfToken()[t];
      if (w >= 0) {
        tags[w] = labels.get(argMax(logits, t * l, l));
      }
    }
    return new Prediction(e.index(), e.id(), null, null, Double.NaN, Double.NaN,
        Arrays.asList(tags), e.tags(), null);
  }

  private static Prediction answer(TaskExample e, List<Feature> features, List<float[]> scores) {
    double best = Double.NEGATIVE_INFINITY;
    String text = "";
    for (int i = 0; i < features.size(); i++) {
      Feature f = features.get(i);
      float[] s = scores.get(i);
      int len = f.length();
      int lastContext = len - 2; // before the closing </s>
      for (int a = f.contextStart(); a <= lastContext; a++) {
        for (int b = a; b <= Math.min(lastContext, a + MAX_ANSWER_TOKENS - 1); b++) {
          double score = s[a] + s[len + b];
          if (score > best) {
            best = score;
            int[][] off = f.charOffsets();
            text = e.textB().substring(off[a - f.contextStart()][0], off[b - f.contextStart()][1]);
          }
        }
      }
    }
    List<String> gold = e.answers() == null ? null : new ArrayList<>(e.answers().stream().map(TaskExample.Answer::text).toList());
    return new Prediction(e.index(), e.id(), text, null, Double.NaN, Double.NaN, null, null, gold);
  }

  private static int argMax(float[] x, int from, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (x[from + i] > x[from + best]) {
        best = i;
      }
    }
    return best;
  }
}
