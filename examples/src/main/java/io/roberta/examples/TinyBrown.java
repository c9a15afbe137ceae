package io.roberta.examples;

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

/**
 * The main example: the tiny preset with an 8,000-token byte-level BPE trained on the Brown
 * corpus, Moby-Dick and the State of the Union addresses, FULL-SENTENCES blocks of 128 tokens,
 * sized to pretrain on 2 CPU cores in minutes.
 *
 * <pre>{@code ./roberta describe TinyBrown}</pre>
 */
public final class TinyBrown implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    return RecipeBuilder.named("tiny-brown")
        .model(Roberta.tiny())
        .tokenizer(Tokenizer.byteLevelBpe().vocabSize(8_000).minFrequency(2))
        .corpus(
            Corpus.of(
                    Sources.custom("brown", SharedData.brown()),
                    Sources.textFiles(SharedData.mobyDick()).name("moby-dick"),
                    Sources.jsonLines(SharedData.stateOfTheUnion(), "text").name("sotu"))
                .minChars(20)
                .holdout(0.02)
                .pack(Packing.fullSentences(128)))
        .pretrain(
            Pretrain.mlm()
                .batchSize(64)
                .microBatch(16)
                .peakLearningRate(1e-3)
                .warmupSteps(60)
                .totalSteps(600)
                .checkpointEvery(100)
                .seed(17))
        .evaluate(Eval.maskedLm())
        .build();
  }
}
