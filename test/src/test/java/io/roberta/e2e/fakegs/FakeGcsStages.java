package io.roberta.e2e.fakegs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.pipelines.corpus.CorpusText;
import io.roberta.pipelines.tokenizer.TrainTokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * What the {@code fakegs} end-to-end tests share: a small Brown recipe read from a given folder
 * (local or {@code fakegs://}), the tokenizer stage's pipeline, and the comparison of a stage's
 * files on {@code fakegs://} with the same stage's files on local disk.
 */
final class FakeGcsStages {
  static final Path SHARED_BROWN = Path.of("..", "..", "shared", "data", "brown").toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();

  private FakeGcsStages() {}

  /** {@code perGenre} Brown files of each of three genres, copied to {@code dir} (10 each is what {@code RunRecipeTest} uses). */
  static void copyBrownSubset(Path dir, int perGenre) throws IOException {
    assertTrue(Files.isDirectory(SHARED_BROWN), "the shared data is beside the project: " + SHARED_BROWN);
    for (String genre : List.of("a", "b", "k")) {
      for (int n = 1; n <= perGenre; n++) {
        String name = String.format("c%s%02d", genre, n);
        Files.copy(SHARED_BROWN.resolve(name), dir.resolve(name));
      }
    }
  }

  /** A tokenizer and corpus recipe over the Brown files in {@code brownDir} (ending in '/'). */
  static Recipe recipe(String brownDir) {
    return RecipeBuilder.named("fakegs-e2e")
        .model(Roberta.tiny().hiddenSize(32).layers(2).heads(2).intermediateSize(64).maxPositions(66))
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(600).minFrequency(2))
        .corpus(Corpus.of(Sources.custom("brown", brownDir + "c[a-r][0-9][0-9]")).minChars(20).holdout(0.05)
            .pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(8).microBatch(8).warmupSteps(1).totalSteps(4))
        .build();
  }

  /** {@code <workDir>/<recipe>/tokenizer/<fingerprint>}, the tokenizer stage's folder (no trailing '/'). */
  static String tokenizerDir(Recipe recipe, String workDir) {
    return stripSlash(workDir) + "/" + Plan.compile(recipe).stages().get(0).relativePath(recipe.name());
  }

  /** The tokenizer stage's pipeline (what {@code RecipeTokenizer} runs), writing to {@code outDir}. */
  static void trainTokenizer(Recipe recipe, String outDir, PipelineOptions options) {
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("CorpusText", CorpusText.of(recipe.corpus()))
        .apply("TrainTokenizer", TrainTokenizer.from(recipe.tokenizer()).writingTo(outDir));
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    assertEquals(PipelineResult.State.DONE, state, "tokenizer pipeline");
  }

  /**
   * The files of a stage folder on {@code fakegs://} are those of the local one, byte for byte,
   * except the manifest, whose location-bearing fields (the recipe's data path, hence the
   * fingerprints, and the tokenizer's path) are compared without their values; no temporary is left.
   */
  static void assertSameStageFiles(Path localDir, String fakeDir, String... notOnFake) throws IOException {
    Map<String, byte[]> local = new java.util.TreeMap<>(FakeGcs.localFiles(localDir));
    List.of(notOnFake).forEach(local::remove);
    Map<String, byte[]> fake = FakeGcs.objects(stripSlash(fakeDir) + "/");
    assertFalse(local.isEmpty(), "no files in " + localDir);
    assertEquals(local.keySet(), fake.keySet(), "files of " + fakeDir + " against " + localDir);
    for (String name : local.keySet()) {
      if (name.equals("manifest.json")) {
        assertEquals(withoutLocations(local.get(name)), withoutLocations(fake.get(name)), name);
      } else {
        assertArrayEquals(local.get(name), fake.get(name), name + " differs between local disk and fakegs");
      }
    }
    for (String name : fake.keySet()) {
      assertFalse(name.startsWith(".tmp") || name.contains("/.tmp") || name.startsWith(".temp"), "temporary left behind: " + name);
    }
  }

  static JsonNode withoutLocations(byte[] manifest) throws IOException {
    ObjectNode m = (ObjectNode) JSON.readTree(manifest);
    m.remove(List.of("fingerprint", "recipeFingerprint"));
    if (m.path("tokenizer") instanceof ObjectNode tokenizer) {
      tokenizer.remove("path"); // the corpus manifest names its tokenizer file
    }
    for (JsonNode source : m.path("corpus").path("sources")) {
      ((ObjectNode) source).remove("path");
    }
    return m;
  }

  /** Nothing that a lost {@code //} would leave on local disk, nor a writer never closed. */
  static void assertNoStrays(Path... localDirs) throws IOException {
    assertEquals(List.of(), FakeGcs.strayLocalFiles(localDirs), "fakegs: paths on local disk");
    assertEquals(List.of(), FakeGcs.unfinishedUploads(), "uploads never closed in the fakegs store");
  }

  static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
