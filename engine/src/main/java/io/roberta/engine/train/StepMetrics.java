package io.roberta.engine.train;

/**
 * One optimizer step as {@code metrics.jsonl} records it. {@code step} counts optimizer steps
 * from 1; {@code loss} is the mean masked-LM loss over every masked token of the global batch.
 */
public record StepMetrics(
    long step,
    double loss,
    double accuracy,
    double learningRate,
    double gradNorm,
    double tokensPerSecond,
    long maskedTokens) {}
