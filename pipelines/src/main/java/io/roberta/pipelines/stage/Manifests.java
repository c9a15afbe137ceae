package io.roberta.pipelines.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reading and writing a stage's {@code manifest.json} (and other small JSON files of a stage
 * folder): a missing file reads as null, a write goes to a temporary file first and is renamed
 * atomically, so a killed run never leaves half a manifest that would mark a stage done.
 *
 * <pre>{@code
 * JsonNode m = Manifests.read(dir.resolve(Manifests.FILE));
 * if (Manifests.matches(m, stage.fingerprint())) { ... skip ... }
 * }</pre>
 */
public final class Manifests {
  public static final String FILE = "manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Manifests() {}

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** The file's JSON, or null when there is no such file. */
  public static JsonNode read(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Whether {@code manifest} exists and records {@code fingerprint}. */
  public static boolean matches(JsonNode manifest, String fingerprint) {
    return manifest != null && fingerprint.equals(manifest.path("fingerprint").asText());
  }

  /** Writes pretty-printed JSON through a temporary file and an atomic rename. */
  public static void write(Path file, JsonNode node) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), node);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
