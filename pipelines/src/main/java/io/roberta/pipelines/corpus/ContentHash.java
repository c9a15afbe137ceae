package io.roberta.pipelines.corpus;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of a cleaned document's UTF-8 bytes: the deduplication key, the train/holdout split
 * and the packing order all come from it, so they are the same on every run and runner.
 */
final class ContentHash {
  private ContentHash() {}

  /** The first 128 bits of SHA-256, as 32 hex digits. */
  static String of(String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }

  /** A uniform fraction in [0, 1) from the first 64 bits: below the holdout fraction means holdout. */
  static double splitFraction(String hash) {
    long bits = Long.parseUnsignedLong(hash.substring(0, 16), 16);
    return (bits >>> 11) * 0x1.0p-53;
  }

  /** The packing order of one copy of a document (weights make several copies). */
  static long sortKey(String hash, int copy) {
    long bits = Long.parseUnsignedLong(hash.substring(16, 32), 16);
    return mix(bits + copy * 0x9E3779B97F4A7C15L);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
