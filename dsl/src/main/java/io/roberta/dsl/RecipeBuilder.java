package io.roberta.dsl;

import io.roberta.spec.Checks;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.EvalSpec;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.TokenizerSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The entry point of the DSL: a named recipe assembled from its parts.
 *
 * <pre>{@code
 * Recipe recipe = RecipeBuilder.named("brown-tiny")
 *     .model(Roberta.tiny())
 *     .tokenizer(Tokenizer.byteLevelBpe().vocabSize(8_000))
 *     .corpus(Corpus.of(Sources.textFiles("data/brown/c*"))
 *         .minChars(20).holdout(0.02).pack(Packing.fullSentences(128)))
 *     .pretrain(Pretrain.mlm().batchSize(64).microBatch(16)
 *         .peakLearningRate(5e-4).warmupSteps(100).totalSteps(2_000))
 *     .evaluate(Eval.maskedLm())
 *     .build();
 * }</pre>
 *
 * <p>With a trained byte-level BPE, a model whose vocabulary size was not set explicitly takes
 * the tokenizer's size, with {@code <mask>} last, so the two cannot disagree by accident.
 */
public final class RecipeBuilder {
  private final String name;
  private Roberta model;
  private Tokenizer tokenizer;
  private Corpus corpus;
  private Pretrain pretrain;
  private final List<Finetune> finetune = new ArrayList<>();
  private final List<Eval> evals = new ArrayList<>();
  private int evalBatchSize = 32;

  private RecipeBuilder(String name) {
    this.name = Checks.name("name", name);
  }

  public static RecipeBuilder named(String name) {
    return new RecipeBuilder(name);
  }

  public RecipeBuilder model(Roberta model) {
    this.model = Checks.notNull("model", model);
    return this;
  }

  public RecipeBuilder tokenizer(Tokenizer tokenizer) {
    this.tokenizer = Checks.notNull("tokenizer", tokenizer);
    return this;
  }

  public RecipeBuilder corpus(Corpus corpus) {
    this.corpus = Checks.notNull("corpus", corpus);
    return this;
  }

  public RecipeBuilder pretrain(Pretrain pretrain) {
    this.pretrain = Checks.notNull("pretrain", pretrain);
    return this;
  }

  public RecipeBuilder finetune(Finetune... tasks) {
    for (Finetune t : tasks) {
      finetune.add(Checks.notNull("finetune", t));
    }
    return this;
  }

  public RecipeBuilder evaluate(Eval... evaluations) {
    for (Eval e : evaluations) {
      evals.add(Checks.notNull("eval.tasks", e));
    }
    return this;
  }

  public RecipeBuilder evalBatchSize(int batchSize) {
    this.evalBatchSize = Checks.positive("eval.batchSize", batchSize);
    return this;
  }

  /** Checks every combination and returns the immutable recipe. */
  public Recipe build() {
    Checks.notNull("model", model);
    Checks.notNull("tokenizer", tokenizer);
    TokenizerSpec tok = tokenizer.build();
    ModelSpec modelSpec =
        tok.isTrained() && !model.vocabSizeSet() ? model.build(tok.vocabSize()) : model.build();
    CorpusSpec corpusSpec = corpus == null ? null : corpus.build();
    PretrainSpec pretrainSpec = pretrain == null ? null : pretrain.build();
    List<FinetuneSpec> tasks = finetune.stream().map(Finetune::build).toList();
    EvalSpec evalSpec =
        evals.isEmpty() ? null : new EvalSpec(evals.stream().map(Eval::build).toList(), evalBatchSize);
    return new Recipe(
        Recipe.SCHEMA_VERSION, name, modelSpec, tok, corpusSpec, pretrainSpec, tasks, evalSpec);
  }
}
