package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A committed round of multi-worker pretraining, as the next round finds it: its folder (a URI),
 * the global step it ended at, and its files by size and SHA-256 (names relative to the folder):
 * {@code global.safetensors}, {@code momentum.safetensors} (not in round 0, the initial weights) and
 * per worker {@code workers/w-NNNN/optimizer.safetensors}, {@code state.json}, {@code metrics.jsonl}.
 * {@code stateSha256} digests every file that decides the rest of the run (not the metrics, which
 * hold wall-clock rates): equal digests mean equal training state.
 */
public record RoundRef(int round, long endStep, String dir, List<FileEntry> files, String stateSha256)
    implements Serializable {
  public static final String GLOBAL = "global.safetensors";
  public static final String MOMENTUM = "momentum.safetensors";
  public static final String COMMIT = "ROUND.json";

  public RoundRef {
    files = List.copyOf(files);
  }

  /** The file's entry, or null when the round has none of that name. */
  public FileEntry entry(String name) {
    for (FileEntry f : files) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }

  public ResourceId resource() {
    return Artifacts.dir(dir);
  }

  /** {@code workers/w-0003/}: where worker 3 keeps its inner optimizer state. */
  public static String workerPrefix(int worker) {
    return String.format("workers/w-%04d/", worker);
  }

  /** {@code rounds/round-000003}. */
  public static String folderName(int round) {
    return String.format("round-%06d", round);
  }

  /** The round as its commit marker describes it. */
  public static RoundRef of(String dir, JsonNode commit) {
    return new RoundRef(commit.path("round").asInt(), commit.path("endStep").asLong(), dir,
        StageManifest.files(commit), commit.path("stateSha256").asText());
  }

  /**
   * The newest round under {@code <stage>/rounds/} whose commit marker belongs to this run
   * ({@code fingerprint}) and whose files are all there with their recorded sizes; empty when
   * none. A round folder without a marker (a run killed mid-round) is ignored: the round reruns and
   * writes the same bytes.
   */
  public static Optional<RoundRef> newestCommitted(ResourceId stageDir, String fingerprint) {
    ResourceId rounds = Artifacts.dir(stageDir, "rounds/");
    // newest first (the names sort by round number)
    List<ResourceId> markers = new java.util.ArrayList<>(Artifacts.list(rounds, "round-*/" + COMMIT));
    java.util.Collections.reverse(markers);
    for (ResourceId marker : markers) {
      Optional<JsonNode> commit = Artifacts.readJsonIfPresent(marker);
      if (commit.isEmpty() || !fingerprint.equals(commit.get().path("fingerprint").asText())) {
        continue;
      }
      String dir = Artifacts.uri(marker.getCurrentDirectory());
      RoundRef ref = of(dir, commit.get());
      boolean complete = true;
      for (FileEntry f : ref.files()) {
        Optional<Long> size = Artifacts.size(Artifacts.file(ref.resource(), f.name()));
        if (size.isEmpty() || size.get() != f.size()) {
          complete = false;
          break;
        }
      }
      if (complete) {
        return Optional.of(ref);
      }
    }
    return Optional.empty();
  }
}
