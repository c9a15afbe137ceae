package io.roberta.pipelines.corpus;

import io.roberta.pipelines.tokenizer.TrainTokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.TokenizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The tokenizer a recipe's corpus stage encodes with. A pretrained one is the recipe's file; a
 * byte-level BPE trained on the corpus is the tokenizer stage's {@code tokenizer.json}, trained
 * here first (on the corpus' cleaned text) when that stage has not run yet.
 *
 * <pre>{@code Path tokenizer = RecipeTokenizer.ensure(recipe, "work", options, System.err::println);}</pre>
 */
public final class RecipeTokenizer {
  private RecipeTokenizer() {}

  public static Path ensure(Recipe recipe, String workDir, PipelineOptions options, java.util.function.Consumer<String> log) {
    TokenizerSpec spec = recipe.tokenizer();
    Path file = CorpusStage.tokenizerFor(recipe, workDir);
    if (!spec.isTrained()) {
      if (!Files.exists(file)) {
        throw new IllegalArgumentException("tokenizer.path = \"" + spec.path() + "\": no such file or directory");
      }
      return file;
    }
    if (Files.isRegularFile(file)) {
      log.accept("tokenizer: using " + file + " (stage already ran)");
      return file;
    }
    CorpusText text = CorpusText.of(recipe.corpus()); // checks every input first
    log.accept("tokenizer: training byte-level BPE (vocabulary " + spec.vocabSize() + ") into " + file.getParent());
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("CorpusText", text)
        .apply("TrainTokenizer", TrainTokenizer.from(spec).writingTo(file.getParent().toString()));
    PipelineResult.State state = pipeline.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE || !Files.isRegularFile(file)) {
      throw new IllegalStateException("the tokenizer stage ended in state " + state + " without writing " + file);
    }
    return file;
  }
}
