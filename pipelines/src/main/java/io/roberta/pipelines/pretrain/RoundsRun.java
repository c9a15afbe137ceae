package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.Pretrainer;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.CrashPoint;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.StagePipeline;
import io.roberta.pipelines.stage.Staging;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RoundsSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * The driver of multi-worker pretraining: submits pipelines of {@code --roundsPerPipeline} rounds
 * each ({@link Rounds}) until the schedule (or {@code untilStep}, rounded up to a round end) is
 * done, each starting from the newest committed round, and ends with the export (the same
 * {@code hf/}, {@code metrics.jsonl}, {@code loss.png} and {@code result.json} as one worker's
 * run). A driver killed between or during rounds resumes from the newest committed round.
 *
 * <pre>{@code RoundsRun.run(job, options, accelerator, System.err);}</pre>
 */
public final class RoundsRun {
  /** Crash point: a pipeline of rounds finished; the next one is not submitted yet. */
  public static final String BETWEEN_ROUNDS = "between-rounds";

  private RoundsRun() {}

  /** The last round this job runs (1-based), with {@code untilStep} rounded up to a round end. */
  static int lastRound(TrainingJob job, PretrainSpec spec) {
    RoundsSpec rounds = spec.rounds();
    long total = spec.schedule().totalSteps();
    long until = job.untilStep() < 0 ? total : Math.min(job.untilStep(), total);
    return (int) Math.max(1, (until + rounds.roundSteps() - 1) / rounds.roundSteps());
  }

