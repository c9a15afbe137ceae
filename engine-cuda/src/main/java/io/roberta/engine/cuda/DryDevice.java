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
  private long next = 0x7f0000000000L;
  private long liveBytes;
  private long peakBytes;
  private int liveBuffers;

  @Override
  public synchronized DeviceBuffer allocate(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("allocation of " + bytes + " bytes");
    }
    DeviceBuffer b = new DeviceBuffer(next, bytes);
    next += (bytes + 255) / 256 * 256 + 256;
    liveBytes += bytes;
    liveBuffers++;
    peakBytes = Math.max(peakBytes, liveBytes);
    allocated.add(b);
    return b;
  }

  @Override
  public synchronized void free(DeviceBuffer buffer) {
    if (buffer.markFreed()) {
      liveBytes -= buffer.bytes;
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
  public void zero(DeviceBuffer buffer, long offset, long bytes) {
    checkRange(buffer, offset, bytes, "zero");
  }

  @Override
  public void upload(DeviceBuffer dst, long offset, ByteBuffer src) {
    checkRange(dst, offset, src.remaining(), "upload");
  }

  @Override
  public void download(ByteBuffer dst, DeviceBuffer src, long offset) {
    checkRange(src, offset, dst.remaining(), "download");
    for (int i = dst.position(); i < dst.limit(); i++) {
      dst.put(i, (byte) 0);
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
  public void synchronize() {}

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

  void clearRecords() {
    launches.clear();
    gemms.clear();
    allocated.clear();
  }
}
