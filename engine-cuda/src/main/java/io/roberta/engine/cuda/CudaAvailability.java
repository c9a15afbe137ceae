package io.roberta.engine.cuda;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Whether this machine looks able to run the CUDA backend, told without loading any native
 * library: JavaCPP's CUDA presets here are for Linux x86-64, and the driver's {@code
 * libcuda.so.1} must be on the library path or in a usual place.
 */
final class CudaAvailability {
  static final String DRIVER = "libcuda.so.1";
  static final List<String> USUAL_DIRS = List.of(
      "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib");

  private CudaAvailability() {}

  static Optional<String> unavailableReason() {
    return unavailableReason(System.getProperty("os.name", ""), System.getProperty("os.arch", ""),
        searchDirs(System.getProperty("java.library.path", ""), System.getenv("LD_LIBRARY_PATH")));
  }

  static Optional<String> unavailableReason(String os, String arch, List<String> dirs) {
    if (!os.toLowerCase(Locale.ROOT).contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return Optional.of("the CUDA backend runs on Linux x86-64 (JavaCPP's linux-x86_64 CUDA presets), this is "
          + os + " " + arch);
    }
    for (String dir : dirs) {
      if (Files.exists(Path.of(dir, DRIVER))) {
        return Optional.empty();
      }
    }
    return Optional.of("no NVIDIA driver found: looked for " + DRIVER + " in " + dirs
        + " (java.library.path, LD_LIBRARY_PATH and the usual places)");
  }

  static List<String> searchDirs(String javaLibraryPath, String ldLibraryPath) {
    Set<String> dirs = new LinkedHashSet<>();
    for (String list : new String[] {javaLibraryPath, ldLibraryPath}) {
      if (list != null) {
        for (String d : list.split(File.pathSeparator)) {
          if (!d.isBlank()) {
            dirs.add(d);
          }
        }
      }
    }
    dirs.addAll(USUAL_DIRS);
    return new ArrayList<>(dirs);
  }
}
