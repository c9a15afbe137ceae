package io.roberta.pipelines.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * SQuAD v1.1's exact match and token F1 of one prediction against its gold answers (the maximum
 * over answers), with the official script's answer normalization: lower case, punctuation
 * removed, the articles a/an/the removed, whitespace collapsed.
 *
 * <pre>{@code double em = Squad.exactMatch("The Broncos", List.of("Denver Broncos", "Broncos"));}</pre>
 */
public final class Squad {
  private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
  private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

  private Squad() {}

  /** The official {@code normalize_answer}. */
  public static String normalize(String s) {
    String lower = s.toLowerCase(java.util.Locale.ROOT);
    StringBuilder noPunct = new StringBuilder(lower.length());
    lower.codePoints().filter(cp -> !isPythonPunctuation(cp)).forEach(noPunct::appendCodePoint);
    String noArticles = ARTICLES.matcher(noPunct).replaceAll(" ");
    return String.join(" ", splitWhitespace(noArticles));
  }

  /** 1 if the normalized prediction equals some normalized gold answer, else 0. */
  public static double exactMatch(String predicted, List<String> goldAnswers) {
    checkAnswers(goldAnswers);
    String p = normalize(predicted);
    for (String g : goldAnswers) {
      if (p.equals(normalize(g))) {
        return 1.0;
      }
    }
    return 0.0;
  }

  /** The best token F1 over the gold answers. */
  public static double f1(String predicted, List<String> goldAnswers) {
    checkAnswers(goldAnswers);
    double best = 0;
    for (String g : goldAnswers) {
      best = Math.max(best, f1(predicted, g));
    }
    return best;
  }

  static double f1(String predicted, String gold) {
    List<String> p = splitWhitespace(normalize(predicted));
    List<String> g = splitWhitespace(normalize(gold));
    Map<String, Integer> goldCounts = new HashMap<>();
    g.forEach(t -> goldCounts.merge(t, 1, Integer::sum));
    int same = 0;
    for (String t : p) {
      Integer left = goldCounts.get(t);
      if (left != null && left > 0) {
        same++;
        goldCounts.put(t, left - 1);
      }
    }
    if (same == 0) {
      return 0.0; // also the official answer when either side normalizes to nothing
    }
    double precision = (double) same / p.size();
    double recall = (double) same / g.size();
    return 2 * precision * recall / (precision + recall);
  }

  /** Python's {@code str.split()}: runs of whitespace separate, no empty tokens. */
  private static List<String> splitWhitespace(CharSequence s) {
    List<String> out = new ArrayList<>();
    for (String t : WHITESPACE.split(s.toString().strip())) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  /** The official script removes {@code string.punctuation}: ASCII punctuation only. */
  private static boolean isPythonPunctuation(int cp) {
    return cp < 128 && "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".indexOf(cp) >= 0;
  }

  private static void checkAnswers(List<String> goldAnswers) {
    if (goldAnswers.isEmpty()) {
      throw new IllegalArgumentException("a SQuAD v1.1 question needs at least one gold answer");
    }
  }
}
