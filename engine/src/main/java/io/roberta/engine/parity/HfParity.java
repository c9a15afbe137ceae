package io.roberta.engine.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.roberta.engine.io.ModelFileException;
import io.roberta.engine.io.SafeTensors;
import io.roberta.engine.io.TensorData;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.Encoder;
import io.roberta.engine.model.Parameters;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaForSequenceClassification;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Compares a backend against a Hugging Face fixture: {@code mlm/} (config + weights), optional
 * {@code cls/}, {@code reference.safetensors} (inputs, hidden states, logits, gradients, the
 * parameters after one AdamW step, classification logits) and {@code reference.json} (loss,
 * AdamW settings). Any size, layer or head count.
 *
 * <pre>{@code
 * HfParity.Report r = HfParity.run(Path.of("fixtures/tiny-roberta"), new Nd4jKernels(KernelPrecision.FP32));
 * System.out.print(r); if (!r.passed()) ...
 * }</pre>
 */
public final class HfParity {
  /** Tolerances of the issue: absolute for activations and parameters, relative elsewhere. */
  public static final double HIDDEN_TOL = 1e-5;
  public static final double LOGITS_TOL = 1e-5;
  public static final double LOSS_TOL = 1e-5;
  public static final double GRAD_TOL = 1e-5;
  /** Smallest gradient scale, as a fraction of the model's largest gradient (see {@link #run}). */
  public static final double GRAD_FLOOR = 1e-3;
  public static final double ADAMW_TOL = 1e-5;
  public static final double CLS_TOL = 1e-5;

  private HfParity() {}

  /**
   * The tolerance of each group. {@link #FP32} is the issue's. {@link #BF16} is derived from bf16's
   * unit roundoff {@code u = 2^-9}: activations (hidden states up to about 4 in size after layer
   * norm, logits) are rounded at every stored step, and a few layers deep that is 8 roundings of
   * values up to 4, so {@code 32u} absolute; the loss (a mean over rows) {@code 8u} relative;
   * gradients {@code 32u} relative to their tensor's scale; classification logits {@code 32u}.
   * AdamW's first update is {@code lr * g / |g|}, about {@code +-lr} whatever the gradient's size,
   * so a near-zero gradient whose sign bf16 noise flips moves a weight by up to {@code 2 lr}:
   * {@code 2.5 lr} absolute.
   */
  public record Tolerances(double hidden, double logits, double loss, double grad, double adamw,
      double adamwPerLr, double cls) {
    public static final Tolerances FP32 =
        new Tolerances(HIDDEN_TOL, LOGITS_TOL, LOSS_TOL, GRAD_TOL, ADAMW_TOL, 0.0, CLS_TOL);
    private static final double U = 0x1.0p-9;
    public static final Tolerances BF16 =
        new Tolerances(32 * U, 32 * U, 8 * U, 32 * U, ADAMW_TOL, 2.5, 32 * U);

    /** The tolerances for a backend computing in {@code precision}. */
    public static Tolerances of(KernelPrecision precision) {
      return precision == KernelPrecision.BF16 ? BF16 : FP32;
    }
  }

