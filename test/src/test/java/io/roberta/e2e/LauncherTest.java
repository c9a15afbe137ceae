package io.roberta.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.examples.TinyBrown;
import io.roberta.spec.RecipeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar as users start it ({@code java -jar examples/target/roberta.jar}), in its own
 * process: the manifest class path, the example lookup and exit statuses. Runs in {@code verify},
 * after the examples module has packaged the jar.
 */
class LauncherTest {
  private static final Path JAR = Path.of("..", "examples", "target", "roberta.jar");

  record Run(int status, String out) {}

  static Run roberta(Path dir, String... args) throws IOException, InterruptedException {
    assertTrue(Files.isRegularFile(JAR), "build the jar first (./mvnw verify packages it): " + JAR.toAbsolutePath());
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    Path log = dir.resolve("out-" + System.nanoTime() + ".txt");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "roberta did not finish: " + String.join(" ", args));
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test
  void describesTheMainExample(@TempDir Path dir) throws Exception {
    Run r = roberta(dir, "describe", "TinyBrown");
    assertEquals(0, r.status(), r.out());
    long params = new TinyBrown().get().model().parameterCount();
    assertTrue(r.out().contains(String.format("parameters %,d", params)), r.out());
    assertTrue(r.out().contains("tiny-brown/pretrain/"), r.out());
  }

  @Test
  void exportsAndValidatesJson(@TempDir Path dir) throws Exception {
    Run export = roberta(dir, "export", "io.roberta.examples.TinyBrown", "--out", "tiny.json");
    assertEquals(0, export.status(), export.out());
    assertEquals(new TinyBrown().get(), RecipeJson.read(dir.resolve("tiny.json")));
    Run valid = roberta(dir, "validate", "--offline", "tiny.json");
    assertEquals(0, valid.status(), valid.out());

    Files.writeString(dir.resolve("bad.json"), Files.readString(dir.resolve("tiny.json")).replace("\"numHeads\" : 4", "\"numHeads\" : 3"));
    Run invalid = roberta(dir, "validate", "--offline", "bad.json");
    assertEquals(1, invalid.status(), invalid.out());
    assertTrue(invalid.out().contains("model.numHeads = 3 is invalid: must divide model.hiddenSize = 128"), invalid.out());
  }
}
