package io.roberta.spec;

import com.fasterxml.jackson.annotation.JacksonInject;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.OptBoolean;

/**
 * Masked-LM pretraining: {@code batchSize} sequences per optimizer step, processed
 * {@code microBatch} at a time, so gradients are accumulated over {@link #accumulationSteps()}
 * micro-batches. {@code accelerator} is the Beam resource hint the training stage asks for (for
 * example {@code "type:nvidia-l4;count:1;install-nvidia-driver"}), or null for none. {@code rounds}
 * spreads training over several workers in low-communication rounds ({@link RoundsSpec}); null
 * (absent from the JSON) is the single-worker trainer. {@code sequenceCurriculum} trains the first
 * steps on short pieces of each block ({@link SequenceCurriculumSpec}); null (absent) trains whole
 * blocks throughout.
 */
public record PretrainSpec(
    int batchSize,
    int microBatch,
    Precision precision,
    MaskingSpec masking,
    OptimizerSpec optimizer,
    ScheduleSpec schedule,
    int checkpointInterval,
    int keepCheckpoints,
    long seed,
    String accelerator,
    @JsonInclude(JsonInclude.Include.NON_NULL) RoundsSpec rounds,
    @JsonInclude(JsonInclude.Include.NON_NULL) SequenceCurriculumSpec sequenceCurriculum) {

  /** Absent from the JSON: the single-worker trainer. */
  public static final String ABSENT_ROUNDS = "io.roberta.spec.PretrainSpec.absentRounds";
  /** Absent from the JSON: whole blocks from the first step. */
  public static final String ABSENT_CURRICULUM = "io.roberta.spec.PretrainSpec.absentCurriculum";

  /** Single-worker pretraining. */
  public PretrainSpec(int batchSize, int microBatch, Precision precision, MaskingSpec masking, OptimizerSpec optimizer,
      ScheduleSpec schedule, int checkpointInterval, int keepCheckpoints, long seed, String accelerator) {
    this(batchSize, microBatch, precision, masking, optimizer, schedule, checkpointInterval, keepCheckpoints, seed,
        accelerator, null, null);
  }

  /** Pretraining on whole blocks throughout. */
  public PretrainSpec(int batchSize, int microBatch, Precision precision, MaskingSpec masking, OptimizerSpec optimizer,
      ScheduleSpec schedule, int checkpointInterval, int keepCheckpoints, long seed, String accelerator,
      RoundsSpec rounds) {
    this(batchSize, microBatch, precision, masking, optimizer, schedule, checkpointInterval, keepCheckpoints, seed,
        accelerator, rounds, null);
  }

  @JsonCreator
  public PretrainSpec(
      @JsonProperty("batchSize") int batchSize,
      @JsonProperty("microBatch") int microBatch,
      @JsonProperty("precision") Precision precision,
      @JsonProperty("masking") MaskingSpec masking,
      @JsonProperty("optimizer") OptimizerSpec optimizer,
      @JsonProperty("schedule") ScheduleSpec schedule,
      @JsonProperty("checkpointInterval") int checkpointInterval,
      @JsonProperty("keepCheckpoints") int keepCheckpoints,
      @JsonProperty("seed") long seed,
      @JsonProperty("accelerator") String accelerator,
      @JsonProperty("rounds") @JacksonInject(value = ABSENT_ROUNDS, useInput = OptBoolean.TRUE) RoundsSpec rounds,
      @JsonProperty("sequenceCurriculum") @JacksonInject(value = ABSENT_CURRICULUM, useInput = OptBoolean.TRUE)
          SequenceCurriculumSpec sequenceCurriculum) {
    Checks.positive("pretrain.batchSize", batchSize);
    Checks.positive("pretrain.microBatch", microBatch);
    if (microBatch > batchSize) {
      throw Checks.invalid(
          "pretrain.microBatch", microBatch, "must be <= pretrain.batchSize = " + batchSize);
    }
    if (batchSize % microBatch != 0) {
      throw Checks.invalid(
          "pretrain.batchSize",
          batchSize,
          "must be a multiple of pretrain.microBatch = " + microBatch
              + " (gradient accumulation runs whole micro-batches; try "
              + (batchSize / microBatch) * microBatch + " or " + (batchSize / microBatch + 1) * microBatch + ")");
    }
    Checks.notNull("pretrain.precision", precision);
    Checks.notNull("pretrain.masking", masking);
    Checks.notNull("pretrain.optimizer", optimizer);
    Checks.notNull("pretrain.schedule", schedule);
    Checks.positive("pretrain.checkpointInterval", checkpointInterval);
    if (checkpointInterval > schedule.totalSteps()) {
      throw Checks.invalid(
          "pretrain.checkpointInterval",
          checkpointInterval,
          "must be <= schedule.totalSteps = " + schedule.totalSteps() + " or no checkpoint is ever written");
    }
    Checks.positive("pretrain.keepCheckpoints", keepCheckpoints);
    if (accelerator != null) {
      Checks.nonBlank("pretrain.accelerator", accelerator);
    }
    if (rounds != null) {
      rounds.checkAgainst(batchSize, microBatch, schedule.totalSteps(), checkpointInterval);
    }
    if (sequenceCurriculum != null) {
      sequenceCurriculum.checkAgainst(schedule.totalSteps());
    }
    this.batchSize = batchSize;
    this.microBatch = microBatch;
    this.precision = precision;
    this.masking = masking;
    this.optimizer = optimizer;
    this.schedule = schedule;
    this.checkpointInterval = checkpointInterval;
    this.keepCheckpoints = keepCheckpoints;
    this.seed = seed;
    this.accelerator = accelerator;
    this.rounds = rounds;
    this.sequenceCurriculum = sequenceCurriculum;
  }

  /** Workers that train at once: 1 without rounds. */
  public int workers() {
    return rounds == null ? 1 : rounds.workers();
  }

  /** Micro-batches per optimizer step. */
  public int accumulationSteps() {
    return batchSize / microBatch;
  }

  /**
   * This spec without its accelerator: what the stage fingerprint covers. Where to run (a GPU
   * type) is not what to train, so changing it never retrains the model.
   */
  public PretrainSpec withoutAccelerator() {
    return accelerator == null ? this : new PretrainSpec(batchSize, microBatch, precision, masking, optimizer, schedule,
        checkpointInterval, keepCheckpoints, seed, null, rounds, sequenceCurriculum);
  }

  /** This spec trained in rounds across workers (null: one worker). */
  public PretrainSpec withRounds(RoundsSpec rounds) {
    return new PretrainSpec(batchSize, microBatch, precision, masking, optimizer, schedule, checkpointInterval,
        keepCheckpoints, seed, accelerator, rounds, sequenceCurriculum);
  }

  /** This spec with short pieces for its first steps (null: whole blocks throughout). */
  public PretrainSpec withSequenceCurriculum(SequenceCurriculumSpec curriculum) {
    return new PretrainSpec(batchSize, microBatch, precision, masking, optimizer, schedule, checkpointInterval,
        keepCheckpoints, seed, accelerator, rounds, curriculum);
  }
}
