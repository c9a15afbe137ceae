package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Compiles every kernel file with {@code nvcc} for Ampere and Hopper, so a syntax error never
 * waits for a GPU; checks that every {@code extern "C"} kernel is in the PTX under its own name.
 * Skips only where no nvcc is installed.
 */
class NvccCompileTest {
  static final Path SOURCES = Path.of("src/main/resources", KernelSources.DIR);
  static final Path OUT = Path.of("target/nvcc");

  static Path nvcc() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nvcc"))) {
        return Path.of(dir, "nvcc");
      }
    }
    Path usual = Path.of("/usr/local/cuda/bin/nvcc");
    return Files.isExecutable(usual) ? usual : null;
  }

  @Test
  void everyKernelCompilesForSm80AndSm90() throws Exception {
    Path nvcc = nvcc();
    Assumptions.assumeTrue(nvcc != null, "nvcc is not installed (looked on PATH and /usr/local/cuda/bin)");
    Files.createDirectories(OUT);
    KernelSignatures signatures = KernelSignatures.load();
    List<String> failures = new ArrayList<>();
    for (String file : KernelSources.FILES) {
      String stem = file.replace(".cu", "");
      Path ptx = OUT.resolve(stem + ".sm_90.ptx");
      run(failures, file, nvcc.toString(), "--ptx", "-arch=sm_90", "-std=c++17", "-Werror", "all-warnings",
          "-I", SOURCES.toString(), "-o", ptx.toString(), SOURCES.resolve(file).toString());
      run(failures, file, nvcc.toString(), "-cubin", "-arch=sm_80", "-std=c++17", "-I", SOURCES.toString(),
          "-o", OUT.resolve(stem + ".sm_80.cubin").toString(), SOURCES.resolve(file).toString());
      if (Files.exists(ptx)) {
        String text = Files.readString(ptx);
        for (String kernel : signatures.byFile().get(file)) {
          if (!text.contains(".entry " + kernel + "(")) {
            failures.add(file + ": no entry " + kernel + " in the PTX");
          }
        }
      }
    }
    assertEquals(List.of(), failures, String.join("\n", failures));
  }

  private static void run(List<String> failures, String file, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "nvcc timed out on " + file);
    if (p.exitValue() != 0) {
      failures.add(file + " (" + String.join(" ", command) + "):\n" + out);
    }
  }
}
