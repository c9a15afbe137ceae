package io.roberta.pipelines.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.pipelines.finetune.FinetuneStage;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.pretrain.BackendOptions;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.Staging;
import java.util.Optional;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import io.roberta.pipelines.tasks.TaskData;
import io.roberta.pipelines.tasks.TaskExample;
import io.roberta.pipelines.tasks.TaskSource;
import io.roberta.spec.EvalSpec;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;

/**
 * The evaluation stage of a recipe: one Beam pipeline with a branch per evaluated model, each
 * sharded as the recipe's evaluation spec says. {@code masked-lm} scores the pretraining export
 * on the corpus stage's holdout blocks ({@link EvaluateMaskedLm}); a task scores its fine-tuned
 * model on the task's evaluation split ({@link EvaluateShards}), and its random-init baseline
 * too when the recipe fine-tunes one. Each evaluation writes {@code predictions.jsonl}, {@code
 * report.json} and {@code report.md} under {@code <stage>/<label>/}; the stage's manifest
 * collects every report, and a folder whose manifest has the stage's fingerprint is skipped.
 *
 * <pre>{@code
 * EvalStage.Result r = EvalStage.run(recipe, "work", inputs, options);
 * }</pre>
 */
public final class EvalStage {
  /** The label of a task's random-init baseline evaluation. */
  public static final String BASELINE_SUFFIX = "-random-init";

  /** Where the stage wrote (a URI), what its manifest says, and whether it had already run. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {}

  /**
   * The upstream artifacts: the pretraining export and the corpus (for masked-LM; null without
   * pretraining), and each evaluated model by label ({@code <task>} and {@code
   * <task>-random-init}).
   */
  public record Inputs(FolderRef pretrainedHf, CorpusOutput corpus, Map<String, FolderRef> models) {
    public Inputs {
      models = Map.copyOf(models);
    }
  }

  private EvalStage() {}

  public static Stage stage(Recipe recipe) {
    return Plan.compile(recipe).stage("eval")
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no eval stage"));
  }

  public static ResourceId directory(Recipe recipe, String workDir) {
    return Artifacts.stageDir(workDir, recipe.name(), stage(recipe));
  }

  /** The finished stage's manifest, if it verifies. */
  public static Optional<JsonNode> done(Recipe recipe, String workDir) {
    return StageManifest.verified(directory(recipe, workDir), stage(recipe).fingerprint());
  }

  /** The labels this stage evaluates, in report order. */
  public static List<String> labels(Recipe recipe) {
    List<String> labels = new ArrayList<>();
    for (EvalSpec.Task t : recipe.eval().tasks()) {
      labels.add(t.label());
      if (t.kind() == EvalSpec.Task.Kind.TASK && FinetuneStage.spec(recipe, t.task()).randomInitBaseline()) {
        labels.add(t.task() + BASELINE_SUFFIX);
      }
    }
    return labels;
  }

