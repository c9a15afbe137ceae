package io.roberta.engine.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A device without a GPU: allocations are bookkeeping, downloads read zeros, and every launch and
 * product is checked (shape limits, arguments against the kernel's signature, every pointer inside
 * a live buffer, GEMM leading dimensions and extents) and recorded. It lets the whole backend run
 * a training step on any machine to prove the host side right.
 */
final class DryDevice implements Device {
  private final KernelSignatures signatures = KernelSignatures.load();
  private final List<Launch> launches = Collections.synchronizedList(new ArrayList<>());
  private final List<Gemm> gemms = Collections.synchronizedList(new ArrayList<>());
  private final List<DeviceBuffer> allocated = Collections.synchronizedList(new ArrayList<>());
  /** Live allocations by address: a free names its memory by address (a pool re-wraps buffers). */
  private final java.util.Map<Long, DeviceBuffer> live = new java.util.HashMap<>();
  private long next = 0x7f0000000000L;
  private long liveBytes;
  private long peakBytes;
  private int liveBuffers;
  private final Counts counts = new Counts();

  /** What a stretch of work asked of the device, since the last {@link #clearRecords()}. */
  static final class Counts {
    long allocations;
    long allocatedBytes;
    long memsets;
    long memsetBytes;
    long uploads;
    long uploadBytes;
    /** Downloads wait for the device: each is a host synchronisation. */
    long downloads;
    long synchronizations;

    Counts copy() {
      Counts c = new Counts();
      c.allocations = allocations;
      c.allocatedBytes = allocatedBytes;
      c.memsets = memsets;
      c.memsetBytes = memsetBytes;
      c.uploads = uploads;
      c.uploadBytes = uploadBytes;
      c.downloads = downloads;
      c.synchronizations = synchronizations;
      return c;
    }
  }

  @Override
  public synchronized DeviceBuffer allocate(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("allocation of " + bytes + " bytes");
    }
    DeviceBuffer b = new DeviceBuffer(next, bytes);
    next += (bytes + 255) / 256 * 256 + 256;
    liveBytes += bytes;
    liveBuffers++;
    counts.allocations++;
    counts.allocatedBytes += bytes;
    peakBytes = Math.max(peakBytes, liveBytes);
    allocated.add(b);
    live.put(b.address, b);
    return b;
  }

  @Override
  public synchronized void free(DeviceBuffer buffer) {
    buffer.markFreed();
    DeviceBuffer original = live.remove(buffer.address);
    if (original != null) {
      original.markFreed();
      liveBytes -= original.bytes;
      liveBuffers--;
    }
  }

  private static void checkRange(DeviceBuffer b, long offset, long bytes, String what) {
    if (b.freed()) {
      throw new IllegalStateException(what + " on a freed " + b);
    }
    if (offset < 0 || bytes < 0 || offset + bytes > b.bytes) {
      throw new IllegalArgumentException(what + " of bytes [" + offset + ", " + (offset + bytes) + ") of " + b);
    }
  }

  @Override
  public synchronized void zero(DeviceBuffer buffer, long offset, long bytes) {
    checkRange(buffer, offset, bytes, "zero");
    counts.memsets++;
    counts.memsetBytes += bytes;
  }

  @Override
  public synchronized void upload(DeviceBuffer dst, long offset, ByteBuffer src) {
    checkRange(dst, offset, src.remaining(), "upload");
    counts.uploads++;
    counts.uploadBytes += src.remaining();
  }

  private byte downloadFill;

  /**
   * Every byte a download reads from now on: 0 by default; 0x40 makes a gradient norm of about 80
   * (a double of 32.5 per tensor), so that clipping scales the gradients as a real step does.
   */
  synchronized void downloadFill(byte value) {
    downloadFill = value;
  }

  @Override
  public synchronized void download(ByteBuffer dst, DeviceBuffer src, long offset) {
    checkRange(src, offset, dst.remaining(), "download");
    counts.downloads++;
    for (int i = dst.position(); i < dst.limit(); i++) {
      dst.put(i, downloadFill);
    }
  }

  @Override
  public void launch(Launch launch) {
    launch.check(signatures);
    launches.add(launch);
  }

  @Override
  public void gemm(Gemm gemm) {
    gemm.check();
    gemms.add(gemm);
  }

  @Override
  public synchronized void synchronize() {
    counts.synchronizations++;
  }

  @Override
  public String description() {
    return "dry device (no GPU: launches checked and recorded)";
  }

  @Override
  public void close() {}

  List<Launch> launches() {
    return List.copyOf(launches);
  }

  List<Gemm> gemms() {
    return List.copyOf(gemms);
  }

  synchronized long liveBytes() {
    return liveBytes;
  }

  synchronized int liveBuffers() {
    return liveBuffers;
  }

  synchronized long peakBytes() {
    return peakBytes;
  }

  /** Buffers allocated since the last {@link #clearRecords()} that are still live. */
  List<DeviceBuffer> unfreedSinceClear() {
    synchronized (allocated) {
      return allocated.stream().filter(b -> !b.freed()).toList();
    }
  }

  synchronized Counts counts() {
    return counts.copy();
  }

  synchronized void clearRecords() {
    launches.clear();
    gemms.clear();
    allocated.clear();
    Counts fresh = new Counts();
    counts.allocations = fresh.allocations;
    counts.allocatedBytes = 0;
    counts.memsets = 0;
    counts.memsetBytes = 0;
    counts.uploads = 0;
    counts.uploadBytes = 0;
    counts.downloads = 0;
    counts.synchronizations = 0;
  }
}
