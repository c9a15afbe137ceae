package io.roberta.engine.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.kernels.KernelPrecision;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HfParityTest {
  static final Path FIXTURE = Path.of("src/test/resources/tiny-roberta");

  @Test
  void everyGroupMatchesHuggingFace() throws Exception {
    HfParity.Report report = HfParity.run(FIXTURE, new Nd4jKernels(KernelPrecision.FP32));
    System.out.print(report);
    List<String> names = report.groups().stream().map(HfParity.Group::name).toList();
    assertEquals(List.of("hidden states", "logits", "loss", "gradients", "adamw step",
        "classification logits"), names);
    for (HfParity.Group g : report.groups()) {
      assertTrue(g.passed(), g.toString());
    }
  }
}
