package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.roberta.engine.cuda.LaunchShape.Dim3;
import org.junit.jupiter.api.Test;

class LaunchShapeTest {
  @Test
  void elementwiseGrids() {
    assertEquals(Dim3.of(1), LaunchShape.elementwise(0));
    assertEquals(Dim3.of(1), LaunchShape.elementwise(256));
    assertEquals(Dim3.of(2), LaunchShape.elementwise(257));
    // roberta-base attention probabilities, 32 x 12 x 512 x 512: capped, the kernel strides
    assertEquals(Dim3.of(LaunchShape.MAX_STRIDE_BLOCKS), LaunchShape.elementwise(32L * 12 * 512 * 512));
  }

  @Test
  void rowThreads() {
    assertEquals(Dim3.of(32), LaunchShape.rowThreads(5));
    assertEquals(Dim3.of(32), LaunchShape.rowThreads(32));
    assertEquals(Dim3.of(64), LaunchShape.rowThreads(33));
    assertEquals(Dim3.of(768), LaunchShape.rowThreads(768));
    assertEquals(Dim3.of(512), LaunchShape.rowThreads(512));
    assertEquals(Dim3.of(1024), LaunchShape.rowThreads(50_265));
  }

  @Test
  void columnSumsAndLayerNormBackward() {
    assertEquals(new Dim3(24, 64, 1), LaunchShape.columnSums(16_384, 768, true));
    assertEquals(new Dim3(24, 1, 1), LaunchShape.columnSums(16_384, 768, false));
    assertEquals(new Dim3(1, 1, 1), LaunchShape.columnSums(3, 5, true));
    assertEquals(Dim3.of(512), LaunchShape.layerNormBackward(16_384));
    assertEquals(Dim3.of(1), LaunchShape.layerNormBackward(1));
    assertEquals(6144, LaunchShape.layerNormBackwardShared(768));
    assertThrows(IllegalArgumentException.class, () -> LaunchShape.layerNormBackwardShared(8192));
  }

  @Test
  void limits() {
    LaunchShape.check("k", new Dim3(Integer.MAX_VALUE, 65535, 1), new Dim3(32, 32, 1), 48 * 1024);
    assertThrows(IllegalArgumentException.class, () -> LaunchShape.check("k", Dim3.of(1), Dim3.of(2048), 0));
    assertThrows(IllegalArgumentException.class, () -> LaunchShape.check("k", new Dim3(1, 70_000, 1), Dim3.of(32), 0));
    assertThrows(IllegalArgumentException.class, () -> LaunchShape.check("k", Dim3.of(0), Dim3.of(32), 0));
    assertThrows(IllegalArgumentException.class, () -> LaunchShape.check("k", Dim3.of(1), Dim3.of(32), 64 * 1024));
  }
}
