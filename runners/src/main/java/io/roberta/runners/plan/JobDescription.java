package io.roberta.runners.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.tokenizer.RobertaTokenizer;
import io.roberta.pipelines.corpus.AssembleCorpus;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.corpus.CorpusStage;
import io.roberta.pipelines.corpus.RecipeTokenizer;
import io.roberta.pipelines.stage.Artifacts;
import io.roberta.pipelines.stage.FileEntry;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import org.apache.beam.sdk.io.FileSystems;
import io.roberta.pipelines.corpus.CorpusText;
import io.roberta.pipelines.corpus.ManifestHeader;
import io.roberta.pipelines.corpus.ShardFormat;
import io.roberta.pipelines.corpus.Source;
import io.roberta.pipelines.corpus.SourceRegistry;
import io.roberta.pipelines.eval.EvaluateMaskedLm;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.pipelines.pretrain.TrainModel;
import io.roberta.pipelines.pretrain.TrainingJob;
import io.roberta.pipelines.tokenizer.TrainTokenizer;
import io.roberta.runners.options.OptionsCheck;
import io.roberta.runners.options.RobertaPipelineOptions;
import io.roberta.spec.EvalSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.SourceSpec;
import io.roberta.pipelines.eval.EvalStage;
import io.roberta.pipelines.finetune.FinetuneStage;
import io.roberta.spec.FinetuneSpec;
import io.roberta.spec.RecipeJson;
import io.roberta.spec.plan.Plan;
import io.roberta.spec.plan.Stage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.model.pipeline.v1.RunnerApi;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.util.construction.PipelineTranslation;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.InvalidProtocolBufferException;
import org.apache.beam.vendor.grpc.v1p60p1.com.google.protobuf.util.JsonFormat;

/**
 * A recipe's stages as the jobs a runner would be given, without running any of them: for each
 * stage its Beam pipeline translated to the portable proto ({@link PipelineTranslation#toProto})
 * and the options of its job. Each stage is its own job (the driver reads one stage's manifest
 * before it builds the next), so the training stage's job gets its own machine type
 * ({@code --trainingMachineType}) and, on Dataflow, its GPU ({@code worker_accelerator}); its
 * training transform alone also carries the accelerator resource hint.
 *
 * <p>This is what can be checked offline: the DataflowRunner itself contacts Cloud Storage before
 * it writes a job file. Values only a finished earlier stage knows (the tokenizer's special-token
 * ids and hash, the shard list) are placeholders until that stage has run; the eval stage counts
 * the holdout blocks while it is built, so it is described once the corpus exists.
 *
 * <pre>{@code
 * ObjectNode json = JobDescription.of(recipe, List.of("--runner=DataflowRunner", "--project=p", ...)).toJson();
 * }</pre>
 */
public final class JobDescription {
  /** The Beam URN of the accelerator resource hint in a transform's environment. */
  public static final String ACCELERATOR_URN = "beam:resources:accelerator:v1";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One stage's job: null {@code pipeline} with a {@code note} when it cannot be built yet. */
  public record StageJob(Stage.Kind kind, String fingerprint, String directory, Map<String, String> options,
      RunnerApi.Pipeline pipeline, String note) {}

  private final Recipe recipe;
  private final String runner;
  private final List<StageJob> stages;

  private JobDescription(Recipe recipe, String runner, List<StageJob> stages) {
    this.recipe = recipe;
    this.runner = runner;
    this.stages = List.copyOf(stages);
  }

  /** Checks the options ({@link OptionsCheck}) and builds every stage's pipeline without running it. */
  public static JobDescription of(Recipe recipe, List<String> args) {
    return of(recipe, args, null);
  }

  /** As {@link #of(Recipe, List)}, with the command's {@code --work-dir} (null: Beam's {@code --workDir}). */
  public static JobDescription of(Recipe recipe, List<String> args, String workDirOverride) {
    return of(recipe, args, workDirOverride, false);
  }

  /**
   * Every stage described as not run yet: nothing is read from the work dir (on {@code gs://}
   * that needs credentials and the network), so finished stages' outputs are placeholders too and
   * the masked-LM evaluation is announced, not built.
   */
  public static JobDescription planned(Recipe recipe, List<String> args) {
    return of(recipe, args, null, true);
  }

