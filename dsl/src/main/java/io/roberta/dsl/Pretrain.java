package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.MaskingSpec;
import io.roberta.spec.OptimizerSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Precision;
import io.roberta.spec.RoundsSpec;
import io.roberta.spec.ScheduleSpec;

/**
 * Masked-LM pretraining. Defaults are fairseq's {@code roberta.base} recipe: 15% dynamic masking
 * (80/10/10), batch 2,048 sequences, Adam β (0.9, 0.98), ε 1e-6, weight decay 0.01, peak lr 5e-4,
 * 10,000 warm-up steps of 125,000, linear decay, no clipping.
 *
 * <pre>{@code
 * Pretrain.mlm().batchSize(256).microBatch(32).peakLearningRate(5e-4).warmupSteps(100).totalSteps(2_000)
 * }</pre>
 */
public final class Pretrain {
  private int batchSize = 2_048;
  private int microBatch = 16;
  private Precision precision = Precision.FP32;
  private double maskProbability = 0.15;
  private double maskFraction = 0.8;
  private double randomFraction = 0.1;
  private double keepFraction = 0.1;
  private double beta1 = 0.9;
  private double beta2 = 0.98;
  private double epsilon = 1e-6;
  private double weightDecay = 0.01;
  private double gradClipNorm = 0.0;
  private double peakLearningRate = 5e-4;
  private int warmupSteps = 10_000;
  private int totalSteps = 125_000;
  private int checkpointInterval = 1_000;
  private boolean checkpointIntervalSet;
  private int keepCheckpoints = 3;
  private long seed = 1;
  private String accelerator;
  private int workers;
  private int roundSteps;
  private Outer outer;
  private boolean shardAffine;
  private boolean bf16Deltas;
  private int syncSteps;
  private int outerWarmupRounds;
  private io.roberta.spec.SequenceCurriculumSpec curriculum;

  private Pretrain() {}

  public static Pretrain mlm() {
    return new Pretrain();
  }

  public Pretrain maskProbability(double p) {
    if (!(p > 0 && p < 1)) {
      throw Checks.invalid("pretrain.masking.probability", p, "must be in (0, 1), e.g. 0.15");
    }
    this.maskProbability = p;
    return this;
  }

  /** How chosen tokens are corrupted: {@code <mask>}, random token, unchanged; must sum to 1. */
  public Pretrain maskSplit(double mask, double random, double keep) {
    this.maskFraction = Checks.probability("pretrain.masking.maskFraction", mask);
    this.randomFraction = Checks.probability("pretrain.masking.randomFraction", random);
    this.keepFraction = Checks.probability("pretrain.masking.keepFraction", keep);
    return this;
  }

  /** Sequences per optimizer step (the global batch). */
  public Pretrain batchSize(int sequences) {
    this.batchSize = Checks.positive("pretrain.batchSize", sequences);
    return this;
  }

  /** Sequences per forward/backward; gradients accumulate over batchSize / microBatch of them. */
  public Pretrain microBatch(int sequences) {
    this.microBatch = Checks.positive("pretrain.microBatch", sequences);
    return this;
  }

  public Pretrain precision(Precision precision) {
    this.precision = Checks.notNull("pretrain.precision", precision);
    return this;
  }

  public Pretrain adamW(double beta1, double beta2, double epsilon) {
    this.beta1 = Checks.fractionBelowOne("optimizer.beta1", beta1);
    this.beta2 = Checks.fractionBelowOne("optimizer.beta2", beta2);
    this.epsilon = Checks.positive("optimizer.epsilon", epsilon);
    return this;
  }

  public Pretrain weightDecay(double weightDecay) {
    this.weightDecay = Checks.nonNegative("optimizer.weightDecay", weightDecay);
    return this;
  }

  /** Global-norm gradient clipping; 0 turns it off. */
  public Pretrain clipGradNorm(double maxNorm) {
    this.gradClipNorm = Checks.nonNegative("optimizer.gradClipNorm", maxNorm);
    return this;
  }

  public Pretrain peakLearningRate(double lr) {
    this.peakLearningRate = Checks.positive("schedule.peakLearningRate", lr);
    return this;
  }

  public Pretrain warmupSteps(int steps) {
    this.warmupSteps = Checks.nonNegative("schedule.warmupSteps", steps);
    return this;
  }

  public Pretrain totalSteps(int steps) {
    this.totalSteps = Checks.positive("schedule.totalSteps", steps);
    return this;
  }

  public Pretrain checkpointEvery(int steps) {
    this.checkpointInterval = Checks.positive("pretrain.checkpointInterval", steps);
    this.checkpointIntervalSet = true;
    return this;
  }

  public Pretrain keepCheckpoints(int count) {
    this.keepCheckpoints = Checks.positive("pretrain.keepCheckpoints", count);
    return this;
  }

  public Pretrain seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** The Beam accelerator resource hint for the training stage, e.g. {@code "type:nvidia-l4;count:1;install-nvidia-driver"}. */
  public Pretrain accelerator(String hint) {
    this.accelerator = Checks.nonBlank("pretrain.accelerator", hint);
    return this;
  }

  /**
   * Trains on {@code count} workers at once in low-communication rounds (DiLoCo): each worker takes
   * {@code batchSize / count} sequences per inner step, so the recipe's token budget stays the same.
   * Needs {@link #roundSteps} and {@link #outer}.
   */
  public Pretrain workers(int count) {
    this.workers = Checks.positive("pretrain.rounds.workers", count);
    return this;
  }

