package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.tokenizer.TokenizerFiles;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.pipelines.tokenizer.TrainTokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.TokenizerSpec;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The tokenizer a recipe's corpus stage encodes with. A pretrained one is the recipe's file; a
 * byte-level BPE trained on the corpus is the tokenizer stage's output, trained here first (on the
 * corpus' cleaned text) when that stage has not run yet. The tokenizer stage commits a manifest
 * (its three files with sizes and SHA-256) after the files: a stage folder without one, or with a
 * file that does not match it, is trained again, so a truncated {@code tokenizer.json} is never
 * trusted.
 *
 * <pre>{@code TokenizerRef tokenizer = RecipeTokenizer.ensure(recipe, "work", options, System.err::println);}</pre>
 */
public final class RecipeTokenizer {
  private static final List<String> FILES =
      List.of(TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.VOCAB_JSON, TokenizerFiles.MERGES_TXT);

  private RecipeTokenizer() {}

  /** The tokenizer stage's folder, {@code <workDir>/<recipe>/tokenizer/<fingerprint>/}. */
  public static ResourceId directory(Recipe recipe, String workDir) {
    return Artifacts.stageDir(workDir, recipe.name(), stage(recipe));
  }

  public static Stage stage(Recipe recipe) {
    return Plan.compile(recipe).stage("tokenizer")
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " trains no tokenizer"));
  }

  /** The finished tokenizer stage, if its manifest verifies; empty for a pretrained tokenizer. */
  public static Optional<TokenizerRef> done(Recipe recipe, String workDir) {
    if (!recipe.tokenizer().isTrained()) {
      return Optional.empty();
    }
    ResourceId dir = directory(recipe, workDir);
    return StageManifest.verified(dir, stage(recipe).fingerprint())
        .map(m -> new TokenizerRef(Artifacts.uri(dir), TokenizerFiles.TOKENIZER_JSON, StageManifest.files(m)));
  }

  public static TokenizerRef ensure(Recipe recipe, String workDir, PipelineOptions options, Consumer<String> log) {
    FileSystems.setDefaultPipelineOptions(options);
    TokenizerSpec spec = recipe.tokenizer();
    if (!spec.isTrained()) {
      return TokenizerRef.of(spec.path());
    }
    Optional<TokenizerRef> done = done(recipe, workDir);
    if (done.isPresent()) {
      log.accept("tokenizer: using " + done.get().dir() + " (stage already ran)");
      return done.get();
    }
    Stage stage = stage(recipe);
    ResourceId dir = directory(recipe, workDir);
    // what an interrupted run left: files written before the manifest, the manifest of another run
    List<ResourceId> stale = new ArrayList<>();
    for (String name : FILES) {
      stale.add(Artifacts.file(dir, name));
    }
    stale.add(Artifacts.file(dir, StageManifest.FILE));
    Artifacts.delete(stale);
    CorpusText text = CorpusText.of(recipe.corpus()); // checks every input first
    log.accept("tokenizer: training byte-level BPE (vocabulary " + spec.vocabSize() + ") into " + Artifacts.uri(dir));
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, recipe, Artifacts.uri(dir), text);
    io.roberta.pipelines.stage.StagePipeline.runToCompletion(pipeline, "tokenizer");
    List<FileEntry> files = new ArrayList<>();
    for (String name : FILES) {
      ResourceId f = Artifacts.file(dir, name);
      long size = Artifacts.size(f).orElseThrow(
          () -> new IllegalStateException("the tokenizer stage finished without writing " + f));
      files.add(new FileEntry(name, size, Artifacts.sha256(f)));
    }
    var body = StageManifest.object();
    body.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    body.put("vocabSize", spec.vocabSize());
    StageManifest.commit(dir, "tokenizer", recipe.name(), stage.fingerprint(), files, body);
    return new TokenizerRef(Artifacts.uri(dir), TokenizerFiles.TOKENIZER_JSON, files);
  }

  /** Adds the stage's transforms to {@code pipeline}; {@link #ensure} and job descriptions share it. */
  public static void build(Pipeline pipeline, Recipe recipe, String dir, CorpusText text) {
    pipeline
        .apply("CorpusText", text)
        .apply("TrainTokenizer", TrainTokenizer.from(recipe.tokenizer()).writingTo(dir));
  }

  /** The manifest of a finished tokenizer stage (for reports), or null. */
  public static JsonNode manifest(Recipe recipe, String workDir) {
    return StageManifest.verified(directory(recipe, workDir), stage(recipe).fingerprint()).orElse(null);
  }
}
