package io.roberta.pipelines.stage;

import java.io.Serializable;

/**
 * One file of a stage's output as its manifest records it: the name relative to the stage folder
 * ({@code hf/model.safetensors}), its size in bytes and its SHA-256 (lower-case hex). A consumer
 * that copies the file to a worker checks both ({@link Staging}).
 */
public record FileEntry(String name, long size, String sha256) implements Serializable {
  public FileEntry {
    if (name == null || name.isEmpty() || name.startsWith("/") || name.contains("..") || name.contains("\\")) {
      throw new IllegalArgumentException("file name " + name + " must be a relative path inside the stage folder");
    }
    if (size < 0) {
      throw new IllegalArgumentException(name + ": size " + size + " must be >= 0");
    }
    if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException(name + ": sha256 " + sha256 + " must be 64 lower-case hex digits");
    }
  }

  /** The same file under another name (a prefix added: {@code hf/} + name). */
  public FileEntry under(String prefix) {
    return new FileEntry(prefix + name, size, sha256);
  }

  /** The name without {@code prefix}, for files listed under a sub-folder. */
  public FileEntry relativeTo(String prefix) {
    if (!name.startsWith(prefix)) {
      throw new IllegalArgumentException(name + " is not under " + prefix);
    }
    return new FileEntry(name.substring(prefix.length()), size, sha256);
  }
}
