package io.roberta.pipelines.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.spec.CorpusSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SourceSpec;
import io.roberta.spec.TokenizerSpec;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.StageManifest;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.ReleaseInfo;

/**
 * Runs the corpus stage of a recipe: skips it when the stage folder already holds a manifest
 * with the same fingerprint, checks every input before the pipeline starts, then runs
 * {@link AssembleCorpus} on the runner the options name and returns the manifest.
 *
 * <pre>{@code
 * CorpusStage.Result r = CorpusStage.run(recipe, "work", tokenizerJson, options, System.err::println);
 * r.manifest().path("blocks").asLong();
 * }</pre>
 */
public final class CorpusStage {

  /** Where the stage wrote, what its manifest says, and whether it was already there. */
  public record Result(String directory, JsonNode manifest, boolean skipped) {}

  private final Recipe recipe;
  private final String workDir;
  private final TokenizerRef tokenizer;
  private boolean fastEncoder = true;
  private Duration progressEvery = Duration.ofSeconds(5);
  private Consumer<String> progress = line -> {};

  private CorpusStage(Recipe recipe, String workDir, TokenizerRef tokenizer) {
    this.recipe = recipe;
    this.workDir = workDir;
    this.tokenizer = tokenizer;
  }

  public static CorpusStage of(Recipe recipe, String workDir, TokenizerRef tokenizer) {
    if (recipe.corpus() == null) {
      throw new IllegalArgumentException("recipe " + recipe.name() + " has no corpus to assemble");
    }
    return new CorpusStage(recipe, workDir, tokenizer);
  }

  public CorpusStage progress(Consumer<String> sink, Duration every) {
    this.progress = sink;
    this.progressEvery = every;
    return this;
  }

  public CorpusStage fastEncoder(boolean fast) {
    this.fastEncoder = fast;
    return this;
  }

