package io.roberta.spec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Evaluation: masked-LM accuracy on the holdout blocks and/or fine-tuned task scores, each
 * spread over {@code shards} workers, {@code batchSize} examples per inference batch.
 */
public record EvalSpec(List<Task> tasks, int batchSize) {

  /** One evaluation: {@code task} is null for MASKED_LM, the fine-tuning task name for TASK. */
  public record Task(Kind kind, String task, int shards) {
    public enum Kind {
      MASKED_LM,
      TASK
    }

    public Task {
      Checks.notNull("eval.tasks[].kind", kind);
      if (kind == Kind.MASKED_LM) {
        Checks.absent("eval.tasks[].task", task, "MASKED_LM evaluates the pretrained model on the holdout blocks");
      } else {
        Checks.name("eval.tasks[].task", task);
      }
      Checks.positive("eval.tasks[" + label(kind, task) + "].shards", shards);
    }

    public String label() {
      return label(kind, task);
    }

    private static String label(Kind kind, String task) {
      return kind == Kind.MASKED_LM ? "masked-lm" : task;
    }
  }

  public EvalSpec {
    tasks = List.copyOf(Checks.nonEmpty("eval.tasks", tasks));
    Set<String> labels = new HashSet<>();
    for (Task t : tasks) {
      if (!labels.add(t.label())) {
        throw Checks.invalid("eval.tasks", t.label(), "each evaluation may appear once");
      }
    }
    Checks.positive("eval.batchSize", batchSize);
  }
}
