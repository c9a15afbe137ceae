package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.train.HoldoutScore;
import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.Pretrainer;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.Staging;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * One training job from start (or its newest committed checkpoint) to the exported model: the
 * plain-Java body of {@link TrainModel}'s worker, also what benchmarks call. The trainer works in
 * a worker-local scratch folder ({@link Staging}); everything that outlives the worker goes to the
 * job's stage folder on its file system: {@code checkpoints/} and {@code metrics/} segments
 * ({@link RemoteCheckpoints}), {@code metrics.jsonl}, {@code loss.png}, {@code hf/} (config,
 * weights, tokenizer) and last {@code result.json}, which lists every file with its SHA-256.
 */
public final class PretrainRun {
  public static final String RESULT = "result.json";
  private static final String INITIAL = "initial-holdout.json";

  private PretrainRun() {}

  public static TrainingResult run(TrainingJob job, PrintStream console) {
    Recipe recipe = RecipeJson.read(job.recipeJson(), "training job of " + job.outDir());
    if (recipe.pretrain() == null) {
      throw new IllegalArgumentException("recipe " + recipe.name() + " has no pretrain section");
    }
    // FP32 runs on any backend; BF16 needs the CUDA backend, and without a GPU the error names
    // --backend and what was looked for
    try (Kernels kernels = Backends.create(Backend.parse(job.backend()), Backends.precision(recipe.pretrain().precision()))) {
      return run(job, recipe, kernels, console);
    }
  }

