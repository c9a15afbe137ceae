package io.roberta.pipelines.tasks;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared Brown corpus, found from the module or the repository root. */
public final class BrownData {
  private BrownData() {}

  public static Path dir() {
    for (String candidate : new String[] {"../../shared/data/brown", "../shared/data/brown", "shared/data/brown"}) {
      Path p = Path.of(candidate);
      if (Files.isRegularFile(p.resolve("CONTENTS"))) {
        return p.normalize();
      }
    }
    throw new IllegalStateException("../shared/data/brown not found from " + Path.of("").toAbsolutePath());
  }
}
