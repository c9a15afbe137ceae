package io.roberta.runners.help;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * "Did you mean" for names a user types: recipe names, options. The closest candidates by edit
 * distance (case-insensitive), only when close enough to be a plausible typo: at most a third of
 * the typed length, and at least 2 edits allowed.
 *
 * <pre>{@code Suggestions.closest("wrok-dir", List.of("work-dir", "runner"))  // ["work-dir"]}</pre>
 */
public final class Suggestions {
  private static final int MAX_SHOWN = 3;

  private Suggestions() {}

  /** The closest candidates, nearest first, at most three; empty when none is close. */
  public static List<String> closest(String typed, Collection<String> candidates) {
    String t = typed.toLowerCase(Locale.ROOT);
    int limit = Math.max(2, t.length() / 3);
    LevenshteinDistance distance = new LevenshteinDistance(limit);
    record Scored(String name, int distance) {}
    return candidates.stream().distinct()
        .map(c -> new Scored(c, distance.apply(t, c.toLowerCase(Locale.ROOT))))
        .filter(s -> s.distance() >= 0 && s.distance() <= limit)
        .sorted(Comparator.comparingInt(Scored::distance).thenComparing(Scored::name))
        .limit(MAX_SHOWN)
        .map(Scored::name)
        .toList();
  }

  /** {@code "; did you mean 'x'?"} or {@code "; did you mean 'x' or 'y'?"}; empty when nothing is close. */
  public static String didYouMean(String typed, Collection<String> candidates) {
    List<String> near = closest(typed, candidates);
    if (near.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("; did you mean ");
    for (int i = 0; i < near.size(); i++) {
      s.append(i == 0 ? "" : i == near.size() - 1 ? " or " : ", ").append('\'').append(near.get(i)).append('\'');
    }
    return s.append('?').toString();
  }
}
