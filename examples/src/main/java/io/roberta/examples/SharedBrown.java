package io.roberta.examples;

import io.roberta.dsl.Eval;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import java.util.function.Supplier;

/**
 * RoBERTa-Shared at base size: one layer's weights used by all 12 layers (about 39 M distinct
 * parameters instead of 125 M), same data and schedule as {@link BaseBrown}.
 */
public final class SharedBrown implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    return RecipeBuilder.named("shared-brown")
        .model(Roberta.sharedBase())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(50_265))
        .corpus(
            SharedData.corpus()
                .holdout(0.01)
                .pack(Packing.fullSentences(512)))
        .pretrain(Pretrain.mlm().microBatch(16))
        .evaluate(Eval.maskedLm().shards(8))
        .build();
  }
}
