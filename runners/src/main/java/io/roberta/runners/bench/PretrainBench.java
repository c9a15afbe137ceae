package io.roberta.runners.bench;

import io.roberta.runners.options.DirectTraining;

import io.roberta.pipelines.pretrain.TrainModel;
import io.roberta.pipelines.pretrain.TrainingJob;

import io.roberta.engine.data.Seeds;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.train.StepBatches;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.pipelines.stage.Artifacts;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * How much the training stage costs beyond the bare engine: the same optimizer steps on the same
 * batches, once as a plain loop (batches masked beforehand, untimed; then forward, backward and
 * AdamW only) and once as the {@link TrainModel} pipeline on the DirectRunner (pipeline start,
 * shard reads, masking, metrics, checkpoint, export). Both run twice, alternating (bare, stage,
 * bare, stage), and the overhead compares the best of each: the JIT keeps compiling through the
 * first runs in a JVM, so comparing a later bare run with an earlier stage run counted the JIT's
 * progress as stage cost. Prints tokens/s of every run, how much of each stage run its own steps
 * took (from its {@code metrics.jsonl}), and the overhead.
 *
 * <pre>{@code PretrainBench.Result r = PretrainBench.run(List.of(jobA, jobB), 8, System.out);}</pre>
 */
public final class PretrainBench {
  /** Seconds of the best bare loop and of the best stage run, for {@code steps} steps. */
  public record Result(long steps, long tokensPerStep, double bareSeconds, double stageSeconds) {
    public double overhead() {
      return stageSeconds / bareSeconds - 1;
    }
  }

  private PretrainBench() {}

  /**
   * Runs the bare loop and the stage alternately, once per job in {@code stageRuns}: the same
   * recipe and corpus, each with its own output folder (a finished stage would be skipped).
   */
  public static Result run(List<TrainingJob> stageRuns, long steps, PrintWriter out) {
    TrainingJob job = stageRuns.get(0);
    Recipe recipe = RecipeJson.read(job.recipeJson(), "bench job");
    ModelSpec model = recipe.model();
    PretrainSpec pre = recipe.pretrain();
    long tokensPerStep = (long) pre.batchSize() * job.corpus().blockLength();
    List<StepBatches.Step> batches = new ArrayList<>(); // the trainer's own first steps, drawn untimed
    try (TokenShards shards = TokenShards.open(job.corpus().stageLocally(job.corpus().train()),
        TokenShards.Dtype.valueOf(job.corpus().dtype()), job.corpus().blockLength())) {
      StepBatches source = new StepBatches(model, pre, shards);
      for (long s = 0; s < steps; s++) {
        batches.add(source.forStep(s));
      }
    }
    double bestBare = Double.MAX_VALUE;
    double bestStage = Double.MAX_VALUE;
    for (int run = 0; run < stageRuns.size(); run++) {
      double bare = bare(model, pre, batches);
      bestBare = Math.min(bestBare, bare);
      out.printf("bare engine loop   : %d steps in %.2f s, %,.0f tokens/s (run %d)%n", steps, bare,
          steps * tokensPerStep / bare, run + 1);
      out.flush();
      TrainingJob j = stageRuns.get(run);
      TrainingJob timed = new TrainingJob(j.recipeJson(), j.stageFingerprint(), j.corpus(), j.tokenizer(),
          j.outDir(), steps, 0, j.backend());
      DirectOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(DirectOptions.class);
      options.setEnforceEncodability(false);
      options.setEnforceImmutability(false);
      options.setTargetParallelism(DirectTraining.PARALLELISM);
      Pipeline p = Pipeline.create(options);
      p.apply("Job", Create.of(timed).withCoder(SerializableCoder.of(TrainingJob.class)))
          .apply("TrainModel", TrainModel.onCpu());
      long start = System.nanoTime();
      p.run().waitUntilFinish();
      double stage = (System.nanoTime() - start) / 1e9;
      bestStage = Math.min(bestStage, stage);
      double inSteps = stepSeconds(j.outDir(), tokensPerStep);
      out.printf("TrainModel pipeline: %d steps in %.2f s, %,.0f tokens/s (run %d; its steps %.2f s, the rest %.2f s)%n",
          steps, stage, steps * tokensPerStep / stage, run + 1, inSteps, stage - inSteps);
      out.flush();
    }
    Result r = new Result(steps, tokensPerStep, bestBare, bestStage);
    out.printf("stage overhead over the bare loop (best of %d runs each): %+.1f%% (target: under 10%%)%n",
        stageRuns.size(), 100 * r.overhead());
    out.flush();
    return r;
  }

  /** Seconds the stage's own steps took, summed from the tokens/s of each line of its metrics.jsonl. */
  private static double stepSeconds(String outDir, long tokensPerStep) {
    ResourceId metrics = Artifacts.file(Artifacts.dir(outDir), "metrics.jsonl");
    double seconds = 0;
    for (String line : new String(Artifacts.read(metrics), StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      try {
        double rate = Artifacts.JSON.readTree(line).path("tokensPerSecond").asDouble(0);
        seconds += rate > 0 ? tokensPerStep / rate : 0;
      } catch (java.io.IOException e) {
        throw new IllegalStateException(Artifacts.uri(metrics) + ": not a JSON line: " + line, e);
      }
    }
    return seconds;
  }

  private static double bare(ModelSpec model, PretrainSpec pre, List<StepBatches.Step> batches) {
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        RobertaForMaskedLM net = new RobertaForMaskedLM(model, kernels);
        AdamW adam = new AdamW(pre.schedule().peakLearningRate(), pre.optimizer().beta1(), pre.optimizer().beta2(),
            pre.optimizer().epsilon(), pre.optimizer().weightDecay())) {
      net.initialize(pre.seed());
      long start = System.nanoTime();
      for (int s = 0; s < batches.size(); s++) {
        net.parameters().zeroGrads();
        StepBatches.Step step = batches.get(s);
        for (int m = 0; m < step.batches().length; m++) {
          net.trainStep(step.batches()[m], step.labels()[m], RunMode.training(Seeds.derive(pre.seed(), s + 1, m)),
              1.0 / step.maskedTokens());
        }
        adam.step(net.parameters(), pre.schedule().learningRate(s + 1));
      }
      return (System.nanoTime() - start) / 1e9;
    }
  }
}
