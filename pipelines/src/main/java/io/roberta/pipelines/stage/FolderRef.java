package io.roberta.pipelines.stage;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A folder of files on any Beam file system and exactly which bytes it holds (an exported model:
 * {@code config.json}, {@code model.safetensors}, {@code tokenizer.json}). Built from a stage's
 * manifest (no reading) or by hashing a folder a user named; a worker gets a checked local copy
 * with {@link #local()}.
 *
 * <pre>{@code
 * FolderRef model = FolderRef.fromManifest(pretrainDir, manifest, "hf/");
 * RobertaForMaskedLM m = RobertaForMaskedLM.load(model.local(), kernels); // on a worker
 * }</pre>
 */
public record FolderRef(String dir, List<FileEntry> files) implements Serializable {
  public FolderRef {
    Artifacts.checkUri(dir);
    files = List.copyOf(files);
  }

  /** The files of {@code manifest} (in stage folder {@code stageDir}) under {@code prefix}, e.g. {@code hf/}. */
  public static FolderRef fromManifest(String stageDir, com.fasterxml.jackson.databind.JsonNode manifest, String prefix) {
    List<FileEntry> files = StageManifest.files(manifest, prefix);
    if (files.isEmpty()) {
      throw new IllegalStateException(stageDir + "/" + StageManifest.FILE + " lists no files under " + prefix);
    }
    return new FolderRef(Artifacts.uri(Artifacts.dir(Artifacts.dir(stageDir), prefix)), files);
  }

  /** Every file directly in the folder at {@code uri}, hashed (a folder a user names: {@code initFrom}). */
  public static FolderRef of(String uri) {
    ResourceId dir = Artifacts.dir(uri);
    List<FileEntry> files = new ArrayList<>();
    for (ResourceId f : Artifacts.list(dir, "*")) {
      files.add(new FileEntry(f.getFilename(), Artifacts.size(f).orElseThrow(), Artifacts.sha256(f)));
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(uri + " is empty or not a folder");
    }
    return new FolderRef(Artifacts.uri(dir), files);
  }

  public ResourceId resource() {
    return Artifacts.dir(dir);
  }

  public boolean has(String name) {
    return files.stream().anyMatch(f -> f.name().equals(name));
  }

  /**
   * A checked local copy of one file of the folder (staged once per machine, by content), for a
   * caller that needs only that file: the driver reading a model's {@code config.json} need not
   * copy its weights.
   */
  public Path localFile(String name) {
    FileEntry entry = files.stream().filter(f -> f.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(dir + " has no file " + name + " in its manifest"));
    return Staging.file(Artifacts.file(resource(), name), entry);
  }

  /** A checked local copy of the folder (staged once per machine). */
  public Path local() {
    return Staging.directory(resource(), files);
  }
}
