package io.roberta.engine.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;

/**
 * How much memory the process holds, for logs and benchmarks: the bytes of ND4J buffers the CPU
 * backend allocated and nobody has closed or the collector freed yet ({@link
 * Nd4jKernels#heldBytesAll()}), the resident set (JavaCPP's {@link Pointer#physicalBytes()}; ND4J's
 * CPU buffers are not in JavaCPP's own byte count) and the Java heap committed.
 *
 * <pre>{@code
 * NativeMemory.Snapshot before = NativeMemory.snapshot();
 * ... a stage ...
 * log(NativeMemory.snapshot().describeSince(before));
 * // ND4J buffers 0 MB held (+0 MB), resident 812 MB, heap 260 MB committed
 * }</pre>
 */
public final class NativeMemory {
  private NativeMemory() {}

  /** One reading: ND4J buffers held, resident bytes, Java heap committed. */
  public record Snapshot(long nd4jBytes, long residentBytes, long heapCommittedBytes) {
    /** {@code ND4J buffers 120 MB held, resident 812 MB, heap 260 MB committed}. */
    public String describe() {
      return String.format(Locale.ROOT, "ND4J buffers %,d MB held, resident %,d MB, heap %,d MB committed",
          mb(nd4jBytes), mb(residentBytes), mb(heapCommittedBytes));
    }

    /** As {@link #describe()}, with the change of the ND4J buffers and resident bytes since {@code before}. */
    public String describeSince(Snapshot before) {
      return String.format(Locale.ROOT, "ND4J buffers %,d MB held (%+,d MB), resident %,d MB (%+,d MB), heap %,d MB committed",
          mb(nd4jBytes), mb(nd4jBytes - before.nd4jBytes), mb(residentBytes), mb(residentBytes - before.residentBytes),
          mb(heapCommittedBytes));
    }
  }

  /** The process' memory now. */
  public static Snapshot snapshot() {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new Snapshot(Nd4jKernels.heldBytesAll(), Pointer.physicalBytes(), heap.getCommitted());
  }

  /**
   * Asks the C allocator to give freed memory back to the system ({@code malloc_trim} on Linux),
   * so that a resident-memory reading shows what is held rather than what the allocator keeps
   * for later. Frees nothing that is in use; returns whether the allocator did anything.
   */
  public static boolean trimFreedMemory() {
    return Pointer.trimMemory();
  }

  private static long mb(long bytes) {
    return Math.round(bytes / 1e6);
  }
}