  /** {@code plannedOnly}: see {@link #planned}. */
  public static JobDescription of(Recipe recipe, List<String> args, String workDirOverride, boolean plannedOnly) {
    RobertaPipelineOptions options = OptionsCheck.parse(args, workDirOverride);
    String runner = OptionsCheck.runner(args);
    String workDir = strip(options.getWorkDir());
    Map<String, String> given = given(args);
    String accelerator = options.getTrainingAccelerator() != null
        ? options.getTrainingAccelerator()
        : recipe.pretrain() == null ? null : recipe.pretrain().accelerator();
    if (accelerator != null) {
      OptionsCheck.accelerator(accelerator, options.getTrainingAccelerator() != null ? "--trainingAccelerator" : "pretrain.accelerator");
    }

    FileSystems.setDefaultPipelineOptions(options);
    Plan plan = Plan.compile(recipe);
    Map<Stage.Kind, Stage> byKind = new LinkedHashMap<>();
    plan.stages().forEach(s -> byKind.putIfAbsent(s.kind(), s));
    List<StageJob> jobs = new ArrayList<>();
    String backend = options.getBackend();

    Stage tok = byKind.get(Stage.Kind.TOKENIZER);
    TokenizerRef tokenizer = tokenizer(recipe, workDir, tok, plannedOnly);
    if (tok != null && recipe.tokenizer().isTrained()) {
      Pipeline p = newPipeline();
      RecipeTokenizer.build(p, recipe, dir(workDir, recipe, tok), CorpusText.of(recipe.corpus()));
      jobs.add(new StageJob(tok.kind(), tok.fingerprint(), dir(workDir, recipe, tok), given, PipelineTranslation.toProto(p), null));
    }

    Stage corpus = byKind.get(Stage.Kind.CORPUS);
    CorpusOutput corpusOutput = null;
    if (corpus != null) {
      String corpusDir = dir(workDir, recipe, corpus);
      JsonNode corpusManifest = plannedOnly ? null : CorpusStage.done(recipe, workDir).orElse(null);
      Pipeline p = newPipeline();
      CorpusStage.build(p, recipe, corpusDir, tokenizer, placeholderHeader(recipe, corpus, tokenizer));
      jobs.add(new StageJob(corpus.kind(), corpus.fingerprint(), corpusDir, given, PipelineTranslation.toProto(p), null));
      corpusOutput = corpusManifest != null ? CorpusOutput.of(corpusDir, corpusManifest) : plannedCorpus(recipe, corpusDir, tokenizer);
    }

    // Training stages: their step carries the accelerator as a resource hint (Dataflow right-fits
    // those steps' workers); the job gets the training machine type. worker_accelerator is not
    // set as well: Dataflow's right-fitting guide says not to combine it with resource hints.
    Map<String, String> trainingOptions = new LinkedHashMap<>(given);
    if (options.getTrainingMachineType() != null) {
      trainingOptions.put("workerMachineType", options.getTrainingMachineType());
    }
    Stage pretrain = byKind.get(Stage.Kind.PRETRAIN);
    FolderRef pretrainedHf = null;
    if (pretrain != null && corpus != null) {
      TrainingJob job = PretrainStage.job(recipe, workDir, corpusOutput, tokenizer, -1, 2_000, backend);
      Pipeline p = newPipeline();
      PretrainStage.build(p, job, accelerator);
      jobs.add(new StageJob(pretrain.kind(), pretrain.fingerprint(), dir(workDir, recipe, pretrain), trainingOptions,
          PipelineTranslation.toProto(p), null));
      pretrainedHf = (plannedOnly ? java.util.Optional.<JsonNode>empty() : PretrainStage.done(recipe, workDir))
          .map(m -> FolderRef.fromManifest(dir(workDir, recipe, pretrain), m, "hf/"))
          .orElse(placeholderModel(dir(workDir, recipe, pretrain) + "/hf"));
    }

    // Fine-tuning: one training job per task (and per random-init baseline), hinted as pretraining.
    Map<String, FolderRef> models = new LinkedHashMap<>();
    for (FinetuneSpec f : recipe.finetune()) {
      for (boolean random : f.randomInitBaseline() ? new boolean[] {false, true} : new boolean[] {false}) {
        Stage s = FinetuneStage.stage(recipe, f.task(), random);
        String out = dir(workDir, recipe, s);
        FolderRef init = FinetuneStage.init(recipe, f.task(), pretrainedHf);
        Pipeline p = newPipeline();
        FinetuneStage.build(p, FinetuneStage.job(recipe, f.task(), random, workDir, init, backend), accelerator);
        jobs.add(new StageJob(s.kind(), s.fingerprint(), out, trainingOptions, PipelineTranslation.toProto(p), null));
        models.put(random ? f.task() + EvalStage.BASELINE_SUFFIX : f.task(),
            (plannedOnly ? java.util.Optional.<FinetuneStage.Result>empty() : FinetuneStage.done(recipe, f.task(), random, workDir))
                .map(FinetuneStage.Result::model)
                .orElse(placeholderModel(out + "/hf")));
      }
    }

    Stage evalStage = plan.stage("eval").orElse(null);
    if (evalStage != null) {
      String evalDir = dir(workDir, recipe, evalStage);
      boolean maskedLm = recipe.eval().tasks().stream().anyMatch(t -> t.kind() == EvalSpec.Task.Kind.MASKED_LM);
      if (maskedLm && (corpus == null || plannedOnly || CorpusStage.done(recipe, workDir).isEmpty())) {
        jobs.add(new StageJob(Stage.Kind.EVAL, evalStage.fingerprint(), evalDir, given, null,
            "the masked-LM evaluation takes its holdout block count from the corpus manifest: described once the corpus"
                + " stage has run"));
      } else {
        Pipeline e = newPipeline();
        EvalStage.build(e, recipe, evalDir, new EvalStage.Inputs(pretrainedHf, corpusOutput, models), backend);
        jobs.add(new StageJob(Stage.Kind.EVAL, evalStage.fingerprint(), evalDir, given, PipelineTranslation.toProto(e), null));
      }
    }
    return new JobDescription(recipe, runner, jobs);
  }

