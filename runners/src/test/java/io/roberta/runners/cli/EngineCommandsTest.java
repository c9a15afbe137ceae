package io.roberta.runners.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code roberta parity}, {@code fill-mask} and {@code bench} run in-process. */
class EngineCommandsTest {
  /** The engine's copy of the Hugging Face fixture. */
  static final Path FIXTURE = Path.of("../engine/src/test/resources/tiny-roberta");

  @Test
  void parityPassesOnTheFixture() {
    CommandLineTest.Result r = CommandLineTest.run("parity", FIXTURE.toString());
    assertEquals(0, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("all groups pass"), r.out());
    assertTrue(r.out().contains("classification logits"), r.out());
  }

  @Test
  void parityFailsWithStatus1WhenAGroupIsOff(@TempDir Path dir) throws IOException {
    copyTree(FIXTURE, dir);
    Path json = dir.resolve("reference.json");
    Files.writeString(json, Files.readString(json).replace("\"loss\": 4.2", "\"loss\": 4.3"));
    CommandLineTest.Result r = CommandLineTest.run("parity", dir.toString());
    assertEquals(1, r.status(), r.out() + r.err());
    assertTrue(r.out().contains("loss                   FAIL"), r.out());
    assertTrue(r.out().contains("logits                 PASS"), r.out());
  }

  @Test
  void parityNamesAMissingPart(@TempDir Path dir) {
    CommandLineTest.Result r = CommandLineTest.run("parity", dir.toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("has no mlm"), r.err());
  }

  @Test
  void fillMaskPrintsTopKForEachMask(@TempDir Path dir) throws Exception {
    Path corpus = Path.of(getClass().getResource("/tokenizer-corpus").toURI());
    Path model = dir.resolve("model");
    CommandLineTest.Result train = CommandLineTest.run("tokenizer", "train", "--input",
        corpus + "/*.txt", "--vocab-size", "400", "--out", model.toString());
    assertEquals(0, train.status(), train.err());
    ModelSpec spec = new ModelSpec(400, 16, 1, 2, 32, 64, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(400), LayerSharing.NONE);
    RobertaForMaskedLM random = new RobertaForMaskedLM(spec, new Nd4jKernels(KernelPrecision.FP32));
    random.initialize(4);
    random.save(model);

    CommandLineTest.Result r = CommandLineTest.run("fill-mask", "--model", model.toString(),
        "--top-k", "3", "Call me <mask>. It is a <mask> way.");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("mask 1:"), r.out());
    assertTrue(r.out().contains("mask 2:"), r.out());
    assertEquals(2 + 2 * 3, r.out().lines().count(), r.out());

    CommandLineTest.Result none = CommandLineTest.run("fill-mask", "--model", model.toString(),
        "no mask");
    assertEquals(1, none.status());
    assertTrue(none.err().contains("has no <mask>"), none.err());
  }

  @Test
  void benchRejectsUnknownTargets() {
    CommandLineTest.Result r = CommandLineTest.run("bench", "everything");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("available: engine"), r.err());
  }

  @Test
  void benchRowsNamesTheValidRows() {
    CommandLineTest.Result r = CommandLineTest.run("bench", "rows", "--rows", "train,everything");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("unknown row 'everything'; valid: train, step, base, infer, finetune"), r.err());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
