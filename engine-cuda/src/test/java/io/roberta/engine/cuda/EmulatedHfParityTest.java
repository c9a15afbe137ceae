package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.parity.HfParity;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole tiny model through the real CUDA backend on the kernel emulator: forward, masked-LM
 * loss, every gradient and one AdamW step against Hugging Face's fixture, with the tolerances the
 * GPU test uses (FP32: the ND4J backend's; BF16: {@link HfParity.Tolerances#BF16}).
 */
class EmulatedHfParityTest {
  static final Path FIXTURE = Path.of("../engine/src/test/resources/tiny-roberta");

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void matchesHuggingFace(KernelPrecision precision) throws Exception {
    try (CudaKernels k = new CudaKernels(EmulatedDevice.openOrSkip(), precision)) {
      HfParity.Report report = HfParity.run(FIXTURE, k);
      System.out.print(report);
      assertTrue(report.passed(), report.toString());
    }
  }

  /** The same in BF16 with the threads of every block run in reverse and in random order. */
  @ParameterizedTest
  @EnumSource(value = EmulatedDevice.Order.class, names = {"REVERSE", "RANDOM"})
  void matchesHuggingFaceInAnyThreadOrder(EmulatedDevice.Order order) throws Exception {
    try (CudaKernels k = new CudaKernels(EmulatedDevice.openOrSkip(EmulatorBuild.Variant.PLAIN, order, 7),
        KernelPrecision.BF16)) {
      HfParity.Report report = HfParity.run(FIXTURE, k);
      assertTrue(report.passed(), report.toString());
    }
  }
}
