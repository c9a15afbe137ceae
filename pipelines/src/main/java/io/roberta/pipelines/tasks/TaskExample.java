package io.roberta.pipelines.tasks;

import java.io.Serializable;
import java.util.List;

/**
 * One labelled example of a fine-tuning task. Which fields are set depends on the head:
 * classification has {@code textA} (and {@code textB} for sentence pairs) and {@code label};
 * regression has the texts and {@code score}; tagging has {@code words} and {@code tags}; QA has
 * {@code textA} (question), {@code textB} (context) and {@code answers}; multiple choice has
 * {@code textA} (the passage), {@code textB} (the question), {@code choices} and {@code label}
 * (the right choice's letter, A for the first). {@code index} is the
 * example's position in its source and orders every result, so sharding never changes one.
 *
 * <pre>{@code TaskExample e = TaskExample.pair(0, "dev-0", "A man.", "A person.", "entailment");}</pre>
 */
public record TaskExample(
    long index,
    String id,
    String textA,
    String textB,
    String label,
    double score,
    List<String> words,
    List<String> tags,
    List<Answer> answers,
    List<String> choices) implements Serializable {

  /** A gold answer: its text and its character offset in the context. */
  public record Answer(String text, int start) implements Serializable {}

  public TaskExample {
    words = words == null ? null : List.copyOf(words);
    tags = tags == null ? null : List.copyOf(tags);
    answers = answers == null ? null : List.copyOf(answers);
    choices = choices == null ? null : List.copyOf(choices);
    if (words != null && tags != null && words.size() != tags.size()) {
      throw new IllegalArgumentException("example " + id + ": " + words.size() + " words but " + tags.size() + " tags");
    }
  }

  /** An example of any head but multiple choice. */
  public TaskExample(long index, String id, String textA, String textB, String label, double score, List<String> words,
      List<String> tags, List<Answer> answers) {
    this(index, id, textA, textB, label, score, words, tags, answers, null);
  }

  /** A multiple-choice question on {@code passage}; {@code label} is the right choice's letter (A, B, ...). */
  public static TaskExample choice(long index, String id, String passage, String question, List<String> choices,
      String label) {
    return new TaskExample(index, id, passage, question, label, Double.NaN, null, null, null, choices);
  }

  /** The letter of choice {@code i}: A, B, C, ... */
  public static String choiceLetter(int i) {
    return String.valueOf((char) ('A' + i));
  }

  public static TaskExample single(long index, String id, String text, String label) {
    return new TaskExample(index, id, text, null, label, Double.NaN, null, null, null);
  }

  public static TaskExample pair(long index, String id, String a, String b, String label) {
    return new TaskExample(index, id, a, b, label, Double.NaN, null, null, null);
  }

  public static TaskExample regression(long index, String id, String a, String b, double score) {
    return new TaskExample(index, id, a, b, null, score, null, null, null);
  }

  public static TaskExample tagged(long index, String id, List<String> words, List<String> tags) {
    return new TaskExample(index, id, null, null, null, Double.NaN, words, tags, null);
  }

  public static TaskExample question(long index, String id, String question, String context, List<Answer> answers) {
    return new TaskExample(index, id, question, context, null, Double.NaN, null, null, answers);
  }
}
