package io.roberta.spec.plan;

import java.util.List;

/**
 * One stage of a compiled recipe. Its artifacts live under
 * {@code <workDir>/<recipe>/<directory>/<fingerprint>/}; the fingerprint hashes the stage's own
 * spec and the fingerprints of the stages it reads, so a change upstream re-runs everything after.
 */
public record Stage(
    Kind kind, String directory, String fingerprint, List<String> inputs, List<String> outputs, String summary) {

  public enum Kind {
    TOKENIZER,
    CORPUS,
    PRETRAIN,
    FINETUNE,
    EVAL
  }

  public Stage {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** The first 12 hex digits of the fingerprint, as shown to people. */
  public String shortFingerprint() {
    return fingerprint.substring(0, 12);
  }

  /** The stage's folder relative to the work directory: {@code <recipe>/<directory>/<fingerprint>}. */
  public String relativePath(String recipeName) {
    return recipeName + "/" + directory + "/" + shortFingerprint();
  }
}
