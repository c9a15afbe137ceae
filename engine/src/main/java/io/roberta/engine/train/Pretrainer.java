package io.roberta.engine.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.Seeds;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.Parameters;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.ScheduleSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The masked-LM training loop: blocks in a per-epoch order drawn from the seed, masks drawn per
 * (seed, epoch, block), micro-batches accumulated to the global batch, global-norm clipping, AdamW
 * on the warm-up plus linear-decay schedule, checkpoints every N steps, {@code metrics.jsonl}.
 *
 * <p>Everything random is a pure function of the seed and the step, so the only state a resume
 * needs is the checkpoint: weights, AdamW moments and the step. Optimizer step {@code s}
 * (1-based) uses the learning rate {@code schedule.learningRate(s)} (fairseq's convention: the
 * first update already moves, the last one decays to zero).
 *
 * <pre>{@code
 * Pretrainer trainer = new Pretrainer(model, pretrain, shards, outDir, kernels, fingerprint);
 * trainer.resume(System.err::println);
 * trainer.train(pretrain.schedule().totalSteps(), listener);
 * }</pre>
 */
public final class Pretrainer implements AutoCloseable {
  /** Hears about every optimizer step and checkpoint. */
  public interface Listener {
    void onStep(StepMetrics metrics, long totalSteps);

    default void onCheckpoint(long step, Path dir) {}
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STATE = "state.json";
  private static final String MODEL = "model.safetensors";
  private static final String OPTIMIZER = "optimizer.safetensors";

  private final ModelSpec modelSpec;
  private final PretrainSpec spec;
  private final TokenShards train;
  private final Path outDir;
  private final String fingerprint;
  private final RobertaForMaskedLM model;
  private final AdamW optimizer;
  private final StepBatches batches;
  private final CheckpointStore checkpoints;
  private final MetricsLog metrics;
  private final int worker;
  private final int workers;
  private final int accumulation;
  private long step;
  private long skippedSteps;
  private boolean checkpointing = true;

  public Pretrainer(
      ModelSpec modelSpec, PretrainSpec spec, TokenShards train, Path outDir, Kernels kernels, String fingerprint) {
    this(modelSpec, spec, train, outDir, kernels, fingerprint, 0, 1);
  }

  /**
   * Worker {@code worker} of {@code workers} training at once (multi-worker rounds): it reads its
   * share of every global batch ({@link StepBatches}), draws dropout from the micro-batch's index in
   * the global batch (so one worker of one is the single trainer, bit for bit), and writes no
   * checkpoints of its own ({@link #writeState} is the round's).
   */
  public Pretrainer(ModelSpec modelSpec, PretrainSpec spec, TokenShards train, Path outDir, Kernels kernels,
      String fingerprint, int worker, int workers) {
    this(modelSpec, spec, train, outDir, kernels, fingerprint, worker, workers, false);
  }

  /** {@code ownShards}: {@code train} holds only this worker's shards (shard-affine rounds, {@link StepBatches}). */
  public Pretrainer(ModelSpec modelSpec, PretrainSpec spec, TokenShards train, Path outDir, Kernels kernels,
      String fingerprint, int worker, int workers, boolean ownShards) {
    if (train.blockLength() > modelSpec.maxSequenceLength()) {
      throw new IllegalArgumentException(
          "blocks of " + train.blockLength() + " tokens are longer than the model's " + modelSpec.maxSequenceLength());
    }
    if (train.blockCount() == 0) {
      throw new IllegalArgumentException("the training shards hold no blocks");
    }
    train.checkIdsBelow(modelSpec.vocabSize());
    this.modelSpec = modelSpec;
    this.spec = spec;
    this.train = train;
    this.outDir = outDir;
    this.fingerprint = fingerprint;
    this.model = new RobertaForMaskedLM(modelSpec, kernels);
    this.model.initialize(spec.seed());
    this.optimizer = new AdamW(
        spec.schedule().peakLearningRate(), spec.optimizer().beta1(), spec.optimizer().beta2(),
        spec.optimizer().epsilon(), spec.optimizer().weightDecay());
    this.batches = new StepBatches(modelSpec, spec, train, worker, workers, ownShards);
    this.worker = worker;
    this.workers = workers;
    this.accumulation = spec.batchSize() / workers / spec.microBatch();
    this.checkpoints = new CheckpointStore(outDir.resolve("checkpoints"), spec.keepCheckpoints());
    this.metrics = new MetricsLog(outDir.resolve("metrics.jsonl"));
  }

