package io.roberta.pipelines.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.transforms.Combine;

/**
 * Combines predictions into one {@link Scored}: the accumulator keeps every prediction and the
 * output scores them sorted by example index, so the metrics are exact and independent of how
 * shards and bundles were merged (no average of shard averages, no order-dependent float sums).
 * Memory is linear in the number of examples, which suits evaluation sets.
 */
public final class ScoreTask extends Combine.CombineFn<Prediction, List<Prediction>, ScoreTask.Scored> {
  private final EvalTask task;

  /** The report and the predictions it was computed from, in example order. */
  public record Scored(TaskReport report, List<Prediction> predictions) implements java.io.Serializable {}

  public ScoreTask(EvalTask task) {
    this.task = task;
  }

  @Override
  public List<Prediction> createAccumulator() {
    return new ArrayList<>();
  }

  @Override
  public List<Prediction> addInput(List<Prediction> acc, Prediction p) {
    acc.add(p);
    return acc;
  }

  @Override
  public List<Prediction> mergeAccumulators(Iterable<List<Prediction>> accs) {
    List<Prediction> out = new ArrayList<>();
    accs.forEach(out::addAll);
    return out;
  }

  @Override
  public Scored extractOutput(List<Prediction> acc) {
    List<Prediction> sorted = new ArrayList<>(acc);
    sorted.sort(Comparator.comparingLong(Prediction::index));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).index() == sorted.get(i - 1).index()) {
        throw new IllegalStateException("task " + task.task() + ": example " + sorted.get(i).index()
            + " was scored twice (two examples share an index)");
      }
    }
    return new Scored(TaskReport.score(task, sorted), sorted);
  }

  @Override
  public Coder<List<Prediction>> getAccumulatorCoder(CoderRegistry registry, Coder<Prediction> inputCoder)
      throws CannotProvideCoderException {
    return ListCoder.of(SerializableCoder.of(Prediction.class));
  }

  @Override
  public Coder<Scored> getDefaultOutputCoder(CoderRegistry registry, Coder<Prediction> inputCoder) {
    return SerializableCoder.of(Scored.class);
  }
}
