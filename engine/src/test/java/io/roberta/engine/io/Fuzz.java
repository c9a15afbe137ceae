package io.roberta.engine.io;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random mutations of a valid file for reader fuzz tests: flipped bits, overwritten bytes,
 * truncation, appended garbage, duplicated ranges, and (most often) changes inside the first
 * {@code focus} bytes, where a format's header and lengths live.
 */
public final class Fuzz {
  private Fuzz() {}

  public static byte[] mutate(byte[] original, int focus, SplittableRandom random) {
    byte[] b = original.clone();
    int kind = random.nextInt(8);
    int region = random.nextInt(4) == 0 ? b.length : Math.max(1, Math.min(focus, b.length));
    switch (kind) {
      case 0 -> { // one flipped bit
        int at = random.nextInt(region);
        b[at] ^= (byte) (1 << random.nextInt(8));
      }
      case 1 -> { // a few random bytes
        for (int n = 1 + random.nextInt(4); n > 0; n--) {
          b[random.nextInt(region)] = (byte) random.nextInt(256);
        }
      }
      case 2 -> b = Arrays.copyOf(b, random.nextInt(b.length)); // truncated
      case 3 -> { // garbage appended
        byte[] extra = new byte[1 + random.nextInt(64)];
        random.nextBytes(extra);
        byte[] longer = Arrays.copyOf(b, b.length + extra.length);
        System.arraycopy(extra, 0, longer, b.length, extra.length);
        b = longer;
      }
      case 4 -> { // a digit changed (lengths, offsets, shapes in text headers)
        for (int tries = 0; tries < 32; tries++) {
          int at = random.nextInt(region);
          if (b[at] >= '0' && b[at] <= '9') {
            b[at] = (byte) ('0' + random.nextInt(10));
            break;
          }
        }
      }
      case 5 -> { // a byte set to an extreme value (varint continuation, sign bits)
        b[random.nextInt(region)] = random.nextBoolean() ? (byte) 0xff : (byte) 0x80;
      }
      case 6 -> { // a range copied over another
        int len = 1 + random.nextInt(Math.min(16, b.length));
        int from = random.nextInt(b.length - len + 1);
        int to = random.nextInt(Math.max(1, region - len + 1));
        System.arraycopy(original, from, b, Math.min(to, b.length - len), len);
      }
      default -> { // a range removed
        int len = 1 + random.nextInt(Math.min(8, b.length));
        int at = random.nextInt(Math.max(1, region - len + 1));
        at = Math.min(at, b.length - len);
        byte[] shorter = new byte[b.length - len];
        System.arraycopy(b, 0, shorter, 0, at);
        System.arraycopy(b, at + len, shorter, at, b.length - at - len);
        b = shorter;
      }
    }
    return b;
  }
}
