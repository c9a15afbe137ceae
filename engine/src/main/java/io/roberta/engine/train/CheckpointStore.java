package io.roberta.engine.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoint folders {@code step-00000100/} under one directory. A checkpoint is written into a
 * temporary folder, its files' SHA-256 sums recorded in {@code checksums.json}, then the folder is
 * renamed into place, so a crash leaves either a whole checkpoint or none. Loading verifies the
 * sums; a corrupt newest checkpoint is reported and the one before it is used.
 *
 * <pre>{@code
 * CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), 3);
 * store.save(100, tmp -> writeFilesInto(tmp));
 * Optional<Path> newest = store.newestValid(System.err::println);
 * }</pre>
 */
public final class CheckpointStore {
  static final String CHECKSUMS = "checksums.json";
  private static final Pattern NAME = Pattern.compile("step-(\\d{8})");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Writes a checkpoint's files into the folder it is given. */
  public interface Writer {
    void writeInto(Path dir) throws IOException;
  }

  private final Path root;
  private final int keep;

  public CheckpointStore(Path root, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("keep = " + keep + ", must be >= 1");
    }
    this.root = root;
    this.keep = keep;
  }

  public Path root() {
    return root;
  }

  public static String folderName(long step) {
    return String.format("step-%08d", step);
  }

  /** Writes checkpoint {@code step} atomically and deletes all but the newest {@code keep}. */
  public Path save(long step, Writer writer) {
    try {
      Files.createDirectories(root);
      Path tmp = Files.createTempDirectory(root, ".tmp-" + folderName(step) + "-");
      writer.writeInto(tmp);
      ObjectNode sums = JSON.createObjectNode();
      try (Stream<Path> files = Files.list(tmp)) {
        for (Path f : files.sorted().toList()) {
          sums.put(f.getFileName().toString(), sha256(f));
        }
      }
      JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(CHECKSUMS).toFile(), sums);
      Path target = root.resolve(folderName(step));
      if (Files.exists(target)) {
        deleteRecursively(target); // a re-run of the same step after a crash between rename and prune
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target);
      }
      prune();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + folderName(step) + " under " + root + ": " + e.getMessage(), e);
    }
  }

  /** Checkpoint folders, newest first (temporary folders of interrupted writes are ignored). */
  public List<Path> list() {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(root)) {
      return dirs.filter(d -> NAME.matcher(d.getFileName().toString()).matches() && Files.isDirectory(d))
          .sorted(Comparator.comparing((Path d) -> d.getFileName().toString()).reversed())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + root, e);
    }
  }

  public static long stepOf(Path checkpoint) {
    Matcher m = NAME.matcher(checkpoint.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException(checkpoint + " is not a checkpoint folder (step-NNNNNNNN)");
    }
    return Long.parseLong(m.group(1));
  }

  /**
   * The newest checkpoint whose files match their checksums; each one skipped is reported to
   * {@code warn} with the reason.
   */
  public Optional<Path> newestValid(Consumer<String> warn) {
    for (Path dir : list()) {
      String problem = verify(dir);
      if (problem == null) {
        return Optional.of(dir);
      }
      warn.accept("checkpoint " + dir + " is corrupt (" + problem + "); falling back to the previous one");
    }
    return Optional.empty();
  }

  /** Null when every file matches {@code checksums.json}, else what is wrong. */
  static String verify(Path dir) {
    Path sumsFile = dir.resolve(CHECKSUMS);
    if (!Files.isRegularFile(sumsFile)) {
      return "no " + CHECKSUMS;
    }
    try {
      com.fasterxml.jackson.databind.JsonNode root = JSON.readTree(sumsFile.toFile());
      if (root == null || !root.isObject()) {
        return CHECKSUMS + " is not a JSON object of file name to SHA-256";
      }
      ObjectNode sums = (ObjectNode) root;
      if (sums.isEmpty()) {
        return CHECKSUMS + " lists no files";
      }
      for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = sums.fields(); it.hasNext(); ) {
        Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
        String name = e.getKey();
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".")
            || name.equals("..")) {
          return CHECKSUMS + " entry \"" + name + "\" is not a plain file name";
        }
        String expected = e.getValue().isTextual() ? e.getValue().asText() : "";
        if (!SHA256_HEX.matcher(expected).matches()) {
          return CHECKSUMS + " entry " + name + " has " + abbreviate(e.getValue().toString())
              + ", not a SHA-256 of 64 hex digits";
        }
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) {
          return name + " is missing";
        }
        String actual = sha256(f);
        if (!actual.equals(expected)) {
          return name + " has SHA-256 " + actual.substring(0, 12) + "..., expected "
              + expected.substring(0, 12) + "...";
        }
      }
      return null;
    } catch (IOException | java.nio.file.InvalidPathException e) {
      // a damaged checkpoint is a reason to fall back, never to abort the resume
      return "unreadable " + CHECKSUMS + ": " + e.getMessage();
    }
  }

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 37) + "...";
  }

  private void prune() throws IOException {
    List<Path> all = new ArrayList<>(list());
    for (int i = keep; i < all.size(); i++) {
      deleteRecursively(all.get(i));
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static String sha256(Path file) throws IOException {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
