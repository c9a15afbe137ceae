package io.roberta.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every invalid value or combination is rejected with a message naming field, value and remedy. */
class ValidationTest {

  static ModelSpec model(int vocab, int hidden, int heads, int maxPositions, SpecialTokens ids) {
    return new ModelSpec(vocab, hidden, 2, heads, 4 * hidden, maxPositions, 1, 1e-5, 0.1, 0.1, 0.02, ids, LayerSharing.NONE);
  }

  static Recipe recipeWith(ModelSpec model, TokenizerSpec tok, CorpusSpec corpus, PretrainSpec pre, List<FinetuneSpec> ft, EvalSpec eval) {
    return new Recipe(Recipe.SCHEMA_VERSION, "r", model, tok, corpus, pre, ft, eval);
  }

  static CorpusSpec corpusWithBlock(int block) {
    CorpusSpec c = TestRecipes.corpus();
    return new CorpusSpec(c.sources(), c.normalization(), c.minChars(), c.maxChars(), c.dedupe(), c.holdoutFraction(),
        new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, block));
  }

  static Stream<Arguments> invalid() {
    TokenizerSpec bpe1000 = TokenizerSpec.byteLevelBpe(1000, 2);
    return Stream.of(
        // name, action, field named, words the message must contain
        Arguments.of("heads do not divide hidden", (Executable) () -> model(1000, 64, 6, 130, SpecialTokens.roberta(1000)),
            "model.numHeads", "must divide model.hiddenSize = 64"),
        Arguments.of("zero hidden size", (Executable) () -> model(1000, 0, 4, 130, SpecialTokens.roberta(1000)),
            "model.hiddenSize", "= 0"),
        Arguments.of("negative layers", (Executable) () -> new ModelSpec(1000, 64, -1, 4, 128, 130, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(1000), LayerSharing.NONE),
            "model.numLayers", "positive"),
        Arguments.of("dropout of 1", (Executable) () -> new ModelSpec(1000, 64, 2, 4, 128, 130, 1, 1e-5, 1.0, 0.1, 0.02, SpecialTokens.roberta(1000), LayerSharing.NONE),
            "model.hiddenDropout", "[0, 1)"),
        Arguments.of("vocab smaller than the special tokens", (Executable) () -> SpecialTokens.roberta(4),
            "model.vocabSize", "5 special tokens"),
        Arguments.of("special id beyond the vocabulary", (Executable) () -> model(100, 64, 4, 130, new SpecialTokens(0, 1, 2, 3, 500)),
            "model.vocabSize", "greater than every special token id"),
        Arguments.of("two special tokens share an id", (Executable) () -> new SpecialTokens(0, 1, 2, 2, 9),
            "model.specialTokens.unk", "must differ from model.specialTokens.eos"),
        Arguments.of("max positions too small for the padding offset", (Executable) () -> model(1000, 64, 4, 2, SpecialTokens.roberta(1000)),
            "model.maxPositions", "pad + 1"),
        Arguments.of("zero layer-norm epsilon", (Executable) () -> new ModelSpec(1000, 64, 2, 4, 128, 130, 1, 0.0, 0.1, 0.1, 0.02, SpecialTokens.roberta(1000), LayerSharing.NONE),
            "model.layerNormEps", "> 0"),
        Arguments.of("warm-up past total steps", (Executable) () -> new ScheduleSpec(1e-4, 200, 100),
            "schedule.warmupSteps", "less than schedule.totalSteps = 100"),
        Arguments.of("negative learning rate", (Executable) () -> new ScheduleSpec(-1e-4, 10, 100),
            "schedule.peakLearningRate", "> 0"),
        Arguments.of("zero learning rate", (Executable) () -> new ScheduleSpec(0, 10, 100),
            "schedule.peakLearningRate", "> 0"),
        Arguments.of("hidden size of 2e9 (issue 16)", (Executable) () -> new ModelSpec(1000, 2_000_000_000, 2, 4, 4, 130, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(1000), LayerSharing.NONE),
            "model.hiddenSize", "more than one tensor holds"),
        Arguments.of("a million layers (issue 16)", (Executable) () -> new ModelSpec(50_000, 4096, 1_000_000, 32, 16384, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50_000), LayerSharing.NONE),
            "model.numLayers", "would exceed 100000000000 parameters"),
        Arguments.of("an embedding table past one tensor", (Executable) () -> new ModelSpec(3_000_000, 1024, 2, 16, 4096, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(3_000_000), LayerSharing.NONE),
            "model.vocabSize", "word embeddings"),
        Arguments.of("NaN learning rate", (Executable) () -> new ScheduleSpec(Double.NaN, 10, 100),
            "schedule.peakLearningRate", "NaN"),
        Arguments.of("batch not a multiple of the micro-batch", (Executable) () -> new PretrainSpec(100, 16, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null),
            "pretrain.batchSize", "multiple of pretrain.microBatch = 16 (gradient accumulation runs whole micro-batches; try 96 or 112)"),
        Arguments.of("micro-batch larger than the batch", (Executable) () -> new PretrainSpec(8, 16, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null),
            "pretrain.microBatch", "<= pretrain.batchSize = 8"),
        Arguments.of("checkpoint interval beyond the run", (Executable) () -> new PretrainSpec(16, 16, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 50, 1, 1, null),
            "pretrain.checkpointInterval", "no checkpoint is ever written"),
        Arguments.of("workers that do not divide the batch", (Executable) () -> new PretrainSpec(32, 4, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null, new RoundsSpec(3, 5, 0.7, 0.9, true)),
            "pretrain.rounds.workers", "must divide pretrain.batchSize = 32"),
        Arguments.of("a micro-batch that does not divide the per-worker batch", (Executable) () -> new PretrainSpec(32, 16, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null, new RoundsSpec(4, 5, 0.7, 0.9, true)),
            "pretrain.microBatch", "per-worker batch pretrain.batchSize / pretrain.rounds.workers = 32 / 4 = 8"),
        Arguments.of("rounds longer than the schedule", (Executable) () -> new PretrainSpec(32, 4, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null, new RoundsSpec(4, 20, 0.7, 0.9, true)),
            "pretrain.rounds.roundSteps", "<= schedule.totalSteps = 10"),
        Arguments.of("a checkpoint interval off the round ends", (Executable) () -> new PretrainSpec(32, 4, Precision.FP32, MaskingSpec.roberta(1), OptimizerSpec.robertaPretraining(), new ScheduleSpec(1e-4, 1, 10), 5, 1, 1, null, new RoundsSpec(4, 2, 0.7, 0.9, true)),
            "pretrain.checkpointInterval", "multiple of pretrain.rounds.roundSteps = 2"),
        Arguments.of("outer momentum of 1", (Executable) () -> new RoundsSpec(4, 2, 0.7, 1.0, true),
            "pretrain.rounds.outerMomentum", "[0, 1)"),
        Arguments.of("Nesterov without momentum", (Executable) () -> new RoundsSpec(4, 2, 0.7, 0.0, true),
            "pretrain.rounds.nesterov", "needs pretrain.rounds.outerMomentum > 0"),
        Arguments.of("zero outer learning rate", (Executable) () -> new RoundsSpec(4, 2, 0.0, 0.9, true),
            "pretrain.rounds.outerLearningRate", "> 0"),
        Arguments.of("masking fractions that do not sum to 1", (Executable) () -> new MaskingSpec(0.15, 0.8, 0.1, 0.2, 1),
            "pretrain.masking", "must sum to 1"),
        Arguments.of("masking probability of 1", (Executable) () -> new MaskingSpec(1.0, 0.8, 0.1, 0.1, 1),
            "pretrain.masking.probability", "(0, 1)"),
        Arguments.of("negative masking fraction", (Executable) () -> new MaskingSpec(0.15, 1.1, -0.1, 0.0, 1),
            "pretrain.masking.maskFraction", "probability"),
        Arguments.of("Adam beta2 of 1", (Executable) () -> new OptimizerSpec(0.9, 1.0, 1e-6, 0.01, 0),
            "optimizer.beta2", "[0, 1)"),
        Arguments.of("zero Adam epsilon", (Executable) () -> new OptimizerSpec(0.9, 0.98, 0, 0.01, 0),
            "optimizer.epsilon", "> 0"),
        Arguments.of("negative weight decay", (Executable) () -> new OptimizerSpec(0.9, 0.98, 1e-6, -0.01, 0),
            "optimizer.weightDecay", ">= 0"),
        Arguments.of("BPE vocabulary below the byte alphabet", (Executable) () -> TokenizerSpec.byteLevelBpe(100, 2),
            "tokenizer.vocabSize", "256 byte symbols plus the 5 special tokens"),
        Arguments.of("path on a trained tokenizer", (Executable) () -> new TokenizerSpec(TokenizerSpec.Kind.BYTE_LEVEL_BPE, "x.json", 1000, 2),
            "tokenizer.path", "trained, not loaded"),
        Arguments.of("SentencePiece without a .model file", (Executable) () -> TokenizerSpec.sentencePiece("spm.json"),
            "tokenizer.path", ".model"),
        Arguments.of("holdout fraction of 1", (Executable) () -> new CorpusSpec(TestRecipes.corpus().sources(), NormalizationSpec.standard(), 0, 10, true, 1.0, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128)),
            "corpus.holdoutFraction", "[0, 1)"),
        Arguments.of("max chars below min chars", (Executable) () -> new CorpusSpec(TestRecipes.corpus().sources(), NormalizationSpec.standard(), 100, 10, true, 0.1, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128)),
            "corpus.maxChars", ">= corpus.minChars = 100"),
        Arguments.of("no sources", (Executable) () -> new CorpusSpec(List.of(), NormalizationSpec.standard(), 0, 10, true, 0.1, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128)),
            "corpus.sources", "at least one"),
        Arguments.of("duplicate source names", (Executable) () -> new CorpusSpec(List.of(SourceSpec.textFiles("a", "x/*", SourceSpec.DocumentUnit.FILE, 1), SourceSpec.textFiles("a", "y/*", SourceSpec.DocumentUnit.FILE, 1)), NormalizationSpec.standard(), 0, 10, true, 0.1, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128)),
            "corpus.sources[].name", "unique"),
        Arguments.of("zero source weight", (Executable) () -> SourceSpec.textFiles("a", "x/*", SourceSpec.DocumentUnit.FILE, 0),
            "corpus.sources[a].weight", "positive"),
        Arguments.of("JSONL source without a text field", (Executable) () -> SourceSpec.jsonLines("a", "x/*.jsonl", " ", 1),
            "corpus.sources[a].textField", "non-empty"),
        Arguments.of("block length of 2", (Executable) () -> new PackingSpec(PackingSpec.Mode.DOC_SENTENCES, 2),
            "corpus.packing.blockLength", ">= 3"),
        Arguments.of("block longer than max positions allow", (Executable) () -> recipeWith(TestRecipes.tinyModel(), bpe1000, corpusWithBlock(256), TestRecipes.pretrain(), List.of(), null),
            "corpus.packing.blockLength", "must be <= 128"),
        Arguments.of("model vocabulary differs from the trained tokenizer", (Executable) () -> recipeWith(TestRecipes.tinyModel(), TokenizerSpec.byteLevelBpe(2000, 2), TestRecipes.corpus(), TestRecipes.pretrain(), List.of(), null),
            "model.vocabSize", "must equal tokenizer.vocabSize = 2000"),
        Arguments.of("mask not last with a trained tokenizer", (Executable) () -> recipeWith(model(1000, 64, 4, 130, new SpecialTokens(0, 1, 2, 3, 4)), bpe1000, TestRecipes.corpus(), TestRecipes.pretrain(), List.of(), null),
            "model.specialTokens", "<mask> last"),
        Arguments.of("pretraining without a corpus", (Executable) () -> recipeWith(TestRecipes.tinyModel(), TokenizerSpec.pretrained("t.json"), null, TestRecipes.pretrain(), List.of(TestRecipes.genre()), null),
            "corpus", "pretraining needs a corpus"),
        Arguments.of("fine-tuning with nothing to start from", (Executable) () -> recipeWith(TestRecipes.tinyModel(), TokenizerSpec.pretrained("t.json"), TestRecipes.corpus(), null, List.of(TestRecipes.genre()), null),
            "finetune[genre].initFrom", "Hugging Face model directory"),
        Arguments.of("evaluating a task that is not fine-tuned", (Executable) () -> recipeWith(TestRecipes.tinyModel(), bpe1000, TestRecipes.corpus(), TestRecipes.pretrain(), List.of(), new EvalSpec(List.of(new EvalSpec.Task(EvalSpec.Task.Kind.TASK, "sst2", 1)), 8)),
            "eval.tasks[].task", "must name a finetune task"),
        Arguments.of("masked-LM eval without a holdout", (Executable) () -> recipeWith(TestRecipes.tinyModel(), bpe1000, new CorpusSpec(TestRecipes.corpus().sources(), NormalizationSpec.standard(), 0, 10, true, 0.0, new PackingSpec(PackingSpec.Mode.FULL_SENTENCES, 128)), TestRecipes.pretrain(), List.of(), new EvalSpec(List.of(new EvalSpec.Task(EvalSpec.Task.Kind.MASKED_LM, null, 1)), 8)),
            "corpus.holdoutFraction", "holdout blocks"),
        Arguments.of("zero evaluation shards", (Executable) () -> new EvalSpec.Task(EvalSpec.Task.Kind.MASKED_LM, null, 0),
            "eval.tasks[masked-lm].shards", "positive"),
        Arguments.of("regression head with 3 labels", (Executable) () -> new FinetuneSpec("stsb", FinetuneSpec.Head.REGRESSION, 3, 128, 1, 8, 1e-5, 0.06, OptimizerSpec.robertaFinetuning(), 1, "m", null, 0, false),
            "finetune[stsb].numLabels", "must be 1"),
        Arguments.of("fine-tuning sequence longer than the model's", (Executable) () -> recipeWith(TestRecipes.tinyModel(), bpe1000, TestRecipes.corpus(), TestRecipes.pretrain(), List.of(new FinetuneSpec("genre", FinetuneSpec.Head.SEQUENCE_CLASSIFICATION, 15, 512, 3, 16, 2e-5, 0.06, OptimizerSpec.robertaFinetuning(), 1, null, null, 0, false)), null),
            "finetune[genre].maxSequenceLength", "must be <= 128"),
        Arguments.of("negative training example count", (Executable) () -> new FinetuneSpec("genre", FinetuneSpec.Head.SEQUENCE_CLASSIFICATION, 15, 128, 3, 16, 2e-5, 0.06, OptimizerSpec.robertaFinetuning(), 1, null, "data/brown", -5, true),
            "finetune[genre].trainExamples", "must be >= 0"),
        Arguments.of("blank task data folder", (Executable) () -> new FinetuneSpec("genre", FinetuneSpec.Head.SEQUENCE_CLASSIFICATION, 15, 128, 3, 16, 2e-5, 0.06, OptimizerSpec.robertaFinetuning(), 1, null, " ", 0, false),
            "finetune[genre].data", ""),
        Arguments.of("recipe name with a slash", (Executable) () -> new Recipe(Recipe.SCHEMA_VERSION, "../evil", TestRecipes.tinyModel(), bpe1000, TestRecipes.corpus(), null, List.of(), null),
            "name", "artifact paths"),
        Arguments.of("unsupported schema version", (Executable) () -> new Recipe(2, "r", TestRecipes.tinyModel(), bpe1000, TestRecipes.corpus(), null, List.of(), null),
            "schemaVersion", "schema version 1 only"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void rejectsWithFieldValueAndRemedy(String name, Executable action, String field, String words) {
    SpecException e = assertThrows(SpecException.class, action);
    assertEquals(field, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith(field), "message should start with the field: " + e.getMessage());
    assertTrue(e.getMessage().contains(words), "message should contain '" + words + "': " + e.getMessage());
  }

  @Test
  void theLargestValidModelCountsWithoutOverflow() {
    // just below the layer bound: the count is positive and the memory estimate too
    ModelSpec big = new ModelSpec(50_000, 8192, 100, 64, 32768, 514, 1, 1e-5, 0.1, 0.1, 0.02,
        SpecialTokens.roberta(50_000), LayerSharing.NONE);
    assertTrue(big.parameterCount() > 80_000_000_000L && big.parameterCount() <= ModelSpec.MAX_PARAMETERS,
        String.valueOf(big.parameterCount()));
    assertEquals(16 * big.parameterCount(), big.trainingStateBytes());
  }

  @Test
  void validRecipeBuilds() {
    Recipe r = TestRecipes.recipe();
    assertEquals(4, r.pretrain().accumulationSteps());
    assertEquals(128, r.model().maxSequenceLength());
  }

  @Test
  void listsAreImmutableCopies() {
    Recipe r = TestRecipes.recipe();
    assertThrows(UnsupportedOperationException.class, () -> r.finetune().add(TestRecipes.genre()));
    assertThrows(UnsupportedOperationException.class, () -> r.corpus().sources().clear());
  }
}
