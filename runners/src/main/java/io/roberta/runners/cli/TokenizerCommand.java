package io.roberta.runners.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.roberta.engine.tokenizer.Encoding;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.tokenizer.BpeTrainer;
import io.roberta.pipelines.tokenizer.ReadTextDocuments;
import io.roberta.pipelines.tokenizer.TrainTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.joda.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code roberta tokenizer train|encode}: train a byte-level BPE tokenizer on text files with the
 * tokenizer stage, or encode text with any tokenizer the engine loads.
 *
 * <pre>{@code
 * roberta tokenizer train --input 'data/brown/c*' --vocab-size 8000 --out out/tokenizer
 * roberta tokenizer encode --tokenizer out/tokenizer "Call me Ishmael."
 * }</pre>
 */
@Command(
    name = "tokenizer",
    mixinStandardHelpOptions = true,
    description = "Train a byte-level BPE tokenizer, or encode text with a tokenizer.",
    synopsisSubcommandLabel = "COMMAND",
    subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class})
public final class TokenizerCommand implements Callable<Integer> {

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = {
        "Train RoBERTa's byte-level BPE on plain UTF-8 text files (one document per file) with the"
            + " tokenizer stage on the DirectRunner.",
        "Writes tokenizer.json, vocab.json and merges.txt to --out."
      })
  static final class Train implements Callable<Integer> {

    @Option(names = "--input", required = true, paramLabel = "GLOB",
        description = "Text files, e.g. 'data/brown/c*' (quote it so the shell leaves it alone).")
    String input;

    @Option(names = "--vocab-size", required = true, paramLabel = "N",
        description = "Vocabulary size, the 5 special tokens and 256 bytes included (at least 261).")
    int vocabSize;

    @Option(names = "--min-frequency", defaultValue = "2", paramLabel = "F",
        description = "Merge only pairs seen at least F times (default: ${DEFAULT-VALUE}).")
    long minFrequency;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    String out;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter stdout = spec.commandLine().getOut();
      PrintWriter stderr = spec.commandLine().getErr();
      TrainTokenizer train;
      try {
        train = TrainTokenizer.byteLevelBpe(vocabSize, minFrequency).writingTo(out);
      } catch (IllegalArgumentException e) {
        throw new UserError(
            "--vocab-size " + vocabSize + " / --min-frequency " + minFrequency + ": " + e.getMessage());
      }
      DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
      options.setRunner(DirectRunner.class);
      options.setTargetParallelism(Runtime.getRuntime().availableProcessors());
      options.setBlockOnRun(false);
      // The DirectRunner's element checks copy every 1 MB piece of text; they test DoFns, which
      // the unit tests do, and here only cost time.
      options.setEnforceImmutability(false);
      options.setEnforceEncodability(false);
      FileSystems.setDefaultPipelineOptions(options);
      MatchResult match = FileSystems.match(input, EmptyMatchTreatment.ALLOW);
      List<MatchResult.Metadata> files =
          match.status() == MatchResult.Status.OK ? match.metadata() : List.of();
      if (files.isEmpty()) {
        throw new UserError("--input " + input + " matches no files");
      }
      long totalBytes = files.stream().mapToLong(MatchResult.Metadata::sizeBytes).sum();
      stderr.printf("Training on %,d files (%,d bytes) matching %s%n", files.size(), totalBytes, input);
      stderr.flush();

      Pipeline pipeline = Pipeline.create(options);
      // One group of files per DirectRunner thread: more groups only add partial word-count tables
      // for the DirectRunner to copy.
      pipeline
          .apply("ReadCorpus", ReadTextDocuments.from(input).withShards(options.getTargetParallelism()))
          .apply("TrainTokenizer", train);
      long start = System.nanoTime();
      PipelineResult result = pipeline.run();
      try {
        PipelineResult.State state;
        long lastProgress = System.nanoTime();
        do {
          state = result.waitUntilFinish(Duration.millis(500));
          if ((state == null || !state.isTerminal()) && System.nanoTime() - lastProgress > 5e9) {
            showProgress(stderr, result, files.size(), totalBytes, start);
            lastProgress = System.nanoTime();
          }
        } while (state == null || !state.isTerminal());
      } catch (RuntimeException e) {
        Throwable cause = rootCause(e);
        if (cause instanceof IllegalArgumentException) {
          throw new UserError(cause.getMessage() + " (--input " + input + ")", e);
        }
        throw e;
      }
      double seconds = (System.nanoTime() - start) / 1e9;

      long invalid = counter(result, ReadTextDocuments.class, ReadTextDocuments.INVALID_UTF8);
      if (invalid > 0) {
        stderr.printf("warning: replaced %,d invalid UTF-8 sequence(s) with U+FFFD%n", invalid);
      }
      long size = counter(result, TrainTokenizer.class, TrainTokenizer.VOCAB_SIZE);
      if (size < vocabSize) {
        stderr.printf(
            "warning: the corpus supports a vocabulary of only %,d tokens, smaller than the %,d"
                + " asked for; use more text, a smaller --vocab-size or a lower --min-frequency%n",
            size, vocabSize);
      }
      stdout.printf(
          "Trained byte-level BPE in %.1f s: vocabulary %,d (%,d merges) from %,d words (%,d distinct),"
              + " written to %s%n",
          seconds, size, counter(result, TrainTokenizer.class, TrainTokenizer.MERGES),
          counter(result, TrainTokenizer.class, TrainTokenizer.WORDS),
          counter(result, TrainTokenizer.class, TrainTokenizer.DISTINCT_WORDS), out);
      stderr.flush();
      stdout.flush();
      return 0;
    }

    private static void showProgress(
        PrintWriter stderr, PipelineResult result, int files, long totalBytes, long start) {
      long doneFiles = counter(result, ReadTextDocuments.class, ReadTextDocuments.FILES);
      long doneBytes = counter(result, ReadTextDocuments.class, ReadTextDocuments.BYTES);
      double seconds = (System.nanoTime() - start) / 1e9;
      double rate = doneBytes / Math.max(seconds, 1e-9);
      String eta = doneBytes == 0 ? "?" : String.format("%.0f s", (totalBytes - doneBytes) / rate);
      stderr.printf(
          "  read %,d of %,d files (%.1f of %.1f MB, %.1f MB/s, ETA %s)%s%n",
          doneFiles, files, doneBytes / 1e6, totalBytes / 1e6, rate / 1e6, eta,
          doneFiles == files ? "; learning merges" : "");
      stderr.flush();
    }
  }

  @Command(
      name = "encode",
      mixinStandardHelpOptions = true,
      description = "Print the ids and tokens of each TEXT (with <s> and </s>).")
  static final class Encode implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
        description = "A tokenizer.json, a directory holding one, or a SentencePiece .model file.")
    Path tokenizer;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "Text to encode.")
    List<String> texts;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter stdout = spec.commandLine().getOut();
      try (RobertaTokenizer t = RobertaTokenizer.load(tokenizer)) {
        for (String text : texts) {
          Encoding e = t.encode(text);
          StringJoiner ids = new StringJoiner(" ");
          StringJoiner tokens = new StringJoiner(" ");
          for (int i = 0; i < e.length(); i++) {
            ids.add(Integer.toString(e.ids()[i]));
            tokens.add("\"" + new String(JsonStringEncoder.getInstance().quoteAsString(e.tokens()[i])) + "\"");
          }
          stdout.println("ids:    " + ids);
          stdout.println("tokens: " + tokens);
        }
      }
      stdout.flush();
      return 0;
    }
  }

  static long counter(PipelineResult result, Class<?> namespace, String name) {
    long total = 0;
    for (MetricResult<Long> c : result.metrics().queryMetrics(
            MetricsFilter.builder().addNameFilter(MetricNameFilter.named(namespace, name)).build())
        .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }
}
