package io.roberta.pipelines.eval;

import io.roberta.pipelines.tasks.Rejected;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskDataException;
import io.roberta.spec.FinetuneSpec.Head;
import java.io.Serializable;
import java.util.List;

/**
 * What an evaluation scores: the task, its head and label set, the input length, and the rows its
 * reader rejected. Rejected rows must be acknowledged ({@link #acceptingRejected}), and then
 * every report lists them; otherwise building the evaluation fails.
 */
public record EvalTask(String task, Head head, List<String> labels, int maxSequenceLength, List<Rejected> rejected)
    implements Serializable {
  public EvalTask {
    labels = List.copyOf(labels);
    rejected = List.copyOf(rejected);
  }

  /** For data read completely; throws {@link TaskDataException} if the reader rejected rows. */
  public static EvalTask of(TaskData data, int maxSequenceLength) {
    data.requireComplete();
    return new EvalTask(data.task(), data.head(), data.labels(), maxSequenceLength, List.of());
  }

  /** For data with rejected rows the user chose to accept; the report lists each of them. */
  public static EvalTask acceptingRejected(TaskData data, int maxSequenceLength) {
    return new EvalTask(data.task(), data.head(), data.labels(), maxSequenceLength, data.rejected());
  }
}
