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
 * XLM-R base: the base encoder with XLM-R's 250,002-token SentencePiece vocabulary. The
 * SentencePiece model is not shipped: download {@code sentencepiece.bpe.model} from the
 * {@code xlm-roberta-base} repository into {@code models/xlmr-base/} (or set
 * {@code -Droberta.xlmr.spm=PATH}) before running.
 */
public final class XlmrBase implements Supplier<Recipe> {
  @Override
  public Recipe get() {
    String spm = System.getProperty("roberta.xlmr.spm", "models/xlmr-base/sentencepiece.bpe.model");
    return RecipeBuilder.named("xlmr-base")
        .model(Roberta.xlmrBase())
        .tokenizer(Tokenizer.sentencePiece(spm))
        .corpus(
            SharedData.corpus()
                .holdout(0.01)
                .pack(Packing.fullSentences(512)))
        .pretrain(Pretrain.mlm().microBatch(8).accelerator("type:nvidia-h100-80gb;count:1;install-nvidia-driver"))
        .evaluate(Eval.maskedLm().shards(8))
        .build();
  }
}
