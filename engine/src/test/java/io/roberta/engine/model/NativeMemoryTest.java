package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.optim.AdamW;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Parameters, gradients and AdamW moments hold native memory; closing them returns it at once,
 * without waiting for the garbage collector (measured as the process' resident memory, which
 * ND4J's large host buffers leave and rejoin as whole mappings).
 */
class NativeMemoryTest {
  static final long ELEMENTS = 4L << 20; // 16 MiB per FP32 tensor

  private static Parameters big(Kernels k) {
    Parameters p = new Parameters(k);
    p.add("a.weight", 1024, ELEMENTS / 1024);
    p.add("b.weight", 2048, ELEMENTS / 2048);
    return p;
  }

  @Test
  void closingParametersAndOptimizerReturnsTheirNativeMemory() {
    Kernels k = new Nd4jKernels(KernelPrecision.FP32);
    Parameters warmUp = new Parameters(k); // loads the native libraries and their own buffers
    warmUp.add("w", 4, 4);
    new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01).step(warmUp);
    long start = Pointer.physicalBytes();
    Parameters params = big(k);
    AdamW adam = new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01);
    adam.step(params);
    long held = Pointer.physicalBytes() - start;
    // 2 tensors x (value, gradient, 2 moments) x 16 MiB
    assertTrue(held >= 8 * ELEMENTS * 4 * 9 / 10, "held " + held + " bytes");
    adam.close();
    params.close();
    long left = Pointer.physicalBytes() - start;
    // Resident memory also moves with the JIT, the Java heap and other threads (CI once saw
    // 16 MB of such noise), so the bound is a quarter: without close() all of `held` stays.
    assertTrue(left < held / 4, "left " + left + " of " + held + " bytes after close (no GC asked)");
  }
}
