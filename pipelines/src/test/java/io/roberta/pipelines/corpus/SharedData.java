package io.roberta.pipelines.corpus;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds {@code shared/data} (Brown, Moby-Dick, State of the Union) above the working directory. */
final class SharedData {
  private SharedData() {}

  static Path root() {
    String configured = System.getProperty("roberta.data");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path data = p.resolve("shared/data");
      if (Files.isDirectory(data.resolve("moby-dick"))) {
        return data;
      }
    }
    throw new IllegalStateException(
        "no shared/data folder above " + Path.of("").toAbsolutePath() + "; set -Droberta.data=/path/to/shared/data");
  }
}
