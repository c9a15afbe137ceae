package io.roberta.pipelines.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.io.HfConfig;
import io.roberta.pipelines.stage.Manifests;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.resourcehints.ResourceHints;

/**
 * A fine-tuning stage of a recipe on the runner the options name: one job, fine-tuned by one
 * worker ({@code FinetuneOnWorker}, which carries the training accelerator hint like the
 * pretraining step). The model starts from the pretraining stage's HF export, from the task's
 * {@code initFrom}, or, for the {@code -random-init} baseline stage, from random weights of the
 * same shape with the same tokenizer and budget. Writes {@code hf/} (an HF directory with the
 * task head), {@code metrics.jsonl} (loss per step) and, once done, {@code manifest.json}; a
 * folder whose manifest has the stage's fingerprint is skipped. An interrupted fine-tuning starts
 * over (it is short next to pretraining; it keeps no checkpoints).
 *
 * <pre>{@code
 * FinetuneStage.Result r = FinetuneStage.run(recipe, "brown-pos", false, "work", pretrainHf, tokenizerDir, options, null);
 * }</pre>
 */
public final class FinetuneStage {
  public static final String MANIFEST = Manifests.FILE;
  /** The step inside the stage's pipeline that fine-tunes (and carries the accelerator hint). */
  public static final String TRAIN_STEP = "FinetuneOnWorker";

  /** Where the stage wrote, what its manifest says, and whether it had already run. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {
    public Path modelDir() {
      return Path.of(directory, "hf");
    }
  }

  /**
   * Everything a worker needs: the recipe (JSON), which task, where to start from and to write.
   *
   * @param initDir the HF directory to start from; for a random init, where its tokenizer is
   */
  public record FinetuneJob(
      String recipeJson, String task, boolean randomInit, String initDir, String outDir) implements Serializable {}

  private FinetuneStage() {}

  public static Stage stage(Recipe recipe, String task, boolean randomInit) {
    String name = randomInit ? Plan.baselineStageName(task) : "finetune-" + task;
    return Plan.compile(recipe).stage(name)
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no stage " + name));
  }

  public static FinetuneSpec spec(Recipe recipe, String task) {
    return recipe.finetune().stream().filter(f -> f.task().equals(task)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no finetune task " + task));
  }

  /** {@code <workDir>/<recipe>/finetune-<task>[-random-init]/<fingerprint>}. */
  public static Path directory(Recipe recipe, String task, boolean randomInit, String workDir) {
    return Path.of(workDir).resolve(stage(recipe, task, randomInit).relativePath(recipe.name()));
  }

  /**
   * Runs the stage (or finds it done). {@code pretrainedHf} is the pretraining stage's HF export
   * (ignored when the task has {@code initFrom}); for a random init it supplies the tokenizer.
   */
  public static Result run(
      Recipe recipe, String task, boolean randomInit, String workDir, Path pretrainedHf,
      PipelineOptions options, String accelerator) {
    FinetuneSpec spec = spec(recipe, task);
    Stage stage = stage(recipe, task, randomInit);
    Path dir = directory(recipe, task, randomInit, workDir);
    JsonNode existing = Manifests.read(dir.resolve(MANIFEST));
    if (Manifests.matches(existing, stage.fingerprint())) {
      return new Result(dir.toString(), existing, true);
    }
    if (spec.data() == null) {
      throw new IllegalArgumentException("finetune[" + task + "].data is missing: the stage reads the task's files from"
          + " it (a GLUE task folder, a SQuAD folder, the Brown corpus folder)");
    }
    Path init = spec.initFrom() != null ? Path.of(spec.initFrom()) : pretrainedHf;
    if (init == null || !Files.isRegularFile(init.resolve("config.json"))) {
      throw new IllegalArgumentException("finetune[" + task + "]: " + init + " is not a model directory (no config.json)");
    }
    FinetuneJob job = new FinetuneJob(RecipeJson.write(recipe), task, randomInit, init.toString(), dir.toString());
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, job, accelerator);
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the fine-tuning pipeline of " + task + " ended in state " + state);
    }
    JsonNode summary = Manifests.read(dir.resolve("hf").resolve("finetune.json"));
    if (summary == null) {
      throw new IllegalStateException("fine-tuning " + task + " finished without writing " + dir.resolve("hf/finetune.json"));
    }
    ObjectNode manifest = Manifests.object();
    manifest.put("stage", stage.directory());
    manifest.put("recipe", recipe.name());
    manifest.put("task", task);
    manifest.put("init", randomInit ? "random" : init.toString());
    manifest.put("fingerprint", stage.fingerprint());
    manifest.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    manifest.set("result", summary);
    manifest.put("huggingFace", dir.resolve("hf").toString());
    Manifests.write(dir.resolve(MANIFEST), manifest);
    return new Result(dir.toString(), manifest, false);
  }

  /**
   * Adds the stage's transforms to {@code pipeline}: the job, then {@value #TRAIN_STEP} with the
   * accelerator hint when one is given (null: none). {@link #run} and job descriptions share it.
   */
  public static void build(Pipeline pipeline, FinetuneJob job, String accelerator) {
    ParDo.SingleOutput<FinetuneJob, String> train = ParDo.of(new FinetuneFn());
    if (accelerator != null) {
      train.setResourceHints(ResourceHints.create().withAccelerator(accelerator));
    }
    pipeline
        .apply("FinetuneJob", Create.of(job).withCoder(SerializableCoder.of(FinetuneJob.class)))
        .apply(TRAIN_STEP, train)
        .setCoder(StringUtf8Coder.of());
  }

  /** Fine-tunes one job; progress goes to the worker's standard error. */
  static final class FinetuneFn extends DoFn<FinetuneJob, String> {
    @ProcessElement
    public void process(@Element FinetuneJob job, OutputReceiver<String> out) throws IOException {
      Recipe recipe = RecipeJson.read(job.recipeJson(), "finetune job " + job.task());
      FinetuneSpec spec = spec(recipe, job.task());
      TaskData train = TaskSource.read(job.task(), Path.of(spec.data()), TaskSource.Split.TRAIN).requireComplete();
      Path init = Path.of(job.initDir());
      Path out0 = Path.of(job.outDir());
      Path hf = out0.resolve("hf");
      Files.createDirectories(out0);
      String label = job.task() + (job.randomInit() ? " (random init)" : "");
      FinetuneRun.Result r;
      if (job.randomInit()) {
        ModelSpec shape = spec.initFrom() != null ? HfConfig.read(init.resolve("config.json")).spec() : recipe.model();
        r = FinetuneRun.fromRandom(spec, train, shape, init, hf, line -> log(label, line));
      } else {
        r = FinetuneRun.fromPretrained(spec, train, init, hf, line -> log(label, line));
      }
      writeLosses(out0.resolve("metrics.jsonl"), r.training());
      out.output(hf.toString());
    }

    private static void log(String label, String line) {
      System.err.println(line.startsWith("finetune ") ? line.replaceFirst("^finetune [^:]+:", "finetune " + label + ":") : line);
      System.err.flush();
    }
  }

  private static void writeLosses(Path file, Finetuner.Result r) throws IOException {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < r.losses().size(); i++) {
      lines.append("{\"step\":").append(i + 1).append(",\"loss\":").append(r.losses().get(i)).append("}\n");
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, lines);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
