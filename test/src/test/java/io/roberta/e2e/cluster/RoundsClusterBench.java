package io.roberta.e2e.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.examples.TinyBrown;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.pretrain.PretrainStage;
import io.roberta.pipelines.tokenizer.TokenizerRef;
import io.roberta.runners.bench.RoundsBench;
import io.roberta.spec.Recipe;
import io.roberta.spec.RoundsSpec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Benchmark, not a test (never runs in CI: it needs {@code -Droberta.bench.work}): multi-worker
 * rounds on a real Flink session cluster of two single-core TaskManagers against one worker with
 * both cores, on the main example's tokenizer and corpus.
 *
 * <ul>
 *   <li>One worker: the recipe's own trainer ({@code TrainModel}, DirectRunner in this JVM), ND4J
 *       pinned to 2 native threads; run before and after the cluster run, both reported.
 *   <li>K = 2: a {@link LocalFlinkCluster} of two TaskManagers with one slot each, every thread of
 *       each TaskManager JVM pinned to its own core with {@code taskset} before any job loads ND4J
 *       (so OpenMP sizes itself to one core); the rounds job at parallelism 2.
 * </ul>
 *
 * Prints tokens/s side by side, the ratio, where each worker ran, and the bytes a round moved
 * against a per-step ring all-reduce of the same model.
 *
 * <pre>{@code
 * ./roberta bench rounds --work-dir=$PWD/work ...   # or any run that built TinyBrown's tokenizer and corpus
 * MAVEN_ARGS=... ./mvnw -B -pl test test -Dtest=RoundsClusterBench -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Droberta.bench.work=$PWD/work -Droberta.bench.steps=20 -Droberta.bench.roundSteps=10
 * }</pre>
 */
