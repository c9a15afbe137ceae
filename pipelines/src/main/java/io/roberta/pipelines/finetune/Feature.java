package io.roberta.pipelines.finetune;

import java.io.Serializable;

/**
 * One model input made from a task example: token ids (with {@code <s>}, {@code </s>}) and the
 * training target of its head. An example gives one feature, except QA examples with long
 * contexts, which give one per window.
 *
 * @param exampleIndex the example this came from
 * @param ids token ids, at most the task's maximum sequence length
 * @param label class id (classification), or -1
 * @param target real target (regression), or NaN
 * @param tokenLabels per-token class ids, {@code -100} where no loss applies (tagging), or null
 * @param wordOfToken for tagging: the word whose first sub-token this is, else -1; or null
 * @param start answer start token (QA; 0, the {@code <s>}, when the answer is not in this window)
 * @param end answer end token, inclusive (QA)
 * @param contextStart first context token of a QA window, or -1
 * @param charOffsets per token {start, end} character offsets into the QA context, or null
 * @param choices multiple choice: the ids of each (context, choice) sequence, and {@code ids} is
 *     empty; else null
 */
public record Feature(
    long exampleIndex,
    int[] ids,
    int label,
    double target,
    int[] tokenLabels,
    int[] wordOfToken,
    int start,
    int end,
    int contextStart,
    int[][] charOffsets,
    int[][] choices) implements Serializable {

  /** A feature of one sequence (every head but multiple choice). */
  public Feature(long exampleIndex, int[] ids, int label, double target, int[] tokenLabels, int[] wordOfToken,
      int start, int end, int contextStart, int[][] charOffsets) {
    this(exampleIndex, ids, label, target, tokenLabels, wordOfToken, start, end, contextStart, charOffsets, null);
  }

  /** A multiple-choice question: one sequence per choice, {@code label} the right one. */
  public static Feature choices(long exampleIndex, int[][] choices, int label) {
    return new Feature(exampleIndex, new int[0], label, Double.NaN, null, null, 0, 0, -1, null, choices);
  }

  public int length() {
    return ids.length;
  }
}
