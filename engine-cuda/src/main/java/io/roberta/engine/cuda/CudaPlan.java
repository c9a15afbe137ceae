package io.roberta.engine.cuda;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What one training step of the CUDA backend asks of the device, counted on the dry device (no
 * GPU): kernel launches, GEMMs (and how many are per-head attention products), memsets and the
 * bytes they write, allocations, host synchronisations (downloads and synchronous uploads, which
 * both wait for the device, and explicit waits). For
 * roberta-base at batch 32 x sequence 512 in BF16, as {@code GpuChecks} trains it, next to the
 * counts recorded before the leaner-step work and the targets.
 *
 * <pre>{@code roberta bench cuda-plan}</pre>
 */
public final class CudaPlan {
  private CudaPlan() {}

  /** The counts of one steady-state step. */
  public record Step(long launches, long gemms, long perHeadGemms, long memsets, long memsetBytes, long allocations,
      long allocatedBytes, long hostSyncs, long uploads) {}

  /**
   * Counted by this command on the backend before any leaner-step change (commit 312471a); the same
   * figures as issue 15 gives.
   */
  public static final Step RECORDED_BEFORE = new Step(1073, 1086, 864, 857, 18_700_000_000L, 727, 0, 214, 0);

  /** roberta-base as GpuChecks trains it. */
  static ModelSpec robertaBase() {
    return new ModelSpec(50_265, 768, 12, 12, 3072, 514, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(50_265),
        LayerSharing.NONE);
  }

  /**
   * Counts the last of {@value #STEPS} training steps, each on a new batch (the first makes the
   * moments and bf16 copies; the next ones fill the memory pool with the sizes a step needs).
   */
  static final int STEPS = 4;

  public static Step count(ModelSpec spec, int batchSize, int seq, KernelPrecision precision) {
    return count(spec, batchSize, seq, precision, true);
  }

  /** {@code newBatches} false: the same batch every step (then nothing varies between steps). */
  static Step count(ModelSpec spec, int batchSize, int seq, KernelPrecision precision, boolean newBatches) {
    DryDevice dry = new DryDevice();
    dry.downloadFill((byte) 0x40); // a gradient norm above the limit: the step clips, as a real one
    CudaKernels k = new CudaKernels(dry, precision);
    RobertaForMaskedLM model = new RobertaForMaskedLM(spec, k);
    model.initialize(1);
    AdamW opt = new AdamW(1e-4, 0.9, 0.98, 1e-6, 0.01);
    SplittableRandom r = new SplittableRandom(5);
    for (int step = 0; step < STEPS; step++) {
      if (!newBatches) {
        r = new SplittableRandom(5);
      }
      // a new batch each step, as in training: nothing carried over but what a real step keeps
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
      if (step == STEPS - 1) {
        dry.clearRecords();
      }
      model.parameters().zeroGrads();
      model.trainStep(batch, labels, RunMode.training(step), 1.0 / labelled);
      GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
      opt.step(model.parameters(), 1e-4);
    }
    DryDevice.Counts c = dry.counts();
    long perHead = dry.gemms().stream().filter(g -> g.m() == seq || g.n() == seq)
        .filter(g -> g.batch() == batchSize && (g.k() == spec.hiddenSize() / spec.numHeads() || g.k() == seq))
        .count();
    return new Step(dry.launches().size(), dry.gemms().size(), perHead, c.memsets, c.memsetBytes, c.allocations,
        c.allocatedBytes, c.downloads + c.uploads + c.synchronizations, c.uploads);
  }

  /** Prints the table for roberta-base at 32 x 512: recorded before, now, target. */
  public static void print(PrintWriter out) {
    print(out, robertaBase(), 32, 512);
  }

  static void print(PrintWriter out, ModelSpec spec, int batch, int seq) {
    Step now = count(spec, batch, seq, KernelPrecision.BF16);
    Step b = RECORDED_BEFORE;
    out.printf(Locale.ROOT, "CUDA backend, one training step of %s, batch %d x sequence %d, BF16,"
        + " counted on the dry device (no GPU)%n", spec.equals(robertaBase()) ? "roberta-base" : "the given model",
        batch, seq);
    out.printf(Locale.ROOT, "%-34s %14s %14s %10s%n", "", "before", "now", "target");
    row(out, "kernel launches", b.launches, now.launches, "<= 300");
    row(out, "GEMMs", b.gemms, now.gemms, "<= 150");
    row(out, "  of them per-head attention", b.perHeadGemms, now.perHeadGemms, "0");
    row(out, "memsets", b.memsets, now.memsets, "accumulated only");
    out.printf(Locale.ROOT, "%-34s %14s %14s %10s%n", "  bytes they write", gb(b.memsetBytes), gb(now.memsetBytes), "");
    row(out, "allocations", b.allocations, now.allocations, "0 steady");
    out.printf(Locale.ROOT, "%-34s %14s %14s %10s%n", "  bytes allocated", "-", gb(now.allocatedBytes), "");
    row(out, "host synchronisations", b.hostSyncs, now.hostSyncs, "<= 2");
    row(out, "  of them host-to-device copies", -1, now.uploads, "1 (ids)");
    out.flush();
  }

  private static void row(PrintWriter out, String what, long before, long now, String target) {
    out.printf(Locale.ROOT, "%-34s %14s %14s %10s%n", what, before < 0 ? "-" : String.format(Locale.ROOT, "%,d", before),
        String.format(Locale.ROOT, "%,d", now), target);
  }

  private static String gb(long bytes) {
    return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
  }

  public static void main(String[] args) {
    print(new PrintWriter(System.out, true));
  }
}
