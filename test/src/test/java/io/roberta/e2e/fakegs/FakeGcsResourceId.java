package io.roberta.e2e.fakegs;

import java.util.Locale;
import java.util.Objects;
import org.apache.beam.sdk.io.fs.ResolveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * A {@code fakegs://bucket/object} name, with the rules of Beam's {@code GcsResourceId}: a name
 * ending in {@code /} is a "directory" (only ever a prefix of object names), {@link #resolve} only
 * appends to a directory and never normalizes {@code .} or {@code ..}, the current directory of
 * an object is everything up to its last {@code /}, and the bucket root is {@code fakegs://b/}.
 *
 * <p>Stricter than GCS where a mistake is the likely cause: a URI with one slash after the scheme
 * ({@code fakegs:/b/x}, what {@code java.nio.file.Path} makes of {@code fakegs://b/x}) or none
 * ({@code fakegs:b/x}), an object name resolved from such a string, an empty file name, and a
 * bucket name GCS would reject are all refused with an {@link IllegalArgumentException} that names
 * the string and the well-formed form.
 */
public final class FakeGcsResourceId implements ResourceId {
  private static final long serialVersionUID = 1L;
  static final String PREFIX = FakeGcsFileSystem.SCHEME + "://";

  private final String bucket;
  /** The object name or prefix, without a leading slash; empty for the bucket root. */
  private final String object;

  private FakeGcsResourceId(String bucket, String object) {
    this.bucket = bucket;
    this.object = object;
  }

  /**
   * Parses {@code fakegs://bucket/object} (the scheme in any case); the object may be empty
   * (the bucket root, a directory). Refuses anything else loudly.
   */
  public static FakeGcsResourceId parse(String uri) {
    if (uri == null) {
      throw new IllegalArgumentException("a fakegs URI is required, got null");
    }
    if (!uri.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      throw malformed(uri);
    }
    String rest = uri.substring(PREFIX.length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String object = slash < 0 ? "" : rest.substring(slash + 1);
    checkBucket(bucket, uri);
    checkObject(object, uri);
    return new FakeGcsResourceId(bucket, object);
  }

  /** {@code fakegs://bucket/object}. */
  public static FakeGcsResourceId of(String bucket, String object) {
    String uri = PREFIX + bucket + "/" + object;
    checkBucket(bucket, uri);
    checkObject(object, uri);
    return new FakeGcsResourceId(bucket, object);
  }

  /**
   * The error for anything that is not {@code fakegs://bucket/...}: names the string and, for the
   * usual slips ({@code fakegs:/b/x}, {@code fakegs:b/x}), the URI that was probably meant.
   */
  static IllegalArgumentException malformed(String uri) {
    String lower = uri.toLowerCase(Locale.ROOT);
    String scheme = FakeGcsFileSystem.SCHEME + ":";
    String hint = "";
    if (lower.startsWith(scheme)) {
      String path = uri.substring(scheme.length());
      while (path.startsWith("/")) {
        path = path.substring(1);
      }
      int slashes = uri.length() - scheme.length() - path.length();
      hint = " (it has " + (slashes == 0 ? "no slash" : slashes == 1 ? "one slash" : slashes + " slashes")
          + " after \"" + scheme + "\"; a java.nio.file.Path built from a URI drops one: did you mean \"" + PREFIX + path + "\"?)";
    }
    return new IllegalArgumentException(
        "\"" + uri + "\" is not a well-formed " + FakeGcsFileSystem.SCHEME + " URI: write " + PREFIX + "<bucket>/<object>" + hint);
  }

  private static void checkBucket(String bucket, String uri) {
    // GCS's rules (GcsPath): 3-63 characters, lowercase letters, digits, '-', '_', '.', starting
    // and ending with a letter or digit.
    if (!bucket.matches("[a-z0-9][-_a-z0-9.]{1,61}[a-z0-9]")) {
      if (bucket.isEmpty()) {
        throw malformed(uri);
      }
      throw new IllegalArgumentException("\"" + uri + "\": bucket name \"" + bucket + "\" is invalid: GCS bucket names are 3 to 63 "
          + "lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit");
    }
  }

  private static void checkObject(String object, String uri) {
    if (object.indexOf('\n') >= 0 || object.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("\"" + uri + "\": GCS object names cannot contain carriage returns or line feeds");
    }
    // A Path-mangled URI resolved onto a directory ("fakegs://b/w/fakegs:/b/w/x") is a bug, not a name.
    if (object.toLowerCase(Locale.ROOT).contains(FakeGcsFileSystem.SCHEME + ":")) {
      throw new IllegalArgumentException("\"" + uri + "\": the object name \"" + object + "\" contains \"" + FakeGcsFileSystem.SCHEME
          + ":\"; a URI was joined onto a directory as if it were a relative name");
    }
  }

  public String bucket() {
    return bucket;
  }

  /** The object name (or "directory" prefix ending in {@code /}); empty for the bucket root. */
  public String object() {
    return object;
  }

  @Override
  public FakeGcsResourceId resolve(String other, ResolveOptions resolveOptions) {
    if (!isDirectory()) {
      throw new IllegalStateException("Expected a directory (a name ending in '/'), but had [" + this + "]; cannot resolve \""
          + other + "\" against an object");
    }
    if (resolveOptions != StandardResolveOptions.RESOLVE_FILE && resolveOptions != StandardResolveOptions.RESOLVE_DIRECTORY) {
      throw new IllegalArgumentException("ResolveOptions: [" + resolveOptions + "] is not supported");
    }
    if (resolveOptions == StandardResolveOptions.RESOLVE_FILE) {
      if (other.endsWith("/")) {
        throw new IllegalArgumentException("The resolved file: [" + other + "] should not end with '/' (resolving against " + this + ")");
      }
      if (other.isEmpty()) {
        throw new IllegalArgumentException("cannot resolve an empty file name against " + this);
      }
    }
    String name = resolveOptions == StandardResolveOptions.RESOLVE_DIRECTORY && !other.endsWith("/") ? other + "/" : other;
    if (name.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      return parse(name); // as GcsPath.resolve: an absolute URI replaces the base
    }
    if (name.regionMatches(true, 0, FakeGcsFileSystem.SCHEME + ":", 0, FakeGcsFileSystem.SCHEME.length() + 1)) {
      throw malformed(other);
    }
    return of(bucket, object + name);
  }

  @Override
  public FakeGcsResourceId getCurrentDirectory() {
    if (isDirectory()) {
      return this;
    }
    // As GcsPath.getParent: everything up to the last '/', or the bucket root.
    int i = object.lastIndexOf('/', object.length() - 2);
    return i <= 0 ? new FakeGcsResourceId(bucket, "") : new FakeGcsResourceId(bucket, object.substring(0, i + 1));
  }

  @Override
  public String getScheme() {
    return FakeGcsFileSystem.SCHEME;
  }

  /** The last name, without a trailing {@code /}; null for the bucket root. */
  @Override
  public String getFilename() {
    if (object.isEmpty()) {
      return null;
    }
    String name = object.endsWith("/") ? object.substring(0, object.length() - 1) : object;
    return name.substring(name.lastIndexOf('/') + 1);
  }

  @Override
  public boolean isDirectory() {
    return object.isEmpty() || object.endsWith("/");
  }

  @Override
  public String toString() {
    return PREFIX + bucket + "/" + object;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FakeGcsResourceId other && bucket.equals(other.bucket) && object.equals(other.object);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bucket, object);
  }
}
