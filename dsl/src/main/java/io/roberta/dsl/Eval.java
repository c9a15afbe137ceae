package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.EvalSpec;

/**
 * Evaluations, each sharded over workers (1 shard by default).
 *
 * <pre>{@code .evaluate(Eval.maskedLm(), Eval.task("brown-genre").shards(8))}</pre>
 */
public final class Eval {
  private final EvalSpec.Task.Kind kind;
  private final String task;
  private int shards = 1;

  private Eval(EvalSpec.Task.Kind kind, String task) {
    this.kind = kind;
    this.task = task;
  }

  /** Masked-token accuracy and loss of the pretrained model on the holdout blocks. */
  public static Eval maskedLm() {
    return new Eval(EvalSpec.Task.Kind.MASKED_LM, null);
  }

  /** The official metrics of a fine-tuning task of the same recipe. */
  public static Eval task(String finetuneTask) {
    return new Eval(EvalSpec.Task.Kind.TASK, Checks.name("eval.tasks[].task", finetuneTask));
  }

  public Eval shards(int shards) {
    this.shards = Checks.positive("eval.tasks[].shards", shards);
    return this;
  }

  public EvalSpec.Task build() {
    return new EvalSpec.Task(kind, task, shards);
  }
}
