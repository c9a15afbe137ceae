package io.roberta.engine.cuda;

import io.roberta.engine.kernels.Tensor;
import java.util.Arrays;

/**
 * A tensor in GPU memory. An fp32 tensor that a bf16 product reads (a master weight) keeps a
 * bf16 copy, remade only when the tensor was written since ({@link #version}); AdamW refreshes
 * the copy as it updates the weight.
 */
final class CudaTensor implements Tensor {
  final CudaKernels owner;
  final long[] shape;
  final long size;
  final DType type;
  final Buffers buffers;
  long version;
  long copyVersion = -1;
  /**
   * The tensor's values are its stored elements times this. 1 except for a dropout mask, which
   * stores keep bits (0 or 1, exact in bf16) and keeps {@code 1/(1-p)} here in fp32; only {@code
   * multiply}, attention and downloads read such a tensor. Any write sets it back to 1.
   */
  float scale = 1f;
  /**
   * The tensor is all zeros but its memory is not yet: set by {@code zeros()} and {@code fill(0)};
   * the memset is issued only when something reads the tensor before a kernel has overwritten all
   * of it (most activations are created as zeros and then written whole).
   */
  boolean pendingZero;

  /** The device memory of a tensor, shared with its cleanup action (which must not see the tensor). */
  static final class Buffers {
    final DeviceBuffer main;
    volatile DeviceBuffer copy;

    Buffers(DeviceBuffer main) {
      this.main = main;
    }

    void free(Device device) {
      device.free(main);
      DeviceBuffer c = copy;
      if (c != null) {
        device.free(c);
      }
    }
  }

  CudaTensor(CudaKernels owner, long[] shape, DType type, Buffers buffers) {
    this.owner = owner;
    this.shape = shape.clone();
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    this.size = n;
    this.type = type;
    this.buffers = buffers;
  }

  DeviceBuffer buffer() {
    return buffers.main;
  }

  long bytes() {
    return size * type.bytes;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public long dim(int dim) {
    return shape[dim];
  }

  @Override
  public int rank() {
    return shape.length;
  }

  @Override
  public String toString() {
    return "CudaTensor" + Arrays.toString(shape) + " " + type;
  }
}
