package io.roberta.runners.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.engine.fillmask.FillMask;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.stage.WorkLock;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.runners.run.JobNames;
import io.roberta.spec.plan.Plan;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.runners.options.DirectTraining;
import io.roberta.runners.options.OptionsCheck;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.spec.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta pretrain <recipe>}: the tokenizer, corpus and pretraining stages in order, each
 * skipped when its folder already holds a manifest of the same fingerprint, pretraining resumed
 * from its newest checkpoint. Ends with the holdout score, where the model is, and a fill-mask
 * sample.
 *
 * <pre>{@code roberta pretrain TinyBrown --work-dir=work}</pre>
 */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Pretrain a recipe's model: tokenizer, corpus and masked-LM training stages.",
      "Each stage writes <work-dir>/<recipe>/<stage>/<fingerprint>/ and is skipped when done; a killed run resumes"
          + " from its newest checkpoint. Beam options (--runner=FlinkRunner --flinkMaster=[local], ...) pass through."
    })
public final class PretrainCommand implements Callable<Integer> {

  @Mixin StageRunOptions run;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    Recipe r = RecipeLoader.load(run.recipe);
    if (r.pretrain() == null) {
      throw new UserError("recipe " + r.name() + " has no pretrain section");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Consumer<String> log = line -> {
      err.println(line);
      err.flush();
    };
    RobertaPipelineOptions options = OptionsCheck.parse(beamArgs, run.workDir);
    String trainingAccelerator = run.accelerator != null
        ? OptionsCheck.accelerator(run.accelerator, "--training-accelerator") : options.getTrainingAccelerator();
    try (WorkLock lock = WorkLock.acquire(options.getWorkDir(), r.name())) {
      long started = System.nanoTime();
      Plan plan = Plan.compile(r);
      JobNames.set(options, r, plan, "tokenizer");
      TokenizerRef tokenizer = RecipeTokenizer.ensure(r, run.workDir, options, log);
      JobNames.set(options, r, plan, "corpus");
      CorpusStage.Result corpus = CorpusStage.of(r, run.workDir, tokenizer).progress(log, Duration.ofSeconds(10)).run(options);
      log.accept("corpus: " + corpus.directory() + (corpus.skipped() ? " (already built)" : ""));
      JobNames.set(options, r, plan, "pretrain");
      int parallelism = DirectTraining.apply(options);
      PretrainStage.Result pre;
      try {
        pre = PretrainStage.run(r, run.workDir, CorpusOutput.of(corpus.directory(), corpus.manifest()), tokenizer,
            options, run.stopAfterSteps, run.holdoutBlocks, trainingAccelerator);
      } finally {
        DirectTraining.restore(options, parallelism);
      }
      summary(pre, out, (System.nanoTime() - started) / 1e9);
      fillMask(pre.huggingFace(), run.sample, out);
    } catch (IllegalArgumentException | WorkLock.LockedException e) {
      throw new UserError(e.getMessage(), e);
    }
    return 0;
  }

  static String bytes(long n) {
    return n >= 1L << 20 ? String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20))
        : String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
  }

  static void summary(PretrainStage.Result pre, PrintWriter out, double seconds) {
    JsonNode m = pre.manifest();
    JsonNode result = m.has("result") ? m.path("result") : m;
    out.printf(Locale.ROOT, "%nPretraining %s%s%n", pre.directory(), pre.skipped() ? "  (already done: same fingerprint, skipped)" : "");
    out.printf(Locale.ROOT, "  steps %d of %d, final training loss %.4f%n", m.path("steps").asLong(), m.path("totalSteps").asLong(),
        result.path("finalTrainingLoss").asDouble());
    JsonNode rounds = result.path("rounds");
    if (rounds.isObject()) {
      out.printf(Locale.ROOT, "  %d rounds of %d steps on %d workers (outer lr %s, momentum %s%s); %s moved per round,"
              + " per-step all-reduce would move %s; final state SHA-256 %s%n",
          rounds.path("rounds").asInt(), rounds.path("roundSteps").asInt(), rounds.path("workers").asInt(),
          rounds.path("outerLearningRate").asText() + (rounds.has("outerWarmupRounds")
              ? " reached over " + rounds.path("outerWarmupRounds").asInt() + " rounds from 1" : ""),
          rounds.path("outerMomentum").asText(),
          rounds.path("nesterov").asBoolean() ? ", Nesterov" : "", bytes(rounds.path("bytesPerRound").asLong()),
          bytes(rounds.path("allReduceBytesPerRound").asLong()), rounds.path("finalStateSha256").asText());
    }
    if (result.has("holdoutAccuracy")) {
      out.printf(Locale.ROOT, "  holdout: masked-token accuracy %.4f vs %.4f for the best constant guess; loss %.4f (untrained %.4f), %,d masked tokens%n",
          result.path("holdoutAccuracy").asDouble(), result.path("baselineAccuracy").asDouble(), result.path("holdoutLoss").asDouble(),
          result.path("untrainedHoldoutLoss").asDouble(Double.NaN), result.path("holdoutMaskedTokens").asLong());
      if (result.has("holdoutAccuracyAtMask")) {
        out.printf(Locale.ROOT, "           accuracy %.4f on the %,d masked tokens whose input was <mask> (context alone)%n",
            result.path("holdoutAccuracyAtMask").asDouble(), result.path("holdoutMaskInputs").asLong());
      }
    }
    out.printf(Locale.ROOT, "  Hugging Face model: %s/hf   loss plot: %s/loss.png   metrics: %s/metrics.jsonl%n",
        pre.directory(), pre.directory(), pre.directory());
    out.printf(Locale.ROOT, "  this command took %.0f s%n", seconds);
    out.flush();
  }

  static void fillMask(FolderRef model, String text, PrintWriter out) {
    boolean tokenizer = model.has("tokenizer.json") || model.has(io.roberta.engine.io.XlmRobertaFiles.SENTENCEPIECE_MODEL);
    if (!tokenizer || !text.contains(FillMask.MASK)) {
      return;
    }
    Path hf = model.local();
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32); FillMask fm = FillMask.load(hf, kernels)) {
      List<List<FillMask.Prediction>> predictions = fm.predict(text, 5);
      out.printf("  fill-mask: %s%n", text);
      for (List<FillMask.Prediction> slot : predictions) {
        for (FillMask.Prediction p : slot) {
          out.printf(Locale.ROOT, "    %-16s %.4f%n", "'" + p.token() + "'", p.probability());
        }
      }
    } catch (IOException e) {
      throw new UserError("cannot load the exported model " + hf + " for fill-mask: " + e.getMessage(), e);
    }
    out.flush();
  }
}
