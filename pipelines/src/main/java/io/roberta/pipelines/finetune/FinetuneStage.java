package io.roberta.pipelines.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.io.HfConfig;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.pipelines.pretrain.BackendOptions;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.StagePipeline;
import io.roberta.pipelines.stage.Staging;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
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
 * same shape with the same tokenizer and budget. The worker stages its inputs locally (checked
 * against their SHA-256), trains in a scratch folder, and publishes {@code hf/} (an HF directory
 * with the task head), {@code metrics.jsonl} (loss per step) and {@code result.json} to the stage
 * folder; the driver then commits {@code manifest.json}. A folder whose manifest verifies for the
 * stage's fingerprint is skipped. An interrupted fine-tuning starts over (it is short next to
 * pretraining; it keeps no checkpoints).
 *
 * <pre>{@code
 * FinetuneStage.Result r = FinetuneStage.run(recipe, "brown-pos", false, "gs://b/work", pretrainHf, options, null);
 * }</pre>
 */
public final class FinetuneStage {
  /** The step inside the stage's pipeline that fine-tunes (and carries the accelerator hint). */
  public static final String TRAIN_STEP = "FinetuneOnWorker";
  static final String RESULT = "result.json";

  /** Where the stage wrote (a URI), what its manifest says, and whether it had already run. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {
    /** The fine-tuned model: the manifest's files under {@code hf/}. */
    public FolderRef model() {
      return FolderRef.fromManifest(directory, manifest, "hf/");
    }
  }

  /**
   * Everything a worker needs: the recipe (JSON), which task, where to start from and to write.
   *
   * @param init the HF folder to start from; for a random init, where its tokenizer (and, with
   *     {@code initFrom}, its shape) is
   */
  public record FinetuneJob(String recipeJson, String task, boolean randomInit, FolderRef init, String outDir,
      String backend) implements Serializable {}

  private FinetuneStage() {}

  public static Stage stage(Recipe recipe, String task, boolean randomInit) {
    String name = randomInit ? Plan.baselineStageName(task) : Plan.finetuneStageName(task);
    return Plan.compile(recipe).stage(name)
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no stage " + name));
  }

  public static FinetuneSpec spec(Recipe recipe, String task) {
    return recipe.finetune().stream().filter(f -> f.task().equals(task)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no finetune task " + task));
  }

  /** {@code <workDir>/<recipe>/finetune-<task>[-random-init]/<fingerprint>}. */
  public static ResourceId directory(Recipe recipe, String task, boolean randomInit, String workDir) {
    return Artifacts.stageDir(workDir, recipe.name(), stage(recipe, task, randomInit));
  }

  /** The finished stage, if its manifest verifies. */
  public static Optional<Result> done(Recipe recipe, String task, boolean randomInit, String workDir) {
    ResourceId dir = directory(recipe, task, randomInit, workDir);
    return StageManifest.verified(dir, stage(recipe, task, randomInit).fingerprint())
        .map(m -> new Result(Artifacts.uri(dir), m, true));
  }

  /** Where the stage starts from: the task's {@code initFrom}, else the pretraining export. */
  public static FolderRef init(Recipe recipe, String task, FolderRef pretrainedHf) {
    FinetuneSpec spec = spec(recipe, task);
    FolderRef init = spec.initFrom() != null ? FolderRef.of(spec.initFrom()) : pretrainedHf;
    if (init == null || !init.has("config.json")) {
      throw new IllegalArgumentException("finetune[" + task + "]: " + (init == null ? "no pretrained model" : init.dir())
          + " is not a model directory (no config.json)");
    }
    return init;
  }

  /** The worker's job (also what job descriptions describe). */
  public static FinetuneJob job(Recipe recipe, String task, boolean randomInit, String workDir, FolderRef init,
      String backend) {
    return new FinetuneJob(RecipeJson.write(recipe), task, randomInit, init,
        Artifacts.uri(directory(recipe, task, randomInit, workDir)), backend);
  }

  /**
   * Runs the stage (or finds it done). {@code pretrainedHf} is the pretraining stage's HF export
   * (ignored when the task has {@code initFrom}); for a random init it supplies the tokenizer.
   */
  public static Result run(
      Recipe recipe, String task, boolean randomInit, String workDir, FolderRef pretrainedHf,
      PipelineOptions options, String accelerator) {
    FileSystems.setDefaultPipelineOptions(options);
    FinetuneSpec spec = spec(recipe, task);
    Stage stage = stage(recipe, task, randomInit);
    Optional<Result> existing = done(recipe, task, randomInit, workDir);
    if (existing.isPresent()) {
      return existing.get();
    }
    if (spec.data() == null) {
      throw new IllegalArgumentException("finetune[" + task + "].data is missing: the stage reads the task's files from"
          + " it (a GLUE task folder, a SQuAD folder, the Brown corpus folder)");
    }
    FinetuneJob job = job(recipe, task, randomInit, workDir, init(recipe, task, pretrainedHf),
        options.as(BackendOptions.class).getBackend());
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, job, accelerator);
    StagePipeline.runToCompletion(pipeline, "fine-tuning (" + task + ")");
    ResourceId dir = Artifacts.dir(job.outDir());
    ResourceId resultFile = Artifacts.file(dir, RESULT);
    JsonNode result = Artifacts.readJsonIfPresent(resultFile).orElseThrow(
        () -> new IllegalStateException("fine-tuning " + task + " finished without writing " + resultFile));
    List<FileEntry> files = new ArrayList<>(StageManifest.files(result));
    files.add(new FileEntry(RESULT, Artifacts.size(resultFile).orElseThrow(), Artifacts.sha256(resultFile)));
    ObjectNode body = StageManifest.object();
    body.put("task", task);
    body.put("init", randomInit ? "random" : job.init().dir());
    body.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    body.set("result", result.path("summary"));
    body.put("huggingFace", job.outDir() + "/hf");
    ObjectNode manifest = StageManifest.commit(dir, stage.directory(), recipe.name(), stage.fingerprint(), files, body);
    return new Result(job.outDir(), manifest, false);
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
    public void process(@Element FinetuneJob job, OutputReceiver<String> out) {
      Recipe recipe = RecipeJson.read(job.recipeJson(), "finetune job " + job.task());
      FinetuneSpec spec = spec(recipe, job.task());
      TaskData train = TaskSource.read(job.task(), Staging.input(spec.data()), TaskSource.Split.TRAIN).requireComplete();
      Path init = job.init().local();
      Path scratch = Staging.scratch("finetune-" + job.task());
      try {
        Path hf = scratch.resolve("hf");
        String label = job.task() + (job.randomInit() ? " (random init)" : "");
        FinetuneRun.Result r;
        try (Kernels kernels = Backends.create(Backend.parse(job.backend()), KernelPrecision.FP32)) {
          if (job.randomInit()) {
            ModelSpec shape = spec.initFrom() != null ? config(init).spec() : recipe.model();
            r = FinetuneRun.fromRandom(spec, train, shape, init, hf, kernels, line -> log(label, line));
          } else {
            r = FinetuneRun.fromPretrained(spec, train, init, hf, kernels, line -> log(label, line));
          }
        }
        ResourceId dir = Artifacts.dir(job.outDir());
        List<FileEntry> files = new ArrayList<>(Staging.publish(hf, dir, "hf/"));
        files.add(Artifacts.write(dir, "metrics.jsonl", losses(r.training()).getBytes(StandardCharsets.UTF_8)));
        ObjectNode result = StageManifest.object();
        result.set("summary", Artifacts.readJson(Artifacts.file(dir, "hf/finetune.json")));
        result.set("files", StageManifest.filesNode(files));
        Artifacts.writeJson(dir, RESULT, result);
        out.output(job.outDir() + "/hf");
      } finally {
        Staging.delete(scratch);
      }
    }

    private static HfConfig config(Path dir) {
      try {
        return HfConfig.read(dir.resolve("config.json"));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot read " + dir.resolve("config.json") + ": " + e.getMessage(), e);
      }
    }

    private static void log(String label, String line) {
      System.err.println(line.startsWith("finetune ") ? line.replaceFirst("^finetune [^:]+:", "finetune " + label + ":") : line);
      System.err.flush();
    }
  }

  private static String losses(Finetuner.Result r) {
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < r.losses().size(); i++) {
      lines.append("{\"step\":").append(i + 1).append(",\"loss\":").append(r.losses().get(i)).append("}\n");
    }
    return lines.toString();
  }
}
