package io.roberta.runners.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.runners.run.JobNames;
import io.roberta.spec.plan.Plan;
import io.roberta.runners.options.OptionsCheck;
import io.roberta.spec.Recipe;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.options.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code roberta corpus <recipe>}: runs the corpus stage alone (training the recipe's tokenizer
 * first when it is trained and not there yet) and prints the manifest's counts.
 *
 * <pre>{@code
 * roberta corpus TinyBrown
 * roberta corpus TinyBrown --runner=FlinkRunner --flinkMaster=[local] --parallelism=2
 * }</pre>
 */
@Command(
    name = "corpus",
    mixinStandardHelpOptions = true,
    description = {
      "Assemble a recipe's training corpus: read, clean, dedupe, split, tokenize and pack into shards.",
      "Writes <work-dir>/<recipe>/corpus/<fingerprint>/{train-*.bin, holdout-*.bin, manifest.json};"
          + " skips the stage when that manifest exists. Beam options (--runner=FlinkRunner"
          + " --flinkMaster=[local] --parallelism=4, ...) pass through."
    })
public final class CorpusCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "RECIPE", description = "A recipe JSON file, a Supplier<Recipe> class, or an example name (TinyBrown).")
  String recipe;

  @Option(names = "--work-dir", defaultValue = "work", description = "Where stage artifacts go (default: ${DEFAULT-VALUE}).")
  String workDir;

  @Option(names = "--progress-seconds", defaultValue = "5", description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
  int progressSeconds;

  @Option(names = "--encoder", defaultValue = "fast", paramLabel = "fast|djl",
      description = "fast: Java byte-level BPE with a word cache where it matches the tokenizer (same ids), else DJL;"
          + " djl: always Hugging Face's library through DJL (default: ${DEFAULT-VALUE}).")
  String encoder;

  @Unmatched List<String> beamArgs = new ArrayList<>();

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!encoder.equals("fast") && !encoder.equals("djl")) {
      throw new UserError("--encoder " + encoder + ": expected fast or djl");
    }
    Recipe r = RecipeLoader.load(recipe);
    if (r.corpus() == null) {
      throw new UserError("recipe " + r.name() + " has no corpus (it only fine-tunes)");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PipelineOptions options = OptionsCheck.parse(beamArgs, workDir);
    java.util.function.Consumer<String> log = line -> {
      err.println(line);
      err.flush();
    };
    io.roberta.pipelines.tokenizer.TokenizerRef tokenizer;
    CorpusStage.Result result;
    try {
      Plan plan = Plan.compile(r);
      JobNames.set(options, r, plan, "tokenizer");
      tokenizer = RecipeTokenizer.ensure(r, workDir, options, log);
      long start = System.nanoTime();
      JobNames.set(options, r, plan, "corpus");
      result = CorpusStage.of(r, workDir, tokenizer).progress(log, Duration.ofSeconds(Math.max(1, progressSeconds)))
          .fastEncoder(encoder.equals("fast")).run(options);
      if (!result.skipped()) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double mb = result.manifest().path("documents").path("bytes").asLong() / 1e6;
        log.accept(String.format(Locale.ROOT, "corpus: %.1f MB in %.1f s end to end (%.2f MB/s)", mb, seconds, mb / seconds));
      }
    } catch (IllegalArgumentException e) {
      throw new UserError(e.getMessage(), e);
    }
    print(result, out);
    return 0;
  }

  static void print(CorpusStage.Result result, PrintWriter out) {
    JsonNode m = result.manifest();
    out.printf("Corpus %s%s%n", result.directory(), result.skipped() ? "  (already built: same fingerprint, skipped)" : "");
    out.printf("  %-14s %10s %10s %10s %10s  %s%n", "source", "read", "kept", "dropped", "duplicates", "dropped by reason");
    for (Iterator<Map.Entry<String, JsonNode>> it = m.path("sources").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode s = e.getValue();
      out.printf("  %-14s %,10d %,10d %,10d %,10d  %s%n", e.getKey(), s.path("read").asLong(), s.path("kept").asLong(),
          sum(s.path("dropped")), s.path("duplicates").asLong(), reasons(s.path("dropped")));
    }
    JsonNode d = m.path("documents");
    out.printf("  %-14s %,10d %,10d %,10d %,10d  %s%n", "total", d.path("read").asLong(), d.path("kept").asLong(),
        d.path("droppedTotal").asLong(), d.path("duplicates").asLong(), reasons(d.path("dropped")));
    if (sum(d.path("repaired")) > 0) {
      out.printf("  %-14s kept under the sources' policies: %s%n", "repaired", reasons(d.path("repaired")));
    }
    for (String split : List.of("train", "holdout")) {
      JsonNode s = m.path("splits").path(split);
      out.printf(Locale.ROOT, "  %-8s %,d documents (%,d with weights), %,d tokens, %,d blocks of %d, padding %.2f%%, %d shards%n",
          split, s.path("documents").asLong(), s.path("copies").asLong(), s.path("tokens").asLong(), s.path("blocks").asLong(),
          m.path("format").path("blockLength").asInt(), 100 * s.path("paddingFraction").asDouble(), s.path("shards").size());
    }
    out.printf("  %s ids, tokenizer sha256 %s%n", m.path("format").path("dtype").asText(), m.path("tokenizer").path("sha256").asText().substring(0, 12));
    out.flush();
  }

  private static long sum(JsonNode counts) {
    long n = 0;
    for (JsonNode c : counts) {
      n += c.asLong();
    }
    return n;
  }

  private static String reasons(JsonNode counts) {
    List<String> parts = new ArrayList<>();
    counts.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + e.getValue().asLong()));
    return parts.isEmpty() ? "-" : String.join(", ", parts);
  }
}
