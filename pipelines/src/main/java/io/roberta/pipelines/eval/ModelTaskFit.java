package io.roberta.pipelines.eval;

import io.roberta.engine.io.HfConfig;
import io.roberta.engine.io.ModelFileException;
import io.roberta.spec.FinetuneSpec.Head;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Refuses to evaluate a model on a task it was not trained for, before any example is scored:
 * the architecture must carry the task's head, the label count must equal the task's, and label
 * names, where the model's {@code config.json} names them, must be the task's in the same order.
 * A 3-label MNLI model on 2-label RTE would otherwise score (arg-max over labels it does not know)
 * or fail deep inside a worker.
 *
 * <pre>{@code ModelTaskFit.check(Path.of("out/rte"), evalTask);}</pre>
 */
public final class ModelTaskFit {
  /** Hugging Face's placeholder names ({@code LABEL_0}, ...): the model does not know its labels' names. */
  private static final Pattern PLACEHOLDER = Pattern.compile("LABEL_\\d+");

  private ModelTaskFit() {}

  /**
   * @throws ModelFileException naming the model's {@code config.json} and the field that does not
   *     fit ({@code architectures}, {@code id2label})
   */
  public static void check(Path modelDir, EvalTask task) {
    Path file = modelDir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelFileException(file, null, "missing: " + modelDir + " is not a model directory");
    }
    checkConfig(file, task);
  }

  /** As {@link #check}, given the model's {@code config.json} itself (a staged copy of only that file). */
  public static void checkConfig(Path file, EvalTask task) {
    HfConfig config;
    try {
      config = HfConfig.read(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    String wanted = architecture(task.head());
    if (!config.architectures().isEmpty() && !config.architectures().contains(wanted)) {
      throw new ModelFileException(file, "architectures", "the model is a " + config.architectures()
          + " but task " + task.task() + " (" + task.head() + ") needs a " + wanted);
    }
    int labels = switch (task.head()) {
      case REGRESSION -> 1;
      case QUESTION_ANSWERING, MULTIPLE_CHOICE -> -1; // start/end logits, or one score per choice: no labels
      default -> task.labels().size();
    };
    if (labels < 0) {
      return;
    }
    if (config.numLabels() != labels) {
      throw new ModelFileException(file, "id2label", "the model has " + config.numLabels()
          + " label(s)" + names(config) + " but task " + task.task() + " has " + labels
          + (task.head() == Head.REGRESSION ? " (a regression value)" : " " + task.labels())
          + "; evaluate the model on the task it was fine-tuned for");
    }
    List<String> modelLabels = labelNames(config);
    if (task.head() == Head.REGRESSION || modelLabels.isEmpty()
        || modelLabels.stream().allMatch(l -> PLACEHOLDER.matcher(l).matches())) {
      return; // the model does not name its labels: the count is all that can be checked
    }
    if (!modelLabels.equals(task.labels())) {
      throw new ModelFileException(file, "id2label", "the model's labels " + modelLabels
          + " are not task " + task.task() + "'s " + task.labels() + " (in label-id order)");
    }
  }

  static String architecture(Head head) {
    return switch (head) {
      case SEQUENCE_CLASSIFICATION, REGRESSION -> "RobertaForSequenceClassification";
      case TOKEN_CLASSIFICATION -> "RobertaForTokenClassification";
      case QUESTION_ANSWERING -> "RobertaForQuestionAnswering";
      case MULTIPLE_CHOICE -> HfConfig.MULTIPLE_CHOICE;
    };
  }

  private static List<String> labelNames(HfConfig config) {
    List<String> names = new ArrayList<>();
    if (config.raw() == null || !config.raw().path("id2label").isObject()) {
      return names;
    }
    for (int i = 0; i < config.numLabels(); i++) {
      String name = config.raw().path("id2label").path(Integer.toString(i)).asText(null);
      if (name == null) {
        return List.of();
      }
      names.add(name);
    }
    return names;
  }

  private static String names(HfConfig config) {
    List<String> names = labelNames(config);
    return names.isEmpty() ? "" : " " + names;
  }
}
