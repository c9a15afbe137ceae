package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every artifact of a whole recipe run, keyed by {@code <stage>/<file>} (the fingerprint folder
 * left out: it covers the data's path, which differs between local disk and {@code fakegs://}),
 * and the comparison of two runs: byte for byte, except what honestly differs between two runs of
 * the same recipe: wall-clock figures ({@code seconds}, {@code trainingSeconds}, {@code
 * tokensPerSecond}), locations (paths, fingerprints, the manifests' file lists that hash files
 * holding wall-clock figures), the machine ({@code host}, {@code pid}, and {@code kernels}: a
 * TaskManager JVM without {@code jdk.incubator.vector} runs the scalar float ops, which give the
 * same bytes by design, so it differs there while the weights do not) and the human report
 * ({@code report.md}, which shows both).
 */
final class RecipeArtifacts {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> VARYING = Set.of("seconds", "trainingSeconds", "tokensPerSecond", "fingerprint",
      "recipeFingerprint", "path", "data", "corpus", "huggingFace", "init", "files", "started", "host", "pid", "kernels",
      "token",
      "state.json"); // a checkpoint's state.json names the stage fingerprint: its hash in checksums.json varies with it

  private RecipeArtifacts() {}

  /** {@code files} (relative to {@code <workDir>/<recipe>/}) keyed without fingerprint folders. */
  static Map<String, byte[]> byStage(Map<String, byte[]> files) {
    Map<String, byte[]> out = new TreeMap<>();
    files.forEach((name, bytes) -> {
      String key = name.replaceFirst("^([^/]+)/[0-9a-f]{8,64}/", "$1/");
      out.put(key, bytes);
    });
    return out;
  }

  static void assertSame(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) throws IOException {
    assertFalse(expected.isEmpty(), "no artifacts in the reference run");
    assertEquals(expected.keySet(), actual.keySet(), what + ": the same files");
    for (String name : expected.keySet()) {
      if (name.endsWith(".md")) {
        continue;
      }
      if (name.endsWith(".json") || name.endsWith(".jsonl")) {
        assertEquals(normalized(expected.get(name)), normalized(actual.get(name)), what + ": " + name);
      } else {
        assertArrayEquals(expected.get(name), actual.get(name), what + ": " + name + " differs");
      }
    }
  }

  /** Each JSON value of a file (one per line for JSON Lines) without the fields that vary between runs. */
  static String normalized(byte[] bytes) throws IOException {
    StringBuilder out = new StringBuilder();
    String text = new String(bytes, StandardCharsets.UTF_8);
    for (String line : text.strip().startsWith("{") && text.strip().contains("\n{") ? text.split("\n") : new String[] {text}) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = JSON.readTree(line);
      strip(n);
      out.append(n).append('\n');
    }
    return out.toString();
  }

  private static void strip(JsonNode n) {
    if (n instanceof ObjectNode o) {
      o.remove(VARYING);
      o.forEach(RecipeArtifacts::strip);
    } else if (n.isArray()) {
      n.forEach(RecipeArtifacts::strip);
    }
  }
}
