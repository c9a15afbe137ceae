package io.roberta.pipelines.stage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local reads, writes and deletes through {@link Staging} stay inside the staging folder. */
class StagingRootTest {

  @Test
  void scratchFilesAreReadWrittenAndDeleted() {
    Path scratch = Staging.scratch("root-test");
    byte[] bytes = "weights".getBytes(StandardCharsets.UTF_8);
    Path f = Staging.write(scratch.resolve("sub").resolve("a.bin"), bytes);
    assertArrayEquals(bytes, Staging.read(f));
    Staging.delete(scratch);
    assertFalse(Files.exists(scratch));
  }

  @Test
  void aPathOutsideTheStagingFolderIsRefusedAndNamed(@TempDir Path elsewhere) throws Exception {
    Path outside = elsewhere.resolve("driver-only.bin");
    Files.write(outside, new byte[] {1, 2, 3});
    IllegalArgumentException read = assertThrows(IllegalArgumentException.class, () -> Staging.read(outside));
    assertTrue(read.getMessage().contains(outside.toString()) && read.getMessage().contains("Staging.read")
        && read.getMessage().contains("Artifacts"), read.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Staging.write(elsewhere.resolve("x.bin"), new byte[1]));
    assertFalse(Files.exists(elsewhere.resolve("x.bin")));
    assertThrows(IllegalArgumentException.class, () -> Staging.delete(elsewhere));
    assertTrue(Files.exists(outside), "a refused delete leaves the folder alone");
    // a path that only looks inside: the staging root, then .. out of it
    Path sneaky = Staging.root().resolve("scratch").resolve("..").resolve("..").resolve("escaped.bin");
    assertThrows(IllegalArgumentException.class, () -> Staging.write(sneaky, new byte[1]));
  }
}
