package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Blocks cut into pieces (the sequence curriculum): each piece keeps the positions it has in its
 * block, and attends only within itself.
 */
class BatchPiecesTest {
  private static final int PAD = 1;
  private final Kernels k = new Nd4jKernels(KernelPrecision.FP32);
  private final ModelSpec spec = new ModelSpec(20, 8, 2, 2, 16, 12, 1, 1e-5, 0.0, 0.0, 0.02,
      SpecialTokens.roberta(20), LayerSharing.NONE);

  @AfterEach
  void close() {
    k.close();
  }

  /** Two blocks of 8: the second ends in padding, one of its pieces is all padding. */
  private static Batch blocks() {
    int[] ids = {0, 7, 19, 5, 8, 9, 4, 2, /**/ 0, 6, 2, PAD, PAD, PAD, PAD, PAD};
    int[] mask = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      mask[i] = ids[i] == PAD ? 0 : 1;
    }
    return new Batch(2, 8, ids, mask, null);
  }

  @Test
  void piecesKeepTheirBlockPositions() {
    Batch whole = blocks();
    Batch pieces = whole.pieces(2, PAD);
    assertEquals(8, pieces.size());
    assertEquals(2, pieces.length());
    assertArrayEquals(whole.inputIds(), pieces.inputIds());
    assertArrayEquals(new int[] {0, 2, 4, 6, 0, 2, 3, 3}, pieces.positionStarts());
    Embeddings e = new Embeddings(new Parameters(k), spec);
    int[] expected = e.positionIds(whole);
    assertArrayEquals(expected, e.positionIds(pieces));
    assertArrayEquals(new int[] {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 1, 1, 1, 1, 1}, expected);
    // pieces of pieces continue from the piece's own start
    assertArrayEquals(expected, e.positionIds(whole.pieces(4, PAD).pieces(2, PAD)));
    assertThrows(IllegalArgumentException.class, () -> whole.pieces(3, PAD));
    assertThrows(IllegalArgumentException.class,
        () -> new Batch(1, 2, new int[] {0, 2}, null, null, new int[] {-1}));
  }

  @Test
  void aPieceAttendsOnlyWithinItself() {
    try (RobertaForTokenClassification model = new RobertaForTokenClassification(spec, 5, k)) {
      model.initialize(3);
      Batch whole = blocks();
      float[] pieces = model.scoresOnHost(whole.pieces(4, PAD));
      float[] wholeScores = model.scoresOnHost(whole);
      // the second piece of block 0 alone, at its block positions, scores as it does among the pieces
      int[] ids = Arrays.copyOfRange(whole.inputIds(), 4, 8);
      float[] alone = model.scoresOnHost(new Batch(1, 4, ids, null, null, new int[] {4}));
      assertArrayEquals(Arrays.copyOfRange(pieces, 4 * 5, 8 * 5), alone, 1e-6f);
      // a token changed in the first piece: the second piece's scores stay, the whole block's move
      int[] changed = whole.inputIds().clone();
      changed[1] = 11;
      Batch other = new Batch(2, 8, changed, whole.attentionMask(), null);
      float[] piecesAfter = model.scoresOnHost(other.pieces(4, PAD));
      float[] wholeAfter = model.scoresOnHost(other);
      assertArrayEquals(Arrays.copyOfRange(pieces, 4 * 5, 8 * 5), Arrays.copyOfRange(piecesAfter, 4 * 5, 8 * 5));
      float moved = 0;
      for (int i = 4 * 5; i < 8 * 5; i++) {
        moved = Math.max(moved, Math.abs(wholeScores[i] - wholeAfter[i]));
      }
      assertTrue(moved > 1e-6f, "the whole block's second half should see the change, moved " + moved);
      // not positions from 0: a piece alone at position 0 scores differently
      float[] atZero = model.scoresOnHost(new Batch(1, 4, ids, null, null));
      assertTrue(!Arrays.equals(alone, atZero), "position starts should change the scores");
    }
  }
}
