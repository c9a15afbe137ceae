package io.roberta.pipelines.eval;

import io.roberta.pipelines.eval.metrics.Classification;
import io.roberta.pipelines.eval.metrics.Correlation;
import io.roberta.pipelines.eval.metrics.Squad;
import io.roberta.pipelines.eval.metrics.Tagging;
import io.roberta.pipelines.tasks.Rejected;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores of one task over all its predictions, computed from the predictions sorted by
 * example index, so any split into shards gives the same numbers to the last bit.
 *
 * @param metrics name to value; NaN where a metric is undefined (constant predictions)
 * @param notes facts a reader must see next to the scores (rejected rows, truncated words)
 */
public record TaskReport(String task, String head, long examples, Map<String, Double> metrics, List<String> notes,
    List<Rejected> rejected) implements Serializable {

  /** Scores {@code sorted} (by index) predictions of {@code task}. */
  public static TaskReport score(EvalTask task, List<Prediction> sorted) {
    Map<String, Double> m = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    int n = sorted.size();
    if (n == 0) {
      throw new IllegalStateException("task " + task.task() + ": no examples reached the scorer");
    }
    switch (task.head()) {
      case SEQUENCE_CLASSIFICATION -> {
        int[] pred = new int[n];
        int[] gold = new int[n];
        for (int i = 0; i < n; i++) {
          pred[i] = task.labels().indexOf(sorted.get(i).predicted());
          gold[i] = task.labels().indexOf(sorted.get(i).gold());
        }
        m.put("accuracy", Classification.accuracy(pred, gold));
        if (task.labels().size() == 2) {
          m.put("f1", Classification.f1(pred, gold, 1));
        }
        m.put("matthews", Classification.matthews(pred, gold, task.labels().size()));
      }
      case REGRESSION -> {
        double[] pred = sorted.stream().mapToDouble(Prediction::value).toArray();
        double[] gold = sorted.stream().mapToDouble(Prediction::goldValue).toArray();
        m.put("pearson", Correlation.pearson(pred, gold));
        m.put("spearman", Correlation.spearman(pred, gold));
      }
      case TOKEN_CLASSIFICATION -> {
        List<List<String>> pred = new ArrayList<>();
        List<List<String>> gold = new ArrayList<>();
        long cut = 0;
        for (Prediction p : sorted) {
          List<String> tags = new ArrayList<>();
          for (String t : p.tags()) {
            if (t == null) {
              cut++;
            }
            tags.add(t == null ? "<cut off>" : t);
          }
          pred.add(tags);
          gold.add(p.goldTags());
        }
        m.put("token_accuracy", Tagging.tokenAccuracy(pred, gold));
        if (Tagging.isEntityTagSet(task.labels())) {
          Tagging.Entities e = Tagging.entities(pred, gold);
          m.put("entity_precision", e.precision());
          m.put("entity_recall", e.recall());
          m.put("entity_f1", e.f1());
        }
        if (cut > 0) {
          notes.add(cut + " word(s) fell beyond maxSequenceLength = " + task.maxSequenceLength()
              + " and are scored as wrong");
        }
      }
      case MULTIPLE_CHOICE -> {
        int[] pred = new int[n];
        int[] gold = new int[n];
        for (int i = 0; i < n; i++) {
          pred[i] = task.labels().indexOf(sorted.get(i).predicted());
          gold[i] = task.labels().indexOf(sorted.get(i).gold());
        }
        m.put("accuracy", Classification.accuracy(pred, gold));
      }
      case QUESTION_ANSWERING -> {
        double em = 0;
        double f1 = 0;
        for (Prediction p : sorted) {
          em += Squad.exactMatch(p.predicted(), p.goldAnswers());
          f1 += Squad.f1(p.predicted(), p.goldAnswers());
        }
        m.put("exact_match", 100 * em / n);
        m.put("f1", 100 * f1 / n);
      }
    }
    if (!task.rejected().isEmpty()) {
      notes.add(0, task.rejected().size() + " malformed row(s) of the input were NOT scored (accepted by the user);"
          + " they are listed under 'rejected'");
    }
    return new TaskReport(task.task(), task.head().name(), n, m, notes, task.rejected());
  }
}
