package io.roberta.engine.kernels;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access to a contiguous ND4J array's native memory, without copies, for the row-wise
 * kernels ND4J has no fused op for (layer norm, embeddings, softmax backward). Arithmetic is in
 * double; fp32 arrays round once on store.
 */
abstract class HostBuffer {
  abstract double get(int i);

  abstract void set(int i, double v);

  final void add(int i, double v) {
    set(i, get(i) + v);
  }

  static HostBuffer of(INDArray a) {
    checkContiguous(a);
    int n = Math.toIntExact(a.length());
    if (a.dataType() == DataType.FLOAT) {
      FloatBuffer b = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
      return new Floats(b, n);
    }
    if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer b = a.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
      return new Doubles(b, n);
    }
    throw new IllegalStateException("kernel supports FLOAT and DOUBLE, got " + a.dataType());
  }

  /** Whether {@code a} is a contiguous row-major array at offset 0 (what the kernels here need). */
  static boolean contiguous(INDArray a) {
    return a.ordering() == 'c' && a.offset() == 0 && !a.isView() && a.elementWiseStride() == 1;
  }

  static void checkContiguous(INDArray a) {
    if (!contiguous(a)) {
      throw new IllegalStateException("kernel needs a contiguous row-major array, got "
          + a.shapeInfoToString());
    }
  }

  /**
   * A contiguous FLOAT array's native memory as a {@link FloatBuffer} (absolute bulk
   * {@code get}/{@code put} copy rows to and from {@code float[]} for {@link FloatOps}).
   */
  static FloatBuffer floats(INDArray a) {
    checkContiguous(a);
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalStateException("kernel wants FLOAT, got " + a.dataType());
    }
    FloatBuffer b = a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    if (b.capacity() < a.length()) {
      throw new IllegalStateException("native buffer of " + b.capacity() + " < " + a.length());
    }
    return b;
  }

  private static final class Floats extends HostBuffer {
    private final FloatBuffer b;

    Floats(FloatBuffer b, int n) {
      if (b.capacity() < n) {
        throw new IllegalStateException("native buffer of " + b.capacity() + " < " + n);
      }
      this.b = b;
    }

    @Override
    double get(int i) {
      return b.get(i);
    }

    @Override
    void set(int i, double v) {
      b.put(i, (float) v);
    }
  }

  private static final class Doubles extends HostBuffer {
    private final DoubleBuffer b;

    Doubles(DoubleBuffer b, int n) {
      if (b.capacity() < n) {
        throw new IllegalStateException("native buffer of " + b.capacity() + " < " + n);
      }
      this.b = b;
    }

    @Override
    double get(int i) {
      return b.get(i);
    }

    @Override
    void set(int i, double v) {
      b.put(i, v);
    }
  }
}
