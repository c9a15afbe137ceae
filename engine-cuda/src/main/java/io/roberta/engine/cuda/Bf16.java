package io.roberta.engine.cuda;

/**
 * bfloat16 on the host, bit for bit the same as {@code f_to_bf16} / {@code bf16_to_f} in {@code
 * common.cuh}: the upper 16 bits of an fp32, rounded to nearest even; NaN stays a quiet NaN.
 *
 * <pre>{@code short h = Bf16.fromFloat(1.1f); // 0x3f8d, which is 1.1015625}</pre>
 */
final class Bf16 {
  private Bf16() {}

  static short fromFloat(float f) {
    int u = Float.floatToRawIntBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) {
      return (short) ((u >>> 16) | 0x40);
    }
    u += 0x7fff + ((u >>> 16) & 1);
    return (short) (u >>> 16);
  }

  static float toFloat(short h) {
    return Float.intBitsToFloat((h & 0xffff) << 16);
  }

  /** {@code f} rounded to the nearest bf16 value. */
  static float round(float f) {
    return toFloat(fromFloat(f));
  }
}
