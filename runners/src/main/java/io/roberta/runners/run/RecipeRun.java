package io.roberta.runners.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.engine.kernels.NativeMemory;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.pipelines.eval.EvalStage;
import io.roberta.pipelines.finetune.FinetuneStage;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.pipelines.run.RunReport;
import io.roberta.runners.options.DirectTraining;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.stage.WorkLock;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.beam.runners.direct.DirectOptions;

/**
 * Runs every stage of a recipe in plan order on the runner the options name: tokenizer, corpus,
 * pretraining, each fine-tuning (and its random-init baseline), evaluation; then writes {@code
 * <workDir>/<recipe>/report.md}. A stage whose folder holds a manifest of its fingerprint is
 * skipped, pretraining resumes from its newest checkpoint, so a killed run picks up where it
 * stopped. Everything the recipe needs from outside (task data folders) is checked before the
 * first stage starts.
 *
 * <pre>{@code RecipeRun.Outcome o = RecipeRun.run(recipe, options, System.err::println);}</pre>
 */
public final class RecipeRun {
  /** What the run produced. {@code pretrainedHf} is null without pretraining; {@code complete} is false after a time-boxed stop. */
  public record Outcome(
      Plan plan, List<RunReport.StageRun> stages, String report, FolderRef pretrainedHf, Map<String, FolderRef> models,
      JsonNode evalManifest, boolean complete) {}

  private final Recipe recipe;
  private final RobertaPipelineOptions options;
  private final Consumer<String> log;
  private final List<RunReport.StageRun> stages = new ArrayList<>();
  private final Plan plan;
  private final int stageCount;

  private RecipeRun(Recipe recipe, RobertaPipelineOptions options, Consumer<String> log) {
    this.recipe = recipe;
    this.options = options;
    this.log = log;
    this.plan = Plan.compile(recipe);
    this.stageCount = plan.stages().size();
  }

  public static Outcome run(Recipe recipe, RobertaPipelineOptions options, Consumer<String> log) {
    return new RecipeRun(recipe, options, log).run();
  }

  /** Problems that would stop a later stage, found before any stage starts ({@link PreRunChecks}). */
  public static void checkInputs(Recipe recipe) {
    PreRunChecks.check(recipe);
  }

  private Outcome run() {
    FileSystems.setDefaultPipelineOptions(options);
    checkInputs(recipe);
    try (WorkLock lock = WorkLock.acquire(options.getWorkDir(), recipe.name())) {
      return runLocked();
    }
  }

  private Outcome runLocked() {
    // Stages poll their pipelines for progress lines; the DirectRunner would otherwise block in run().
    options.as(DirectOptions.class).setBlockOnRun(false);
    String workDir = options.getWorkDir();
    log.accept(String.format(Locale.ROOT, "run %s: %d stages on %s, artifacts under %s/%s/", recipe.name(), stageCount,
        options.getRunner().getSimpleName(), workDir, recipe.name()));

    TokenizerRef tokenizer = stage("tokenizer", () -> {
      boolean done = !recipe.tokenizer().isTrained() || RecipeTokenizer.done(recipe, workDir).isPresent();
      TokenizerRef t = RecipeTokenizer.ensure(recipe, workDir, options, log);
      return new Done<>(t, t.dir(), done);
    });

    CorpusStage.Result corpus = null;
    if (recipe.corpus() != null) {
      corpus = stage("corpus", () -> {
        CorpusStage.Result c = CorpusStage.of(recipe, workDir, tokenizer).progress(log, Duration.ofSeconds(10)).run(options);
        return new Done<>(c, c.directory(), c.skipped());
      });
    }

    PretrainStage.Result pretrain = null;
    FolderRef pretrainedHf = null;
    if (recipe.pretrain() != null) {
      CorpusStage.Result c = corpus;
      pretrain = stage("pretrain", () -> {
        int parallelism = DirectTraining.apply(options);
        try {
          PretrainStage.Result p = PretrainStage.run(recipe, workDir, CorpusOutput.of(c.directory(), c.manifest()), tokenizer, options,
              options.getStopAfterSteps(), options.getHoldoutBlocks(), trainingAccelerator());
          return new Done<>(p, p.directory(), p.skipped());
        } finally {
          DirectTraining.restore(options, parallelism);
        }
      });
      pretrainedHf = pretrain.huggingFace();
      long steps = pretrain.manifest().path("steps").asLong();
      long total = recipe.pretrain().schedule().totalSteps();
      if (steps < total) {
        log.accept(String.format(Locale.ROOT, "pretraining stopped at step %d of %d (--stopAfterSteps); the later stages"
            + " wait for the whole schedule: run again without it to resume", steps, total));
        String report = writeReport(corpus, pretrain, Map.of(), null);
        return new Outcome(plan, List.copyOf(stages), report, pretrainedHf, Map.of(), null, false);
      }
    }

    Map<String, FolderRef> models = new LinkedHashMap<>();
    Map<String, RunReport.Finetuned> finetuned = new LinkedHashMap<>();
    String accelerator = trainingAccelerator();
    for (FinetuneSpec f : recipe.finetune()) {
      for (boolean random : f.randomInitBaseline() ? new boolean[] {false, true} : new boolean[] {false}) {
        String label = random ? f.task() + EvalStage.BASELINE_SUFFIX : f.task();
        FolderRef init = pretrainedHf;
        FinetuneStage.Result r = stage(random ? Plan.baselineStageName(f.task()) : Plan.finetuneStageName(f.task()), () -> {
          int parallelism = DirectTraining.apply(options);
          try {
            FinetuneStage.Result x = FinetuneStage.run(recipe, f.task(), random, workDir, init, options, accelerator);
            return new Done<>(x, x.directory(), x.skipped());
          } finally {
            DirectTraining.restore(options, parallelism);
          }
        });
        models.put(label, r.model());
        finetuned.put(label, RunReport.Finetuned.read(r.manifest(), r.directory()));
      }
    }

    JsonNode evalManifest = null;
    if (recipe.eval() != null) {
      EvalStage.Inputs inputs = new EvalStage.Inputs(
          pretrainedHf, corpus == null ? null : CorpusOutput.of(corpus.directory(), corpus.manifest()), models);
      EvalStage.Result e = stage("eval", () -> {
        int parallelism = DirectTraining.apply(options);
        try {
          EvalStage.Result x = EvalStage.run(recipe, workDir, inputs, options, log);
          return new Done<>(x, x.directory(), x.skipped());
        } finally {
          DirectTraining.restore(options, parallelism);
        }
      });
      evalManifest = e.manifest();
    }
    String report = writeReport(corpus, pretrain, finetuned, evalManifest);
    return new Outcome(plan, List.copyOf(stages), report, pretrainedHf, models, evalManifest, true);
  }

