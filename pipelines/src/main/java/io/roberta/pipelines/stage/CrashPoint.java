package io.roberta.pipelines.stage;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named points where a crash would hurt most (between a stage's files and its commit), for the
 * tests that kill a run there: with {@code -Droberta.crashAt=NAME} (or {@code NAME:N}, the N-th
 * time the point is reached) the JVM halts at once, like {@code kill -9}: no shutdown hooks, no
 * finally blocks, no flushing. Without the property this does nothing.
 *
 * <pre>{@code CrashPoint.reached(CrashPoint.CHECKPOINT_BEFORE_COMMIT);}</pre>
 */
public final class CrashPoint {
  /** A checkpoint's files are published, its commit marker is not. */
  public static final String CHECKPOINT_BEFORE_COMMIT = "checkpoint-before-commit";
  /** A stage's files are written, its manifest is not. */
  public static final String MANIFEST_BEFORE_COMMIT = "manifest-before-commit";
  /** The tokenizer stage's files are written, its manifest is not. */
  public static final String TOKENIZER_BEFORE_COMMIT = "tokenizer-before-commit";

  private static final AtomicInteger COUNT = new AtomicInteger();

  private CrashPoint() {}

  public static void reached(String name) {
    String at = System.getProperty("roberta.crashAt");
    if (at == null) {
      return;
    }
    String[] parts = at.split(":");
    if (!parts[0].equals(name)) {
      return;
    }
    int nth = parts.length > 1 ? Integer.parseInt(parts[1]) : 1;
    if (COUNT.incrementAndGet() == nth) {
      System.err.println("roberta: crashing at " + name + " (-Droberta.crashAt=" + at + ")");
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }

  /**
   * For tests that kill a process from outside at a chosen moment (a Flink TaskManager in the middle
   * of a round's inner training): with {@code -Droberta.pauseAt=NAME:V} and {@code
   * -Droberta.pauseMarker=FILE}, the first process of all that reaches point NAME with value V (a
   * global step) creates FILE (atomically; holding its pid) and sleeps up to a minute, waiting to
   * be killed; every other process, and every later time, goes on (FILE exists). Without the
   * properties this does nothing.
   */
  public static void pauseIfAsked(String name, long value) {
    String at = System.getProperty("roberta.pauseAt");
    String marker = System.getProperty("roberta.pauseMarker");
    if (at == null || marker == null) {
      return;
    }
    String[] parts = at.split(":");
    if (!parts[0].equals(name) || parts.length < 2 || Long.parseLong(parts[1]) != value) {
      return;
    }
    try {
      java.nio.file.Files.writeString(java.nio.file.Files.createFile(java.nio.file.Path.of(marker)),
          String.valueOf(ProcessHandle.current().pid()));
    } catch (java.io.IOException e) {
      return; // another process paused first (or the marker cannot be made): go on
    }
    System.err.println("roberta: pausing at " + name + " to be killed (pid " + ProcessHandle.current().pid() + ")");
    System.err.flush();
    try {
      Thread.sleep(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
