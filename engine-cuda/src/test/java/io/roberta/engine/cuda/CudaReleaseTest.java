package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Tensor;
import io.roberta.engine.model.RobertaForMaskedLM;
import io.roberta.engine.optim.AdamW;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend frees a tensor's device memory when asked ({@code release}), not only when the
 * collector finds the tensor: a closed model, its gradients and AdamW's moments go back to the
 * device once the backend gives its pool back. Checked on the dry device (no GPU needed).
 */
class CudaReleaseTest {

  @Test
  void aReleasedTensorGoesToThePoolAndBackToTheDeviceOnClose() {
    DryDevice dry = new DryDevice();
    CudaKernels k = new CudaKernels(dry, KernelPrecision.FP32, false);
    Tensor t = k.zeros(1000, 10);
    long live = dry.liveBytes();
    assertTrue(live >= 40_000, "live " + live);
    PooledDevice pool = (PooledDevice) k.device();
    k.release(t);
    assertTrue(pool.keptBytes() >= 40_000, "kept " + pool.keptBytes());
    k.release(t); // twice is harmless
    k.close();
    assertEquals(0, dry.liveBytes(), "the tensor's memory went back to the device");
    k.close(); // twice is harmless
  }

  @Test
  void closingAModelAndItsOptimizerFreesTheirDeviceMemory() {
    long[] left = new long[2];
    for (boolean close : new boolean[] {false, true}) {
      DryDevice dry = new DryDevice();
      CudaKernels k = new CudaKernels(dry, KernelPrecision.BF16, false);
      RobertaForMaskedLM model = new RobertaForMaskedLM(DryStepTest.tiny(), k);
      model.initialize(1);
      AdamW opt = new AdamW(1e-3, 0.9, 0.98, 1e-6, 0.01);
      DryStepTest.step(model, opt, 5);
      long held = 4L * 4 * model.parameters().count(); // weights, gradients, 2 moments in fp32
      assertTrue(dry.liveBytes() >= held, "live " + dry.liveBytes() + " < " + held);
      if (close) {
        opt.close();
        model.close();
      }
      k.close();
      left[close ? 1 : 0] = dry.liveBytes();
      // keep the model reachable until measured, so the collector cannot free it either
      assertTrue(model.parameters().count() >= 0);
      if (!close) {
        assertTrue(left[0] >= held, "without close the weights stay: " + left[0]);
      }
    }
    // what stays after closing is the backend's small upload cache (ids, masks), not the model
    assertTrue(left[1] < left[0] / 10, "left " + left[1] + " bytes after close, " + left[0] + " without");
  }
}
