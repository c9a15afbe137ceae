package io.roberta.spec.plan;

import io.roberta.spec.Checks;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.EvalSpec;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.TokenizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A recipe compiled into ordered stages with fingerprints, plus the sizes people plan with:
 * parameters, tokens per optimizer step, gradient-accumulation steps, total tokens and training
 * FLOPs. Pure: the pipelines module turns each stage into a Beam transform.
 *
 * <pre>{@code Plan plan = Plan.compile(recipe); plan.stages().forEach(System.out::println);}</pre>
 */
public record Plan(Recipe recipe, String fingerprint, List<Stage> stages) {

  public Plan {
    stages = List.copyOf(stages);
  }

  public static Plan compile(Recipe recipe) {
    new Plan(recipe, "", List.of()).totalTokens(); // sizes people plan with must be computable
    List<Stage> stages = new ArrayList<>();
    TokenizerSpec tok = recipe.tokenizer();
    CorpusSpec corpus = recipe.corpus();
    // Fingerprints see inputs as the class path's InputIdentity does (file contents, or paths).
    InputIdentity ids = InputIdentity.current();
    CorpusSpec pinnedCorpus = ids.pin(corpus);

    Stage tokenizer;
    if (tok.isTrained()) {
      tokenizer =
          new Stage(
              Stage.Kind.TOKENIZER,
              "tokenizer",
              RecipeJson.fingerprint("tokenizer", tok, pinnedCorpus.sources(), corpus.normalization()),
              sourceInputs(corpus),
              List.of("tokenizer.json", "vocab.json", "merges.txt", "manifest.json"),
              "train byte-level BPE: vocab " + tok.vocabSize() + ", min frequency " + tok.minFrequency());
    } else {
      tokenizer =
          new Stage(
              Stage.Kind.TOKENIZER,
              "tokenizer",
              RecipeJson.fingerprint("tokenizer", ids.pin(tok)),
              List.of(tok.path()),
              List.of(tok.kind() == TokenizerSpec.Kind.SENTENCEPIECE ? "sentencepiece.model" : "tokenizer.json", "manifest.json"),
              "load " + tok.kind().name().toLowerCase() + " tokenizer " + tok.path());
    }
    stages.add(tokenizer);

    Stage corpusStage = null;
    if (corpus != null) {
      corpusStage =
          new Stage(
              Stage.Kind.CORPUS,
              "corpus",
              RecipeJson.fingerprint("corpus", pinnedCorpus, tokenizer.fingerprint()),
              concat(sourceInputs(corpus), List.of("tokenizer/tokenizer.json")),
              List.of("train-*.bin", "holdout-*.bin", "manifest.json"),
              "normalize, filter, " + (corpus.dedupe() ? "dedupe, " : "") + "split (holdout "
                  + corpus.holdoutFraction() + "), pack " + corpus.packing().mode() + " blocks of "
                  + corpus.packing().blockLength());
      stages.add(corpusStage);
    }

    Stage pretrainStage = null;
    PretrainSpec pre = recipe.pretrain();
    if (pre != null) {
      pretrainStage =
          new Stage(
              Stage.Kind.PRETRAIN,
              "pretrain",
              RecipeJson.fingerprint("pretrain", recipe.model(), pre.withoutAccelerator(), corpusStage.fingerprint()),
              List.of("corpus/train-*.bin"),
              pre.rounds() == null
                  ? List.of("checkpoints/", "metrics.jsonl", "loss.png", "hf/config.json", "hf/model.safetensors", "hf/tokenizer.json")
                  : List.of("rounds/", "metrics.jsonl", "rounds.jsonl", "loss.png", "hf/config.json", "hf/model.safetensors",
                      "hf/tokenizer.json"),
              "masked-LM: " + pre.schedule().totalSteps() + " steps of " + pre.batchSize()
                  + " sequences (" + pre.accumulationSteps() + " x " + pre.microBatch() + "), "
                  + pre.precision() + ", peak lr " + pre.schedule().peakLearningRate()
                  + (pre.rounds() == null ? "" : "; " + pre.rounds().workers() + " workers, rounds of "
                      + pre.rounds().roundSteps() + " steps"
                      + (pre.rounds().syncSteps() == 0 ? ""
                          : " after " + pre.rounds().syncSteps() + " synchronous steps on one worker"))
                  + (pre.sequenceCurriculum() == null ? "" : "; the first " + pre.sequenceCurriculum().steps()
                      + " steps on " + pre.sequenceCurriculum().pieceLength() + "-token pieces of each block"));
      stages.add(pretrainStage);
    }

    Map<String, String> finetuned = new TreeMap<>();
    for (FinetuneSpec f : recipe.finetune()) {
      String init = f.initFrom() != null ? f.initFrom() : "pretrain/hf/";
      Object upstream = f.initFrom() != null ? ids.of(f.initFrom()) : pretrainStage.fingerprint();
      FinetuneSpec pinned = ids.pin(f);
      Stage s =
          new Stage(
              Stage.Kind.FINETUNE,
              finetuneStageName(f.task()),
              RecipeJson.fingerprint("finetune", recipe.model(), pinned, upstream, tokenizer.fingerprint()),
              List.of(init, "task data: " + f.task()),
              List.of("hf/config.json", "hf/model.safetensors", "metrics.jsonl"),
              f.head() + " on " + f.task() + ": " + budget(f));
      finetuned.put(f.task(), s.fingerprint());
      stages.add(s);
      if (f.randomInitBaseline()) {
        Stage baseline =
            new Stage(
                Stage.Kind.FINETUNE,
                baselineStageName(f.task()),
                RecipeJson.fingerprint("finetune-random-init", recipe.model(), pinned, tokenizer.fingerprint()),
                List.of("random weights of the model's shape", "task data: " + f.task()),
                List.of("hf/config.json", "hf/model.safetensors", "metrics.jsonl"),
                "baseline: " + f.head() + " on " + f.task() + " from random init: " + budget(f));
        finetuned.put(baselineStageName(f.task()), baseline.fingerprint());
        stages.add(baseline);
      }
    }

    EvalSpec eval = recipe.eval();
    if (eval != null) {
      List<String> inputs = new ArrayList<>();
      List<Object> upstream = new ArrayList<>();
      for (EvalSpec.Task t : eval.tasks()) {
        if (t.kind() == EvalSpec.Task.Kind.MASKED_LM) {
          inputs.add("pretrain/hf/");
          inputs.add("corpus/holdout-*.bin");
          upstream.add(pretrainStage.fingerprint());
          upstream.add(corpusStage.fingerprint());
        } else {
          inputs.add(finetuneStageName(t.task()) + "/hf/");
          upstream.add(finetuned.get(t.task()));
          String baseline = baselineStageName(t.task());
          if (finetuned.containsKey(baseline)) {
            inputs.add(baseline + "/hf/");
            upstream.add(finetuned.get(baseline));
          }
        }
      }
      List<String> labels = eval.tasks().stream().map(t -> t.label() + " (" + t.shards() + " shards)").toList();
      stages.add(
          new Stage(
              Stage.Kind.EVAL,
              "eval",
              RecipeJson.fingerprint("eval", eval, upstream),
              inputs,
              List.of("<evaluation>/predictions.jsonl", "<evaluation>/report.json", "<evaluation>/report.md", "manifest.json"),
              "evaluate " + String.join(", ", labels)));
    }
    return new Plan(recipe, RecipeJson.fingerprint(recipe), stages);
  }

