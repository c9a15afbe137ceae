package io.roberta.examples;

import io.roberta.dsl.Eval;
import io.roberta.dsl.Packing;
import io.roberta.dsl.Pretrain;
import io.roberta.dsl.RecipeBuilder;
import io.roberta.dsl.Roberta;
import io.roberta.dsl.Sources;
import io.roberta.dsl.Corpus;
import io.roberta.dsl.Tokenizer;
import io.roberta.spec.Recipe;
import io.roberta.spec.SpecialTokens;
import java.util.function.Supplier;

/**
 * XLM-R end to end at CI size: the SentencePiece model trained by {@code spm_train} on the shared
 * texts ({@code engine/src/test/resources/tokenizer/spm/xlmr-tiny.model}, 4,000 pieces, so 4,002
 * ids with XLM-R's {@code <pad>} and {@code <mask>}), a tiny encoder, Moby-Dick as the corpus, a
 * short masked-LM pretraining, and the masked-LM evaluation. Its Hugging Face export is an XLM-R
 * folder ({@code sentencepiece.bpe.model}, {@code XLMRobertaForMaskedLM}).
 * {@code -Droberta.xlmr.spm=PATH} names another model (its piece count + 2 must stay 4,002).
 *
 * <pre>{@code ./roberta run TinyXlmr}</pre>
 */
public final class TinyXlmr implements Supplier<Recipe> {
  public static final int VOCAB = 4_002;
  public static final int STEPS = 40;

  @Override
  public Recipe get() {
    String spm = System.getProperty("roberta.xlmr.spm", "engine/src/test/resources/tokenizer/spm/xlmr-tiny.model");
    return RecipeBuilder.named("tiny-xlmr")
        .model(Roberta.tiny().vocabSize(VOCAB).hiddenSize(64).layers(2).heads(2).intermediateSize(128)
            .maxPositions(66).specialTokens(SpecialTokens.roberta(VOCAB)))
        .tokenizer(Tokenizer.sentencePiece(spm))
        .corpus(Corpus.of(Sources.textFiles(SharedData.mobyDick()).name("moby-dick"))
            .minChars(20).holdout(0.02).pack(Packing.fullSentences(64)))
        .pretrain(Pretrain.mlm().batchSize(16).microBatch(16).peakLearningRate(2e-3).warmupSteps(4)
            .totalSteps(STEPS).checkpointEvery(20).seed(3))
        .evaluate(Eval.maskedLm())
        .build();
  }
}
