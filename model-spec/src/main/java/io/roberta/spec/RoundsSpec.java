package io.roberta.spec;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

/**
 * Low-communication multi-worker pretraining (DiLoCo, Douillard et al. 2023, arXiv 2311.08105):
 * {@code workers} workers each take {@code roundSteps} inner AdamW steps from the same global
 * parameters on their own share of every global batch ({@code batchSize / workers} sequences per
 * inner step, so the recipe's token budget does not depend on the worker count); then the mean of
 * their parameters gives the outer gradient {@code global - mean}, and an outer SGD step with
 * (Nesterov) momentum moves the global parameters. One round covers global steps
 * {@code r * roundSteps + 1 .. (r + 1) * roundSteps}; the last round may be shorter.
 *
 * <p>{@code workers = 1, outerLearningRate = 1, outerMomentum = 0} is the single-worker trainer,
 * bit for bit. {@code shardAffine}: training shard i belongs to worker {@code i % workers}, and each
 * worker reads (and stages) only its own shards, in its own per-epoch order; otherwise worker w
 * takes its slice of each global batch of the single trainer's order. {@code bf16Deltas}: workers
 * send their update (parameters minus the round's global parameters) rounded to bfloat16, half the
 * bytes of FP32 parameters (OpenDiLoCo found half-precision outer communication lossless). OpenDiLoCo's settings: outer lr 0.7, momentum 0.9, Nesterov, H = 500.
 * {@code syncSteps}: the first {@code syncSteps} global steps train synchronously, as one worker on
 * the whole global batch (the single trainer's steps, in rounds), and the K workers start from its
 * parameters and its optimizer state, as DiLoCo's own runs start from a synchronously pretrained
 * model (Douillard et al. 2023 start after 24,000 of 88,000 steps); 0: K workers from the first step.
 * {@code outerWarmupRounds}: the outer learning rate moves linearly from 1 (plain averaging) to
 * {@code outerLearningRate} over the first W rounds of K workers (round i of them, 1-based, uses
 * {@code 1 + (outerLearningRate - 1) * min(1, i / W)}), for an outer step above 1 that
 * overshoots right after a synchronous start (on the main example's budget it did not end better:
 * examples/EVIDENCE.md). 0: {@code outerLearningRate} from the first round.
 *
 * <pre>{@code new RoundsSpec(4, 50, 0.7, 0.9, true)}</pre>
 */
