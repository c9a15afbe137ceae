package io.roberta.pipelines.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.FinetuneSpec.Head;
import io.roberta.spec.ModelSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Fine-tunes one task end to end: reads the tokenizer, starts from a pretrained directory (or a
 * random model of a given shape, the no-pretraining baseline), encodes the training split,
 * trains, and writes an HF directory ({@code config.json} with the task's label names, {@code
 * model.safetensors}, {@code tokenizer.json}) plus {@code finetune.json} (spec, labels, losses).
 *
 * <pre>{@code FinetuneRun.Result r = FinetuneRun.fromPretrained(spec, train, mlmDir, outDir, System.err::println);}</pre>
 */
public final class FinetuneRun {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private FinetuneRun() {}

  /** What the run did. */
  public record Result(Path modelDir, int examples, int features, Finetuner.Result training) {}

  /** Starts from the encoder in {@code pretrained} (config.json, model.safetensors, tokenizer.json). */
  public static Result fromPretrained(FinetuneSpec spec, TaskData train, Path pretrained, Path out, Consumer<String> log) {
    try (Kernels kernels = new Nd4jKernels(KernelPrecision.FP32)) {
      return fromPretrained(spec, train, pretrained, out, kernels, log);
    }
  }

  /** As above, on the given kernels ({@code --backend}), which the caller closes; the model is freed before it returns. */
  public static Result fromPretrained(FinetuneSpec spec, TaskData train, Path pretrained, Path out, Kernels kernels,
      Consumer<String> log) {
    try {
      TaskHead head = TaskHead.fromPretrained(pretrained, spec.head(), spec.numLabels(), spec.seed(), kernels);
      return run(spec, train, head, pretrained, out, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + pretrained + ": " + e.getMessage(), e);
    }
  }

  /** Starts from random weights of {@code shape}, with the tokenizer in {@code tokenizerDir}. */
  public static Result fromRandom(FinetuneSpec spec, TaskData train, ModelSpec shape, Path tokenizerDir, Path out,
      Consumer<String> log) {
    try (Kernels kernels = new Nd4jKernels(KernelPrecision.FP32)) {
      return fromRandom(spec, train, shape, tokenizerDir, out, kernels, log);
    }
  }

  /** As above, on the given kernels ({@code --backend}), which the caller closes; the model is freed before it returns. */
  public static Result fromRandom(FinetuneSpec spec, TaskData train, ModelSpec shape, Path tokenizerDir, Path out,
      Kernels kernels, Consumer<String> log) {
    TaskHead head = TaskHead.random(shape, spec.head(), spec.numLabels(), spec.seed(), kernels);
    return run(spec, train, head, tokenizerDir, out, log);
  }

  /** Fine-tunes {@code head}, saves it, and frees its weights, gradients and moments whatever happens. */
  private static Result run(FinetuneSpec spec, TaskData train, TaskHead head, Path tokenizerDir, Path out,
      Consumer<String> log) {
    try (head) {
      return train(spec, train, head, tokenizerDir, out, log);
    }
  }

  private static Result train(FinetuneSpec spec, TaskData train, TaskHead head, Path tokenizerDir, Path out,
      Consumer<String> log) {
    train.requireComplete();
    train = train.sample(spec.trainExamples(), spec.seed());
    if (train.head() != spec.head()) {
      throw new IllegalArgumentException("task " + train.task() + " needs a " + train.head() + " head, finetune["
          + spec.task() + "].head is " + spec.head());
    }
    int labels = spec.head() == Head.REGRESSION ? 1 : spec.head() == Head.QUESTION_ANSWERING ? 2 : train.labels().size();
    if (labels != spec.numLabels()) {
      throw new IllegalArgumentException("finetune[" + spec.task() + "].numLabels = " + spec.numLabels() + " but task "
          + train.task() + " has " + labels + " labels " + train.labels());
    }
    ModelSpec shape = head.model().spec();
    int maxLength = Math.min(spec.maxSequenceLength(), shape.maxPositions() - 2);
    List<Feature> features = new ArrayList<>();
    try (RobertaTokenizer tokenizer = RobertaTokenizer.load(tokenizerDir)) {
      if (tokenizer.vocabSize() > shape.vocabSize()) {
        throw new IllegalArgumentException("the tokenizer in " + tokenizerDir + " has " + tokenizer.vocabSize()
            + " ids but the model only " + shape.vocabSize());
      }
      TaskEncoder encoder = new TaskEncoder(tokenizer, shape.specialTokens(), spec.head(), train.labels(), maxLength);
      for (TaskExample e : train.examples()) {
        features.addAll(encoder.encode(e));
      }
      log.accept("finetune " + spec.task() + ": " + train.examples().size() + " examples, " + features.size()
          + " features of at most " + maxLength + " tokens");
      Finetuner.Result r = new Finetuner(head, spec, log).train(features);
      Files.createDirectories(out);
      head.model().save(out);
      labelConfig(out.resolve("config.json"), spec.head(), train.labels());
      Files.copy(tokenizer.source(), out.resolve(RobertaTokenizer.TOKENIZER_JSON), StandardCopyOption.REPLACE_EXISTING);
      ObjectNode summary = JSON.createObjectNode();
      summary.set("spec", JSON.valueToTree(spec));
      summary.set("labels", JSON.valueToTree(train.labels()));
      summary.put("examples", train.examples().size());
      summary.put("features", features.size());
      summary.put("steps", r.steps());
      summary.put("firstLoss", r.losses().get(0));
      summary.put("lastLoss", r.losses().get(r.losses().size() - 1));
      summary.put("seconds", r.seconds());
      JSON.writeValue(out.resolve("finetune.json").toFile(), summary);
      return new Result(out, train.examples().size(), features.size(), r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the fine-tuned model to " + out + ": " + e.getMessage(), e);
    }
  }

  /** Names the labels in config.json as transformers reads them; marks regression heads. */
  static void labelConfig(Path config, Head head, List<String> labels) throws IOException {
    ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
    if (head == Head.REGRESSION) {
      root.put("problem_type", "regression");
    } else if (head == Head.SEQUENCE_CLASSIFICATION) {
      root.put("problem_type", "single_label_classification");
    }
    if (!labels.isEmpty() && head != Head.QUESTION_ANSWERING) {
      ObjectNode id2label = root.putObject("id2label");
      ObjectNode label2id = root.putObject("label2id");
      for (int i = 0; i < labels.size(); i++) {
        id2label.put(Integer.toString(i), labels.get(i));
        label2id.put(labels.get(i), i);
      }
    }
    Files.writeString(config, JSON.writeValueAsString(root) + "\n");
  }
}
