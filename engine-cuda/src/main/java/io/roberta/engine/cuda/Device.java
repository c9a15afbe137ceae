package io.roberta.engine.cuda;

import java.nio.ByteBuffer;

/**
 * What {@link CudaKernels} needs of a GPU: memory, copies, kernel launches and cuBLAS products.
 * {@link JavaCppDevice} is the real one; {@link DryDevice} records and checks launches on a
 * machine without a GPU. Work is ordered as issued.
 */
interface Device extends AutoCloseable {

  /** A new allocation; its contents are undefined. */
  DeviceBuffer allocate(long bytes);

  /** Frees {@code buffer} (after the work already issued); a second free does nothing. */
  void free(DeviceBuffer buffer);

  /** Sets {@code bytes} bytes from {@code offset} to zero. */
  void zero(DeviceBuffer buffer, long offset, long bytes);

  /** Copies {@code src}'s remaining bytes (a direct buffer) to {@code offset} of {@code dst}. */
  void upload(DeviceBuffer dst, long offset, ByteBuffer src);

  /** Fills {@code dst}'s remaining bytes (a direct buffer) from {@code offset} of {@code src}; waits. */
  void download(ByteBuffer dst, DeviceBuffer src, long offset);

  void launch(Launch launch);

  void gemm(Gemm gemm);

  /** Waits for all issued work. */
  void synchronize();

  /**
   * Whether allocations should be exactly the size asked (a checking device, where a read past the
   * end must land outside the allocation); otherwise a pool may round sizes up to reuse memory.
   */
  default boolean exactAllocations() {
    return false;
  }

  /** The device in words: name, compute capability, library versions. */
  String description();

  @Override
  void close();
}