public record RoundsSpec(
    int workers, int roundSteps, double outerLearningRate, double outerMomentum, boolean nesterov,
    boolean shardAffine, boolean bf16Deltas, @JsonInclude(JsonInclude.Include.NON_DEFAULT) int syncSteps,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int outerWarmupRounds) {

  /** Absent from the JSON: K workers from the first step. */
  public static final String ABSENT_SYNC_STEPS = "io.roberta.spec.RoundsSpec.absentSyncSteps";
  /** Absent from the JSON: the outer learning rate from the first round. */
  public static final String ABSENT_OUTER_WARMUP = "io.roberta.spec.RoundsSpec.absentOuterWarmupRounds";

  /** Every worker reads from the whole corpus and sends FP32 parameters. */
  public RoundsSpec(int workers, int roundSteps, double outerLearningRate, double outerMomentum, boolean nesterov) {
    this(workers, roundSteps, outerLearningRate, outerMomentum, nesterov, false, false, 0, 0);
  }

  /** K workers from the first step. */
  public RoundsSpec(int workers, int roundSteps, double outerLearningRate, double outerMomentum, boolean nesterov,
      boolean shardAffine, boolean bf16Deltas) {
    this(workers, roundSteps, outerLearningRate, outerMomentum, nesterov, shardAffine, bf16Deltas, 0, 0);
  }

  /** The outer learning rate from the first round. */
  public RoundsSpec(int workers, int roundSteps, double outerLearningRate, double outerMomentum, boolean nesterov,
      boolean shardAffine, boolean bf16Deltas, int syncSteps) {
    this(workers, roundSteps, outerLearningRate, outerMomentum, nesterov, shardAffine, bf16Deltas, syncSteps, 0);
  }

  /** The JSON form: {@code syncSteps} and {@code outerWarmupRounds} were added after schema 1 and may be absent (0). */
  @JsonCreator
  static RoundsSpec fromJson(
      @JsonProperty("workers") int workers,
      @JsonProperty("roundSteps") int roundSteps,
      @JsonProperty("outerLearningRate") double outerLearningRate,
      @JsonProperty("outerMomentum") double outerMomentum,
      @JsonProperty("nesterov") boolean nesterov,
      @JsonProperty("shardAffine") boolean shardAffine,
      @JsonProperty("bf16Deltas") boolean bf16Deltas,
      @JsonProperty("syncSteps") @JacksonInject(value = ABSENT_SYNC_STEPS, useInput = OptBoolean.TRUE)
          Integer syncSteps,
      @JsonProperty("outerWarmupRounds") @JacksonInject(value = ABSENT_OUTER_WARMUP, useInput = OptBoolean.TRUE)
          Integer outerWarmupRounds) {
    return new RoundsSpec(workers, roundSteps, outerLearningRate, outerMomentum, nesterov, shardAffine, bf16Deltas,
        syncSteps == null ? 0 : syncSteps, outerWarmupRounds == null ? 0 : outerWarmupRounds);
  }

  public RoundsSpec {
    Checks.positive("pretrain.rounds.workers", workers);
    if (workers > 4096) {
      throw Checks.invalid("pretrain.rounds.workers", workers, "must be <= 4096");
    }
    Checks.positive("pretrain.rounds.roundSteps", roundSteps);
    Checks.positive("pretrain.rounds.outerLearningRate", outerLearningRate);
    Checks.fractionBelowOne("pretrain.rounds.outerMomentum", outerMomentum);
    if (syncSteps < 0) {
      throw Checks.invalid("pretrain.rounds.syncSteps", syncSteps, "must be >= 0 (0: K workers from the first step)");
    }
    if (outerWarmupRounds < 0) {
      throw Checks.invalid("pretrain.rounds.outerWarmupRounds", outerWarmupRounds,
          "must be >= 0 (0: the outer learning rate from the first round; W: from 1 to it over W rounds)");
    }
    if (nesterov && outerMomentum == 0) {
      throw Checks.invalid("pretrain.rounds.nesterov", true,
          "needs pretrain.rounds.outerMomentum > 0 (Nesterov momentum without momentum is plain averaging;"
              + " use outerMomentum 0 with nesterov false)");
    }
  }

  /** Rounds in a schedule of {@code totalSteps} global steps (the last one may be shorter). */
  public long rounds(long totalSteps) {
    return (totalSteps + roundSteps - 1) / roundSteps;
  }

  /** The global step round {@code round} (0-based) ends at. */
  public long endStep(long round, long totalSteps) {
    return Math.min((round + 1) * roundSteps, totalSteps);
  }

  /**
   * Workers of round {@code round} (1-based; round r ends at global step {@link #endStep(long, long)
   * endStep(r - 1, totalSteps)}): one, on the whole global batch, while the round ends within the
   * first {@code syncSteps} steps; {@code workers} after that.
   */
  public int workersIn(long round, long totalSteps) {
    return endStep(round - 1, totalSteps) <= syncSteps ? 1 : workers;
  }

  /**
   * The outer learning rate of round {@code round} (1-based): {@code outerLearningRate}, or during
   * the outer warm-up, the linear way from 1 to it ({@link #outerWarmupRounds}), counted from the
   * first round of K workers.
   */
  public double outerLearningRateIn(long round) {
    long i = round - syncSteps / roundSteps;
    if (outerWarmupRounds == 0 || i >= outerWarmupRounds) {
      return outerLearningRate;
    }
    return 1 + (outerLearningRate - 1) * Math.max(0, i) / outerWarmupRounds;
  }

  /** Checks this against the rest of the pretraining spec; field names as in the recipe JSON. */
  void checkAgainst(int batchSize, int microBatch, int totalSteps, int checkpointInterval) {
    if (batchSize % workers != 0) {
      throw Checks.invalid("pretrain.rounds.workers", workers,
          "must divide pretrain.batchSize = " + batchSize + " (each worker takes batchSize / workers sequences per"
              + " inner step, so the global batch and the token budget stay the recipe's)");
    }
    int perWorker = batchSize / workers;
    if (perWorker % microBatch != 0) {
      throw Checks.invalid("pretrain.microBatch", microBatch,
          "must divide the per-worker batch pretrain.batchSize / pretrain.rounds.workers = " + batchSize + " / "
              + workers + " = " + perWorker + " (gradient accumulation runs whole micro-batches on each worker)");
    }
    if (roundSteps > totalSteps) {
      throw Checks.invalid("pretrain.rounds.roundSteps", roundSteps,
          "must be <= schedule.totalSteps = " + totalSteps + " (a round is at most the whole schedule)");
    }
    if ((syncSteps % roundSteps != 0 && syncSteps != totalSteps) || syncSteps > totalSteps) {
      throw Checks.invalid("pretrain.rounds.syncSteps", syncSteps,
          "must be a multiple of pretrain.rounds.roundSteps = " + roundSteps + " or schedule.totalSteps = "
              + totalSteps + ", and not more (the synchronous phase is whole rounds of one worker on the global batch)");
    }
    if (checkpointInterval % roundSteps != 0) {
      throw Checks.invalid("pretrain.checkpointInterval", checkpointInterval,
          "must be a multiple of pretrain.rounds.roundSteps = " + roundSteps
              + " (with rounds, state is committed at round ends; e.g. " + roundSteps + ")");
    }
  }
}