  /** Adds rounds {@code from..to} (and the export when {@code to} is the last) after round {@code from - 1}. */
  public static void build(Pipeline pipeline, TrainingJob job, int from, int to, boolean export, String accelerator,
      int parallelism) {
    Recipe recipe = Rounds.recipe(job);
    int[] keys = Placement.keys(recipe.pretrain().rounds().workers(), parallelism);
    PCollection<RoundRef> ref = pipeline
        .apply("TrainingJob", Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class)))
        .apply("StartRound", ParDo.of(new Rounds.InitFn()))
        .setCoder(SerializableCoder.of(RoundRef.class));
    for (int r = from; r <= to; r++) {
      ref = ref.apply("Round" + r, new Rounds.Round(job, r, accelerator, keys));
    }
    if (export) {
      ref.apply("ExportModel", ParDo.of(new ExportFn(job)))
          .setCoder(SerializableCoder.of(TrainingResult.class));
    }
  }

  /** Runs every remaining round and the export. */
  public static void run(TrainingJob job, PipelineOptions options, String accelerator, PrintStream console) {
    Recipe recipe = Rounds.recipe(job);
    PretrainSpec spec = recipe.pretrain();
    RoundsSpec rounds = spec.rounds();
    int last = lastRound(job, spec);
    int perPipeline = Math.max(1, options.as(RoundsOptions.class).getRoundsPerPipeline());
    int parallelism = Placement.parallelism(options, rounds.workers());
    ResourceId stage = Artifacts.dir(job.outDir());
    for (int w = 0; w < rounds.workers(); w++) {
      Rounds.workerShards(job.corpus(), rounds, w); // fails now, naming the shard count, rather than on a worker
    }
    while (true) {
      Optional<RoundRef> newest = RoundRef.newestCommitted(stage, job.stageFingerprint());
      int from = newest.map(r -> r.round() + 1).orElse(1);
      int to = Math.min(last, from + perPipeline - 1);
      boolean export = to >= last;
      console.printf("pretrain: %s, %d workers, rounds of %d steps%s: %s%n", recipe.name(), rounds.workers(),
          rounds.roundSteps(), rounds.syncSteps() == 0 ? ""
              : " (steps 1.." + rounds.syncSteps() + " synchronous on one worker)", from > last ? "all " + last + " rounds committed, exporting"
              : newest.map(r -> "resuming after round " + r.round() + ", ").orElse("") + "rounds " + from + ".." + to
                  + " of " + rounds.rounds(spec.schedule().totalSteps()));
      Pipeline pipeline = Pipeline.create(options);
      build(pipeline, job, from, to, export, accelerator, parallelism);
      StagePipeline.runToCompletion(pipeline, "pretraining rounds " + from + ".." + to);
      if (export) {
        return;
      }
      CrashPoint.reached(BETWEEN_ROUNDS);
    }
  }

  /** The end of the run: the newest global parameters exported as one worker's run exports its model. */
  static final class ExportFn extends DoFn<RoundRef, TrainingResult> {
    private final TrainingJob job;

    ExportFn(TrainingJob job) {
      this.job = job;
    }

    @ProcessElement
    public void process(@Element RoundRef last, OutputReceiver<TrainingResult> out) {
      long started = System.nanoTime();
      Recipe recipe = Rounds.recipe(job);
      PretrainSpec spec = recipe.pretrain();
      RoundsSpec rounds = spec.rounds();
      ResourceId stage = Artifacts.dir(job.outDir());
      JsonNode commit = Artifacts.readJson(Artifacts.file(last.resource(), RoundRef.COMMIT));
      List<StepMetrics> metrics = new ArrayList<>();
      StringBuilder lines = new StringBuilder();
      for (int r = 1; r <= last.round(); r++) {
        ResourceId segment = Artifacts.file(Artifacts.dir(stage, "metrics/"), String.format("round-%06d.jsonl", r));
        String text = new String(Artifacts.read(segment), StandardCharsets.UTF_8);
        lines.append(text);
        metrics.addAll(MetricsLog.parse(text, segment.toString()));
      }
      List<FileEntry> files = new ArrayList<>();
      files.add(Artifacts.write(stage, "metrics.jsonl", lines.toString().getBytes(StandardCharsets.UTF_8)));
      List<double[]> outer = new ArrayList<>();
      StringBuilder roundLines = new StringBuilder();
      double seconds = 0;
      for (JsonNode h : commit.path("history")) {
        roundLines.append(h.toString()).append('\n');
        if (h.has("holdoutLoss")) {
          outer.add(new double[] {h.path("endStep").asDouble(), h.path("holdoutLoss").asDouble()});
        }
        seconds += h.path(h.has("wallSeconds") ? "wallSeconds" : "seconds").asDouble();
      }
      files.add(Artifacts.write(stage, "rounds.jsonl", roundLines.toString().getBytes(StandardCharsets.UTF_8)));
      if (!metrics.isEmpty()) {
        files.add(Artifacts.write(stage, "loss.png", LossPlot.png(metrics, outer,
            recipe.name() + ": masked-LM pretraining, " + rounds.workers() + " workers, rounds of "
                + rounds.roundSteps() + " steps", recipe.pretrain().sequenceCurriculum())));
      }
      ObjectNode extra = StageManifest.object();
      ObjectNode r = extra.putObject("rounds");
      r.put("workers", rounds.workers());
      r.put("roundSteps", rounds.roundSteps());
      r.put("outerLearningRate", rounds.outerLearningRate());
      if (rounds.outerWarmupRounds() > 0) {
        r.put("outerWarmupRounds", rounds.outerWarmupRounds());
      }
      r.put("outerMomentum", rounds.outerMomentum());
      r.put("nesterov", rounds.nesterov());
      r.put("rounds", last.round());
      r.put("finalStateSha256", last.stateSha256());
      r.put("bytesPerRound", commit.path("bytesToWorkers").asLong() + commit.path("bytesFromWorkers").asLong());
      r.put("allReduceBytesPerRound", commit.path("allReduceBytes").asLong());
      ArrayNode digests = r.putArray("history");
      for (JsonNode h : commit.path("history")) {
        digests.add(h);
      }
      CorpusOutput corpus = job.corpus();
      Path local = Staging.scratch("rounds-export");
      try (Kernels kernels = Rounds.kernels(job, recipe);
          TokenShards train = TokenShards.open(corpus.stageLocally(Rounds.someBlocks(corpus)),
              TokenShards.Dtype.valueOf(corpus.dtype()), corpus.blockLength());
          Pretrainer trainer = new Pretrainer(recipe.model(), spec, train, local.resolve("train"), kernels,
              job.stageFingerprint())) {
        FileEntry g = last.entry(RoundRef.GLOBAL);
        trainer.startFrom(SafeTensors.read(Staging.file(Artifacts.file(last.resource(), RoundRef.GLOBAL), g)), null,
            last.endStep(), 0, 0);
        out.output(PretrainRun.finish(trainer, job, recipe, local, files, metrics,
            seconds + (System.nanoTime() - started) / 1e9, extra, System.err));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot export round " + last.round() + ": " + e.getMessage(), e);
      } finally {
        Staging.delete(local);
      }
    }
  }
}
