package io.roberta.runners.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.roberta.engine.data.TokenShards;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.train.HoldoutScore;
import io.roberta.engine.train.Pretrainer;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.spec.PretrainSpec;
import io.roberta.spec.Recipe;
import io.roberta.spec.RoundsSpec;
import io.roberta.spec.ScheduleSpec;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The two benchmarks of multi-worker rounds (DiLoCo), on a recipe's own tokenizer and corpus
 * stages (built once, reused by every run); only the pretraining stage differs between runs.
 *
 * <p><b>Quality</b> ({@link #quality}): the single-worker recipe over several seeds, DiLoCo with
 * K workers over a grid of round lengths H and outer learning rates (Nesterov momentum), and one
 * worker trained alone at the per-worker batch (batch / K, same steps) as the floor; every run's
 * final holdout loss on all scored holdout blocks, and a curve of holdout loss against tokens on
 * the first {@value #CURVE_BLOCKS} holdout blocks for every run, scored the same way for all of
 * them (the rounds' own outer loss; the single-worker runs' published checkpoints scored here).
 *
 * <p><b>Speed</b> ({@link #speed}): one worker with all native threads against K workers with
 * {@code threads / K} native threads each, training at once in one DirectRunner process (in
 * process, not on a Flink cluster); tokens/s side by side and the bytes a round moves against a
 * per-step ring all-reduce of the same model.
 *
 * <pre>{@code ./roberta bench rounds --steps=60 --round-steps=10,20 --outer-lrs=0.5,0.7}</pre>
 */
public final class RoundsBench {
  /** Holdout blocks of the curves: the rounds' outer loss scores at most this many. */
  public static final int CURVE_BLOCKS = 64;
  /** Evaluation batch of the curves: the K-worker runs' micro-batch, which scores the outer loss. */
  static final ObjectMapper JSON = new ObjectMapper();

  private RoundsBench() {}

  /** One pretraining run of the quality grid. */
  public record Run(String label, String kind, Recipe recipe, int workers, int roundSteps, double outerLr,
      long seed, int batch) {
    long tokensPerStep(int blockLength) {
      return (long) batch * blockLength;
    }
  }

  /** The grid's settings. */
  public record Grid(int steps, List<Long> seeds, int workers, List<Integer> roundSteps, List<Double> outerLrs,
      double momentum, int microBatch, List<Double> innerLrs, java.util.Set<String> kinds, List<Integer> syncSteps,
      List<Integer> outerWarmups) {
    /** The outer learning rate from the first round of K workers. */
    public Grid(int steps, List<Long> seeds, int workers, List<Integer> roundSteps, List<Double> outerLrs,
        double momentum, int microBatch, List<Double> innerLrs, java.util.Set<String> kinds, List<Integer> syncSteps) {
      this(steps, seeds, workers, roundSteps, outerLrs, momentum, microBatch, innerLrs, kinds, syncSteps, List.of());
    }

    /** Every kind of run, the workers at the recipe's own peak learning rate. */
    public Grid(int steps, List<Long> seeds, int workers, List<Integer> roundSteps, List<Double> outerLrs,
        double momentum, int microBatch) {
      this(steps, seeds, workers, roundSteps, outerLrs, momentum, microBatch, List.of(), KINDS, List.of());
    }

    public Grid {
      for (String k : kinds) {
        if (!KINDS.contains(k)) {
          throw new IllegalArgumentException("unknown kind of run '" + k + "'; valid: " + KINDS);
        }
      }
      for (int n : syncSteps) {
        if (n < 0) {
          throw new IllegalArgumentException("synchronous steps must be >= 0, got " + n);
        }
      }
      for (int w : outerWarmups) {
        if (w < 0) {
          throw new IllegalArgumentException("outer warm-up rounds must be >= 0, got " + w);
        }
      }
      for (double lr : innerLrs) {
        if (!(lr > 0)) {
          throw new IllegalArgumentException("inner learning rates must be positive, got " + lr);
        }
      }
    }
  }

  /** The kinds of run a grid has: the single-worker baselines, the floor, the DiLoCo settings. */
  public static final java.util.Set<String> KINDS = java.util.Set.of("baseline", "floor", "diloco");

  /**
   * The recipe's pretraining with {@code steps} optimizer steps (warm-up steps/15 as the main
   * example scales it; a sequence curriculum over the same fraction of them), another seed and
   * batch, checkpoints every {@code every} steps all kept, and rounds (null: one worker).
   */
  public static Recipe variant(Recipe base, int steps, long seed, int batch, int microBatch, RoundsSpec rounds,
      int every) {
    return variant(base, steps, seed, batch, microBatch, rounds, every, base.pretrain().schedule().peakLearningRate());
  }

  /** As above, at another peak learning rate (the DiLoCo workers' inner one). */
  public static Recipe variant(Recipe base, int steps, long seed, int batch, int microBatch, RoundsSpec rounds,
      int every, double peakLearningRate) {
    PretrainSpec p = base.pretrain();
    ScheduleSpec s = new ScheduleSpec(peakLearningRate, Math.max(1, steps / 15), steps);
    // a sequence curriculum keeps its share of the schedule
    io.roberta.spec.SequenceCurriculumSpec c = p.sequenceCurriculum() == null ? null
        : p.sequenceCurriculum().scaledTo(p.schedule().totalSteps(), steps);
    PretrainSpec q = new PretrainSpec(batch, microBatch, p.precision(), p.masking(), p.optimizer(), s, every,
        steps / every + 1, seed, p.accelerator(), rounds, c);
    return new Recipe(base.schemaVersion(), base.name(), base.model(), base.tokenizer(), base.corpus(), q,
        base.finetune(), base.eval());
  }

  /** The runs of the grid in the order they run: the most informative first, so a cut-short grid still says something. */
  public static List<Run> runs(Recipe base, Grid g) {
    int batch = base.pretrain().batchSize();
    long seed0 = g.seeds().get(0);
    int perWorker = batch / g.workers();
    List<Run> baselines = new ArrayList<>();
    for (long seed : g.seeds()) {
      baselines.add(new Run("1 worker, batch " + batch + ", seed " + seed, "baseline",
          variant(base, g.steps(), seed, batch, base.pretrain().microBatch(), null, every(g)), 1, 0, 0, seed, batch));
    }
    Run floor = new Run("1 worker alone, batch " + perWorker + " (floor)", "floor",
        variant(base, g.steps(), seed0, perWorker, Math.min(g.microBatch(), perWorker), null, every(g)), 1, 0, 0,
        seed0, perWorker);
    List<Run> diloco = new ArrayList<>();
    double recipeLr = base.pretrain().schedule().peakLearningRate();
    List<Double> innerLrs = g.innerLrs().isEmpty() ? List.of(recipeLr) : g.innerLrs();
    List<Integer> syncs = g.syncSteps().isEmpty() ? List.of(0) : g.syncSteps();
    List<Integer> warmups = g.outerWarmups().isEmpty() ? List.of(0) : g.outerWarmups();
    for (int sync : syncs) {
      for (double inner : innerLrs) {
        for (double lr : g.outerLrs()) {
          for (int warm : warmups) {
            for (int h : g.roundSteps()) {
              RoundsSpec r = new RoundsSpec(g.workers(), h, lr, g.momentum(), g.momentum() > 0, false, false, sync,
                  warm);
              String outer = (g.momentum() > 0 ? "outer lr " + lr : "outer lr " + lr + ", no momentum")
                  + (warm == 0 ? "" : ", from 1 over " + warm + " rounds");
              String in = inner == recipeLr ? "" : String.format(Locale.ROOT, ", inner lr %.3g", inner);
              String s = sync == 0 ? "" : String.format(Locale.ROOT, ", steps 1-%d synchronous", sync);
              diloco.add(new Run(String.format(Locale.ROOT, "DiLoCo K=%d H=%d %s%s%s", g.workers(), h, outer, in, s),
                  "diloco", variant(base, g.steps(), seed0, batch, g.microBatch(), r, g.steps() - g.steps() % h, inner),
                  g.workers(), h, lr, seed0, batch));
            }
          }
        }
      }
    }
    List<Run> out = new ArrayList<>();
    out.add(baselines.get(0));
    out.add(floor);
    // interleave: a DiLoCo setting, then the next baseline seed, ...
    int b = 1;
    for (Run d : diloco) {
      out.add(d);
      if (b < baselines.size()) {
        out.add(baselines.get(b++));
      }
    }
    while (b < baselines.size()) {
      out.add(baselines.get(b++));
    }
    return out.stream().filter(r -> g.kinds().contains(r.kind())).toList();
  }

  /**
   * Checkpoint interval of the single-worker runs, whose curves are scored from their checkpoints:
   * fixed, not the grid's shortest H, so a baseline or floor run once trained is found done by any
   * later grid (and short rounds do not make the baselines score hundreds of checkpoints).
   */
  static final int CURVE_EVERY = 50;

  private static int every(Grid g) {
    return Math.max(1, Math.min(CURVE_EVERY, g.steps()));
  }

  /** A finished run: where its stage is, its final holdout loss and the curve. */
  public record Outcome(Run run, String dir, double finalLoss, long holdoutBlocks, double wallSeconds,
      List<double[]> curve, JsonNode rounds) {}

  /** Runs (or finds done) every run of the grid, prints the table and writes the plot and results under {@code out}. */
  public static List<Outcome> quality(Recipe base, Grid g, String workDir, CorpusOutput corpus, TokenizerRef tokenizer,
      PipelineOptions options, int holdoutBlocks, Path out, double stopAfterSeconds, PrintWriter log) {
    List<Run> runs = runs(base, g);
    int blockLength = corpus.blockLength();
    List<Outcome> outcomes = new ArrayList<>();
    long benchStart = System.nanoTime();
    log.printf(Locale.ROOT, "bench rounds: %d runs of %d steps (%,d tokens for the global batch of %d), load average %.1f%n",
        runs.size(), g.steps(), g.steps() * (long) base.pretrain().batchSize() * blockLength,
        base.pretrain().batchSize(), load());
    for (int i = 0; i < runs.size(); i++) {
      Run run = runs.get(i);
      double elapsed = (System.nanoTime() - benchStart) / 1e9;
      boolean done = PretrainStage.done(run.recipe(), workDir).isPresent();
      if (!done && stopAfterSeconds > 0 && elapsed > stopAfterSeconds) {
        log.printf(Locale.ROOT, "[%d/%d] %s: not started (past --stop-after %.0f s)%n", i + 1, runs.size(), run.label(),
            stopAfterSeconds);
        continue;
      }
      log.printf(Locale.ROOT, "[%d/%d] %s: %s (elapsed %.0f s, load average %.1f)%n", i + 1, runs.size(), run.label(),
          done ? "already done, reusing" : "training", elapsed, load());
      log.flush();
      long start = System.nanoTime();
      PretrainStage.Result r = PretrainStage.run(run.recipe(), workDir, corpus, tokenizer, options, -1, holdoutBlocks,
          null);
      double wall = done ? Double.NaN : (System.nanoTime() - start) / 1e9;
      Path dir = Path.of(java.net.URI.create(r.directory()).getPath());
      Outcome o = outcome(run, dir, wall, corpus, g.microBatch());
      outcomes.add(o);
      log.printf(Locale.ROOT, "[%d/%d] %s: final holdout loss %.4f (%d blocks)%s%n", i + 1, runs.size(), run.label(),
          o.finalLoss(), o.holdoutBlocks(), Double.isNaN(wall) ? "" : String.format(Locale.ROOT, ", %.0f s", wall));
      log.flush();
      write(outcomes, g, base, blockLength, out);
    }
    summary(outcomes, g, log);
    return outcomes;
  }

  /** Reads a finished stage: result.json and the curve. */
  static Outcome outcome(Run run, Path dir, double wall, CorpusOutput corpus, int evalBatch) {
    try {
      JsonNode result = JSON.readTree(dir.resolve("result.json").toFile());
      List<double[]> curve = new ArrayList<>();
      JsonNode rounds = null;
      if (run.workers() > 1) {
        Path newest;
        try (Stream<Path> s = Files.list(dir.resolve("rounds"))) {
          newest = s.filter(p -> Files.exists(p.resolve("ROUND.json"))).max(Comparator.naturalOrder()).orElseThrow();
        }
        JsonNode commit = JSON.readTree(newest.resolve("ROUND.json").toFile());
        rounds = commit.path("history");
        for (JsonNode h : rounds) {
          if (h.has("holdoutLoss")) {
            curve.add(new double[] {h.path("endStep").asDouble(), h.path("holdoutLoss").asDouble()});
          }
        }
        if (curve.isEmpty() || curve.get(0)[0] > 0) {
          // round 0's commit scores the initial weights under the same key in some versions; else score them here
          curve.add(0, new double[] {0, scoreInitial(run, corpus, evalBatch)});
        }
      } else {
        curve.add(new double[] {0, scoreInitial(run, corpus, evalBatch)});
        List<Path> checkpoints;
        try (Stream<Path> s = Files.list(dir.resolve("checkpoints"))) {
          checkpoints = s.filter(p -> Files.exists(p.resolve("model.safetensors"))).sorted().toList();
        }
        for (Path c : checkpoints) {
          long step = Long.parseLong(c.getFileName().toString().replace("step-", ""));
          curve.add(new double[] {step, score(run, SafeTensors.read(c.resolve("model.safetensors")), corpus, evalBatch)});
        }
      }
      return new Outcome(run, dir.toString(), result.path("holdoutLoss").asDouble(),
          result.path("holdoutBlocks").asLong(), wall, curve, rounds);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the finished stage " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Holdout loss of {@code weights} on the first {@value #CURVE_BLOCKS} blocks, as a round scores its outer loss. */
  static double score(Run run, SafeTensors weights, CorpusOutput corpus, int evalBatch) {
    return scoreWith(run, corpus, evalBatch, weights);
  }

  static double scoreInitial(Run run, CorpusOutput corpus, int evalBatch) {
    return scoreWith(run, corpus, evalBatch, null);
  }

  private static double scoreWith(Run run, CorpusOutput corpus, int evalBatch, SafeTensors weights) {
    Path scratch;
    try {
      scratch = Files.createTempDirectory("roberta-bench-score");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    TokenShards.Dtype dtype = TokenShards.Dtype.valueOf(corpus.dtype());
    try (TokenShards train = TokenShards.open(corpus.stageLocally(corpus.train()), dtype, corpus.blockLength());
        TokenShards holdout = TokenShards.open(corpus.stageLocally(corpus.holdout()), dtype, corpus.blockLength());
        Pretrainer scorer = new Pretrainer(run.recipe().model(), run.recipe().pretrain(), train, scratch,
            new Nd4jKernels(KernelPrecision.FP32), "bench")) {
      if (weights != null) {
        scorer.startFrom(weights, null, 0, 0, 0);
      }
      HoldoutScore s = scorer.evaluate(holdout, CURVE_BLOCKS, evalBatch);
      return s.loss();
    } finally {
      deleteTree(scratch);
    }
  }

  public static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // scratch only
    }
  }

  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** Baseline mean and sample standard deviation, the verdicts. */
  static void summary(List<Outcome> outcomes, Grid g, PrintWriter log) {
    List<Double> base = outcomes.stream().filter(o -> o.run().kind().equals("baseline")).map(Outcome::finalLoss).toList();
    double mean = base.stream().mapToDouble(d -> d).average().orElse(Double.NaN);
    double sd = base.size() < 2 ? Double.NaN
        : Math.sqrt(base.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / (base.size() - 1));
    log.printf(Locale.ROOT, "%n%-44s %12s %10s%n", "run", "final loss", "wall s");
    for (Outcome o : outcomes) {
      log.printf(Locale.ROOT, "%-44s %12.4f %10.0f%n", o.run().label(), o.finalLoss(), o.wallSeconds());
    }
    log.printf(Locale.ROOT, "baseline over %d seeds: mean %.4f, sample sd %.4f (mean + 2 sd = %.4f)%n", base.size(),
        mean, sd, mean + 2 * sd);
    Double floor = outcomes.stream().filter(o -> o.run().kind().equals("floor")).map(Outcome::finalLoss).findFirst()
        .orElse(null);
    List<Outcome> diloco = outcomes.stream().filter(o -> o.run().kind().equals("diloco")).toList();
    Outcome best = diloco.stream().min(Comparator.comparingDouble(Outcome::finalLoss)).orElse(null);
    if (best != null) {
      log.printf(Locale.ROOT, "best DiLoCo setting: %s, %.4f: %.2f baseline sd from the baseline mean -> %s%n",
          best.run().label(), best.finalLoss(), (best.finalLoss() - mean) / sd,
          Math.abs(best.finalLoss() - mean) <= 2 * sd || best.finalLoss() <= mean ? "within 2 sd (or better)"
              : "NOT within 2 sd");
    }
    if (floor != null) {
      long beat = diloco.stream().filter(o -> o.finalLoss() < floor).count();
      log.printf(Locale.ROOT, "floor (one worker alone at the per-worker batch): %.4f; DiLoCo settings beating it: %d of %d%n",
          floor, beat, diloco.size());
    }
    log.flush();
  }

  /** results.json and holdout-vs-tokens.png under {@code out}. */
  static void write(List<Outcome> outcomes, Grid g, Recipe base, int blockLength, Path out) {
    try {
      Files.createDirectories(out);
      ArrayNode arr = JSON.createArrayNode();
      for (Outcome o : outcomes) {
        ObjectNode n = arr.addObject();
        n.put("label", o.run().label());
        n.put("kind", o.run().kind());
        n.put("workers", o.run().workers());
        n.put("roundSteps", o.run().roundSteps());
        n.put("outerLearningRate", o.run().outerLr());
        n.put("peakLearningRate", o.run().recipe().pretrain().schedule().peakLearningRate());
        if (o.run().recipe().pretrain().rounds() != null) {
          n.put("syncSteps", o.run().recipe().pretrain().rounds().syncSteps());
          n.put("outerWarmupRounds", o.run().recipe().pretrain().rounds().outerWarmupRounds());
        }
        n.put("seed", o.run().seed());
        n.put("batch", o.run().batch());
        n.put("tokens", g.steps() * o.run().tokensPerStep(blockLength));
        n.put("finalHoldoutLoss", o.finalLoss());
        n.put("holdoutBlocks", o.holdoutBlocks());
        n.put("wallSeconds", o.wallSeconds());
        n.put("stage", o.dir());
        ArrayNode c = n.putArray("curve");
        for (double[] p : o.curve()) {
          c.addArray().add(p[0] * o.run().tokensPerStep(blockLength)).add(p[1]);
        }
        if (o.rounds() != null) {
          n.set("rounds", o.rounds());
        }
      }
      JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("results.json").toFile(), arr);
      Files.write(out.resolve("holdout-vs-tokens.png"), plot(outcomes, blockLength, g));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the results under " + out + ": " + e.getMessage(), e);
    }
  }

  static byte[] plot(List<Outcome> outcomes, int blockLength, Grid g) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer line = new XYLineAndShapeRenderer(true, true);
    Color[] dilocoColors = {new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e),
        new Color(0x8c564b), new Color(0xe377c2)};
    int d = 0;
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome o = outcomes.get(i);
      XYSeries s = new XYSeries(o.run().label());
      for (double[] p : o.curve()) {
        s.add(p[0] * o.run().tokensPerStep(blockLength), p[1]);
      }
      data.addSeries(s);
      Color c = switch (o.run().kind()) {
        case "baseline" -> new Color(0x1f77b4);
        case "floor" -> Color.GRAY;
        default -> dilocoColors[d++ % dilocoColors.length];
      };
      line.setSeriesPaint(i, c);
      line.setSeriesStroke(i, new BasicStroke(o.run().kind().equals("diloco") ? 2.0f : 1.5f,
          BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
          o.run().kind().equals("floor") ? new float[] {6f, 4f} : null, 0f));
      line.setSeriesShapesVisible(i, o.run().kind().equals("diloco"));
    }
    NumberAxis x = new NumberAxis("training tokens (all workers)");
    NumberAxis y = new NumberAxis("holdout masked-LM loss, first " + CURVE_BLOCKS + " holdout blocks (nats)");
    y.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(data, x, y, line);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(String.format(Locale.ROOT,
        "Single worker (%d seeds) vs DiLoCo K=%d, %d steps",
        outcomes.stream().filter(o -> o.run().kind().equals("baseline")).count(), g.workers(), g.steps()), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setBackgroundPaint(Color.WHITE);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(bytes, chart, 1000, 600);
    return bytes.toByteArray();
  }

  /** One side of the speed comparison. */
  public record Speed(String label, double wallSeconds, double innerTokensPerSecond, long tokens, JsonNode lastRound) {
    double tokensPerSecond() {
      return tokens / wallSeconds;
    }
  }

  /**
   * One worker with {@code threads} native threads against {@code workers} workers with
   * {@code threads / workers} each, in one DirectRunner process at parallelism {@code workers};
   * {@code steps} optimizer steps of the global batch, rounds of {@code roundSteps}. Scratch stages
   * under {@code scratchWork}; no holdout scoring, so the time is training, checkpoints and rounds.
   */
  public static List<Speed> speed(Recipe base, int steps, int roundSteps, int workers, int threads, int repeats,
      String scratchWork, CorpusOutput corpus, TokenizerRef tokenizer, PipelineOptions options, PrintWriter log) {
    int batch = base.pretrain().batchSize();
    int blockLength = corpus.blockLength();
    long tokens = (long) steps * batch * blockLength;
    List<Speed> out = new ArrayList<>();
    for (int rep = 0; rep < repeats; rep++) {
      // the single worker: the recipe as it is, all threads
      Recipe one = variant(base, steps, base.pretrain().seed() + rep, batch, base.pretrain().microBatch(), null, steps);
      int got = Nd4jKernels.pinThreads(threads);
      options.as(DirectOptions.class).setTargetParallelism(1);
      log.printf(Locale.ROOT, "speed [%d/%d] 1 worker, %d native threads (BLAS %d), %d steps of %d x %d tokens, load average %.1f%n",
          rep + 1, repeats, threads, got, steps, batch, blockLength, load());
      log.flush();
      long t0 = System.nanoTime();
      PretrainStage.Result r1 = PretrainStage.run(one, scratchWork + "/rep" + rep, corpus, tokenizer, options, -1, 0, null);
      double w1 = (System.nanoTime() - t0) / 1e9;
      Path d1 = Path.of(java.net.URI.create(r1.directory()).getPath());
      double inner1 = tokens / readJson(d1.resolve("result.json")).path("trainingSeconds").asDouble();
      out.add(new Speed("1 worker, " + threads + " threads", w1, inner1, tokens, null));
      log.printf(Locale.ROOT, "  %.1f s wall, %,.0f tokens/s end to end, %,.0f tokens/s in the trainer%n", w1, tokens / w1,
          inner1);
      log.flush();

      int per = Math.max(1, threads / workers);
      int perWorker = batch / workers;
      RoundsSpec rs = new RoundsSpec(workers, roundSteps, 0.7, 0.9, true);
      Recipe many = variant(base, steps, base.pretrain().seed() + rep, batch, Math.min(perWorker,
          base.pretrain().microBatch()), rs, steps - steps % roundSteps);
      got = Nd4jKernels.pinThreads(per);
      options.as(DirectOptions.class).setTargetParallelism(workers);
      log.printf(Locale.ROOT, "speed [%d/%d] %d workers at once, %d native thread(s) each (BLAS %d), rounds of %d steps, load average %.1f%n",
          rep + 1, repeats, workers, per, got, roundSteps, load());
      log.flush();
      long t1 = System.nanoTime();
      PretrainStage.Result r2 = PretrainStage.run(many, scratchWork + "/rep" + rep, corpus, tokenizer, options, -1, 0, null);
      double w2 = (System.nanoTime() - t1) / 1e9;
      Path d2 = Path.of(java.net.URI.create(r2.directory()).getPath());
      JsonNode history = null;
      try (Stream<Path> s = Files.list(d2.resolve("rounds"))) {
        Path newest = s.filter(p -> Files.exists(p.resolve("ROUND.json"))).max(Comparator.naturalOrder()).orElseThrow();
        history = readJson(newest.resolve("ROUND.json"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      double innerSeconds = 0;
      for (JsonNode h : history.path("history")) {
        innerSeconds += h.path("seconds").asDouble();
      }
      double inner2 = tokens / innerSeconds;
      out.add(new Speed(workers + " workers, " + per + " thread(s) each", w2, inner2, tokens, history));
      log.printf(Locale.ROOT, "  %.1f s wall, %,.0f tokens/s end to end, %,.0f tokens/s inside the rounds (slowest worker)%n",
          w2, tokens / w2, inner2);
      log.printf(Locale.ROOT, "  ratio (K workers / 1 worker): end to end %.2fx, training only %.2fx%n", w1 / w2,
          inner2 / inner1);
      JsonNode last = history;
      log.printf(Locale.ROOT, "  per round (%d steps): %,d parameters, %,d bytes to workers + %,d bytes from workers = %,d;"
              + " a per-step ring all-reduce of fp32 gradients would move %,d (%.1fx more)%n", roundSteps,
          last.path("parameters").asLong(), last.path("bytesToWorkers").asLong(), last.path("bytesFromWorkers").asLong(),
          last.path("bytesToWorkers").asLong() + last.path("bytesFromWorkers").asLong(), last.path("allReduceBytes").asLong(),
          last.path("allReduceBytes").asDouble() / (last.path("bytesToWorkers").asLong()
              + last.path("bytesFromWorkers").asLong()));
      log.printf(Locale.ROOT, "  load average now %.1f%n", load());
      log.flush();
    }
    return out;
  }

  static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }
}
