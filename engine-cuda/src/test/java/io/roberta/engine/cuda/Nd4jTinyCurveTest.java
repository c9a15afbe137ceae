package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.cuda.check.TinyCurve;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The ND4J curve of the tiny example that the GPU machine compares the CUDA backend against
 * (ND4J cannot travel there): recomputed here and checked against the committed file, so that the
 * reference always matches the code. {@code -Dtinycurve.write=true} rewrites the file.
 */
class Nd4jTinyCurveTest {
  static final Path CURVE = Path.of("src/test/resources/nd4j-tiny-curve.txt");

  static double[] read(Path file) throws Exception {
    return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
        .mapToDouble(Double::parseDouble).toArray();
  }

  @Test
  void theCommittedReferenceIsWhatNd4jComputes() throws Exception {
    double[] losses = TinyCurve.run(new Nd4jKernels(KernelPrecision.FP32), 200);
    if (Boolean.getBoolean("tinycurve.write") || !Files.exists(CURVE)) {
      Files.writeString(CURVE, "# TinyCurve.run(new Nd4jKernels(FP32), 200): mean masked-LM loss per step\n"
          + Arrays.stream(losses).mapToObj(Double::toString).collect(Collectors.joining("\n")) + "\n");
    }
    double[] committed = read(CURVE);
    assertEquals(200, committed.length);
    for (int i = 0; i < losses.length; i++) {
      assertEquals(committed[i], losses[i], 1e-4, "step " + (i + 1));
    }
    double first = TinyCurve.mean(Arrays.copyOfRange(losses, 0, 20));
    double last = TinyCurve.mean(Arrays.copyOfRange(losses, 180, 200));
    assertTrue(last < first - 0.5, "the tiny example must learn: " + first + " -> " + last);
    assertNull(TinyCurve.compare(committed, losses));
  }
}
