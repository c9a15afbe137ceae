package io.roberta.pipelines.pretrain;

import java.io.Serializable;

/**
 * What a finished (or stopped-early) training run reports: where its artifacts are, how far it
 * got, the last training loss, and the held-out masked-token accuracy next to the best constant
 * guess (NaN when there is no holdout).
 */
public record TrainingResult(
    String outDir,
    long steps,
    double finalTrainingLoss,
    double holdoutLoss,
    double holdoutAccuracy,
    double baselineAccuracy,
    long holdoutMaskedTokens,
    double trainingSeconds) implements Serializable {}
