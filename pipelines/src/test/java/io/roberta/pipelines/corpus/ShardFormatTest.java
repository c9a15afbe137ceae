package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import org.junit.jupiter.api.Test;

class ShardFormatTest {

  @Test
  void uint16UpTo65536TokensElseInt32() {
    assertEquals(ShardFormat.UINT16, ShardFormat.forVocabulary(50_265));
    assertEquals(ShardFormat.UINT16, ShardFormat.forVocabulary(65_536));
    assertEquals(ShardFormat.INT32, ShardFormat.forVocabulary(65_537));
    assertEquals(ShardFormat.INT32, ShardFormat.forVocabulary(250_002));
  }

  @Test
  void writesFlatLittleEndianIds() throws IOException {
    int[] ids = new int[100_000]; // more than one write buffer
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (i * 7919) % 65_536;
    }
    for (ShardFormat f : ShardFormat.values()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ShardFormat.Writer w = f.new Writer(Channels.newChannel(bytes))) {
        w.write(new int[] {0, 1, 2});
        w.write(ids);
      }
      byte[] b = bytes.toByteArray();
      assertEquals((ids.length + 3) * f.bytesPerId(), b.length);
      assertEquals(2, b[2 * f.bytesPerId()], "little-endian: the low byte first");
      int[] back = f.decode(b);
      assertArrayEquals(ids, java.util.Arrays.copyOfRange(back, 3, back.length));
    }
    ByteArrayOutputStream big = new ByteArrayOutputStream();
    try (ShardFormat.Writer w = ShardFormat.INT32.new Writer(Channels.newChannel(big))) {
      w.write(new int[] {250_001});
    }
    assertArrayEquals(new int[] {250_001}, ShardFormat.INT32.decode(big.toByteArray()));
  }
}
