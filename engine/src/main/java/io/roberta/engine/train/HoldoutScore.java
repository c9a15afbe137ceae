package io.roberta.engine.train;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.model.RobertaForMaskedLM;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * Masked-LM quality on held-out blocks: mean loss and accuracy over the masked tokens, next to the
 * best constant guess (always predicting the token most frequent among those masked positions),
 * which a model that learned nothing cannot beat, and the accuracy on the masked tokens whose input
 * was {@code <mask>} alone: over all masked tokens a model that copies the 10% left visible and
 * guesses the commonest token elsewhere already scores about 0.1 + 0.9 x the constant guess, so
 * context shows only in {@code accuracyAtMask}. Scored by {@link MaskedLmScorer}, so every
 * evaluation scores the same positions.
 */
public record HoldoutScore(long blocks, long maskedTokens, double loss, double accuracy, double baselineAccuracy,
    int baselineToken, long maskInputs, double accuracyAtMask) {
  /** The epoch number reserved for evaluation masks (training epochs are >= 0). */
  static final long EVAL_EPOCH = MaskedLmScorer.EVAL_EPOCH;

  static HoldoutScore evaluate(
      RobertaForMaskedLM model, DynamicMasker masker, TokenShards holdout, int maxBlocks, int batchSize) {
    holdout.checkIdsBelow(model.spec().vocabSize());
    long n = Math.min(holdout.blockCount(), maxBlocks);
    MaskedLmScorer scorer = new MaskedLmScorer(model, masker);
    double lossSum = 0;
    long correct = 0;
    long masked = 0;
    long atMask = 0;
    long correctAtMask = 0;
    Map<Integer, Long> labelCounts = new HashMap<>();
    for (long start = 0; start < n; start += batchSize) {
      List<Long> blocks = LongStream.range(start, Math.min(n, start + batchSize)).boxed().toList();
      MaskedLmScorer.Sums s = scorer.score(holdout, blocks);
      lossSum += s.lossSum();
      correct += s.correct();
      masked += s.masked();
      atMask += s.atMask();
      correctAtMask += s.correctAtMask();
      s.labelCounts().forEach((token, count) -> labelCounts.merge(token, count, Long::sum));
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
        masked == 0 ? 0 : (double) correct / masked, masked == 0 ? 0 : (double) bestCount / masked, bestToken,
        atMask, atMask == 0 ? 0 : (double) correctAtMask / atMask);
  }
}
