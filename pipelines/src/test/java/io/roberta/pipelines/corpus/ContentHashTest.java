package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The split and the packing order hang on these numbers: they must never change between runs. */
class ContentHashTest {

  @Test
  void isSha256OfTheUtf8Text() {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assertEquals("ba7816bf8f01cfea414140de5dae2223", ContentHash.of("abc"));
    assertEquals(32, ContentHash.of("caf\u00e9 😀").length());
  }

  @Test
  void splitFractionIsUniformEnoughAndStable() {
    assertEquals(0xba7816bf8f01cfeaL >>> 11, (long) (ContentHash.splitFraction(ContentHash.of("abc")) * 0x1.0p53));
    int holdout = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      double f = ContentHash.splitFraction(ContentHash.of("document " + i));
      assertTrue(f >= 0 && f < 1);
      if (f < 0.05) {
        holdout++;
      }
    }
    assertTrue(Math.abs(holdout - 0.05 * n) < 4 * Math.sqrt(0.05 * 0.95 * n), "holdout " + holdout + " of " + n);
  }

  @Test
  void copiesOfADocumentGetDifferentPlaces() {
    String h = ContentHash.of("a weighted document");
    assertNotEquals(ContentHash.sortKey(h, 0), ContentHash.sortKey(h, 1));
    assertEquals(ContentHash.sortKey(h, 1), ContentHash.sortKey(h, 1));
  }
}
