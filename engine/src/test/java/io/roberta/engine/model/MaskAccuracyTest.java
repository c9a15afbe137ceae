package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A masked-LM pass reports, besides the accuracy over every labelled row, the accuracy over the
 * labelled rows whose input was {@code <mask>}: RoBERTa leaves 10% of the targets visible, and a
 * model that only copies them looks as if it had learned something.
 */
class MaskAccuracyTest {
  @Test
  void accuracyAtMaskCountsOnlyTheRowsWhoseInputWasTheMaskToken() {
    int vocab = 32;
    ModelSpec spec = new ModelSpec(vocab, 32, 2, 4, 64, 40, 1, 1e-5, 0.0, 0.0, 0.02,
        SpecialTokens.roberta(vocab), LayerSharing.NONE);
    try (Nd4jKernels k = new Nd4jKernels(KernelPrecision.FP32);
        RobertaForMaskedLM model = new RobertaForMaskedLM(spec, k)) {
      model.initialize(3);
      int batch = 4;
      int length = 12;
      int mask = spec.specialTokens().mask();
      Random random = new Random(4);
      int[] ids = new int[batch * length];
      int[] labels = new int[ids.length];
      Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
      int expectedAtMask = 0;
      for (int i = 0; i < ids.length; i++) {
        ids[i] = 5 + random.nextInt(vocab - 6);
        if (i % length != 0 && random.nextDouble() < 0.5) {
          labels[i] = ids[i];
          double kind = random.nextDouble();
          if (kind < 0.5) {
            ids[i] = mask;
            expectedAtMask++;
          } else if (kind < 0.75) {
            ids[i] = 5 + random.nextInt(vocab - 6); // a random token; the rest stay visible
          }
        }
      }
      Batch b = new Batch(batch, length, ids, null, null);
      RobertaForMaskedLM.Step step = model.trainStep(b, labels, RunMode.inference(), 0.0);

      // the same counts from the logits of every row, computed on their own
      float[] scores = model.scoresOnHost(b);
      int labelled = 0;
      int correct = 0;
      int atMask = 0;
      int correctAtMask = 0;
      for (int i = 0; i < ids.length; i++) {
        if (labels[i] == RobertaTaskModel.IGNORE_INDEX) {
          continue;
        }
        int best = 0;
        for (int v = 1; v < vocab; v++) {
          best = scores[i * vocab + v] > scores[i * vocab + best] ? v : best;
        }
        labelled++;
        correct += best == labels[i] ? 1 : 0;
        if (ids[i] == mask) {
          atMask++;
          correctAtMask += best == labels[i] ? 1 : 0;
        }
      }
      assertEquals(expectedAtMask, atMask);
      assertTrue(atMask > 5 && atMask < labelled, atMask + " of " + labelled + " labelled rows had <mask> as input");
      assertEquals(labelled, step.labelled());
      assertEquals(atMask, step.atMask());
      assertEquals(correct, step.correct());
      assertEquals(correctAtMask, step.correctAtMask());
    }
  }
}
