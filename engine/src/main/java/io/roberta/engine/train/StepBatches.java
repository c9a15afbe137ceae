package io.roberta.engine.train;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.EpochOrder;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.model.Batch;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;

/**
 * The micro-batches of one optimizer step, as a pure function of the step: sequence {@code g =
 * step * batchSize + i} is block {@code EpochOrder(seed, g / blocks).blockAt(g % blocks)}, masked
 * with (seed, epoch, block). The trainer and the benchmarks draw from here, so they see the same
 * batches. Under a sequence curriculum the first steps' batches are the same blocks cut into
 * pieces ({@link Batch#pieces}); the labels are the same flat arrays.
 *
 * <pre>{@code StepBatches.Step s = new StepBatches(model, pretrain, shards).forStep(0);}</pre>
 */
public final class StepBatches {
  /** {@code batches[m]} and {@code labels[m]} for micro-batch m, and the masked tokens of the whole step. */
  public record Step(Batch[] batches, int[][] labels, long maskedTokens) {}

  private final PretrainSpec spec;
  private final TokenShards shards;
  private final int perStep;
  private final int offset;
  private final int worker;
  private final int workers;
  private final boolean ownShards;
  private final DynamicMasker masker;
  private final int pad;
  private final io.roberta.spec.SequenceCurriculumSpec curriculum;
  private long cachedEpoch = -1;
  private EpochOrder cachedOrder;

  public StepBatches(ModelSpec model, PretrainSpec spec, TokenShards shards) {
    this(model, spec, shards, 0, 1);
  }

  /**
   * Worker {@code worker}'s share of every global batch when {@code workers} train at once:
   * sequences {@code worker * batchSize / workers} up to the next worker's, so the workers of one
   * global step together read exactly the single trainer's batch and every epoch is covered once.
   */
  public StepBatches(ModelSpec model, PretrainSpec spec, TokenShards shards, int worker, int workers) {
    this(model, spec, shards, worker, workers, false);
  }

  /**
   * {@code ownShards}: {@code shards} are this worker's own (shard-affine rounds); it reads
   * {@code batchSize / workers} sequences per step from them in its own per-epoch order, and masks
   * block b with index {@code b * workers + worker}, so no two workers draw the same masks.
   */
  public StepBatches(ModelSpec model, PretrainSpec spec, TokenShards shards, int worker, int workers,
      boolean ownShards) {
    if (workers < 1 || worker < 0 || worker >= workers || spec.batchSize() % workers != 0
        || spec.batchSize() / workers % spec.microBatch() != 0) {
      throw new IllegalArgumentException("worker " + worker + " of " + workers + " cannot take an equal share of"
          + " batch " + spec.batchSize() + " in micro-batches of " + spec.microBatch());
    }
    this.perStep = spec.batchSize() / workers;
    this.offset = ownShards ? 0 : worker * perStep;
    this.worker = worker;
    this.workers = workers;
    this.ownShards = ownShards;
    this.spec = spec;
    this.shards = shards;
    this.masker = new DynamicMasker(spec.masking(), model.specialTokens(), model.vocabSize());
    this.pad = model.specialTokens().pad();
    this.curriculum = spec.sequenceCurriculum();
    if (curriculum != null) {
      curriculum.checkBlockLength(shards.blockLength());
    }
  }

  /** The batches of optimizer step {@code step} (0-based: the step about to be taken). */
  public Step forStep(long step) {
    int t = shards.blockLength();
    int micro = spec.microBatch();
    int n = perStep / micro;
    Batch[] batches = new Batch[n];
    int[][] labels = new int[n][];
    long masked = 0;
    int[] block = new int[t];
    for (int m = 0; m < n; m++) {
      int[] ids = new int[micro * t];
      int[] lab = new int[micro * t];
      for (int b = 0; b < micro; b++) {
        long sequence = ownShards ? step * perStep + (long) m * micro + b
            : step * spec.batchSize() + offset + (long) m * micro + b;
        long epoch = sequence / shards.blockCount();
        long blockIndex = order(epoch).blockAt(sequence % shards.blockCount());
        shards.read(blockIndex, block);
        DynamicMasker.Masked mk = masker.mask(block, epoch, ownShards ? blockIndex * workers + worker : blockIndex);
        System.arraycopy(mk.inputIds(), 0, ids, b * t, t);
        System.arraycopy(mk.labels(), 0, lab, b * t, t);
        masked += mk.maskedCount();
      }
      Batch whole = new Batch(micro, t, ids, attentionMask(ids, pad), null);
      // the curriculum's first steps: the same blocks and masks, attention within short pieces
      batches[m] = curriculum != null && curriculum.appliesTo(step) ? whole.pieces(curriculum.pieceLength(), pad) : whole;
      labels[m] = lab;
    }
    return new Step(batches, labels, masked);
  }

  DynamicMasker masker() {
    return masker;
  }

  /** 1 for real tokens, 0 for padding. */
  static int[] attentionMask(int[] ids, int pad) {
    int[] mask = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      mask[i] = ids[i] == pad ? 0 : 1;
    }
    return mask;
  }

  private EpochOrder order(long epoch) {
    if (epoch != cachedEpoch) {
      cachedOrder = EpochOrder.of(spec.seed(), epoch, shards.blockCount());
      cachedEpoch = epoch;
    }
    return cachedOrder;
  }
}
