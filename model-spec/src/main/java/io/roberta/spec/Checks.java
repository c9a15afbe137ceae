package io.roberta.spec;

import java.util.Collection;
import java.util.regex.Pattern;

/**
 * Argument checks shared by the spec records and the DSL builders, so that a value set in a
 * builder and a value read from JSON are rejected with the same words.
 */
public final class Checks {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  private Checks() {}

  public static SpecException invalid(String field, Object value, String validRange) {
    return new SpecException(
        field, field + " = " + render(value) + " is invalid: " + validRange);
  }

  public static int positive(String field, int value) {
    if (value <= 0) {
      throw invalid(field, value, "must be a positive integer (>= 1)");
    }
    return value;
  }

  public static long positive(String field, long value) {
    if (value <= 0) {
      throw invalid(field, value, "must be a positive integer (>= 1)");
    }
    return value;
  }

  public static int nonNegative(String field, int value) {
    if (value < 0) {
      throw invalid(field, value, "must be >= 0");
    }
    return value;
  }

  public static double positive(String field, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw invalid(field, value, "must be a finite number > 0");
    }
    return value;
  }

  public static double nonNegative(String field, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw invalid(field, value, "must be a finite number >= 0");
    }
    return value;
  }

  /** A probability in the closed interval [0, 1]. */
  public static double probability(String field, double value) {
    if (!(value >= 0 && value <= 1)) {
      throw invalid(field, value, "must be a probability in [0, 1]");
    }
    return value;
  }

  /** A value in [0, 1): dropout rates, holdout fractions, Adam betas. */
  public static double fractionBelowOne(String field, double value) {
    if (!(value >= 0 && value < 1)) {
      throw invalid(field, value, "must be in [0, 1)");
    }
    return value;
  }

  public static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new SpecException(field, field + " is missing: a value is required");
    }
    return value;
  }

  public static String nonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw invalid(field, value, "must be a non-empty string");
    }
    return value;
  }

  /** Names used in paths and fingerprints: lower case letters, digits, '.', '_', '-'. */
  public static String name(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw invalid(
          field,
          value,
          "must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or"
              + " digit (it becomes part of artifact paths)");
    }
    return value;
  }

  public static <T extends Collection<?>> T nonEmpty(String field, T value) {
    notNull(field, value);
    if (value.isEmpty()) {
      throw new SpecException(field, field + " is empty: at least one entry is required");
    }
    return value;
  }

  /** Rejects a value set where the spec's kind does not use it. */
  public static void absent(String field, Object value, String why) {
    if (value != null) {
      throw invalid(field, value, "must be null because " + why);
    }
  }

  private static String render(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }
}
