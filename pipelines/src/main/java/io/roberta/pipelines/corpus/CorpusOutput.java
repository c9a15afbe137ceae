package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.Staging;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The corpus stage's output as later stages use it, read once from its manifest: where the
 * shards are, their token type and block length, and each shard's file entry (size, SHA-256) and
 * block count per split.
 *
 * <pre>{@code
 * CorpusOutput corpus = CorpusOutput.of(corpusDir, manifest);
 * List<Path> local = corpus.stageLocally(corpus.train()); // on a worker
 * }</pre>
 */
public record CorpusOutput(String dir, String dtype, int blockLength, List<Shard> train, List<Shard> holdout)
    implements Serializable {

  /** One shard file and how many blocks it holds. */
  public record Shard(FileEntry file, long blocks) implements Serializable {}

  public CorpusOutput {
    train = List.copyOf(train);
    holdout = List.copyOf(holdout);
  }

  /** Reads {@code format} and {@code splits.<split>.shards} of a corpus manifest in {@code dir}. */
  public static CorpusOutput of(String dir, JsonNode manifest) {
    String where = dir + "/" + CorpusManifest.FILE_NAME;
    JsonNode format = manifest.path("format");
    String dtype = format.path("dtype").asText().toUpperCase(Locale.ROOT);
    int blockLength = format.path("blockLength").asInt();
    if (dtype.isEmpty() || blockLength <= 0) {
      throw new IllegalArgumentException(where + ": format.dtype and format.blockLength are required, found " + format);
    }
    return new CorpusOutput(dir, dtype, blockLength, shards(manifest, "train", where), shards(manifest, "holdout", where));
  }

  /**
   * Holdout shards named directly (no corpus manifest: {@code roberta eval --masked-lm --holdout
   * F,G}): hashed once, blocks counted from each file's size, which must be a whole number of
   * blocks of {@code dtype}.
   */
  public static CorpusOutput ofHoldoutFiles(List<String> uris, String dtype, int blockLength) {
    return ofFiles(List.of(), uris, dtype, blockLength);
  }

  /** As {@link #ofHoldoutFiles}, with training shards too (all in one folder). */
  public static CorpusOutput ofFiles(List<String> trainUris, List<String> holdoutUris, String dtype, int blockLength) {
    int bytes = io.roberta.engine.data.TokenShards.Dtype.valueOf(dtype.toUpperCase(Locale.ROOT)).bytes();
    List<Shard> train = new ArrayList<>();
    List<Shard> holdout = new ArrayList<>();
    List<String> uris = new ArrayList<>(trainUris);
    uris.addAll(holdoutUris);
    String dir = null;
    for (String uri : uris) {
      var file = Artifacts.file(uri);
      var parent = Artifacts.uri(file.getCurrentDirectory());
      if (dir != null && !dir.equals(parent)) {
        throw new IllegalArgumentException("holdout shards must share one folder: " + uris);
      }
      dir = parent;
      long size = Artifacts.size(file).orElseThrow(() -> new IllegalArgumentException(uri + " does not exist"));
      long blockBytes = (long) blockLength * bytes;
      if (size % blockBytes != 0) {
        throw new IllegalArgumentException(uri + ": " + size + " bytes is not a whole number of " + blockLength + "-token "
            + dtype + " blocks (" + blockBytes + " bytes each); check --block-length and the shard's dtype");
      }
      Shard shard = new Shard(new FileEntry(file.getFilename(), size, Artifacts.sha256(file)), size / blockBytes);
      (trainUris.contains(uri) ? train : holdout).add(shard);
    }
    return new CorpusOutput(dir, dtype.toUpperCase(Locale.ROOT), blockLength, train, holdout);
  }

  private static List<Shard> shards(JsonNode manifest, String split, String where) {
    List<Shard> out = new ArrayList<>();
    for (JsonNode s : manifest.path("splits").path(split).path("shards")) {
      if (!s.has("sha256") || !s.has("size")) {
        throw new IllegalArgumentException(where + ": splits." + split + ".shards entry " + s.path("file").asText()
            + " has no size and sha256 (written by an older version; delete the corpus stage folder to rebuild it)");
      }
      out.add(new Shard(new FileEntry(s.path("file").asText(), s.path("size").asLong(), s.path("sha256").asText()),
          s.path("blocks").asLong()));
    }
    return out;
  }

  public long holdoutBlocks() {
    return holdout.stream().mapToLong(Shard::blocks).sum();
  }

  /** URIs of the shards (for messages and job descriptions). */
  public List<String> uris(List<Shard> shards) {
    return shards.stream().map(s -> Artifacts.uri(Artifacts.file(Artifacts.dir(dir), s.file().name()))).toList();
  }

  /** Checked local copies of {@code shards}, in order (a worker memory-maps them). */
  public List<Path> stageLocally(List<Shard> shards) {
    List<Path> out = new ArrayList<>();
    for (Shard s : shards) {
      out.add(Staging.file(Artifacts.file(Artifacts.dir(dir), s.file().name()), s.file()));
    }
    return out;
  }
}
