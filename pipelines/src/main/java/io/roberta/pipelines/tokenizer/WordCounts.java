package io.roberta.pipelines.tokenizer;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How often each pre-token ("word") occurs: the only thing BPE training needs from the corpus.
 * Mutable, for accumulating; not thread safe. Serializable only because Beam serializes the
 * empty table {@code Combine.globally} emits for an empty input.
 *
 * <pre>{@code
 * WordCounts counts = new WordCounts();
 * counts.addText("the cat and the hat");   // "the": 1, " cat": 1, " and": 1, " the": 1, " hat": 1
 * }</pre>
 */
public final class WordCounts implements Serializable {

  private static final long serialVersionUID = 1L;

  /** A counter that can be bumped without boxing a new {@code Long} each time. */
  private static final class Count implements Serializable {
    private static final long serialVersionUID = 1L;
    long value;
  }

  private final HashMap<String, Count> counts = new HashMap<>();
  private long total;

  /** Pre-tokenizes {@code text} and counts its words. */
  public void addText(String text) {
    ByteLevelPreTokenizer.split(text, this::addWord);
  }

  public void add(String word, long count) {
    if (count <= 0) {
      throw new IllegalArgumentException("count of \"" + word + "\" must be positive, got " + count);
    }
    counts.computeIfAbsent(word, w -> new Count()).value += count;
    total += count;
  }

  private void addWord(String word) {
    Count c = counts.get(word);
    if (c == null) {
      c = new Count();
      counts.put(word, c);
    }
    c.value++;
    total++;
  }

  /** Adds every count of {@code other} to this one. */
  public void addAll(WordCounts other) {
    other.counts.forEach((w, c) -> add(w, c.value));
  }

  public long count(String word) {
    Count c = counts.get(word);
    return c == null ? 0 : c.value;
  }

  /** Number of distinct words. */
  public int distinct() {
    return counts.size();
  }

  /** Number of words counted, repeats included. */
  public long total() {
    return total;
  }

  public boolean isEmpty() {
    return counts.isEmpty();
  }

  /** Calls {@code action} with each word and its count, in no particular order. */
  public void forEach(java.util.function.ObjLongConsumer<String> action) {
    counts.forEach((w, c) -> action.accept(w, c.value));
  }

  /** The words and their counts, sorted by word (UTF-16 order), so iteration is reproducible. */
  public List<Map.Entry<String, Long>> sorted() {
    List<Map.Entry<String, Long>> out = new ArrayList<>(counts.size());
    counts.forEach((w, c) -> out.add(Map.entry(w, c.value)));
    out.sort(Map.Entry.comparingByKey());
    return out;
  }
}