  /** One group's worst error against its tolerance. */
  public record Group(String name, String measure, double worst, String worstItem,
      double tolerance, int compared) {
    public boolean passed() {
      return compared > 0 && worst <= tolerance && !Double.isNaN(worst);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%-22s %-4s worst %-10.3e tol %.0e  %-30s %s",
          name, passed() ? "PASS" : "FAIL", worst, tolerance,
          "(" + compared + " compared)", worstItem == null ? "" : "at " + worstItem);
    }
  }

  public record Report(Path dir, List<Group> groups) {
    public boolean passed() {
      return !groups.isEmpty() && groups.stream().allMatch(Group::passed);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder("parity against " + dir + "\n");
      groups.forEach(g -> s.append("  ").append(g).append('\n'));
      s.append(passed() ? "all groups pass\n" : "FAILED\n");
      return s.toString();
    }
  }

  /** Accumulates the worst error of one group. */
  private static final class Worst {
    final String name;
    final String measure;
    final double tolerance;
    double worst = 0;
    String item;
    int compared;

    Worst(String name, String measure, double tolerance) {
      this.name = name;
      this.measure = measure;
      this.tolerance = tolerance;
    }

    void add(double error, String where) {
      compared++;
      if (error > worst || Double.isNaN(error)) {
        worst = Double.isNaN(worst) ? worst : error;
        item = where;
      }
    }

    Group group() {
      return new Group(name, measure, worst, item, tolerance, compared);
    }
  }

  /** Compares with the tolerances of {@code k}'s precision. */
  public static Report run(Path dir, Kernels k) throws IOException {
    return run(dir, k, Tolerances.of(k.precision()));
  }

  public static Report run(Path dir, Kernels k, Tolerances tol) throws IOException {
    Path referenceFile = dir.resolve("reference.safetensors");
    SafeTensors ref = SafeTensors.read(referenceFile);
    JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("reference.json")));
    long[] idShape = ref.tensor("input_ids").shape();
    if (idShape.length != 2) {
      throw new ModelFileException(referenceFile, "input_ids",
          "must be [batch, length], got " + Arrays.toString(idShape));
    }
    int batchSize = (int) idShape[0];
    int length = (int) idShape[1];
    Batch batch = new Batch(batchSize, length, ref.tensor("input_ids").toInts(),
        ref.tensor("attention_mask", idShape).toInts(), null);
    int[] labels = ref.tensor("labels", idShape).toInts();

    List<Group> groups = new ArrayList<>();
    // the models, the optimizer's moments and the activations are freed when each part ends
    try (RobertaForMaskedLM model = RobertaForMaskedLM.load(dir.resolve("mlm"), k)) {
      try (Kernels.Scope scope = k.scope()) {
        Encoder.Forward f = model.encode(batch, RunMode.inference());

        Worst hidden = new Worst("hidden states", "abs", tol.hidden());
        List<Tensor> states = f.hiddenStates();
        for (int i = 0; i < states.size(); i++) {
          compareAbs(hidden, "hidden_states." + i, k.toFloats(states.get(i)), ref, referenceFile);
        }
        groups.add(hidden.group());

        Worst logits = new Worst("logits", "abs", tol.logits());
        compareAbs(logits, "logits", k.toFloats(model.logits(f)), ref, referenceFile);
        groups.add(logits.group());
      }

      Parameters params = model.parameters();
      params.zeroGrads();
      double loss = model.forwardBackward(batch, labels, RunMode.inference());
      double refLoss = json.path("loss").asDouble(Double.NaN);
      Worst lossGroup = new Worst("loss", "rel", tol.loss());
      lossGroup.add(Math.abs(loss - refLoss) / Math.abs(refLoss),
          String.format(Locale.ROOT, "%.8f vs %.8f", loss, refLoss));
      groups.add(lossGroup.group());

      // Relative to each tensor's max; a tensor whose true gradient is zero (the attention key
      // bias: softmax ignores a per-row constant) holds only rounding noise, so its scale is floored
      // at GRAD_FLOOR of the largest gradient in the model.
      Worst grads = new Worst("gradients", "rel max", tol.grad());
      double largest = 0;
      for (Parameters.Param p : params.all()) {
        largest = Math.max(largest, maxAbs(ref.tensor("grad." + p.name(), p.grad().shape())
            .toFloats()));
      }
      for (Parameters.Param p : params.all()) {
        float[] expected = ref.tensor("grad." + p.name()).toFloats();
        double scale = Math.max(maxAbs(expected), GRAD_FLOOR * largest);
        grads.add(maxAbsDiff(k.toFloats(p.grad()), expected) / Math.max(scale, 1e-30), p.name());
      }
      groups.add(grads.group());

      JsonNode adamw = json.path("adamw");
      try (AdamW optimizer = new AdamW(adamw.path("lr").asDouble(), adamw.path("betas").get(0).asDouble(),
          adamw.path("betas").get(1).asDouble(), adamw.path("eps").asDouble(),
          adamw.path("weight_decay").asDouble())) {
        optimizer.step(params);
      }
      Worst step = new Worst("adamw step", "abs",
          tol.adamw() + tol.adamwPerLr() * adamw.path("lr").asDouble());
      for (Parameters.Param p : params.all()) {
        compareAbs(step, "after_adamw_step." + p.name(), k.toFloats(p.value()), ref, referenceFile);
      }
      groups.add(step.group());
    }

    Path cls = dir.resolve("cls");
    if (Files.isDirectory(cls) && ref.contains("cls_logits")) {
      try (RobertaForSequenceClassification classifier = RobertaForSequenceClassification.loadForInference(cls, k);
          Kernels.Scope scope = k.scope()) {
        Worst clsGroup = new Worst("classification logits", "abs", tol.cls());
        compareAbs(clsGroup, "cls_logits", k.toFloats(classifier.logits(batch)), ref,
            referenceFile);
        groups.add(clsGroup.group());
      }
    }
    return new Report(dir, groups);
  }

  private static void compareAbs(Worst w, String name, float[] actual, SafeTensors ref,
      Path file) {
    float[] expected = ref.tensor(name).toFloats();
    if (expected.length != actual.length) {
      throw new ModelFileException(file, name, "holds " + expected.length
          + " values, the model produced " + actual.length);
    }
    w.add(maxAbsDiff(actual, expected), name);
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs((double) a[i] - b[i]);
      if (d > worst || Double.isNaN(d)) {
        worst = d;
      }
    }
    return worst;
  }

  private static double maxAbs(float[] a) {
    double m = 0;
    for (float v : a) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }
}
