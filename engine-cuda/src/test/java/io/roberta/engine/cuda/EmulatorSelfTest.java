package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.cuda.LaunchShape.Dim3;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The emulator's own checks, each shown catching what it is for with a kernel of {@code
 * emu_selftest.cu}: a barrier that half the block reaches elsewhere, a thread that returns while the
 * others wait, a missing barrier that only one thread order exposes; and the host copies of {@link
 * CudaKernels} in many small chunks.
 */
class EmulatorSelfTest {

  static float[] run(EmulatedDevice d, String kernel, int threads, int shared, float[] x) {
    DeviceBuffer out = d.allocate(4L * threads);
    DeviceBuffer in = d.allocate(4L * Math.max(1, x.length));
    ByteBuffer b = ByteBuffer.allocateDirect(4 * x.length).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(x);
    d.upload(in, 0, b);
    d.zero(out, 0, 4L * threads);
    List<Launch.Arg> args = kernel.endsWith("sum") || kernel.endsWith("global_overrun")
        ? List.of(new Launch.Ptr(out, 0, 4L * threads), new Launch.Ptr(in, 0, 4L * x.length), new Launch.I32(x.length))
        : List.of(new Launch.Ptr(out, 0, 4L * threads));
    d.launch(new Launch(kernel, Dim3.of(1), Dim3.of(threads), shared, args));
    ByteBuffer r = ByteBuffer.allocateDirect(4 * threads).order(ByteOrder.nativeOrder());
    d.download(r, out, 0);
    float[] f = new float[threads];
    r.asFloatBuffer().get(f);
    return f;
  }

  static float[] ramp(int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i + 1;
    }
    return x;
  }

  @Test
  void aBarrierReachedAtTwoPlacesIsDivergence() {
    try (EmulatedDevice d = EmulatedDevice.openOrSkip()) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> run(d, "selftest_divergent_barrier", 64, 0, new float[0]));
      assertTrue(e.getMessage().contains("selftest_divergent_barrier")
          && e.getMessage().contains("two different __syncthreads"), e.getMessage());
    }
  }

  @Test
  void aThreadReturningWhileOthersWaitIsDivergence() {
    try (EmulatedDevice d = EmulatedDevice.openOrSkip()) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> run(d, "selftest_early_return", 64, 0, new float[0]));
      assertTrue(e.getMessage().contains("returned while others wait at a barrier"), e.getMessage());
    }
  }

  @Test
  void aMissingBarrierShowsInOneThreadOrderAndNotTheOther() {
    float expected = 128 * 129 / 2f;
    try (EmulatedDevice forward = EmulatedDevice.openOrSkip()) {
      assertNotEquals(expected, run(forward, "selftest_racy_sum", 128, 0, ramp(128))[0],
          "forward order: thread 0 reads the other warps' slots before they write them");
      assertEquals(expected, run(forward, "selftest_sum", 128, 0, ramp(128))[0]);
    }
    try (EmulatedDevice reverse = EmulatedDevice.openOrSkip(EmulatorBuild.Variant.PLAIN,
        EmulatedDevice.Order.REVERSE, 1)) {
      assertEquals(expected, run(reverse, "selftest_racy_sum", 128, 0, ramp(128))[0],
          "reverse order: the other warps happen to write first");
      assertEquals(expected, run(reverse, "selftest_sum", 128, 0, ramp(128))[0]);
    }
    try (EmulatedDevice random = EmulatedDevice.openOrSkip(EmulatorBuild.Variant.PLAIN,
        EmulatedDevice.Order.RANDOM, 42)) {
      assertEquals(expected, run(random, "selftest_sum", 128, 0, ramp(128))[0]);
    }
  }

  /** Host copies in chunks of a few elements: every chunk boundary lands in the right place. */
  @Test
  void hostCopiesInManySmallChunks() {
    for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
      try (CudaKernels k = new CudaKernels(EmulatedDevice.openOrSkip(), precision)) {
        k.stagingBytes(24);
        float[] x = new float[1001];
        for (int i = 0; i < x.length; i++) {
          x[i] = (i % 97) - 48.5f;
        }
        try (Kernels.Scope s = k.scope()) {
          Tensor t = k.fromFloats(x, 7, 143);
          assertArrayEquals(x, k.toFloats(t), precision + ": values exact in bf16 too");
          k.set(t, 1000, 3.0);
          assertEquals(3.0, k.get(t, 1000));
          assertEquals(x[999], (float) k.get(t, 999));
        }
      }
    }
  }

  /** Chunk sizes are whole elements and byte counts are longs: a 600 M-float copy is 72 chunks. */
  @Test
  void chunksOfAVeryLargeCopy() {
    long elements = 600_000_000L;
    long chunk = CudaKernels.chunkElements(CudaKernels.STAGING_BYTES, DType.F32);
    assertEquals(CudaKernels.STAGING_BYTES / 4, chunk);
    long chunks = (elements + chunk - 1) / chunk;
    assertEquals(72, chunks);
    assertEquals(2_400_000_000L, elements * DType.F32.bytes, "bytes of the copy, more than an int holds");
  }
}
