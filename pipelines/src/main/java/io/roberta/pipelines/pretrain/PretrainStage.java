package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;

/**
 * Runs the pretraining stage of a recipe on the runner the options name: builds the
 * {@link TrainingJob} from the corpus stage's output, runs {@link TrainModel}, and commits the
 * stage's {@code manifest.json} (every file with its SHA-256) once the whole schedule is done. A
 * stage folder whose manifest verifies for the same fingerprint is skipped; an unfinished one
 * resumes from its newest committed checkpoint.
 *
 * <pre>{@code
 * PretrainStage.Result r = PretrainStage.run(recipe, "gs://b/work", corpus, tokenizer, options, -1, 2000, null);
 * }</pre>
 */
public final class PretrainStage {
  /** Where the stage wrote (a URI), what its manifest says, and whether it had already run. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {
    /** The exported Hugging Face model folder (files checked by SHA-256 where a worker stages them). */
    public io.roberta.pipelines.stage.FolderRef huggingFace() {
      return io.roberta.pipelines.stage.FolderRef.fromManifest(directory, manifest, "hf/");
    }
  }

  private PretrainStage() {}

  public static Stage stage(Recipe recipe) {
    return Plan.compile(recipe).stages().stream()
        .filter(s -> s.kind() == Stage.Kind.PRETRAIN)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no pretrain stage"));
  }

  /** {@code <workDir>/<recipe>/pretrain/<fingerprint>}. */
  public static ResourceId directory(Recipe recipe, String workDir) {
    return Artifacts.stageDir(workDir, recipe.name(), stage(recipe));
  }

  /** The training job for this recipe from the corpus stage's output. */
  public static TrainingJob job(Recipe recipe, String workDir, CorpusOutput corpus, TokenizerRef tokenizer,
      long untilStep, int holdoutBlocks, String backend) {
    int expected = recipe.corpus().packing().blockLength();
    if (corpus.blockLength() != expected) {
      throw new IllegalArgumentException(corpus.dir() + "/manifest.json: format.blockLength = " + corpus.blockLength()
          + " but the recipe packs blocks of " + expected + "; the corpus stage is stale");
    }
    return new TrainingJob(RecipeJson.write(recipe), stage(recipe).fingerprint(), corpus, tokenizer,
        Artifacts.uri(directory(recipe, workDir)), untilStep, holdoutBlocks, backend);
  }

  /** The finished stage's manifest, if it verifies. */
  public static Optional<JsonNode> done(Recipe recipe, String workDir) {
    return StageManifest.verified(directory(recipe, workDir), stage(recipe).fingerprint());
  }

  /** Adds the stage's transforms to {@code pipeline} ({@link #run} and job descriptions share it). */
  public static void build(Pipeline pipeline, TrainingJob job, String accelerator) {
    Recipe recipe = Rounds.recipe(job);
    if (recipe.pretrain().rounds() != null) {
      // what a job description shows: every round of the schedule in one pipeline
      RoundsRun.build(pipeline, job, 1, RoundsRun.lastRound(job, recipe.pretrain()), true, accelerator,
          Placement.parallelism(pipeline.getOptions(), recipe.pretrain().rounds().workers()));
      return;
    }
    pipeline
        .apply("TrainingJob", Create.of(job).withCoder(SerializableCoder.of(TrainingJob.class)))
        .apply("TrainModel", TrainModel.withAccelerator(accelerator));
  }

  /**
   * Runs the stage (or finds it done); {@code untilStep < 0} trains the whole schedule. {@code
   * accelerator} is the resource hint of the training step (null: none).
   */
  public static Result run(Recipe recipe, String workDir, CorpusOutput corpus, TokenizerRef tokenizer,
      PipelineOptions options, long untilStep, int holdoutBlocks, String accelerator) {
    FileSystems.setDefaultPipelineOptions(options);
    Stage stage = stage(recipe);
    ResourceId dir = directory(recipe, workDir);
    Optional<JsonNode> existing = StageManifest.verified(dir, stage.fingerprint());
    if (existing.isPresent()) {
      return new Result(Artifacts.uri(dir), existing.get(), true);
    }
    TrainingJob job = job(recipe, workDir, corpus, tokenizer, untilStep, holdoutBlocks,
        options.as(BackendOptions.class).getBackend());
    if (recipe.pretrain().rounds() != null) {
      // several workers in rounds: one pipeline per few rounds, driven from here
      RoundsRun.run(job, options, accelerator, System.err);
    } else {
      Pipeline pipeline = Pipeline.create(options);
      build(pipeline, job, accelerator);
      io.roberta.pipelines.stage.StagePipeline.runToCompletion(pipeline, "pretraining");
    }
    ResourceId resultFile = Artifacts.file(dir, PretrainRun.RESULT);
    JsonNode result = Artifacts.readJsonIfPresent(resultFile).orElseThrow(
        () -> new IllegalStateException("the pretraining pipeline finished without writing " + resultFile));
    long total = recipe.pretrain().schedule().totalSteps();
    List<FileEntry> files = new ArrayList<>(StageManifest.files(result));
    files.add(new FileEntry(PretrainRun.RESULT, Artifacts.size(resultFile).orElseThrow(), Artifacts.sha256(resultFile)));
    ObjectNode body = StageManifest.object();
    body.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    body.put("corpus", corpus.dir());
    body.put("steps", result.path("steps").asLong());
    body.put("totalSteps", total);
    ObjectNode resultCopy = result.deepCopy();
    resultCopy.remove("files");
    body.set("result", resultCopy);
    body.put("huggingFace", Artifacts.uri(dir) + "/hf");
    if (result.path("steps").asLong() >= total) {
      // only a finished schedule marks the stage done
      return new Result(Artifacts.uri(dir), StageManifest.commit(dir, "pretrain", recipe.name(), stage.fingerprint(),
          files, body), false);
    }
    body.put("fingerprint", stage.fingerprint());
    body.set("files", StageManifest.filesNode(files)); // not committed: the stage is not done
    return new Result(Artifacts.uri(dir), body, false);
  }
}
