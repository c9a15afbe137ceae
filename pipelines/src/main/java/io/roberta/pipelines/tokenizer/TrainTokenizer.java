package io.roberta.pipelines.tokenizer;

import io.roberta.spec.TokenizerSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Metrics;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a RoBERTa byte-level BPE tokenizer: texts in, Hugging Face tokenizer files out.
 *
 * <ol>
 *   <li>{@code CountWordsPerBundle}: every worker pre-tokenizes its texts (GPT-2's expression,
 *       {@link ByteLevelPreTokenizer}) into one word-count table per bundle; {@code GroupTables}
 *       and {@code AddTablesPerKey} add them up over a few keys, and {@code CountWords} (a
 *       {@link Combine}) adds those into one table.
 *   <li>{@code LearnMergesAndWriteFiles}: one worker learns the merges from the total counts
 *       ({@link BpeTrainer}) and writes {@code tokenizer.json}, {@code vocab.json} and {@code
 *       merges.txt} through Beam {@link FileSystems}, so any file system Beam knows works.
 * </ol>
 *
 * <p>Word counts are exact sums, and the merges depend only on them, so the files are
 * byte-identical whatever the runner, the parallelism or the way texts were split. An input
 * element may be a whole document or any piece of one cut as {@link ReadTextDocuments} cuts.
 *
 * <pre>{@code
 * pipeline.apply("ReadCorpus", ReadTextDocuments.from("data/brown/c*"))
 *     .apply("TrainTokenizer", TrainTokenizer.byteLevelBpe(8_000, 2).writingTo("out/tokenizer"));
 * }</pre>
 */
