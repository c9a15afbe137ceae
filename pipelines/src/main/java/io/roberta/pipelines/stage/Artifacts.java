package io.roberta.pipelines.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Artifact I/O through Beam {@link FileSystems}, so a stage folder may be a local path, {@code
 * gs://bucket/...} or any scheme Beam has a file system for. Object-store rules hold everywhere: a
 * file is written whole (no append, no in-place edit), there are no directories to rename, and
 * what marks work as finished is a file written last (a stage manifest, a checkpoint's commit).
 *
 * <pre>{@code
 * ResourceId dir = Artifacts.dir("gs://bucket/work/tiny/pretrain/ab12");
 * FileEntry e = Artifacts.write(dir, "result.json", bytes);
 * JsonNode result = Artifacts.readJson(Artifacts.file(dir, "result.json"));
 * }</pre>
 */
public final class Artifacts {
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern SCHEME = Pattern.compile("^([a-zA-Z][-a-zA-Z0-9+.]*):(.*)$", Pattern.DOTALL);

  private Artifacts() {}

  /**
   * Refuses a URI whose scheme is followed by one slash or none ({@code gs:/b/x}, {@code gs:b}):
   * that is what {@code java.nio} makes of {@code gs://b/x}, and a file system would read it as
   * another, relative path.
   */
  public static String checkUri(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("empty path or URI");
    }
    var m = SCHEME.matcher(uri);
    if (m.matches() && m.group(1).length() > 1 && !m.group(2).startsWith("//")
        && !m.group(1).equalsIgnoreCase("file")) {
      throw new IllegalArgumentException(uri + " is not a well-formed URI: the scheme " + m.group(1)
          + ": must be followed by two slashes (" + m.group(1) + "://bucket/path); a path that went through"
          + " java.nio.file.Path loses one");
    }
    return uri;
  }

  /** The folder at {@code uri} (a local path or any registered scheme). */
  public static ResourceId dir(String uri) {
    return FileSystems.matchNewResource(checkUri(uri), true);
  }

  /** The file at {@code uri}. */
  public static ResourceId file(String uri) {
    return FileSystems.matchNewResource(checkUri(uri), false);
  }

  /** {@code relative} ({@code a/b/c.json}) under {@code dir}, one segment at a time. */
  public static ResourceId file(ResourceId dir, String relative) {
    String[] parts = relative.split("/");
    ResourceId at = dir;
    for (int i = 0; i < parts.length - 1; i++) {
      at = at.resolve(parts[i], StandardResolveOptions.RESOLVE_DIRECTORY);
    }
    return at.resolve(parts[parts.length - 1], StandardResolveOptions.RESOLVE_FILE);
  }

  /** The folder {@code relative} ({@code a/b}) under {@code dir}. */
  public static ResourceId dir(ResourceId dir, String relative) {
    ResourceId at = dir;
    for (String part : relative.split("/")) {
      if (!part.isEmpty()) {
        at = at.resolve(part, StandardResolveOptions.RESOLVE_DIRECTORY);
      }
    }
    return at;
  }

  /** A stage's folder, {@code <workDir>/<recipe>/<stage>/<fingerprint>/}. */
  public static ResourceId stageDir(String workDir, String recipe, io.roberta.spec.plan.Stage stage) {
    return dir(dir(workDir), stage.relativePath(recipe));
  }

  /** The URI of a folder without its trailing slash (what manifests and messages print). */
  public static String uri(ResourceId id) {
    String s = id.toString();
    return id.isDirectory() && s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }

  /** Size of the file, or empty when there is none. */
  public static Optional<Long> size(ResourceId file) {
    try {
      MatchResult m = FileSystems.match(List.of(file.toString()), EmptyMatchTreatment.ALLOW).get(0);
      if (m.status() != MatchResult.Status.OK || m.metadata().isEmpty() || m.metadata().get(0).resourceId().isDirectory()) {
        return Optional.empty(); // no file (a local folder matches as itself)
      }
      return Optional.of(m.metadata().get(0).sizeBytes());
    } catch (FileNotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look up " + file + ": " + e.getMessage(), e);
    }
  }

  public static boolean exists(ResourceId file) {
    return size(file).isPresent();
  }

  /** Files directly under {@code dir} whose names match {@code glob} ({@code *.bin}); none is an empty list. */
  public static List<ResourceId> list(ResourceId dir, String glob) {
    String pattern = dir.toString() + (dir.toString().endsWith("/") ? "" : "/") + glob;
    try {
      MatchResult m = FileSystems.match(List.of(pattern), EmptyMatchTreatment.ALLOW).get(0);
      List<ResourceId> out = new ArrayList<>();
      if (m.status() == MatchResult.Status.OK) {
        for (MatchResult.Metadata md : m.metadata()) {
          out.add(md.resourceId());
        }
      }
      out.sort((a, b) -> a.toString().compareTo(b.toString()));
      return out;
    } catch (FileNotFoundException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + pattern + ": " + e.getMessage(), e);
    }
  }

  public static byte[] read(ResourceId file) {
    try (InputStream in = Channels.newInputStream(FileSystems.open(file))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public static InputStream open(ResourceId file) {
    try {
      return Channels.newInputStream(FileSystems.open(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
    }
  }

  /** The file's JSON; an unparseable file is an error naming it. */
  public static JsonNode readJson(ResourceId file) {
    try {
      return JSON.readTree(read(file));
    } catch (IOException e) {
      throw new UncheckedIOException(file + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  /** The file's JSON, or empty when there is no such file or it is cut short (a killed writer). */
  public static Optional<JsonNode> readJsonIfPresent(ResourceId file) {
    if (!exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(read(file));
      return n == null || n.isMissingNode() ? Optional.empty() : Optional.of(n);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Writes {@code bytes} as {@code name} under {@code dir} (replacing a whole older file) and returns its entry. */
  public static FileEntry write(ResourceId dir, String name, byte[] bytes) {
    ResourceId file = file(dir, name);
    try (WritableByteChannel ch = FileSystems.create(file, mimeType(name))) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
    return new FileEntry(name, bytes.length, sha256(bytes));
  }

  public static FileEntry writeJson(ResourceId dir, String name, JsonNode json) {
    try {
      byte[] bytes = JSON.writeValueAsBytes(json);
      byte[] withNewline = java.util.Arrays.copyOf(bytes, bytes.length + 1);
      withNewline[bytes.length] = '\n';
      return write(dir, name, withNewline);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + name + ": " + e.getMessage(), e);
    }
  }

  /** An output stream to {@code name} under {@code dir}; the entry is known once it is closed. */
  public static HashingOutput create(ResourceId dir, String name) {
    ResourceId file = file(dir, name);
    try {
      return new HashingOutput(name, Channels.newOutputStream(FileSystems.create(file, mimeType(name))));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
    }
  }

  /** Copies one file (any scheme to any scheme) and returns the copy's entry under {@code name}. */
  public static FileEntry copy(ResourceId from, ResourceId toDir, String name) {
    try (InputStream in = open(from); HashingOutput out = create(toDir, name)) {
      in.transferTo(out);
      out.close();
      return out.entry();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + from + " to " + toDir + name + ": " + e.getMessage(), e);
    }
  }

  public static void delete(Collection<ResourceId> files) {
    if (files.isEmpty()) {
      return;
    }
    try {
      FileSystems.delete(files, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + files + ": " + e.getMessage(), e);
    }
  }

  /** SHA-256 of a file, streamed. */
  public static String sha256(ResourceId file) {
    try (InputStream in = open(file)) {
      MessageDigest sha = sha();
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(sha().digest(bytes));
  }

  static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String mimeType(String name) {
    return name.endsWith(".json") || name.endsWith(".jsonl") ? "application/json"
        : name.endsWith(".md") || name.endsWith(".txt") ? "text/plain"
        : name.endsWith(".png") ? "image/png" : "application/octet-stream";
  }

  /** An output stream that counts and hashes what goes through it. */
  public static final class HashingOutput extends OutputStream {
    private final String name;
    private final OutputStream out;
    private final MessageDigest sha = sha();
    private long size;
    private boolean closed;
    private FileEntry entry;

    HashingOutput(String name, OutputStream out) {
      this.name = name;
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      sha.update((byte) b);
      size++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      sha.update(b, off, len);
      size += len;
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        out.close();
      }
    }

    /** The entry of what was written; only after {@link #close()}. */
    public FileEntry entry() {
      if (!closed) {
        throw new IllegalStateException(name + " is still open");
      }
      if (entry == null) {
        entry = new FileEntry(name, size, HexFormat.of().formatHex(sha.digest()));
      }
      return entry;
    }
  }
}
