package io.roberta.runners.cli;

import io.roberta.dsl.Corpus;
import io.roberta.dsl.Eval;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import java.util.function.Supplier;

/** A recipe class as users write them, for the command-line tests. */
public final class SampleRecipe implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    return RecipeBuilder.named("sample")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(1_000))
        .corpus(Corpus.of(Sources.textFiles("data/*.txt")).holdout(0.05).pack(Packing.fullSentences(128)))
        .pretrain(Pretrain.mlm().batchSize(32).microBatch(8).warmupSteps(10).totalSteps(100))
        .evaluate(Eval.maskedLm())
        .build();
  }

  /** Not a recipe: used to check the error message. */
  public static final class NotARecipe {}
}