@EnabledIfSystemProperty(named = "roberta.bench.work", matches = ".+")
class RoundsClusterBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Consumer<String> LOG = line -> System.out.println("[bench] " + line);

  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create();
    o.as(DirectOptions.class).setTargetParallelism(1);
    return o;
  }

  static Path dir(String uri) {
    return Path.of(java.net.URI.create(uri).getPath());
  }

  /** One worker, the recipe's trainer, 2 native threads: {wall s, trainer s}. */
  static double[] single(Recipe base, int steps, String work, CorpusOutput corpus, TokenizerRef tokenizer, int threads) {
    int got = Nd4jKernels.pinThreads(threads);
    Recipe one = RoundsBench.variant(base, steps, base.pretrain().seed(), base.pretrain().batchSize(),
        base.pretrain().microBatch(), null, steps);
    LOG.accept(String.format(Locale.ROOT, "1 worker, %d native threads (BLAS %d), load average %.1f", threads, got, load()));
    long t0 = System.nanoTime();
    PretrainStage.Result r = PretrainStage.run(one, work, corpus, tokenizer, direct(), -1, 0, null);
    double wall = (System.nanoTime() - t0) / 1e9;
    double trainer = readJson(dir(r.directory()).resolve("result.json")).path("trainingSeconds").asDouble();
    return new double[] {wall, trainer};
  }

  static JsonNode readJson(Path p) {
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The TaskManager JVMs this JVM started, oldest first. */
  static List<ProcessHandle> taskManagers() {
    // ProcessHandle.Info leaves out command lines as long as these (the whole class path): read /proc
    return ProcessHandle.current().descendants()
        .filter(p -> {
          try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")),
                StandardCharsets.ISO_8859_1).contains("TaskManagerRunner");
          } catch (IOException e) {
            return false;
          }
        })
        .sorted(Comparator.comparing(p -> p.info().startInstant().orElse(java.time.Instant.EPOCH)))
        .toList();
  }

  static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  /** The one finished stage folder {@code work/<recipe>/<stage>/<fingerprint>}. */
  static Path built(String work, Recipe base, String stage) throws IOException {
    try (Stream<Path> s = Files.list(Path.of(work, base.name(), stage))) {
      return s.filter(d -> Files.exists(d.resolve("manifest.json"))).findFirst().orElseThrow(
          () -> new IllegalStateException("no finished " + stage + " stage under " + work + "/" + base.name() + "/" + stage
              + "; build it first from the project root: ./roberta corpus TinyBrown --work-dir=" + work));
    }
  }

  @Test
  void twoSingleCoreTaskManagersAgainstOneWorkerWithBothCores() throws Exception {
    String work = System.getProperty("roberta.bench.work");
    int steps = Integer.getInteger("roberta.bench.steps", 20);
    int h = Integer.getInteger("roberta.bench.roundSteps", 10);
    int cores = Runtime.getRuntime().availableProcessors();
    Recipe base = new TinyBrown().get();
    // the tokenizer and corpus stages as built (by ./roberta from the project root, where the recipe's relative data
    // paths resolve; from this module's folder they do not)
    TokenizerRef tokenizer = TokenizerRef.of(built(work, base, "tokenizer").toString());
    Path corpusDir = built(work, base, "corpus");
    CorpusOutput corpus = CorpusOutput.of(corpusDir.toString(), readJson(corpusDir.resolve("manifest.json")));
    int batch = base.pretrain().batchSize();
    long tokens = (long) steps * batch * corpus.blockLength();
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
    Path scratch = Path.of("target", "rounds-bench", stamp).toAbsolutePath();
    LOG.accept(String.format(Locale.ROOT, "%s: %d steps of %d x %d tokens (%,d tokens), rounds of %d; %d cores visible;"
        + " load average %.1f; scratch %s", base.name(), steps, batch, corpus.blockLength(), tokens, h, cores, load(), scratch));

    double[] before = single(base, steps, scratch.resolve("one-before").toString(), corpus, tokenizer, 2);
    LOG.accept(String.format(Locale.ROOT, "  %.1f s wall, %,.0f tokens/s end to end, %,.0f in the trainer",
        before[0], tokens / before[0], tokens / before[1]));

    int k = 2;
    double wall;
    JsonNode commit;
    try (LocalFlinkCluster cluster = LocalFlinkCluster.start(scratch.resolve("cluster"), k, 1, Map.of())) {
      List<ProcessHandle> tms = taskManagers();
      assertEquals(k, tms.size(), "TaskManager processes found: " + tms);
      for (int i = 0; i < k; i++) {
        long pid = tms.get(i).pid();
        run("taskset", "-a", "-p", "-c", Integer.toString(i % cores), Long.toString(pid));
        LOG.accept("TaskManager pid " + pid + ": " + run("taskset", "-p", Long.toString(pid)));
      }
      Recipe many = RoundsBench.variant(base, steps, base.pretrain().seed(), batch,
          Math.min(batch / k, base.pretrain().microBatch()), new RoundsSpec(k, h, 0.7, 0.9, true), steps - steps % h);
      PipelineOptions flink = PipelineOptionsFactory.fromArgs("--runner=FlinkRunner", "--flinkMaster=" + cluster.master(),
          "--parallelism=" + k, "--jobName=rounds-bench", "--filesToStage=" + cluster.emptyJar()).create();
      LOG.accept(String.format(Locale.ROOT, "%d workers on %d single-core TaskManagers, load average %.1f", k, k, load()));
      long t0 = System.nanoTime();
      PretrainStage.Result r = PretrainStage.run(many, scratch.resolve("rounds").toString(), corpus, tokenizer, flink, -1,
          0, null);
      wall = (System.nanoTime() - t0) / 1e9;
      Path stage = dir(r.directory());
      try (Stream<Path> s = Files.list(stage.resolve("rounds"))) {
        Path newest = s.filter(p -> Files.exists(p.resolve("ROUND.json"))).max(Comparator.naturalOrder()).orElseThrow();
        commit = readJson(newest.resolve("ROUND.json"));
      }
    }
    double innerSeconds = 0;
    for (JsonNode round : commit.path("history")) {
      innerSeconds += round.path("seconds").asDouble();
    }
    Set<String> processes = new HashSet<>();
    List<String> placement = new ArrayList<>();
    for (JsonNode w : commit.path("workers")) {
      processes.add(w.path("host").asText() + "/" + w.path("process").asText());
      placement.add("worker " + w.path("worker").asInt() + " on " + w.path("host").asText() + " process "
          + w.path("process").asText() + String.format(Locale.ROOT, " (%,.0f tokens/s)", w.path("tokensPerSecond").asDouble()));
    }
    LOG.accept("  last round: " + String.join("; ", placement));
    LOG.accept(String.format(Locale.ROOT, "  %.1f s wall, %,.0f tokens/s end to end, %,.0f inside the rounds (slowest worker)",
        wall, tokens / wall, tokens / innerSeconds));

    double[] after = single(base, steps, scratch.resolve("one-after").toString(), corpus, tokenizer, 2);
    LOG.accept(String.format(Locale.ROOT, "  %.1f s wall, %,.0f tokens/s end to end, %,.0f in the trainer",
        after[0], tokens / after[0], tokens / after[1]));

    double oneWall = (before[0] + after[0]) / 2;
    double oneTrainer = (before[1] + after[1]) / 2;
    long moved = commit.path("bytesToWorkers").asLong() + commit.path("bytesFromWorkers").asLong();
    long allReduce = commit.path("allReduceBytes").asLong();
    LOG.accept("==== tokens/s side by side (one worker: mean of the runs before and after)");
    LOG.accept(String.format(Locale.ROOT, "  end to end : 1 worker x 2 cores %,8.0f | %d workers x 1 core (Flink cluster) %,8.0f | ratio %.2fx",
        tokens / oneWall, k, tokens / wall, oneWall / wall));
    LOG.accept(String.format(Locale.ROOT, "  training   : 1 worker x 2 cores %,8.0f | %d workers x 1 core (Flink cluster) %,8.0f | ratio %.2fx",
        tokens / oneTrainer, k, tokens / innerSeconds, oneTrainer / innerSeconds));
    LOG.accept(String.format(Locale.ROOT, "  per round of %d steps: %,d parameters; %,d bytes moved (to + from workers) against %,d"
        + " for a per-step ring all-reduce of fp32 gradients (%.1fx); workers in %d distinct processes; load average %.1f",
        h, commit.path("parameters").asLong(), moved, allReduce, (double) allReduce / moved, processes.size(), load()));
    assertTrue(commit.path("history").size() > 1, commit.toString());
  }
}