  /** The stage on {@code kernels}; the trainer frees its weights, gradients and moments before it returns. */
  private static TrainingResult run(TrainingJob job, Recipe recipe, Kernels kernels, PrintStream console) {
    String kernelsUsed = kernels.describe(); // reads the native library's build once
    console.println("pretrain: backend " + kernelsUsed);
    ResourceId out = Artifacts.dir(job.outDir());
    CorpusOutput corpus = job.corpus();
    TokenShards.Dtype dtype = TokenShards.Dtype.valueOf(corpus.dtype());
    long started = System.nanoTime();
    Path local = Staging.scratch("pretrain-" + job.stageFingerprint().substring(0, Math.min(12, job.stageFingerprint().length())));
    try {
      RemoteCheckpoints remote = new RemoteCheckpoints(out, recipe.pretrain().keepCheckpoints());
      remote.restore(local, msg -> console.println("pretrain: " + msg));
      try (TokenShards train = TokenShards.open(corpus.stageLocally(corpus.train()), dtype, corpus.blockLength());
          Pretrainer trainer = new Pretrainer(recipe.model(), recipe.pretrain(), train, local,
              kernels, job.stageFingerprint())) {
        long from = trainer.resume(msg -> console.println("pretrain: " + msg));
        long total = recipe.pretrain().schedule().totalSteps();
        long until = job.untilStep() < 0 ? total : Math.min(job.untilStep(), total);
        console.printf("pretrain: %s, steps %d..%d of %d, %,d training blocks of %d tokens%n",
            recipe.name(), from + 1, until, total, train.blockCount(), train.blockLength());
        var curriculum = recipe.pretrain().sequenceCurriculum();
        if (curriculum != null && from < curriculum.steps()) {
          console.printf("pretrain: steps 1..%d train each block as %d pieces of %d tokens (sequence curriculum)%n",
              curriculum.steps(), train.blockLength() / curriculum.pieceLength(), curriculum.pieceLength());
        }
        boolean scoreHoldout = !corpus.holdout().isEmpty() && job.holdoutBlocks() > 0;
        if (from == 0 && scoreHoldout) {
          // the untrained model's score: what "the holdout loss falls" is measured against
          HoldoutScore initial = holdout(trainer, job, dtype, recipe.pretrain().microBatch());
          ObjectNode o = StageManifest.object();
          o.put("holdoutLoss", initial.loss());
          o.put("holdoutAccuracy", initial.accuracy());
          o.put("holdoutMaskedTokens", initial.maskedTokens());
          Artifacts.writeJson(out, INITIAL, o);
          console.printf("pretrain: untrained holdout loss %.4f, accuracy %.4f%n", initial.loss(), initial.accuracy());
        }
        ProgressLine progress = new ProgressLine(console, 10);
        Path metricsFile = local.resolve("metrics.jsonl");
        trainer.train(until, new Pretrainer.Listener() {
          @Override
          public void onStep(StepMetrics m, long totalSteps) {
            progress.onStep(m, totalSteps);
          }

          @Override
          public void onCheckpoint(long step, Path dir) {
            remote.publish(step, dir, MetricsLog.read(metricsFile));
            console.println("pretrain: checkpoint " + Artifacts.uri(out) + "/checkpoints/" + dir.getFileName());
          }
        });
        if (trainer.step() > remote.lastPublished()) {
          // a time-boxed stop: keep its steps, so the next run resumes here
          Path dir = trainer.saveCheckpoint();
          remote.publish(trainer.step(), dir, MetricsLog.read(metricsFile));
          console.println("pretrain: checkpoint " + Artifacts.uri(out) + "/checkpoints/" + dir.getFileName());
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        List<StepMetrics> metrics = MetricsLog.read(metricsFile);
        List<FileEntry> files = new ArrayList<>();
        files.add(Staging.publishFile(metricsFile, out, "metrics.jsonl"));
        if (!metrics.isEmpty()) {
          files.add(Artifacts.write(out, "loss.png", LossPlot.png(metrics, List.of(), recipe.name() + ": masked-LM pretraining",
              recipe.pretrain().sequenceCurriculum())));
        }
        // the same inputs give the same bytes on the same kernels: say which ones computed
        ObjectNode extra = StageManifest.object();
        extra.put("kernels", kernelsUsed);
        TrainingResult result = finish(trainer, job, recipe, local, files, metrics, seconds, extra, console);
        return result;
      }
    } finally {
      Staging.delete(local);
    }
  }

  /**
   * The end of a run, shared with multi-worker rounds: scores the holdout, exports {@code hf/}
   * (weights, config, tokenizer files) and writes {@code result.json} listing {@code files} and
   * everything written here; {@code extra} fields (may be null) go into the result as they are.
   */
  static TrainingResult finish(Pretrainer trainer, TrainingJob job, Recipe recipe, Path local, List<FileEntry> files,
      List<StepMetrics> metrics, double seconds, ObjectNode extra, PrintStream console) {
    ResourceId out = Artifacts.dir(job.outDir());
    CorpusOutput corpus = job.corpus();
    TokenShards.Dtype dtype = TokenShards.Dtype.valueOf(corpus.dtype());
    boolean scoreHoldout = !corpus.holdout().isEmpty() && job.holdoutBlocks() > 0;
    HoldoutScore score = scoreHoldout ? holdout(trainer, job, dtype, recipe.pretrain().microBatch()) : null;
    Path hf = local.resolve("hf");
    trainer.exportHuggingFace(hf);
    if (recipe.tokenizer().kind() == io.roberta.spec.TokenizerSpec.Kind.SENTENCEPIECE && job.tokenizer() != null) {
      // XLM-R's files (sentencepiece.bpe.model, tokenizer_config.json, model_type) from the staged model
      try {
        io.roberta.engine.io.XlmRobertaFiles.write(hf, job.tokenizer().local());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot write XLM-R's tokenizer files: " + e.getMessage(), e);
      }
    }
    files.addAll(Staging.publish(hf, out, "hf/"));
    if (job.tokenizer() != null) {
      // the Hugging Face tokenizer files; a SentencePiece model went in above as XLM-R's
      // sentencepiece.bpe.model (a second .model would make the folder ambiguous)
      for (FileEntry f : job.tokenizer().files()) {
        if (List.of("tokenizer.json", "vocab.json", "merges.txt").contains(f.name())) {
          files.add(Artifacts.copy(Artifacts.file(job.tokenizer().resource(), f.name()), out, "hf/" + f.name()));
        }
      }
    }
    Optional<JsonNode> initial = Artifacts.readJsonIfPresent(Artifacts.file(out, INITIAL));
    if (initial.isPresent()) {
      files.add(new FileEntry(INITIAL, Artifacts.size(Artifacts.file(out, INITIAL)).orElseThrow(),
          Artifacts.sha256(Artifacts.file(out, INITIAL))));
    }
    TrainingResult result = new TrainingResult(
        Artifacts.uri(out), trainer.step(), metrics.isEmpty() ? Double.NaN : metrics.get(metrics.size() - 1).loss(),
        score == null ? Double.NaN : score.loss(), score == null ? Double.NaN : score.accuracy(),
        score == null ? Double.NaN : score.baselineAccuracy(), score == null ? 0 : score.maskedTokens(), seconds);
    writeResult(out, result, score, initial.orElse(null), files, extra);
    if (score != null) {
      console.printf("pretrain: holdout masked-token accuracy %.4f vs %.4f for the best constant guess (token %d), loss %.4f, %,d masked tokens;"
          + " %.4f on the %,d whose input was <mask>%n", score.accuracy(), score.baselineAccuracy(), score.baselineToken(),
          score.loss(), score.maskedTokens(), score.accuracyAtMask(), score.maskInputs());
    }
    return result;
  }

  private static HoldoutScore holdout(Pretrainer trainer, TrainingJob job, TokenShards.Dtype dtype, int batch) {
    CorpusOutput corpus = job.corpus();
    try (TokenShards holdout = TokenShards.open(corpus.stageLocally(corpus.holdout()), dtype, corpus.blockLength())) {
      return trainer.evaluate(holdout, job.holdoutBlocks(), batch);
    }
  }

  private static void writeResult(ResourceId out, TrainingResult r, HoldoutScore score, JsonNode initial,
      List<FileEntry> files, ObjectNode extra) {
    ObjectNode o = StageManifest.object();
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
      o.put("holdoutMaskInputs", score.maskInputs());
      o.put("holdoutAccuracyAtMask", score.accuracyAtMask());
    }
    if (initial != null) {
      o.put("untrainedHoldoutLoss", initial.path("holdoutLoss").asDouble());
      o.put("untrainedHoldoutAccuracy", initial.path("holdoutAccuracy").asDouble());
    }
    if (extra != null) {
      o.setAll(extra);
    }
    o.set("files", StageManifest.filesNode(files));
    Artifacts.writeJson(out, RESULT, o);
  }
}
