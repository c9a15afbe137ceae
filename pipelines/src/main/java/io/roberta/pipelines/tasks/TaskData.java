package io.roberta.pipelines.tasks;

import io.roberta.spec.FinetuneSpec.Head;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The examples of one task split as read, with every row the reader rejected. A score may only
 * be reported on data with no rejected rows, or with the rejections acknowledged and listed in
 * the report ({@link #requireComplete()}).
 *
 * @param labels the label set, in label-id order (empty for regression and QA; the tag set for tagging)
 */
public record TaskData(String task, Head head, List<String> labels, List<TaskExample> examples, List<Rejected> rejected) {
  public TaskData {
    labels = List.copyOf(labels);
    examples = List.copyOf(examples);
    rejected = List.copyOf(rejected);
  }

  /** Throws {@link TaskDataException} naming the rejected rows if there are any. */
  public TaskData requireComplete() {
    if (!rejected.isEmpty()) {
      throw new TaskDataException(task, rejected);
    }
    return this;
  }

  /**
   * {@code n} examples drawn without replacement with {@code seed}, kept in their original order
   * (indices unchanged); all of them when {@code n <= 0} or {@code n >= size}. The rejected rows
   * stay, so a sample of incomplete data is still incomplete.
   */
  public TaskData sample(int n, long seed) {
    if (n <= 0 || n >= examples.size()) {
      return this;
    }
    List<Integer> order = new ArrayList<>(IntStream.range(0, examples.size()).boxed().toList());
    Collections.shuffle(order, new Random(seed));
    List<Integer> chosen = new ArrayList<>(order.subList(0, n));
    Collections.sort(chosen);
    return new TaskData(task, head, labels, chosen.stream().map(examples::get).toList(), rejected);
  }

  /** Index of {@code label} in {@link #labels()}, or -1. */
  public int labelId(String label) {
    return labels.indexOf(label);
  }

  /** The first rejected rows, one per line, for messages. */
  public static String describe(List<Rejected> rejected, int max) {
    String head = rejected.stream().limit(max).map(r -> "  " + r).collect(Collectors.joining("\n"));
    return rejected.size() > max ? head + "\n  ... and " + (rejected.size() - max) + " more" : head;
  }
}
