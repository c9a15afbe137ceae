package io.roberta.runners.cli;

import io.roberta.runners.help.Suggestions;
import io.roberta.dsl.Finetune;
import io.roberta.pipelines.tasks.TaskCatalog;
import io.roberta.spec.FinetuneSpec;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code roberta tasks [TASK]}: the task catalogue. Every task with its head, labels, metrics, the
 * files its data folder holds (columns, which split is scored), the DSL line that fine-tunes on it,
 * and the fine-tuning defaults (read from the DSL's own builder, so they cannot drift).
 *
 * <pre>{@code roberta tasks sst2}</pre>
 */
@Command(
    name = "tasks",
    mixinStandardHelpOptions = true,
    description = {"List the fine-tuning and evaluation tasks.",
        "Head, labels, metrics, the data folder's files and columns, which split is scored, and the fine-tuning defaults."})
public final class TasksCommand implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "TASK", description = "Show only this task.")
  String task;

  @Option(names = "--markdown", description = "One Markdown table row per task (as in the README).")
  boolean markdown;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    List<TaskCatalog.Entry> entries = TaskCatalog.entries();
    if (task != null) {
      List<String> names = entries.stream().map(TaskCatalog.Entry::name).toList();
      entries = entries.stream().filter(e -> e.name().equals(task)).toList();
      if (entries.isEmpty()) {
        String near = Suggestions.didYouMean(task, names);
        throw new UserError("no task named '" + task + "'" + near + (near.isEmpty() ? "; " : " ") + "tasks: "
            + String.join(", ", names));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (markdown) {
      out.println("| task | head | labels | metrics (headline first) | the folder holds | scored |");
      out.println("|---|---|---|---|---|---|");
      for (TaskCatalog.Entry e : entries) {
        out.printf("| `%s` | %s | %s | %s | %s | %s |%n", e.name(), head(e), e.labels().isEmpty() ? "-" : e.labels().size(),
            String.join(", ", e.metrics()), e.layout().replace("|", "\\|"), e.scored());
      }
    } else {
      for (TaskCatalog.Entry e : entries) {
        out.printf("%s%n", e.name());
        out.printf("  head:    %s%s%n", head(e), e.labels().isEmpty() ? ""
            : ", " + e.labels().size() + " labels (" + String.join(" ", e.labels()) + ")");
        out.printf("  metrics: %s (the first is the headline)%n", String.join(", ", e.metrics()));
        out.printf("  folder:  %s%n", String.join("\n           ", e.files()));
        out.printf("  scored:  %s%n", e.scored());
        out.printf("  recipe:  %s.data(\"path/to/folder\")%n%n", e.dsl());
      }
    }
    out.println(defaults());
    out.flush();
    return 0;
  }

  /** The DSL's defaults, from the builder itself. */
  static String defaults() {
    FinetuneSpec d = Finetune.classification("any", 2).build();
    return String.format(Locale.ROOT,
        "Fine-tuning defaults (every task; each has a setter on the Finetune builder): learning rate %s, %d epochs, batch %d,"
            + " warm-up %.0f%% of the steps then linear decay to 0, max sequence length %d, AdamW b=(%s, %s) eps %s weight decay %s,"
            + " seed %d, every training example (trainExamples(n) draws n), no random-init baseline (withRandomInitBaseline()).",
        plain(d.learningRate()), d.epochs(), d.batchSize(), 100 * d.warmupRatio(), d.maxSequenceLength(),
        plain(d.optimizer().beta1()), plain(d.optimizer().beta2()), plain(d.optimizer().epsilon()),
        plain(d.optimizer().weightDecay()), d.seed());
  }

  private static String plain(double v) {
    return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  private static String head(TaskCatalog.Entry e) {
    return e.head().name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }
}
