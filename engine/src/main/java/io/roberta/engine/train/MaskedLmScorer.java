package io.roberta.engine.train;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one masked-LM scorer: runs held-out blocks through a masked LM with evaluation masks (a
 * fixed epoch, {@value #EVAL_EPOCH}, which training never draws, so every evaluation scores the
 * same positions) and sums the loss, the right guesses and the masked tokens. The pretrainer's
 * holdout score ({@link HoldoutScore}) and the sharded evaluation both score batches with it.
 *
 * <pre>{@code
 * MaskedLmScorer scorer = new MaskedLmScorer(model, masker);
 * MaskedLmScorer.Sums s = scorer.score(holdout, List.of(0L, 1L, 2L));
 * }</pre>
 */
public final class MaskedLmScorer {
  /** The epoch number reserved for evaluation masks (training epochs are >= 0). */
  public static final long EVAL_EPOCH = -1;

  private final RobertaForMaskedLM model;
  private final DynamicMasker masker;

  /**
   * Sums over one batch of blocks; {@code labelCounts}: how often each token was a masked target;
   * {@code atMask} / {@code correctAtMask}: the masked targets whose input was {@code <mask>} (not
   * the random or kept ones) and how many of those were predicted right.
   */
  public record Sums(int blocks, double lossSum, int correct, int masked, int atMask, int correctAtMask,
      Map<Integer, Long> labelCounts) {}

  public MaskedLmScorer(RobertaForMaskedLM model, DynamicMasker masker) {
    this.model = model;
    this.masker = masker;
  }

  /** The evaluation-masked copy of block {@code index} (its number in the holdout). */
  public DynamicMasker.Masked mask(int[] block, long index) {
    return masker.mask(block, EVAL_EPOCH, index);
  }

  /** Scores the given blocks of {@code holdout} as one batch, without gradients. */
  public Sums score(TokenShards holdout, List<Long> blocks) {
    int t = holdout.blockLength();
    int n = blocks.size();
    int pad = model.spec().specialTokens().pad();
    int[] ids = new int[n * t];
    int[] labels = new int[n * t];
    int[] block = new int[t];
    Map<Integer, Long> labelCounts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      holdout.read(blocks.get(i), block);
      DynamicMasker.Masked m = mask(block, blocks.get(i));
      System.arraycopy(m.inputIds(), 0, ids, i * t, t);
      System.arraycopy(m.labels(), 0, labels, i * t, t);
      for (int l : m.labels()) {
        if (l != DynamicMasker.IGNORE) {
          labelCounts.merge(l, 1L, Long::sum);
        }
      }
    }
    RobertaForMaskedLM.Step s = model.trainStep(
        new Batch(n, t, ids, StepBatches.attentionMask(ids, pad), null), labels, RunMode.inference(), 0.0);
    return new Sums(n, s.lossSum(), s.correct(), s.labelled(), s.atMask(), s.correctAtMask(), labelCounts);
  }
}
