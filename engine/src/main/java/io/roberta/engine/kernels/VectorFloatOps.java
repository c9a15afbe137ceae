package io.roberta.engine.kernels;

import static io.roberta.engine.kernels.ScalarFloatOps.E0;
import static io.roberta.engine.kernels.ScalarFloatOps.E1;
import static io.roberta.engine.kernels.ScalarFloatOps.E2;
import static io.roberta.engine.kernels.ScalarFloatOps.E3;
import static io.roberta.engine.kernels.ScalarFloatOps.E4;
import static io.roberta.engine.kernels.ScalarFloatOps.E5;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_A1;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_A2;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_A3;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_A4;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_A5;
import static io.roberta.engine.kernels.ScalarFloatOps.ERF_P;
import static io.roberta.engine.kernels.ScalarFloatOps.EXP_HI;
import static io.roberta.engine.kernels.ScalarFloatOps.EXP_LO;
import static io.roberta.engine.kernels.ScalarFloatOps.INV_SQRT2;
import static io.roberta.engine.kernels.ScalarFloatOps.INV_SQRT_2PI;
import static io.roberta.engine.kernels.ScalarFloatOps.LANES;
import static io.roberta.engine.kernels.ScalarFloatOps.LN2_HI;
import static io.roberta.engine.kernels.ScalarFloatOps.LN2_LO;
import static io.roberta.engine.kernels.ScalarFloatOps.LOG2E;
import static io.roberta.engine.kernels.ScalarFloatOps.ROUND;
import static io.roberta.engine.kernels.ScalarFloatOps.ROUND_BITS;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ScalarFloatOps}' arithmetic eight lanes at a time (256-bit vectors): the same operations
 * in the same order per lane, and row sums in the same eight-partial layout, so the results are
 * identical to the scalar ones. Loaded only when the JVM has {@code jdk.incubator.vector}.
 */
final class VectorFloatOps implements FloatOps, FloatOps.VectorCapable {

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

  private final ScalarFloatOps tail = new ScalarFloatOps();

  @Override
  public boolean usable() {
    // narrower hardware would run 256-bit vectors in Java code, far slower than scalar
    return S.length() == LANES
        && FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
  }

  // Every method here takes and returns arrays and floats, never vectors: a vector that crosses
  // a call the JIT did not inline is boxed, which costs a hundred times the arithmetic. Hence
  // exp and erf are loops over arrays, not functions of a vector.

