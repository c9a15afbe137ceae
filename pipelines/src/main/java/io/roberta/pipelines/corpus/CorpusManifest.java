package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.sdk.io.FileSystems;

/**
 * The corpus stage's {@code manifest.json}: counts that add up (per source, documents read =
 * kept + dropped per reason + duplicates), tokens, blocks and padding per split, the shard
 * files, the tokenizer's hash, fingerprints and versions.
 *
 * <pre>{@code
 * JsonNode m = CorpusManifest.read(stageDir + "/manifest.json");
 * long blocks = m.path("splits").path("train").path("blocks").asLong();
 * }</pre>
 */
public final class CorpusManifest {
  public static final String FILE_NAME = "manifest.json";

  static final String READ = "read/";
  static final String BYTES = "bytes/";
  static final String KEPT = "kept/";
  static final String DUPLICATES = "duplicates/";
  static final String DROPPED = "dropped/";
  static final String NUL = "nul/";
  static final String REPAIRED = "repaired/";
  static final String DOCS = "docs/";
  static final String COPIES = "copies/";
  static final String TOKENS = "tokens/";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CorpusManifest() {}

  /** Builds the manifest from the header, the summed counts and the shards written. */
  public static ObjectNode build(ManifestHeader h, Map<String, Long> counts, List<ShardInfo> shards) {
    ObjectNode m = JSON.createObjectNode();
    m.put("stage", "corpus");
    m.put("recipe", h.recipe());
    m.put("fingerprint", h.stageFingerprint());
    m.put("recipeFingerprint", h.recipeFingerprint());
    try {
      m.set("corpus", JSON.readTree(h.corpusSpecJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corpus spec JSON", e);
    }
    ObjectNode tok = m.putObject("tokenizer");
    tok.put("path", h.tokenizerPath());
    tok.put("sha256", h.tokenizerSha256());
    tok.put("vocabSize", h.vocabSize());
    ObjectNode special = tok.putObject("specialTokens");
    special.put("bos", h.bos());
    special.put("eos", h.eos());
    special.put("pad", h.pad());
    ObjectNode format = m.putObject("format");
    format.put("dtype", h.dtype());
    format.put("byteOrder", "little-endian");
    format.put("blockLength", h.blockLength());
    format.put("packing", h.packing());
    ObjectNode versions = m.putObject("versions");
    new TreeMap<>(h.versions()).forEach(versions::put);

    // Per source, and totals.
    TreeSet<String> sources = new TreeSet<>(h.sourceWeights().keySet());
    long read = 0, kept = 0, duplicates = 0, bytes = 0;
    Map<String, Long> droppedTotal = new TreeMap<>();
    Map<String, Long> repairedTotal = new TreeMap<>();
    ObjectNode perSource = JSON.createObjectNode();
    for (String s : sources) {
      ObjectNode o = perSource.putObject(s);
      o.put("weight", h.sourceWeights().get(s));
      long r = get(counts, READ + s);
      long k = get(counts, KEPT + s);
      long d = get(counts, DUPLICATES + s);
      o.put("read", r);
      o.put("bytes", get(counts, BYTES + s));
      o.put("kept", k);
      o.put("duplicates", d);
      ObjectNode dropped = o.putObject("dropped");
      String prefix = DROPPED + s + "/";
      counts.entrySet().stream()
          .filter(e -> e.getKey().startsWith(prefix))
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> {
            String reason = e.getKey().substring(prefix.length());
            dropped.put(reason, e.getValue());
            droppedTotal.merge(reason, e.getValue(), Long::sum);
          });
      o.put("nulBytesRemoved", get(counts, NUL + s));
      // kept under the source's policies: pieces of split documents, documents with U+FFFD
      ObjectNode repaired = o.putObject("repaired");
      for (Document.Repair repair : Document.Repair.values()) {
        long n = get(counts, REPAIRED + s + "/" + repair.key());
        repaired.put(repair.key(), n);
        repairedTotal.merge(repair.key(), n, Long::sum);
      }
      read += r;
      kept += k;
      duplicates += d;
      bytes += get(counts, BYTES + s);
    }
    ObjectNode docs = m.putObject("documents");
    docs.put("read", read);
    docs.put("bytes", bytes);
    docs.put("kept", kept);
    docs.put("duplicates", duplicates);
    ObjectNode droppedNode = docs.putObject("dropped");
    droppedTotal.forEach(droppedNode::put);
    docs.put("droppedTotal", droppedTotal.values().stream().mapToLong(Long::longValue).sum());
    ObjectNode repairedNode = docs.putObject("repaired");
    repairedTotal.forEach(repairedNode::put);
    m.set("sources", perSource);

    ObjectNode splits = m.putObject("splits");
    long tokens = 0, blocks = 0, padding = 0;
    for (String split : List.of("train", "holdout")) {
      ObjectNode o = splits.putObject(split);
      o.put("documents", get(counts, DOCS + split));
      o.put("copies", get(counts, COPIES + split));
      long t = get(counts, TOKENS + split);
      List<ShardInfo> mine =
          shards.stream().filter(s -> s.split().equals(split)).sorted(Comparator.comparing(ShardInfo::file)).toList();
      long b = mine.stream().mapToLong(ShardInfo::blocks).sum();
      long p = mine.stream().mapToLong(ShardInfo::paddingTokens).sum();
      o.put("tokens", t);
      o.put("blocks", b);
      o.put("paddingTokens", p);
      o.put("paddingFraction", b == 0 ? 0.0 : (double) p / (b * h.blockLength()));
      var files = o.putArray("shards");
      for (ShardInfo s : mine) {
        files.addObject().put("file", s.file()).put("blocks", s.blocks()).put("documents", s.documents())
            .put("size", s.bytes()).put("sha256", s.sha256());
      }
      tokens += t;
      blocks += b;
      padding += p;
    }
    m.put("tokens", tokens);
    m.put("blocks", blocks);
    m.put("paddingFraction", blocks == 0 ? 0.0 : (double) padding / (blocks * h.blockLength()));
    List<io.roberta.pipelines.stage.FileEntry> all = shards.stream()
        .map(s -> new io.roberta.pipelines.stage.FileEntry(s.file(), s.bytes(), s.sha256())).toList();
    m.set("files", io.roberta.pipelines.stage.StageManifest.filesNode(all));
    return m;
  }

  /** Reads a manifest through Beam's file systems ({@code gs://} or local). */
  public static JsonNode read(String path) throws IOException {
    try (InputStream in = Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(path, false)))) {
      return JSON.readTree(in);
    }
  }

  public static String toJson(JsonNode manifest) {
    try {
      return JSON.writeValueAsString(manifest) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long get(Map<String, Long> counts, String key) {
    return counts.getOrDefault(key, 0L);
  }
}
