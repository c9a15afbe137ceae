package io.roberta.pipelines.tokenizer;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads plain UTF-8 text files, one document per file, as pieces of text of at most {@code
 * maxChars} characters (see {@link Utf8Chunker}: the pieces pre-tokenize to the document's words,
 * so {@link TrainTokenizer} counts the same words as it would from whole documents). Invalid
 * UTF-8 is replaced by U+FFFD and counted in the metric {@value #INVALID_UTF8}.
 *
 * <pre>{@code
 * PCollection<String> texts = pipeline.apply("ReadCorpus", ReadTextDocuments.from("data/brown/c*"));
 * }</pre>
 */
public final class ReadTextDocuments extends PTransform<PBegin, PCollection<String>> {

  /** Metric (namespace: this class): malformed UTF-8 sequences replaced by U+FFFD. */
  public static final String INVALID_UTF8 = "invalidUtf8Sequences";
  /** Metric (namespace: this class): files read. */
  public static final String FILES = "files";
  /** Metric (namespace: this class): bytes read. */
  public static final String BYTES = "bytes";

  public static final int DEFAULT_MAX_CHARS = 1 << 20;

  public static final int DEFAULT_SHARDS = 16;

  private final String filePattern;
  private final int maxChars;
  private int shards = DEFAULT_SHARDS;

  private ReadTextDocuments(String filePattern, int maxChars) {
    this.filePattern = filePattern;
    this.maxChars = maxChars;
  }

  /** Every file matching the glob (local path, {@code gs://}, ...); none matching is an error. */
  public static ReadTextDocuments from(String filePattern) {
    return new ReadTextDocuments(filePattern, DEFAULT_MAX_CHARS);
  }

  /** The longest piece of text emitted; longer documents are cut. */
  public ReadTextDocuments withMaxChars(int maxChars) {
    if (maxChars < 16) {
      throw new IllegalArgumentException("maxChars must be at least 16, got " + maxChars);
    }
    ReadTextDocuments copy = new ReadTextDocuments(filePattern, maxChars);
    copy.shards = shards;
    return copy;
  }

  /**
   * How many groups the matched files are read in (default {@value #DEFAULT_SHARDS}): the
   * parallelism of the read, and the number of partial word-count tables downstream.
   */
  public ReadTextDocuments withShards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("shards must be at least 1, got " + shards);
    }
    ReadTextDocuments copy = new ReadTextDocuments(filePattern, maxChars);
    copy.shards = shards;
    return copy;
  }

  @Override
  public PCollection<String> expand(PBegin input) {
    // Files are dealt into a few groups by a GroupByKey of their names, not read one bundle per
    // file (as FileIO.match's reshuffle would): the DirectRunner copies a combine's buffered
    // partial results once per incoming bundle, so hundreds of per-file bundles made the word
    // count quadratic there (minutes for 800 files). A few groups keep it linear everywhere.
    return input
        .apply("FilePattern", Create.of(filePattern))
        .apply("MatchFiles", ParDo.of(new MatchFn(shards)))
        .apply("GroupFiles", GroupByKey.create())
        .apply("DecodeUtf8", ParDo.of(new DecodeFn(maxChars)));
  }

  /** Expands the glob; deals the files into groups in name order. */
  private static final class MatchFn extends DoFn<String, KV<Integer, String>> {
    private final int shards;

    MatchFn(int shards) {
      this.shards = shards;
    }

    @ProcessElement
    public void process(@Element String pattern, OutputReceiver<KV<Integer, String>> out)
        throws IOException {
      MatchResult match = FileSystems.match(pattern, EmptyMatchTreatment.DISALLOW);
      List<String> files = new ArrayList<>();
      for (MatchResult.Metadata m : match.metadata()) {
        files.add(m.resourceId().toString());
      }
      Collections.sort(files);
      for (int i = 0; i < files.size(); i++) {
        out.output(KV.of(i % shards, files.get(i)));
      }
    }
  }

  private static final class DecodeFn extends DoFn<KV<Integer, Iterable<String>>, String> {
    private static final Logger LOG = LoggerFactory.getLogger(ReadTextDocuments.class);
    private final Counter invalid = Metrics.counter(ReadTextDocuments.class, INVALID_UTF8);
    private final Counter files = Metrics.counter(ReadTextDocuments.class, FILES);
    private final Counter bytes = Metrics.counter(ReadTextDocuments.class, BYTES);
    private final int maxChars;

    DecodeFn(int maxChars) {
      this.maxChars = maxChars;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<String>> group, OutputReceiver<String> out)
        throws IOException {
      for (String name : group.getValue()) {
        ResourceId file = FileSystems.matchNewResource(name, false);
        long replaced;
        try (ReadableByteChannel channel = FileSystems.open(file)) {
          replaced = new Utf8Chunker(maxChars).read(channel, out::output);
        }
        files.inc();
        bytes.inc(FileSystems.matchSingleFileSpec(name).sizeBytes());
        if (replaced > 0) {
          invalid.inc(replaced);
          LOG.warn("{}: replaced {} invalid UTF-8 sequence(s) with U+FFFD", name, replaced);
        }
      }
    }
  }
}
