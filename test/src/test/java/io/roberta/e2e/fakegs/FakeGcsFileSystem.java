package io.roberta.e2e.fakegs;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemUtils;
import org.apache.beam.sdk.io.fs.CreateOptions;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.MatchResult.Status;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A test-only Beam {@link FileSystem} for scheme {@value #SCHEME} that behaves like Google Cloud
 * Storage (as Beam's {@code GcsFileSystem} and {@code GcsUtil} drive it), kept in a folder on local
 * disk that several JVMs (a driver, Flink TaskManagers) share.
 *
 * <ul>
 *   <li><b>Objects, no directories.</b> {@code fakegs://b/a/x} is object {@code a/x} of bucket
 *       {@code b}; {@code a/} exists only as a prefix. Matching {@code fakegs://b/a} or {@code
 *       fakegs://b/a/} finds no object even when {@code a/x} exists, a glob's {@code *} stops at
 *       {@code /} and {@code **} crosses it (Beam's {@link FileSystemUtils#wildcardToRegexp},
 *       which GCS uses), names ending in {@code /} are skipped by globs.
 *   <li><b>Visible on close.</b> A writer fills a hidden upload; {@code close()} publishes it
 *       atomically. Until then readers and listings see the old object or nothing; a writer that is
 *       never closed (a killed worker) leaves no object.
 *   <li><b>No append.</b> {@code create} always replaces the whole object (with {@link
 *       CreateOptions#expectFileToNotExist()} it fails instead, as GCS's precondition does).
 *   <li><b>Rename = copy + delete</b>, object by object, as {@code GcsUtil.rename}: a crash in
 *       between leaves both; a missing source fails with {@link FileNotFoundException} unless
 *       {@link StandardMoveOptions#IGNORE_MISSING_FILES}; a "directory" cannot be renamed (there is
 *       no object by that name).
 *   <li><b>Delete</b> of a missing object is ignored (GCS answers 404 and Beam logs it); deleting a
 *       "directory" deletes nothing below it.
 *   <li><b>Buckets exist or not:</b> writing into a bucket that was not created ({@link
 *       FakeGcs#bucket}) fails, as on GCS.
 *   <li><b>URIs are {@code fakegs://bucket/object}.</b> {@code fakegs:/b/x} (one slash, what a
 *       {@code java.nio.file.Path} makes of a URI) is refused by {@code match}, {@code
 *       matchNewResource} and {@code resolve} with an {@link IllegalArgumentException} naming the
 *       URI and the well-formed one. (A spec without any slash after the colon, {@code fakegs:x},
 *       never reaches this class: Beam's {@code FileSystems} hands it to the local file system,
 *       which would create a local file named {@code fakegs:x}; {@link FakeGcs#strayLocalFiles}
 *       finds those.)
 * </ul>
 *
 * <p>On disk: {@code <root>/<bucket>/<seg>/<seg>/.../<last seg>/%object} holds object {@code
 * seg/seg/.../last} (each segment percent-encoded, so an object {@code a} and an object {@code
 * a/b} can coexist as on GCS); uploads in flight live in {@code <root>/.uploads/}.
 */
public final class FakeGcsFileSystem extends FileSystem<FakeGcsResourceId> {
  public static final String SCHEME = "fakegs";
  /** The file holding an object's bytes, inside the folder named by its last segment. */
  static final String OBJECT_FILE = "%object";
  /** In-flight uploads (never listed: bucket names cannot start with '.'). */
  static final String UPLOADS = ".uploads";
  private static final Pattern WILDCARD = Pattern.compile("[^\\[*?]*[\\[*?].*", Pattern.DOTALL);
  private static final Logger LOG = LoggerFactory.getLogger(FakeGcsFileSystem.class);

  private final Path root;

  FakeGcsFileSystem(Path root) {
    this.root = root;
  }

  /** The store's folder: the option if set, else the system property, else null (fails on use). */
  static Path rootFrom(PipelineOptions options) {
    String value = options == null ? null : options.as(FakeGcsOptions.class).getFakeGcsRoot();
    if (value == null || value.isBlank()) {
      value = System.getProperty(FakeGcsOptions.SYSTEM_PROPERTY);
    }
    return value == null || value.isBlank() ? null : Path.of(value).toAbsolutePath().normalize();
  }

  /** The local folder of this store. */
  public Path root() {
    if (root == null) {
      throw new IllegalStateException(SCHEME + ":// has no store in this JVM: set the pipeline option --fakeGcsRoot=DIR ("
          + FakeGcsOptions.class.getSimpleName() + ") or the system property -D" + FakeGcsOptions.SYSTEM_PROPERTY
          + "=DIR, the same folder in every JVM that runs the pipeline");
    }
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException(SCHEME + ":// store folder " + root + " does not exist (create it with FakeGcs.root() or mkdir)");
    }
    return root;
  }

  @Override
  protected String getScheme() {
    return SCHEME;
  }

  @Override
  protected FakeGcsResourceId matchNewResource(String singleResourceSpec, boolean isDirectory) {
    if (isDirectory) {
      return FakeGcsResourceId.parse(singleResourceSpec.endsWith("/") ? singleResourceSpec : singleResourceSpec + "/");
    }
    if (singleResourceSpec.endsWith("/")) {
      throw new IllegalArgumentException("Expected a file path, but [" + singleResourceSpec + "] ends with '/'; "
          + "objects cannot end with '/' in " + SCHEME + " (as in GcsFileSystem)");
    }
    FakeGcsResourceId id = FakeGcsResourceId.parse(singleResourceSpec);
    if (id.isDirectory()) {
      throw new IllegalArgumentException("Expected a file path, but [" + singleResourceSpec + "] names a bucket, not an object");
    }
    return id;
  }

  // ---------------------------------------------------------------- match

  @Override
  protected List<MatchResult> match(List<String> specs) throws IOException {
    List<FakeGcsResourceId> ids = new ArrayList<>();
    for (String spec : specs) {
      ids.add(FakeGcsResourceId.parse(spec)); // a malformed spec fails the whole call, loudly
    }
    List<MatchResult> results = new ArrayList<>();
    for (FakeGcsResourceId id : ids) {
      try {
        results.add(WILDCARD.matcher(id.object()).matches() ? expand(id) : matchObject(id));
      } catch (IOException e) {
        results.add(MatchResult.create(Status.ERROR, e));
      }
    }
    return results;
  }

  private MatchResult matchObject(FakeGcsResourceId id) throws IOException {
    Path file = objectFile(id.bucket(), id.object());
    if (id.object().isEmpty() || file == null || !Files.isRegularFile(file)) {
      return MatchResult.create(Status.NOT_FOUND, new FileNotFoundException(id.toString()));
    }
    try {
      return MatchResult.create(Status.OK, List.of(metadata(id, file)));
    } catch (NoSuchFileException e) {
      return MatchResult.create(Status.NOT_FOUND, new FileNotFoundException(id.toString()));
    }
  }

  /** As {@code GcsFileSystem.expand}: list the prefix before the first wildcard, filter by the glob's regex. */
  private MatchResult expand(FakeGcsResourceId pattern) throws IOException {
    String object = pattern.object();
    int wildcard = firstWildcard(object);
    String prefix = object.substring(0, wildcard);
    Pattern regex = Pattern.compile(FileSystemUtils.wildcardToRegexp(object), Pattern.DOTALL);
    List<Metadata> found = new ArrayList<>();
    for (String name : list(pattern.bucket(), prefix)) {
      if (regex.matcher(name).matches() && !name.endsWith("/")) {
        FakeGcsResourceId id = FakeGcsResourceId.of(pattern.bucket(), name);
        try {
          found.add(metadata(id, objectFile(id.bucket(), name)));
        } catch (NoSuchFileException e) {
          // deleted since it was listed: as a GCS listing a moment later
        }
      }
    }
    return MatchResult.create(Status.OK, found);
  }

  private static int firstWildcard(String object) {
    for (int i = 0; i < object.length(); i++) {
      char c = object.charAt(i);
      if (c == '*' || c == '?' || c == '[') {
        return i;
      }
    }
    return object.length();
  }

  /** The names of the bucket's objects that start with {@code prefix}, sorted (GCS lists in name order). */
  List<String> list(String bucket, String prefix) throws IOException {
    Path bucketDir = bucketDir(bucket);
    if (!Files.isDirectory(bucketDir)) {
      throw new FileNotFoundException("bucket " + FakeGcsResourceId.PREFIX + bucket + "/ does not exist in " + root());
    }
    // Start the walk at the deepest folder the prefix fixes (its segments before the last '/').
    int slash = prefix.lastIndexOf('/');
    Path start = bucketDir;
    if (slash >= 0) {
      for (String segment : prefix.substring(0, slash).split("/", -1)) {
        start = start.resolve(encode(segment));
      }
    }
    if (!Files.isDirectory(start)) {
      return List.of();
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.walk(start)) {
      files.filter(f -> f.getFileName().toString().equals(OBJECT_FILE))
          .forEach(f -> {
            String name = nameOf(bucketDir.relativize(f.getParent()));
            if (name.startsWith(prefix)) {
              names.add(name);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    names.sort(null);
    return names;
  }

  private static Metadata metadata(FakeGcsResourceId id, Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    return Metadata.builder()
        .setResourceId(id)
        .setSizeBytes(a.size())
        .setIsReadSeekEfficient(true)
        .setLastModifiedMillis(a.lastModifiedTime().toMillis())
        .build();
  }

  // ---------------------------------------------------------------- read and write

  @Override
  protected ReadableByteChannel open(FakeGcsResourceId id) throws IOException {
    Path file = objectFile(id.bucket(), id.object());
    if (id.isDirectory() || file == null) {
      throw new FileNotFoundException(id + " is not an object (" + SCHEME + " has no directories)");
    }
    try {
      // The open file keeps its bytes even if the object is replaced or deleted meanwhile, as a
      // GCS read pinned to the generation it started on.
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new FileNotFoundException("no such object: " + id);
    }
  }

  @Override
  protected WritableByteChannel create(FakeGcsResourceId id, CreateOptions options) throws IOException {
    if (id.object().isEmpty()) {
      throw new IOException("cannot create " + id + ": that is a bucket, not an object name");
    }
    Path bucketDir = bucketDir(id.bucket());
    if (!Files.isDirectory(bucketDir)) {
      throw new FileNotFoundException("cannot create " + id + ": bucket " + FakeGcsResourceId.PREFIX + id.bucket()
          + "/ does not exist (GCS needs the bucket first; create it with FakeGcs.bucket(\"" + id.bucket() + "\"))");
    }
    Path target = objectFile(id.bucket(), id.object());
    return new Upload(id, newUploadFile(), target, Boolean.TRUE.equals(options.expectFileToNotExist()));
  }

  private Path newUploadFile() throws IOException {
    Path uploads = Files.createDirectories(root().resolve(UPLOADS));
    return uploads.resolve(UUID.randomUUID().toString());
  }

  /** Bytes go to a hidden upload; {@link #close} publishes them as the whole object, atomically. */
  private static final class Upload implements WritableByteChannel {
    private final FakeGcsResourceId id;
    private final Path upload;
    private final Path target;
    private final boolean expectNew;
    private final FileChannel channel;

    Upload(FakeGcsResourceId id, Path upload, Path target, boolean expectNew) throws IOException {
      this.id = id;
      this.upload = upload;
      this.target = target;
      this.expectNew = expectNew;
      this.channel = FileChannel.open(upload, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!channel.isOpen()) {
        throw new ClosedChannelException();
      }
      return channel.write(src);
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
      if (!channel.isOpen()) {
        return;
      }
      channel.close();
      publish(upload, target, expectNew, id);
    }
  }

  /** Makes {@code upload} the object's bytes in one step: no reader ever sees part of it. */
  private static void publish(Path upload, Path target, boolean expectNew, FakeGcsResourceId id) throws IOException {
    try {
      Files.createDirectories(target.getParent());
      if (expectNew) {
        try {
          Files.createLink(target, upload); // fails atomically if the object exists
        } catch (FileAlreadyExistsException e) {
          throw new FileAlreadyExistsException(id.toString(), null, "the object exists and the writer expected it not to");
        }
        Files.delete(upload);
      } else {
        Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(upload);
    }
  }

  // ---------------------------------------------------------------- copy, rename, delete

  @Override
  protected void copy(List<FakeGcsResourceId> srcs, List<FakeGcsResourceId> dests) throws IOException {
    checkSameSize(srcs, dests);
    for (int i = 0; i < srcs.size(); i++) {
      copyObject(srcs.get(i), dests.get(i), false);
    }
  }

  /** Copies one object (GCS's rewrite); false when the source is missing and that is allowed. */
  private boolean copyObject(FakeGcsResourceId src, FakeGcsResourceId dest, boolean ignoreMissing) throws IOException {
    Path from = objectFile(src.bucket(), src.object());
    if (src.isDirectory() || from == null || !Files.isRegularFile(from)) {
      if (ignoreMissing) {
        return false;
      }
      throw new FileNotFoundException("Rewrite from " + src + " to " + dest + " has failed: no object " + src
          + (src.isDirectory() ? " (" + SCHEME + " has no directories: copy or rename each object under the prefix)" : ""));
    }
    if (dest.isDirectory()) {
      throw new IOException("cannot copy " + src + " to " + dest + ": the destination names a directory, not an object");
    }
    if (!Files.isDirectory(bucketDir(dest.bucket()))) {
      throw new FileNotFoundException("cannot copy to " + dest + ": bucket " + dest.bucket() + " does not exist");
    }
    Path upload = newUploadFile();
    try {
      Files.copy(from, upload);
    } catch (NoSuchFileException e) {
      Files.deleteIfExists(upload);
      if (ignoreMissing) {
        return false;
      }
      throw new FileNotFoundException("Rewrite from " + src + " to " + dest + " has failed: no object " + src);
    }
    publish(upload, objectFile(dest.bucket(), dest.object()), false, dest);
    return true;
  }

  @Override
  protected void rename(List<FakeGcsResourceId> srcs, List<FakeGcsResourceId> dests, MoveOptions... moveOptions)
      throws IOException {
    checkSameSize(srcs, dests);
    Set<MoveOptions> options = Set.of(moveOptions);
    boolean ignoreMissing = options.contains(StandardMoveOptions.IGNORE_MISSING_FILES);
    if (options.contains(StandardMoveOptions.SKIP_IF_DESTINATION_EXISTS)) {
      for (int i = 0; i < srcs.size(); i++) {
        if (!srcs.get(i).bucket().equals(dests.get(i).bucket())) {
          throw new UnsupportedOperationException("Skipping dest existence is only supported within a bucket.");
        }
      }
    }
    // GcsUtil.rename: a rewrite then a delete of the source, per object; SKIP_IF_DESTINATION_EXISTS
    // only checks the buckets (the rewrite replaces the destination, same bytes in Beam's use).
    for (int i = 0; i < srcs.size(); i++) {
      if (copyObject(srcs.get(i), dests.get(i), ignoreMissing)) {
        deleteObject(srcs.get(i));
      }
    }
  }

  @Override
  protected void delete(Collection<FakeGcsResourceId> ids) throws IOException {
    for (FakeGcsResourceId id : ids) {
      deleteObject(id);
    }
  }

  private void deleteObject(FakeGcsResourceId id) throws IOException {
    Path file = objectFile(id.bucket(), id.object());
    if (id.object().isEmpty() || file == null || !Files.deleteIfExists(file)) {
      // GcsUtil: "Ignoring failed deletion of file {} which already does not exist"
      LOG.info("Ignoring failed deletion of {} which does not exist", id);
    }
    // The folders stay: removing them could race with a writer publishing below them in another JVM.
  }

  private static void checkSameSize(List<?> srcs, List<?> dests) {
    if (srcs.size() != dests.size()) {
      throw new IllegalArgumentException("Number of source files " + srcs.size() + " must equal number of destination files " + dests.size());
    }
  }

  // ---------------------------------------------------------------- names on disk

  private Path bucketDir(String bucket) {
    return root().resolve(bucket);
  }

  /** The file holding object {@code name}, or null for a name that cannot be an object (empty). */
  Path objectFile(String bucket, String name) throws IOException {
    if (name.isEmpty()) {
      return null;
    }
    Path p = bucketDir(bucket);
    for (String segment : name.split("/", -1)) {
      String encoded = encode(segment);
      if (encoded.getBytes(StandardCharsets.UTF_8).length > 240) {
        throw new IOException(SCHEME + "://" + bucket + "/" + name + ": the segment \"" + segment
            + "\" is too long for this test store (the local file name would exceed 240 bytes)");
      }
      p = p.resolve(encoded);
    }
    return p.resolve(OBJECT_FILE);
  }

  /** Percent-encodes a segment: letters, digits, '-', '_' and '.' stay; "" is "%"; "." and ".." are escaped. */
  static String encode(String segment) {
    if (segment.isEmpty()) {
      return "%";
    }
    if (segment.equals(".") || segment.equals("..")) {
      return segment.replace(".", "%2E");
    }
    StringBuilder out = new StringBuilder(segment.length());
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  static String decode(String encoded) {
    if (encoded.equals("%")) {
      return "";
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%') {
        bytes.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The object name of a folder below the bucket's folder (that holds {@value #OBJECT_FILE}). */
  private static String nameOf(Path relativeFolder) {
    StringBuilder name = new StringBuilder();
    for (int i = 0; i < relativeFolder.getNameCount(); i++) {
      if (i > 0) {
        name.append('/');
      }
      name.append(decode(relativeFolder.getName(i).toString()));
    }
    return name.toString();
  }
}