  /** {@code a[i] = exp(a[i])} over {@code [off, off + n)}, {@code n} a multiple of 8. */
  private static void expInPlace(float[] a, int off, int n) {
    for (int i = off; i < off + n; i += LANES) {
      FloatVector x = FloatVector.fromArray(S, a, i);
      FloatVector xc = x.lanewise(VectorOperators.MAX, EXP_LO).lanewise(VectorOperators.MIN, EXP_HI);
      FloatVector t = xc.mul(LOG2E).add(ROUND);
      FloatVector nf = t.sub(ROUND);
      FloatVector r = xc.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));
      FloatVector p = r.mul(E0).add(E1);
      p = p.mul(r).add(E2);
      p = p.mul(r).add(E3);
      p = p.mul(r).add(E4);
      p = p.mul(r).add(E5);
      p = p.mul(r.mul(r)).add(r).add(1f);
      IntVector bits = t.reinterpretAsInts().sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23);
      p.mul(bits.reinterpretAsFloats()).blend(0f, x.compare(VectorOperators.LT, EXP_LO))
          .intoArray(a, i);
    }
  }

  /**
   * {@code e[eOff + i] = exp(-(u * u))}, {@code u = x[xOff + i] / sqrt 2}, for {@code i < n}
   * ({@code n} a multiple of 8): the exponential erf and the normal density share.
   */
  private static void gaussianExp(float[] x, int xOff, float[] e, int eOff, int n) {
    for (int i = 0; i < n; i += LANES) {
      FloatVector u = FloatVector.fromArray(S, x, xOff + i).mul(INV_SQRT2);
      u.mul(u).neg().intoArray(e, eOff + i);
    }
    expInPlace(e, eOff, n);
  }

  /**
   * {@code c[cOff + i] = 0.5 (1 + erf(u))}, {@code u = x[xOff + i] / sqrt 2}, given {@code
   * e[eOff + i] = exp(-(u * u))} (may be {@code c}), for {@code i < n}, a multiple of 8.
   */
  private static void normalCdf(float[] x, int xOff, float[] e, int eOff, float[] c, int cOff,
      int n) {
    for (int i = 0; i < n; i += LANES) {
      FloatVector u = FloatVector.fromArray(S, x, xOff + i).mul(INV_SQRT2);
      FloatVector au = u.abs();
      FloatVector t = FloatVector.broadcast(S, 1f).div(au.mul(ERF_P).add(1f));
      FloatVector r = t.mul(ERF_A5).add(ERF_A4);
      r = r.mul(t).add(ERF_A3);
      r = r.mul(t).add(ERF_A2);
      r = r.mul(t).add(ERF_A1);
      FloatVector y = FloatVector.broadcast(S, 1f)
          .sub(t.mul(r).mul(FloatVector.fromArray(S, e, eOff + i)));
      y = y.blend(y.neg(), u.compare(VectorOperators.LT, 0f));
      y.add(1f).mul(0.5f).intoArray(c, cOff + i);
    }
  }

  /**
   * One pass, one loop body, no call and no array between the steps: the exponential, erf and
   * product of {@link ScalarFloatOps#gelu(float)} lane by lane (the same operations in the same
   * order). Written out in full because this is the hottest row kernel, and a loop that hands its
   * intermediates through arrays to {@link #expInPlace} ran three times slower inside the model
   * than alone (JIT profiles shared with the other kernels), with gigabytes of boxed vectors.
   */
  @Override
  public void gelu(float[] x, float[] y, int off, int n) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector v = FloatVector.fromArray(S, x, i);
      FloatVector u = v.mul(INV_SQRT2);
      // e = exp(-(u * u)), as ScalarFloatOps.exp
      FloatVector a = u.mul(u).neg();
      FloatVector xc = a.lanewise(VectorOperators.MAX, EXP_LO).lanewise(VectorOperators.MIN, EXP_HI);
      FloatVector t = xc.mul(LOG2E).add(ROUND);
      FloatVector nf = t.sub(ROUND);
      FloatVector r = xc.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));
      FloatVector p = r.mul(E0).add(E1);
      p = p.mul(r).add(E2);
      p = p.mul(r).add(E3);
      p = p.mul(r).add(E4);
      p = p.mul(r).add(E5);
      p = p.mul(r.mul(r)).add(r).add(1f);
      FloatVector twoToN = t.reinterpretAsInts().sub(ROUND_BITS - 127)
          .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
      FloatVector e = p.mul(twoToN).blend(0f, a.compare(VectorOperators.LT, EXP_LO));
      // erf(u) given e, as ScalarFloatOps.erf
      FloatVector tt = FloatVector.broadcast(S, 1f).div(u.abs().mul(ERF_P).add(1f));
      FloatVector q = tt.mul(ERF_A5).add(ERF_A4);
      q = q.mul(tt).add(ERF_A3);
      q = q.mul(tt).add(ERF_A2);
      q = q.mul(tt).add(ERF_A1);
      FloatVector erf = FloatVector.broadcast(S, 1f).sub(tt.mul(q).mul(e));
      erf = erf.blend(erf.neg(), u.compare(VectorOperators.LT, 0f));
      v.mul(0.5f).mul(erf.add(1f)).intoArray(y, i);
    }
    tail.gelu(x, y, off + body, n - body);
  }

  @Override
  public void geluBackward(float[] x, float[] g, int off, int n) {
    int body = S.loopBound(n);
    int block = 1024;
    float[] es = new float[Math.min(body, block)];
    float[] cdf = new float[es.length];
    for (int start = off; start < off + body; start += block) {
      int len = Math.min(block, off + body - start);
      gaussianExp(x, start, es, 0, len);
      normalCdf(x, start, es, 0, cdf, 0, len);
      for (int i = 0; i < len; i += LANES) {
        FloatVector v = FloatVector.fromArray(S, x, start + i);
        FloatVector pdf = FloatVector.fromArray(S, es, i).mul(INV_SQRT_2PI);
        FloatVector slope = FloatVector.fromArray(S, cdf, i).add(v.mul(pdf));
        FloatVector.fromArray(S, g, start + i).mul(slope).intoArray(g, start + i);
      }
    }
    tail.geluBackward(x, g, off + body, n - body);
  }

  /** The fixed-layout sum of {@code x[i] * y[i]} ({@code y} null: of {@code x[i]}). */
  private static float sum(float[] x, float[] y, int off, int n) {
    int body = S.loopBound(n);
    FloatVector acc = FloatVector.zero(S);
    if (y == null) {
      for (int i = off; i < off + body; i += LANES) {
        acc = acc.add(FloatVector.fromArray(S, x, i));
      }
    } else {
      for (int i = off; i < off + body; i += LANES) {
        acc = acc.add(FloatVector.fromArray(S, x, i).mul(FloatVector.fromArray(S, y, i)));
      }
    }
    float[] part = new float[LANES];
    acc.intoArray(part, 0);
    float s = 0f;
    for (float p : part) {
      s += p;
    }
    for (int i = off + body; i < off + n; i++) {
      s += y == null ? x[i] : x[i] * y[i];
    }
    return s;
  }

  @Override
  public float rowMax(float[] x, int off, int n) {
    int body = S.loopBound(n);
    float m = Float.NEGATIVE_INFINITY;
    if (body > 0) {
      FloatVector mv = FloatVector.fromArray(S, x, off);
      for (int i = off + LANES; i < off + body; i += LANES) {
        mv = mv.max(FloatVector.fromArray(S, x, i));
      }
      m = mv.reduceLanes(VectorOperators.MAX); // exact in any order
    }
    for (int i = off + body; i < off + n; i++) {
      m = Math.max(m, x[i]);
    }
    return m;
  }

  @Override
  public void expShifted(float[] x, int off, int n, float m) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector.fromArray(S, x, i).sub(m).intoArray(x, i);
    }
    expInPlace(x, off, body);
    tail.expShifted(x, off + body, n - body, m);
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
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector.fromArray(S, x, i).mul(f).intoArray(y, i);
    }
    tail.scale(x, y, off + body, n - body, f);
  }

  @Override
  public void addScalar(float[] x, float c, float[] y, int off, int n) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector.fromArray(S, x, i).add(c).intoArray(y, i);
    }
    tail.addScalar(x, c, y, off + body, n - body);
  }

  @Override
  public void multiplyAdd(float[] x, float[] y, float[] acc, int off, int n) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector prod = FloatVector.fromArray(S, x, i).mul(FloatVector.fromArray(S, y, i));
      FloatVector.fromArray(S, acc, i).add(prod).intoArray(acc, i);
    }
    tail.multiplyAdd(x, y, acc, off + body, n - body);
  }

  @Override
  public void add(float[] x, float[] y, float[] z, int off, int n) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector.fromArray(S, x, i).add(FloatVector.fromArray(S, y, i)).intoArray(z, i);
    }
    tail.add(x, y, z, off + body, n - body);
  }

  @Override
  public void multiply(float[] x, float[] y, float[] z, int off, int n) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector.fromArray(S, x, i).mul(FloatVector.fromArray(S, y, i)).intoArray(z, i);
    }
    tail.multiply(x, y, z, off + body, n - body);
  }

  @Override
  public void softmaxGrad(float[] g, float[] p, int off, int n, float dot, float scale) {
    int body = S.loopBound(n);
    for (int i = off; i < off + body; i += LANES) {
      FloatVector pv = FloatVector.fromArray(S, p, i);
      pv.mul(FloatVector.fromArray(S, g, i).sub(dot)).mul(scale).intoArray(g, i);
    }
    tail.softmaxGrad(g, p, off + body, n - body, dot, scale);
  }
}
