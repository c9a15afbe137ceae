package io.roberta.engine.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor as stored in a safetensors file: element type, shape and the raw little-endian
 * bytes. Conversions to Java arrays are explicit so a load never changes bits silently.
 *
 * <pre>{@code float[] w = file.tensor("lm_head.bias").toFloats();}</pre>
 */
public record TensorData(DType dtype, long[] shape, byte[] data) {

  public TensorData {
    shape = shape.clone();
    long n = elementCount(shape);
    if (n * dtype.bytes() != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + n * dtype.bytes()
              + " bytes, got " + data.length);
    }
  }

  /** Number of elements of a shape ({@code 1} for a scalar). */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long elementCount() {
    return elementCount(shape);
  }

  private ByteBuffer buffer() {
    return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }

  public static TensorData ofFloats(float[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new TensorData(DType.F32, shape, b.array());
  }

  public static TensorData ofLongs(long[] values, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new TensorData(DType.I64, shape, b.array());
  }

  /** Elements as floats: F32 as is, F16 and BF16 widened exactly; integers rejected. */
  public float[] toFloats() {
    int n = Math.toIntExact(elementCount());
    float[] out = new float[n];
    ByteBuffer b = buffer();
    switch (dtype) {
      case F32 -> b.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = halfToFloat(b.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
        }
      }
      default -> throw new IllegalStateException(dtype + " tensor is not floating point");
    }
    return out;
  }

  /** Elements as longs: I64 and I32; floating types rejected. */
  public long[] toLongs() {
    int n = Math.toIntExact(elementCount());
    long[] out = new long[n];
    ByteBuffer b = buffer();
    switch (dtype) {
      case I64 -> b.asLongBuffer().get(out);
      case I32 -> {
        for (int i = 0; i < n; i++) {
          out[i] = b.getInt(4 * i);
        }
      }
      default -> throw new IllegalStateException(dtype + " tensor is not an integer tensor");
    }
    return out;
  }

  /** Elements as ints (I64 values must fit). */
  public int[] toInts() {
    long[] values = toLongs();
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Math.toIntExact(values[i]);
    }
    return out;
  }

  /** IEEE 754 half precision to float, subnormals, infinities and NaN included. */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      if (mantissa == 0) {
        return Float.intBitsToFloat(sign);
      }
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorData t
        && t.dtype == dtype
        && Arrays.equals(t.shape, shape)
        && Arrays.equals(t.data, data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape);
  }
}
