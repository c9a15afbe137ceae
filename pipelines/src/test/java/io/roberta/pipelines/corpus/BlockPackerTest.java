package io.roberta.pipelines.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roberta.spec.PackingSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockPackerTest {
  static final int BOS = 0, PAD = 1, EOS = 2;

  private static List<int[]> pack(PackingSpec.Mode mode, int length, int[]... docs) {
    List<int[]> blocks = new ArrayList<>();
    BlockPacker p = new BlockPacker(new PackingSpec(mode, length), BOS, EOS, PAD, blocks::add);
    for (int[] d : docs) {
      p.add(d);
    }
    p.finish();
    assertEquals(blocks.size(), p.blocks());
    long pads = blocks.stream().flatMapToInt(java.util.Arrays::stream).filter(t -> t == PAD).count();
    assertEquals(pads, p.paddingTokens());
    return blocks;
  }

  @Test
  void fullSentencesCrossDocumentsWithSeparators() {
    List<int[]> blocks = pack(PackingSpec.Mode.FULL_SENTENCES, 6, new int[] {10, 11, 12}, new int[] {20, 21}, new int[] {30});
    // stream: 10 11 12 </s> 20 21 </s> 30, cut every 4
    assertEquals(2, blocks.size());
    assertArrayEquals(new int[] {BOS, 10, 11, 12, EOS, EOS}, blocks.get(0));
    assertArrayEquals(new int[] {BOS, 20, 21, EOS, 30, EOS}, blocks.get(1));
  }

  @Test
  void fullSentencesPadOnlyTheLastBlock() {
    List<int[]> blocks = pack(PackingSpec.Mode.FULL_SENTENCES, 5, new int[] {10, 11, 12, 13}, new int[] {20});
    assertEquals(2, blocks.size());
    assertArrayEquals(new int[] {BOS, 10, 11, 12, EOS}, blocks.get(0));
    assertArrayEquals(new int[] {BOS, 13, EOS, 20, EOS}, blocks.get(1));
    List<int[]> tail = pack(PackingSpec.Mode.FULL_SENTENCES, 5, new int[] {10, 11, 12, 13});
    assertArrayEquals(new int[] {BOS, 13, EOS, PAD, PAD}, tail.get(1));
  }

  @Test
  void docSentencesNeverCrossDocuments() {
    List<int[]> blocks = pack(PackingSpec.Mode.DOC_SENTENCES, 5, new int[] {10, 11, 12, 13}, new int[] {20});
    assertEquals(3, blocks.size());
    assertArrayEquals(new int[] {BOS, 10, 11, 12, EOS}, blocks.get(0));
    assertArrayEquals(new int[] {BOS, 13, EOS, PAD, PAD}, blocks.get(1));
    assertArrayEquals(new int[] {BOS, 20, EOS, PAD, PAD}, blocks.get(2));
  }

  @Test
  void emptyDocumentsAndNoDocumentsGiveNoBlocks() {
    assertEquals(0, pack(PackingSpec.Mode.FULL_SENTENCES, 5).size());
    assertEquals(0, pack(PackingSpec.Mode.DOC_SENTENCES, 5, new int[0]).size());
  }

  @Test
  void everyTokenLandsExactlyOnce() {
    int[] a = new int[1000];
    for (int i = 0; i < a.length; i++) {
      a[i] = 100 + i;
    }
    List<int[]> blocks = pack(PackingSpec.Mode.DOC_SENTENCES, 128, a);
    int next = 100;
    for (int[] b : blocks) {
      assertEquals(128, b.length);
      for (int i = 1; i < b.length && b[i] != EOS; i++) {
        assertEquals(next++, b[i]);
      }
    }
    assertEquals(1100, next);
  }
}
