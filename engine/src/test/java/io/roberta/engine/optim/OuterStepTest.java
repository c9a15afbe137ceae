package io.roberta.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class OuterStepTest {
  @Test
  void oneWorkerWithLearningRateOneAndNoMomentumTakesTheWorkersParametersExactly() {
    SplittableRandom r = new SplittableRandom(7);
    float[] global = new float[10_000];
    float[] worker = new float[global.length];
    for (int i = 0; i < global.length; i++) {
      global[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 3)));
      worker[i] = global[i] + (float) (r.nextGaussian() * 1e-3);
    }
    global[0] = 0f;
    worker[1] = 0f;
    worker[2] = -0f;
    OuterStep.Result res = OuterStep.apply(global, null, List.of(worker), 1.0, 0.0, false);
    for (int i = 0; i < global.length; i++) {
      assertEquals(Float.floatToIntBits(worker[i] == 0 ? 0f : worker[i]),
          Float.floatToIntBits(res.global()[i] == 0 ? 0f : res.global()[i]), "element " + i);
    }
  }

  @Test
  void nesterovMatchesPyTorchsSgdOnTheOuterGradient() {
    // torch.optim.SGD([g], lr=0.7, momentum=0.9, nesterov=True) with g.grad = g - mean(workers), two rounds
    float[] g = {1.0f, -2.0f, 0.5f};
    float[] m = null;
    double[] buf = new double[3];
    double[] expected = {1.0, -2.0, 0.5};
    SplittableRandom r = new SplittableRandom(3);
    for (int round = 0; round < 2; round++) {
      List<float[]> workers = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        float[] w = new float[3];
        for (int i = 0; i < 3; i++) {
          w[i] = g[i] + (float) r.nextGaussian() * 0.1f;
        }
        workers.add(w);
      }
      for (int i = 0; i < 3; i++) {
        double mean = (workers.get(0)[i] + (double) workers.get(1)[i] + workers.get(2)[i]) / 3;
        double grad = g[i] - mean;
        buf[i] = round == 0 ? grad : 0.9 * (float) buf[i] + grad; // PyTorch's first step: buf = grad
        expected[i] = g[i] - 0.7 * (grad + 0.9 * buf[i]);
      }
      OuterStep.Result res = OuterStep.apply(g, m, workers, 0.7, 0.9, true);
      for (int i = 0; i < 3; i++) {
        assertEquals((float) expected[i], res.global()[i], 1e-7, "round " + round + " element " + i);
        assertEquals((float) buf[i], res.momentum()[i], 1e-7);
      }
      g = res.global();
      m = res.momentum();
    }
  }

  @Test
  void theResultDoesNotDependOnAnythingButTheInputsInWorkerOrder() {
    float[] g = {0.1f, 0.2f};
    List<float[]> w = List.of(new float[] {1e8f, 0.3f}, new float[] {1f, 0.1f}, new float[] {-1e8f, 0.2f});
    OuterStep.Result a = OuterStep.apply(g, null, w, 0.5, 0.5, false);
    OuterStep.Result b = OuterStep.apply(g.clone(), null, w, 0.5, 0.5, false);
    assertArrayEquals(a.global(), b.global());
    // double accumulation keeps the 1 that float summation in this order would lose
    assertTrue(Math.abs(a.global()[0] - (0.1 - 0.5 * (0.1 - 1.0 / 3))) < 1e-6, String.valueOf(a.global()[0]));
  }

  @Test
  void mismatchedChunksAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OuterStep.apply(new float[3], null, List.of(new float[3], new float[2]), 1, 0, false));
    assertTrue(e.getMessage().contains("worker 1 sent 2 values for a chunk of 3"), e.getMessage());
  }

  @Test
  void bfloat16RoundsToNearestEvenAndTheUpdateFormGivesTheMeanStep() {
    assertEquals(1.0f, OuterStep.fromBf16(OuterStep.toBf16(1.0f)));
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0)
    assertEquals(1.0f, OuterStep.fromBf16(OuterStep.toBf16(1.0f + 0x1p-8f)));
    assertEquals(1.0f + 0x1p-7f, OuterStep.fromBf16(OuterStep.toBf16(1.0f + 0x1p-8f + 0x1p-12f)));
    assertEquals(-3.0e-4f, OuterStep.fromBf16(OuterStep.toBf16(-3.0e-4f)), 3.0e-4f / 128);
    float[] g = {0.5f, -0.25f};
    float[] w0 = {0.51f, -0.26f};
    float[] w1 = {0.49f, -0.23f};
    short[][] u = new short[2][2];
    for (int i = 0; i < 2; i++) {
      u[0][i] = OuterStep.toBf16(w0[i] - g[i]);
      u[1][i] = OuterStep.toBf16(w1[i] - g[i]);
    }
    OuterStep.Result half = OuterStep.applyBf16(g, null, List.of(u[0], u[1]), 0.7, 0.9, true);
    OuterStep.Result full = OuterStep.apply(g, null, List.of(w0, w1), 0.7, 0.9, true);
    for (int i = 0; i < 2; i++) {
      assertEquals(full.global()[i], half.global()[i], 2e-4, "element " + i);
      assertEquals(full.momentum()[i], half.momentum()[i], 1e-4, "element " + i);
    }
  }
}