  /**
   * With {@link #workers}: training shard i belongs to worker {@code i % K}; each worker stages and
   * reads only its own shards (1/K of the corpus), in its own order. Needs at least K shards.
   */
  public Pretrain shardAffine() {
    this.shardAffine = true;
    return this;
  }

  /**
   * With {@link #workers}: workers send their round's update rounded to bfloat16 (half the bytes;
   * OpenDiLoCo found it lossless) instead of FP32 parameters.
   */
  public Pretrain bf16Deltas() {
    this.bf16Deltas = true;
    return this;
  }

  /**
   * Short sequences first: the first {@code steps} optimizer steps train each block as pieces of
   * {@code pieceLength} tokens at their block positions (attention within a piece), whole blocks
   * after that; the blocks, masks and token budget are unchanged. {@code pieceLength} must divide
   * the corpus's block length.
   *
   * <pre>{@code Pretrain.mlm().totalSteps(6_000).sequenceCurriculum(32, 4_000)}</pre>
   */
  public Pretrain sequenceCurriculum(int pieceLength, int steps) {
    this.curriculum = new io.roberta.spec.SequenceCurriculumSpec(pieceLength, steps);
    return this;
  }

  /**
   * With {@link #workers}: the first {@code steps} global steps train synchronously, as one worker
   * on the whole global batch (a multiple of {@link #roundSteps}); the K workers then start from
   * its parameters and optimizer state, as DiLoCo's own runs start from a synchronously
   * pretrained model.
   */
  public Pretrain syncSteps(int steps) {
    if (steps < 0) {
      throw new io.roberta.spec.SpecException("pretrain.rounds.syncSteps", "pretrain.rounds.syncSteps = " + steps
          + " is invalid: must be >= 0 (0: K workers from the first step)");
    }
    this.syncSteps = steps;
    return this;
  }

  /**
   * With {@link #workers}: the outer learning rate moves linearly from 1 (plain averaging) to
   * {@link #outer}'s over the first {@code rounds} rounds of K workers, against the overshoot of an
   * outer step above 1 right after {@link #syncSteps} (on the main example's budget neither 4 nor 40
   * warm-up rounds ended lower than none: examples/EVIDENCE.md).
   */
  public Pretrain outerWarmupRounds(int rounds) {
    if (rounds < 0) {
      throw new io.roberta.spec.SpecException("pretrain.rounds.outerWarmupRounds", "pretrain.rounds.outerWarmupRounds = "
          + rounds + " is invalid: must be >= 0 (0: the outer learning rate from the first round)");
    }
    this.outerWarmupRounds = rounds;
    return this;
  }

  /** Inner AdamW steps each worker takes between two averagings (H; OpenDiLoCo used 500). */
  public Pretrain roundSteps(int steps) {
    this.roundSteps = Checks.positive("pretrain.rounds.roundSteps", steps);
    return this;
  }

  /** The outer optimizer applied to the averaged worker updates, e.g. {@code Outer.nesterov(0.7, 0.9)}. */
  public Pretrain outer(Outer outer) {
    this.outer = Checks.notNull("pretrain.rounds.outer", outer);
    return this;
  }

  /**
   * The outer optimizer of multi-worker rounds: SGD on the averaged update with (Nesterov)
   * momentum.
   *
   * <pre>{@code Outer.nesterov(0.7, 0.9)   Outer.average()  // lr 1, no momentum: plain averaging}</pre>
   */
  public record Outer(double learningRate, double momentum, boolean nesterov) {
    public static Outer nesterov(double learningRate, double momentum) {
      return new Outer(learningRate, momentum, true);
    }

    /** Heavy-ball momentum (not Nesterov). */
    public static Outer momentum(double learningRate, double momentum) {
      return new Outer(learningRate, momentum, false);
    }

    /** Outer lr 1 without momentum: the global parameters become the workers' mean. */
    public static Outer average() {
      return new Outer(1.0, 0.0, false);
    }
  }

  public PretrainSpec build() {
    boolean rounds = workers > 0 || roundSteps > 0 || outer != null || shardAffine || bf16Deltas || syncSteps > 0
        || outerWarmupRounds > 0;
    if (rounds && (workers == 0 || roundSteps == 0 || outer == null)) {
      throw new io.roberta.spec.SpecException("pretrain.rounds",
          "pretrain.rounds is incomplete: multi-worker rounds need workers(K), roundSteps(H) and outer(...) together"
              + " (missing: " + (workers == 0 ? "workers " : "") + (roundSteps == 0 ? "roundSteps " : "")
              + (outer == null ? "outer" : "").trim() + ")");
    }
    // The default interval shrinks to fit a short run (with rounds: one round); an interval the user
    // set is checked as is.
    int checkpoints = checkpointIntervalSet ? checkpointInterval
        : rounds ? roundSteps : Math.min(checkpointInterval, totalSteps);
    return new PretrainSpec(
        batchSize,
        microBatch,
        precision,
        new MaskingSpec(maskProbability, maskFraction, randomFraction, keepFraction, seed),
        new OptimizerSpec(beta1, beta2, epsilon, weightDecay, gradClipNorm),
        new ScheduleSpec(peakLearningRate, warmupSteps, totalSteps),
        checkpoints,
        keepCheckpoints,
        seed,
        accelerator,
        rounds ? new RoundsSpec(workers, roundSteps, outer.learningRate(), outer.momentum(), outer.nesterov(), shardAffine, bf16Deltas,
            syncSteps, outerWarmupRounds) : null,
        curriculum);
  }
}