  /**
   * The training steps' accelerator hint: {@code --trainingAccelerator}, else the recipe's default.
   * Where to run is an option; the recipe's {@code pretrain.accelerator} is only a default and is not
   * part of any stage fingerprint.
   */
  private String trainingAccelerator() {
    return options.getTrainingAccelerator() != null ? options.getTrainingAccelerator()
        : recipe.pretrain() != null ? recipe.pretrain().accelerator() : null;
  }

  private String writeReport(CorpusStage.Result corpus, PretrainStage.Result pretrain, Map<String, RunReport.Finetuned> finetuned,
      JsonNode eval) {
    ResourceId dir = Artifacts.dir(Artifacts.dir(options.getWorkDir()), recipe.name());
    return RunReport.write(recipe, dir, stages, corpus == null ? null : corpus.manifest(),
        pretrain == null ? null : pretrain.manifest(), pretrain == null ? null : pretrain.directory(), finetuned, eval);
  }

  /** A stage's value, its folder, and whether it was skipped. */
  private record Done<T>(T value, String directory, boolean skipped) {}

  private <T> T stage(String name, Supplier<Done<T>> body) {
    int index = stages.size() + 1;
    Stage planned = plan.stage(name).orElseThrow();
    log.accept(String.format(Locale.ROOT, "[%d/%d] %s %s: %s", index, stageCount, name, planned.shortFingerprint(),
        planned.summary()));
    long started = System.nanoTime();
    NativeMemory.Snapshot before = NativeMemory.snapshot();
    JobNames.set(options, recipe.name(), planned);
    Done<T> done = body.get();
    // No System.gc() here any more: every stage closes its models, optimizer and kernels where its
    // work ends (DoFn teardown, stage end), so its ND4J buffers are freed, not left to the
    // collector (CrossStageMemoryTest). The C allocator keeps freed memory for later; it is asked
    // to give it back (malloc_trim, milliseconds), so the next stage and the line below start
    // from what this JVM really holds.
    NativeMemory.trimFreedMemory();
    double seconds = (System.nanoTime() - started) / 1e9;
    stages.add(new RunReport.StageRun(name, done.directory(), done.skipped(), seconds));
    log.accept(String.format(Locale.ROOT, "[%d/%d] %s %s in %.1f s: %s", index, stageCount, name,
        done.skipped() ? "skipped (already done)" : "done", seconds, done.directory()));
    log.accept(String.format(Locale.ROOT, "[%d/%d] %s memory: %s", index, stageCount, name,
        NativeMemory.snapshot().describeSince(before)));
    return done.value();
  }
}
