package io.roberta.engine.cuda.check;

import io.roberta.engine.cuda.CudaKernels;
import io.roberta.engine.cuda.CudaSession;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.engine.parity.HfParity;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Everything the GPU machine checks in one process and on one device, with no ND4J on the class
 * path. Phases, in order, each reported even when an earlier one failed, the summary rewritten
 * after every phase (so a timeout still leaves the phases done): kernel checks at production shapes
 * with the debug sync on (one roberta-base step per precision, every launch waited for and a fault
 * named by its kernel; loss and every gradient finite); HF parity in FP32 and BF16 on the tiny
 * fixture, then on a mid-size one when {@code -Droberta.gpu.midFixture=<dir>} names it; training
 * throughput of roberta-base (sequence 512, batch 32) with phase timings; the tiny example's
 * 200-step curve against the ND4J curve recorded here. Writes {@code <out>/java-results.txt}.
 *
 * <p>With {@code --dry} last, the device is the dry device (launches checked, nothing computed):
 * the whole program, roberta-base shapes included, runs on a machine without a GPU; its numbers
 * mean nothing and no verdict is drawn.
 *
 * <pre>{@code java -cp ... io.roberta.engine.cuda.check.GpuChecks <fixture dir> <nd4j curve> <out dir> [steps] [--dry]}</pre>
 */
public final class GpuChecks {
  private GpuChecks() {}

  /** One phase: its lines of report, and whether it passed. */
  private record Outcome(List<String> lines, boolean passed) {}

