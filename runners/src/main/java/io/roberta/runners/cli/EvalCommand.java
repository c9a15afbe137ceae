package io.roberta.runners.cli;

import io.roberta.pipelines.eval.EvalTask;
import io.roberta.pipelines.eval.EvaluateMaskedLm;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.pretrain.BackendOptions;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.eval.HoldoutFormat;
import io.roberta.pipelines.eval.EvaluateShards;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskDataException;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.runners.options.DirectTraining;
import io.roberta.spec.EvalSpec;
import io.roberta.spec.MaskingSpec;
import io.roberta.spec.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta eval --task brown-genre --data ../shared/data/brown --model DIR --out DIR
 * --shards 8 [--runner=FlinkRunner --flinkMaster=[local]]}, or {@code roberta eval --masked-lm
 * --model DIR --holdout FILE... --block-length 128 --out DIR}. Any {@code --name=value} not
 * listed here is a Beam pipeline option.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {"Evaluate a model with the sharded Beam evaluation; writes predictions.jsonl, report.json, report.md.",
        "Unlisted --name=value arguments are Beam pipeline options (e.g. --runner=FlinkRunner --flinkMaster=[local])."})
public final class EvalCommand implements Callable<Integer> {
  @Option(names = "--task", description = "Task name (as for finetune); evaluated on its dev/test split.")
  String task;