public final class TrainTokenizer
    extends PTransform<PCollection<String>, PCollection<TrainedTokenizer>> {

  /** Metric (namespace: this class): tokens in the written vocabulary. */
  public static final String VOCAB_SIZE = "vocabSize";
  /** Metric (namespace: this class): merges learned. */
  public static final String MERGES = "merges";
  /** Metric (namespace: this class): distinct pre-tokens in the corpus. */
  public static final String DISTINCT_WORDS = "distinctWords";
  /** Metric (namespace: this class): pre-tokens in the corpus. */
  public static final String WORDS = "words";

  private final int vocabSize;
  private final long minFrequency;
  private final String outputDirectory;

  private TrainTokenizer(int vocabSize, long minFrequency, String outputDirectory) {
    // Fail at construction, not on a worker: the builder checks the values.
    BpeTrainer.builder().vocabSize(vocabSize).minFrequency(minFrequency).build();
    this.vocabSize = vocabSize;
    this.minFrequency = minFrequency;
    this.outputDirectory = outputDirectory;
  }

  /** A trainer for {@code vocabSize} tokens (all included) from pairs seen {@code minFrequency}+ times. */
  public static TrainTokenizer byteLevelBpe(int vocabSize, long minFrequency) {
    return new TrainTokenizer(vocabSize, minFrequency, null);
  }

  /** The trainer a recipe's {@link TokenizerSpec} asks for; it must be a trained kind. */
  public static TrainTokenizer from(TokenizerSpec spec) {
    if (!spec.isTrained()) {
      throw new IllegalArgumentException(
          "TrainTokenizer trains BYTE_LEVEL_BPE tokenizers; a " + spec.kind()
              + " tokenizer is loaded from " + spec.path() + " instead");
    }
    return byteLevelBpe(spec.vocabSize(), spec.minFrequency());
  }

  /** The directory (local or any Beam file system) the three files are written to. */
  public TrainTokenizer writingTo(String outputDirectory) {
    if (outputDirectory == null || outputDirectory.isBlank()) {
      throw new IllegalArgumentException("outputDirectory must be a path, got \"" + outputDirectory + "\"");
    }
    return new TrainTokenizer(vocabSize, minFrequency, outputDirectory);
  }

  @Override
  public PCollection<TrainedTokenizer> expand(PCollection<String> texts) {
    if (outputDirectory == null) {
      throw new IllegalStateException("TrainTokenizer needs an output directory: call writingTo(dir)");
    }
    // Texts are counted into one table per bundle, the tables spread over a few keys and added
    // per key, then the few sums added into one. However finely the input is bundled (the
    // DirectRunner gives FileIO's matches a bundle each), the global combine sees few, already
    // summed tables instead of re-encoding a growing table once per bundle.
    return texts
        .apply("CountWordsPerBundle", ParDo.of(new CountBundleFn()))
        .setCoder(KvCoder.of(VarIntCoder.of(), WordCountsCoder.of()))
        .apply("GroupTables", GroupByKey.create())
        .apply("AddTablesPerKey", ParDo.of(new AddGroupFn()))
        .setCoder(WordCountsCoder.of())
        .apply("CountWords", Combine.globally(new AddTables()))
        .setCoder(WordCountsCoder.of())
        .apply("LearnMergesAndWriteFiles",
            ParDo.of(new LearnMergesFn(vocabSize, minFrequency, outputDirectory)))
        .setCoder(SerializableCoder.of(TrainedTokenizer.class));
  }

  /** How many keys the per-bundle tables are spread over before the global sum. */
  static final int TABLE_KEYS = 16;

  /** One word-count table per bundle (a new one past a million distinct words), keyed at random. */
  static final class CountBundleFn extends DoFn<String, KV<Integer, WordCounts>> {
    private static final int MAX_DISTINCT = 1_000_000;
    private transient WordCounts table;

    @StartBundle
    public void startBundle() {
      table = new WordCounts();
    }

    @ProcessElement
    public void process(@Element String text, OutputReceiver<KV<Integer, WordCounts>> out) {
      table.addText(text);
      if (table.distinct() > MAX_DISTINCT) {
        out.output(KV.of(ThreadLocalRandom.current().nextInt(TABLE_KEYS), table));
        table = new WordCounts();
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      if (table.distinct() > 0) {
        context.output(KV.of(ThreadLocalRandom.current().nextInt(TABLE_KEYS), table),
            GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
      }
      table = null;
    }
  }

  /** Adds the tables of one key. */
  static final class AddGroupFn extends DoFn<KV<Integer, Iterable<WordCounts>>, WordCounts> {
    @ProcessElement
    public void process(@Element KV<Integer, Iterable<WordCounts>> group, OutputReceiver<WordCounts> out) {
      WordCounts sum = new WordCounts(); // the grouped tables are inputs: read, never changed
      for (WordCounts table : group.getValue()) {
        sum.addAll(table);
      }
      out.output(sum);
    }
  }

  /**
   * The sum of word-count tables (exact, so any grouping gives the same table). Inputs are never
   * changed: they are added into the accumulator, which Beam lets a combiner mutate.
   */
  static final class AddTables extends Combine.CombineFn<WordCounts, WordCounts, WordCounts> {
    @Override
    public WordCounts createAccumulator() {
      return new WordCounts();
    }

    @Override
    public WordCounts addInput(WordCounts sum, WordCounts table) {
      sum.addAll(table);
      return sum;
    }

    @Override
    public WordCounts mergeAccumulators(Iterable<WordCounts> sums) {
      WordCounts merged = null;
      for (WordCounts counts : sums) {
        if (merged == null) {
          merged = counts;
        } else if (counts.distinct() > merged.distinct()) {
          counts.addAll(merged); // add the smaller accumulator into the larger
          merged = counts;
        } else {
          merged.addAll(counts);
        }
      }
      return merged == null ? new WordCounts() : merged;
    }

    @Override
    public WordCounts extractOutput(WordCounts sum) {
      return sum;
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<WordCounts> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry, org.apache.beam.sdk.coders.Coder<WordCounts> inputCoder) {
      return WordCountsCoder.of();
    }
  }

  /** Learns the merges on one worker and writes the files. */
  static final class LearnMergesFn extends DoFn<WordCounts, TrainedTokenizer> {
    private static final Logger LOG = LoggerFactory.getLogger(TrainTokenizer.class);
    private final int vocabSize;
    private final long minFrequency;
    private final String outputDirectory;

    LearnMergesFn(int vocabSize, long minFrequency, String outputDirectory) {
      this.vocabSize = vocabSize;
      this.minFrequency = minFrequency;
      this.outputDirectory = outputDirectory;
    }

    @ProcessElement
    public void process(@Element WordCounts counts, OutputReceiver<TrainedTokenizer> out)
        throws IOException {
      BpeModel model =
          BpeTrainer.builder().vocabSize(vocabSize).minFrequency(minFrequency).build().train(counts);
      ResourceId dir = FileSystems.matchNewResource(outputDirectory, true);
      write(dir, TokenizerFiles.TOKENIZER_JSON, TokenizerFiles.tokenizerJson(model));
      write(dir, TokenizerFiles.VOCAB_JSON, TokenizerFiles.vocabJson(model));
      write(dir, TokenizerFiles.MERGES_TXT, TokenizerFiles.mergesTxt(model));
      if (model.isSmallerThanRequested()) {
        LOG.warn(model.shortfallMessage());
      }
      Metrics.counter(TrainTokenizer.class, VOCAB_SIZE).inc(model.vocabSize());
      Metrics.counter(TrainTokenizer.class, MERGES).inc(model.merges().size());
      Metrics.counter(TrainTokenizer.class, DISTINCT_WORDS).inc(model.distinctWords());
      Metrics.counter(TrainTokenizer.class, WORDS).inc(model.totalWords());
      out.output(new TrainedTokenizer(
          dir.toString(), model.vocabSize(), vocabSize, model.merges().size(),
          model.distinctWords(), model.totalWords(), model.shortfallMessage()));
    }

    private static void write(ResourceId dir, String name, byte[] bytes) throws IOException {
      ResourceId file = dir.resolve(name, StandardResolveOptions.RESOLVE_FILE);
      try (WritableByteChannel channel = FileSystems.create(file, MimeTypes.TEXT)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
    }
  }
}
