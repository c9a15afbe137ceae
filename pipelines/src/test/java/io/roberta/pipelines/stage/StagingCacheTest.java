package io.roberta.pipelines.stage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The staging cache deletes its least recently used entries to make room, never one used within
 * the keep window, and a deleted entry is staged again (and checked) when asked for.
 */
class StagingCacheTest {
  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

  private static Path entry(Path root, String kind, String name, int bytes, Duration age) throws IOException {
    Path p = Files.createDirectories(root.resolve(kind)).resolve(name);
    Files.write(p, new byte[bytes]);
    Files.setLastModifiedTime(p, FileTime.from(NOW.minus(age)));
    return p;
  }

  @Test
  void theOldestEntriesGoFirstUntilTheCopyFitsUnderTheCap(@TempDir Path root) throws IOException {
    Path oldest = entry(root, "files", "a", 1000, Duration.ofHours(3));
    Path older = entry(root, "files", "b", 1000, Duration.ofHours(2));
    Path old = entry(root, "inputs", "c", 1000, Duration.ofHours(1));
    Path recent = entry(root, "files", "d", 1000, Duration.ofSeconds(30));
    Files.createDirectories(root.resolve("files")).resolve(".tmp-copying").toFile().createNewFile();
    var limits = new StagingCache.Limits(3500, 0, Duration.ofMinutes(10));

    StagingCache.Result r = StagingCache.makeRoom(root, 1000, limits, () -> Long.MAX_VALUE / 2, NOW);

    // 4000 cached + 1000 incoming must come under 3500: two entries go, the two oldest
    assertEquals(2, r.evicted(), r.toString());
    assertEquals(2000, r.evictedBytes());
    assertEquals(2000, r.cacheBytes());
    assertTrue(r.fits());
    assertFalse(Files.exists(oldest));
    assertFalse(Files.exists(older));
    assertTrue(Files.exists(old) && Files.exists(recent));
    assertTrue(Files.exists(root.resolve("files/.tmp-copying")), "a copy in progress is not an entry");
  }

  @Test
  void lowDiskSpaceDeletesEntriesUntilTheMinimumIsFreeAgain(@TempDir Path root) throws IOException {
    entry(root, "files", "a", 400, Duration.ofHours(3));
    Path folder = Files.createDirectories(root.resolve("dirs").resolve("x"));
    Files.write(folder.resolve("copied.bin"), new byte[300]);
    Files.setLastModifiedTime(folder, FileTime.from(NOW.minus(Duration.ofHours(2))));
    Path kept = entry(root, "files", "b", 400, Duration.ofHours(1));
    // a disk with 200 bytes free, plus whatever the cache deletes
    StagingCache.FreeSpace space = () -> 200 + sizeGone(root, Map.of("files/a", 400L, "dirs/x", 300L, "files/b", 400L));
    var limits = new StagingCache.Limits(0, 800, Duration.ofMinutes(10));

    StagingCache.Result r = StagingCache.makeRoom(root, 100, limits, space, NOW);

    // 200 free - 100 incoming needs 700 more: the file (400) and the folder (300), oldest first
    assertEquals(2, r.evicted(), r.toString());
    assertEquals(700, r.evictedBytes());
    assertTrue(r.fits());
    assertFalse(Files.exists(folder));
    assertTrue(Files.exists(kept));
  }

  private static long sizeGone(Path root, Map<String, Long> sizes) {
    return sizes.entrySet().stream().filter(e -> !Files.exists(root.resolve(e.getKey()))).mapToLong(Map.Entry::getValue)
        .sum();
  }

  @Test
  void entriesUsedWithinTheKeepWindowStayEvenOverTheLimits(@TempDir Path root) throws IOException {
    Path a = entry(root, "files", "a", 1000, Duration.ofMinutes(9));
    Path b = entry(root, "files", "b", 1000, Duration.ofMinutes(1));
    var limits = new StagingCache.Limits(500, 0, Duration.ofMinutes(10));

    StagingCache.Result r = StagingCache.makeRoom(root, 1000, limits, () -> Long.MAX_VALUE / 2, NOW);

    assertEquals(0, r.evicted());
    assertFalse(r.fits(), "over the cap, and it says so");
    assertTrue(Files.exists(a) && Files.exists(b));
  }

  @Test
  void aStagedFolderOfHardLinksCountsNothingOfItsOwn(@TempDir Path root) throws IOException {
    Path file = entry(root, "files", "a", 1000, Duration.ofHours(1));
    Path folder = Files.createDirectories(root.resolve("dirs").resolve("x"));
    Files.createLink(folder.resolve("model.safetensors"), file);
    var limits = new StagingCache.Limits(10_000, 0, Duration.ofMinutes(10));

    StagingCache.Result r = StagingCache.makeRoom(root, 0, limits, () -> Long.MAX_VALUE / 2, NOW);

    assertEquals(1000, r.cacheBytes(), "the linked file is counted once, under files/");
    assertEquals(0, r.evicted());
  }

