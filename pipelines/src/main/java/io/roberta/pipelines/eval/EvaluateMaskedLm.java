package io.roberta.pipelines.eval;

import io.roberta.engine.data.DynamicMasker;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.stage.FolderRef;
import org.apache.beam.sdk.io.GenerateSequence;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.train.MaskedLmScorer;
import io.roberta.spec.MaskingSpec;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Masked-LM evaluation of a pretrained model on the corpus stage's holdout blocks: loss,
 * perplexity and masked-token accuracy. Masks come from the recipe's masking spec with a fixed
 * evaluation epoch (-1, which training never uses), so every run scores the same positions.
 * Blocks go in fixed batches spread over {@code shards}; per-batch sums are added in batch order,
 * so the numbers do not depend on the shard count or runner.
 *
 * <pre>{@code
 * p.apply("EvaluateMaskedLm", EvaluateMaskedLm.of(model, corpus, masking).shards(4).writeTo(out));
 * }</pre>
 */
public final class EvaluateMaskedLm extends PTransform<PBegin, PCollection<TaskReport>> {
  /** The epoch number of evaluation masks, as the trainer's holdout score uses. */
  static final long EVAL_EPOCH = MaskedLmScorer.EVAL_EPOCH;

  private final FolderRef model;
  private final CorpusOutput corpus;
  private final MaskingSpec masking;
  private final int shards;
  private final int batchSize;
  private final String outputDir;
  private final String backend;

  /** Sums over one batch of blocks. */
  public record BatchScore(long batch, long blocks, double lossSum, long correct, long masked, long atMask,
      long correctAtMask) implements Serializable {}

  private EvaluateMaskedLm(FolderRef model, CorpusOutput corpus, MaskingSpec masking, int shards, int batchSize,
      String outputDir, String backend) {
    if (shards < 1 || batchSize < 1) {
      throw new IllegalArgumentException("shards = " + shards + " and batchSize = " + batchSize + " must be >= 1");
    }
    this.model = model;
    this.corpus = corpus;
    this.masking = masking;
    this.shards = shards;
    this.batchSize = batchSize;
    this.outputDir = outputDir;
    this.backend = backend;
  }

  /**
   * Scores the masked-LM model {@code model} on {@code corpus}' holdout blocks; block count and
   * token type come from the corpus manifest, and each worker stages the shards it reads.
   */
  public static EvaluateMaskedLm of(FolderRef model, CorpusOutput corpus, MaskingSpec masking) {
    return new EvaluateMaskedLm(model, corpus, masking, 1, 16, null, "auto");
  }

  public EvaluateMaskedLm shards(int n) {
    return new EvaluateMaskedLm(model, corpus, masking, n, batchSize, outputDir, backend);
  }

  public EvaluateMaskedLm batchSize(int n) {
    return new EvaluateMaskedLm(model, corpus, masking, shards, n, outputDir, backend);
  }

  /** The kernels backend ({@code --backend}: nd4j, cuda, auto). */
  public EvaluateMaskedLm backend(String name) {
    return new EvaluateMaskedLm(model, corpus, masking, shards, batchSize, outputDir, name);
  }

  public EvaluateMaskedLm writeTo(String dir) {
    return new EvaluateMaskedLm(model, corpus, masking, shards, batchSize, dir, backend);
  }

  @Override
  public PCollection<TaskReport> expand(PBegin begin) {
    long blocks = corpus.holdoutBlocks(); // from the manifest: the driver opens no shard
    if (blocks == 0) {
      throw new IllegalArgumentException("the holdout shards " + corpus.uris(corpus.holdout()) + " hold no blocks");
    }
    int b = batchSize;
    int n = shards;
    return begin
        .apply("BlockIndices", GenerateSequence.from(0).to(blocks))
        .apply("AssignShards", MapElements.into(new TypeDescriptor<KV<Integer, Long>>() {})
            .via(i -> KV.of((int) ((i / b) % n), i)))
        .setCoder(KvCoder.of(VarIntCoder.of(), VarLongCoder.of()))
        .apply("GroupByShard", GroupByKey.create())
        .apply("ScoreBatches", ParDo.of(new ScoreBatchesFn(job())))
        .setCoder(SerializableCoder.of(BatchScore.class))
        .apply("CombineMetrics", Combine.globally(new SumInOrder()).withoutDefaults())
        .setCoder(SerializableCoder.of(TaskReport.class))
        .apply("WriteReport", ParDo.of(new WriteFn(outputDir)))
        .setCoder(SerializableCoder.of(TaskReport.class));
  }

