package io.roberta.spec;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a run needs, and nothing about where it runs. Built by the DSL
 * ({@code Recipe.named("brown-tiny")...build()}) or read from JSON by {@link RecipeJson}; either
 * way the constructor checks every combination, so an invalid recipe cannot exist.
 *
 * <p>{@code corpus} and {@code pretrain} are null in a recipe that only fine-tunes a pretrained
 * model ({@link FinetuneSpec#initFrom()}); {@code eval} is null when nothing is evaluated.
 */
public record Recipe(
    int schemaVersion,
    String name,
    ModelSpec model,
    TokenizerSpec tokenizer,
    CorpusSpec corpus,
    PretrainSpec pretrain,
    List<FinetuneSpec> finetune,
    EvalSpec eval) {

  /** The JSON layout this build reads and writes. */
  public static final int SCHEMA_VERSION = 1;

  public Recipe {
    if (schemaVersion != SCHEMA_VERSION) {
      throw Checks.invalid(
          "schemaVersion", schemaVersion, "this build reads schema version " + SCHEMA_VERSION + " only");
    }
    Checks.name("name", name);
    Checks.notNull("model", model);
    Checks.notNull("tokenizer", tokenizer);
    finetune = List.copyOf(Checks.notNull("finetune", finetune));

    if (corpus == null && finetune.isEmpty()) {
      throw new SpecException(
          "corpus", "corpus is missing: a recipe needs a corpus to pretrain on, or at least one finetune task");
    }
    if (tokenizer.isTrained()) {
      if (corpus == null) {
        throw new SpecException(
            "tokenizer",
            "tokenizer.kind = BYTE_LEVEL_BPE is trained on the recipe's corpus, but corpus is missing;"
                + " add a corpus or use a PRETRAINED tokenizer");
      }
      if (model.vocabSize() != tokenizer.vocabSize()) {
        throw Checks.invalid(
            "model.vocabSize",
            model.vocabSize(),
            "must equal tokenizer.vocabSize = " + tokenizer.vocabSize()
                + " (the trained tokenizer defines the vocabulary)");
      }
      SpecialTokens expected = SpecialTokens.roberta(tokenizer.vocabSize());
      if (!model.specialTokens().equals(expected)) {
        throw Checks.invalid(
            "model.specialTokens",
            model.specialTokens().asMap(),
            "must be " + expected.asMap() + ": the trained byte-level BPE puts <s>, <pad>, </s>, <unk>"
                + " first and <mask> last");
      }
    }
    if (corpus != null && corpus.packing().blockLength() > model.maxSequenceLength()) {
      throw Checks.invalid(
          "corpus.packing.blockLength",
          corpus.packing().blockLength(),
          "must be <= " + model.maxSequenceLength() + ", the longest sequence model.maxPositions = "
              + model.maxPositions() + " allows (maxPositions - pad - 1)");
    }
    if (pretrain != null && corpus == null) {
      throw new SpecException("corpus", "corpus is missing: pretraining needs a corpus");
    }
    if (pretrain != null && pretrain.sequenceCurriculum() != null) {
      pretrain.sequenceCurriculum().checkBlockLength(corpus.packing().blockLength());
    }

    Set<String> tasks = new HashSet<>();
    for (FinetuneSpec f : finetune) {
      if (!tasks.add(f.task())) {
        throw Checks.invalid("finetune.task", f.task(), "each fine-tuning task may appear once");
      }
      if (f.maxSequenceLength() > model.maxSequenceLength()) {
        throw Checks.invalid(
            "finetune[" + f.task() + "].maxSequenceLength",
            f.maxSequenceLength(),
            "must be <= " + model.maxSequenceLength() + " (model.maxPositions - pad - 1)");
      }
      if (f.initFrom() == null && pretrain == null) {
        throw new SpecException(
            "finetune[" + f.task() + "].initFrom",
            "finetune[" + f.task() + "].initFrom is missing: without a pretrain stage, fine-tuning"
                + " must start from a Hugging Face model directory");
      }
    }
    if (eval != null) {
      for (EvalSpec.Task t : eval.tasks()) {
        if (t.kind() == EvalSpec.Task.Kind.MASKED_LM) {
          if (pretrain == null) {
            throw new SpecException(
                "eval.tasks", "eval.tasks has MASKED_LM but the recipe has no pretrain stage to evaluate");
          }
          if (corpus.holdoutFraction() == 0) {
            throw Checks.invalid(
                "corpus.holdoutFraction",
                0.0,
                "must be > 0 when eval.tasks has MASKED_LM (it is scored on the holdout blocks)");
          }
        } else if (!tasks.contains(t.task())) {
          throw Checks.invalid(
              "eval.tasks[].task", t.task(), "must name a finetune task of this recipe " + tasks);
        }
      }
    }
  }
}
