package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roberta.engine.cuda.check.GpuChecks;
import io.roberta.engine.io.HfConfig;
import io.roberta.spec.ModelSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Hugging Face baseline of the GPU benchmark builds the same roberta-base as the Java side:
 * its config, read by the engine's own {@code config.json} reader, is {@link
 * GpuChecks#robertaBase()} (514 positions, layer-norm eps 1e-5, one token type; HF's {@code
 * RobertaConfig()} defaults have 512, 1e-12 and 2). Needs python3 only, not torch.
 */
class HfBaselineConfigTest {
  static final Path SCRIPT = Path.of("../gpu/hf_baseline.py");

  @Test
  void hfBaselineBuildsTheSameRobertaBase(@TempDir Path dir) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("python3", SCRIPT.toString(), "--print-config").redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      Assumptions.abort("python3 is not installed: " + e.getMessage());
      return;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    assertEquals(0, p.exitValue(), out);
    Path config = dir.resolve("config.json");
    Files.writeString(config, out);
    ModelSpec hf = HfConfig.read(config).spec();
    ModelSpec java = GpuChecks.robertaBase();
    assertEquals(514, hf.maxPositions(), "positions: 512 tokens after the padding offset of 2");
    assertEquals(java.layerNormEps(), hf.layerNormEps());
    assertEquals(java.typeVocabSize(), hf.typeVocabSize());
    assertEquals(java, hf);
  }
}
