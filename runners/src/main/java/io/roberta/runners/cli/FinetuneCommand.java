package io.roberta.runners.cli;

import io.roberta.dsl.Finetune;
import io.roberta.engine.io.HfConfig;
import io.roberta.pipelines.finetune.FinetuneRun;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskDataException;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.OptimizerSpec;
import io.roberta.spec.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code roberta finetune --task brown-genre --data ../shared/data/brown --from MODEL --out DIR}.
 * Hyperparameters come from {@code --recipe}'s fine-tuning spec for the task when given, else
 * from the flags (defaults: fairseq's GLUE table).
 */
@Command(
    name = "finetune",
    mixinStandardHelpOptions = true,
    description = {"Fine-tune a RoBERTa model on a task and save an HF directory.",
        "Tasks: cola sst2 mrpc stsb qqp mnli-m mnli-mm qnli rte squad brown-genre brown-pos."})
public final class FinetuneCommand implements Callable<Integer> {
  @Option(names = "--task", required = true, description = "Task name (see above).")
  String task;

  @Option(names = "--data", required = true, paramLabel = "PATH",
      description = "Task folder (GLUE task folder with train.tsv, SQuAD folder, or the Brown corpus folder).")
  Path data;

  @Option(names = "--from", required = true, paramLabel = "DIR",
      description = "Pretrained model: config.json, model.safetensors, tokenizer.json (ours or Hugging Face's).")
  Path from;

  @Option(names = "--random-init", description = "Same shape and tokenizer as --from, but random weights (the no-pretraining baseline).")
  boolean randomInit;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output HF directory.")
  Path out;

  @Option(names = "--accept-rejected", description = "Train without the malformed rows of the training data (each is listed).")
  boolean acceptRejected;

  @Option(names = "--recipe", paramLabel = "REF", description = "Take the task's fine-tuning spec from this recipe.")
  String recipe;

  @Option(names = "--epochs", defaultValue = "10") int epochs;
  @Option(names = "--batch-size", defaultValue = "16") int batchSize;
  @Option(names = "--lr", defaultValue = "1e-5") double learningRate;
  @Option(names = "--warmup-ratio", defaultValue = "0.06") double warmupRatio;
  @Option(names = "--weight-decay", defaultValue = "0.1") double weightDecay;
  @Option(names = "--max-length", defaultValue = "512") int maxLength;
  @Option(names = "--seed", defaultValue = "1") long seed;
  @Option(names = "--train-examples", defaultValue = "0",
      description = "Fine-tune on this many training examples drawn with --seed (default: all).") int trainExamples;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isRegularFile(from.resolve("config.json"))) {
      throw new UserError("--from " + from + " is not a model directory: it has no config.json");
    }
    TaskData train;
    try {
      train = TaskSource.read(task, data, TaskSource.Split.TRAIN);
      if (acceptRejected && !train.rejected().isEmpty()) {
        err.println("training without " + train.rejected().size() + " malformed row(s):\n"
            + TaskData.describe(train.rejected(), Integer.MAX_VALUE));
        train = new TaskData(train.task(), train.head(), train.labels(), train.examples(), java.util.List.of());
      }
      train.requireComplete();
    } catch (TaskDataException e) {
      throw new UserError(e.getMessage(), e);
    }
    FinetuneSpec finetune = recipe != null ? fromRecipe(train) : fromFlags(train);
    long started = System.nanoTime();
    FinetuneRun.Result r = randomInit
        ? FinetuneRun.fromRandom(finetune, train, HfConfig.read(from.resolve("config.json")).spec(), from, out, line -> {
          err.println(line);
          err.flush();
        })
        : FinetuneRun.fromPretrained(finetune, train, from, out, line -> {
          err.println(line);
          err.flush();
        });
    spec.commandLine().getOut().printf(Locale.ROOT,
        "fine-tuned %s (%s) on %d examples: %d steps, loss %.4f -> %.4f (mean of first/last 10), %.1f s; saved to %s%n",
        task, randomInit ? "random init" : "from " + from, r.examples(), r.training().steps(),
        r.training().meanOfFirst(10), r.training().meanOfLast(10), (System.nanoTime() - started) / 1e9, r.modelDir());
    return 0;
  }

  private FinetuneSpec fromRecipe(TaskData train) {
    Recipe r = RecipeLoader.load(recipe);
    return r.finetune().stream().filter(f -> f.task().equals(task)).findFirst()
        .orElseThrow(() -> new UserError("recipe " + r.name() + " has no finetune task '" + task + "' (it has "
            + r.finetune().stream().map(FinetuneSpec::task).toList() + ")"));
  }

  private FinetuneSpec fromFlags(TaskData train) {
    Finetune f = switch (train.head()) {
      case SEQUENCE_CLASSIFICATION -> Finetune.classification(task, train.labels().size());
      case REGRESSION -> Finetune.regression(task);
      case TOKEN_CLASSIFICATION -> Finetune.tokenClassification(task, train.labels().size());
      case QUESTION_ANSWERING -> Finetune.questionAnswering(task);
      case MULTIPLE_CHOICE -> Finetune.multipleChoice(task, train.labels().size());
    };
    if (trainExamples > 0) {
      f.trainExamples(trainExamples);
    }
    OptimizerSpec o = OptimizerSpec.robertaFinetuning();
    return f.epochs(epochs).batchSize(batchSize).learningRate(learningRate).warmupRatio(warmupRatio)
        .maxSequenceLength(maxLength).seed(seed)
        .optimizer(new OptimizerSpec(o.beta1(), o.beta2(), o.epsilon(), weightDecay, o.gradClipNorm()))
        .build();
  }

}
