package io.roberta.runners.cli;

import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code roberta describe <recipe>}: the compiled plan and the sizes people plan with. */
@Command(
    name = "describe",
    mixinStandardHelpOptions = true,
    description = {
      "Print the compiled plan of a recipe.",
      "Stages in order with inputs, outputs and fingerprints; parameter count, tokens per optimizer",
      "step, gradient-accumulation steps, total tokens and estimated training FLOPs."
    })
public final class DescribeCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name (TinyBrown).")
  String recipe;

  @Option(names = "--work-dir", defaultValue = "work", description = "Where stage artifacts would go (default: ${DEFAULT-VALUE}).")
  String workDir;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Plan plan = Plan.compile(RecipeLoader.load(recipe));
    print(plan, workDir, spec.commandLine().getOut());
    return 0;
  }

  static void print(Plan plan, String workDir, PrintWriter out) {
    Recipe r = plan.recipe();
    ModelSpec m = r.model();
    out.printf("Recipe %s  (fingerprint %s)%n%n", r.name(), plan.fingerprint().substring(0, 12));
    out.printf(
        "Model      RoBERTa%s: %d layers x %d hidden, %d heads, FFN %d, vocab %,d, max positions %d (sequences <= %d)%n",
        m.layerSharing() == io.roberta.spec.LayerSharing.ALL_LAYERS ? "-Shared" : "",
        m.numLayers(), m.hiddenSize(), m.numHeads(), m.intermediateSize(), m.vocabSize(),
        m.maxPositions(), m.maxSequenceLength());
    out.printf(
        "           parameters %,d (embeddings %,d; encoder %d x %,d; LM head %,d; decoder tied to the embeddings)%n",
        plan.parameterCount(), m.embeddingParameters(), m.distinctLayers(), m.parametersPerLayer(), m.lmHeadParameters());
    out.printf("           training state %s (FP32 weights, gradients and AdamW moments; activations extra)%n",
        m.trainingStateBytes() >= 1_000_000_000L
            ? String.format(Locale.ROOT, "%.2f GB", m.trainingStateBytes() / 1e9)
            : String.format(Locale.ROOT, "%.1f MB", m.trainingStateBytes() / 1e6));
    out.printf("Tokenizer  %s%n", tokenizer(r));
    PretrainSpec pre = r.pretrain();
    if (pre != null) {
      out.printf(
          "Pretrain   batch %,d sequences = %d micro-batches x %d (gradient accumulation steps %d), %s%n",
          pre.batchSize(), pre.accumulationSteps(), pre.microBatch(), plan.accumulationSteps(), pre.precision());
      out.printf(
          "           tokens per optimizer step %,d; %,d steps; total tokens %s%n",
          plan.tokensPerStep(), pre.schedule().totalSteps(), human(plan.totalTokens()));
      out.printf(
          "           estimated training FLOPs %s (3 x forward; vocabulary projection on %.0f%% of positions)%n",
          String.format(Locale.ROOT, "%.3g", plan.trainingFlops()), 100 * pre.masking().probability());
      out.printf(
          "           AdamW b=(%s, %s) eps=%s wd=%s clip=%s; lr peak %s, warm-up %,d, linear decay to step %,d%n",
          pre.optimizer().beta1(), pre.optimizer().beta2(), pre.optimizer().epsilon(), pre.optimizer().weightDecay(),
          pre.optimizer().gradClipNorm() == 0 ? "off" : pre.optimizer().gradClipNorm(),
          pre.schedule().peakLearningRate(), pre.schedule().warmupSteps(), pre.schedule().totalSteps());
      out.printf(
          "           masking %.0f%% (%.0f%% <mask>, %.0f%% random, %.0f%% kept), dynamic, seed %d%n",
          100 * pre.masking().probability(), 100 * pre.masking().maskFraction(),
          100 * pre.masking().randomFraction(), 100 * pre.masking().keepFraction(), pre.masking().seed());
      io.roberta.spec.RoundsSpec rounds = pre.rounds();
      if (rounds != null) {
        int k = rounds.workers();
        long total = pre.schedule().totalSteps();
        long params = plan.parameterCount();
        // FP32 parameters to every worker; FP32 parameters (or BF16 updates) back from each
        long perRound = (4L + (rounds.bf16Deltas() ? 2 : 4)) * params * k;
        long allReduce = k == 1 ? 0 : 2L * (k - 1) * 4 * params * rounds.roundSteps();
        out.printf(
            "Workers    %d workers in %,d rounds of %,d inner steps (DiLoCo): each worker takes %,d sequences per inner"
                + " step%s; outer SGD lr %s, momentum %s%s%n",
            k, rounds.rounds(total), rounds.roundSteps(), pre.batchSize() / k,
            pre.batchSize() / k / pre.microBatch() > 1 ? " (" + pre.batchSize() / k / pre.microBatch() + " x "
                + pre.microBatch() + ")" : "",
            rounds.outerLearningRate() + (rounds.outerWarmupRounds() > 0
                ? " (from 1 over the first " + rounds.outerWarmupRounds() + " rounds of " + k + " workers)" : ""),
            rounds.outerMomentum(), rounds.nesterov() ? " (Nesterov)" : "");
        if (rounds.syncSteps() > 0) {
          out.printf("           steps 1..%,d synchronous: one worker on the whole batch (%,d rounds), whose parameters"
                  + " and AdamW state the %d workers start from%n", rounds.syncSteps(),
              rounds.syncSteps() / rounds.roundSteps(), k);
        }
        out.printf(
            "           communication per round %s (FP32 parameters to each worker, %s back); per-step"
                + " all-reduce would move %s per round%s%n",
            bytes(perRound), rounds.bf16Deltas() ? "BF16 updates" : "FP32 parameters", bytes(allReduce),
            allReduce > 0 ? String.format(Locale.ROOT, " (%.0fx more)", allReduce / (double) perRound) : "");
      }
    }
    out.printf("%nStages (under %s/)%n", workDir);
    int i = 1;
    int width = plan.stages().stream().mapToInt(s -> s.directory().length()).max().orElse(10);
    for (Stage s : plan.stages()) {
      out.printf("  %d %-" + width + "s %s  %s%n", i++, s.directory(), s.shortFingerprint(), s.summary());
      out.printf("       in:  %s%n", String.join(", ", s.inputs()));
      String dir = s.relativePath(r.name()) + "/";
      out.printf("       out: %s{%s}%n", dir, String.join(", ", s.outputs()));
    }
    out.flush();
  }

  private static String tokenizer(Recipe r) {
    var t = r.tokenizer();
    return switch (t.kind()) {
      case BYTE_LEVEL_BPE -> "byte-level BPE trained on the corpus: vocab " + String.format("%,d", t.vocabSize())
          + ", min frequency " + t.minFrequency();
      case PRETRAINED -> "pretrained " + t.path();
      case SENTENCEPIECE -> "SentencePiece " + t.path();
    };
  }

  static String bytes(long n) {
    if (n >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
    }
    return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
  }

  private static String human(long n) {
    if (n >= 1_000_000_000L) {
      return String.format(Locale.ROOT, "%,d (%.2f B)", n, n / 1e9);
    }
    if (n >= 1_000_000L) {
      return String.format(Locale.ROOT, "%,d (%.2f M)", n, n / 1e6);
    }
    return String.format(Locale.ROOT, "%,d", n);
  }
}
