package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Bf16Test {
  private static int bits(float f) {
    return Bf16.fromFloat(f) & 0xffff;
  }

  @Test
  void knownValues() {
    assertEquals(0x3f80, bits(1.0f));
    assertEquals(0x0000, bits(0.0f));
    assertEquals(0x8000, bits(-0.0f));
    assertEquals(0xc000, bits(-2.0f));
    assertEquals(0x3f8d, bits(1.1f)); // 0x3f8ccccd rounds up to 1.1015625
    assertEquals(0x4049, bits(3.140625f)); // exact
    assertEquals(0x4049, bits((float) Math.PI)); // 0x40490fdb rounds down
    assertEquals(0x7f80, bits(Float.POSITIVE_INFINITY));
    assertEquals(0xff80, bits(Float.NEGATIVE_INFINITY));
    assertEquals(0x7f80, bits(Float.MAX_VALUE)); // rounds past the largest bf16, as torch does
    assertEquals(0x7fc0, bits(Float.NaN));
    assertEquals(0x0001, bits(Float.intBitsToFloat(0x00010000))); // subnormals keep their bits
    assertEquals(1.109375f, Bf16.round(1.0f / 0.9f)); // the dropout keep factor for p = 0.1
  }

  @Test
  void tiesGoToEven() {
    assertEquals(0x3f80, bits(Float.intBitsToFloat(0x3f808000))); // even below: stays
    assertEquals(0x3f82, bits(Float.intBitsToFloat(0x3f818000))); // odd below: up
    assertEquals(0x3f81, bits(Float.intBitsToFloat(0x3f808001))); // above the tie: up
    assertEquals(0x3f80, bits(Float.intBitsToFloat(0x3f807fff))); // below the tie: down
  }

  @Test
  void roundsToTheNearestOfTheTwoNeighbours() {
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      float f = Float.intBitsToFloat(r.nextInt() & 0x7effffff); // positive, below the top binade (overflow: knownValues)
      float down = Float.intBitsToFloat(Float.floatToRawIntBits(f) & 0xffff0000);
      float up = Float.intBitsToFloat((Float.floatToRawIntBits(f) & 0xffff0000) + 0x10000);
      float got = Bf16.round(f);
      double dDown = (double) f - down;
      double dUp = (double) up - f;
      float want = dDown < dUp ? down : dUp < dDown ? up
          : ((Float.floatToRawIntBits(down) >>> 16) & 1) == 0 ? down : up;
      assertEquals(want, got, () -> "bf16 of " + Float.toHexString(f));
      if (f >= Float.MIN_NORMAL) {
        assertEquals(f, Bf16.toFloat(Bf16.fromFloat(f)), f * 0x1.0p-8); // half an ulp of 8 bits
      }
    }
    assertTrue(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN))));
  }
}
