package io.roberta.spec;

/**
 * Masked-LM pretraining: {@code batchSize} sequences per optimizer step, processed
 * {@code microBatch} at a time, so gradients are accumulated over {@link #accumulationSteps()}
 * micro-batches. {@code accelerator} is the Beam resource hint the training stage asks for (for
 * example {@code "type:nvidia-l4;count:1;install-nvidia-driver"}), or null for none.
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
    String accelerator) {

  public PretrainSpec {
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
        checkpointInterval, keepCheckpoints, seed, null);
  }
}
