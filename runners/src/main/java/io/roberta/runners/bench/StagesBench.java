package io.roberta.runners.bench;

import io.roberta.engine.data.TokenShards;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.NativeMemory;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.train.Pretrainer;
import io.roberta.pipelines.corpus.CorpusOutput;
import io.roberta.pipelines.eval.EvaluateMaskedLm;
import io.roberta.pipelines.stage.FolderRef;
import io.roberta.spec.MaskingSpec;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.Recipe;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.bytedeco.javacpp.Pointer;

/**
 * {@code roberta bench stages}: a recipe's masked-LM evaluation stage (the {@link EvaluateMaskedLm}
 * pipeline on the DirectRunner, the recipe's model, block length and evaluation batch) run in the
 * JVM that has just pretrained that model, against the same evaluation in a fresh JVM, with the
 * same class path and JVM options: seconds and peak resident memory side by side, and their
 * ratios. A stand-in for {@code roberta run TinyBrown}'s evaluation stage after its training
 * stages: the shards are synthetic (uniform ids of the recipe's vocabulary) and training runs a
 * few steps only, so the figures compare memory ownership across stages, not model quality.
 *
 * <pre>{@code ./roberta bench stages --recipe TinyBrown --steps 20 --blocks 1024}</pre>
 */
public final class StagesBench {
  private static final String RESULT = "stages-eval";

  private StagesBench() {}

  /** One evaluation's figures. */
  record Eval(double seconds, long peakResident, long residentBefore, long nd4jAfter) {
    String line() {
      return String.format(Locale.ROOT, "%s seconds=%.3f peakResident=%d residentBefore=%d nd4jAfter=%d", RESULT,
          seconds, peakResident, residentBefore, nd4jAfter);
    }

    static Eval parse(String line) {
      String[] f = line.split(" ");
      return new Eval(Double.parseDouble(value(f[1])), Long.parseLong(value(f[2])), Long.parseLong(value(f[3])),
          Long.parseLong(value(f[4])));
    }

    private static String value(String field) {
      return field.substring(field.indexOf('=') + 1);
    }
  }

