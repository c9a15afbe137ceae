package io.roberta.engine.cuda;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameter lists of every {@code extern "C" __global__} function in the kernel sources, read
 * from the sources themselves, so a launch whose arguments drift from its kernel fails on any
 * machine, GPU or not.
 */
final class KernelSignatures {

  /** How a parameter is passed: a pointer or a scalar of 32 or 64 bits. */
  enum Kind {
    PTR,
    I32,
    I64,
    F32
  }

  private static final Pattern KERNEL =
      Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");

  private final Map<String, List<Kind>> kernels = new LinkedHashMap<>();
  private final Map<String, String> fileOf = new LinkedHashMap<>();

  /** The signatures of every kernel file of {@link KernelSources}. */
  static KernelSignatures load() {
    KernelSignatures s = new KernelSignatures();
    for (String file : KernelSources.FILES) {
      s.add(file, KernelSources.read(file));
    }
    return s;
  }

  void add(String file, String source) {
    Matcher m = KERNEL.matcher(source);
    while (m.find()) {
      String name = m.group(1);
      if (kernels.containsKey(name)) {
        throw new IllegalStateException("kernel " + name + " defined in " + fileOf.get(name) + " and " + file);
      }
      List<Kind> params = new ArrayList<>();
      String list = m.group(2).replaceAll("\\s+", " ").trim();
      if (!list.isEmpty()) {
        for (String p : list.split(",")) {
          params.add(kind(p.trim(), name));
        }
      }
      kernels.put(name, Collections.unmodifiableList(params));
      fileOf.put(name, file);
    }
  }

  static Kind kind(String param, String kernel) {
    if (param.contains("*")) {
      return Kind.PTR;
    }
    String type = param.substring(0, param.lastIndexOf(' ')).replace("const ", "").trim();
    switch (type) {
      case "int":
        return Kind.I32;
      case "i64":
      case "long long":
      case "unsigned long long":
        return Kind.I64;
      case "float":
        return Kind.F32;
      default:
        throw new IllegalStateException("kernel " + kernel + ": parameter '" + param + "' of an unsupported type");
    }
  }

  List<Kind> parameters(String kernel) {
    List<Kind> p = kernels.get(kernel);
    if (p == null) {
      throw new IllegalArgumentException("no kernel named " + kernel + " in " + KernelSources.FILES);
    }
    return p;
  }

  /** Kernel names by file, in source order. */
  Map<String, List<String>> byFile() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    fileOf.forEach((k, f) -> out.computeIfAbsent(f, x -> new ArrayList<>()).add(k));
    return out;
  }

  java.util.Set<String> names() {
    return Collections.unmodifiableSet(kernels.keySet());
  }
}
