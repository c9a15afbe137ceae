package io.roberta.pipelines.eval;

import java.io.Serializable;
import java.util.List;

/**
 * The model's answer for one example next to the gold answer. Classification sets {@code
 * predicted}/{@code gold} (label names); regression {@code value}/{@code goldValue}; tagging
 * {@code tags}/{@code goldTags} (a null tag marks a word cut off by the sequence limit); QA
 * {@code predicted} (answer text) and {@code goldAnswers}.
 */
public record Prediction(
    long index,
    String id,
    String predicted,
    String gold,
    double value,
    double goldValue,
    List<String> tags,
    List<String> goldTags,
    List<String> goldAnswers) implements Serializable {}
