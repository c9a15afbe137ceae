package io.roberta.pipelines.stage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * The one place where stages touch a worker's local disk. Libraries that need a local file
 * (memory-mapped shards, DJL tokenizers, safetensors, the engine's checkpoint writer) get one
 * here: inputs are copied from wherever they live ({@code gs://}, a shared mount, local disk) into
 * worker-local temporary storage, checked against the size and SHA-256 the producing stage's
 * manifest recorded, and cached by content hash, so a worker stages each distinct file once per
 * machine however many DoFns, bundles or retries ask. Outputs are written into a scratch folder and
 * published file by file through {@link Artifacts}.
 *
 * <p>The root is {@code -Droberta.staging=DIR}, else {@code <java.io.tmpdir>/roberta-staging}. The
 * cache stays within the disk: least recently used entries make room for new ones ({@link
 * StagingCache}: {@code -Droberta.staging.maxBytes}, {@code minFreeBytes}, {@code keepSeconds}).
 *
 * <pre>{@code
 * Path shard = Staging.file(Artifacts.file(corpusDir, "train-00000-of-00002.bin"), entry);
 * Path hf = Staging.directory(Artifacts.dir(stageDir, "hf"), StageManifest.files(manifest, "hf/"));
 * }</pre>
 */
public final class Staging {
  private Staging() {}

  public static Path root() {
    String configured = System.getProperty("roberta.staging");
    Path root = configured != null ? Path.of(configured) : Path.of(System.getProperty("java.io.tmpdir"), "roberta-staging");
    try {
      return Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the staging folder " + root + " (set -Droberta.staging=DIR): "
          + e.getMessage(), e);
    }
  }

  /**
   * A local copy of {@code source} whose size and SHA-256 are {@code expected}'s; copied once per
   * machine (cached by hash). A copy that does not match is deleted and reported, naming the file.
   */
  public static Path file(ResourceId source, FileEntry expected) {
    Path cached = root().resolve("files").resolve(expected.sha256());
    if (Files.isRegularFile(cached)) {
      try {
        if (Files.size(cached) == expected.size()) {
          StagingCache.touch(cached);
          return cached;
        }
      } catch (IOException e) {
        // fall through and copy again
      }
    }
    try {
      Files.createDirectories(cached.getParent());
      StagingCache.makeRoom(root(), expected.size());
      Path tmp = Files.createTempFile(cached.getParent(), ".tmp-", "");
      MessageDigest sha = Artifacts.sha();
      long size = 0;
      try (InputStream in = Artifacts.open(source); OutputStream out = Files.newOutputStream(tmp)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          out.write(buf, 0, n);
          sha.update(buf, 0, n);
          size += n;
        }
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (size != expected.size() || !actual.equals(expected.sha256())) {
        Files.deleteIfExists(tmp);
        throw new IllegalStateException(source + " is not the file its stage recorded: " + size + " bytes with SHA-256 "
            + actual + ", the manifest lists " + expected.size() + " bytes with SHA-256 " + expected.sha256()
            + " (changed or damaged after the stage ran; delete the stage folder to rebuild it)");
      }
      move(tmp, cached);
      return cached;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage " + source + " into " + cached + ": " + e.getMessage(), e);
    }
  }

  /**
   * A local folder holding {@code files} (names relative to {@code dir}) as {@code dir} has them,
   * each checked as {@link #file} checks; the same listing gives the same folder.
   */
  public static Path directory(ResourceId dir, List<FileEntry> files) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("nothing to stage from " + dir + ": its manifest lists no files there");
    }
    MessageDigest listing = Artifacts.sha();
    List<FileEntry> sorted = new ArrayList<>(files);
    sorted.sort(Comparator.comparing(FileEntry::name));
    for (FileEntry f : sorted) {
      listing.update((f.name() + "\0" + f.sha256() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Path target = root().resolve("dirs").resolve(HexFormat.of().formatHex(listing.digest()));
    if (Files.isDirectory(target)) {
      StagingCache.touch(target);
      return target;
    }
    try {
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempDirectory(target.getParent(), ".tmp-");
      for (FileEntry f : sorted) {
        Path local = file(Artifacts.file(dir, f.name()), f);
        Path to = tmp.resolve(f.name());
        Files.createDirectories(to.getParent());
        try {
          Files.createLink(to, local);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(local, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
      moveFolder(tmp, target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stage " + dir + " into " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * A local copy of an outside input (a task's data folder or file; not produced by a stage, so no
   * hashes are recorded): every file under the folder (sub-folders too, as RACE has them), or the
   * one file. Cached by the
   * listing's names, sizes and modification times, so an edited file is copied again. Returns the
   * local folder, or the local file when {@code uri} is a file.
   */
  public static Path input(String uri) {
    ResourceId asFile = Artifacts.file(uri);
    boolean isFile = Artifacts.exists(asFile);
    List<org.apache.beam.sdk.io.fs.MatchResult.Metadata> found = new ArrayList<>();
    try {
      String pattern = isFile ? asFile.toString() : Artifacts.dir(uri).toString() + "**";
      var m = org.apache.beam.sdk.io.FileSystems.match(List.of(pattern),
          org.apache.beam.sdk.io.fs.EmptyMatchTreatment.ALLOW).get(0);
      if (m.status() == org.apache.beam.sdk.io.fs.MatchResult.Status.OK) {
        found.addAll(m.metadata());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + uri + ": " + e.getMessage(), e);
    }
    found.removeIf(md -> md.resourceId().isDirectory());
    if (found.isEmpty()) {
      throw new IllegalArgumentException(uri + " does not exist or holds no files");
    }
    found.sort(Comparator.comparing(md -> md.resourceId().toString()));
    MessageDigest listing = Artifacts.sha();
    for (var md : found) {
      listing.update((md.resourceId() + "\0" + md.sizeBytes() + "\0" + md.lastModifiedMillis() + "\n")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Path target = root().resolve("inputs").resolve(HexFormat.of().formatHex(listing.digest()));
    if (Files.isDirectory(target)) {
      StagingCache.touch(target);
    } else {
      try {
        Files.createDirectories(target.getParent());
        StagingCache.makeRoom(root(), found.stream().mapToLong(md -> md.sizeBytes()).sum());
        Path tmp = Files.createTempDirectory(target.getParent(), ".tmp-");
        String base = isFile ? "" : Artifacts.dir(uri).toString();
        for (var md : found) {
          String id = md.resourceId().toString();
          String relative = isFile ? md.resourceId().getFilename() : id.substring(base.length());
          if (relative.isEmpty() || relative.startsWith("/") || relative.contains("..")) {
            throw new IllegalStateException("cannot place " + id + " under " + base);
          }
          Path to = tmp.resolve(relative);
          Files.createDirectories(to.getParent());
          try (InputStream in = Artifacts.open(md.resourceId())) {
            Files.copy(in, to);
          }
        }
        moveFolder(tmp, target);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stage " + uri + " into " + target + ": " + e.getMessage(), e);
      }
    }
    return isFile ? target.resolve(asFile.getFilename()) : target;
  }

  /**
   * A fresh, empty local folder for a worker's outputs before they are published; delete it with
   * {@link #delete}. Its name carries this process's host and pid
   * ({@code <label>~<host>~<pid>~<random>}), so that a folder left by a killed process is found and
   * deleted when the cache needs room ({@link StagingCache}).
   */
  public static Path scratch(String label) {
    try {
      Path parent = Files.createDirectories(root().resolve("scratch"));
      return Files.createTempDirectory(parent, label.replaceAll("[^A-Za-z0-9._-]", "_") + "~" + StagingCache.owner() + "~");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a scratch folder under " + root() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies every file under {@code localDir} (recursively, in name order) to {@code prefix +
   * relative name} under {@code dir} and returns their entries.
   */
  public static List<FileEntry> publish(Path localDir, ResourceId dir, String prefix) {
    List<FileEntry> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(localDir)) {
      for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
        out.add(publishFile(f, dir, prefix + localDir.relativize(f).toString().replace('\\', '/')));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + localDir + " to " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Copies one local file to {@code name} under {@code dir}. */
  public static FileEntry publishFile(Path file, ResourceId dir, String name) {
    try (InputStream in = Files.newInputStream(file); Artifacts.HashingOutput out = Artifacts.create(dir, name)) {
      in.transferTo(out);
      out.close();
      return out.entry();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish " + file + " as " + name + " under " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless {@code file} lies under {@link #root()}: the only local files a stage reads or writes
   * through this class are staged copies and scratch folders, never a path on the driver's disk
   * that another worker would not have.
   */
  static void insideRoot(Path file, String what) {
    Path root = root().toAbsolutePath().normalize();
    if (!file.toAbsolutePath().normalize().startsWith(root)) {
      throw new IllegalArgumentException("Staging." + what + ": " + file + " is outside the staging folder " + root
          + "; a stage keeps local files in Staging.scratch(...) folders or staged copies (Staging.file/directory/input)"
          + " and reads or writes everything else through Artifacts (Beam FileSystems)");
    }
  }

  /** Bytes of a local file under the staging folder (one the engine wrote into a scratch folder, or a staged copy). */
  public static byte[] read(Path file) {
    insideRoot(file, "read");
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes bytes to a local file under the staging folder (what a library then reads from disk). */
  public static Path write(Path file, byte[] bytes) {
    insideRoot(file, "write");
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      return Files.write(file, bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  public static boolean exists(Path file) {
    return Files.isRegularFile(file);
  }

  /** Deletes a scratch folder (under the staging folder) and everything in it; a missing one is fine. */
  public static void delete(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    insideRoot(dir, "delete");
    try {
      deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Moves a staged folder into place; when another thread or process got there first, keeps theirs. */
  private static void moveFolder(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
      deleteRecursively(tmp); // same listing, same content: theirs is as good as ours
    }
  }

  private static void move(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
