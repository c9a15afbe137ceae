package io.roberta.engine.bench;

import io.roberta.engine.kernels.Kernels;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Wall time per kernel operation: wraps a backend so that every call of a {@link Kernels} method
 * is timed and counted. A kernel that returns before its device work ends (a GPU backend) is
 * timed as queued, not as run; on the CPU backend every call is synchronous.
 *
 * <pre>{@code
 * KernelProfile profile = new KernelProfile(kernels);
 * RobertaForMaskedLM model = new RobertaForMaskedLM(spec, profile.kernels());
 * ... steps ...
 * profile.print(out);
 * }</pre>
 */
public final class KernelProfile {
  private final Kernels timed;
  private final Map<String, long[]> totals = new TreeMap<>(); // name -> {calls, nanos}
  private long depth;

  public KernelProfile(Kernels backend) {
    InvocationHandler handler = (proxy, method, args) -> invoke(backend, method, args);
    this.timed = (Kernels) Proxy.newProxyInstance(
        Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class}, handler);
  }

  private Object invoke(Kernels backend, Method method, Object[] args) throws Throwable {
    boolean outer = depth++ == 0; // default methods call other kernels: count the outer one only
    long start = System.nanoTime();
    try {
      // a default method the backend does not override runs on the proxy, so the kernels it
      // calls are timed too; one it overrides (release, close, empty...) must reach the backend
      return method.isDefault() && backend.getClass().getMethod(method.getName(), method.getParameterTypes()).isDefault()
          ? InvocationHandler.invokeDefault(timed, method, args)
          : method.invoke(backend, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } finally {
      depth--;
      if (outer) {
        long[] t = totals.computeIfAbsent(method.getName(), n -> new long[2]);
        t[0]++;
        t[1] += System.nanoTime() - start;
      }
    }
  }

  /** The timed backend; build the model on it. */
  public Kernels kernels() {
    return timed;
  }

  /** Forgets what was measured (after a warm-up). */
  public void reset() {
    totals.clear();
  }

  /** Operations by total time, largest first, with their share of {@code wallSeconds}. */
  public void print(PrintWriter out, double wallSeconds) {
    List<Map.Entry<String, long[]>> rows = new ArrayList<>(totals.entrySet());
    rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
    double kernelSeconds = 0;
    for (Map.Entry<String, long[]> e : rows) {
      kernelSeconds += e.getValue()[1] * 1e-9;
    }
    out.printf(Locale.ROOT, "%-22s %8s %10s %7s%n", "kernel", "calls", "seconds", "share");
    for (Map.Entry<String, long[]> e : rows) {
      double s = e.getValue()[1] * 1e-9;
      out.printf(Locale.ROOT, "%-22s %8d %10.3f %6.1f%%%n", e.getKey(), e.getValue()[0], s,
          100 * s / wallSeconds);
    }
    out.printf(Locale.ROOT, "%-22s %8s %10.3f %6.1f%% (outside kernels: model code, scopes)%n",
        "(not in a kernel)", "", wallSeconds - kernelSeconds,
        100 * (wallSeconds - kernelSeconds) / wallSeconds);
  }
}
