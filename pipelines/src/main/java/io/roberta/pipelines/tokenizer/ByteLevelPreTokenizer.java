package io.roberta.pipelines.tokenizer;

import java.util.function.Consumer;

/**
 * Splits text into the words BPE learns on, exactly as GPT-2's and RoBERTa's regular expression
 * does (Hugging Face's {@code ByteLevel} pre-tokenizer with {@code use_regex}):
 *
 * <pre>{@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}</pre>
 *
 * <p>Written as a scanner instead of a {@link java.util.regex.Pattern} because it is several
 * times faster, and because Java's {@code \s} is ASCII-only where the reference's is Unicode
 * {@code White_Space}; {@code ByteLevelPreTokenizerTest} checks it against the expression (with
 * {@code \s} spelled as Unicode) and against Hugging Face's own output.
 *
 * <pre>{@code
 * ByteLevelPreTokenizer.split("Hello  world!", words::add);  // "Hello", " ", " world", "!"
 * }</pre>
 */
public final class ByteLevelPreTokenizer {

  private ByteLevelPreTokenizer() {}

  /** Calls {@code words} with each pre-token of {@code text}, in order; they concatenate to it. */
  public static void split(String text, Consumer<String> words) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      int end = tokenEnd(text, i, n);
      words.accept(text.substring(i, end));
      i = end;
    }
  }

  /** The end of the pre-token that starts at {@code i}. */
  static int tokenEnd(String s, int i, int n) {
    char c = s.charAt(i);
    if (c == '\'' && i + 1 < n) {
      char c1 = s.charAt(i + 1);
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        return i + 2;
      }
      if (i + 2 < n) {
        char c2 = s.charAt(i + 2);
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          return i + 3;
        }
      }
    }
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": one optional leading U+0020.
    int j = (c == ' ' && i + 1 < n && !isWhitespace(s.codePointAt(i + 1))) ? i + 1 : i;
    int cp = s.codePointAt(j);
    if (!isWhitespace(cp)) {
      int kind = kind(cp);
      int k = j + Character.charCount(cp);
      while (k < n) {
        int next = s.codePointAt(k);
        if (isWhitespace(next) || kind(next) != kind) {
          break;
        }
        k += Character.charCount(next);
      }
      return k;
    }
    // "\s+(?!\S)|\s+": a run of whitespace, less its last character when a word follows (that
    // character then leads the word, as " world" above).
    int k = i;
    while (k < n && isWhitespace(s.codePointAt(k))) {
      k += Character.charCount(s.codePointAt(k));
    }
    if (k == n) {
      return n;
    }
    int last = s.offsetByCodePoints(k, -1);
    return last > i ? last : k;
  }

  private static final int LETTER = 0;
  private static final int NUMBER = 1;
  private static final int OTHER = 2;

  private static int kind(int cp) {
    if (Character.isLetter(cp)) {
      return LETTER;
    }
    int type = Character.getType(cp);
    if (type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER) {
      return NUMBER;
    }
    return OTHER;
  }

  /** Unicode {@code White_Space}, which is what the reference's {@code \s} matches. */
  static boolean isWhitespace(int cp) {
    if (cp <= 0x20) {
      return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    }
    if (cp < 0x85) {
      return false;
    }
    return cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /**
   * Whether cutting {@code text} before index {@code i} leaves every pre-token unchanged: true
   * before a single space (U+0020) that follows a non-space and precedes one. Long documents are
   * cut only at such points, so word counts do not depend on where they are cut.
   */
  static boolean isSafeCut(CharSequence text, int i) {
    return i > 0
        && i + 1 < text.length()
        && text.charAt(i) == ' '
        && !isWhitespaceChar(text.charAt(i - 1))
        && !isWhitespaceChar(text.charAt(i + 1));
  }

  private static boolean isWhitespaceChar(char c) {
    // Surrogates are never whitespace, so a char test is enough here.
    return isWhitespace(c);
  }
}
