package io.roberta.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  static Path save(CheckpointStore store, long step) {
    return store.save(step, dir -> Files.writeString(dir.resolve("payload.txt"), "step " + step));
  }

  @Test
  void keepsTheNewestK(@TempDir Path root) {
    CheckpointStore store = new CheckpointStore(root, 2);
    for (long s : new long[] {10, 20, 30}) {
      save(store, s);
    }
    List<Path> left = store.list();
    assertEquals(List.of("step-00000030", "step-00000020"), left.stream().map(p -> p.getFileName().toString()).toList());
    assertEquals(30, CheckpointStore.stepOf(left.get(0)));
  }

  @Test
  void aCorruptNewestCheckpointIsReportedAndThePreviousUsed(@TempDir Path root) throws Exception {
    CheckpointStore store = new CheckpointStore(root, 3);
    save(store, 10);
    Path newest = save(store, 20);
    Files.writeString(newest.resolve("payload.txt"), "step 2O"); // one flipped character
    List<String> warnings = new ArrayList<>();
    Path used = store.newestValid(warnings::add).orElseThrow();
    assertEquals("step-00000010", used.getFileName().toString());
    assertEquals(1, warnings.size());
    assertTrue(warnings.get(0).contains(newest.toString()) && warnings.get(0).contains("payload.txt has SHA-256"), warnings.get(0));
  }

  @Test
  void missingFilesAndTemporaryFoldersDoNotCount(@TempDir Path root) throws Exception {
    CheckpointStore store = new CheckpointStore(root, 3);
    save(store, 10);
    Path newest = save(store, 20);
    Files.delete(newest.resolve("payload.txt"));
    Files.createDirectories(root.resolve(".tmp-step-00000030-123")); // a write that was killed
    List<String> warnings = new ArrayList<>();
    assertEquals("step-00000010", store.newestValid(warnings::add).orElseThrow().getFileName().toString());
    assertTrue(warnings.get(0).contains("payload.txt is missing"), warnings.get(0));
    assertEquals(2, store.list().size());
  }

  @Test
  void aShortOrMalformedChecksumEntryFallsBackToThePreviousCheckpoint(@TempDir Path root)
      throws Exception {
    CheckpointStore store = new CheckpointStore(root, 3);
    save(store, 10);
    Path newest = save(store, 20);
    for (String sums : List.of("{\"payload.txt\": \"abc\"}", "{\"payload.txt\": 7}",
        "{\"../step-00000010/payload.txt\": \"" + "0".repeat(64) + "\"}", "[1]", "")) {
      Files.writeString(newest.resolve(CheckpointStore.CHECKSUMS), sums);
      List<String> warnings = new ArrayList<>();
      assertEquals("step-00000010",
          store.newestValid(warnings::add).orElseThrow().getFileName().toString(), sums);
      assertTrue(warnings.get(0).contains(newest.toString())
          && warnings.get(0).contains(CheckpointStore.CHECKSUMS), warnings.get(0));
    }
  }

  /**
   * A few thousand mutations of a checkpoint's {@code checksums.json} and of its payload: each
   * either still verifies (the mutation changed nothing that matters) or makes the store fall back
   * to the previous checkpoint with a warning; no exception.
   */
  @Test
  void fuzzedCheckpointsVerifyOrFallBack(@TempDir Path root) throws Exception {
    CheckpointStore store = new CheckpointStore(root, 3);
    save(store, 10);
    Path newest = save(store, 20);
    Path sumsFile = newest.resolve(CheckpointStore.CHECKSUMS);
    Path payload = newest.resolve("payload.txt");
    byte[] sums = Files.readAllBytes(sumsFile);
    byte[] data = Files.readAllBytes(payload);
    java.util.SplittableRandom random = new java.util.SplittableRandom(16);
    int kept = 0;
    int fellBack = 0;
    for (int i = 0; i < 3000; i++) {
      boolean mutateSums = random.nextInt(4) != 0;
      Files.write(sumsFile, mutateSums ? io.roberta.engine.io.Fuzz.mutate(sums, sums.length, random) : sums);
      Files.write(payload, mutateSums ? data : io.roberta.engine.io.Fuzz.mutate(data, data.length, random));
      List<String> warnings = new ArrayList<>();
      String used = store.newestValid(warnings::add).orElseThrow().getFileName().toString();
      if (used.equals("step-00000020")) {
        kept++;
      } else {
        assertEquals("step-00000010", used);
        assertEquals(1, warnings.size());
        fellBack++;
      }
    }
    assertTrue(kept > 10 && fellBack > 1000, "kept " + kept + ", fell back " + fellBack);
  }
}
