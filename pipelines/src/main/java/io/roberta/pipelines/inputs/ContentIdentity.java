package io.roberta.pipelines.inputs;

import io.roberta.spec.plan.InputIdentity;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Inputs fingerprinted by content: the identity of a glob, file or folder is the SHA-256 of its
 * matched files' names relative to the input's root (the glob's folder, the file's folder, the
 * folder itself), sizes and content hashes. The same data reached through a relative or an
 * absolute path, another mount or another runner gets the same identity; a byte changed in
 * place gets another. Files are listed and read through Beam's {@code FileSystems}, so {@code
 * gs://} inputs work like local ones (with the credentials reading them needs). Each file's hash
 * is computed once per JVM and cached by its full path, size and modification time, but only
 * once that time is {@value #SETTLED_MILLIS} ms in the past: a file written moments ago could be
 * written again within the file system's time resolution with the same size (the "racy" case
 * Git's index also guards against), so a fresh or undated file is read every time.
 *
 * <p>Registered for {@link InputIdentity} in {@code META-INF/services}; an input that matches
 * nothing or cannot be listed keeps its path as its identity (the pre-run checks refuse it).
 *
 * <pre>{@code String id = new ContentIdentity().of("../shared/data/moby-dick/chapter_*.txt");}</pre>
 */
public final class ContentIdentity implements InputIdentity {
  private static final Map<String, String> FILE_HASHES = new ConcurrentHashMap<>();
  private static final String WILDCARDS = "*?[{";
  /** How old a modification time must be before a hash is cached under it. */
  static final long SETTLED_MILLIS = 3_000;

  /** Cache entries, for tests: how many file hashes have been computed in this JVM. */
  static int cachedFiles() {
    return FILE_HASHES.size();
  }

  @Override
  public String of(String path) {
    try {
      Listing listing = list(path);
      if (listing.files().isEmpty()) {
        return path;
      }
      List<String> lines = new ArrayList<>();
      for (MatchResult.Metadata file : listing.files()) {
        String name = relative(listing.root(), file.resourceId());
        lines.add(name + "\t" + file.sizeBytes() + "\t" + hash(file));
      }
      lines.sort(null);
      MessageDigest sha = sha256();
      for (String line : lines) {
        sha.update((line + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return "content:" + HexFormat.of().formatHex(sha.digest());
    } catch (IOException | IllegalArgumentException e) {
      return path; // the pre-run checks name the problem; a fingerprint cannot
    }
  }

  /** The files an input names and the root their names are taken relative to. */
  private record Listing(String root, List<MatchResult.Metadata> files) {}

  private static Listing list(String path) throws IOException {
    if (scheme(path) == null) {
      // Beam matches a relative local glob with '..' in it against unnormalized paths; give it the absolute, normalized form.
      String absolute = localPath(path).toAbsolutePath().normalize().toString();
      path = path.endsWith("/") && !absolute.endsWith("/") ? absolute + "/" : absolute;
    }
    int wildcard = firstWildcard(path);
    if (wildcard >= 0) {
      String prefix = path.substring(0, wildcard);
      return new Listing(root(prefix.substring(0, prefix.lastIndexOf('/') + 1)), match(path));
    }
    boolean local = scheme(path) == null || scheme(path).equals("file");
    boolean directory = local ? Files.isDirectory(localPath(path)) : match(path).isEmpty();
    if (directory) {
      String dir = path.endsWith("/") ? path : path + "/";
      return new Listing(root(dir), match(dir + "*"));
    }
    return new Listing(root(path.substring(0, path.lastIndexOf('/') + 1)), match(path));
  }

  private static List<MatchResult.Metadata> match(String spec) throws IOException {
    MatchResult result = FileSystems.match(List.of(spec), EmptyMatchTreatment.ALLOW).get(0);
    if (result.status() != MatchResult.Status.OK) {
      return List.of();
    }
    List<MatchResult.Metadata> files = new ArrayList<>();
    for (MatchResult.Metadata m : result.metadata()) {
      if (!m.resourceId().isDirectory()) {
        files.add(m);
      }
    }
    return files;
  }

  /** A root folder in the form the file system's resource ids take: absolute, normalized, ending in '/'. */
  private static String root(String folder) {
    if (scheme(folder) != null && !scheme(folder).equals("file")) {
      return folder;
    }
    String absolute = localPath(folder.isEmpty() ? "." : folder).toAbsolutePath().normalize().toString();
    return absolute.endsWith("/") ? absolute : absolute + "/";
  }

  private static String relative(String root, ResourceId file) {
    String name = file.toString();
    if (scheme(name) == null || scheme(name).equals("file")) {
      name = localPath(name).toAbsolutePath().normalize().toString();
    }
    return name.startsWith(root) ? name.substring(root.length()) : name;
  }

  private static String hash(MatchResult.Metadata file) throws IOException {
    long modified = file.lastModifiedMillis();
    boolean settled = modified > 0 && System.currentTimeMillis() - modified >= SETTLED_MILLIS;
    String key = file.resourceId() + "\t" + file.sizeBytes() + "\t" + modified;
    String cached = settled ? FILE_HASHES.get(key) : null;
    if (cached != null) {
      return cached;
    }
    MessageDigest sha = sha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Channels.newInputStream(FileSystems.open(file.resourceId()))) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    }
    String hex = HexFormat.of().formatHex(sha.digest());
    if (settled) {
      FILE_HASHES.put(key, hex);
    }
    return hex;
  }

  private static int firstWildcard(String path) {
    for (int i = 0; i < path.length(); i++) {
      if (WILDCARDS.indexOf(path.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static String scheme(String path) {
    int colon = path.indexOf("://");
    return colon > 0 && path.substring(0, colon).matches("[a-zA-Z][-a-zA-Z0-9+.]*") ? path.substring(0, colon).toLowerCase() : null;
  }

  private static Path localPath(String path) {
    return path.startsWith("file://") ? Path.of(java.net.URI.create(path)) : Path.of(path);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