  public static Result run(Recipe recipe, String workDir, Inputs inputs, PipelineOptions options, Consumer<String> log) {
    FileSystems.setDefaultPipelineOptions(options);
    Stage stage = stage(recipe);
    ResourceId dir = directory(recipe, workDir);
    Optional<JsonNode> existing = StageManifest.verified(dir, stage.fingerprint());
    if (existing.isPresent()) {
      return new Result(Artifacts.uri(dir), existing.get(), true);
    }
    Pipeline p = Pipeline.create(options);
    long examples = build(p, recipe, Artifacts.uri(dir), inputs, options.as(BackendOptions.class).getBackend());
    log.accept(String.format(Locale.ROOT, "eval: %d task example(s) over %s", examples, labels(recipe)));
    PipelineResult result = p.run();
    long started = System.nanoTime();
    PipelineResult.State state = result.waitUntilFinish(Duration.standardSeconds(10));
    while (state == null || !state.isTerminal()) {
      long scored = scored(result);
      double seconds = (System.nanoTime() - started) / 1e9;
      if (scored == 0) {
        // Runners report counters per finished bundle, and a shard is one bundle on the DirectRunner.
        log.accept(String.format(Locale.ROOT, "eval: scoring %,d task examples, %.0f s (counts arrive as shards finish)",
            examples, seconds));
      } else {
        log.accept(String.format(Locale.ROOT, "eval: %,d/%,d task examples scored, %.1f examples/s, %.0f s, ETA %.0f s", scored,
            examples, scored / seconds, seconds, seconds / scored * (examples - scored)));
      }
      state = result.waitUntilFinish(Duration.standardSeconds(10));
    }
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the evaluation pipeline ended in state " + state);
    }
    ObjectNode body = StageManifest.object();
    body.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    ObjectNode reports = body.putObject("reports");
    List<FileEntry> files = new ArrayList<>();
    for (String label : labels(recipe)) {
      ResourceId reportFile = Artifacts.file(dir, label + "/report.json");
      JsonNode report = Artifacts.readJsonIfPresent(reportFile).orElseThrow(
          () -> new IllegalStateException("the evaluation of " + label + " wrote no " + reportFile));
      reports.set(label, report);
      for (ResourceId f : Artifacts.list(Artifacts.dir(dir, label), "*")) {
        files.add(new FileEntry(label + "/" + f.getFilename(), Artifacts.size(f).orElseThrow(), Artifacts.sha256(f)));
      }
    }
    ObjectNode manifest = StageManifest.commit(dir, "eval", recipe.name(), stage.fingerprint(), files, body);
    return new Result(Artifacts.uri(dir), manifest, false);
  }

  /**
   * Adds every evaluation of the recipe to {@code p}, writing under {@code dir}; returns the
   * number of task examples it will score. {@link #run} and job descriptions share it.
   */
  public static long build(Pipeline p, Recipe recipe, String dir, Inputs inputs, String backend) {
    EvalSpec eval = recipe.eval();
    long examples = 0;
    for (EvalSpec.Task t : eval.tasks()) {
      if (t.kind() == EvalSpec.Task.Kind.MASKED_LM) {
        if (inputs.pretrainedHf() == null || inputs.corpus() == null || inputs.corpus().holdout().isEmpty()) {
          throw new IllegalArgumentException("eval masked-lm needs the pretraining export and the corpus holdout shards");
        }
        p.apply("EvaluateMaskedLm", EvaluateMaskedLm.of(inputs.pretrainedHf(), inputs.corpus(), recipe.pretrain().masking())
            .shards(t.shards()).batchSize(eval.batchSize()).backend(backend).writeTo(dir + "/" + t.label()));
        continue;
      }
      FinetuneSpec f = FinetuneStage.spec(recipe, t.task());
      if (f.data() == null) {
        throw new IllegalArgumentException("finetune[" + t.task() + "].data is missing: the evaluation reads the task's"
            + " evaluation split from it");
      }
      // the driver reads the split once for its labels and rejected rows; the examples themselves
      // are read again inside the pipeline, so no job request carries them
      TaskData data = TaskSource.read(t.task(), Staging.input(f.data()), TaskSource.Split.EVAL);
      EvalTask task = EvalTask.of(data, f.maxSequenceLength()); // refuses data with rejected rows, naming them
      List<String> labels = new ArrayList<>(List.of(t.task()));
      if (f.randomInitBaseline()) {
        labels.add(t.task() + BASELINE_SUFFIX);
      }
      for (String label : labels) {
        FolderRef model = inputs.models().get(label);
        if (model == null) {
          throw new IllegalArgumentException("eval " + label + ": no fine-tuned model given (have " + inputs.models().keySet() + ")");
        }
        p.apply("Read " + label, ReadTaskExamples.of(t.task(), f.data(), TaskSource.Split.EVAL))
            .apply("Evaluate " + label, EvaluateShards.of(model, task).shards(t.shards()).batchSize(eval.batchSize())
                .backend(backend).writeTo(dir + "/" + label));
        examples += data.examples().size();
      }
    }
    return examples;
  }

  private static long scored(PipelineResult result) {
    long total = 0;
    try {
      for (MetricResult<Long> c : result.metrics().queryMetrics(MetricsFilter.builder()
          .addNameFilter(MetricNameFilter.named(EvaluateShards.class, EvaluateShards.EXAMPLES_SCORED)).build()).getCounters()) {
        total += c.getAttempted();
      }
    } catch (UnsupportedOperationException e) {
      return 0; // a runner without live metrics: the line shows 0 until the end
    }
    return total;
  }
}
