package io.roberta.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.spec.MaskingSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DynamicMaskerTest {
  static final int VOCAB = 1000;
  static final SpecialTokens IDS = SpecialTokens.roberta(VOCAB);

  /** {@code <s>} body {@code </s>} then padding, as packed blocks look. */
  static int[] block(long seed, int length, int pad) {
    SplittableRandom r = new SplittableRandom(seed);
    int[] b = new int[length];
    b[0] = IDS.bos();
    for (int i = 1; i < length - 1 - pad; i++) {
      b[i] = 5 + r.nextInt(VOCAB - 6);
    }
    b[length - 1 - pad] = IDS.eos();
    for (int i = length - pad; i < length; i++) {
      b[i] = IDS.pad();
    }
    return b;
  }

  @Test
  void isAPureFunctionOfSeedEpochAndBlock() {
    DynamicMasker m = new DynamicMasker(MaskingSpec.roberta(7), IDS, VOCAB);
    int[] b = block(1, 128, 10);
    DynamicMasker.Masked a = m.mask(b, 3, 42);
    DynamicMasker.Masked again = new DynamicMasker(MaskingSpec.roberta(7), IDS, VOCAB).mask(b.clone(), 3, 42);
    assertArrayEquals(a.inputIds(), again.inputIds());
    assertArrayEquals(a.labels(), again.labels());
    assertFalse(Arrays.equals(a.labels(), m.mask(b, 4, 42).labels()), "a new epoch draws new masks");
    assertFalse(Arrays.equals(a.labels(), m.mask(b, 3, 43).labels()), "another block draws other masks");
    assertFalse(Arrays.equals(a.labels(), new DynamicMasker(MaskingSpec.roberta(8), IDS, VOCAB).mask(b, 3, 42).labels()));
    assertArrayEquals(block(1, 128, 10), b, "the input block is not modified");
  }

  @Test
  void choosesFifteenPercentSplitEightyTenTen() {
    DynamicMasker m = new DynamicMasker(MaskingSpec.roberta(11), IDS, VOCAB);
    long candidates = 0;
    long chosen = 0;
    long masked = 0;
    long random = 0;
    long kept = 0;
    for (int k = 0; k < 4000; k++) {
      int[] b = block(k, 128, k % 20);
      DynamicMasker.Masked out = m.mask(b, 0, k);
      for (int i = 0; i < b.length; i++) {
        boolean special = b[i] == IDS.bos() || b[i] == IDS.eos() || b[i] == IDS.pad();
        if (!special) {
          candidates++;
        }
        if (out.labels()[i] == DynamicMasker.IGNORE) {
          assertEquals(b[i], out.inputIds()[i], "unchosen positions are untouched");
          continue;
        }
        assertFalse(special, "special token chosen at " + i + " of block " + k);
        assertEquals(b[i], out.labels()[i], "the label is the original token");
        chosen++;
        int in = out.inputIds()[i];
        if (in == IDS.mask()) {
          masked++;
        } else if (in == b[i]) {
          kept++; // includes the rare random draw of the same token
        } else {
          random++;
          assertTrue(in > IDS.unk() && in < IDS.mask(), "random replacement " + in + " must be a normal token");
        }
      }
    }
    assertEquals(0.15, (double) chosen / candidates, 0.002);
    assertEquals(0.80, (double) masked / chosen, 0.01);
    assertEquals(0.10, (double) random / chosen, 0.01);
    assertEquals(0.10, (double) kept / chosen, 0.01);
  }

  @Test
  void countHasTheExactExpectation() {
    // With 10 maskable tokens, p = 0.15: 1 or 2 chosen, 2 with probability 0.5.
    DynamicMasker m = new DynamicMasker(MaskingSpec.roberta(3), IDS, VOCAB);
    int[] b = block(5, 12, 0);
    int twos = 0;
    for (int k = 0; k < 10_000; k++) {
      int c = m.mask(b, 0, k).maskedCount();
      assertTrue(c == 1 || c == 2, "count " + c);
      twos += c == 2 ? 1 : 0;
    }
    assertEquals(0.5, twos / 10_000.0, 0.02);
  }

  @Test
  void otherSplitsAreHonoured() {
    DynamicMasker m = new DynamicMasker(new MaskingSpec(0.3, 1.0, 0.0, 0.0, 1), IDS, VOCAB);
    DynamicMasker.Masked out = m.mask(block(9, 128, 0), 0, 0);
    int chosen = out.maskedCount();
    assertNotEquals(0, chosen);
    for (int i = 0; i < 128; i++) {
      if (out.labels()[i] != DynamicMasker.IGNORE) {
        assertEquals(IDS.mask(), out.inputIds()[i]);
      }
    }
  }

  @Test
  void rejectsIdsOutsideTheVocabulary() {
    DynamicMasker m = new DynamicMasker(MaskingSpec.roberta(3), IDS, VOCAB);
    int[] b = block(1, 16, 0);
    b[3] = VOCAB + 5;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.mask(b, 0, 9));
    assertTrue(e.getMessage().contains("token id 1005 at position 3 of block 9"), e.getMessage());
  }
}
