package io.roberta.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roberta.engine.cuda.KernelSignatures.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelSignaturesTest {
  @Test
  void everyFileHasKernelsWithUniqueNames() {
    KernelSignatures s = KernelSignatures.load();
    assertEquals(KernelSources.FILES, List.copyOf(s.byFile().keySet()));
    assertTrue(s.names().size() >= 20, s.names().toString());
  }

  @Test
  void parsesParameterKinds() {
    KernelSignatures s = KernelSignatures.load();
    assertEquals(List.of(Kind.PTR, Kind.I32, Kind.I64, Kind.F32, Kind.I64), s.parameters("dropout_mask"));
    assertEquals(List.of(Kind.PTR, Kind.PTR, Kind.I32, Kind.PTR, Kind.PTR, Kind.PTR, Kind.I64, Kind.F32, Kind.F32,
        Kind.F32, Kind.F32, Kind.F32, Kind.F32), s.parameters("adamw_step"));
  }

  @Test
  void aLaunchThatDriftsFromItsKernelFails() {
    KernelSignatures s = KernelSignatures.load();
    DeviceBuffer b = new DeviceBuffer(0x1000, 64);
    Launch ok = new Launch("fill_value", LaunchShape.Dim3.of(1), LaunchShape.Dim3.of(256), 0,
        List.of(new Launch.Ptr(b, 0, 64), new Launch.I32(0), new Launch.I64(16), new Launch.F32(1f)));
    ok.check(s);
    Launch wrongKind = new Launch("fill_value", LaunchShape.Dim3.of(1), LaunchShape.Dim3.of(256), 0,
        List.of(new Launch.Ptr(b, 0, 64), new Launch.I32(0), new Launch.I32(16), new Launch.F32(1f)));
    assertThrows(IllegalArgumentException.class, () -> wrongKind.check(s));
    Launch tooFar = new Launch("fill_value", LaunchShape.Dim3.of(1), LaunchShape.Dim3.of(256), 0,
        List.of(new Launch.Ptr(b, 0, 128), new Launch.I32(0), new Launch.I64(32), new Launch.F32(1f)));
    assertThrows(IllegalArgumentException.class, () -> tooFar.check(s));
    b.markFreed();
    assertThrows(IllegalStateException.class, () -> ok.check(s));
  }
}