  /** Runs the benchmark; {@code steps} pretraining steps, {@code blocks} held-out blocks, {@code rounds} alternations. */
  public static void run(Recipe recipe, int steps, int blocks, int rounds, PrintWriter out) throws Exception {
    ModelSpec model = recipe.model();
    int block = recipe.corpus().packing().blockLength();
    int batch = recipe.eval() == null ? 32 : recipe.eval().batchSize();
    MaskingSpec masking = recipe.pretrain().masking();
    Path dir = Files.createTempDirectory("roberta-bench-stages");
    Path train = shard(dir.resolve("train-00000.bin"), Math.max(blocks, recipe.pretrain().batchSize() * 4), block,
        model.vocabSize(), 1);
    Path holdout = shard(dir.resolve("holdout-00000.bin"), blocks, block, model.vocabSize(), 2);
    Path hf = dir.resolve("hf");
    out.printf(Locale.ROOT, "bench stages: %s, model %d x %d layers, vocab %d; pretrain %d steps of %d x %d tokens;"
            + " eval %d blocks, batch %d, 2 shards on the DirectRunner; load average %.1f on %d cores%n",
        recipe.name(), model.hiddenSize(), model.numLayers(), model.vocabSize(), steps, recipe.pretrain().batchSize(), block,
        blocks, batch, loadAverage(), Runtime.getRuntime().availableProcessors());
    out.flush();
    // the training stage, as PretrainRun runs it: its own kernels, everything closed at the end
    long trainStart = System.nanoTime();
    try (Nd4jKernels kernels = new Nd4jKernels(KernelPrecision.FP32);
        TokenShards shards = TokenShards.open(List.of(train), TokenShards.Dtype.UINT16, block);
        Pretrainer trainer = new Pretrainer(model, recipe.pretrain(), shards, dir.resolve("pretrain"), kernels, "bench")) {
      trainer.train(steps, (m, total) -> {});
      trainer.exportHuggingFace(hf);
    }
    NativeMemory.trimFreedMemory(); // as RecipeRun does at the end of every stage
    out.printf(Locale.ROOT, "pretraining: %.1f s; after it: %s%n", (System.nanoTime() - trainStart) / 1e9,
        NativeMemory.snapshot().describe());
    out.flush();
    List<Eval> same = new ArrayList<>();
    List<Eval> fresh = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      // alternate, so that both see the same load on a shared machine
      same.add(evaluate(hf, holdout, block, batch, masking, dir.resolve("same-" + r)));
      NativeMemory.trimFreedMemory();
      out.printf(Locale.ROOT, "round %d, this JVM (after pretraining%s): %s%n", r + 1, r == 0 ? "" : " and " + r + " evaluation(s)",
          describe(same.get(r)));
      out.flush();
      fresh.add(inFreshJvm(hf, holdout, block, batch, masking, dir.resolve("fresh-" + r)));
      out.printf(Locale.ROOT, "round %d, fresh JVM: %s%n", r + 1, describe(fresh.get(r)));
      out.flush();
    }
    out.printf(Locale.ROOT, "%-7s %28s %28s %12s%n", "round", "this JVM: s, peak MB", "fresh JVM: s, peak MB", "time ratio");
    double logSum = 0;
    for (int r = 0; r < rounds; r++) {
      Eval a = same.get(r);
      Eval b = fresh.get(r);
      double ratio = a.seconds() / b.seconds();
      logSum += Math.log(ratio);
      out.printf(Locale.ROOT, "%-7d %18.2f %9d %18.2f %9d %12.3f%n", r + 1, a.seconds(), mb(a.peakResident()), b.seconds(),
          mb(b.peakResident()), ratio);
    }
    double sameMean = same.stream().mapToDouble(Eval::seconds).average().orElseThrow();
    double freshMean = fresh.stream().mapToDouble(Eval::seconds).average().orElseThrow();
    out.printf(Locale.ROOT, "time ratio this JVM / fresh JVM: round 1 (right after pretraining) %.3f, geometric mean"
            + " over rounds %.3f, ratio of means %.3f; ND4J buffers held after every evaluation: %s MB;"
            + " load average now %.1f%n", same.get(0).seconds() / fresh.get(0).seconds(), Math.exp(logSum / rounds),
        sameMean / freshMean, same.stream().map(e -> Long.toString(mb(e.nd4jAfter()))).toList(), loadAverage());
    out.flush();
  }

  private static String describe(Eval e) {
    return String.format(Locale.ROOT, "%.2f s, peak resident %,d MB (%,d MB before), ND4J buffers held after: %,d MB",
        e.seconds(), mb(e.peakResident()), mb(e.residentBefore()), mb(e.nd4jAfter()));
  }

  /** The evaluation stage in this JVM, with resident memory sampled every 10 ms. */
  static Eval evaluate(Path hf, Path holdout, int block, int batch, MaskingSpec masking, Path out) {
    long before = Pointer.physicalBytes();
    AtomicLong peak = new AtomicLong(before);
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "resident-sampler");
    sampler.setDaemon(true);
    sampler.start();
    long start = System.nanoTime();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner", "--targetParallelism=2",
        "--enforceImmutability=false", "--enforceEncodability=false").create());
    p.apply("EvaluateMaskedLm", EvaluateMaskedLm.of(FolderRef.of(hf.toString()),
            CorpusOutput.ofHoldoutFiles(List.of(holdout.toString()), "UINT16", block), masking)
        .shards(2).batchSize(batch).writeTo(out.toString()));
    p.run().waitUntilFinish();
    double seconds = (System.nanoTime() - start) / 1e9;
    sampler.interrupt();
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
    return new Eval(seconds, peak.get(), before, Nd4jKernels.heldBytesAll());
  }

  /** The same evaluation in a new JVM with this one's class path and options. */
  private static Eval inFreshJvm(Path hf, Path holdout, int block, int batch, MaskingSpec masking, Path out)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StagesBench.class.getName());
    command.addAll(List.of(hf.toString(), holdout.toString(), Integer.toString(block), Integer.toString(batch),
        Double.toString(masking.probability()), Double.toString(masking.maskFraction()),
        Double.toString(masking.randomFraction()), Double.toString(masking.keepFraction()),
        Long.toString(masking.seed()), out.toString()));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String result = null;
    StringBuilder tail = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith(RESULT + " ")) {
          result = line;
        } else {
          tail.append(line).append('\n');
          if (tail.length() > 4000) {
            tail.delete(0, tail.length() - 4000);
          }
        }
      }
    }
    int status = child.waitFor();
    if (status != 0 || result == null) {
      throw new IllegalStateException("the fresh JVM's evaluation failed (exit " + status + "):\n" + tail);
    }
    return Eval.parse(result);
  }

  /** The fresh JVM's side: one evaluation, its figures on one line. */
  public static void main(String[] args) {
    MaskingSpec masking = new MaskingSpec(Double.parseDouble(args[4]), Double.parseDouble(args[5]),
        Double.parseDouble(args[6]), Double.parseDouble(args[7]), Long.parseLong(args[8]));
    Eval e = evaluate(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
        masking, Path.of(args[9]));
    System.out.println(e.line());
    System.exit(0);
  }

  /** Blocks {@code <s> ids... </s>} of uniform random ids in {@code [4, vocab)}. */
  static Path shard(Path file, int blocks, int block, int vocab, long seed) {
    ByteBuffer buf = ByteBuffer.allocate(blocks * block * 2).order(ByteOrder.LITTLE_ENDIAN);
    SplittableRandom r = new SplittableRandom(seed);
    for (int b = 0; b < blocks; b++) {
      buf.putShort((short) 0);
      for (int i = 1; i < block - 1; i++) {
        buf.putShort((short) (4 + r.nextInt(vocab - 4)));
      }
      buf.putShort((short) 2);
    }
    try {
      Files.createDirectories(file.getParent());
      return Files.write(file, buf.array());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static long mb(long bytes) {
    return Math.round(bytes / 1e6);
  }
}
