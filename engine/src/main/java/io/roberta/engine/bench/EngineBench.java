package io.roberta.engine.bench;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaForSequenceClassification;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.spec.ModelSpec;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times one masked-LM training step (forward + backward, dropout on, 15% of positions labelled
 * and projected onto the vocabulary) and turns it into tokens/s and model FLOP/s. A benchmark,
 * not a test: print its figures next to a ceiling measured in the same run.
 *
 * <pre>{@code EngineBench.Result r = EngineBench.measure(spec, kernels, 8, 128, 1, 3);}</pre>
 */
public final class EngineBench {
  /** Share of positions masked, as in RoBERTa pretraining. */
  public static final double MASK_RATE = 0.15;

  private EngineBench() {}

  /**
   * @param secondsPerStep best (lowest) wall time of one step
   * @param flopsPerStep model FLOPs of one step: 3x the forward (the backward is twice the
   *     forward), counted by {@link ModelSpec#forwardFlopsPerToken}
   */
  public record Result(ModelSpec spec, int batch, int seqLen, double secondsPerStep,
      double flopsPerStep) {
    public double tokensPerSecond() {
      return batch * (double) seqLen / secondsPerStep;
    }

    public double gflops() {
      return flopsPerStep / secondsPerStep / 1e9;
    }
  }

  /** A model and a fixed random batch, ready to time one training step at a time. */
  public static final class Session {
    private final ModelSpec spec;
    private final RobertaForMaskedLM model;
    private final Batch batch;
    private final int[] labels;
    private final double flopsPerStep;
    private long steps;

    Session(ModelSpec spec, RobertaForMaskedLM model, Batch batch, int[] labels, double flops) {
      this.spec = spec;
      this.model = model;
      this.batch = batch;
      this.labels = labels;
      this.flopsPerStep = flops;
    }

    /** Runs one step (gradients zeroed, forward, backward) and returns its wall time in seconds. */
    public double step() {
      model.parameters().zeroGrads();
      long start = System.nanoTime();
      model.forwardBackward(batch, labels, RunMode.training(steps++));
      return (System.nanoTime() - start) * 1e-9;
    }

    /** Model FLOPs of one step. */
    public double flopsPerStep() {
      return flopsPerStep;
    }

    public Result result(double secondsPerStep) {
      return new Result(spec, batch.size(), batch.length(), secondsPerStep, flopsPerStep);
    }
  }

  /** A randomly initialized model of {@code spec} and a batch with 15% of positions masked. */
  public static Session prepare(ModelSpec spec, Kernels kernels, int batch, int seqLen) {
    if (seqLen > spec.maxSequenceLength()) {
      throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the model's "
          + spec.maxSequenceLength());
    }
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec, kernels);
    model.initialize(1);
    SplittableRandom random = new SplittableRandom(5);
    int n = batch * seqLen;
    int[] ids = new int[n];
    int[] labels = new int[n];
    Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
    int firstOrdinary = spec.specialTokens().maxId() < 5 ? 5 : 0;
    int masked = 0;
    for (int i = 0; i < n; i++) {
      ids[i] = firstOrdinary + random.nextInt(spec.vocabSize() - firstOrdinary);
      if (ids[i] == spec.specialTokens().pad()) {
        ids[i] = spec.specialTokens().bos();
      }
      if (random.nextDouble() < MASK_RATE) {
        labels[i] = ids[i];
        ids[i] = spec.specialTokens().mask();
        masked++;
      }
    }
    double lmFraction = masked / (double) n;
    double flops = 3.0 * n * spec.forwardFlopsPerToken(seqLen, lmFraction);
    return new Session(spec, model, new Batch(batch, seqLen, ids, null, null), labels, flops);
  }

  /**
   * The rows {@code bench/torch_roberta.py} times too, on identical work (shapes, 15% masked,
   * dropout 0.1, AdamW with decay on matrices only):
   *
   * <ul>
   *   <li>{@code train}: tiny, 32 x 128, forward + backward, LM head on the masked rows only;
   *   <li>{@code step}: the same plus the AdamW update (a full training step);
   *   <li>{@code base}: roberta-base shapes, 8 x 128, forward + backward;
   *   <li>{@code infer}: tiny, 64 x 128, evaluation forward (no dropout) with loss and arg-max
   *       hits on the masked rows, as masked-LM evaluation runs;
   *   <li>{@code finetune}: tiny with a 2-label sequence-classification head, 32 x 128, forward +
   *       backward + AdamW; its unit is examples, not tokens.
   * </ul>
   */
  public static final List<String> ROWS = List.of("train", "step", "base", "infer", "finetune");

  /** One row of work, ready to run a step at a time. */
  public record Row(String name, long unitsPerStep, String unit, Runnable step) {
    /** Runs one step and returns its wall time in seconds. */
    public double time() {
      long start = System.nanoTime();
      step.run();
      return (System.nanoTime() - start) * 1e-9;
    }
  }

  /** Builds row {@code name} of {@link #ROWS} on {@code kernels}. */
  public static Row row(String name, ModelSpec tiny, ModelSpec base, Kernels kernels) {
    switch (name) {
      case "train", "base" -> {
        Session s = prepare(name.equals("base") ? base : tiny, kernels, name.equals("base") ? 8 : 32, 128);
        return new Row(name, s.batch.rows(), "tokens", s::step);
      }
      case "step" -> {
        Session s = prepare(tiny, kernels, 32, 128);
        AdamW adam = new AdamW(1e-4, 0.9, 0.98, 1e-6, 0.01);
        return new Row(name, s.batch.rows(), "tokens", () -> {
          s.step();
          adam.step(s.model.parameters());
        });
      }
      case "infer" -> {
        Session s = prepare(tiny, kernels, 64, 128);
        return new Row(name, s.batch.rows(), "tokens",
            () -> s.model.trainStep(s.batch, s.labels, RunMode.inference(), 0.0));
      }
      case "finetune" -> {
        RobertaForSequenceClassification model = new RobertaForSequenceClassification(tiny, 2, kernels);
        model.initialize(1);
        Session s = prepare(tiny, kernels, 32, 128);
        int[] ids = s.batch.inputIds().clone();
        int[] labels = new int[32];
        for (int b = 0; b < 32; b++) {
          ids[b * 128] = tiny.specialTokens().bos();
          labels[b] = b % 2;
        }
        Batch batch = new Batch(32, 128, ids, null, null);
        AdamW adam = new AdamW(1e-4, 0.9, 0.98, 1e-6, 0.01);
        long[] step = {0};
        return new Row(name, 32, "examples", () -> {
          model.parameters().zeroGrads();
          model.forwardBackward(batch, labels, RunMode.training(step[0]++));
          adam.step(model.parameters());
        });
      }
      default -> throw new IllegalArgumentException(
          "unknown row '" + name + "'; valid: " + String.join(", ", ROWS));
    }
  }

  /** The best of {@code timedSteps} steps after {@code warmupSteps}. */
  public static Result measure(ModelSpec spec, Kernels kernels, int batch, int seqLen,
      int warmupSteps, int timedSteps) {
    Session session = prepare(spec, kernels, batch, seqLen);
    for (int i = 0; i < warmupSteps; i++) {
      session.step();
    }
    double best = Double.MAX_VALUE;
    for (int i = 0; i < timedSteps; i++) {
      best = Math.min(best, session.step());
    }
    return session.result(best);
  }
}
