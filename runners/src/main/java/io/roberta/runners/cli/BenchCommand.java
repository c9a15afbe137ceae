package io.roberta.runners.cli;

import io.roberta.dsl.Roberta;
import io.roberta.engine.bench.EngineBench;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.spec.ModelSpec;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code roberta bench engine}: masked-LM forward+backward tokens/s for the tiny and base
 * presets, and the model's FLOP rate as a fraction of ND4J's sgemm rate measured in the same run
 * (before and after the models, best of both), with native threads pinned.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {"Benchmark the engine against ND4J's measured sgemm ceiling.",
        "Not a test: prints tokens/s, model GFLOP/s and the fraction of the sgemm ceiling."})
public final class BenchCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "WHAT", description = {
      "engine: forward+backward of the presets against ND4J's sgemm ceiling.",
      "pretrain: the training stage (DirectRunner) against the bare engine loop on the same batches of a recipe's corpus.",
      "cuda-plan: what one roberta-base training step (32 x 512, BF16) asks of a GPU, counted on the dry device:"
          + " launches, GEMMs, memsets, allocations, host synchronisations; before and now, with the targets.",
      "rows: the rows bench/vs-pytorch.sh compares with PyTorch (train, step, base, infer, finetune); prints"
          + " 'row NAME UNITS s1,s2,...', seconds per timed step after --warmup untimed steps.",
      "stages: a recipe's masked-LM evaluation stage in the JVM that just pretrained its model against the same"
          + " evaluation in a fresh JVM: seconds and peak resident memory side by side, with ratios (--steps"
          + " pretraining steps, --blocks held-out blocks, --rounds alternations).",
      "rounds: multi-worker rounds (DiLoCo) quality on a recipe's corpus: the single-worker recipe over --seeds, K"
          + " = --workers over --round-steps x --outer-lrs, and one worker alone at batch / K (the floor); final"
          + " holdout losses, the verdicts, results.json and holdout-vs-tokens.png under --out.",
      "rounds-speed: one worker with --threads native threads against --speed-workers workers at once with"
          + " --threads / K each (DirectRunner, in process): tokens/s side by side, the ratio, and bytes per round"
          + " against a per-step all-reduce."})
  String what;

  @Option(names = "--threads", defaultValue = "2",
      description = "Native threads (OpenMP and BLAS), pinned (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--batch", defaultValue = "8", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--seq", defaultValue = "128", description = "Tokens per sequence (default: ${DEFAULT-VALUE}).")
  int seq;

  @Option(names = "--steps", defaultValue = "3", description = "Timed steps per model, best counts (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--models", split = ",", defaultValue = "tiny,base",
      description = "Presets to run, from tiny, base, shared-base (default: ${DEFAULT-VALUE}).")
  List<String> models;

  @Option(names = "--recipe", defaultValue = "TinyBrown",
      description = "bench pretrain: the recipe whose corpus and model are used (default: ${DEFAULT-VALUE}).")
  String recipe;

  @Option(names = "--work-dir", defaultValue = "work",
      description = "bench pretrain: where the recipe's tokenizer and corpus stages are (built when missing; default: ${DEFAULT-VALUE}).")
  String workDir;

  @Option(names = "--rows", split = ",", defaultValue = "train,step,base,infer,finetune",
      description = "bench rows: which rows (default: ${DEFAULT-VALUE}).")
  List<String> rows;

  @Option(names = "--warmup", defaultValue = "3",
      description = "bench rows: untimed steps per row first; the JIT compiles the kernels during the first few (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--warmup-seconds", defaultValue = "20",
      description = "bench rows: keep warming each row up until this many seconds have passed too: on a busy machine"
          + " the JIT's compiler threads need a while (default: ${DEFAULT-VALUE}).")
  double warmupSeconds;

  @Option(names = "--blocks", defaultValue = "1024",
      description = "bench stages: held-out blocks the evaluation scores (default: ${DEFAULT-VALUE}).")
  int blocks;

  @Option(names = "--rounds", defaultValue = "2",
      description = "bench stages: evaluations in this JVM and in a fresh one, alternated (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--profile",
      description = "bench rows: also print wall time per kernel operation for each row.")
  boolean profile;

  @Option(names = "--train-steps", defaultValue = "0",
      description = "bench rounds / rounds-speed: optimizer steps of every run (default: the recipe's schedule;"
          + " warm-up scales to steps / 15 as the main example's does).")
  int trainSteps;

  @Option(names = "--seeds", split = ",", defaultValue = "17,18,19",
      description = "bench rounds: seeds of the single-worker baseline; the first is every other run's (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--workers", defaultValue = "4",
      description = "bench rounds: K, workers of the DiLoCo runs (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--round-steps", split = ",", defaultValue = "10,25",
      description = "bench rounds: H values, inner steps per round (default: ${DEFAULT-VALUE}); rounds-speed uses the first.")
  List<Integer> roundSteps;

  @Option(names = "--outer-lrs", split = ",", defaultValue = "0.7,0.5",
      description = "bench rounds: outer learning rates, Nesterov momentum --outer-momentum (default: ${DEFAULT-VALUE}).")
  List<Double> outerLrs;

  @Option(names = "--inner-lrs", split = ",",
      description = "bench rounds: peak learning rates of the DiLoCo workers' inner AdamW (default: the recipe's).")
  List<Double> innerLrs = List.of();

  @Option(names = "--sync-steps", split = ",",
      description = "bench rounds: synchronous steps before the K workers take over (one worker on the global batch;"
          + " default: 0, K workers from the first step), a grid axis.")
  List<Integer> syncSteps = List.of();

  @Option(names = "--outer-warmup-rounds", split = ",",
      description = "bench rounds: rounds over which the outer lr moves from 1 to its value after the K workers take"
          + " over (default: 0, the outer lr from the first round), a grid axis.")
  List<Integer> outerWarmups = List.of();

  @Option(names = "--kinds", split = ",", defaultValue = "baseline,floor,diloco",
      description = "bench rounds: which kinds of run to train or reuse (default: ${DEFAULT-VALUE}); two grids of"
          + " different kinds can share one work dir at once.")
  java.util.Set<String> kinds;

  @Option(names = "--outer-momentum", defaultValue = "0.9", description = "bench rounds: outer momentum; Nesterov when above 0, 0 with outer lr 1 is plain averaging (default: ${DEFAULT-VALUE}).")
  double outerMomentum;

  @Option(names = "--micro-batch", defaultValue = "8",
      description = "bench rounds: micro-batch of the K-worker runs and the floor, and the batch the curves are scored in"
          + " (default: ${DEFAULT-VALUE}).")
  int microBatch;

  @Option(names = "--holdout-blocks", defaultValue = "2000",
      description = "bench rounds: holdout blocks of each run's final score (default: ${DEFAULT-VALUE}).")
  int holdoutBlocks;

  @Option(names = "--out", defaultValue = "bench-out/rounds",
      description = "bench rounds: where results.json and holdout-vs-tokens.png go (default: ${DEFAULT-VALUE}).")
  String outDir;

  @Option(names = "--stop-after", defaultValue = "0",
      description = "bench rounds: start no new run after this many seconds (0: no limit); finished runs are reused next time.")
  double stopAfter;

  @Option(names = "--speed-workers", defaultValue = "2", description = "bench rounds-speed: K (default: ${DEFAULT-VALUE}).")
  int speedWorkers;

  @Option(names = "--repeats", defaultValue = "1", description = "bench rounds-speed: repeats of the pair (default: ${DEFAULT-VALUE}).")
  int repeats;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The recipe's tokenizer and corpus stages (built when missing) for the rounds benchmarks. */
  private record Stages(io.roberta.spec.Recipe recipe, io.roberta.runners.options.RobertaPipelineOptions options,
      io.roberta.pipelines.tokenizer.TokenizerRef tokenizer, io.roberta.pipelines.corpus.CorpusOutput corpus) {}

  private Stages builtStages() {
    io.roberta.spec.Recipe r = RecipeLoader.load(recipe);
    if (r.pretrain() == null) {
      throw new UserError("recipe " + r.name() + " has no pretrain section");
    }
    java.util.function.Consumer<String> log = line -> spec.commandLine().getErr().println(line);
    var options = io.roberta.runners.options.OptionsCheck.parse(List.of(), workDir);
    var tokenizer = io.roberta.pipelines.corpus.RecipeTokenizer.ensure(r, workDir, options, log);
    var corpus = io.roberta.pipelines.corpus.CorpusStage.of(r, workDir, tokenizer).run(options);
    return new Stages(r, options, tokenizer,
        io.roberta.pipelines.corpus.CorpusOutput.of(corpus.directory(), corpus.manifest()));
  }

  /** DiLoCo quality grid against the single-worker baseline and the floor. */
  private Integer rounds() {
    Stages s = builtStages();
    int steps = trainSteps > 0 ? trainSteps : s.recipe().pretrain().schedule().totalSteps();
    if (seeds.isEmpty() || roundSteps.isEmpty() || outerLrs.isEmpty() || workers < 2) {
      throw new UserError("bench rounds needs --seeds, --round-steps, --outer-lrs and --workers >= 2");
    }
    PrintWriter out = spec.commandLine().getOut();
    int threads = Nd4jKernels.pinThreads(this.threads);
    out.printf(Locale.ROOT, "bench rounds: %s, native threads %d, OMP_WAIT_POLICY %s%n", s.recipe().name(), threads,
        System.getenv("OMP_WAIT_POLICY"));
    s.options().as(org.apache.beam.runners.direct.DirectOptions.class).setTargetParallelism(1);
    io.roberta.runners.bench.RoundsBench.Grid grid;
    try {
      grid = new io.roberta.runners.bench.RoundsBench.Grid(steps, seeds, workers, roundSteps, outerLrs, outerMomentum,
          microBatch, innerLrs == null ? List.of() : innerLrs, kinds, syncSteps == null ? List.of() : syncSteps,
          outerWarmups == null ? List.of() : outerWarmups);
    } catch (IllegalArgumentException e) {
      throw new UserError("bench rounds: " + e.getMessage());
    }
    io.roberta.runners.bench.RoundsBench.quality(s.recipe(), grid, workDir, s.corpus(), s.tokenizer(), s.options(),
        holdoutBlocks, java.nio.file.Path.of(outDir), stopAfter, out);
    out.printf("results: %s/results.json, plot: %s/holdout-vs-tokens.png%n", outDir, outDir);
    out.flush();
    return 0;
  }

  /** K workers with a core each against one worker with all of them. */
  private Integer roundsSpeed() {
    Stages s = builtStages();
    int steps = trainSteps > 0 ? trainSteps : s.recipe().pretrain().schedule().totalSteps();
    java.nio.file.Path scratch;
    try {
      scratch = java.nio.file.Files.createTempDirectory("roberta-bench-rounds-speed");
    } catch (java.io.IOException e) {
      throw new UserError("cannot create a scratch folder: " + e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "bench rounds-speed: %s, %d steps, scratch %s, OMP_WAIT_POLICY %s (DirectRunner in one"
        + " process, not a Flink cluster)%n", s.recipe().name(), steps, scratch, System.getenv("OMP_WAIT_POLICY"));
    out.flush();
    try {
      io.roberta.runners.bench.RoundsBench.speed(s.recipe(), steps, roundSteps.get(0), speedWorkers, threads, repeats,
          scratch.toString(), s.corpus(), s.tokenizer(), s.options(), out);
    } finally {
      io.roberta.runners.bench.RoundsBench.deleteTree(scratch);
    }
    return 0;
  }

  /** The side-by-side rows; see {@link EngineBench#ROWS}. */
  private Integer rows() {
    if (threads < 1 || steps < 1) {
      throw new UserError("--threads and --steps must be at least 1");
    }
    for (String name : rows) {
      if (!EngineBench.ROWS.contains(name)) {
        throw new UserError("unknown row '" + name + "'; valid: " + String.join(", ", EngineBench.ROWS));
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    int pinned = Nd4jKernels.pinThreads(threads);
    spec.commandLine().getErr().printf(Locale.ROOT, "bench rows: threads pinned %d (BLAS %d), "
        + "OMP_WAIT_POLICY %s, OPENBLAS_THREAD_TIMEOUT %s, FP32 row kernels %s, %s, load average %.1f%n",
        threads, pinned, System.getenv("OMP_WAIT_POLICY"), System.getenv("OPENBLAS_THREAD_TIMEOUT"),
        Nd4jKernels.floatKernels(), Nd4jKernels.blasBuild(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    ModelSpec tiny = Roberta.tiny().build();
    ModelSpec base = Roberta.base().build();
    for (String name : rows) {
      Nd4jKernels nd4j = new Nd4jKernels(KernelPrecision.FP32);
      io.roberta.engine.kernels.Kernels kernels = nd4j;
      io.roberta.engine.bench.KernelProfile profiler = null;
      if (profile) {
        profiler = new io.roberta.engine.bench.KernelProfile(kernels);
        kernels = profiler.kernels();
      }
      EngineBench.Row row = EngineBench.row(name, tiny, base, kernels);
      long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
      for (int w = 0; w < warmup || System.nanoTime() < warmEnd; w++) {
        row.time();
      }
      if (profiler != null) {
        profiler.reset();
      }
      StringBuilder times = new StringBuilder();
      double total = 0;
      for (int s = 0; s < steps; s++) {
        double t = row.time();
        total += t;
        times.append(s == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.5f", t));
      }
      out.printf(Locale.ROOT, "row %s %d %s%n", name, row.unitsPerStep(), times);
      if (profiler != null) {
        profiler.print(out, total);
        out.println(nd4j.poolStats());
      }
      out.flush();
      kernels.close(); // this row's buffer pools; the next row starts from nothing held
    }
    return 0;
  }

  /** The training stage against the bare loop; --steps optimizer steps of the recipe. */
  private Integer pretrain() {
    io.roberta.spec.Recipe r = RecipeLoader.load(recipe);
    if (r.pretrain() == null) {
      throw new UserError("recipe " + r.name() + " has no pretrain section");
    }
    PrintWriter out = spec.commandLine().getOut();
    java.util.function.Consumer<String> log = line -> spec.commandLine().getErr().println(line);
    var options = io.roberta.runners.options.OptionsCheck.parse(List.of(), workDir);
    var tokenizer = io.roberta.pipelines.corpus.RecipeTokenizer.ensure(r, workDir, options, log);
    var corpus = io.roberta.pipelines.corpus.CorpusStage.of(r, workDir, tokenizer).run(options);
    java.nio.file.Path scratch;
    try {
      scratch = java.nio.file.Files.createTempDirectory("roberta-bench-pretrain");
    } catch (java.io.IOException e) {
      throw new UserError("cannot create a scratch folder: " + e.getMessage(), e);
    }
    var output = io.roberta.pipelines.corpus.CorpusOutput.of(corpus.directory(), corpus.manifest());
    List<io.roberta.pipelines.pretrain.TrainingJob> runs = List.of( // one output folder per timed stage run
        io.roberta.pipelines.pretrain.PretrainStage.job(r, scratch.resolve("run1").toString(), output, tokenizer, steps, 0, "nd4j"),
        io.roberta.pipelines.pretrain.PretrainStage.job(r, scratch.resolve("run2").toString(), output, tokenizer, steps, 0, "nd4j"));
    out.printf(Locale.ROOT, "bench pretrain: %s, %d steps of %d x %d tokens, scratch output %s%n", r.name(), steps,
        r.pretrain().batchSize(), r.corpus().packing().blockLength(), scratch);
    out.flush();
    io.roberta.runners.bench.PretrainBench.run(runs, steps, out);
    out.flush();
    return 0;
  }

  /** The evaluation stage after pretraining in one JVM against a fresh JVM. */
  private Integer stages() {
    if (steps < 1 || blocks < 1 || rounds < 1) {
      throw new UserError("--steps, --blocks and --rounds must be at least 1");
    }
    io.roberta.spec.Recipe r = RecipeLoader.load(recipe);
    if (r.pretrain() == null || r.corpus() == null) {
      throw new UserError("recipe " + r.name() + " has no pretrain or corpus section");
    }
    try {
      io.roberta.runners.bench.StagesBench.run(r, steps, blocks, rounds, spec.commandLine().getOut());
    } catch (Exception e) {
      throw new IllegalStateException("bench stages failed: " + e.getMessage(), e);
    }
    return 0;
  }

  @Override
  public Integer call() {
    if (what.equals("pretrain")) {
      return pretrain();
    }
    if (what.equals("stages")) {
      return stages();
    }
    if (what.equals("cuda-plan")) {
      return cudaPlan();
    }
    if (what.equals("rounds")) {
      return rounds();
    }
    if (what.equals("rounds-speed")) {
      return roundsSpeed();
    }
    if (what.equals("rows")) {
      return rows();
    }
    if (!what.equals("engine")) {
      throw new UserError("unknown benchmark '" + what + "'; available: engine, pretrain, cuda-plan, rows, stages, rounds,"
          + " rounds-speed");
    }
    if (threads < 1 || batch < 1 || seq < 1 || steps < 1) {
      throw new UserError("--threads, --batch, --seq and --steps must be at least 1");
    }
    List<ModelSpec> specs = new ArrayList<>();
    for (String name : models) {
      specs.add(switch (name) {
        case "tiny" -> Roberta.tiny().build();
        case "base" -> Roberta.base().build();
        case "shared-base" -> Roberta.sharedBase().build();
        default -> throw new UserError("unknown preset '" + name + "'; valid: tiny, base, shared-base");
      });
    }
    PrintWriter out = spec.commandLine().getOut();
    String waitPolicy = System.getenv("OMP_WAIT_POLICY");
    if (waitPolicy == null || !waitPolicy.equalsIgnoreCase("passive")) {
      out.println("note: OMP_WAIT_POLICY is " + (waitPolicy == null ? "unset" : waitPolicy)
          + "; on a shared machine export OMP_WAIT_POLICY=PASSIVE (spinning OpenMP threads made"
          + " steps up to 30x slower here)");
    }
    int pinned = Nd4jKernels.pinThreads(threads);
    out.printf(Locale.ROOT, "threads pinned: %d (BLAS reports %d); cores visible: %d; %s; load "
        + "average %.1f%n", threads, pinned, Runtime.getRuntime().availableProcessors(), Nd4jKernels.blasBuild(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    double ceilingBefore = ceiling();
    out.printf(Locale.ROOT, "ND4J sgemm ceiling (before): %.1f GFLOP/s%n", ceilingBefore);
    out.flush();
    Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
    List<EngineBench.Result> results = new ArrayList<>();
    List<Double> matchedFractions = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      EngineBench.Session session = EngineBench.prepare(specs.get(i), kernels, batch, seq);
      session.step(); // warm-up
      double best = Double.MAX_VALUE;
      double bestMatched = 0;
      for (int s = 0; s < steps; s++) {
        // a ceiling sampled right before and after each step shares the step's load
        double before = Nd4jKernels.sgemmGflops(1024, 3072, 768, 0.5);
        double seconds = session.step();
        double after = Nd4jKernels.sgemmGflops(1024, 3072, 768, 0.5);
        best = Math.min(best, seconds);
        double rate = session.flopsPerStep() / seconds / 1e9;
        bestMatched = Math.max(bestMatched, rate / ((before + after) / 2));
      }
      EngineBench.Result r = session.result(best);
      results.add(r);
      matchedFractions.add(bestMatched);
      out.printf(Locale.ROOT,
          "%-12s batch %d x %d: %.3f s/step, %.0f tokens/s, %.1f model GFLOP/s%n",
          models.get(i), batch, seq, r.secondsPerStep(), r.tokensPerSecond(), r.gflops());
      out.flush();
    }
    double ceilingAfter = ceiling();
    double ceiling = Math.max(ceilingBefore, ceilingAfter);
    out.printf(Locale.ROOT, "ND4J sgemm ceiling (after): %.1f GFLOP/s; using %.1f; load average "
        + "%.1f%n", ceilingAfter, ceiling,
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (int i = 0; i < results.size(); i++) {
      out.printf(Locale.ROOT, "%-12s fraction of sgemm ceiling: %.2f (against the sgemm rate "
          + "sampled around each step: %.2f)%n", models.get(i), results.get(i).gflops() / ceiling,
          matchedFractions.get(i));
    }
    out.println("(model FLOPs: 3x forward, ModelSpec.forwardFlopsPerToken with the LM head on the"
        + " masked 15%; speed claims belong to this command, not to tests)");
    out.flush();
    return 0;
  }

  /** Best of the projection shapes of roberta-base at 1024 tokens, each run for 2 seconds. */
  private static double ceiling() {
    double best = 0;
    best = Math.max(best, Nd4jKernels.sgemmGflops(1024, 768, 768, 2.0));
    best = Math.max(best, Nd4jKernels.sgemmGflops(1024, 3072, 768, 2.0));
    best = Math.max(best, Nd4jKernels.sgemmGflops(1024, 768, 3072, 2.0));
    return best;
  }

  /** engine-cuda is a run-time dependency of this module: its counting class is found by name. */
  private int cudaPlan() {
    PrintWriter out = spec.commandLine().getOut();
    try {
      Class.forName("io.roberta.engine.cuda.CudaPlan").getMethod("print", PrintWriter.class).invoke(null, out);
    } catch (ClassNotFoundException e) {
      throw new UserError("bench cuda-plan needs the engine-cuda module on the class path");
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("bench cuda-plan failed", e.getCause() != null ? e.getCause() : e);
    }
    return 0;
  }
}
