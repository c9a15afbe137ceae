package io.roberta.engine.kernels;

/**
 * {@link FloatOps} in plain Java, one element at a time. It is also the specification of the
 * vectorized implementation: every method there performs these operations in this order, lane
 * by lane, so both give the same bytes.
 */
final class ScalarFloatOps implements FloatOps {

  /** Partial sums of a row reduction: element {@code i} of a row goes into partial {@code i % 8}. */
  static final int LANES = 8;

  static final float LOG2E = 1.44269504088896341f;
  static final float LN2_HI = 0.693359375f; // exact in 9 bits: n * LN2_HI is exact for |n| < 2^15
  static final float LN2_LO = -2.12194440e-4f;
  /** Below this, exp underflows the normal range: the result is 0. */
  static final float EXP_LO = -87.33654f;
  /** Inputs are clamped here, so that 2^n stays finite (every caller passes x <= 0). */
  static final float EXP_HI = 88.0f;
  /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
  static final float ROUND = 12582912f;
  static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
  static final float E0 = 1.9875691500e-4f;
  static final float E1 = 1.3981999507e-3f;
  static final float E2 = 8.3334519073e-3f;
  static final float E3 = 4.1665795894e-2f;
  static final float E4 = 1.6666665459e-1f;
  static final float E5 = 5.0000001201e-1f;

  static final float ERF_P = 0.3275911f;
  static final float ERF_A1 = 0.254829592f;
  static final float ERF_A2 = -0.284496736f;
  static final float ERF_A3 = 1.421413741f;
  static final float ERF_A4 = -1.453152027f;
  static final float ERF_A5 = 1.061405429f;

  static final float INV_SQRT2 = 0.70710678118654752f;
  static final float INV_SQRT_2PI = 0.39894228040143268f;

  static float exp(float x) {
    float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
    float n = (xc * LOG2E + ROUND) - ROUND;
    float r = (xc - n * LN2_HI) - n * LN2_LO;
    float p = E0 * r + E1;
    p = p * r + E2;
    p = p * r + E3;
    p = p * r + E4;
    p = p * r + E5;
    p = (p * (r * r) + r) + 1f;
    // n's integer value from the rounded sum's bits (ROUND's exponent leaves n in the low bits)
    int ni = Float.floatToRawIntBits(xc * LOG2E + ROUND) - ROUND_BITS;
    float twoToN = Float.intBitsToFloat((ni + 127) << 23);
    return x < EXP_LO ? 0f : p * twoToN;
  }

  static float erf(float x) {
    return erf(x, exp(-(x * x)));
  }

  /** erf(x) given {@code e = exp(-(x * x))} (the GELU backward reuses it for the density). */
  static float erf(float x, float e) {
    float ax = Math.abs(x);
    float t = 1f / (ERF_P * ax + 1f);
    float r = ERF_A5 * t + ERF_A4;
    r = r * t + ERF_A3;
    r = r * t + ERF_A2;
    r = r * t + ERF_A1;
    float y = 1f - (t * r) * e;
    return x < 0f ? -y : y;
  }

  static float gelu(float x) {
    return (0.5f * x) * (1f + erf(x * INV_SQRT2));
  }

  /** Phi(x) + x phi(x), with phi(x) = exp(-u^2) / sqrt(2 pi), u = x / sqrt 2: one exp for both. */
  static float geluSlope(float x) {
    float u = x * INV_SQRT2;
    float e = exp(-(u * u));
    float cdf = 0.5f * (1f + erf(u, e));
    return cdf + x * (INV_SQRT_2PI * e);
  }

  @Override
  public void gelu(float[] x, float[] y, int off, int n) {
    for (int i = off; i < off + n; i++) {
      y[i] = gelu(x[i]);
    }
  }

  @Override
  public void geluBackward(float[] x, float[] g, int off, int n) {
    for (int i = off; i < off + n; i++) {
      g[i] = g[i] * geluSlope(x[i]);
    }
  }

  static float max(float[] x, int off, int n) {
    float m = Float.NEGATIVE_INFINITY;
    for (int i = off; i < off + n; i++) {
      m = Math.max(m, x[i]);
    }
    return m;
  }

  /** The fixed-layout sum of {@code x[i] * y[i]} ({@code y} null: of {@code x[i]}). */
  static float sum(float[] x, float[] y, int off, int n) {
    float[] part = new float[LANES];
    int body = n - n % LANES;
    for (int i = 0; i < body; i++) {
      part[i % LANES] += y == null ? x[off + i] : x[off + i] * y[off + i];
    }
    return combine(part, x, y, off + body, n - body);
  }

  /** The partials in order, then the tail elements in order. */
  static float combine(float[] part, float[] x, float[] y, int tailOff, int tail) {
    float s = 0f;
    for (float p : part) {
      s += p;
    }
    for (int i = tailOff; i < tailOff + tail; i++) {
      s += y == null ? x[i] : x[i] * y[i];
    }
    return s;
  }

  @Override
  public float rowMax(float[] x, int off, int n) {
    return max(x, off, n);
  }

  @Override
  public void expShifted(float[] x, int off, int n, float m) {
    for (int i = off; i < off + n; i++) {
      x[i] = exp(x[i] - m);
    }
  }

  @Override
  public float sum(float[] x, int off, int n) {
    return sum(x, null, off, n);
  }

  @Override
  public float dot(float[] x, float[] y, int off, int n) {
    return sum(x, y, off, n);
  }

  @Override
  public void scale(float[] x, float[] y, int off, int n, float f) {
    for (int i = off; i < off + n; i++) {
      y[i] = x[i] * f;
    }
  }

  @Override
  public void addScalar(float[] x, float c, float[] y, int off, int n) {
    for (int i = off; i < off + n; i++) {
      y[i] = x[i] + c;
    }
  }

  @Override
  public void multiplyAdd(float[] x, float[] y, float[] acc, int off, int n) {
    for (int i = off; i < off + n; i++) {
      acc[i] = acc[i] + x[i] * y[i];
    }
  }

  @Override
  public void add(float[] x, float[] y, float[] z, int off, int n) {
    for (int i = off; i < off + n; i++) {
      z[i] = x[i] + y[i];
    }
  }

  @Override
  public void multiply(float[] x, float[] y, float[] z, int off, int n) {
    for (int i = off; i < off + n; i++) {
      z[i] = x[i] * y[i];
    }
  }

  @Override
  public void softmaxGrad(float[] g, float[] p, int off, int n, float dot, float scale) {
    for (int i = off; i < off + n; i++) {
      g[i] = (p[i] * (g[i] - dot)) * scale;
    }
  }
}
