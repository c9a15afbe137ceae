package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.spec.ModelSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The counts {@code roberta bench cuda-plan} prints, on the tiny model (the command itself runs roberta-base). */
class CudaPlanTest {

  @Test
  void aStepsCountsOnTheTinyModel() {
    ModelSpec spec = DryStepTest.tiny();
    CudaPlan.Step s = CudaPlan.count(spec, 4, 16, KernelPrecision.BF16, false);
    int layers = spec.numLayers();
    int linears = layers * 6 + 2;
    assertEquals(3 * linears + 6 * layers, s.gemms(), "linears: forward, dx, dW; attention: 2 + 4 batched products");
    assertEquals(0, s.perHeadGemms(), "attention is batched over every (sequence, head)");
    // memsets only for what is accumulated into: parameter gradients and sum-of-squares outputs
    int params = new io.roberta.engine.model.RobertaForMaskedLM(spec, CudaKernelsProvider.dry(KernelPrecision.BF16))
        .parameters().all().size();
    assertTrue(s.memsets() <= 2L * params + 4, s.memsets() + " memsets for " + params + " parameters");
    assertEquals(0, s.allocations(), "allocations in a step like the one before (the pool serves them all)");
    assertEquals(1, s.uploads(), "uploads in a step on the same batch: the ids are on the device already, the"
        + " padding bias (made on the host by the encoder) is not");
    assertTrue(s.hostSyncs() >= params, "clipping downloads one sum of squares per parameter: " + s.hostSyncs());
  }

  @Test
  void printsBeforeNowAndTarget() {
    StringWriter out = new StringWriter();
    CudaPlan.print(new PrintWriter(out), DryStepTest.tiny(), 2, 16);
    String text = out.toString();
    for (String row : new String[] {"kernel launches", "GEMMs", "per-head attention", "memsets", "allocations",
        "host synchronisations"}) {
      assertTrue(text.contains(row), row + " missing:\n" + text);
    }
  }
}
