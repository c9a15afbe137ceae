package io.roberta.pipelines.corpus;

import io.roberta.spec.NormalizationSpec;
import java.io.Serializable;
import java.text.Normalizer;

/**
 * The recipe's text cleaning, in this order: Unicode NFC; control characters (category Cc, NUL
 * included) removed except newline and tab; whitespace normalized: {@code \r\n} and {@code \r}
 * become {@code \n}, runs of other whitespace become one space, spaces at line ends go, more
 * than one blank line becomes one (paragraph breaks survive), and the text is trimmed.
 *
 * <pre>{@code
 * new TextCleaner(NormalizationSpec.standard()).clean("  Call\u0000 me\t\tIshmael. \r\n")
 * // "Call me Ishmael."
 * }</pre>
 */
public final class TextCleaner implements Serializable {
  private static final long serialVersionUID = 1L;

  // The spec's fields, not the spec: DoFns holding a cleaner are serialized, spec records are not.
  private final boolean nfc;
  private final boolean stripControlCharacters;
  private final boolean collapseWhitespace;

  public TextCleaner(NormalizationSpec spec) {
    this.nfc = spec.nfc();
    this.stripControlCharacters = spec.stripControlCharacters();
    this.collapseWhitespace = spec.collapseWhitespace();
  }

  public String clean(String text) {
    String s = text;
    if (nfc && !Normalizer.isNormalized(s, Normalizer.Form.NFC)) {
      s = Normalizer.normalize(s, Normalizer.Form.NFC);
    }
    if (stripControlCharacters) {
      s = stripControls(s);
    }
    if (collapseWhitespace) {
      s = collapseWhitespace(s);
    }
    return s;
  }

  static String stripControls(String s) {
    int i = 0;
    int n = s.length();
    while (i < n && !isStrippedControl(s.charAt(i))) {
      i++;
    }
    if (i == n) {
      return s;
    }
    StringBuilder b = new StringBuilder(n);
    b.append(s, 0, i);
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (!isStrippedControl(c)) {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isStrippedControl(char c) {
    // \r is kept here so that whitespace normalization can turn \r\n into \n.
    return (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || (c >= 0x7f && c <= 0x9f);
  }

  static String collapseWhitespace(String s) {
    StringBuilder b = new StringBuilder(s.length());
    int pendingNewlines = 0;
    boolean pendingSpace = false;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < n && s.charAt(i + 1) == '\n') {
          i++;
        }
        pendingNewlines++;
        pendingSpace = false; // spaces at a line end go
      } else if (isSpace(c)) {
        pendingSpace = true;
      } else {
        if (b.length() > 0) {
          if (pendingNewlines > 0) {
            b.append(pendingNewlines > 1 ? "\n\n" : "\n");
          } else if (pendingSpace) {
            b.append(' ');
          }
        }
        pendingNewlines = 0;
        pendingSpace = false;
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == 0x0b || c == 0x85 || c == 0xa0
        || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029
        || c == 0x202f || c == 0x205f || c == 0x3000;
  }
}