  /** The stage's entry in the compiled plan. */
  public static Stage stage(Recipe recipe) {
    return Plan.compile(recipe).stages().stream()
        .filter(s -> s.kind() == Stage.Kind.CORPUS)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("recipe " + recipe.name() + " has no corpus stage"));
  }

  /** {@code <workDir>/<recipe>/corpus/<fingerprint>} (no trailing slash). */
  public static String directory(Recipe recipe, String workDir) {
    return Artifacts.uri(Artifacts.stageDir(workDir, recipe.name(), stage(recipe)));
  }

  /** The finished stage's manifest, if it verifies. */
  public static java.util.Optional<JsonNode> done(Recipe recipe, String workDir) {
    return StageManifest.verified(Artifacts.dir(directory(recipe, workDir)), stage(recipe).fingerprint());
  }

  /** Runs the stage, or returns the existing manifest when this fingerprint already finished. */
  public Result run(PipelineOptions options) {
    FileSystems.setDefaultPipelineOptions(options);
    Stage stage = stage(recipe);
    String dir = directory(recipe, workDir);
    java.util.Optional<JsonNode> existing = StageManifest.verified(Artifacts.dir(dir), stage.fingerprint());
    if (existing.isPresent()) {
      return new Result(dir, existing.get(), true);
    }

    CorpusSpec spec = recipe.corpus();
    List<Source> sources = new ArrayList<>();
    long totalBytes = 0;
    for (SourceSpec s : spec.sources()) {
      Source source = SourceRegistry.create(s);
      Source.InputSummary found = source.checkInputs();
      totalBytes = found.bytes() < 0 || totalBytes < 0 ? -1 : totalBytes + found.bytes();
      sources.add(source);
    }
    ManifestHeader header = header(recipe, stage, tokenizer);
    deleteStaleOutputs(dir);

    String runId = UUID.randomUUID().toString();
    Pipeline pipeline = Pipeline.create(options);
    build(pipeline, recipe, sources, dir, tokenizer, header, fastEncoder, runId);
    ProgressMeter meter = ProgressMeter.get(runId);
    long total = totalBytes;
    Thread reporter =
        new Thread(
            () -> {
              try {
                while (true) {
                  Thread.sleep(progressEvery.toMillis());
                  progress.accept("corpus: " + meter.line(total));
                }
              } catch (InterruptedException e) {
                // finished
              }
            },
            "corpus-progress");
    reporter.setDaemon(true);
    reporter.start();
    try {
      io.roberta.pipelines.stage.StagePipeline.runToCompletion(pipeline, "corpus");
    } finally {
      reporter.interrupt();
      progress.accept("corpus: " + meter.line(total));
      ProgressMeter.remove(runId);
    }
    JsonNode manifest = StageManifest.verified(Artifacts.dir(dir), stage.fingerprint()).orElseThrow(
        () -> new IllegalStateException("the corpus pipeline finished but " + dir + "/" + CorpusManifest.FILE_NAME
            + " is missing or does not match the shards"));
    return new Result(dir, manifest, false);
  }

  /** Adds the stage's transforms to {@code pipeline}; {@link #run} and job descriptions share it. */
  public static void build(Pipeline pipeline, Recipe recipe, String dir, TokenizerRef tokenizer, ManifestHeader header) {
    List<Source> sources = new ArrayList<>();
    for (SourceSpec s : recipe.corpus().sources()) {
      sources.add(SourceRegistry.create(s));
    }
    build(pipeline, recipe, sources, dir, tokenizer, header, true, null);
  }

  private static void build(Pipeline pipeline, Recipe recipe, List<Source> sources, String dir, TokenizerRef tokenizer,
      ManifestHeader header, boolean fastEncoder, String runId) {
    pipeline.apply(
        "AssembleCorpus",
        AssembleCorpus.builder(recipe.corpus(), sources, header, dir)
            .tokenizer(tokenizer)
            .fastEncoder(fastEncoder)
            .progress(runId)
            .build());
  }

  static ManifestHeader header(Recipe recipe, Stage stage, TokenizerRef ref) {
    int vocab;
    int bos;
    int eos;
    int pad;
    var tokenizer = ref.local();
    var file = tokenizer;
    ByteLevelBpe json = ByteLevelBpe.tryLoad(tokenizer);
    if (json != null) {
      // Read in Java: the driver then never loads the native library (start-up time).
      vocab = json.vocabSize();
      bos = special(json.tokenToId("<s>"), "<s>", json.file());
      eos = special(json.tokenToId("</s>"), "</s>", json.file());
      pad = special(json.tokenToId("<pad>"), "<pad>", json.file());
      file = json.file();
    } else {
      try (RobertaTokenizer t = RobertaTokenizer.load(tokenizer)) {
        vocab = t.vocabSize();
        bos = special(t.tokenToId("<s>"), "<s>", t.source());
        eos = special(t.tokenToId("</s>"), "</s>", t.source());
        pad = special(t.tokenToId("<pad>"), "<pad>", t.source());
        file = t.source();
      }
    }
    CorpusSpec spec = recipe.corpus();
    Map<String, Integer> weights = new LinkedHashMap<>();
    spec.sources().forEach(s -> weights.put(s.name(), s.weight()));
    String version = CorpusStage.class.getPackage().getImplementationVersion();
    return new ManifestHeader(
        recipe.name(),
        RecipeJson.fingerprint(recipe),
        stage.fingerprint(),
        RecipeJson.canonical(spec),
        ref.mainUri(),
        ref.mainEntry().sha256(),
        vocab,
        bos,
        eos,
        pad,
        ShardFormat.forVocabulary(vocab).dtype(),
        spec.packing().mode().name(),
        spec.packing().blockLength(),
        spec.holdoutFraction(),
        weights,
        Map.of(
            "roberta", version == null ? "development" : version,
            "beam", ReleaseInfo.getReleaseInfo().getVersion(),
            "java", System.getProperty("java.version")));
  }

  private static int special(int id, String token, Object source) {
    if (id < 0) {
      throw new IllegalArgumentException(
          "tokenizer " + source + " has no " + token + " token; RoBERTa blocks need <s>, </s> and <pad>");
    }
    return id;
  }

  /** Shards and temporary files a crashed run may have left; a manifest that did not match. */
  private static void deleteStaleOutputs(String dir) {
    try {
      List<ResourceId> stale = new ArrayList<>();
      for (String glob : List.of(dir + "/*.bin", dir + "/.tmp-*", dir + "/" + CorpusManifest.FILE_NAME)) {
        MatchResult m = FileSystems.match(List.of(glob), EmptyMatchTreatment.ALLOW).get(0);
        if (m.status() == MatchResult.Status.OK) {
          m.metadata().forEach(md -> stale.add(md.resourceId()));
        }
      }
      FileSystems.delete(stale, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + dir, e);
    }
  }

}
