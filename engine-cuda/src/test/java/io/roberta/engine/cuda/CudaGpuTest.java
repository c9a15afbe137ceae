package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.cuda.check.TinyCurve;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.BackendUnavailableException;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.parity.HfParity;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CUDA backend on a real GPU: Hugging Face parity (FP32 with the ND4J backend's tolerances,
 * BF16 with {@link HfParity.Tolerances#BF16}) and the tiny example's 200-step curve within noise
 * of ND4J's. Skipped, saying why, where there is no NVIDIA driver or device.
 */
class CudaGpuTest {
  static final Path FIXTURE = Path.of("../engine/src/test/resources/tiny-roberta");

  static Kernels cudaOrSkip(KernelPrecision precision) {
    CudaAvailability.unavailableReason().ifPresent(reason -> Assumptions.abort("no GPU here: " + reason));
    try {
      return Backends.create(Backend.CUDA, precision);
    } catch (BackendUnavailableException e) {
      Assumptions.abort("no GPU here: " + e.getMessage());
      throw e;
    }
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void matchesHuggingFace(KernelPrecision precision) throws Exception {
    Kernels k = cudaOrSkip(precision);
    HfParity.Report report = HfParity.run(FIXTURE, k);
    System.out.print(report);
    assertTrue(report.passed(), report.toString());
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void tinyCurveWithinNoiseOfNd4j(KernelPrecision precision) throws Exception {
    Kernels k = cudaOrSkip(precision);
    double[] reference = Nd4jTinyCurveTest.read(Nd4jTinyCurveTest.CURVE);
    assertNull(TinyCurve.compare(reference, TinyCurve.run(k, reference.length)));
  }
}
