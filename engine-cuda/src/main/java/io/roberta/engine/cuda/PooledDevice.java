package io.roberta.engine.cuda;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A device whose freed allocations are kept, by exact size, for the next allocation of that size:
 * a training step allocates the same sizes every time, so after the first step it allocates
 * nothing. Reuse is safe because all work runs in order on one stream: whatever used the memory
 * was issued before whatever reuses it. Every reuse gets a new {@link DeviceBuffer} and the old
 * one is marked freed, so a stale pointer still fails the launch checks. {@link #release()} gives
 * the kept memory back to the device.
 */
final class PooledDevice implements Device {
  private final Device inner;
  private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
  private long keptBytes;
  private boolean released;

  PooledDevice(Device inner) {
    this.inner = inner;
  }

  Device inner() {
    return inner;
  }

  @Override
  public synchronized DeviceBuffer allocate(long bytes) {
    ArrayDeque<Long> same = free.get(bytes);
    if (same != null && !same.isEmpty()) {
      keptBytes -= bytes;
      return new DeviceBuffer(same.pop(), bytes);
    }
    return inner.allocate(bytes);
  }

  @Override
  public synchronized void free(DeviceBuffer buffer) {
    if (released) {
      inner.free(buffer);
      return;
    }
    if (buffer.markFreed()) {
      free.computeIfAbsent(buffer.bytes, b -> new ArrayDeque<>()).push(buffer.address);
      keptBytes += buffer.bytes;
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