  public List<StageJob> stages() {
    return stages;
  }

  public String runner() {
    return runner;
  }

  /** The description as JSON: recipe, runner, and per stage its options and pipeline proto. */
  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("recipe", recipe.name());
    root.put("recipeFingerprint", RecipeJson.fingerprint(recipe));
    root.put("runner", runner);
    root.put("note", "Each stage is its own job, run in this order; pipelines are Beam portable protos (PipelineTranslation.toProto)"
        + " before the runner's own overrides. Values only an earlier stage's output knows are placeholders until it has run.");
    ArrayNode list = root.putArray("stages");
    // (checked below, once every stage is in)
    for (StageJob s : stages) {
      ObjectNode o = list.addObject();
      o.put("stage", s.kind().name().toLowerCase(java.util.Locale.ROOT));
      o.put("fingerprint", s.fingerprint());
      o.put("directory", s.directory());
      ObjectNode opts = o.putObject("options");
      s.options().forEach(opts::put);
      ArrayNode hinted = o.putArray("acceleratorTransforms");
      if (s.pipeline() != null) {
        acceleratorHints(s.pipeline()).forEach((name, hint) -> hinted.addObject().put("transform", name).put("accelerator", hint));
        try {
          o.set("pipeline", JSON.readTree(JsonFormat.printer().print(s.pipeline())));
        } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalStateException("cannot print the " + s.kind() + " pipeline as JSON", e);
        }
      } else {
        o.putNull("pipeline");
        o.put("note", s.note());
      }
    }
    checkUris(root, "$");
    return root;
  }

  /** Writes the JSON to {@code uri} (a local path or any Beam file system). */
  public void write(String uri) {
    var file = Artifacts.file(uri);
    Artifacts.writeJson(file.getCurrentDirectory(), file.getFilename(), toJson());
  }

  /**
   * Throws when a string anywhere in {@code node} holds a URI with one slash after its scheme
   * ({@code gs:/b/x}): what {@code java.nio} makes of {@code gs://b/x}.
   */
  static void checkUris(JsonNode node, String at) {
    if (node.isTextual()) {
      java.util.regex.Matcher m = SINGLE_SLASH.matcher(node.asText());
      if (m.find()) {
        throw new IllegalStateException("job description " + at + " holds a malformed URI (one slash after the scheme): "
            + m.group() + " in " + node.asText());
      }
    } else if (node.isContainerNode()) {
      node.fields().forEachRemaining(e -> checkUris(e.getValue(), at + "." + e.getKey()));
      if (node.isArray()) {
        for (int i = 0; i < node.size(); i++) {
          checkUris(node.get(i), at + "[" + i + "]");
        }
      }
    }
  }

  private static final java.util.regex.Pattern SINGLE_SLASH =
      java.util.regex.Pattern.compile("\\b(gs|s3|hdfs|fakegs|file|gcs):/(?!/)[^\\s\"]*");

  /** Transform name to accelerator hint, for every transform whose environment asks for one. */
  public static Map<String, String> acceleratorHints(RunnerApi.Pipeline pipeline) {
    Map<String, String> out = new LinkedHashMap<>();
    RunnerApi.Components c = pipeline.getComponents();
    c.getTransformsMap().values().stream()
        .filter(t -> !t.getEnvironmentId().isEmpty())
        .sorted(java.util.Comparator.comparing(RunnerApi.PTransform::getUniqueName))
        .forEach(t -> {
          RunnerApi.Environment env = c.getEnvironmentsOrThrow(t.getEnvironmentId());
          if (env.getResourceHintsMap().containsKey(ACCELERATOR_URN)) {
            out.put(t.getUniqueName(), env.getResourceHintsMap().get(ACCELERATOR_URN).toStringUtf8());
          }
        });
    return out;
  }

  /** A pipeline to build into; never run, so the runner it names does not matter (the DataflowRunner would contact GCS). */
  private static Pipeline newPipeline() {
    return Pipeline.create(PipelineOptionsFactory.create());
  }

  /** The option names and values as given ({@code --name=value}, {@code --flag} as true). */
  static Map<String, String> given(List<String> args) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      out.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
    }
    return out;
  }

  /** A file entry for what a stage has not written yet (size 0, all-zero hash): job descriptions only. */
  private static final FileEntry PLANNED = new FileEntry("planned", 0, "0".repeat(64));

  private static TokenizerRef tokenizer(Recipe recipe, String workDir, Stage tok, boolean plannedOnly) {
    if (!recipe.tokenizer().isTrained()) {
      return TokenizerRef.of(recipe.tokenizer().path());
    }
    return (plannedOnly ? java.util.Optional.<TokenizerRef>empty() : RecipeTokenizer.done(recipe, workDir)).orElse(new TokenizerRef(dir(workDir, recipe, tok),
        RobertaTokenizer.TOKENIZER_JSON, List.of(new FileEntry(RobertaTokenizer.TOKENIZER_JSON, 0, PLANNED.sha256()))));
  }

  private static FolderRef placeholderModel(String dir) {
    return new FolderRef(dir, List.of(new FileEntry("config.json", 0, PLANNED.sha256()),
        new FileEntry("model.safetensors", 0, PLANNED.sha256()), new FileEntry("tokenizer.json", 0, PLANNED.sha256())));
  }

  private static ManifestHeader placeholderHeader(Recipe recipe, Stage corpus, TokenizerRef tokenizer) {
    int vocab = vocabSize(recipe, tokenizer);
    Map<String, Integer> weights = new LinkedHashMap<>();
    recipe.corpus().sources().forEach(s -> weights.put(s.name(), s.weight()));
    // <s>, <pad>, </s> are 0, 1, 2 in RoBERTa's vocabularies; the run reads them from the file.
    return new ManifestHeader(recipe.name(), RecipeJson.fingerprint(recipe), corpus.fingerprint(), RecipeJson.canonical(recipe.corpus()),
        tokenizer.mainUri(), "(computed when the tokenizer stage has run)", vocab, 0, 2, 1, ShardFormat.forVocabulary(vocab).dtype(),
        recipe.corpus().packing().mode().name(), recipe.corpus().packing().blockLength(), recipe.corpus().holdoutFraction(), weights,
        Map.of("beam", org.apache.beam.sdk.util.ReleaseInfo.getReleaseInfo().getVersion()));
  }

  private static int vocabSize(Recipe recipe, TokenizerRef tokenizer) {
    if (recipe.tokenizer().isTrained()) {
      return recipe.tokenizer().vocabSize();
    }
    try (RobertaTokenizer t = RobertaTokenizer.load(tokenizer.local())) {
      return t.vocabSize();
    }
  }

  /** The shard names and format the corpus stage will write, for a plan made before it has run. */
  private static CorpusOutput plannedCorpus(Recipe recipe, String corpusDir, TokenizerRef tokenizer) {
    List<List<CorpusOutput.Shard>> splits = new ArrayList<>();
    for (String split : List.of("train", "holdout")) {
      int n = split.equals("train") ? AssembleCorpus.TRAIN_SHARDS : AssembleCorpus.HOLDOUT_SHARDS;
      List<CorpusOutput.Shard> shards = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        shards.add(new CorpusOutput.Shard(new FileEntry(String.format("%s-%05d-of-%05d.bin", split, i, n), 0, PLANNED.sha256()), 0));
      }
      splits.add(shards);
    }
    return new CorpusOutput(corpusDir, ShardFormat.forVocabulary(vocabSize(recipe, tokenizer)).dtype().toUpperCase(java.util.Locale.ROOT),
        recipe.corpus().packing().blockLength(), splits.get(0), splits.get(1));
  }

  private static String dir(String workDir, Recipe recipe, Stage stage) {
    return Artifacts.uri(Artifacts.stageDir(workDir, recipe.name(), stage));
  }

  private static String strip(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }
}
