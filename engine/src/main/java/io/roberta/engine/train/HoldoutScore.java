package io.roberta.engine.train;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import java.util.HashMap;
import java.util.Map;

/**
 * Masked-LM quality on held-out blocks: mean loss and accuracy over the masked tokens, next to the
 * best constant guess (always predicting the token most frequent among those masked positions),
 * which a model that learned nothing cannot beat. Masks use a fixed evaluation epoch, so every
 * evaluation scores the same positions.
 */
public record HoldoutScore(long blocks, long maskedTokens, double loss, double accuracy, double baselineAccuracy, int baselineToken) {
  /** The epoch number reserved for evaluation masks (training epochs are >= 0). */
  static final long EVAL_EPOCH = -1;

  static HoldoutScore evaluate(
      RobertaForMaskedLM model, DynamicMasker masker, TokenShards holdout, int maxBlocks, int batchSize) {
    holdout.checkIdsBelow(model.spec().vocabSize());
    long n = Math.min(holdout.blockCount(), maxBlocks);
    int t = holdout.blockLength();
    int pad = model.spec().specialTokens().pad();
    double lossSum = 0;
    long correct = 0;
    long masked = 0;
    Map<Integer, Long> labelCounts = new HashMap<>();
    for (long start = 0; start < n; start += batchSize) {
      int b = (int) Math.min(batchSize, n - start);
      int[] ids = new int[b * t];
      int[] labels = new int[b * t];
      int[] block = new int[t];
      for (int i = 0; i < b; i++) {
        holdout.read(start + i, block);
        DynamicMasker.Masked mk = masker.mask(block, EVAL_EPOCH, start + i);
        System.arraycopy(mk.inputIds(), 0, ids, i * t, t);
        System.arraycopy(mk.labels(), 0, labels, i * t, t);
        for (int l : mk.labels()) {
          if (l != DynamicMasker.IGNORE) {
            labelCounts.merge(l, 1L, Long::sum);
          }
        }
      }
      RobertaForMaskedLM.Step r = model.trainStep(
          new Batch(b, t, ids, StepBatches.attentionMask(ids, pad), null), labels, RunMode.inference(), 0.0);
      lossSum += r.lossSum();
      correct += r.correct();
      masked += r.labelled();
    }
    int bestToken = -1;
    long bestCount = 0;
    for (Map.Entry<Integer, Long> e : labelCounts.entrySet()) {
      if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < bestToken)) {
        bestToken = e.getKey();
        bestCount = e.getValue();
      }
    }
    return new HoldoutScore(n, masked, masked == 0 ? Double.NaN : lossSum / masked,
        masked == 0 ? 0 : (double) correct / masked, masked == 0 ? 0 : (double) bestCount / masked, bestToken);
  }
}
