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
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;

/**
 * How much the training stage costs beyond the bare engine: the same optimizer steps on the same
 * batches, once as a plain loop (batches masked beforehand, untimed; then forward, backward and
 * AdamW only) and once as the {@link TrainModel} pipeline on the DirectRunner (pipeline start,
 * shard reads, masking, metrics, checkpoint, export). Prints tokens/s of both and the overhead.
 *
 * <pre>{@code PretrainBench.Result r = PretrainBench.run(job, 8, System.out);}</pre>
 */
public final class PretrainBench {
  /** Seconds of the bare loop (best of two runs) and of the stage, for {@code steps} steps. */
  public record Result(long steps, long tokensPerStep, double bareSeconds, double stageSeconds) {
    public double overhead() {
      return stageSeconds / bareSeconds - 1;
    }
  }

  private PretrainBench() {}

  public static Result run(TrainingJob job, long steps, PrintWriter out) {
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
    double bare1 = bare(model, pre, batches);
    out.printf("bare engine loop   : %d steps in %.2f s, %,.0f tokens/s%n", steps, bare1, steps * tokensPerStep / bare1);
    out.flush();
    TrainingJob timed = new TrainingJob(job.recipeJson(), job.stageFingerprint(), job.corpus(), job.tokenizer(),
        job.outDir(), steps, 0, job.backend());
    DirectOptions options = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").as(DirectOptions.class);
    options.setEnforceEncodability(false);
    options.setEnforceImmutability(false);
    options.setTargetParallelism(DirectTraining.PARALLELISM);
    Pipeline p = Pipeline.create(options);
    p.apply("Job", Create.of(timed).withCoder(SerializableCoder.of(TrainingJob.class))).apply("TrainModel", TrainModel.onCpu());
    long start = System.nanoTime();
    p.run().waitUntilFinish();
    double stage = (System.nanoTime() - start) / 1e9;
    out.printf("TrainModel pipeline: %d steps in %.2f s, %,.0f tokens/s%n", steps, stage, steps * tokensPerStep / stage);
    out.flush();
    double bare2 = bare(model, pre, batches);
    out.printf("bare engine loop   : %d steps in %.2f s, %,.0f tokens/s (second run)%n", steps, bare2, steps * tokensPerStep / bare2);
    out.flush();
    Result r = new Result(steps, tokensPerStep, Math.min(bare1, bare2), stage);
    out.printf("stage overhead over the bare loop (best bare run): %+.1f%% (target: under 10%%)%n", 100 * r.overhead());
    out.flush();
    return r;
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
