package io.roberta.pipelines.tokenizer;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
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

  private final String filePattern;
  private final int maxChars;

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
    return new ReadTextDocuments(filePattern, maxChars);
  }

  @Override
  public PCollection<String> expand(PBegin input) {
    return input
        .apply("MatchFiles",
            FileIO.match().filepattern(filePattern).withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
        .apply("OpenFiles", FileIO.readMatches())
        .apply("DecodeUtf8", ParDo.of(new DecodeFn(maxChars)));
  }

  private static final class DecodeFn extends DoFn<FileIO.ReadableFile, String> {
    private static final Logger LOG = LoggerFactory.getLogger(ReadTextDocuments.class);
    private final Counter invalid = Metrics.counter(ReadTextDocuments.class, INVALID_UTF8);
    private final Counter files = Metrics.counter(ReadTextDocuments.class, FILES);
    private final Counter bytes = Metrics.counter(ReadTextDocuments.class, BYTES);
    private final int maxChars;

    DecodeFn(int maxChars) {
      this.maxChars = maxChars;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<String> out)
        throws IOException {
      long replaced;
      try (ReadableByteChannel channel = file.open()) {
        replaced = new Utf8Chunker(maxChars).read(channel, out::output);
      }
      files.inc();
      bytes.inc(file.getMetadata().sizeBytes());
      if (replaced > 0) {
        invalid.inc(replaced);
        LOG.warn("{}: replaced {} invalid UTF-8 sequence(s) with U+FFFD",
            file.getMetadata().resourceId(), replaced);
      }
    }
  }
}
