package io.roberta.pipelines.corpus;

import static org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE;

import io.roberta.spec.CorpusSpec;
import io.roberta.spec.PackingSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/**
 * The corpus stage as one composite transform: read every source, clean, filter by length,
 * deduplicate by content hash across sources, split train/holdout by hash, tokenize, pack into
 * fixed blocks, write shards and {@code manifest.json} into the stage folder. Every rejected
 * document is counted by reason on a side output; the manifest adds them up.
 *
 * <p>Everything that decides the output (dedup winner, split, packing order, shard) comes from
 * document content hashes, so the same input gives the same blocks on any runner and any
 * parallelism.
 *
 * <pre>{@code
 * pipeline.apply("AssembleCorpus",
 *     AssembleCorpus.builder(recipe.corpus(), sources, header, "work/tiny/corpus/0123abcd")
 *         .tokenizer(TokenizerRef.of("work/tiny/tokenizer/ab12/tokenizer.json")).build());
 * }</pre>
 */
public final class AssembleCorpus extends PTransform<PBegin, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  /** Train shards: enough to spread packing over workers, few enough that tails pad little. */
  public static final int TRAIN_SHARDS = 8;

  public static final int HOLDOUT_SHARDS = 1;

  static final TupleTag<KV<String, Long>> COUNTS = new TupleTag<>() {};

  private final transient CorpusSpec spec;
  private final List<Source> sources;
  private final ManifestHeader header;
  private final String outputDir;
  private final io.roberta.pipelines.tokenizer.TokenizerRef tokenizer;
  private final boolean fastEncoder;
  private final String progressId;

  private AssembleCorpus(Builder b) {
    this.spec = b.spec;
    this.sources = List.copyOf(b.sources);
    this.header = b.header;
    this.outputDir = b.outputDir;
    this.tokenizer = b.tokenizer;
    this.fastEncoder = b.fastEncoder;
    this.progressId = b.progressId;
  }

  public static Builder builder(CorpusSpec spec, List<Source> sources, ManifestHeader header, String outputDir) {
    return new Builder(spec, sources, header, outputDir);
  }

  public static final class Builder {
    private final CorpusSpec spec;
    private final List<Source> sources;
    private final ManifestHeader header;
    private final String outputDir;
    private io.roberta.pipelines.tokenizer.TokenizerRef tokenizer;
    private boolean fastEncoder = true;
    private String progressId;

    private Builder(CorpusSpec spec, List<Source> sources, ManifestHeader header, String outputDir) {
      this.spec = spec;
      this.sources = sources;
      this.header = header;
      this.outputDir = outputDir;
    }

    /** The tokenizer; every worker stages a checked local copy once. */
    public Builder tokenizer(io.roberta.pipelines.tokenizer.TokenizerRef tokenizer) {
      this.tokenizer = tokenizer;
      return this;
    }

    /** false: always encode through DJL (for comparisons); the ids are the same either way. */
    public Builder fastEncoder(boolean fast) {
      this.fastEncoder = fast;
      return this;
    }

    /** Reports documents and bytes to {@link ProgressMeter#get(String)} (embedded runners only). */
    public Builder progress(String id) {
      this.progressId = id;
      return this;
    }

    public AssembleCorpus build() {
      if (tokenizer == null) {
        throw new IllegalStateException("AssembleCorpus needs a tokenizer: call tokenizer(path)");
      }
      if (sources.size() != spec.sources().size()) {
        throw new IllegalArgumentException(
            "AssembleCorpus got " + sources.size() + " sources for " + spec.sources().size() + " in the corpus spec");
      }
      return new AssembleCorpus(this);
    }
  }

  @Override
  public PCollection<String> expand(PBegin begin) {
    // So that a user's Source need not set a coder on its output.
    begin.getPipeline().getCoderRegistry().registerCoderForClass(Document.class, Document.DocumentCoder.of());
    PCollectionList<Document> read = PCollectionList.empty(begin.getPipeline());
    for (Source s : sources) {
      read = read.and(begin.apply(s.getName(), s).setCoder(Document.DocumentCoder.of()));
    }
    PCollection<Document> documents =
        read.apply("AllSources", Flatten.pCollections()).setCoder(Document.DocumentCoder.of());

    PCollectionTuple cleaned =
        documents.apply(
            "CleanAndFilter",
            ParDo.of(new CleanAndFilter(spec, progressId)).withOutputTags(CleanAndFilter.KEPT, TupleTagList.of(COUNTS)));
    PCollection<KV<String, Document>> byHash =
        cleaned.get(CleanAndFilter.KEPT).setCoder(KvCoder.of(StringUtf8Coder.of(), Document.DocumentCoder.of()));

    List<PCollection<KV<String, Long>>> counts = new ArrayList<>();
    counts.add(cleaned.get(COUNTS));

    PCollection<KV<String, Document>> unique = byHash;
    if (spec.dedupe()) {
      PCollectionTuple deduped =
          byHash
              .apply("GroupByContent", GroupByKey.create())
              .apply("KeepOnePerContent", ParDo.of(new KeepOne()).withOutputTags(KeepOne.UNIQUE, TupleTagList.of(COUNTS)));
      unique = deduped.get(KeepOne.UNIQUE).setCoder(KvCoder.of(StringUtf8Coder.of(), Document.DocumentCoder.of()));
      counts.add(deduped.get(COUNTS));
    }

    Map<String, Integer> weights = new HashMap<>(header.sourceWeights());
    PCollectionTuple tokenized =
        unique.apply(
            "SplitAndTokenize",
            ParDo.of(new Tokenize(tokenizer, fastEncoder, weights, spec.holdoutFraction(), progressId))
                .withOutputTags(Tokenize.TOKENIZED, TupleTagList.of(COUNTS)));
    counts.add(tokenized.get(COUNTS));

    PCollection<ShardInfo> shards =
        tokenized
            .get(Tokenize.TOKENIZED)
            .setCoder(TokenizedDocument.Coder.of())
            .apply("AssignShards", ParDo.of(new AssignShard()))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), TokenizedDocument.Coder.of()))
            .apply("GroupByShard", GroupByKey.create())
            .apply("PackAndWriteShards", ParDo.of(new PackAndWrite(spec.packing(), header, outputDir)))
            .setCoder(SerializableCoder.of(ShardInfo.class));

    PCollectionView<Map<String, Long>> totals =
        PCollectionList.of(counts)
            .apply("AllCounts", Flatten.pCollections())
            .setCoder(KvCoder.of(StringUtf8Coder.of(), VarLongCoder.of()))
            .apply("SumCounts", Sum.longsPerKey())
            .apply("CountsView", View.asMap());
    PCollectionView<List<ShardInfo>> shardList = shards.apply("ShardsView", View.asList());

    return begin
        .apply("Once", Impulse.create())
        .apply(
            "WriteManifest",
            ParDo.of(new WriteManifest(header, outputDir, totals, shardList)).withSideInputs(totals, shardList))
        .setCoder(StringUtf8Coder.of());
  }

  /** Counts are summed per bundle and emitted when it finishes: one element per key per bundle. */
  abstract static class CountingFn<I, O> extends DoFn<I, O> {
    private transient Map<String, Long> bundleCounts;
    private transient BoundedWindow window;
    private transient Instant timestamp;

    void count(String key, long n) {
      bundleCounts.merge(key, n, Long::sum);
    }

    void remember(BoundedWindow w, Instant t) {
      window = w;
      timestamp = t;
    }

    @StartBundle
    public void startBundle() {
      bundleCounts = new HashMap<>();
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      beforeFinish(context);
      if (window != null) {
        for (Map.Entry<String, Long> e : bundleCounts.entrySet()) {
          context.output(COUNTS, KV.of(e.getKey(), e.getValue()), timestamp, window);
        }
      }
      bundleCounts.clear();
    }

    void beforeFinish(FinishBundleContext context) {}
  }

  /** Counts what was read, cleans, drops by length; keys the kept documents by content hash. */
  static final class CleanAndFilter extends CountingFn<Document, KV<String, Document>> {
    static final TupleTag<KV<String, Document>> KEPT = new TupleTag<>() {};
    private final TextCleaner cleaner;
    private final int minChars;
    private final int maxChars;
    private final boolean dedupe;
    private final String progressId;

    CleanAndFilter(CorpusSpec spec, String progressId) {
      this.cleaner = new TextCleaner(spec.normalization());
      this.minChars = spec.minChars();
      this.maxChars = spec.maxChars();
      this.dedupe = spec.dedupe();
      this.progressId = progressId;
    }

    @ProcessElement
    public void process(@Element Document d, MultiOutputReceiver out, BoundedWindow w, @Timestamp Instant t) {
      remember(w, t);
      count(CorpusManifest.READ + d.source(), 1);
      count(CorpusManifest.BYTES + d.source(), d.bytes());
      if (progressId != null) {
        ProgressMeter.get(progressId).add(1, d.bytes());
      }
      for (Document.Repair r : Document.Repair.values()) {
        if (d.has(r)) {
          count(CorpusManifest.REPAIRED + d.source() + "/" + r.key(), 1);
        }
      }
      if (d.problem() != null) {
        drop(d, d.problem());
        return;
      }
      if (d.text().indexOf('\0') >= 0) {
        count(CorpusManifest.NUL + d.source(), 1);
      }
      String text = cleaner.clean(d.text());
      if (text.isBlank()) {
        drop(d, DropReason.BLANK);
        return;
      }
      int chars = text.codePointCount(0, text.length());
      if (chars < minChars) {
        drop(d, DropReason.TOO_SHORT);
        return;
      }
      if (chars > maxChars) {
        drop(d, DropReason.TOO_LONG);
        return;
      }
      if (!dedupe) {
        count(CorpusManifest.KEPT + d.source(), 1);
      }
      out.get(KEPT).output(KV.of(ContentHash.of(text), d.withText(text)));
    }

    private void drop(Document d, DropReason reason) {
      count(CorpusManifest.DROPPED + d.source() + "/" + reason.key(), 1);
    }
  }

  /** Of documents with the same content, keeps the one with the smallest (source, id). */
  static final class KeepOne extends CountingFn<KV<String, Iterable<Document>>, KV<String, Document>> {
    static final TupleTag<KV<String, Document>> UNIQUE = new TupleTag<>() {};
    private static final Comparator<Document> ORDER =
        Comparator.comparing(Document::source).thenComparing(Document::id);

    @ProcessElement
    public void process(@Element KV<String, Iterable<Document>> group, MultiOutputReceiver out, BoundedWindow w, @Timestamp Instant t) {
      remember(w, t);
      Document keep = null;
      for (Document d : group.getValue()) {
        if (keep == null) {
          keep = d;
        } else if (ORDER.compare(d, keep) < 0) {
          count(CorpusManifest.DUPLICATES + keep.source(), 1);
          keep = d;
        } else {
          count(CorpusManifest.DUPLICATES + d.source(), 1);
        }
      }
      count(CorpusManifest.KEPT + keep.source(), 1);
      out.get(UNIQUE).output(KV.of(group.getKey(), keep));
    }
  }

  /**
   * Splits by hash, makes {@code weight} copies, and tokenizes in batches per bundle (the
   * tokenizer is loaded once per DoFn instance and used by one thread).
   */
  static final class Tokenize extends CountingFn<KV<String, Document>, TokenizedDocument> {
    static final TupleTag<TokenizedDocument> TOKENIZED = new TupleTag<>() {};
    private static final int BATCH_DOCUMENTS = 256;
    private static final long BATCH_CHARS = 4L << 20;

    private final io.roberta.pipelines.tokenizer.TokenizerRef tokenizer;
    private final boolean fast;
    private final Map<String, Integer> weights;
    private final double holdoutFraction;
    private transient TokenEncoder encoder;
    private transient List<KV<String, Document>> batch;
    private transient long batchChars;
    private final String progressId;

    Tokenize(io.roberta.pipelines.tokenizer.TokenizerRef tokenizer, boolean fast, Map<String, Integer> weights,
        double holdoutFraction, String progressId) {
      this.progressId = progressId;
      this.tokenizer = tokenizer;
      this.fast = fast;
      this.weights = weights;
      this.holdoutFraction = holdoutFraction;
    }

    @Setup
    public void setup() {
      var local = tokenizer.local();
      encoder = fast ? TokenEncoder.open(local) : TokenEncoder.djl(local);
      batch = new ArrayList<>();
    }

    @ProcessElement
    public void process(@Element KV<String, Document> doc, MultiOutputReceiver out, BoundedWindow w, @Timestamp Instant t) {
      remember(w, t);
      batch.add(doc);
      batchChars += doc.getValue().text().length();
      if (batch.size() >= BATCH_DOCUMENTS || batchChars >= BATCH_CHARS) {
        flush(tokenized -> out.get(TOKENIZED).output(tokenized));
      }
    }

    @Override
    void beforeFinish(FinishBundleContext context) {
      // Every element of this stage lives in the global window; outputs keep its timestamp.
      flush(tokenized -> context.output(TOKENIZED, tokenized, BoundedWindow.TIMESTAMP_MIN_VALUE, GlobalWindow.INSTANCE));
    }

    private void flush(Consumer<TokenizedDocument> out) {
      if (batch.isEmpty()) {
        return;
      }
      List<String> texts = new ArrayList<>(batch.size());
      for (KV<String, Document> d : batch) {
        texts.add(d.getValue().text());
      }
      List<int[]> ids = encoder.encodeBatch(texts);
      for (int i = 0; i < batch.size(); i++) {
        String hash = batch.get(i).getKey();
        Document d = batch.get(i).getValue();
        boolean holdout = ContentHash.splitFraction(hash) < holdoutFraction;
        String split = holdout ? "holdout" : "train";
        int weight = weights.getOrDefault(d.source(), 1);
        count(CorpusManifest.DOCS + split, 1);
        count(CorpusManifest.COPIES + split, weight);
        count(CorpusManifest.TOKENS + split, (long) ids.get(i).length * weight);
        for (int copy = 0; copy < weight; copy++) {
          out.accept(new TokenizedDocument(holdout, ContentHash.sortKey(hash, copy), ids.get(i)));
        }
      }
      if (progressId != null) {
        ProgressMeter.get(progressId).encoded(batch.size(), batchChars);
      }
      batch.clear();
      batchChars = 0;
    }

    @Teardown
    public void teardown() {
      if (encoder != null) {
        encoder.close();
      }
    }
  }

  static String shardName(boolean holdout, long sortKey) {
    int n = holdout ? HOLDOUT_SHARDS : TRAIN_SHARDS;
    int shard = (int) Math.floorMod(sortKey, (long) n);
    return String.format("%s-%05d-of-%05d", holdout ? "holdout" : "train", shard, n);
  }

  static final class AssignShard extends DoFn<TokenizedDocument, KV<String, TokenizedDocument>> {
    @ProcessElement
    public void process(@Element TokenizedDocument d, OutputReceiver<KV<String, TokenizedDocument>> out) {
      out.output(KV.of(shardName(d.holdout(), d.sortKey()), d));
    }
  }

  /**
   * Packs one shard's documents in sort-key order and writes the blocks; writes to a temporary
   * name and renames, so a retried bundle overwrites rather than appends.
   */
  static final class PackAndWrite extends DoFn<KV<String, Iterable<TokenizedDocument>>, ShardInfo> {
    private final PackingSpec.Mode mode;
    private final int blockLength;
    private final ManifestHeader header;
    private final String outputDir;

    PackAndWrite(PackingSpec packing, ManifestHeader header, String outputDir) {
      this.mode = packing.mode();
      this.blockLength = packing.blockLength();
      this.header = header;
      this.outputDir = outputDir;
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<TokenizedDocument>> shard, OutputReceiver<ShardInfo> out)
        throws IOException {
      List<TokenizedDocument> docs = new ArrayList<>();
      shard.getValue().forEach(docs::add);
      docs.sort(Comparator.comparingLong(TokenizedDocument::sortKey).thenComparing(TokenizedDocument::ids, Arrays::compare));
      String file = shard.getKey() + ".bin";
      ResourceId dir = FileSystems.matchNewResource(outputDir, true);
      ResourceId target = dir.resolve(file, RESOLVE_FILE);
      ResourceId temp = dir.resolve(".tmp-" + file + "-" + UUID.randomUUID(), RESOLVE_FILE);
      ShardFormat format = ShardFormat.valueOf(header.dtype().toUpperCase(Locale.ROOT));
      BlockPacker packer;
      io.roberta.pipelines.stage.Artifacts.HashingOutput hashing =
          io.roberta.pipelines.stage.Artifacts.create(dir, temp.getFilename());
      try (ShardFormat.Writer writer = format.new Writer(java.nio.channels.Channels.newChannel(hashing))) {
        packer =
            new BlockPacker(new PackingSpec(mode, blockLength), header.bos(), header.eos(), header.pad(), block -> {
              try {
                writer.write(block);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
        for (TokenizedDocument d : docs) {
          packer.add(d.ids());
        }
        packer.finish();
      }
      hashing.close();
      FileSystems.rename(List.of(temp), List.of(target));
      out.output(
          new ShardInfo(
              file, shard.getKey().startsWith("holdout") ? "holdout" : "train", docs.size(), packer.blocks(),
              packer.contentTokens(), packer.paddingTokens(), hashing.entry().size(), hashing.entry().sha256()));
    }
  }

  /** Writes {@code manifest.json} last, after every shard: its presence means the stage finished. */
  static final class WriteManifest extends DoFn<byte[], String> {
    private final ManifestHeader header;
    private final String outputDir;
    private final PCollectionView<Map<String, Long>> totals;
    private final PCollectionView<List<ShardInfo>> shards;

    WriteManifest(ManifestHeader header, String outputDir, PCollectionView<Map<String, Long>> totals, PCollectionView<List<ShardInfo>> shards) {
      this.header = header;
      this.outputDir = outputDir;
      this.totals = totals;
      this.shards = shards;
    }

    @ProcessElement
    public void process(ProcessContext c) throws IOException {
      var manifest = CorpusManifest.build(header, c.sideInput(totals), c.sideInput(shards));
      ResourceId dir = FileSystems.matchNewResource(outputDir, true);
      ResourceId target = dir.resolve(CorpusManifest.FILE_NAME, RESOLVE_FILE);
      ResourceId temp = dir.resolve(".tmp-" + CorpusManifest.FILE_NAME + "-" + UUID.randomUUID(), RESOLVE_FILE);
      try (WritableByteChannel ch = FileSystems.create(temp, "application/json");
          OutputStream os = Channels.newOutputStream(ch)) {
        os.write(CorpusManifest.toJson(manifest).getBytes(StandardCharsets.UTF_8));
      }
      FileSystems.rename(List.of(temp), List.of(target), MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
      c.output(target.toString());
    }
  }
}
