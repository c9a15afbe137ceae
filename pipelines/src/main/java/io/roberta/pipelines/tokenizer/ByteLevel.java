package io.roberta.pipelines.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's map from the 256 byte values to printable characters ({@code bytes_to_unicode}): bytes
 * that are printable Latin-1 map to themselves, the others to U+0100 upwards, so that a space
 * (0x20) reads as {@code Ġ} (U+0120). Byte-level BPE works on these characters, so every text
 * has an encoding and nothing is ever unknown.
 */
public final class ByteLevel {

  private static final char[] BYTE_TO_CHAR = new char[256];

  static {
    boolean[] printable = new boolean[256];
    for (int b = '!'; b <= '~'; b++) {
      printable[b] = true;
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      printable[b] = true;
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      printable[b] = true;
    }
    int next = 0;
    for (int b = 0; b < 256; b++) {
      BYTE_TO_CHAR[b] = printable[b] ? (char) b : (char) (256 + next++);
    }
  }

  private ByteLevel() {}

  /** The printable character that stands for byte {@code b} (0..255). */
  public static char charOf(int b) {
    return BYTE_TO_CHAR[b & 0xff];
  }

  /** The text's UTF-8 bytes, each written as its printable character. */
  public static String encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
    }
    return new String(out);
  }

  /** The 256 byte characters, in byte order. */
  public static char[] alphabet() {
    return BYTE_TO_CHAR.clone();
  }
}
