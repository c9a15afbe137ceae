package io.roberta.pipelines.eval;

import io.roberta.pipelines.stage.Artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.engine.data.TokenShards;
import java.util.List;
import java.util.Locale;

/**
 * The id type and block length of holdout shards, taken from the corpus manifest that lists them
 * ({@code manifest.json} in the shards' folder, as the corpus stage writes it): shards are flat
 * ids, so an INT32 shard read as UINT16 gives plausible blocks of interleaved zeros and a
 * plausible perplexity. A value given by the user must agree with the manifest; without a
 * manifest the user must give both.
 *
 * <pre>{@code HoldoutFormat f = HoldoutFormat.resolve(List.of("work/r/corpus/ab12/holdout-00000-of-00001.bin"), null, null);}</pre>
 *
 * @param dtype {@code UINT16} or {@code INT32}
 * @param manifest the manifest it came from, or null when the user gave it
 */
public record HoldoutFormat(String dtype, int blockLength, String manifest) {

  /**
   * @param dtype the user's {@code --dtype}, or null
   * @param blockLength the user's {@code --block-length}, or null
   * @throws IllegalArgumentException naming the shard, the manifest and the disagreeing value
   */
  public static HoldoutFormat resolve(List<String> files, String dtype, Integer blockLength) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no holdout shard files given");
    }
    String wantedType = dtype == null ? null : normalize(dtype, "--dtype");
    HoldoutFormat found = null;
    for (String f : files) {
      var shard = Artifacts.file(f);
      var manifest = Artifacts.file(shard.getCurrentDirectory(), "manifest.json");
      if (!Artifacts.exists(manifest)) {
        if (wantedType == null || blockLength == null) {
          throw new IllegalArgumentException("holdout shard " + f + ": no corpus manifest.json next to it to tell"
              + " its id type and block length; give --dtype (uint16 or int32) and --block-length");
        }
        continue;
      }
      HoldoutFormat here = read(manifest, shard);
      if (found != null && !found.dtype.equals(here.dtype) || found != null && found.blockLength != here.blockLength) {
        throw new IllegalArgumentException("holdout shards from different corpora: " + found.manifest + " says "
            + found.dtype + " x " + found.blockLength + ", " + manifest + " says " + here.dtype + " x " + here.blockLength);
      }
      found = here;
    }
    if (found == null) {
      return new HoldoutFormat(wantedType, blockLength, null);
    }
    if (wantedType != null && !wantedType.equals(found.dtype)) {
      throw new IllegalArgumentException("--dtype " + dtype + " disagrees with " + found.manifest
          + ", which says the shards hold " + found.dtype.toLowerCase(Locale.ROOT) + " ids; leave --dtype out");
    }
    if (blockLength != null && blockLength != found.blockLength) {
      throw new IllegalArgumentException("--block-length " + blockLength + " disagrees with " + found.manifest
          + ", which says blocks of " + found.blockLength + " tokens; leave --block-length out");
    }
    return found;
  }

  private static HoldoutFormat read(org.apache.beam.sdk.io.fs.ResourceId manifestFile,
      org.apache.beam.sdk.io.fs.ResourceId shard) {
    JsonNode m = Artifacts.readJson(manifestFile);
    String manifest = Artifacts.uri(manifestFile);
    String name = shard.getFilename();
    boolean listed = false;
    for (JsonNode split : m.path("splits")) {
      for (JsonNode s : split.path("shards")) {
        listed |= name.equals(s.path("file").asText());
      }
    }
    if (!listed) {
      throw new IllegalArgumentException("holdout shard " + shard + " is not listed in " + manifest
          + " (splits.*.shards); it may belong to another corpus");
    }
    JsonNode format = m.path("format");
    if (!format.path("dtype").isTextual() || !format.path("blockLength").canConvertToInt()
        || format.path("blockLength").asInt() < 1) {
      throw new IllegalArgumentException(manifest + ": format.dtype and format.blockLength are missing or invalid");
    }
    return new HoldoutFormat(normalize(format.path("dtype").asText(), manifest + " format.dtype"),
        format.path("blockLength").asInt(), manifest);
  }


  private static String normalize(String dtype, String where) {
    String upper = dtype.toUpperCase(Locale.ROOT);
    try {
      return TokenShards.Dtype.valueOf(upper).name();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + " = " + dtype + ": expected uint16 or int32");
    }
  }
}
