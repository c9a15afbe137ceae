package io.roberta.engine.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Nd4jKernels;
import io.roberta.engine.model.Parameters;
import org.junit.jupiter.api.Test;

/**
 * AdamW over several steps against the update of {@code torch.optim.AdamW} written out in plain
 * double arithmetic (the one-step fp32 match with PyTorch itself is in the parity test), and
 * global-norm clipping against its definition.
 */
class AdamWTest {
  private final Kernels k = new Nd4jKernels(KernelPrecision.FP64);

  @Test
  void threeStepsFollowTorchAdamW() {
    Parameters params = new Parameters(k);
    Parameters.Param matrix = params.add("w", 2, 2);
    Parameters.Param bias = params.add("b", 2);
    k.copy(matrix.value(), k.fromDoubles(new double[] {0.5, -1.0, 2.0, 0.0}, 2, 2));
    k.copy(bias.value(), k.fromDoubles(new double[] {0.1, -0.2}, 2));
    double lr = 0.01;
    double b1 = 0.9;
    double b2 = 0.98;
    double eps = 1e-6;
    double wd = 0.1;
    AdamW optimizer = new AdamW(lr, b1, b2, eps, wd);

    double[] w = {0.5, -1.0, 2.0, 0.0};
    double[] b = {0.1, -0.2};
    double[][] mv = new double[4][4]; // m, v for w; m, v for b
    double[][] gradients = {{0.3, -0.1, 0.0, 2.0}, {-0.5, 0.2, 1e-3, 1.0}, {0.1, 0.1, -0.4, 0.0}};
    for (int step = 1; step <= 3; step++) {
      double[] gw = gradients[step - 1];
      double[] gb = {gw[0] * 2, gw[1] - 1};
      k.copy(matrix.grad(), k.fromDoubles(gw, 2, 2));
      k.copy(bias.grad(), k.fromDoubles(gb, 2));
      optimizer.step(params);
      reference(w, gw, mv[0], mv[1], lr, b1, b2, eps, wd, step);
      reference(b, gb, mv[2], mv[3], lr, b1, b2, eps, 0.0, step); // no decay on rank 1
    }
    double[] actualW = k.toDoubles(matrix.value());
    double[] actualB = k.toDoubles(bias.value());
    for (int i = 0; i < 4; i++) {
      assertEquals(w[i], actualW[i], 1e-15, "w[" + i + "]");
    }
    for (int i = 0; i < 2; i++) {
      assertEquals(b[i], actualB[i], 1e-15, "b[" + i + "]");
    }
    assertEquals(3, optimizer.steps());
  }

  /** torch.optim.AdamW, single-tensor path, written out. */
  private static void reference(double[] p, double[] g, double[] m, double[] v, double lr,
      double b1, double b2, double eps, double wd, int step) {
    for (int i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      double bc1 = 1 - Math.pow(b1, step);
      double bc2 = 1 - Math.pow(b2, step);
      p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
    }
  }

  @Test
  void clippingScalesOnlyAboveTheMaximum() {
    Parameters params = new Parameters(k);
    Parameters.Param a = params.add("a", 2);
    Parameters.Param c = params.add("c", 1, 2);
    k.copy(a.grad(), k.fromDoubles(new double[] {3, 0}, 2));
    k.copy(c.grad(), k.fromDoubles(new double[] {0, 4}, 1, 2));
    assertEquals(5.0, GradientClipping.clipGlobalNorm(params, 10.0), 1e-12);
    assertEquals(3.0, k.toDoubles(a.grad())[0], 0.0, "below the maximum: untouched");
    assertEquals(5.0, GradientClipping.clipGlobalNorm(params, 1.0), 1e-12);
    double factor = 1.0 / (5.0 + 1e-6);
    assertEquals(3.0 * factor, k.toDoubles(a.grad())[0], 1e-15);
    assertEquals(4.0 * factor, k.toDoubles(c.grad())[1], 1e-15);
    assertEquals(1.0, GradientClipping.globalNorm(params), 1e-6);
    assertThrows(IllegalArgumentException.class, () -> GradientClipping.clipGlobalNorm(params, 0));
  }

  @Test
  void argumentsAreChecked() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new AdamW(1e-3, 1.0, 0.98, 1e-6, 0));
    assertEquals("AdamW beta1 = 1.0, must be in [0, 1)", e.getMessage());
  }
}
