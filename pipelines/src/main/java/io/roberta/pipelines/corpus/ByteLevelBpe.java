package io.roberta.pipelines.corpus;

import java.nio.file.Path;

/** Placeholder: the Java byte-level BPE comes later. */
final class ByteLevelBpe {
  private ByteLevelBpe() {}

  static TokenEncoder tryLoad(Path tokenizer) {
    return null;
  }
}
