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
 * {@code roberta-base} shapes with fairseq's {@code roberta.base} recipe (batch 2,048 x 512
 * tokens, peak lr 5e-4, 10k warm-up of 125k steps), its own 50,265-token BPE, on the shared
 * text. Needs a GPU cluster; on a laptop use it with {@code describe}.
 */
public final class BaseBrown implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    return RecipeBuilder.named("base-brown")
        .model(Roberta.base())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(50_265))
        .corpus(
            SharedData.corpus()
                .holdout(0.01)
                .pack(Packing.fullSentences(512)))
        .pretrain(Pretrain.mlm().microBatch(16).accelerator("type:nvidia-h100-80gb;count:1;install-nvidia-driver"))
        .evaluate(Eval.maskedLm().shards(8))
        .build();
  }
}
