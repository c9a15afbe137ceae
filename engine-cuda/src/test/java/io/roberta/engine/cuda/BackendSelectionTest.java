package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.kernels.Backend;
import io.roberta.engine.kernels.BackendUnavailableException;
import io.roberta.engine.kernels.Backends;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Nd4jKernels;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** How {@code --backend} finds the CUDA backend, on a machine with or without a GPU. */
class BackendSelectionTest {

  @Test
  void theCudaProviderIsFoundThroughServiceLoader() {
    assertTrue(Backends.providers().stream().anyMatch(p -> p instanceof CudaKernelsProvider));
    assertEquals("nd4j, cuda", Backends.available());
  }

  @Test
  void autoAndNd4jPickNd4jForFp32() {
    assertInstanceOf(Nd4jKernels.class, Backends.create(Backend.AUTO, KernelPrecision.FP32));
    assertInstanceOf(Nd4jKernels.class, Backends.create(Backend.parse(null), KernelPrecision.FP32));
    assertInstanceOf(Nd4jKernels.class, Backends.create(Backend.ND4J, KernelPrecision.FP32));
  }

  @Test
  void cudaWithoutAGpuSaysWhatWasLookedFor() {
    Assumptions.assumeTrue(CudaAvailability.unavailableReason().isPresent(), "this machine has an NVIDIA driver");
    BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
        () -> Backends.create(Backend.CUDA, KernelPrecision.FP32));
    assertTrue(e.getMessage().startsWith("--backend=cuda: no NVIDIA driver found: looked for libcuda.so.1 in ["),
        e.getMessage());
    assertTrue(e.getMessage().contains("/usr/local/nvidia/lib64"), e.getMessage());
    assertTrue(e.getMessage().endsWith("--backend=nd4j runs on the CPU"), e.getMessage());
    BackendUnavailableException bf16 = assertThrows(BackendUnavailableException.class,
        () -> Backends.create(Backend.AUTO, KernelPrecision.BF16));
    assertTrue(bf16.getMessage().startsWith("--backend=auto with precision BF16 (which picks cuda): no NVIDIA driver"),
        bf16.getMessage());
  }

  @Test
  void availabilityRules() {
    assertTrue(CudaAvailability.unavailableReason("Mac OS X", "aarch64", List.of()).orElseThrow()
        .contains("Linux x86-64"));
    assertTrue(CudaAvailability.unavailableReason("Linux", "amd64", List.of("/nonexistent")).orElseThrow()
        .contains("libcuda.so.1 in [/nonexistent]"));
    assertEquals(List.of("/a", "/b", "/c", "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64",
        "/usr/lib/wsl/lib"), CudaAvailability.searchDirs("/a:/b", "/c:/a"));
  }

  @Test
  void bf16OnNd4jIsRefused() {
    BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
        () -> Backends.create(Backend.ND4J, KernelPrecision.BF16));
    assertTrue(e.getMessage().contains("BF16 needs --backend=cuda"), e.getMessage());
  }
}