  private interface Phase {
    Outcome run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Path fixture = Path.of(args[0]);
    Path curve = Path.of(args[1]);
    Path out = Path.of(args[2]);
    int benchSteps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    boolean dry = args.length > 4 && args[4].equals("--dry");
    Files.createDirectories(out);
    List<String> lines = new ArrayList<>();
    boolean ok = true;
    try (CudaSession gpu = dry ? CudaSession.dry() : CudaSession.open()) {
      lines.add("device: " + gpu.description());
      Map<String, Phase> phases = new LinkedHashMap<>();
      for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
        phases.put("kernels at production shapes, debug sync, " + precision, () -> {
          gpu.debugSync(true);
          try (CudaKernels k = gpu.kernels(precision)) {
            return productionStep(k, 32, 512, dry);
          } finally {
            gpu.debugSync(false);
          }
        });
      }
      for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
        phases.put("parity " + precision, () -> {
          try (CudaKernels k = gpu.kernels(precision)) {
            HfParity.Report report = HfParity.run(fixture, k);
            return new Outcome(List.of(report.toString().stripTrailing()), report.passed());
          }
        });
      }
      String mid = System.getProperty("roberta.gpu.midFixture");
      if (mid != null && Files.isDirectory(Path.of(mid))) {
        for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
          phases.put("parity mid-size (" + mid + ") " + precision, () -> {
            try (CudaKernels k = gpu.kernels(precision)) {
              HfParity.Report report = HfParity.run(Path.of(mid), k);
              return new Outcome(List.of(report.toString().stripTrailing()), report.passed());
            }
          });
        }
      }
      for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.BF16, KernelPrecision.FP32}) {
        phases.put("bench " + precision, () -> {
          try (CudaKernels k = gpu.kernels(precision)) {
            return new Outcome(List.of(bench(k, 32, 512, benchSteps)), true);
          }
        });
      }
      double[] reference = Files.readAllLines(curve).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
          .mapToDouble(Double::parseDouble).toArray();
      for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
        phases.put("tiny curve " + precision, () -> {
          double[] losses;
          try (CudaKernels k = gpu.kernels(precision)) {
            losses = TinyCurve.run(k, reference.length);
          }
          Files.writeString(out.resolve("cuda-tiny-curve-" + precision + ".txt"),
              Arrays.stream(losses).mapToObj(Double::toString).collect(Collectors.joining("\n")) + "\n");
          String verdict = TinyCurve.compare(reference, losses);
          return new Outcome(List.of(String.format(Locale.ROOT, "first %.4f last-50 mean %.4f (ND4J %.4f): %s",
              losses[0], TinyCurve.mean(Arrays.copyOfRange(losses, losses.length - 50, losses.length)),
              TinyCurve.mean(Arrays.copyOfRange(reference, reference.length - 50, reference.length)),
              verdict == null ? "within noise" : "DIFFERS " + verdict)), verdict == null);
        });
      }
      for (Map.Entry<String, Phase> phase : phases.entrySet()) {
        long t0 = System.nanoTime();
        Outcome outcome;
        try {
          outcome = phase.getValue().run();
        } catch (Throwable e) {
          outcome = new Outcome(List.of("FAILED with " + e), false);
          e.printStackTrace();
        }
        ok &= outcome.passed();
        lines.add(String.format(Locale.ROOT, "%s (%.1f s): %s", phase.getKey(), (System.nanoTime() - t0) / 1e9,
            outcome.passed() ? "ok" : "FAILED"));
        for (String line : outcome.lines()) {
          lines.add("  " + line.replace("\n", "\n  "));
        }
        write(out, lines, null);
        // no System.gc(): each phase closes its models and optimizer, and its kernels give the
        // device's pool back, so the next phase starts with the memory returned
      }
    } catch (Throwable e) {
      lines.add("could not open the device: " + e);
      ok = false;
    }
    String verdict = dry ? "DRY RUN: every launch checked, no numbers computed" : ok ? "GPU CHECKS PASSED" : "GPU CHECKS FAILED";
    write(out, lines, verdict);
    System.out.print(String.join("\n", lines) + "\n" + verdict + "\n");
    if (!ok && !dry) {
      System.exit(1);
    }
  }

  private static void write(Path out, List<String> lines, String verdict) throws java.io.IOException {
    Files.writeString(out.resolve("java-results.txt"),
        String.join("\n", lines) + "\n" + (verdict == null ? "(running)" : verdict) + "\n");
  }

  /**
   * One roberta-base training step at production shapes: the loss and every gradient must be
   * finite (with the debug sync on, a faulting kernel is named instead).
   */
  static Outcome productionStep(Kernels k, int batchSize, int seq, boolean dry) {
    ModelSpec spec = robertaBase();
    try (RobertaForMaskedLM model = new RobertaForMaskedLM(spec, k)) {
      return productionStep(model, batchSize, seq, dry);
    }
  }

  private static Outcome productionStep(RobertaForMaskedLM model, int batchSize, int seq, boolean dry) {
    ModelSpec spec = model.spec();
    model.initialize(1);
    SplittableRandom r = new SplittableRandom(3);
    int[] ids = new int[batchSize * seq];
    int[] labels = new int[ids.length];
    Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 4 + r.nextInt(spec.vocabSize() - 5);
      if (r.nextDouble() < 0.15) {
        labels[i] = ids[i];
        ids[i] = spec.specialTokens().mask();
      }
    }
    // padding in the second half of the batch: padded attention rows at full length
    for (int s = batchSize / 2; s < batchSize; s++) {
      for (int t = seq - 100; t < seq; t++) {
        ids[s * seq + t] = spec.specialTokens().pad();
        labels[s * seq + t] = RobertaTaskModel.IGNORE_INDEX;
      }
    }
    int labelled = (int) Arrays.stream(labels).filter(l -> l != RobertaTaskModel.IGNORE_INDEX).count();
    double loss = model.trainStep(new Batch(batchSize, seq, ids, null, null), labels, RunMode.training(1), 1.0 / labelled)
        .meanLoss();
    double norm = GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
    boolean finite = Double.isFinite(loss) && Double.isFinite(norm);
    return new Outcome(List.of(String.format(Locale.ROOT, "loss %.4f, gradient norm %.4f%s", loss, norm,
        dry ? " (dry: zeros)" : "")), dry || finite);
  }

  /** roberta-base as Hugging Face's {@code RobertaConfig()}: 12 layers, 768 wide, vocabulary 50,265. */
  public static ModelSpec robertaBase() {
    return new ModelSpec(50_265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50_265),
        LayerSharing.NONE);
  }

  /** Training tokens/s of roberta-base on the CUDA backend: the median of {@code steps} timed steps. */
  static String bench(Kernels kernels, int batchSize, int seq, int steps) {
    io.roberta.engine.cuda.CudaKernels k = (io.roberta.engine.cuda.CudaKernels) kernels;
    try (RobertaForMaskedLM model = new RobertaForMaskedLM(robertaBase(), k);
        AdamW opt = new AdamW(1e-4, 0.9, 0.98, 1e-6, 0.01)) {
      return bench(k, model, opt, batchSize, seq, steps);
    }
  }

  private static String bench(io.roberta.engine.cuda.CudaKernels k, RobertaForMaskedLM model, AdamW opt, int batchSize,
      int seq, int steps) {
    KernelPrecision precision = k.precision();
    ModelSpec spec = model.spec();
    model.initialize(1);
    SplittableRandom r = new SplittableRandom(5);
    int[] ids = new int[batchSize * seq];
    int[] labels = new int[ids.length];
    Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = 4 + r.nextInt(spec.vocabSize() - 5);
      if (r.nextDouble() < 0.15) {
        labels[i] = ids[i];
        ids[i] = spec.specialTokens().mask();
      }
    }
    int labelled = (int) Arrays.stream(labels).filter(l -> l != RobertaTaskModel.IGNORE_INDEX).count();
    Batch batch = new Batch(batchSize, seq, ids, null, null);
    double[] seconds = new double[steps];
    // phases of each timed step, waited for one by one: zero grads + forward + backward, clip, AdamW
    double[][] phases = new double[3][steps];
    double loss = 0;
    for (int step = -Math.min(3, steps); step < steps; step++) {
      k.synchronize();
      long t0 = System.nanoTime();
      model.parameters().zeroGrads();
      loss = model.trainStep(batch, labels, RunMode.training(step), 1.0 / labelled).meanLoss();
      k.synchronize();
      long t1 = System.nanoTime();
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      k.synchronize();
      long t2 = System.nanoTime();
      opt.step(model.parameters(), 1e-4);
      k.synchronize();
      long t3 = System.nanoTime();
      if (step >= 0) {
        seconds[step] = (t3 - t0) / 1e9;
        phases[0][step] = (t1 - t0) / 1e9;
        phases[1][step] = (t2 - t1) / 1e9;
        phases[2][step] = (t3 - t2) / 1e9;
      }
    }
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    double median = sorted[steps / 2];
    double[] phaseMedians = new double[3];
    for (int i = 0; i < 3; i++) {
      double[] p = phases[i].clone();
      Arrays.sort(p);
      phaseMedians[i] = p[steps / 2];
    }
    double tokensPerSecond = batchSize * (double) seq / median;
    // model FLOPs a token: 6 per weight of the encoder and LM head dense, the decoder on 15% of the
    // rows, and attention's two T x T products (12 L T C, forward and backward)
    long c = spec.hiddenSize();
    long layers = spec.numLayers();
    double encoderWeights = layers * (4 * c * c + 2 * c * spec.intermediateSize()) + c * c;
    double flopsPerToken = 6 * encoderWeights + 6 * 0.15 * spec.vocabSize() * c + 12.0 * layers * seq * c;
    double tflops = flopsPerToken * tokensPerSecond / 1e12;
    return String.format(Locale.ROOT,
        "bench %s roberta-base seq %d batch %d: %.1f ms/step (median of %d), %,.0f tokens/s, %.0f TFLOP/s"
            + " (%.1f%% of 989 bf16 dense peak), loss %.3f; phases (medians, each waited for): forward+backward"
            + " %.1f ms, clip %.1f ms, AdamW %.1f ms. The LM head's decoder runs on the labelled 15%% of rows"
            + " only (HF's baseline computes full-vocabulary logits for every token)",
        precision, seq, batchSize, median * 1e3, steps, tokensPerSecond, tflops, 100 * tflops / 989, loss,
        phaseMedians[0] * 1e3, phaseMedians[1] * 1e3, phaseMedians[2] * 1e3);
  }
}