  public RobertaForMaskedLM model() {
    return model;
  }

  /** Steps skipped because their global batch had no masked token (counted, not applied). */
  public long skippedSteps() {
    return skippedSteps;
  }

  /** Optimizer steps completed. */
  public long step() {
    return step;
  }

  public CheckpointStore checkpoints() {
    return checkpoints;
  }

  /**
   * Loads the newest valid checkpoint, if any (a corrupt one is reported to {@code log} and the
   * previous one used), and drops metrics recorded after it. Returns the step it resumes from.
   */
  public long resume(Consumer<String> log) {
    Optional<Path> newest = checkpoints.newestValid(log);
    if (newest.isEmpty()) {
      step = 0;
      skippedSteps = 0;
      metrics.truncateAfter(0);
      return 0;
    }
    Path dir = newest.get();
    try {
      JsonNode state = JSON.readTree(dir.resolve(STATE).toFile());
      String saved = state.get("fingerprint").asText();
      if (!saved.equals(fingerprint)) {
        throw new IllegalStateException(
            dir + " belongs to another run (fingerprint " + saved + ", this run " + fingerprint
                + "); move it away or use a fresh output folder");
      }
      Parameters params = model.parameters();
      params.load(SafeTensors.read(dir.resolve(MODEL)), name -> false);
      SafeTensors opt = SafeTensors.read(dir.resolve(OPTIMIZER));
      Kernels k = params.kernels();
      Map<String, Tensor[]> moments = new HashMap<>();
      for (Parameters.Param p : params.all()) {
        if (opt.contains(p.name() + ".exp_avg")) {
          long[] shape = p.value().shape();
          moments.put(p.name(), new Tensor[] {
              k.fromFloats(opt.finiteFloats(p.name() + ".exp_avg", shape), shape),
              k.fromFloats(opt.finiteFloats(p.name() + ".exp_avg_sq", shape), shape)});
        }
      }
      optimizer.restore(state.get("optimizerSteps").asLong(), moments, k);
      step = state.get("step").asLong();
      skippedSteps = state.path("skippedSteps").asLong(0);
      metrics.truncateAfter(step);
      log.accept("resumed from " + dir + " at step " + step);
      return step;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load checkpoint " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Trains until {@code untilStep} optimizer steps are done (capped at the schedule's total). */
  public void train(long untilStep, Listener listener) {
    ScheduleSpec schedule = spec.schedule();
    long last = Math.min(untilStep, schedule.totalSteps());
    int t = train.blockLength();
    while (step < last) {
      long started = System.nanoTime();
      long s = step + 1;
      // The whole global batch is drawn first: the loss is a mean over all its masked tokens.
      StepBatches.Step batch = batches.forStep(step);
      long masked = batch.maskedTokens();
      Parameters params = model.parameters();
      params.zeroGrads();
      double lossSum = 0;
      long correct = 0;
      if (masked > 0) {
        for (int m = 0; m < accumulation; m++) {
          long micro = (long) worker * accumulation + m; // the micro-batch's index in the global batch
          RobertaForMaskedLM.Step r = model.trainStep(
              batch.batches()[m], batch.labels()[m], RunMode.training(Seeds.derive(spec.seed(), s, micro)), 1.0 / masked);
          lossSum += r.lossSum();
          correct += r.correct();
        }
      }
      double loss = masked == 0 ? 0 : lossSum / masked;
      double clip = spec.optimizer().gradClipNorm();
      double norm = clip > 0
          ? GradientClipping.clipGlobalNorm(params, clip)
          : GradientClipping.globalNorm(params);
      if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
        Optional<Path> good = checkpoints.newestValid(msg -> {});
        throw new TrainingDivergedException(
            "training diverged at step " + s + ": loss = " + loss + ", gradient norm = " + norm
                + "; stopped before the optimizer step. The last good checkpoint is "
                + good.map(Path::toString).orElse("none (no checkpoint written yet)")
                + "; lower the peak learning rate or enable gradient clipping (clipGradNorm) and resume");
      }
      double lr = schedule.learningRate(s);
      if (masked > 0) {
        optimizer.step(params, lr);
      } else {
        // Nothing to learn from (every block all padding or special tokens): an AdamW step would
        // still move the weights through decay and old moments, so the step is skipped and counted.
        skippedSteps++;
      }
      step = s;
      double seconds = (System.nanoTime() - started) / 1e9;
      StepMetrics sm = new StepMetrics(s, loss, masked == 0 ? 0 : (double) correct / masked, lr, norm,
          (double) spec.batchSize() / workers * t / seconds, masked);
      metrics.append(sm);
      listener.onStep(sm, schedule.totalSteps());
      if (workers == 1 && worker == 0 && checkpointing
          && (s % spec.checkpointInterval() == 0 || s == schedule.totalSteps())) {
        Path dir = saveCheckpoint();
        listener.onCheckpoint(s, dir);
      }
    }
  }

  /** Writes a checkpoint of the current step now. */
  public Path saveCheckpoint() {
    return checkpoints.save(step, this::writeStateFiles);
  }

  /**
   * Writes the training state (weights, AdamW moments, {@code state.json}) into {@code dir}: what
   * a round commits for each worker. Same bytes for the same state.
   */
  public void writeState(Path dir) {
    try {
      Files.createDirectories(dir);
      writeStateFiles(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the training state to " + dir + ": " + e.getMessage(), e);
    }
  }

  private void writeStateFiles(Path dir) throws IOException {
    Parameters params = model.parameters();
    Kernels k = params.kernels();
    {
      SafeTensors.write(dir.resolve(MODEL), params.values(), Map.of("format", "pt"));
      Map<String, TensorData> moments = new LinkedHashMap<>();
      for (Parameters.Param p : params.all()) {
        Tensor[] mv = optimizer.moments(p.name());
        if (mv != null) {
          moments.put(p.name() + ".exp_avg", TensorData.ofFloats(k.toFloats(mv[0]), p.value().shape()));
          moments.put(p.name() + ".exp_avg_sq", TensorData.ofFloats(k.toFloats(mv[1]), p.value().shape()));
        }
      }
      SafeTensors.write(dir.resolve(OPTIMIZER), moments, Map.of());
      ObjectNode state = JSON.createObjectNode();
      state.put("step", step);
      state.put("optimizerSteps", optimizer.steps());
      state.put("skippedSteps", skippedSteps);
      state.put("fingerprint", fingerprint);
      state.put("sequencesSeen", step * spec.batchSize());
      state.put("epoch", step * spec.batchSize() / train.blockCount());
      state.put("positionInEpoch", step * spec.batchSize() % train.blockCount());
      state.put("seed", spec.seed());
      state.put("learningRate", step == 0 ? 0.0 : spec.schedule().learningRate(step));
      JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(STATE).toFile(), state);
    }
  }

  /**
   * Starts from the given weights at {@code step} instead of a checkpoint: a round's worker takes
   * the global parameters and, after its first round, its own AdamW moments and counters from the
   * state it wrote ({@code optimizerState} null: fresh moments). Turns this trainer's own
   * checkpoints off; the round commits the state. Metrics after {@code step} are dropped.
   */
  public void startFrom(SafeTensors weights, SafeTensors optimizerState, long step, long optimizerSteps,
      long skippedSteps) {
    Parameters params = model.parameters();
    params.load(weights, name -> false);
    Kernels k = params.kernels();
    Map<String, Tensor[]> moments = new HashMap<>();
    if (optimizerState != null) {
      for (Parameters.Param p : params.all()) {
        if (optimizerState.contains(p.name() + ".exp_avg")) {
          long[] shape = p.value().shape();
          moments.put(p.name(), new Tensor[] {
              k.fromFloats(optimizerState.finiteFloats(p.name() + ".exp_avg", shape), shape),
              k.fromFloats(optimizerState.finiteFloats(p.name() + ".exp_avg_sq", shape), shape)});
        }
      }
    }
    optimizer.restore(optimizerSteps, moments, k);
    this.step = step;
    this.skippedSteps = skippedSteps;
    this.checkpointing = false;
    metrics.truncateAfter(step);
  }

  /** AdamW updates applied so far (skipped steps are not updates). */
  public long optimizerSteps() {
    return optimizer.steps();
  }

  /** Scores held-out blocks with fixed masks (the same every call): loss, accuracy, best constant guess. */
  public HoldoutScore evaluate(TokenShards holdout, int maxBlocks, int batchSize) {
    return HoldoutScore.evaluate(model, batches.masker(), holdout, maxBlocks, batchSize);
  }

  /** Writes {@code config.json} and {@code model.safetensors} that transformers opens. */
  public void exportHuggingFace(Path dir) {
    try {
      Files.createDirectories(dir);
      model.save(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot export the model to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Closes the metrics log and frees the model's weights, gradients and optimizer moments. */
  @Override
  public void close() {
    metrics.close();
    optimizer.close();
    model.close();
  }
}
