package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.train.HoldoutScore;
import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.Pretrainer;
import io.roberta.engine.train.StepMetrics;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One training job from start (or its newest checkpoint) to the exported model: the plain-Java
 * body of {@link TrainModel}'s worker, also what benchmarks call. Writes under the job's folder:
 * {@code checkpoints/}, {@code metrics.jsonl}, {@code loss.png}, {@code hf/} (config, weights,
 * tokenizer) and {@code result.json}.
 */
public final class PretrainRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PretrainRun() {}

  public static TrainingResult run(TrainingJob job, PrintStream console) {
    Recipe recipe = RecipeJson.read(job.recipeJson(), "training job of " + job.outDir());
    if (recipe.pretrain() == null) {
      throw new IllegalArgumentException("recipe " + recipe.name() + " has no pretrain section");
    }
    // FP32 runs on any backend; BF16 needs the CUDA backend, and without a GPU the error names
    // --backend and what was looked for
    Kernels kernels = Backends.create(Backend.parse(job.backend()), Backends.precision(recipe.pretrain().precision()));
    console.println("pretrain: backend " + kernels.getClass().getSimpleName() + ", " + kernels.precision());
    Path out = Path.of(job.outDir());
    TokenShards.Dtype dtype = TokenShards.Dtype.valueOf(job.dtype());
    long started = System.nanoTime();
    try (TokenShards train = TokenShards.open(paths(job.trainShards()), dtype, job.blockLength());
        Pretrainer trainer = new Pretrainer(recipe.model(), recipe.pretrain(), train, out,
            kernels, job.stageFingerprint())) {
      long from = trainer.resume(msg -> console.println("pretrain: " + msg));
      long total = recipe.pretrain().schedule().totalSteps();
      long until = job.untilStep() < 0 ? total : Math.min(job.untilStep(), total);
      console.printf("pretrain: %s, steps %d..%d of %d, %,d training blocks of %d tokens%n",
          recipe.name(), from + 1, until, total, train.blockCount(), train.blockLength());
      HoldoutScore initial = null;
      if (from == 0 && !job.holdoutShards().isEmpty() && job.holdoutBlocks() > 0) {
        // the untrained model's score: what "the holdout loss falls" is measured against
        initial = holdout(trainer, job, dtype, recipe.pretrain().microBatch());
        writeInitial(out.resolve("initial-holdout.json"), initial);
        console.printf("pretrain: untrained holdout loss %.4f, accuracy %.4f%n", initial.loss(), initial.accuracy());
      }
      ProgressLine progress = new ProgressLine(console, 10);
      trainer.train(until, new Pretrainer.Listener() {
        @Override
        public void onStep(StepMetrics m, long totalSteps) {
          progress.onStep(m, totalSteps);
        }

        @Override
        public void onCheckpoint(long step, Path dir) {
          console.println("pretrain: checkpoint " + dir);
        }
      });
      double seconds = (System.nanoTime() - started) / 1e9;
      List<StepMetrics> metrics = MetricsLog.read(out.resolve("metrics.jsonl"));
      if (!metrics.isEmpty()) {
        LossPlot.write(metrics, out.resolve("loss.png"), recipe.name() + ": masked-LM pretraining");
      }
      HoldoutScore score = job.holdoutShards().isEmpty() || job.holdoutBlocks() <= 0
          ? null : holdout(trainer, job, dtype, recipe.pretrain().microBatch());
      Path hf = out.resolve("hf");
      trainer.exportHuggingFace(hf);
      copyTokenizer(job.tokenizerDir(), hf);
      io.roberta.engine.io.XlmRobertaFiles.writeFor(recipe.tokenizer(), hf); // XLM-R's files for a SentencePiece model
      TrainingResult result = new TrainingResult(
          out.toString(), trainer.step(), metrics.isEmpty() ? Double.NaN : metrics.get(metrics.size() - 1).loss(),
          score == null ? Double.NaN : score.loss(), score == null ? Double.NaN : score.accuracy(),
          score == null ? Double.NaN : score.baselineAccuracy(), score == null ? 0 : score.maskedTokens(), seconds);
      writeResult(out.resolve("result.json"), result, score, read(out.resolve("initial-holdout.json")));
      if (score != null) {
        console.printf("pretrain: holdout masked-token accuracy %.4f vs %.4f for the best constant guess (token %d), loss %.4f, %,d masked tokens%n",
            score.accuracy(), score.baselineAccuracy(), score.baselineToken(), score.loss(), score.maskedTokens());
      }
      return result;
    }
  }

  private static HoldoutScore holdout(Pretrainer trainer, TrainingJob job, TokenShards.Dtype dtype, int batch) {
    try (TokenShards holdout = TokenShards.open(paths(job.holdoutShards()), dtype, job.blockLength())) {
      return trainer.evaluate(holdout, job.holdoutBlocks(), batch);
    }
  }

  private static void writeInitial(Path file, HoldoutScore s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("holdoutLoss", s.loss());
    o.put("holdoutAccuracy", s.accuracy());
    o.put("holdoutMaskedTokens", s.maskedTokens());
    try {
      JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode read(Path file) {
    try {
      return Files.isRegularFile(file) ? JSON.readTree(file.toFile()) : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static List<Path> paths(List<String> files) {
    List<Path> paths = new ArrayList<>();
    for (String f : files) {
      if (f.contains("://") && !f.startsWith("file://")) {
        throw new IllegalArgumentException(
            f + ": the trainer memory-maps its shards and reads local files only; stage them on the worker's disk first");
      }
      paths.add(Path.of(f.startsWith("file://") ? f.substring("file://".length()) : f));
    }
    return paths;
  }

  private static void copyTokenizer(String tokenizerDir, Path hf) {
    if (tokenizerDir == null) {
      return;
    }
    try {
      for (String name : new String[] {"tokenizer.json", "vocab.json", "merges.txt"}) {
        Path f = Path.of(tokenizerDir).resolve(name);
        if (Files.isRegularFile(f)) {
          Files.copy(f, hf.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the tokenizer from " + tokenizerDir + " to " + hf, e);
    }
  }

  private static void writeResult(Path file, TrainingResult r, HoldoutScore score, com.fasterxml.jackson.databind.JsonNode initial) {
    ObjectNode o = JSON.createObjectNode();
    o.put("steps", r.steps());
    o.put("finalTrainingLoss", r.finalTrainingLoss());
    o.put("trainingSeconds", r.trainingSeconds());
    if (score != null) {
      o.put("holdoutBlocks", score.blocks());
      o.put("holdoutMaskedTokens", score.maskedTokens());
      o.put("holdoutLoss", score.loss());
      o.put("holdoutAccuracy", score.accuracy());
      o.put("baselineAccuracy", score.baselineAccuracy());
      o.put("baselineToken", score.baselineToken());
    }
    if (initial != null) {
      o.put("untrainedHoldoutLoss", initial.path("holdoutLoss").asDouble());
      o.put("untrainedHoldoutAccuracy", initial.path("holdoutAccuracy").asDouble());
    }
    try {
      JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), o);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
