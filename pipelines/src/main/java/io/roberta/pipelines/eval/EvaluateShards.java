package io.roberta.pipelines.eval;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.finetune.Feature;
import io.roberta.pipelines.finetune.TaskEncoder;
import io.roberta.pipelines.finetune.TaskHead;
import io.roberta.pipelines.tasks.TaskExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Sharded evaluation of a fine-tuned model: examples in, one {@link Prediction} per example and
 * one {@link TaskReport} out (and, given an output folder, {@code predictions.jsonl}, {@code
 * report.json} and {@code report.md}).
 *
 * <p>Examples go in fixed batches (batch {@code index / batchSize}) and each batch to shard
 * {@code batch % shards}; every worker loads the model and tokenizer once ({@code @Setup}) and runs
 * each batch through the model in length-sorted groups of {@value RunModelFn#SCORE_GROUP} features
 * (less padding). Batches and groups are the same whatever the shard count or runner,
 * and {@link ScoreTask} scores all predictions in example order, so 1 or 100 shards, DirectRunner
 * or Flink, give identical predictions and metrics. Example indices must be unique.
 *
 * <pre>{@code
 * EvaluateShards.Result r = examples.apply("EvaluateGenre",
 *     EvaluateShards.of(model, EvalTask.of(testData, 128)).shards(8).batchSize(32).writeTo(outDir));
 * }</pre>
 */
public final class EvaluateShards extends PTransform<PCollection<TaskExample>, EvaluateShards.Result> {
  private final FolderRef model;
  private final EvalTask task;
  private final int shards;
  private final int batchSize;
  private final String outputDir;
  private final String backend;

  private EvaluateShards(FolderRef model, EvalTask task, int shards, int batchSize, String outputDir, String backend) {
    if (shards < 1) {
      throw new IllegalArgumentException("eval shards = " + shards + ", must be >= 1");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("eval batchSize = " + batchSize + ", must be >= 1");
    }
    this.model = model;
    this.task = task;
    this.shards = shards;
    this.batchSize = batchSize;
    this.outputDir = outputDir;
    this.backend = backend;
  }

  /**
   * Evaluates the fine-tuned model {@code model} (HF files plus {@code tokenizer.json}, on any
   * file system; each worker stages a checked local copy once).
   */
  public static EvaluateShards of(FolderRef model, EvalTask task) {
    return new EvaluateShards(model, task, 1, 32, null, "auto");
  }

  public EvaluateShards shards(int shards) {
    return new EvaluateShards(model, task, shards, batchSize, outputDir, backend);
  }

  public EvaluateShards batchSize(int batchSize) {
    return new EvaluateShards(model, task, shards, batchSize, outputDir, backend);
  }

  /** The kernels backend ({@code --backend}: nd4j, cuda, auto). */
  public EvaluateShards backend(String name) {
    return new EvaluateShards(model, task, shards, batchSize, outputDir, name);
  }

  /** Also writes {@code predictions.jsonl}, {@code report.json} and {@code report.md} there. */
  public EvaluateShards writeTo(String dir) {
    return new EvaluateShards(model, task, shards, batchSize, dir, backend);
  }

  /** The predictions (one per example) and the single report. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<Prediction> predictions;
    private final PCollection<TaskReport> report;

    Result(Pipeline pipeline, PCollection<Prediction> predictions, PCollection<TaskReport> report) {
      this.pipeline = pipeline;
      this.predictions = predictions;
      this.report = report;
    }

    public PCollection<Prediction> predictions() {
      return predictions;
    }

    public PCollection<TaskReport> report() {
      return report;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(new TupleTag<Prediction>("predictions"), predictions, new TupleTag<TaskReport>("report"), report);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  @Override
  public Result expand(PCollection<TaskExample> examples) {
    if (model.has("config.json") && model.files().stream().allMatch(f -> f.size() > 0)) {
      // now, when the model exists (not a plan's placeholder); workers check again. The driver
      // stages config.json alone, not the weights.
      try {
        ModelTaskFit.checkConfig(model.localFile("config.json"), task);
      } catch (io.roberta.engine.io.ModelFileException e) {
        throw e.at(model.dir() + "/config.json");
      }
    }
    int b = batchSize;
    int n = shards;
    PCollection<KV<Integer, TaskExample>> byShard = examples
        .apply("AssignShards", MapElements
            .into(new TypeDescriptor<KV<Integer, TaskExample>>() {})
            .via(e -> KV.of((int) ((e.index() / b) % n), e)))
        .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(TaskExample.class)));
    PCollection<Prediction> predictions = byShard
        .apply("GroupByShard", GroupByKey.create())
        .apply("RunModel", ParDo.of(new RunModelFn(model, task, batchSize, backend)))
        .setCoder(SerializableCoder.of(Prediction.class));
    PCollection<ScoreTask.Scored> scored = predictions
        .apply("CombineMetrics", Combine.globally(new ScoreTask(task)).withoutDefaults())
        .setCoder(SerializableCoder.of(ScoreTask.Scored.class));
    PCollection<TaskReport> report = scored
        .apply("WriteReport", ParDo.of(new WriteReportFn(outputDir)))
        .setCoder(SerializableCoder.of(TaskReport.class));
    return new Result(examples.getPipeline(), predictions, report);
  }

  /** The Beam counter of scored examples (namespace {@code EvaluateShards}), for progress lines. */
  public static final String EXAMPLES_SCORED = "examplesScored";

  /** Runs each batch of a shard through the model, loaded once per DoFn instance. */
  static final class RunModelFn extends DoFn<KV<Integer, Iterable<TaskExample>>, Prediction> {
    /** Features per forward pass: a batch's features go through the model in length-sorted groups of this many. */
    static final int SCORE_GROUP = 16;
    private final Counter scored = Metrics.counter(EvaluateShards.class, EXAMPLES_SCORED);
    private final FolderRef model;
    private final EvalTask task;
    private final int batchSize;
    private final String backend;
    private transient RobertaTokenizer tokenizer;
    private transient TaskEncoder encoder;
    private transient TaskHead head;
    private transient Kernels kernels;

    RunModelFn(FolderRef model, EvalTask task, int batchSize, String backend) {
      this.model = model;
      this.task = task;
      this.batchSize = batchSize;
      this.backend = backend;
    }

    @Setup
    public void setup() {
      // One tokenizer and model per DoFn instance: DJL's encoder is not promised thread safe, and
      // the kernels free activations per thread.
      var local = model.local();
      ModelTaskFit.check(local, task);
      kernels = Backends.create(Backend.parse(backend), KernelPrecision.FP32);
      try {
        head = TaskHead.load(local, task.head(), kernels);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load the model in " + model.dir() + ": " + e.getMessage(), e);
      }
      tokenizer = RobertaTokenizer.load(local);
      encoder = new TaskEncoder(tokenizer, head.model().spec().specialTokens(), task.head(), task.labels(),
          Math.min(task.maxSequenceLength(), head.model().spec().maxPositions() - 2));
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<TaskExample>> shard, OutputReceiver<Prediction> out) {
      List<TaskExample> examples = new ArrayList<>();
      shard.getValue().forEach(examples::add);
      examples.sort(Comparator.comparingLong(TaskExample::index));
      int from = 0;
      while (from < examples.size()) {
        long batchId = examples.get(from).index() / batchSize;
        int to = from;
        while (to < examples.size() && examples.get(to).index() / batchSize == batchId) {
          to++;
        }
        predictBatch(examples.subList(from, to), out);
        from = to;
      }
    }

    private void predictBatch(List<TaskExample> batch, OutputReceiver<Prediction> out) {
      List<List<Feature>> perExample = new ArrayList<>();
      List<Feature> all = new ArrayList<>();
      for (TaskExample e : batch) {
        List<Feature> f = encoder.encode(e);
        perExample.add(f);
        all.addAll(f);
      }
      List<float[]> scores = scoreByLength(all);
      int at = 0;
      for (int i = 0; i < batch.size(); i++) {
        List<Feature> f = perExample.get(i);
        out.output(Predictor.predict(batch.get(i), task.labels(), f, scores.subList(at, at + f.size()), task.head()));
        at += f.size();
      }
      scored.inc(batch.size());
    }

    /**
     * Scores of {@code features}, in their order, computed in groups of at most {@link
     * #SCORE_GROUP} features of similar length (sorted by length, ties in order): a batch of
     * sentences of 10 to 128 tokens padded to its longest spent most of its time on padding.
     * The groups depend only on the batch, so every runner and shard count scores the same groups.
     */
    private List<float[]> scoreByLength(List<Feature> features) {
      Integer[] order = new Integer[features.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, Comparator.comparingInt(i -> features.get(i).length())); // stable
      float[][] out = new float[order.length][];
      int group = Math.min(batchSize, SCORE_GROUP);
      for (int from = 0; from < order.length; from += group) {
        List<Feature> part = new ArrayList<>(group);
        for (int i = from; i < Math.min(order.length, from + group); i++) {
          part.add(features.get(order[i]));
        }
        float[][] s = head.scores(part);
        for (int i = 0; i < s.length; i++) {
          out[order[from + i]] = s[i];
        }
      }
      return java.util.Arrays.asList(out);
    }

    @Teardown
    public void teardown() {
      // Beam may call this on another thread than the one that scored: the kernels free every
      // thread's pool, the model its weights, without waiting for the garbage collector
      Kernels k = kernels;
      TaskHead h = head;
      RobertaTokenizer t = tokenizer;
      kernels = null;
      head = null;
      tokenizer = null;
      try (k; h; t) {
        // closed in reverse order: tokenizer, model, then the kernels the model was on
      }
    }
  }

  /** Writes the report files (when asked) and passes the report on. */
  static final class WriteReportFn extends DoFn<ScoreTask.Scored, TaskReport> {
    private final String outputDir;

    WriteReportFn(String outputDir) {
      this.outputDir = outputDir;
    }

    @ProcessElement
    public void process(@Element ScoreTask.Scored scored, OutputReceiver<TaskReport> out) {
      if (outputDir != null) {
        ReportFiles.write(outputDir, scored.report(), scored.predictions());
      }
      out.output(scored.report());
    }
  }
}
