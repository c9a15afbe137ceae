package io.roberta.pipelines.stage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link Staging}'s cache ({@code files/}, {@code dirs/} and {@code inputs/} under its root)
 * within the worker's disk. A cache that only grows fills the disk of a long multi-worker run:
 * every round stages new global parameters and optimizer states, each used once. Before this class,
 * one machine's grid of 4-worker runs (100 to 500 rounds each) left 13,562 files and 66 GB there,
 * and the next run failed with "No space left on device".
 *
 * <p>Before a copy, the least recently used entries are deleted until the copy fits:
 * <ul>
 *   <li>{@code -Droberta.staging.maxBytes=N}: the cache holds at most N bytes (default: no cap of
 *       its own);
 *   <li>{@code -Droberta.staging.minFreeBytes=N}: the disk keeps N bytes free (default: a tenth of
 *       the disk, at least 1 GiB and at most 20 GiB);
 *   <li>{@code -Droberta.staging.keepSeconds=S}: an entry used within the last S seconds (default
 *       600) is never deleted, so a path {@code Staging} returned stays valid that long after its
 *       last use. Each cache hit marks the entry used (its modification time).
 * </ul>
 * A file that a reader has open or memory-mapped keeps its contents when deleted (POSIX); the next
 * {@code Staging} call for it copies it again and checks its SHA-256 as the first copy was checked.
 * When only recently used entries are left, the copy goes ahead and a warning says so.
 *
 * <p>When room is needed, scratch folders of this host's processes that have ended go first: a
 * killed TaskManager leaves its task's outputs there, and nobody else would delete them.
 */
final class StagingCache {
  static final String MAX_BYTES = "roberta.staging.maxBytes";
  static final String MIN_FREE_BYTES = "roberta.staging.minFreeBytes";
  static final String KEEP_SECONDS = "roberta.staging.keepSeconds";
  private static final List<String> KINDS = List.of("files", "dirs", "inputs");
  private static final long GIB = 1L << 30;
  private static final Logger LOG = LoggerFactory.getLogger(StagingCache.class);

  /** At most one log line a minute: under a tight cap every copy deletes something. */
  private static final Duration LINE_EVERY = Duration.ofMinutes(1);
  private static Instant lastLine = Instant.EPOCH;
  private static int deletedSinceLine;
  private static long deletedBytesSinceLine;
  private static int scratchSinceLine;
  /** {@code <label>~<host>~<pid>~<random>}: a scratch folder's name ({@link Staging#scratch}). */
  private static final java.util.regex.Pattern SCRATCH = java.util.regex.Pattern.compile(".*~([A-Za-z0-9_]+)~(\\d+)~\\d+");
  private static final Duration UNOWNED_SCRATCH_AGE = Duration.ofDays(1);
  private static volatile String owner;

  private StagingCache() {}

  /** How much the cache may hold; {@code maxBytes <= 0} means no cap of its own. */
  record Limits(long maxBytes, long minFreeBytes, Duration keep) {
    static Limits fromProperties(Path root) {
      long total;
      try {
        total = Files.getFileStore(root).getTotalSpace();
      } catch (IOException e) {
        total = 10 * GIB;
      }
      long defaultMinFree = Math.max(GIB, Math.min(20 * GIB, total / 10));
      return new Limits(bytes(MAX_BYTES, 0), bytes(MIN_FREE_BYTES, defaultMinFree),
          Duration.ofSeconds(bytes(KEEP_SECONDS, 600)));
    }

    private static long bytes(String property, long fallback) {
      String v = System.getProperty(property);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      try {
        long n = Long.parseLong(v.trim());
        if (n < 0) {
          throw new NumberFormatException();
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("-D" + property + "=" + v + " is not a whole number >= 0", e);
      }
    }
  }

  /** The disk's free space, as the JVM sees it; a test passes its own. */
  interface FreeSpace {
    long usableBytes() throws IOException;

    static FreeSpace of(Path root) {
      return () -> Files.getFileStore(root).getUsableSpace();
    }
  }

  /** What {@link #makeRoom} did. */
  record Result(int evicted, long evictedBytes, long cacheBytes, long usableBytes, boolean fits) {}

  /** Marks a cache entry used now, so it is the last to be deleted; a failure to mark is harmless. */
  static void touch(Path entry) {
    try {
      Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
    } catch (IOException | SecurityException e) {
      // read-only or another owner's cache: it ages as if unused, and is copied again if deleted
    }
  }

  /** Deletes least recently used entries until {@code incoming} more bytes fit the limits. */
  static Result makeRoom(Path root, long incoming) {
    Limits limits = Limits.fromProperties(root);
    return makeRoom(root, incoming, limits, FreeSpace.of(root), Instant.now());
  }

