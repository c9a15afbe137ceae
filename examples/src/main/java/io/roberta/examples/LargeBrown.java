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
 * {@code roberta-large} shapes (24 layers, 1,024 wide) with the paper's large-model settings:
 * batch 8,192 sequences, peak lr 4e-4, 30k warm-up of 500k steps, Adam β2 0.98.
 */
public final class LargeBrown implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    return RecipeBuilder.named("large-brown")
        .model(Roberta.large())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(50_265))
        .corpus(
            SharedData.corpus()
                .holdout(0.01)
                .pack(Packing.fullSentences(512)))
        .pretrain(
            Pretrain.mlm()
                .batchSize(8_192)
                .microBatch(16)
                .peakLearningRate(4e-4)
                .warmupSteps(30_000)
                .totalSteps(500_000)
                .accelerator("type:nvidia-h100-80gb;count:1;install-nvidia-driver"))
        .evaluate(Eval.maskedLm().shards(8))
        .build();
  }
}