  @Option(names = "--data", paramLabel = "PATH", description = "Task folder.")
  Path data;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "Fine-tuned (or, with --masked-lm, pretrained) model directory with tokenizer.json.")
  Path model;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the report files go.")
  String out;

  @Option(names = "--recipe", paramLabel = "REF",
      description = "Take shards and batch size for this task (or masked-lm) from the recipe's evaluation spec.")
  String recipe;

  @Option(names = "--shards", defaultValue = "1") int shards;
  @Option(names = "--batch-size", defaultValue = "32") int batchSize;
  @Option(names = "--max-length", defaultValue = "512") int maxLength;

  @Option(names = "--examples", defaultValue = "0", paramLabel = "N",
      description = "Score N examples drawn with a fixed seed (1), kept in order, instead of all (0, the default).")
  int examples;

  @Option(names = "--accept-rejected", description = "Score data with malformed rows; the report lists every one.")
  boolean acceptRejected;

  @Option(names = "--masked-lm", description = "Masked-LM loss, perplexity and accuracy on holdout blocks instead of a task.")
  boolean maskedLm;

  @Option(names = "--holdout", split = ",", paramLabel = "FILE", description = "Holdout shard files (with --masked-lm).")
  List<String> holdout = new ArrayList<>();

  @Option(names = "--block-length", description = "Block length of the holdout shards (default: from the corpus manifest next to them).")
  Integer blockLength;
  @Option(names = "--dtype", paramLabel = "uint16|int32", description = "Id type of the holdout shards (default: from the corpus manifest next to them).")
  String dtype;
  @Option(names = "--mask-seed", defaultValue = "1") long maskSeed;

  /** The recipe's masking when --recipe has a pretrain spec; else RoBERTa's with --mask-seed. */
  private MaskingSpec masking;

  @Unmatched List<String> pipelineArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    if (!Files.isRegularFile(model.resolve("config.json"))) {
      throw new UserError("--model " + model + " is not a model directory: it has no config.json");
    }
    if (recipe != null) {
      fromRecipe();
    }
    PipelineOptions options = PipelineOptionsFactory.fromArgs(pipelineArgs.toArray(String[]::new)).create();
    DirectOptions direct = options.as(DirectOptions.class);
    if (pipelineArgs.stream().noneMatch(a -> a.startsWith("--targetParallelism"))) {
      // One worker: a spare DirectRunner worker spins on the watermark monitor and took more CPU
      // than the two scoring threads (measured with jstack on 2 cores); one worker per core still
      // left one spinning whenever fewer shards than cores were running. The engine spreads each
      // batch over the cores itself (see DirectTraining).
      direct.setTargetParallelism(DirectTraining.PARALLELISM);
    }
    direct.setBlockOnRun(false); // so the loop below can print progress while the pipeline runs
    FileSystems.setDefaultPipelineOptions(options);
    Pipeline p = Pipeline.create(options);
    String label;
    long total = -1;
    if (maskedLm) {
      if (holdout.isEmpty()) {
        throw new UserError("--masked-lm needs --holdout FILE[,FILE...]");
      }
      HoldoutFormat format;
      try {
        format = HoldoutFormat.resolve(holdout, dtype, blockLength);
      } catch (IllegalArgumentException e) {
        throw new UserError(e.getMessage(), e);
      }
      p.apply("EvaluateMaskedLm", EvaluateMaskedLm.of(FolderRef.of(model.toString()),
              CorpusOutput.ofHoldoutFiles(holdout, format.dtype(), format.blockLength()),
              masking != null ? masking : MaskingSpec.roberta(maskSeed))
          .shards(shards).batchSize(batchSize).backend(options.as(BackendOptions.class).getBackend()).writeTo(out));
      label = "masked-lm";
    } else {
      if (task == null || data == null) {
        throw new UserError("give --task and --data (or --masked-lm)");
      }
      TaskData all = TaskSource.read(task, data, TaskSource.Split.EVAL);
      TaskData eval = all.sample(examples, 1);
      if (eval.examples().size() < all.examples().size()) {
        spec.commandLine().getErr().printf("eval %s: %d of %d examples, drawn with seed 1%n", task,
            eval.examples().size(), all.examples().size());
      }
      EvalTask evalTask;
      try {
        evalTask = acceptRejected ? EvalTask.acceptingRejected(eval, maxLength) : EvalTask.of(eval, maxLength);
      } catch (TaskDataException e) {
        throw new UserError(e.getMessage(), e);
      }
      p.apply("ReadExamples", Create.of(eval.examples()).withCoder(SerializableCoder.of(TaskExample.class)))
          .apply("Evaluate", EvaluateShards.of(FolderRef.of(model.toString()), evalTask).shards(shards).batchSize(batchSize)
              .backend(options.as(BackendOptions.class).getBackend()).writeTo(out));
      label = task;
      total = eval.examples().size();
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println("evaluating " + label + " on " + options.getRunner().getSimpleName() + " with " + shards + " shard(s)");
    err.flush();
    long started = System.nanoTime();
    PipelineResult result = p.run();
    PipelineResult.State state;
    do {
      state = result.waitUntilFinish(Duration.standardSeconds(10));
      if (state == null || !state.isTerminal()) {
        long scored = TokenizerCommand.counter(result, EvaluateShards.class, EvaluateShards.EXAMPLES_SCORED);
        err.printf("eval %s: %d%s examples scored, %.0f s%n", label, scored, total < 0 ? "" : "/" + total,
            (System.nanoTime() - started) / 1e9);
        err.flush();
      }
    } while (state == null || !state.isTerminal());
    if (state != PipelineResult.State.DONE) {
      throw new UserError("the evaluation pipeline ended " + state);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.print(Files.readString(Path.of(out).resolve("report.md")));
    stdout.printf("(%.1f s; files in %s)%n", (System.nanoTime() - started) / 1e9, out);
    return 0;
  }

  private void fromRecipe() {
    Recipe r = RecipeLoader.load(recipe);
    String wanted = maskedLm ? "masked-lm" : task;
    if (r.eval() == null) {
      throw new UserError("recipe " + r.name() + " has no evaluation spec");
    }
    EvalSpec.Task t = r.eval().tasks().stream().filter(x -> x.label().equals(wanted)).findFirst()
        .orElseThrow(() -> new UserError("recipe " + r.name() + " does not evaluate '" + wanted + "' (it evaluates "
            + r.eval().tasks().stream().map(EvalSpec.Task::label).toList() + ")"));
    shards = t.shards();
    batchSize = r.eval().batchSize();
    if (r.pretrain() != null) {
      masking = r.pretrain().masking();
    }
    r.finetune().stream().filter(f -> f.task().equals(wanted)).findFirst()
        .ifPresent(f -> maxLength = f.maxSequenceLength());
  }
}
