package io.roberta.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.bench.KernelProfile;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The CPU backend's buffer reuse, dropout masks and kernel profile. */
class Nd4jKernelsReuseTest {
  private final Nd4jKernels k = new Nd4jKernels(KernelPrecision.FP32);

  @Test
  void zerosAreZeroEvenWhenTheirBufferWasUsedBefore() {
    try (Kernels.Scope s = k.scope()) {
      Tensor dirty = k.empty(64, 33);
      k.fill(dirty, 7.0);
    }
    String before = k.poolStats();
    try (Kernels.Scope s = k.scope()) {
      Tensor reused = k.zeros(64, 33);
      float[] values = k.toFloats(reused);
      assertArrayEquals(new float[64 * 33], values);
    }
    assertFalse(before.equals(k.poolStats()), "the second scope should reuse the buffer");
    assertTrue(k.poolStats().contains(" reused"), k.poolStats());
  }

  @Test
  void tensorsOutsideAScopeAreNeverTakenFromThePool() {
    try (Kernels.Scope s = k.scope()) {
      k.fill(k.empty(5, 7), 3.0);
    }
    Tensor parameter = k.empty(5, 7); // outside any scope: lives on, fresh memory
    try (Kernels.Scope s = k.scope()) {
      k.fill(k.empty(5, 7), 9.0); // takes the pooled buffer, not the parameter's
    }
    assertArrayEquals(new float[35], k.toFloats(parameter));
  }

  @Test
  void dropoutMasksAreReproducibleAndDropTheRequestedShare() {
    int n = 1 << 20;
    Tensor a = k.zeros(n);
    Tensor b = k.zeros(n);
    Tensor c = k.zeros(n);
    k.dropoutMask(a, 0.1, 42);
    k.dropoutMask(b, 0.1, 42);
    k.dropoutMask(c, 0.1, 43);
    float[] x = k.toFloats(a);
    assertArrayEquals(x, k.toFloats(b));
    assertFalse(Arrays.equals(x, k.toFloats(c)));
    int dropped = 0;
    for (float v : x) {
      if (v == 0f) {
        dropped++;
      } else {
        assertEquals(1.0f / 0.9f, v, 1e-6f);
      }
    }
    assertEquals(0.1, dropped / (double) n, 0.002, "share dropped");
    Tensor none = k.zeros(1001);
    k.dropoutMask(none, 0.0, 1);
    for (float v : k.toFloats(none)) {
      assertEquals(1.0f, v);
    }
  }

  @Test
  void profileCountsEveryKernelCall() {
    KernelProfile profile = new KernelProfile(k);
    Kernels timed = profile.kernels();
    Tensor t = timed.zeros(3, 4);
    timed.fill(t, 1.0);
    timed.fill(t, 2.0);
    java.io.StringWriter text = new java.io.StringWriter();
    profile.print(new java.io.PrintWriter(text, true), 1.0);
    assertTrue(text.toString().matches("(?s).*\\nfill\\s+2\\s.*"), text.toString());
    assertTrue(text.toString().matches("(?s).*\\nzeros\\s+1\\s.*"), text.toString());
  }
}
