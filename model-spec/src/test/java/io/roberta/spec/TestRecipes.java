package io.roberta.spec;

import java.util.List;

/** Valid specs built from records alone (model-spec cannot see the DSL). */
final class TestRecipes {
  private TestRecipes() {}

  static ModelSpec tinyModel() {
    return new ModelSpec(1000, 64, 2, 4, 128, 130, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(1000), LayerSharing.NONE);
  }

  static CorpusSpec corpus() {
    return new CorpusSpec(
        List.of(
            SourceSpec.textFiles("books", "data/books/*.txt", SourceSpec.DocumentUnit.PARAGRAPH, 1),
            SourceSpec.jsonLines("news", "data/news/*.jsonl.gz", "text", 2)),
        NormalizationSpec.standard(),
        20,
        1_000_000,
        true,
        0.02,
        new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128));
  }

  static PretrainSpec pretrain() {
    return new PretrainSpec(
        64, 16, Precision.FP32, MaskingSpec.roberta(7), OptimizerSpec.robertaPretraining(),
        new ScheduleSpec(5e-4, 10, 100), 50, 2, 7, null);
  }

  static FinetuneSpec genre() {
    return new FinetuneSpec(
        "genre", FinetuneSpec.Head.SEQUENCE_CLASSIFICATION, 15, 128, 3, 16, 2e-5, 0.06,
        OptimizerSpec.robertaFinetuning(), 1, null, "data/brown", 0, false);
  }

  static Recipe recipe() {
    return new Recipe(
        Recipe.SCHEMA_VERSION,
        "unit-recipe",
        tinyModel(),
        TokenizerSpec.byteLevelBpe(1000, 2),
        corpus(),
        pretrain(),
        List.of(genre()),
        new EvalSpec(
            List.of(
                new EvalSpec.Task(EvalSpec.Task.Kind.MASKED_LM, null, 2),
                new EvalSpec.Task(EvalSpec.Task.Kind.TASK, "genre", 8)),
            32));
  }
}
