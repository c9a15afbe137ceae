package io.roberta.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenShardsTest {

  static Path write(Path file, TokenShards.Dtype dtype, int[] ids) throws Exception {
    ByteBuffer buf = ByteBuffer.allocate(ids.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (int id : ids) {
      if (dtype == TokenShards.Dtype.UINT16) {
        buf.putShort((short) id);
      } else {
        buf.putInt(id);
      }
    }
    return Files.write(file, buf.array());
  }

  @Test
  void readsBlocksAcrossShardsInBothDtypes(@TempDir Path dir) throws Exception {
    for (TokenShards.Dtype dtype : TokenShards.Dtype.values()) {
      int big = dtype == TokenShards.Dtype.UINT16 ? 65_535 : 250_001;
      Path a = write(dir.resolve(dtype + "-0.bin"), dtype, new int[] {0, 1, 2, 3, big, 5, 6, 7});
      Path b = write(dir.resolve(dtype + "-1.bin"), dtype, new int[] {8, 9, 10, 11});
      try (TokenShards shards = TokenShards.open(List.of(a, b), dtype, 4)) {
        assertEquals(3, shards.blockCount());
        int[] out = new int[4];
        shards.read(1, out);
        assertArrayEquals(new int[] {big, 5, 6, 7}, out);
        shards.read(2, out);
        assertArrayEquals(new int[] {8, 9, 10, 11}, out);
        assertThrows(IndexOutOfBoundsException.class, () -> shards.read(3, out));
      }
    }
  }

  @Test
  void aTruncatedShardIsNamed(@TempDir Path dir) throws Exception {
    Path bad = write(dir.resolve("train-0.bin"), TokenShards.Dtype.UINT16, new int[] {1, 2, 3});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenShards.open(List.of(bad), TokenShards.Dtype.UINT16, 4));
    assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a whole number of blocks"), e.getMessage());
  }

  @Test
  void dtypeFollowsTheVocabulary() {
    assertEquals(TokenShards.Dtype.UINT16, TokenShards.Dtype.forVocabulary(50_265));
    assertEquals(TokenShards.Dtype.UINT16, TokenShards.Dtype.forVocabulary(65_536));
    assertEquals(TokenShards.Dtype.INT32, TokenShards.Dtype.forVocabulary(250_002));
  }

  @Test
  void epochOrderIsAReproduciblePermutation() {
    EpochOrder e0 = EpochOrder.of(5, 0, 1000);
    int[] seen = new int[1000];
    long[] order = new long[1000];
    for (int i = 0; i < 1000; i++) {
      order[i] = e0.blockAt(i);
      seen[(int) order[i]]++;
    }
    for (int s : seen) {
      assertEquals(1, s);
    }
    long[] again = new long[1000];
    long[] next = new long[1000];
    EpochOrder e0b = EpochOrder.of(5, 0, 1000);
    EpochOrder e1 = EpochOrder.of(5, 1, 1000);
    for (int i = 0; i < 1000; i++) {
      again[i] = e0b.blockAt(i);
      next[i] = e1.blockAt(i);
    }
    assertArrayEquals(order, again);
    assertNotEquals(Arrays.toString(order), Arrays.toString(next));
  }

  /**
   * A few thousand mutations of a valid shard: each opens and passes the vocabulary check with
   * the original's block count, or fails with {@link ShardFileException}.
   */
  @Test
  void fuzzedShardsOpenOrFailWithTheReadersOwnException(@TempDir Path dir) throws Exception {
    for (TokenShards.Dtype dtype : TokenShards.Dtype.values()) {
      int[] ids = new int[64];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = (i * 7) % 50;
      }
      byte[] original = Files.readAllBytes(write(dir.resolve(dtype + ".bin"), dtype, ids));
      java.util.SplittableRandom random = new java.util.SplittableRandom(16);
      Path file = dir.resolve("fuzz-" + dtype + ".bin");
      int opened = 0;
      int refused = 0;
      for (int i = 0; i < 2000; i++) {
        Files.write(file, io.roberta.engine.io.Fuzz.mutate(original, original.length, random));
        try (TokenShards shards = TokenShards.open(List.of(file), dtype, 8)) {
          shards.checkIdsBelow(50);
          assertTrue(shards.blockCount() <= 16, "mutation " + i);
          opened++;
        } catch (ShardFileException e) {
          assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
          refused++;
        }
      }
      assertTrue(opened > 50 && refused > 50, dtype + ": opened " + opened + ", refused " + refused);
    }
  }
}
