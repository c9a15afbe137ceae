package io.roberta.e2e.fakegs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.fs.CreateOptions.StandardCreateOptions;

/**
 * Test helpers around the {@code fakegs://} store: one store per test JVM (and the JVMs it
 * starts), buckets, copying data in, reading objects back, and finding what must not exist.
 *
 * <pre>{@code
 * String data = FakeGcs.freshPrefix("data");                  // fakegs://roberta-test/data-1a2b3c4d/
 * FakeGcs.copyIn(Path.of("../../shared/data/brown"), data + "brown/");
 * PipelineOptions o = PipelineOptionsFactory.fromArgs("--fakeGcsRoot=" + FakeGcs.root()).create();
 * ... run a stage with workDir = FakeGcs.freshPrefix("work") ...
 * assertEquals(List.of(), FakeGcs.strayLocalFiles(Path.of("").toAbsolutePath()));
 * cluster JVMs: FakeGcs.jvmFlags()
 * }</pre>
 */
public final class FakeGcs {
  /** The bucket {@link #freshPrefix} hands out folders in. */
  public static final String TEST_BUCKET = "roberta-test";

  private FakeGcs() {}

  /**
   * This JVM's store folder: the system property {@value FakeGcsOptions#SYSTEM_PROPERTY} if set,
   * else a new {@code target/fakegs-store/<time>-<pid>} (created, and the property set, so that
   * every {@code fakegs} file system of this JVM and every JVM started with {@link #jvmFlags()}
   * sees it; a fresh one per test JVM, so that nothing a killed run left can pass for this run's).
   */
  public static synchronized Path root() {
    String set = System.getProperty(FakeGcsOptions.SYSTEM_PROPERTY);
    Path root = set != null && !set.isBlank() ? Path.of(set)
        : Path.of("target", "fakegs-store", java.time.LocalDateTime.now().format(
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", java.util.Locale.ROOT)) + "-" + ProcessHandle.current().pid());
    root = root.toAbsolutePath().normalize();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the fakegs store " + root, e);
    }
    System.setProperty(FakeGcsOptions.SYSTEM_PROPERTY, root.toString());
    return root;
  }

  /** The flags that give a separate JVM (a Flink TaskManager) this JVM's store. */
  public static List<String> jvmFlags() {
    return List.of("-D" + FakeGcsOptions.SYSTEM_PROPERTY + "=" + root());
  }

  /** The store of this JVM, for direct use without Beam's {@code FileSystems} registry. */
  public static FakeGcsFileSystem fileSystem() {
    return new FakeGcsFileSystem(root());
  }

  /** Creates bucket {@code name} if needed; returns {@code fakegs://name/}. */
  public static String bucket(String name) {
    FakeGcsResourceId id = FakeGcsResourceId.parse(FakeGcsResourceId.PREFIX + name + "/"); // checks the name
    try {
      Files.createDirectories(root().resolve(id.bucket()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return id.toString();
  }

  /** A folder no other test uses: {@code fakegs://roberta-test/<label>-<8 hex>/}. */
  public static String freshPrefix(String label) {
    return bucket(TEST_BUCKET) + label + "-" + UUID.randomUUID().toString().substring(0, 8) + "/";
  }

  /**
   * Copies a local file, or every regular file below a local folder (names relative to it, '/'
   * separated), to objects under the directory URI {@code dirUri}; returns how many.
   */
  public static int copyIn(Path local, String dirUri) {
    FakeGcsResourceId dir = FakeGcsResourceId.parse(dirUri.endsWith("/") ? dirUri : dirUri + "/");
    bucket(dir.bucket());
    List<Path> files = new ArrayList<>();
    try {
      if (Files.isRegularFile(local)) {
        files.add(local);
      } else {
        try (Stream<Path> walk = Files.walk(local)) {
          walk.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
      }
      for (Path f : files) {
        String name = Files.isRegularFile(local) ? f.getFileName().toString() : relativeName(local, f);
        write(dir.resolve(name, org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions.RESOLVE_FILE).toString(),
            Files.readAllBytes(f));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + local + " to " + dirUri, e);
    }
    return files.size();
  }

  /** Writes one object (replacing it). */
  public static void write(String uri, byte[] bytes) throws IOException {
    FakeGcsFileSystem fs = fileSystem();
    try (WritableByteChannel out = fs.create(FakeGcsResourceId.parse(uri),
        StandardCreateOptions.builder().setMimeType("application/octet-stream").build())) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        out.write(b);
      }
    }
  }

  /** The bytes of one object. */
  public static byte[] read(String uri) throws IOException {
    try (ReadableByteChannel in = fileSystem().open(FakeGcsResourceId.parse(uri))) {
      return Channels.newInputStream(in).readAllBytes();
    }
  }

  /** Every object whose name starts with the prefix of {@code prefixUri}, by name relative to it, in name order. */
  public static Map<String, byte[]> objects(String prefixUri) throws IOException {
    FakeGcsResourceId prefix = FakeGcsResourceId.parse(prefixUri);
    FakeGcsFileSystem fs = fileSystem();
    Map<String, byte[]> out = new TreeMap<>();
    for (String name : fs.list(prefix.bucket(), prefix.object())) {
      out.put(name.substring(prefix.object().length()), read(FakeGcsResourceId.of(prefix.bucket(), name).toString()));
    }
    return out;
  }

  /** Every regular file below a local folder, by '/'-separated relative name, in name order. */
  public static Map<String, byte[]> localFiles(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        out.put(relativeName(dir, f), Files.readAllBytes(f));
      }
    }
    return out;
  }

  /**
   * What a stage that lost the {@code //} of a {@code fakegs://} URI leaves on local disk: every
   * file or folder below {@code dirs} whose name starts with {@code fakegs:} (from {@code
   * Path.of("fakegs://b/w").resolve(..)}, or a scheme-less {@code fakegs:x} that Beam hands to the
   * local file system). The store's own folder is skipped.
   */
  public static List<Path> strayLocalFiles(Path... dirs) throws IOException {
    Path store = root();
    List<Path> stray = new ArrayList<>();
    for (Path dir : dirs) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(p -> !p.toAbsolutePath().normalize().startsWith(store))
            .filter(p -> p.getFileName() != null
                && p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).startsWith(FakeGcsFileSystem.SCHEME + ":"))
            .forEach(stray::add);
      }
    }
    return stray;
  }

  /** Uploads never closed (a writer that was abandoned): on GCS they would never become objects. */
  public static List<Path> unfinishedUploads() throws IOException {
    Path uploads = root().resolve(FakeGcsFileSystem.UPLOADS);
    if (!Files.isDirectory(uploads)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(uploads)) {
      return files.toList();
    }
  }

  private static String relativeName(Path dir, Path file) {
    Path rel = dir.relativize(file);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < rel.getNameCount(); i++) {
      s.append(i == 0 ? "" : "/").append(rel.getName(i));
    }
    return s.toString();
  }
}
