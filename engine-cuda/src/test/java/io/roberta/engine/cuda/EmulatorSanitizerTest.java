package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.cuda.EmulatedDevice.Order;
import io.roberta.engine.cuda.EmulatorBuild.Variant;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.parity.HfParity;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backend's kernels under AddressSanitizer + UndefinedBehaviorSanitizer and under
 * ThreadSanitizer (every fiber a TSan fiber; happens-before only at barriers, shuffles, atomics and
 * launch boundaries), at narrow shapes: the tiny model's HF parity and a training step with dropout,
 * plus the kernels the model does not reach. Each sanitizer is also shown catching a defect of
 * {@code emu_selftest.cu}. Slow to build and run, so only in the Maven profile {@code
 * cuda-sanitizers} ({@code ./mvnw -pl engine-cuda test -Pcuda-sanitizers}).
 */
class EmulatorSanitizerTest {

  @BeforeAll
  static void onlyInTheProfile() {
    Assumptions.assumeTrue(Boolean.getBoolean("roberta.emulator.sanitizers"),
        "sanitizer builds run in the cuda-sanitizers profile only");
  }

  @ParameterizedTest
  @EnumSource(value = Variant.class, names = {"ASAN_UBSAN", "TSAN"})
  void kernelsAreCleanAtNarrowShapes(Variant variant) throws Exception {
    for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
      try (CudaKernels k = new CudaKernels(EmulatedDevice.openOrSkip(variant, Order.RANDOM, 3), precision)) {
        HfParity.Report report = HfParity.run(EmulatedHfParityTest.FIXTURE, k);
        assertTrue(report.passed(), report.toString());
        RobertaForMaskedLM model = new RobertaForMaskedLM(DryStepTest.tiny(), k);
        model.initialize(1);
        DryStepTest.step(model, new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01), 1);
        SplittableRandom r = new SplittableRandom(1);
        try (Kernels.Scope s = k.scope()) {
          float[] z = EmulatedKernelParityTest.random(r, 40 * 96, 3);
          Tensor logits = k.fromFloats(z, 40, 96);
          int[] targets = new int[40];
          k.argmaxHits(logits, targets);
          Tensor col = k.zeros(40);
          k.copyColumn(col, logits, 3);
          k.addToColumn(logits, 5, col);
          k.tanhForward(logits, logits);
          k.tanhBackward(logits, logits, logits);
          k.fill(logits, 2.0);
          k.scale(logits, 0.5);
          Tensor x = k.fromFloats(EmulatedKernelParityTest.random(r, 70 * 200, 1), 70, 200);
          Tensor w = k.fromFloats(EmulatedKernelParityTest.random(r, 200, 1), 200);
          Tensor mean = k.zeros(70);
          Tensor rstd = k.zeros(70);
          k.layerNormForward(x, mean, rstd, x, w, w, 1e-5);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"selftest_shared_overrun", "selftest_global_overrun"})
  void addressSanitizerCatchesAnOverrun(String kernel) {
    try (EmulatedDevice d = EmulatedDevice.openOrSkip(Variant.ASAN_UBSAN, Order.FORWARD, 1)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmulatorSelfTest.run(d, kernel,
          64, kernel.contains("shared") ? 64 * 4 : 0, EmulatorSelfTest.ramp(64)));
      assertTrue(e.getMessage().contains("AddressSanitizer") && e.getMessage().contains("overflow"), e.getMessage());
    }
  }

  @ParameterizedTest
  @EnumSource(value = Order.class)
  void threadSanitizerCatchesAMissingBarrier(Order order) {
    try (EmulatedDevice d = EmulatedDevice.openOrSkip(Variant.TSAN, order, 1)) {
      assertEquals(128 * 129 / 2f, EmulatorSelfTest.run(d, "selftest_sum", 128, 0, EmulatorSelfTest.ramp(128))[0]);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> EmulatorSelfTest.run(d, "selftest_racy_sum", 128, 0, EmulatorSelfTest.ramp(128)));
      assertTrue(e.getMessage().contains("ThreadSanitizer: data race"), e.getMessage());
    }
  }
}
