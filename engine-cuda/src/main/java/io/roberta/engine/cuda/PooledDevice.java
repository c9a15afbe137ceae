package io.roberta.engine.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A device whose freed allocations are kept, by size class, for the next allocation of that
 * class: a training step allocates the same sizes every time (up to the number of labelled rows,
 * which the classes absorb), so after the first steps it allocates nothing. Below 256 bytes a class is
 * the exact size; from 256 bytes up, sizes round up to an eighth of their power of two (at most 12.5%
 * more), except on a device that wants {@linkplain Device#exactAllocations() exact allocations}. Reuse is safe because all work runs in order on one stream: whatever used the memory
 * was issued before whatever reuses it. Every reuse gets a new {@link DeviceBuffer} and the old
 * one is marked freed, so a stale pointer still fails the launch checks. {@link #release()} gives
 * the kept memory back to the device.
 */
final class PooledDevice implements Device {
  private final Device inner;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
  private long keptBytes;
  private boolean released;

  private final boolean exact;

  PooledDevice(Device inner) {
    this.inner = inner;
    this.exact = inner.exactAllocations();
  }

  Device inner() {
    return inner;
  }

  /** The bytes actually allocated for a request of {@code bytes}. */
  long sizeClass(long bytes) {
    if (exact || bytes < 256) {
      return bytes;
    }
    long step = Long.highestOneBit(bytes - 1) / 4; // an eighth of the next power of two
    return (bytes + step - 1) / step * step;
  }

  @Override
  public synchronized DeviceBuffer allocate(long bytes) {
    long size = sizeClass(bytes);
    ArrayDeque<Long> same = free.get(size);
    if (same != null && !same.isEmpty()) {
      keptBytes -= size;
      return new DeviceBuffer(same.pop(), bytes);
    }
    return new DeviceBuffer(inner.allocate(size).address, bytes);
  }

  @Override
  public synchronized void free(DeviceBuffer buffer) {
    if (released) {
      inner.free(buffer);
      return;
    }
    if (buffer.markFreed()) {
      long size = sizeClass(buffer.bytes);
      free.computeIfAbsent(size, b -> new ArrayDeque<>()).push(buffer.address);
      keptBytes += size;
    }
  }

  /** Bytes freed and kept for reuse. */
  synchronized long keptBytes() {
    return keptBytes;
  }

  /** Frees the kept memory on the device; later frees go straight to it. */
  synchronized void release() {
    released = true;
    free.forEach((bytes, addresses) -> {
      for (long address : addresses) {
        inner.free(new DeviceBuffer(address, bytes));
      }
    });
    free.clear();
    keptBytes = 0;
  }

  @Override
  public void zero(DeviceBuffer buffer, long offset, long bytes) {
    inner.zero(buffer, offset, bytes);
  }

  @Override
  public void upload(DeviceBuffer dst, long offset, ByteBuffer src) {
    inner.upload(dst, offset, src);
  }

  @Override
  public void download(ByteBuffer dst, DeviceBuffer src, long offset) {
    inner.download(dst, src, offset);
  }

  @Override
  public void launch(Launch launch) {
    inner.launch(launch);
  }

  @Override
  public void gemm(Gemm gemm) {
    inner.gemm(gemm);
  }

  @Override
  public void synchronize() {
    inner.synchronize();
  }

  @Override
  public String description() {
    return inner.description();
  }

  @Override
  public void close() {
    release();
    inner.close();
  }
}
