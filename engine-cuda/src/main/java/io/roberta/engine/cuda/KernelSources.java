package io.roberta.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The CUDA C sources of the backend, kept as resources under {@code io/roberta/engine/cuda/kernels/}
 * and compiled at run time by NVRTC for the device's architecture (and by {@code nvcc} in the
 * tests). Each file is one module; {@value #HEADER} is given to every one.
 */
final class KernelSources {
  static final String DIR = "io/roberta/engine/cuda/kernels/";
  static final String HEADER = "common.cuh";
  static final List<String> FILES = List.of(
      "elementwise.cu", "dropout.cu", "embedding.cu", "layernorm.cu", "attention.cu",
      "cross_entropy.cu", "adamw.cu");

  private KernelSources() {}

  static String read(String file) {
    try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(DIR + file)) {
      if (in == null) {
        throw new IllegalStateException("kernel source " + DIR + file + " is not on the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading kernel source " + file, e);
    }
  }
}
