package io.roberta.pipelines.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A stage's {@code manifest.json}: written last, after every file of the stage, it names the
 * stage's fingerprint and lists each file with its size and SHA-256. A stage is done only when
 * its manifest is there, records the fingerprint asked for, and every listed file is there with
 * its size (content is checked by SHA-256 where a worker stages the file, {@link Staging}). On an
 * object store this is the commit: objects appear whole, and nothing reads a stage folder as
 * finished before its manifest exists.
 *
 * <pre>{@code
 * Optional<JsonNode> done = StageManifest.verified(dir, stage.fingerprint());
 * if (done.isEmpty()) { ...write files...; StageManifest.commit(dir, "pretrain", recipe, fp, files, body); }
 * }</pre>
 */
public final class StageManifest {
  public static final String FILE = "manifest.json";

  private StageManifest() {}

  public static ObjectNode object() {
    return Artifacts.JSON.createObjectNode();
  }

  /**
   * Writes {@code manifest.json} under {@code dir}: {@code stage}, {@code recipe}, {@code
   * fingerprint}, then the fields of {@code body}, then {@code files} (sorted by name).
   */
  public static ObjectNode commit(ResourceId dir, String stage, String recipe, String fingerprint, List<FileEntry> files,
      ObjectNode body) {
    ObjectNode m = object();
    m.put("stage", stage);
    m.put("recipe", recipe);
    m.put("fingerprint", fingerprint);
    body.fields().forEachRemaining(e -> {
      if (!m.has(e.getKey())) {
        m.set(e.getKey(), e.getValue());
      }
    });
    m.set("files", filesNode(files));
    CrashPoint.reached(stage.equals("tokenizer") ? CrashPoint.TOKENIZER_BEFORE_COMMIT : CrashPoint.MANIFEST_BEFORE_COMMIT);
    Artifacts.writeJson(dir, FILE, m);
    // what was written, as a later run reads it (JSON numbers come back as the smallest type)
    return (ObjectNode) Artifacts.readJson(Artifacts.file(dir, FILE));
  }

  public static ArrayNode filesNode(List<FileEntry> files) {
    List<FileEntry> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(FileEntry::name));
    ArrayNode a = Artifacts.JSON.createArrayNode();
    for (FileEntry f : sorted) {
      ObjectNode o = a.addObject();
      o.put("name", f.name());
      o.put("size", f.size());
      o.put("sha256", f.sha256());
    }
    return a;
  }

  /**
   * The manifest under {@code dir} if it records {@code fingerprint} and every file it lists is
   * there with its size; empty otherwise (no manifest, another fingerprint, a file missing or cut).
   */
  public static Optional<JsonNode> verified(ResourceId dir, String fingerprint) {
    Optional<JsonNode> m = Artifacts.readJsonIfPresent(Artifacts.file(dir, FILE));
    if (m.isEmpty() || !fingerprint.equals(m.get().path("fingerprint").asText())) {
      return Optional.empty();
    }
    if (!m.get().path("files").isArray()) {
      return Optional.empty();
    }
    for (FileEntry f : files(m.get())) {
      Optional<Long> size = Artifacts.size(Artifacts.file(dir, f.name()));
      if (size.isEmpty() || size.get() != f.size()) {
        return Optional.empty();
      }
    }
    return m;
  }

  /** The files a manifest lists. */
  public static List<FileEntry> files(JsonNode manifest) {
    List<FileEntry> out = new ArrayList<>();
    for (JsonNode f : manifest.path("files")) {
      out.add(new FileEntry(f.path("name").asText(), f.path("size").asLong(), f.path("sha256").asText()));
    }
    return out;
  }

  /** The files a manifest lists under {@code prefix} ({@code hf/}), named relative to it. */
  public static List<FileEntry> files(JsonNode manifest, String prefix) {
    List<FileEntry> out = new ArrayList<>();
    for (FileEntry f : files(manifest)) {
      if (f.name().startsWith(prefix)) {
        out.add(f.relativeTo(prefix));
      }
    }
    return out;
  }

  /** The entry of one listed file; an error naming the manifest when it is not listed. */
  public static FileEntry entry(JsonNode manifest, String name, ResourceId dir) {
    for (FileEntry f : files(manifest)) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    throw new IllegalStateException(Artifacts.file(dir, FILE) + " lists no file " + name);
  }
}
