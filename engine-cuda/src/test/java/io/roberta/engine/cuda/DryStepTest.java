package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.Batch;
import io.roberta.engine.model.Parameters;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.model.RobertaTaskModel;
import io.roberta.engine.model.RunMode;
import io.roberta.engine.optim.AdamW;
import io.roberta.engine.optim.GradientClipping;
import io.roberta.spec.LayerSharing;
import io.roberta.spec.ModelSpec;
import io.roberta.spec.SpecialTokens;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * One full training step of a tiny model (forward with dropout, masked-LM loss on the labelled
 * rows, backward, global-norm clipping, AdamW) on the dry device: every launch and product is
 * checked against its kernel's signature, CUDA's limits and the buffers it touches.
 */
class DryStepTest {
  static final int VOCAB = 64;

  static ModelSpec tiny() {
    return new ModelSpec(VOCAB, 32, 2, 4, 64, 24, 1, 1e-5, 0.1, 0.1, 0.02, SpecialTokens.roberta(VOCAB),
        LayerSharing.NONE);
  }

  /** Two padded sequences, three labelled positions. */
  static Batch batch(int pad) {
    return Batch.pad(new int[][] {{0, 10, 11, 12, 13, 14, 2}, {0, 20, 21, 2}}, pad);
  }

  static int[] labels(int rows) {
    int[] labels = new int[rows];
    Arrays.fill(labels, RobertaTaskModel.IGNORE_INDEX);
    labels[2] = 11;
    labels[4] = 13;
    labels[9] = 21;
    return labels;
  }

  static void step(RobertaForMaskedLM model, AdamW opt, long seed) {
    Batch b = batch(tiny().specialTokens().pad());
    int[] labels = labels(b.rows());
    RobertaForMaskedLM.Step s = model.trainStep(b, labels, RunMode.training(seed), 1.0 / 3);
    assertEquals(3, s.labelled());
    GradientClipping.clipGlobalNorm(model.parameters(), 1.0);
    opt.step(model.parameters(), 1e-3);
    model.parameters().zeroGrads();
  }

  @ParameterizedTest
  @EnumSource(value = KernelPrecision.class, names = {"FP32", "BF16"})
  void aTrainingStepLaunchesOnlyValidShapes(KernelPrecision precision) {
    DryDevice dry = new DryDevice();
    CudaKernels k = new CudaKernels(dry, precision);
    RobertaForMaskedLM model = new RobertaForMaskedLM(tiny(), k);
    model.initialize(1);
    AdamW opt = new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01);
    step(model, opt, 1); // makes moments and bf16 weight copies
    dry.clearRecords();
    step(model, opt, 2);
    k.releasePool();
    java.util.Set<Long> cached = k.cachedIdBuffers().stream().map(b -> b.address).collect(Collectors.toSet());
    assertEquals(List.of(), dry.unfreedSinceClear().stream().filter(b -> !cached.contains(b.address)).toList(),
        "a step must free what it allocates (into the pool)");

    Set<String> used = dry.launches().stream().map(Launch::kernel).collect(Collectors.toCollection(TreeSet::new));
    for (String kernel : new String[] {"embedding_forward", "embedding_backward", "layernorm_forward",
        "layernorm_backward", "attention_softmax_forward", "attention_softmax_backward", "dropout_mask",
        "gelu_forward", "gelu_backward", "gather_rows", "scatter_add_rows", "cross_entropy_rows", "argmax_rows",
        "add_bias_rows", "column_sums_add", "sum_of_squares", "adamw_step", "multiply", "add_inplace"}) {
      assertTrue(used.contains(kernel), kernel + " not launched; launched " + used);
    }
    DType in = precision == KernelPrecision.BF16 ? DType.BF16 : DType.F32;
    // per layer: q, k, v, output, intermediate, output forward; attention's 2 products, each one
    // strided batch over every (sequence, head); the LM head's dense and decoder. Backward: two
    // products a linear (dx, dW), attention's four.
    int layers = 2;
    int linears = layers * 6 + 2;
    int expected = linears + layers * 2 + 2 * linears + layers * 4;
    assertEquals(expected, dry.gemms().size());
    for (Gemm g : dry.gemms()) {
      assertEquals(in, g.a().type(), g::toString);
      if (g.beta() == 1f) {
        assertEquals(DType.F32, g.c().type(), "weight gradients accumulate in fp32: " + g);
      }
    }
    // copy_convert runs for the two residual copies of each layer only: AdamW refreshed the
    // weights' bf16 copies, so the second step converts no weight
    long copies = dry.launches().stream().filter(l -> l.kernel().equals("copy_convert")).count();
    assertEquals(2 * layers, copies);
  }

  @Test
  void storageTypes() {
    CudaKernels k = new CudaKernels(new DryDevice(), KernelPrecision.BF16);
    assertEquals(DType.F32, ((CudaTensor) k.zeros(4, 4)).type, "outside a scope: master weights");
    try (var s = k.scope()) {
      assertEquals(DType.BF16, ((CudaTensor) k.zeros(4, 4)).type, "activations");
      assertEquals(DType.F32, ((CudaTensor) k.zeros(4)).type, "layer-norm statistics");
    }
    CudaKernels f = new CudaKernels(new DryDevice(), KernelPrecision.FP32);
    try (var s = f.scope()) {
      assertEquals(DType.F32, ((CudaTensor) f.zeros(4, 4)).type);
    }
  }

  @Test
  void everyKernelPassesTheDryChecks() {
    DryDevice dry = new DryDevice();
    CudaKernels k = new CudaKernels(dry, KernelPrecision.BF16);
    RobertaForMaskedLM model = new RobertaForMaskedLM(tiny(), k);
    model.initialize(1);
    step(model, new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01), 1);
    try (var s = k.scope()) {
      Tensor x = k.zeros(5, 3);
      Tensor y = k.zeros(5, 3);
      Tensor col = k.zeros(5);
      k.tanhForward(y, x);
      k.tanhBackward(x, y, y);
      k.copyColumn(col, x, 2);
      k.addToColumn(x, 1, col);
      k.fill(x, 2.0);
      k.scale(x, 0.5);
      k.copy(y, x);
      k.crossEntropy(x, new int[] {4, 1}, new int[] {0, 2}, 1.0, y);
    }
    Set<String> used = dry.launches().stream().map(Launch::kernel).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(KernelSignatures.load().names()), used);
  }

  @Test
  void parametersAndGradientsStayFp32InBf16() {
    CudaKernels k = new CudaKernels(new DryDevice(), KernelPrecision.BF16);
    RobertaForMaskedLM model = new RobertaForMaskedLM(tiny(), k);
    for (Parameters.Param p : model.parameters().all()) {
      assertEquals(DType.F32, ((CudaTensor) p.value()).type, p.name());
      assertEquals(DType.F32, ((CudaTensor) p.grad()).type, p.name());
    }
  }
}