  /** What a worker needs, serializable (the spec records are not). */
  record Job(FolderRef model, CorpusOutput corpus, String maskingJson, int batchSize, String backend)
      implements Serializable {
    int blockLength() {
      return corpus.blockLength();
    }

    MaskingSpec masking() {
      try {
        return JSON.readValue(maskingJson, MaskingSpec.class);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    TokenShards open() {
      return TokenShards.open(corpus.stageLocally(corpus.holdout()), TokenShards.Dtype.valueOf(corpus.dtype()),
          corpus.blockLength());
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private Job job() {
    try {
      return new Job(model, corpus, JSON.writeValueAsString(masking), batchSize, backend);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static final class ScoreBatchesFn extends DoFn<KV<Integer, Iterable<Long>>, BatchScore> {
    private final Job spec;
    private transient RobertaForMaskedLM model;
    private transient TokenShards holdout;
    private transient MaskedLmScorer scorer;
    private transient Kernels kernels;

    ScoreBatchesFn(Job spec) {
      this.spec = spec;
    }

    @Setup
    public void setup() {
      kernels = Backends.create(Backend.parse(spec.backend()), KernelPrecision.FP32);
      try {
        // scoring only: no gradient buffers
        model = RobertaForMaskedLM.loadForInference(spec.model().local(), kernels);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot load the masked-LM model in " + spec.model().dir() + ": " + e.getMessage(), e);
      }
      holdout = spec.open();
      holdout.checkIdsBelow(model.spec().vocabSize());
      scorer = new MaskedLmScorer(model,
          new DynamicMasker(spec.masking(), model.spec().specialTokens(), model.spec().vocabSize()));
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Long>> shard, OutputReceiver<BatchScore> out) {
      List<Long> blocks = new ArrayList<>();
      shard.getValue().forEach(blocks::add);
      blocks.sort(Comparator.naturalOrder());
      int from = 0;
      while (from < blocks.size()) {
        long batch = blocks.get(from) / spec.batchSize();
        int to = from;
        while (to < blocks.size() && blocks.get(to) / spec.batchSize() == batch) {
          to++;
        }
        MaskedLmScorer.Sums s = scorer.score(holdout, blocks.subList(from, to));
        out.output(new BatchScore(batch, s.blocks(), s.lossSum(), s.correct(), s.masked(), s.atMask(), s.correctAtMask()));
        from = to;
      }
    }

    @Teardown
    public void teardown() {
      // possibly on another thread than the scoring: the kernels free every thread's pool
      TokenShards shards = holdout;
      RobertaForMaskedLM m = model;
      Kernels k = kernels;
      holdout = null;
      model = null;
      kernels = null;
      scorer = null;
      try (k; m; shards) {
        // closed in reverse order: shards, model, kernels
      }
    }
  }

  /** Keeps every batch's sums and adds them in batch order: exact whatever the merge order. */
  static final class SumInOrder extends Combine.CombineFn<BatchScore, List<BatchScore>, TaskReport> {
    @Override
    public List<BatchScore> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<BatchScore> addInput(List<BatchScore> acc, BatchScore s) {
      acc.add(s);
      return acc;
    }

    @Override
    public List<BatchScore> mergeAccumulators(Iterable<List<BatchScore>> accs) {
      List<BatchScore> out = new ArrayList<>();
      accs.forEach(out::addAll);
      return out;
    }

    @Override
    public TaskReport extractOutput(List<BatchScore> acc) {
      List<BatchScore> sorted = new ArrayList<>(acc);
      sorted.sort(Comparator.comparingLong(BatchScore::batch));
      double loss = 0;
      long correct = 0;
      long masked = 0;
      long blocks = 0;
      long atMask = 0;
      long correctAtMask = 0;
      for (BatchScore s : sorted) {
        atMask += s.atMask();
        correctAtMask += s.correctAtMask();
        loss += s.lossSum();
        correct += s.correct();
        masked += s.masked();
        blocks += s.blocks();
      }
      Map<String, Double> m = new LinkedHashMap<>();
      double mean = masked == 0 ? Double.NaN : loss / masked;
      m.put("loss", mean);
      m.put("perplexity", Math.exp(mean));
      m.put("accuracy", masked == 0 ? Double.NaN : (double) correct / masked);
      m.put("masked_tokens", (double) masked);
      // the masked tokens whose input was <mask>: copying the 10% kept visible does not count here
      m.put("accuracy_at_mask", atMask == 0 ? Double.NaN : (double) correctAtMask / atMask);
      List<String> notes = new ArrayList<>();
      if (masked == 0) {
        notes.add("no token was masked: the metrics are undefined");
      }
      return new TaskReport("masked-lm", "MASKED_LM", blocks, m, notes, List.of());
    }

    @Override
    public Coder<List<BatchScore>> getAccumulatorCoder(CoderRegistry registry, Coder<BatchScore> inputCoder) {
      return ListCoder.of(SerializableCoder.of(BatchScore.class));
    }
  }

  static final class WriteFn extends DoFn<TaskReport, TaskReport> {
    private final String outputDir;

    WriteFn(String outputDir) {
      this.outputDir = outputDir;
    }

    @ProcessElement
    public void process(@Element TaskReport report, OutputReceiver<TaskReport> out) {
      if (outputDir != null) {
        ReportFiles.write(outputDir, report, List.of());
      }
      out.output(report);
    }
  }
}
