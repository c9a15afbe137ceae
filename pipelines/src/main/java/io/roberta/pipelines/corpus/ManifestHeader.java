package io.roberta.pipelines.corpus;

import java.io.Serializable;
import java.util.Map;

/**
 * What the manifest says about the run besides the counts: identities and settings, fixed when
 * the transform is built.
 */
public record ManifestHeader(
    String recipe,
    String recipeFingerprint,
    String stageFingerprint,
    String corpusSpecJson,
    String tokenizerPath,
    String tokenizerSha256,
    int vocabSize,
    int bos,
    int eos,
    int pad,
    String dtype,
    String packing,
    int blockLength,
    double holdoutFraction,
    Map<String, Integer> sourceWeights,
    Map<String, String> versions)
    implements Serializable {

  public ManifestHeader {
    sourceWeights = Map.copyOf(sourceWeights);
    versions = Map.copyOf(versions);
  }
}