  private static String budget(FinetuneSpec f) {
    return (f.trainExamples() > 0 ? f.trainExamples() + " examples" : "all examples") + " x " + f.epochs() + " epochs, batch "
        + f.batchSize() + ", lr " + f.learningRate() + (f.data() != null ? ", data " + f.data() : "");
  }

  /** The stage that fine-tunes a random-init model on {@code task}: {@code finetune-<task>-random-init}. */
  public static String baselineStageName(String task) {
    return finetuneStageName(task) + "-random-init";
  }

  /** The stage that fine-tunes the pretrained model on {@code task}: {@code finetune-<task>}. */
  public static String finetuneStageName(String task) {
    return "finetune-" + task;
  }

  /** The stage called {@code name}, if the plan has one. */
  public Optional<Stage> stage(String name) {
    return stages.stream().filter(s -> s.directory().equals(name)).findFirst();
  }

  public long parameterCount() {
    return recipe.model().parameterCount();
  }

  /** Sequences per optimizer step times the block length; 0 without pretraining. */
  public long tokensPerStep() {
    PretrainSpec pre = recipe.pretrain();
    return pre == null ? 0 : (long) pre.batchSize() * recipe.corpus().packing().blockLength();
  }

  public int accumulationSteps() {
    PretrainSpec pre = recipe.pretrain();
    return pre == null ? 0 : pre.accumulationSteps();
  }

  public long totalTokens() {
    PretrainSpec pre = recipe.pretrain();
    if (pre == null) {
      return 0;
    }
    try {
      return Math.multiplyExact(tokensPerStep(), (long) pre.schedule().totalSteps());
    } catch (ArithmeticException e) {
      throw Checks.invalid("pretrain.schedule.totalSteps", pre.schedule().totalSteps(),
          "with " + tokensPerStep() + " tokens per step the total would exceed "
              + Long.MAX_VALUE + " tokens");
    }
  }

  /**
   * Estimated pretraining FLOPs: 3 x forward (the backward costs about twice the forward) over
   * every token, with the vocabulary projection only on the masked fraction of positions.
   */
  public double trainingFlops() {
    PretrainSpec pre = recipe.pretrain();
    if (pre == null) {
      return 0;
    }
    ModelSpec m = recipe.model();
    int block = recipe.corpus().packing().blockLength();
    return 3.0 * totalTokens() * m.forwardFlopsPerToken(block, pre.masking().probability());
  }

  private static List<String> sourceInputs(CorpusSpec corpus) {
    List<String> inputs = new ArrayList<>();
    for (SourceSpec s : corpus.sources()) {
      inputs.add(s.name() + ": " + s.path() + (s.weight() > 1 ? " (weight " + s.weight() + ")" : ""));
    }
    return inputs;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