  @Test
  void enoughFreeSpaceAndNoCapSkipTheScan(@TempDir Path root) throws IOException {
    entry(root, "files", "a", 1000, Duration.ofDays(30));
    var limits = new StagingCache.Limits(0, 1000, Duration.ofMinutes(10));

    StagingCache.Result r = StagingCache.makeRoom(root, 1000, limits, () -> 1_000_000, NOW);

    assertEquals(new StagingCache.Result(0, 0, -1, 1_000_000, true), r);
    assertTrue(Files.exists(root.resolve("files/a")), "an old entry stays while the disk has room");
  }

  @Test
  void scratchFoldersOfEndedProcessesOnThisHostGoAndOthersStay(@TempDir Path root) throws Exception {
    Process ended = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    ended.waitFor();
    String me = StagingCache.owner();
    String host = me.substring(0, me.lastIndexOf('~'));
    Path scratch = Files.createDirectories(root.resolve("scratch"));
    Path dead = Files.createDirectories(scratch.resolve("round-3-w1~" + host + "~" + ended.pid() + "~123"));
    Files.write(dead.resolve("state"), new byte[700]);
    Path alive = Files.createDirectories(scratch.resolve("round-3-w2~" + me + "~456"));
    Path otherHost = Files.createDirectories(scratch.resolve("round-3-w3~" + host + "x~" + ended.pid() + "~789"));
    Path oldUnowned = Files.createDirectories(scratch.resolve("round-2-w0-4242"));
    Files.setLastModifiedTime(oldUnowned, FileTime.from(NOW.minus(Duration.ofDays(2))));
    Path newUnowned = Files.createDirectories(scratch.resolve("round-2-w1-4243"));
    Files.setLastModifiedTime(newUnowned, FileTime.from(NOW.minus(Duration.ofHours(2))));

    StagingCache.Scratch r = StagingCache.deleteDeadScratch(root, NOW);

    assertEquals(new StagingCache.Scratch(2, 700), r);
    assertFalse(Files.exists(dead), "its process has ended");
    assertFalse(Files.exists(oldUnowned), "no owner, and two days old");
    assertTrue(Files.exists(alive), "this process's own folder");
    assertTrue(Files.exists(otherHost), "another host's process cannot be checked from here");
    assertTrue(Files.exists(newUnowned), "no owner, but recent");
  }

  @Test
  void aScratchFolderIsNamedForItsOwner() {
    Path scratch = Staging.scratch("owner-test");
    try {
      assertTrue(scratch.getFileName().toString().startsWith("owner-test~" + StagingCache.owner() + "~"),
          scratch.toString());
    } finally {
      Staging.delete(scratch);
    }
  }

  @Test
  void aBadLimitNamesTheProperty() {
    String previous = System.setProperty(StagingCache.MAX_BYTES, "2GB");
    try {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> StagingCache.Limits.fromProperties(Path.of(".")));
      assertTrue(e.getMessage().contains("-Droberta.staging.maxBytes=2GB") && e.getMessage().contains("whole number"),
          e.getMessage());
    } finally {
      restore(StagingCache.MAX_BYTES, previous);
    }
  }

  /** Through {@link Staging#file}: a cap of two files keeps the two used last, and a deleted one comes back. */
  @Test
  void stagingFilesUnderACapKeepsTheRecentOnesAndRestagesTheRest(@TempDir Path tmp) throws IOException {
    Path source = Files.createDirectories(tmp.resolve("stage"));
    String[] staging = {"roberta.staging", StagingCache.MAX_BYTES, StagingCache.KEEP_SECONDS};
    String[] previous = new String[staging.length];
    String[] values = {tmp.resolve("staging").toString(), "2500", "0"};
    for (int i = 0; i < staging.length; i++) {
      previous[i] = System.setProperty(staging[i], values[i]);
    }
    try {
      ResourceId dir = Artifacts.dir(source.toString());
      Instant past = Instant.now().minus(Duration.ofDays(1)); // used a day ago, in a clear order
      FileEntry[] entries = new FileEntry[3];
      Path[] staged = new Path[3];
      for (int i = 0; i < 3; i++) {
        byte[] bytes = new byte[1000];
        bytes[0] = (byte) i;
        Files.write(source.resolve("f" + i), bytes);
        entries[i] = new FileEntry("f" + i, 1000, HexFormat.of().formatHex(Artifacts.sha().digest(bytes)));
        staged[i] = Staging.file(Artifacts.file(dir, "f" + i), entries[i]);
        Files.setLastModifiedTime(staged[i], FileTime.from(past.plusSeconds(i)));
      }
      assertFalse(Files.exists(staged[0]), "the least recently used file made room for the third");
      assertTrue(Files.exists(staged[1]) && Files.exists(staged[2]));

      Path again = Staging.file(Artifacts.file(dir, "f0"), entries[0]);
      assertEquals(staged[0], again);
      assertEquals(0, Files.readAllBytes(again)[0]);
      assertFalse(Files.exists(staged[1]), "now f1 was the least recently used");
      // a hit marks the entry used: f2's time moves from a day ago to now
      Staging.file(Artifacts.file(dir, "f2"), entries[2]);
      assertNotEquals(FileTime.from(past.plusSeconds(2)), Files.getLastModifiedTime(staged[2]));
    } finally {
      for (int i = 0; i < staging.length; i++) {
        restore(staging[i], previous[i]);
      }
    }
  }

  private static void restore(String property, String previous) {
    if (previous == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, previous);
    }
  }
}