  static synchronized Result makeRoom(Path root, long incoming, Limits limits, FreeSpace space, Instant now) {
    try {
      long usable = space.usableBytes();
      if (limits.maxBytes() <= 0 && usable - incoming >= limits.minFreeBytes()) {
        return new Result(0, 0, -1, usable, true); // the common case: no scan
      }
      Scratch gone = deleteDeadScratch(root, now);
      usable = gone.folders() > 0 ? space.usableBytes() : usable;
      List<Entry> entries = scan(root);
      long cache = entries.stream().mapToLong(Entry::bytes).sum();
      entries.sort(Comparator.comparing(Entry::lastUse).thenComparing(e -> e.path().toString()));
      Instant keepAfter = now.minus(limits.keep());
      int evicted = 0;
      long evictedBytes = 0;
      for (Entry e : entries) {
        if (fits(limits, cache, usable, incoming)) {
          break;
        }
        if (e.lastUse().toInstant().isAfter(keepAfter)) {
          break; // sorted by last use: everything from here on was used recently
        }
        if (delete(e.path())) {
          evicted++;
          evictedBytes += e.bytes();
          cache -= e.bytes();
          usable = space.usableBytes();
        }
      }
      boolean fits = fits(limits, cache, usable, incoming);
      scratchSinceLine += gone.folders();
      deletedSinceLine += evicted;
      deletedBytesSinceLine += evictedBytes;
      boolean due = now.isAfter(lastLine.plus(LINE_EVERY)) || lastLine.isAfter(now);
      if ((deletedSinceLine > 0 || scratchSinceLine > 0 || !fits) && due) {
        String line = "staging cache " + root + ": deleted " + deletedSinceLine + " entries (" + mib(deletedBytesSinceLine)
            + ") unused for " + limits.keep().toSeconds() + " s or more since the last such line; it now holds "
            + mib(cache) + ", the disk has " + mib(usable) + " free, " + mib(incoming) + " to copy"
            + (scratchSinceLine > 0 ? "; deleted " + scratchSinceLine + " scratch folders of processes that are gone" : "");
        scratchSinceLine = 0;
        lastLine = now;
        deletedSinceLine = 0;
        deletedBytesSinceLine = 0;
        if (fits) {
          LOG.info(line);
        } else {
          LOG.warn(line + "; still over the limits (-D" + MAX_BYTES + "=" + limits.maxBytes() + ", -D" + MIN_FREE_BYTES
              + "=" + limits.minFreeBytes() + ") because every entry left was used within the last "
              + limits.keep().toSeconds() + " s (-D" + KEEP_SECONDS + "); copying anyway");
        }
      }
      return new Result(evicted, evictedBytes, cache, usable, fits);
    } catch (IOException e) {
      LOG.warn("staging cache " + root + ": cannot check its size or the free space (" + e.getMessage()
          + "); copying without trimming it");
      return new Result(0, 0, -1, -1, true);
    }
  }

  /** This process as a scratch folder's name has it: {@code <host>~<pid>}, the host reduced to letters, digits and _. */
  static String owner() {
    String o = owner;
    if (o == null) {
      o = Host.name().replaceAll("[^A-Za-z0-9_]", "_") + "~" + ProcessHandle.current().pid();
      owner = o;
    }
    return o;
  }

  record Scratch(int folders, long bytes) {}

  /**
   * Deletes the scratch folders of this host whose process has ended (a killed TaskManager leaves
   * its task's outputs there), and folders without an owner in their name older than a day.
   * Folders of other hosts (a staging folder on a shared mount) are left alone.
   */
  static Scratch deleteDeadScratch(Path root, Instant now) throws IOException {
    Path dir = root.resolve("scratch");
    if (!Files.isDirectory(dir)) {
      return new Scratch(0, 0);
    }
    String host = owner().substring(0, owner().lastIndexOf('~'));
    int folders = 0;
    long bytes = 0;
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path p : children) {
        java.util.regex.Matcher m = SCRATCH.matcher(p.getFileName().toString());
        boolean dead;
        if (m.matches()) {
          long pid = Long.parseLong(m.group(2));
          dead = m.group(1).equals(host) && pid != ProcessHandle.current().pid()
              && ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true);
        } else {
          try {
            dead = Files.getLastModifiedTime(p).toInstant().isBefore(now.minus(UNOWNED_SCRATCH_AGE));
          } catch (NoSuchFileException e) {
            continue;
          }
        }
        if (dead) {
          long size = treeBytes(p);
          if (delete(p)) {
            folders++;
            bytes += size;
          }
        }
      }
    }
    return new Scratch(folders, bytes);
  }

  private static long treeBytes(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0;
    }
  }

  private static boolean fits(Limits limits, long cache, long usable, long incoming) {
    return (limits.maxBytes() <= 0 || cache + incoming <= limits.maxBytes())
        && usable - incoming >= limits.minFreeBytes();
  }

  private record Entry(Path path, FileTime lastUse, long bytes) {}

  private static List<Entry> scan(Path root) throws IOException {
    List<Entry> out = new ArrayList<>();
    for (String kind : KINDS) {
      Path dir = root.resolve(kind);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
        for (Path p : children) {
          if (p.getFileName().toString().startsWith(".tmp-")) {
            continue; // a copy in progress
          }
          try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            out.add(new Entry(p, a.lastModifiedTime(), a.isDirectory() ? ownBytes(p) : a.size()));
          } catch (NoSuchFileException gone) {
            // deleted by another process meanwhile
          }
        }
      }
    }
    return out;
  }

  /** Bytes of a staged folder's files that are not hard links to {@code files/} entries (counted there). */
  private static long ownBytes(Path dir) throws IOException {
    long bytes = 0;
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        try {
          long size = Files.size(f);
          bytes += links(f) > 1 ? 0 : size;
        } catch (NoSuchFileException gone) {
          // deleted meanwhile
        }
      }
    }
    return bytes;
  }

  private static int links(Path f) throws IOException {
    try {
      return ((Number) Files.getAttribute(f, "unix:nlink")).intValue();
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return 1; // no unix view: count it, which errs towards deleting more
    }
  }

  private static boolean delete(Path entry) {
    try {
      if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> walk = Files.walk(entry)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      } else {
        Files.deleteIfExists(entry);
      }
      return true;
    } catch (IOException e) {
      LOG.debug("staging cache: cannot delete " + entry + " (" + e.getMessage() + "); leaving it");
      return false;
    }
  }

  private static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
}
