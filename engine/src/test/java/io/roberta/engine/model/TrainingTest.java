package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A short masked-LM run with dropout, shared layers, clipping and AdamW: the loss must fall
 * below what any context-free guess achieves.
 */
class TrainingTest {

  /** Tiny matrices gain nothing from a second native thread, and lose much on a busy machine. */
  @org.junit.jupiter.api.BeforeAll
  static void oneNativeThread() {
    Nd4jKernels.pinThreads(1);
  }


  @Test
  void maskedLmLossFallsWhenMasksAreGuessableFromContext() {
    Kernels k = new Nd4jKernels(KernelPrecision.FP32);
    ModelSpec spec = new ModelSpec(32, 32, 2, 4, 64, 40, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(32), LayerSharing.ALL_LAYERS);
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec, k);
    model.initialize(1);
    AdamW optimizer = new AdamW(1e-2, 0.9, 0.98, 1e-6, 0.01);
    Random random = new Random(2);
    int batchSize = 8;
    int length = 16;
    double first = 0;
    double last = 0;
    for (int step = 0; step < 30; step++) {
      // each sequence repeats one random token: a masked token equals its neighbours
      int[] ids = new int[batchSize * length];
      int[] labels = new int[ids.length];
      Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
      for (int b = 0; b < batchSize; b++) {
        int start = random.nextInt(20);
        for (int t = 0; t < length; t++) {
          int i = b * length + t;
          ids[i] = 5 + start;
          if (t > 0 && random.nextDouble() < 0.15) {
            labels[i] = ids[i];
            ids[i] = spec.specialTokens().mask();
          }
        }
      }
      model.parameters().zeroGrads();
      double loss = model.forwardBackward(new Batch(batchSize, length, ids, null, null), labels,
          RunMode.training(step));
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      optimizer.step(model.parameters());
      if (step < 5) {
        first += loss / 5;
      }
      if (step >= 25) {
        last += loss / 5;
      }
    }
    // below ln(20), the best a model that ignores the context can do on these 20 tokens
    assertTrue(last < Math.log(20) - 0.3 && last < first - 0.8,
        "loss fell from " + first + " to " + last);
  }
}
