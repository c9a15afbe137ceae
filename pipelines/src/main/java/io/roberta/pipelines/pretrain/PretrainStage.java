package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.pipelines.stage.Manifests;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;

/**
 * Runs the pretraining stage of a recipe on the runner the options name: builds the
 * {@link TrainingJob} from the corpus stage's manifest, runs {@link TrainModel}, and writes the
 * stage's {@code manifest.json} once the whole schedule is done. A stage folder whose manifest has
 * the same fingerprint is skipped; an unfinished one resumes from its newest checkpoint.
 *
 * <pre>{@code
 * PretrainStage.Result r = PretrainStage.run(recipe, "work", corpusDir, corpusManifest, tokenizerJson, options, -1, 2000, null);
 * }</pre>
 */
public final class PretrainStage {
  public static final String MANIFEST = Manifests.FILE;

  /** Where the stage wrote, what its manifest says, and whether it had already run. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {}

  private PretrainStage() {}

  public static Stage stage(Recipe recipe) {
    return Plan.compile(recipe).stages().stream()
        .filter(s -> s.kind() == Stage.Kind.PRETRAIN)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no pretrain stage"));
  }

  /** {@code <workDir>/<recipe>/pretrain/<fingerprint>}. */
  public static Path directory(Recipe recipe, String workDir) {
    return Path.of(workDir).resolve(stage(recipe).relativePath(recipe.name()));
  }

  /**
   * The training job for this recipe from the corpus stage's manifest ({@code format.dtype},
   * {@code format.blockLength}, {@code splits.<split>.shards[].file} relative to its folder).
   */
  public static TrainingJob job(
      Recipe recipe, String workDir, Path corpusDir, JsonNode corpusManifest, Path tokenizerJson, long untilStep, int holdoutBlocks) {
    JsonNode format = corpusManifest.path("format");
    String dtype = format.path("dtype").asText().toUpperCase(Locale.ROOT);
    int blockLength = format.path("blockLength").asInt();
    if (dtype.isEmpty() || blockLength <= 0) {
      throw new IllegalArgumentException(
          corpusDir.resolve("manifest.json") + ": format.dtype and format.blockLength are required, found " + format);
    }
    int expected = recipe.corpus().packing().blockLength();
    if (blockLength != expected) {
      throw new IllegalArgumentException(corpusDir.resolve("manifest.json") + ": format.blockLength = " + blockLength
          + " but the recipe packs blocks of " + expected + "; the corpus stage is stale");
    }
    List<String> train = shards(corpusDir, corpusManifest, "train");
    if (train.isEmpty()) {
      throw new IllegalArgumentException(corpusDir.resolve("manifest.json") + ": the corpus has no training shards (splits.train.shards is empty)");
    }
    return new TrainingJob(
        RecipeJson.write(recipe), stage(recipe).fingerprint(), train, shards(corpusDir, corpusManifest, "holdout"),
        dtype, blockLength, tokenizerJson == null ? null : tokenizerJson.getParent().toString(),
        directory(recipe, workDir).toString(), untilStep, holdoutBlocks);
  }

  /** Runs the stage (or finds it done); {@code untilStep < 0} trains the whole schedule. */
  public static Result run(
      Recipe recipe, String workDir, Path corpusDir, JsonNode corpusManifest, Path tokenizerJson,
      PipelineOptions options, long untilStep, int holdoutBlocks, String acceleratorOverride) {
    Stage stage = stage(recipe);
    Path dir = directory(recipe, workDir);
    Path manifestFile = dir.resolve(MANIFEST);
    JsonNode existing = Manifests.read(manifestFile);
    if (Manifests.matches(existing, stage.fingerprint())) {
      return new Result(dir.toString(), existing, true);
    }
    TrainingJob base = job(recipe, workDir, corpusDir, corpusManifest, tokenizerJson, untilStep, holdoutBlocks);
    TrainingJob job = new TrainingJob(base.recipeJson(), base.stageFingerprint(), base.trainShards(),
        base.holdoutShards(), base.dtype(), base.blockLength(), base.tokenizerDir(), base.outDir(), base.untilStep(),
        base.holdoutBlocks(), options.as(BackendOptions.class).getBackend());
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("TrainingJob", Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class)))
        .apply("TrainModel", TrainModel.withAccelerator(
            acceleratorOverride != null ? acceleratorOverride : recipe.pretrain().accelerator()));
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the pretraining pipeline ended in state " + state);
    }
    JsonNode result = Manifests.read(dir.resolve("result.json"));
    if (result == null) {
      throw new IllegalStateException("the pretraining pipeline finished without writing " + dir.resolve("result.json"));
    }
    long total = recipe.pretrain().schedule().totalSteps();
    ObjectNode manifest = Manifests.object();
    manifest.put("stage", "pretrain");
    manifest.put("recipe", recipe.name());
    manifest.put("fingerprint", stage.fingerprint());
    manifest.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    manifest.put("corpus", corpusDir.toString());
    manifest.put("steps", result.path("steps").asLong());
    manifest.put("totalSteps", total);
    manifest.set("result", result);
    manifest.put("huggingFace", dir.resolve("hf").toString());
    if (result.path("steps").asLong() >= total) {
      Manifests.write(manifestFile, manifest); // only a finished schedule marks the stage done
    }
    return new Result(dir.toString(), manifest, false);
  }

  private static List<String> shards(Path corpusDir, JsonNode manifest, String split) {
    List<String> files = new ArrayList<>();
    for (JsonNode s : manifest.path("splits").path(split).path("shards")) {
      files.add(corpusDir.resolve(s.path("file").asText()).toString());
    }
    return files;
  }
}
