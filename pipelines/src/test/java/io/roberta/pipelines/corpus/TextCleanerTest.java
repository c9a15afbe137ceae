package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roberta.spec.NormalizationSpec;
import org.junit.jupiter.api.Test;

class TextCleanerTest {
  private final TextCleaner standard = new TextCleaner(NormalizationSpec.standard());

  @Test
  void nfcComposesCombiningMarks() {
    assertEquals("caf\u00e9", standard.clean("cafe\u0301"));
    assertEquals("cafe\u0301", new TextCleaner(new NormalizationSpec(false, true, true)).clean("cafe\u0301"));
  }

  @Test
  void controlCharactersGoNewlinesAndTabsStay() {
    assertEquals("ab\tc\nd", new TextCleaner(new NormalizationSpec(true, true, false)).clean("a\0b\tc\u0007\n\u009fd"));
  }

  @Test
  void whitespaceIsNormalizedAndParagraphBreaksSurvive() {
    assertEquals(
        "Call me Ishmael.\nSome years ago.\n\nNew paragraph.",
        standard.clean("  Call \u00a0me\t\tIshmael.  \r\nSome years ago.\r\n\r\n\n\n   New paragraph. \n"));
  }

  @Test
  void noneLeavesTextAlone() {
    String s = " a\0  b\r\n";
    assertEquals(s, new TextCleaner(NormalizationSpec.none()).clean(s));
  }

  @Test
  void onlyControlsAndSpacesLeaveNothing() {
    assertEquals("", standard.clean(" \0\u0001 \n\t "));
  }
}
