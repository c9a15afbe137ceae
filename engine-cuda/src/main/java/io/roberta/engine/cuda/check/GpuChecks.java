package io.roberta.engine.cuda.check;

import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.Backends;
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
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Everything the GPU machine checks in one process, with no ND4J on the class path: HF parity in
 * FP32 and BF16, the tiny example's 200-step curve against the ND4J curve recorded here, and
 * training throughput of roberta-base (sequence 512, batch 32). Prints a summary and writes
 * {@code <out>/java-results.txt}.
 *
 * <p>With {@code --dry} last, every backend is the dry device (launches checked, nothing computed):
 * the whole program, roberta-base shapes included, runs on a machine without a GPU; its numbers
 * mean nothing and no verdict is drawn.
 *
 * <pre>{@code java -cp ... io.roberta.engine.cuda.check.GpuChecks <fixture dir> <nd4j curve> <out dir> [steps] [--dry]}</pre>
 */
public final class GpuChecks {
  private GpuChecks() {}

  public static void main(String[] args) throws Exception {
    Path fixture = Path.of(args[0]);
    Path curve = Path.of(args[1]);
    Path out = Path.of(args[2]);
    int benchSteps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    boolean dry = args.length > 4 && args[4].equals("--dry");
    java.util.function.Function<KernelPrecision, Kernels> backend = dry
        ? io.roberta.engine.cuda.CudaKernelsProvider::dry
        : precision -> Backends.create(Backend.CUDA, precision);
    Files.createDirectories(out);
    List<String> lines = new ArrayList<>();
    boolean ok = true;
    for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
      Kernels k = backend.apply(precision);
      lines.add("device: " + ((io.roberta.engine.cuda.CudaKernels) k).deviceDescription());
      HfParity.Report report = HfParity.run(fixture, k);
      lines.add("parity " + precision + ":\n" + report);
      ok &= report.passed();
    }
    double[] reference = Files.readAllLines(curve).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
        .mapToDouble(Double::parseDouble).toArray();
    for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.FP32, KernelPrecision.BF16}) {
      double[] losses = TinyCurve.run(backend.apply(precision), reference.length);
      Files.writeString(out.resolve("cuda-tiny-curve-" + precision + ".txt"),
          Arrays.stream(losses).mapToObj(Double::toString).collect(Collectors.joining("\n")) + "\n");
      String verdict = TinyCurve.compare(reference, losses);
      lines.add(String.format(Locale.ROOT, "tiny curve %s: first %.4f last-50 mean %.4f (ND4J %.4f): %s", precision,
          losses[0], TinyCurve.mean(Arrays.copyOfRange(losses, losses.length - 50, losses.length)),
          TinyCurve.mean(Arrays.copyOfRange(reference, reference.length - 50, reference.length)),
          verdict == null ? "within noise" : "DIFFERS " + verdict));
      ok &= verdict == null;
    }
    for (KernelPrecision precision : new KernelPrecision[] {KernelPrecision.BF16, KernelPrecision.FP32}) {
      lines.add(bench(backend.apply(precision), 32, 512, benchSteps));
    }
    lines.add(dry ? "DRY RUN: every launch checked, no numbers computed" : ok ? "GPU CHECKS PASSED" : "GPU CHECKS FAILED");
    ok |= dry;
    String text = String.join("\n", lines) + "\n";
    System.out.print(text);
    Files.writeString(out.resolve("java-results.txt"), text);
    if (!ok) {
      System.exit(1);
    }
  }

  /** roberta-base as Hugging Face's {@code RobertaConfig()}: 12 layers, 768 wide, vocabulary 50,265. */
  public static ModelSpec robertaBase() {
    return new ModelSpec(50_265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50_265),
        LayerSharing.NONE);
  }

  /** Training tokens/s of roberta-base on the CUDA backend: the median of {@code steps} timed steps. */
  static String bench(Kernels kernels, int batchSize, int seq, int steps) {
    io.roberta.engine.cuda.CudaKernels k = (io.roberta.engine.cuda.CudaKernels) kernels;
    KernelPrecision precision = k.precision();
    ModelSpec spec = robertaBase();
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec, k);
    model.initialize(1);
    AdamW opt = new AdamW(1e-4, 0.9, 0.98, 1e-6, 0.01);
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
    double loss = 0;
    for (int step = -Math.min(3, steps); step < steps; step++) {
      k.synchronize();
      long t0 = System.nanoTime();
      model.parameters().zeroGrads();
      loss = model.trainStep(batch, labels, RunMode.training(step), 1.0 / labelled).meanLoss();
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      opt.step(model.parameters(), 1e-4);
      k.synchronize();
      if (step >= 0) {
        seconds[step] = (System.nanoTime() - t0) / 1e9;
      }
    }
    double[] sorted = seconds.clone();
    Arrays.sort(sorted);
    double median = sorted[steps / 2];
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
            + " (%.1f%% of 989 bf16 dense peak), loss %.3f",
        precision, seq, batchSize, median * 1e3, steps, tokensPerSecond, tflops, 100 * tflops / 989, loss);
  }
}
