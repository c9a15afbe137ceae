package io.roberta.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Tensor;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Central finite differences in float64 against the hand-written backward, for every head, with
 * and without shared layers, with dropout (a fixed seed draws the same masks in every pass).
 * Each parameter tensor is probed at its largest-gradient element and three random ones.
 *
 * <p>The padding rows of the word and position tables are skipped: like PyTorch's {@code
 * padding_idx} they get no gradient by design, although padding tokens feed the QA loss.
 */
class GradientCheckTest {

  /** Tiny matrices gain nothing from a second native thread, and lose much on a busy machine. */
  @org.junit.jupiter.api.BeforeAll
  static void oneNativeThread() {
    Nd4jKernels.pinThreads(1);
  }

  private static final double STEP = 1e-5;
  private static final double ABS_TOL = 1e-8;
  private static final double REL_TOL = 1e-6;
  private static final int PAD = 1;

  static ModelSpec spec(LayerSharing sharing, double dropout) {
    return new ModelSpec(24, 8, 2, 2, 16, 12, 2, 1e-5, dropout, dropout, 0.2,
        SpecialTokens.roberta(24), sharing);
  }

  static Stream<Arguments> variants() {
    List<Arguments> out = new ArrayList<>();
    for (String head : List.of("mlm", "sequence", "regression", "token", "qa", "choice")) {
      out.add(Arguments.of(head, LayerSharing.NONE, 0.1));
      out.add(Arguments.of(head, LayerSharing.ALL_LAYERS, 0.0));
    }
    return out.stream();
  }

  /** Two sequences of length 7, the second padded by 2, random token types. */
  static Batch batch(Random random) {
    int[][] seqs = {{0, 5, 9, 23, 7, 12, 2}, {0, 17, 4, 8, 2}};
    Batch padded = Batch.pad(seqs, PAD);
    int[] types = new int[padded.rows()];
    for (int i = 0; i < types.length; i++) {
      types[i] = random.nextInt(2);
    }
    return new Batch(padded.size(), padded.length(), padded.inputIds(), padded.attentionMask(),
        types);
  }

  /** Two questions of three (context, choice) sequences each, padded to one length. */
  static Batch choiceBatch(Random random) {
    int[][] seqs = {
      {0, 5, 9, 2, 2, 7, 2}, {0, 5, 9, 2, 2, 12, 13, 2}, {0, 5, 9, 2, 2, 4, 2},
      {0, 17, 4, 2, 2, 8, 2}, {0, 17, 4, 2, 2, 20, 2}, {0, 17, 4, 2, 2, 6, 11, 19, 2}};
    return Batch.pad(seqs, PAD);
  }

  @ParameterizedTest(name = "{0} head, {1} layers, dropout {2}")
  @MethodSource("variants")
  void backwardMatchesFiniteDifferences(String head, LayerSharing sharing, double dropout) {
    Kernels k = new Nd4jKernels(KernelPrecision.FP64);
    ModelSpec spec = spec(sharing, dropout);
    Random random = new Random(7);
    Batch batch = head.equals("choice") ? choiceBatch(random) : batch(random);
    long seed = 11;
    RobertaTaskModel<?> model;
    Supplier<Double> lossAndGrads;
    Supplier<Double> lossOnly;
    switch (head) {
      case "mlm" -> {
        RobertaForMaskedLM m = new RobertaForMaskedLM(spec, k);
        int[] labels = new int[batch.rows()];
        java.util.Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
        labels[2] = 13;
        labels[4] = 7;
        labels[7 + 3] = 20;
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, labels, RunMode.training(seed));
        lossOnly = () -> m.loss(batch, labels, RunMode.training(seed));
      }
      case "sequence" -> {
        RobertaForSequenceClassification m = new RobertaForSequenceClassification(spec, 3, k);
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, new int[] {2, 0}, RunMode.training(seed));
        lossOnly = () -> m.loss(batch, new int[] {2, 0}, RunMode.training(seed));
      }
      case "regression" -> {
        RobertaTaskModel<double[]> m = RobertaForSequenceClassification.regression(spec, k);
        double[] targets = {0.7, -1.3};
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, targets, RunMode.training(seed));
        lossOnly = () -> m.loss(batch, targets, RunMode.training(seed));
      }
      case "token" -> {
        RobertaForTokenClassification m = new RobertaForTokenClassification(spec, 4, k);
        int[] labels = new int[batch.rows()];
        for (int i = 0; i < labels.length; i++) {
          labels[i] = batch.attentionMask()[i] == 1 ? random.nextInt(4) : -100;
        }
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, labels, RunMode.training(seed));
        lossOnly = () -> m.loss(batch, labels, RunMode.training(seed));
      }
      case "qa" -> {
        RobertaForQuestionAnswering m = new RobertaForQuestionAnswering(spec, k);
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, new int[] {2, 1}, new int[] {4, 7},
            RunMode.training(seed));
        lossOnly = () -> m.loss(batch, new int[] {2, 1}, new int[] {4, 7}, RunMode.training(seed));
      }
      case "choice" -> {
        // two questions of three choices each: six sequences, answers [2]
        RobertaForMultipleChoice m = new RobertaForMultipleChoice(spec, 3, k);
        model = m;
        lossAndGrads = () -> m.forwardBackward(batch, new int[] {2, 0}, RunMode.training(seed));
        lossOnly = () -> m.loss(batch, new int[] {2, 0}, RunMode.training(seed));
      }
      default -> throw new IllegalArgumentException(head);
    }
    model.initialize(3);
    Parameters params = model.parameters();
    params.zeroGrads();
    lossAndGrads.get();
    java.util.Map<String, double[]> grads = new java.util.HashMap<>();
    for (Parameters.Param p : params.all()) {
      grads.put(p.name(), k.toDoubles(p.grad()));
    }

    List<String> failures = new ArrayList<>();
    int probes = 0;
    for (Parameters.Param p : params.all()) {
      double[] grad = grads.get(p.name());
      long width = p.value().rank() == 2 ? p.value().dim(1) : p.value().size();
      boolean paddingRowFrozen = p.name().endsWith("word_embeddings.weight")
          || p.name().endsWith("position_embeddings.weight");
      List<Integer> indices = new ArrayList<>();
      int largest = 0;
      for (int i = 1; i < grad.length; i++) {
        if (Math.abs(grad[i]) > Math.abs(grad[largest])) {
          largest = i;
        }
      }
      indices.add(largest);
      for (int r = 0; r < 2; r++) {
        indices.add(random.nextInt(grad.length));
      }
      for (int index : indices) {
        if (paddingRowFrozen && index / width == PAD) {
          continue;
        }
        Tensor value = p.value();
        double original = k.get(value, index);
        k.set(value, index, original + STEP);
        double plus = lossOnly.get();
        k.set(value, index, original - STEP);
        double minus = lossOnly.get();
        k.set(value, index, original);
        double numeric = (plus - minus) / (2 * STEP);
        double error = Math.abs(numeric - grad[index]);
        probes++;
        if (!(error <= ABS_TOL + REL_TOL * Math.abs(numeric))) {
          failures.add(String.format("%s[%d]: backward %.10e, finite difference %.10e",
              p.name(), index, grad[index], numeric));
        }
      }
    }
    assertTrue(probes > 2 * 20, "too few probes: " + probes);
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }
}
