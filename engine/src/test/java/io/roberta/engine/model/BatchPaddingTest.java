package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Padding to a multiple of a length: a few batch shapes, the same scores for the real tokens. */
class BatchPaddingTest {
  private final Kernels k = new Nd4jKernels(KernelPrecision.FP32);

  @AfterEach
  void close() {
    k.close();
  }

  @Test
  void lengthsRoundUpToTheMultipleAndTheMaskMarksOnlyRealTokens() {
    int[][] seqs = {{0, 7, 19, 5, 2}, {0, 6, 2}};
    Batch b = Batch.pad(seqs, 1, 8);
    assertEquals(8, b.length());
    assertArrayEquals(new int[] {0, 7, 19, 5, 2, 1, 1, 1, 0, 6, 2, 1, 1, 1, 1, 1}, b.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0}, b.attentionMask());
    assertEquals(8, Batch.pad(new int[][] {{0, 1, 2, 3, 4, 5, 6, 2}}, 1, 8).length(), "a multiple stays");
    assertEquals(5, Batch.pad(seqs, 1).length(), "the plain pad is the longest sequence");
    assertThrows(IllegalArgumentException.class, () -> Batch.pad(seqs, 1, 0));
  }

  @Test
  void extraPaddingLeavesTheRealTokensLogitsAlone() {
    ModelSpec spec = new ModelSpec(20, 8, 2, 2, 16, 12, 1, 1e-5, 0.0, 0.0, 0.02, SpecialTokens.roberta(20),
        LayerSharing.NONE);
    try (RobertaForTokenClassification model = new RobertaForTokenClassification(spec, 5, k)) {
      model.initialize(3);
      int[][] seqs = {{0, 7, 19, 5, 2}, {0, 6, 2}};
      Batch tight = Batch.pad(seqs, 1);
      Batch loose = Batch.pad(seqs, 1, 8);
      float[] a = model.scoresOnHost(tight);
      float[] b = model.scoresOnHost(loose);
      for (int s = 0; s < seqs.length; s++) {
        for (int t = 0; t < seqs[s].length; t++) {
          float[] x = Arrays.copyOfRange(a, (s * tight.length() + t) * 5, (s * tight.length() + t + 1) * 5);
          float[] y = Arrays.copyOfRange(b, (s * loose.length() + t) * 5, (s * loose.length() + t + 1) * 5);
          assertArrayEquals(x, y, 1e-6f, "sequence " + s + ", token " + t);
        }
      }
    }
  }
}
