package io.roberta.pipelines.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.optim.OuterStep;
import io.roberta.engine.train.HoldoutScore;
import io.roberta.engine.train.MetricsLog;
import io.roberta.engine.train.Pretrainer;
import io.roberta.engine.train.StepMetrics;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.CrashPoint;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.Host;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.stage.Staging;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.RoundsSpec;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.resourcehints.ResourceHints;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Multi-worker pretraining in rounds (DiLoCo) as ordinary Beam transforms. One round:
 *
 * <pre>
 *   RoundRef (global parameters + outer momentum, by URI and SHA-256)
 *     -> FanOut: K worker tasks, keyed so that the runner spreads them over its workers
 *     -> GroupByKey (breaks fusion: the K tasks run in parallel)
 *     -> InnerTrain (the only step with the accelerator hint): H AdamW steps on the worker's share
 *        of every global batch; writes its optimizer state; emits its parameters in chunks
 *     -> GroupByKey by chunk -> OuterStep (exact mean in worker order, in double; Nesterov step)
 *     -> GroupByKey into one -> CommitRound (new global.safetensors + momentum.safetensors, the
 *        round's metrics, ROUND.json written last)
 *     -> RoundRef of the next round
 * </pre>
 *
 * Everything a worker computes is a pure function of the round's inputs, so a retried or
 * duplicated task writes the same bytes and sends the same chunks; duplicates are dropped by worker
 * index. Round 0 is the initial weights ({@link InitFn}).
 */
public final class Rounds {
  /** Floats per chunk a worker sends (4 MiB). */
  static final int CHUNK = 1 << 20;
  /** Holdout blocks the commit step scores the new global parameters on (the outer loss). */
  static final int ROUND_HOLDOUT_CAP = 64;
  /** Crash point: a round's files are written, its ROUND.json not yet. */
  public static final String ROUND_BEFORE_COMMIT = "round-before-commit";
  /** Pause point (tests): a worker finished an inner step. */
  public static final String INNER_STEP = "inner-step";

  private Rounds() {}

  /** Worker {@code worker}'s task in round {@code round} (1-based), starting from {@code previous}. */
  public record WorkerTask(RoundRef previous, int round, int worker) implements Serializable {}

  /** One chunk of a worker's parameters after its inner steps. */
  public record WorkerChunk(RoundRef previous, int worker, int chunk, String param, int offset, float[] values,
      short[] bf16Update) implements Serializable {
    int length() {
      return values != null ? values.length : bf16Update.length;
    }
  }

  /**
   * Where and how fast a worker trained, and the files it wrote (names relative to the round
   * folder); {@code startMillis}/{@code endMillis} are the worker's wall clock, so the commit can
   * tell workers that ran side by side from workers that ran one after another.
   */
  public record WorkerReport(int worker, List<FileEntry> files, String host, String process, String thread,
      String kernels, double seconds, long tokens, long steps, List<String> shards, long startMillis, long endMillis)
      implements Serializable {}

  /** What the commit step gathers: a chunk's new global values and momentum, or a worker report. */
  public record RoundPart(int chunk, String param, int offset, float[] global, float[] momentum, WorkerReport report)
      implements Serializable {}

  /** Parsed recipes by their JSON: every element of every round carries the same job, parse it once per JVM. */
  private static final Map<String, Recipe> PARSED = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Recipe> eldest) {
          return size() > 8;
        }
      });

  static Recipe recipe(TrainingJob job) {
    Recipe parsed = PARSED.get(job.recipeJson());
    if (parsed == null) {
      parsed = RecipeJson.read(job.recipeJson(), "training job of " + job.outDir());
      PARSED.put(job.recipeJson(), parsed);
    }
    return parsed;
  }

  static Kernels kernels(TrainingJob job, Recipe recipe) {
    return Backends.create(Backend.parse(job.backend()), Backends.precision(recipe.pretrain().precision()));
  }

  static ResourceId roundDir(TrainingJob job, int round) {
    return Artifacts.dir(Artifacts.dir(job.outDir()), "rounds/" + RoundRef.folderName(round) + "/");
  }

  /**
   * The training shards worker {@code worker} reads: all of them, or with shard-affine rounds the
   * shards {@code i} with {@code i % workers == worker}.
   */
  static List<CorpusOutput.Shard> workerShards(CorpusOutput corpus, RoundsSpec rounds, int worker) {
    if (!rounds.shardAffine()) {
      return corpus.train();
    }
    if (corpus.train().size() < rounds.workers()) {
      throw new IllegalArgumentException("pretrain.rounds.shardAffine needs at least one training shard per worker: "
          + corpus.dir() + " has " + corpus.train().size() + " for " + rounds.workers() + " workers (write more, smaller"
          + " shards in the corpus stage, or turn shardAffine off)");
    }
    List<CorpusOutput.Shard> own = new ArrayList<>();
    for (int i = worker; i < corpus.train().size(); i += rounds.workers()) {
      own.add(corpus.train().get(i));
    }
    return own;
  }

  /** The chunks of a parameter list: (name, offset, length) in the parameters' order. */
  static List<Object[]> chunks(Map<String, TensorData> params) {
    List<Object[]> out = new ArrayList<>();
    for (Map.Entry<String, TensorData> e : params.entrySet()) {
      long n = e.getValue().elementCount();
      for (long off = 0; off < n; off += CHUNK) {
        out.add(new Object[] {e.getKey(), (int) off, (int) Math.min(CHUNK, n - off)});
      }
    }
    return out;
  }

  /** Round 0: the initial weights from the recipe's seed (or the committed round 0 when there is one). */
  static final class InitFn extends DoFn<TrainingJob, RoundRef> {
    @ProcessElement
    public void process(@Element TrainingJob job, OutputReceiver<RoundRef> out) {
      ResourceId stage = Artifacts.dir(job.outDir());
      Optional<RoundRef> newest = RoundRef.newestCommitted(stage, job.stageFingerprint());
      if (newest.isPresent()) {
        out.output(newest.get());
        return;
      }
      Recipe recipe = recipe(job);
      CorpusOutput corpus = job.corpus();
      Path local = Staging.scratch("round-0");
      try (Kernels kernels = kernels(job, recipe);
          TokenShards train = TokenShards.open(corpus.stageLocally(someBlocks(corpus)),
              TokenShards.Dtype.valueOf(corpus.dtype()), corpus.blockLength());
          Pretrainer trainer = new Pretrainer(recipe.model(), recipe.pretrain(), train, local, kernels,
              job.stageFingerprint())) {
        ResourceId dir = roundDir(job, 0);
        Path weights = local.resolve(RoundRef.GLOBAL);
        SafeTensors.write(weights, trainer.model().parameters().values(), Map.of("format", "pt"));
        FileEntry global = Staging.publishFile(weights, dir, RoundRef.GLOBAL);
        ObjectNode commit = StageManifest.object();
        if (!corpus.holdout().isEmpty() && job.holdoutBlocks() > 0) {
          HoldoutScore initial = holdout(trainer, job, recipe.pretrain().microBatch(), job.holdoutBlocks());
          ObjectNode o = StageManifest.object();
          o.put("holdoutLoss", initial.loss());
          o.put("holdoutAccuracy", initial.accuracy());
          o.put("holdoutMaskedTokens", initial.maskedTokens());
          Artifacts.writeJson(stage, "initial-holdout.json", o);
          HoldoutScore round0 = roundHoldout(trainer, job, recipe);
          commit.put("holdoutLoss", round0.loss());
          commit.put("holdoutAccuracyAtMask", round0.accuracyAtMask());
        }
        out.output(commit(dir, job, 0, 0, 0, List.of(global), commit, List.of()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the initial weights: " + e.getMessage(), e);
      } finally {
        Staging.delete(local);
      }
    }
  }

  /**
   * One training shard with blocks in it: what a step that only builds a model (the initial
   * weights, the export) stages, instead of the whole corpus; the weights depend on the seed, not
   * on the data.
   */
  static List<CorpusOutput.Shard> someBlocks(CorpusOutput corpus) {
    for (CorpusOutput.Shard s : corpus.train()) {
      if (s.blocks() > 0) {
        return List.of(s);
      }
    }
    return corpus.train();
  }

  static HoldoutScore holdout(Pretrainer trainer, TrainingJob job, int batch, int blocks) {
    CorpusOutput corpus = job.corpus();
    try (TokenShards holdout = TokenShards.open(corpus.stageLocally(corpus.holdout()),
        TokenShards.Dtype.valueOf(corpus.dtype()), corpus.blockLength())) {
      return trainer.evaluate(holdout, blocks, batch);
    }
  }

  /** The outer loss: the global parameters' holdout loss on the first few holdout blocks. */
  static HoldoutScore roundHoldout(Pretrainer trainer, TrainingJob job, Recipe recipe) {
    return holdout(trainer, job, recipe.pretrain().microBatch(), Math.min(job.holdoutBlocks(), ROUND_HOLDOUT_CAP));
  }

  /** Writes ROUND.json (last) and returns the committed round. */
  static RoundRef commit(ResourceId dir, TrainingJob job, int round, long startStep, long endStep,
      List<FileEntry> files, ObjectNode body, List<ObjectNode> history) {
    StringBuilder digest = new StringBuilder();
    List<FileEntry> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(FileEntry::name));
    for (FileEntry f : sorted) {
      if (!f.name().endsWith("metrics.jsonl")) {
        digest.append(f.name()).append(' ').append(f.sha256()).append('\n');
      }
    }
    String stateSha = Artifacts.sha256(digest.toString().getBytes(StandardCharsets.UTF_8));
    body.put("round", round);
    body.put("startStep", startStep);
    body.put("endStep", endStep);
    body.put("fingerprint", job.stageFingerprint());
    body.put("stateSha256", stateSha);
    body.set("files", StageManifest.filesNode(files));
    ArrayNode h = body.putArray("history");
    for (ObjectNode o : history) {
      h.add(o);
    }
    ObjectNode self = StageManifest.object();
    self.put("round", round);
    self.put("endStep", endStep);
    self.put("stateSha256", stateSha);
    for (String k : List.of("innerLoss", "holdoutLoss", "holdoutAccuracyAtMask", "bytesToWorkers", "bytesFromWorkers", "allReduceBytes",
        "seconds", "wallSeconds", "tokensPerSecond")) {
      if (body.has(k)) {
        self.set(k, body.get(k));
      }
    }
    h.add(self);
    CrashPoint.reached(ROUND_BEFORE_COMMIT);
    Artifacts.writeJson(dir, RoundRef.COMMIT, body);
    return new RoundRef(round, endStep, Artifacts.uri(dir), files, stateSha);
  }

  /** One round as a transform: committed round in, next committed round out. */
  static final class Round extends PTransform<PCollection<RoundRef>, PCollection<RoundRef>> {
    private final TrainingJob job;
    private final int round;
    private final String accelerator;
    private final int[] keys;

    Round(TrainingJob job, int round, String accelerator, int[] keys) {
      this.job = job;
      this.round = round;
      this.accelerator = accelerator;
      this.keys = keys;
    }

    @Override
    public PCollection<RoundRef> expand(PCollection<RoundRef> previous) {
      TupleTag<KV<Integer, WorkerChunk>> chunkTag = new TupleTag<>() {};
      TupleTag<WorkerReport> reportTag = new TupleTag<>() {};
      TupleTag<KV<Integer, WorkerTask>> taskTag = new TupleTag<>() {};
      TupleTag<RoundRef> doneTag = new TupleTag<>() {};
      PretrainSpec spec = recipe(job).pretrain();
      int workers = spec.rounds().workersIn(round, spec.schedule().totalSteps());
      PCollectionTuple fanned = previous.apply("FanOut",
          ParDo.of(new FanOutFn(round, java.util.Arrays.copyOf(keys, workers), taskTag, doneTag))
              .withOutputTags(taskTag, TupleTagList.of(doneTag)));
      // a restarted pipeline that finds this round already committed passes it on untouched
      PCollection<RoundRef> alreadyDone = fanned.get(doneTag).setCoder(SerializableCoder.of(RoundRef.class));
      PCollection<WorkerTask> tasks = fanned.get(taskTag)
          .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(WorkerTask.class)))
          .apply("SpreadWorkers", GroupByKey.create())
          .apply("Tasks", ParDo.of(new UngroupFn()))
          .setCoder(SerializableCoder.of(WorkerTask.class));
      ParDo.MultiOutput<WorkerTask, KV<Integer, WorkerChunk>> train =
          ParDo.of(new InnerTrainFn(job, chunkTag, reportTag)).withOutputTags(chunkTag, TupleTagList.of(reportTag));
      if (accelerator != null) {
        train.setResourceHints(ResourceHints.create().withAccelerator(accelerator));
      }
      PCollectionTuple trained = tasks.apply(TrainModel.TRAIN_STEP, train);
      PCollection<KV<Integer, RoundPart>> outer = trained.get(chunkTag)
          .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(WorkerChunk.class)))
          .apply("GroupChunks", GroupByKey.create())
          .apply("OuterStep", ParDo.of(new OuterFn(job)))
          .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(RoundPart.class)));
      PCollection<KV<Integer, RoundPart>> reports = trained.get(reportTag)
          .setCoder(SerializableCoder.of(WorkerReport.class))
          .apply("Reports", ParDo.of(new DoFn<WorkerReport, KV<Integer, RoundPart>>() {
            @ProcessElement
            public void process(@Element WorkerReport r, OutputReceiver<KV<Integer, RoundPart>> out) {
              out.output(KV.of(0, new RoundPart(-1, null, 0, null, null, r)));
            }
          }))
          .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(RoundPart.class)));
      PCollection<RoundRef> committed = PCollectionList.of(outer).and(reports)
          .apply("Gather", Flatten.pCollections())
          .apply("GroupRound", GroupByKey.create())
          .apply(Values.create())
          .apply("CommitRound", ParDo.of(new CommitFn(job, round)))
          .setCoder(SerializableCoder.of(RoundRef.class));
      return PCollectionList.of(committed).and(alreadyDone).apply("Next", Flatten.pCollections());
    }
  }

  static final class FanOutFn extends DoFn<RoundRef, KV<Integer, WorkerTask>> {
    private final int round;
    private final int[] keys;
    private final TupleTag<KV<Integer, WorkerTask>> taskTag;
    private final TupleTag<RoundRef> doneTag;

    FanOutFn(int round, int[] keys, TupleTag<KV<Integer, WorkerTask>> taskTag, TupleTag<RoundRef> doneTag) {
      this.round = round;
      this.keys = keys;
      this.taskTag = taskTag;
      this.doneTag = doneTag;
    }

    @ProcessElement
    public void process(@Element RoundRef previous, MultiOutputReceiver out) {
      if (previous.round() >= round) {
        out.get(doneTag).output(previous);
        return;
      }
      if (previous.round() != round - 1) {
        throw new IllegalStateException("round " + round + " needs round " + (round - 1) + " but got round "
            + previous.round() + " from " + previous.dir());
      }
      for (int w = 0; w < keys.length; w++) {
        out.get(taskTag).output(KV.of(keys[w], new WorkerTask(previous, round, w)));
      }
    }
  }

  static final class UngroupFn extends DoFn<KV<Integer, Iterable<WorkerTask>>, WorkerTask> {
    @ProcessElement
    public void process(@Element KV<Integer, Iterable<WorkerTask>> kv, OutputReceiver<WorkerTask> out) {
      for (WorkerTask t : kv.getValue()) {
        out.output(t);
      }
    }
  }

  /** H inner steps of one worker. */
  static final class InnerTrainFn extends DoFn<WorkerTask, KV<Integer, WorkerChunk>> {
    private final TrainingJob job;
    private final TupleTag<KV<Integer, WorkerChunk>> chunkTag;
    private final TupleTag<WorkerReport> reportTag;

    InnerTrainFn(TrainingJob job, TupleTag<KV<Integer, WorkerChunk>> chunkTag, TupleTag<WorkerReport> reportTag) {
      this.job = job;
      this.chunkTag = chunkTag;
      this.reportTag = reportTag;
    }

    @ProcessElement
    public void process(@Element WorkerTask task, MultiOutputReceiver out) {
      long started = System.nanoTime();
      long startMillis = System.currentTimeMillis();
      Recipe recipe = recipe(job);
      PretrainSpec spec = recipe.pretrain();
      RoundsSpec rounds = spec.rounds();
      int w = task.worker();
      RoundRef prev = task.previous();
      long total = spec.schedule().totalSteps();
      long end = rounds.endStep(task.round() - 1, total);
      // one worker on the whole global batch in the synchronous phase, K after it
      int k = rounds.workersIn(task.round(), total);
      boolean ownShards = rounds.shardAffine() && k > 1;
      ResourceId prevDir = prev.resource();
      ResourceId dir = roundDir(job, task.round());
      String prefix = RoundRef.workerPrefix(w);
      CorpusOutput corpus = job.corpus();
      Path local = Staging.scratch("round-" + task.round() + "-w" + w);
      List<CorpusOutput.Shard> shards = ownShards ? workerShards(corpus, rounds, w) : corpus.train();
      try (Kernels kernels = kernels(job, recipe);
          TokenShards train = TokenShards.open(corpus.stageLocally(shards),
              TokenShards.Dtype.valueOf(corpus.dtype()), corpus.blockLength());
          Pretrainer trainer = new Pretrainer(recipe.model(), spec, train, local, kernels, job.stageFingerprint(),
              w, k, ownShards)) {
        SafeTensors weights = SafeTensors.read(Staging.file(Artifacts.file(prevDir, RoundRef.GLOBAL),
            prev.entry(RoundRef.GLOBAL)));
        // a worker's own inner state from its previous round; at the first round after the
        // synchronous phase, every worker starts from the one synchronous worker's
        String statePrefix = prev.entry(prefix + "optimizer.safetensors") == null && rounds.syncSteps() > 0
            && prev.endStep() == rounds.syncSteps() ? RoundRef.workerPrefix(0) : prefix;
        FileEntry optEntry = prev.entry(statePrefix + "optimizer.safetensors");
        SafeTensors optimizer = null;
        long optimizerSteps = 0;
        long skipped = 0;
        if (optEntry != null) {
          optimizer = SafeTensors.read(Staging.file(Artifacts.file(prevDir, optEntry.name()), optEntry));
          FileEntry stateEntry = prev.entry(statePrefix + "state.json");
          JsonNode state = Artifacts.JSON.readTree(Staging.read(
              Staging.file(Artifacts.file(prevDir, stateEntry.name()), stateEntry)));
          optimizerSteps = state.path("optimizerSteps").asLong();
          skipped = state.path("skippedSteps").asLong();
        }
        trainer.startFrom(weights, optimizer, prev.endStep(), optimizerSteps, skipped);
        ProgressLine progress = new ProgressLine(System.err, 30);
        String label = String.format(Locale.ROOT, "round %d worker %d: ", task.round(), w);
        trainer.train(end, new Pretrainer.Listener() {
          @Override
          public void onStep(StepMetrics m, long totalSteps) {
            progress.onStep(m, totalSteps, label);
            CrashPoint.pauseIfAsked(INNER_STEP, m.step());
          }
        });
        Path state = local.resolve("state");
        trainer.writeState(state);
        List<FileEntry> files = new ArrayList<>();
        files.add(Staging.publishFile(state.resolve("optimizer.safetensors"), dir, prefix + "optimizer.safetensors"));
        files.add(Staging.publishFile(state.resolve("state.json"), dir, prefix + "state.json"));
        files.add(Staging.publishFile(local.resolve("metrics.jsonl"), dir, prefix + "metrics.jsonl"));
        Map<String, TensorData> params = trainer.model().parameters().values();
        // the synchronous phase sends the worker's FP32 parameters: they become the global ones as they are
        boolean bf16 = rounds.bf16Deltas() && k > 1;
        int c = 0;
        String converted = null; // each tensor is converted once, not once per chunk
        float[] all = null;
        float[] start = null;
        for (Object[] ch : chunks(params)) {
          if (!ch[0].equals(converted)) {
            converted = (String) ch[0];
            all = params.get(converted).toFloats();
            start = bf16 ? weights.tensor(converted).toFloats() : null;
          }
          int off = (Integer) ch[1];
          int len = (Integer) ch[2];
          float[] part = java.util.Arrays.copyOfRange(all, off, off + len);
          WorkerChunk chunk;
          if (bf16) {
            short[] update = new short[len];
            for (int i = 0; i < len; i++) {
              update[i] = OuterStep.toBf16(part[i] - start[off + i]);
            }
            chunk = new WorkerChunk(prev, w, c, (String) ch[0], off, null, update);
          } else {
            chunk = new WorkerChunk(prev, w, c, (String) ch[0], off, part, null);
          }
          out.get(chunkTag).output(KV.of(c, chunk));
          c++;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        long tokens = (end - prev.endStep()) * spec.batchSize() / k * corpus.blockLength();
        List<String> read = new ArrayList<>();
        for (CorpusOutput.Shard sh : shards) {
          read.add(sh.file().name());
        }
        out.get(reportTag).output(new WorkerReport(w, files, Host.name(), ManagementFactory.getRuntimeMXBean().getName(),
            Thread.currentThread().getName(), kernels.describe(), seconds, tokens, end - prev.endStep(), read, startMillis,
            System.currentTimeMillis()));
      } catch (IOException e) {
        throw new UncheckedIOException("round " + task.round() + " worker " + w + ": " + e.getMessage(), e);
      } finally {
        Staging.delete(local);
      }
    }
  }

  /** The exact mean and outer step of one chunk. */
  static final class OuterFn extends DoFn<KV<Integer, Iterable<WorkerChunk>>, KV<Integer, RoundPart>> {
    private final TrainingJob job;
    private transient String cachedSha;
    private transient SafeTensors cachedGlobal;
    private transient SafeTensors cachedMomentum;

    OuterFn(TrainingJob job) {
      this.job = job;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<WorkerChunk>> kv, OutputReceiver<KV<Integer, RoundPart>> out)
        throws IOException {
      PretrainSpec spec = recipe(job).pretrain();
      RoundsSpec rounds = spec.rounds();
      // worker order, one chunk per worker: a duplicated (retried) task sent the same bytes
      TreeMap<Integer, WorkerChunk> byWorker = new TreeMap<>();
      for (WorkerChunk c : kv.getValue()) {
        byWorker.putIfAbsent(c.worker(), c);
      }
      WorkerChunk first = byWorker.firstEntry().getValue();
      int round = first.previous().round() + 1;
      int k = rounds.workersIn(round, spec.schedule().totalSteps());
      if (byWorker.size() != k) {
        throw new IllegalStateException("chunk " + kv.getKey() + " (" + first.param() + ") of round "
            + round + " came from workers " + byWorker.keySet() + ", expected 0.." + (k - 1));
      }
      RoundRef prev = first.previous();
      FileEntry g = prev.entry(RoundRef.GLOBAL);
      if (!g.sha256().equals(cachedSha)) {
        cachedGlobal = SafeTensors.read(Staging.file(Artifacts.file(prev.resource(), RoundRef.GLOBAL), g));
        FileEntry m = prev.entry(RoundRef.MOMENTUM);
        cachedMomentum = m == null ? null
            : SafeTensors.read(Staging.file(Artifacts.file(prev.resource(), RoundRef.MOMENTUM), m));
        cachedSha = g.sha256();
      }
      int n = first.length();
      float[] global = slice(cachedGlobal.tensor(first.param()).toFloats(), first.offset(), n);
      float[] momentum = cachedMomentum == null ? null
          : slice(cachedMomentum.tensor(first.param()).toFloats(), first.offset(), n);
      OuterStep.Result r;
      if (k == 1 && rounds.syncSteps() > 0) {
        // the synchronous phase: the one worker's parameters are the global ones, no outer step
        r = new OuterStep.Result(first.values(), momentum == null ? new float[n] : momentum);
      } else if (rounds.bf16Deltas()) {
        List<short[]> updates = new ArrayList<>();
        for (WorkerChunk c : byWorker.values()) {
          updates.add(c.bf16Update());
        }
        r = OuterStep.applyBf16(global, momentum, updates, rounds.outerLearningRateIn(round), rounds.outerMomentum(),
            rounds.nesterov());
      } else {
        List<float[]> workers = new ArrayList<>();
        for (WorkerChunk c : byWorker.values()) {
          workers.add(c.values());
        }
        r = OuterStep.apply(global, momentum, workers, rounds.outerLearningRateIn(round), rounds.outerMomentum(),
            rounds.nesterov());
      }
      out.output(KV.of(0, new RoundPart(kv.getKey(), first.param(), first.offset(), r.global(), r.momentum(), null)));
    }

    private static float[] slice(float[] all, int offset, int length) {
      return java.util.Arrays.copyOfRange(all, offset, offset + length);
    }
  }

  /** Writes the round's new global parameters, momentum and metrics, then its ROUND.json. */
  static final class CommitFn extends DoFn<Iterable<RoundPart>, RoundRef> {
    private final TrainingJob job;
    private final int round;

    CommitFn(TrainingJob job, int round) {
      this.job = job;
      this.round = round;
    }

    @ProcessElement
    public void process(@Element Iterable<RoundPart> parts, OutputReceiver<RoundRef> out) throws IOException {
      long started = System.nanoTime();
      Recipe recipe = recipe(job);
      PretrainSpec spec = recipe.pretrain();
      RoundsSpec rounds = spec.rounds();
      TreeMap<Integer, RoundPart> chunks = new TreeMap<>();
      TreeMap<Integer, WorkerReport> reports = new TreeMap<>();
      for (RoundPart p : parts) {
        if (p.report() != null) {
          reports.putIfAbsent(p.report().worker(), p.report());
        } else {
          chunks.putIfAbsent(p.chunk(), p);
        }
      }
      int k = rounds.workersIn(round, spec.schedule().totalSteps());
      if (reports.size() != k) {
        throw new IllegalStateException("round " + round + ": reports from workers " + reports.keySet()
            + ", expected 0.." + (k - 1));
      }
      ResourceId dir = roundDir(job, round);
      ResourceId stage = Artifacts.dir(job.outDir());
      // the round before this one, as committed (kept until the round after this one commits, so a
      // repeated commit of this round still finds it)
      ResourceId prevDir = roundDir(job, round - 1);
      Optional<JsonNode> prevCommit = Artifacts.readJsonIfPresent(Artifacts.file(prevDir, RoundRef.COMMIT));
      if (prevCommit.isEmpty() || !job.stageFingerprint().equals(prevCommit.get().path("fingerprint").asText())) {
        throw new IllegalStateException("round " + round + " commits after round " + (round - 1) + ", but "
            + Artifacts.file(prevDir, RoundRef.COMMIT) + " is missing or belongs to another run");
      }
      RoundRef prev = RoundRef.of(Artifacts.uri(prevDir), prevCommit.get());
      SafeTensors prevGlobal = SafeTensors.read(Staging.file(Artifacts.file(prev.resource(), RoundRef.GLOBAL),
          prev.entry(RoundRef.GLOBAL)));
      // the new tensors in the previous file's order, filled chunk by chunk
      Map<String, float[]> global = new LinkedHashMap<>();
      Map<String, float[]> momentum = new LinkedHashMap<>();
      Map<String, long[]> shapes = new LinkedHashMap<>();
      for (Map.Entry<String, TensorData> e : prevGlobal.tensors().entrySet()) {
        int n = (int) e.getValue().elementCount();
        global.put(e.getKey(), new float[n]);
        momentum.put(e.getKey(), new float[n]);
        shapes.put(e.getKey(), e.getValue().shape());
      }
      List<Object[]> expected = chunks(prevGlobal.tensors());
      if (chunks.size() != expected.size()) {
        throw new IllegalStateException("round " + round + ": " + chunks.size() + " chunks reached the commit, the"
            + " model has " + expected.size());
      }
      for (RoundPart p : chunks.values()) {
        System.arraycopy(p.global(), 0, global.get(p.param()), p.offset(), p.global().length);
        System.arraycopy(p.momentum(), 0, momentum.get(p.param()), p.offset(), p.momentum().length);
      }
      Path local = Staging.scratch("round-" + round + "-commit");
      try {
        Map<String, TensorData> g = new LinkedHashMap<>();
        Map<String, TensorData> m = new LinkedHashMap<>();
        for (String name : global.keySet()) {
          g.put(name, TensorData.ofFloats(global.get(name), shapes.get(name)));
          m.put(name, TensorData.ofFloats(momentum.get(name), shapes.get(name)));
        }
        SafeTensors.write(local.resolve(RoundRef.GLOBAL), g, Map.of("format", "pt"));
        SafeTensors.write(local.resolve(RoundRef.MOMENTUM), m, Map.of());
        List<FileEntry> files = new ArrayList<>();
        files.add(Staging.publishFile(local.resolve(RoundRef.GLOBAL), dir, RoundRef.GLOBAL));
        files.add(Staging.publishFile(local.resolve(RoundRef.MOMENTUM), dir, RoundRef.MOMENTUM));
        ObjectNode body = StageManifest.object();
        ArrayNode placement = body.putArray("workers");
        double slowest = 0;
        long tokens = 0;
        long firstStart = Long.MAX_VALUE;
        long lastEnd = Long.MIN_VALUE;
        List<List<StepMetrics>> perWorker = new ArrayList<>();
        for (WorkerReport r : reports.values()) {
          firstStart = Math.min(firstStart, r.startMillis());
          lastEnd = Math.max(lastEnd, r.endMillis());
          files.addAll(r.files());
          ObjectNode o = placement.addObject();
          o.put("worker", r.worker());
          o.put("host", r.host());
          o.put("process", r.process());
          o.put("thread", r.thread());
          o.put("kernels", r.kernels());
          ArrayNode read = o.putArray("shards");
          r.shards().forEach(read::add);
          o.put("seconds", r.seconds());
          o.put("tokensPerSecond", r.tokens() / Math.max(r.seconds(), 1e-9));
          slowest = Math.max(slowest, r.seconds());
          tokens += r.tokens();
          ResourceId metrics = Artifacts.file(dir, RoundRef.workerPrefix(r.worker()) + "metrics.jsonl");
          perWorker.add(MetricsLog.parse(new String(Artifacts.read(metrics), StandardCharsets.UTF_8), metrics.toString()));
        }
        List<StepMetrics> merged = merge(perWorker);
        StringBuilder lines = new StringBuilder();
        double lossSum = 0;
        for (StepMetrics sm : merged) {
          lines.append(MetricsLog.line(sm)).append('\n');
          lossSum += sm.loss();
        }
        // the round's merged metrics stay when old rounds are pruned
        Artifacts.write(Artifacts.dir(stage, "metrics/"), String.format("round-%06d.jsonl", round),
            lines.toString().getBytes(StandardCharsets.UTF_8));
        long params = 0;
        for (float[] f : global.values()) {
          params += f.length;
        }
        long steps = rounds.endStep(round - 1, spec.schedule().totalSteps()) - prev.endStep();
        body.put("innerLoss", merged.isEmpty() ? Double.NaN : lossSum / merged.size());
        body.put("parameters", params);
        if (k > 1 && rounds.outerWarmupRounds() > 0) {
          body.put("outerLearningRate", rounds.outerLearningRateIn(round));
        }
        body.put("bytesToWorkers", 4L * params * k);
        body.put("bytesFromWorkers", (rounds.bf16Deltas() && k > 1 ? 2L : 4L) * params * k);
        // a ring all-reduce of fp32 gradients at every step moves 2 (K-1)/K of the model per worker
        body.put("allReduceBytes", k == 1 ? 0 : 2L * (k - 1) * 4L * params * steps);
        // Workers that shared one slot ran one after another: the round's rate is over the span from
        // the first start to the last end (the workers' clocks; never less than the slowest worker).
        double wall = Math.max(slowest, (lastEnd - firstStart) / 1e3);
        body.put("seconds", slowest);
        body.put("wallSeconds", wall);
        body.put("tokensPerSecond", tokens / Math.max(wall, 1e-9));
        if (!job.corpus().holdout().isEmpty() && job.holdoutBlocks() > 0) {
          CorpusOutput corpus = job.corpus();
          // the scorer only needs some blocks to open with: the holdout's, so the commit never stages the corpus
          try (Kernels kernels = kernels(job, recipe);
              TokenShards holdout = TokenShards.open(corpus.stageLocally(corpus.holdout()),
                  TokenShards.Dtype.valueOf(corpus.dtype()), corpus.blockLength());
              Pretrainer scorer = new Pretrainer(recipe.model(), spec, holdout, local.resolve("score"), kernels,
                  job.stageFingerprint())) {
            scorer.startFrom(SafeTensors.read(local.resolve(RoundRef.GLOBAL)), null, 0, 0, 0);
            HoldoutScore score = scorer.evaluate(holdout, Math.min(job.holdoutBlocks(), ROUND_HOLDOUT_CAP),
                spec.microBatch());
            body.put("holdoutLoss", score.loss());
            body.put("holdoutAccuracyAtMask", score.accuracyAtMask());
          }
        }
        List<ObjectNode> history = new ArrayList<>();
        for (JsonNode h : prevCommit.get().path("history")) {
          history.add((ObjectNode) h);
        }
        RoundRef ref = commit(dir, job, round, prev.endStep(), prev.endStep() + steps, files, body, history);
        long total = spec.schedule().totalSteps();
        long rest = rounds.rounds(total) - round;
        System.err.printf(Locale.ROOT, "round %d/%d (steps %d..%d of %d): %d worker%s done, inner loss %.3f%s,"
                + " %,.0f tok/s in total (%,.0f per worker), %s moved (per-step all-reduce: %s), ETA %s%n",
            round, rounds.rounds(total), prev.endStep() + 1, ref.endStep(), total, k, k == 1 ? "" : "s",
            body.path("innerLoss").asDouble(),
            body.has("holdoutLoss") ? String.format(Locale.ROOT, ", holdout loss %.3f (accuracy at <mask> %.3f)",
                body.path("holdoutLoss").asDouble(), body.path("holdoutAccuracyAtMask").asDouble()) : "",
            tokens / Math.max(wall, 1e-9), tokens / Math.max(slowest, 1e-9) / k,
            bytes(body.path("bytesToWorkers").asLong() + body.path("bytesFromWorkers").asLong()),
            bytes(body.path("allReduceBytes").asLong()),
            ProgressLine.duration(Math.round(rest * (wall + (System.nanoTime() - started) / 1e9))));
        prune(stage, job, spec, round);
        out.output(ref);
      } finally {
        Staging.delete(local);
      }
    }
  }

  /** The global batch's metrics of each step from the workers' own (mean over all masked tokens). */
  static List<StepMetrics> merge(List<List<StepMetrics>> perWorker) {
    List<StepMetrics> out = new ArrayList<>();
    int steps = perWorker.get(0).size();
    for (int i = 0; i < steps; i++) {
      double loss = 0;
      double correct = 0;
      double norm2 = 0;
      double rate = 0;
      long masked = 0;
      StepMetrics first = perWorker.get(0).get(i);
      for (List<StepMetrics> w : perWorker) {
        StepMetrics m = w.get(i);
        loss += m.loss() * m.maskedTokens();
        correct += m.accuracy() * m.maskedTokens();
        norm2 += m.gradNorm() * m.gradNorm();
        rate += m.tokensPerSecond();
        masked += m.maskedTokens();
      }
      if (perWorker.size() == 1) {
        out.add(first);
      } else {
        out.add(new StepMetrics(first.step(), masked == 0 ? 0 : loss / masked, masked == 0 ? 0 : correct / masked,
            first.learningRate(), Math.sqrt(norm2 / perWorker.size()), rate, masked));
      }
    }
    return out;
  }

  /**
   * Deletes the state of rounds that are neither among the newest {@code keepCheckpoints}
   * checkpoint rounds (rounds ending on a multiple of {@code checkpointInterval}) nor the newest
   * two rounds; the marker goes first, so a half-pruned round is never taken for a committed one.
   */
  static void prune(ResourceId stage, TrainingJob job, PretrainSpec spec, int newest) {
    RoundsSpec rounds = spec.rounds();
    long total = spec.schedule().totalSteps();
    List<Integer> checkpoints = new ArrayList<>();
    for (int r = newest; r >= 0 && checkpoints.size() < spec.keepCheckpoints(); r--) {
      long end = r == 0 ? 0 : rounds.endStep(r - 1, total);
      if (r == 0 || end % spec.checkpointInterval() == 0 || end == total) {
        checkpoints.add(r);
      }
    }
    // the newest round and the one before it stay: a repeated commit of the newest reads its predecessor
    for (int r = newest - 2; r >= 0; r--) {
      if (checkpoints.contains(r)) {
        continue;
      }
      ResourceId dir = roundDir(job, r);
      ResourceId marker = Artifacts.file(dir, RoundRef.COMMIT);
      Optional<JsonNode> commit = Artifacts.readJsonIfPresent(marker);
      if (commit.isEmpty()) {
        continue;
      }
      Artifacts.delete(List.of(marker));
      List<ResourceId> files = new ArrayList<>();
      for (FileEntry f : StageManifest.files(commit.get())) {
        if (!f.name().endsWith("metrics.jsonl")) { // each worker's own metrics stay
          files.add(Artifacts.file(dir, f.name()));
        }
      }
      Artifacts.delete(files);
    }
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
  }
}
