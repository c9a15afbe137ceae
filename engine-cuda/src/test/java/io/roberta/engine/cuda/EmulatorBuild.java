package io.roberta.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the kernel emulator: the backend's real {@code .cu} sources compiled with the host C++
 * compiler against {@code cuda_emu.h}, into one helper program per variant (plain, ASan+UBSan,
 * TSan), cached under {@code target/cuda-emulator/} by a hash of every input.
 *
 * <p>The sources are copied unchanged except for shared-memory declarations, which C++ has no
 * word for: {@code extern __shared__ float acc[];} becomes a pointer to the launch's dynamic
 * shared memory, and each static {@code __shared__} array is registered so that it is refilled
 * with garbage before every block. Line numbers stay the same.
 */
final class EmulatorBuild {
  static final String RESOURCES = "io/roberta/engine/cuda/emulator/";
  static final Path CACHE = Path.of("target/cuda-emulator");
  /** Kernels with deliberate defects that the emulator's own tests launch; not part of the backend. */
  static final String SELFTEST = "emu_selftest.cu";

  /** How the emulator is compiled. */
  enum Variant {
    PLAIN(List.of("-O2", "-g0")),
    ASAN_UBSAN(List.of("-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
        "-fno-omit-frame-pointer")),
    TSAN(List.of("-O1", "-g", "-fsanitize=thread"));

    final List<String> flags;

    Variant(List<String> flags) {
      this.flags = flags;
    }
  }

  private static final Pattern KERNEL =
      Pattern.compile("extern\\s+\"C\"\\s+__global__\\s+void\\s+(\\w+)\\s*\\(([^)]*)\\)");
  private static final Pattern DYNAMIC_SHARED =
      Pattern.compile("extern\\s+__shared__\\s+(\\w+)\\s+(\\w+)\\s*\\[\\s*\\]\\s*;");
  private static final Pattern STATIC_SHARED =
      Pattern.compile("(__shared__\\s+\\w+\\s+(\\w+)\\s*(?:\\[[^\\]]+\\]\\s*)+;)");

  private EmulatorBuild() {}

  /** The host C++ compiler: {@code $CXX}, else g++, c++ or clang++ on the PATH; empty if none. */
  static Optional<Path> compiler() {
    String cxx = System.getenv("CXX");
    if (cxx != null && !cxx.isBlank()) {
      Path p = Path.of(cxx);
      if (p.isAbsolute() && Files.isExecutable(p)) {
        return Optional.of(p);
      }
      Optional<Path> onPath = onPath(cxx);
      if (onPath.isPresent()) {
        return onPath;
      }
    }
    for (String name : new String[] {"g++", "c++", "clang++"}) {
      Optional<Path> p = onPath(name);
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  private static Optional<Path> onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Optional.of(Path.of(dir, name));
      }
    }
    return Optional.empty();
  }

  /** The emulator program of {@code variant}, compiled now unless an identical build is cached. */
  static synchronized Path binary(Variant variant) {
    Path cxx = compiler().orElseThrow(() -> new IllegalStateException(
        "no C++ compiler (set CXX, or put g++, c++ or clang++ on the PATH) to build the CUDA kernel emulator"));
    Map<String, String> files = sources();
    List<String> command = new ArrayList<>(List.of(cxx.toString(), "-std=c++17", "-U_FORTIFY_SOURCE", "-w"));
    command.addAll(variant.flags);
    String hash = hash(files, command);
    Path dir = CACHE.resolve(variant.name().toLowerCase() + "-" + hash);
    Path exe = dir.resolve("cuda-emulator");
    if (Files.isExecutable(exe)) {
      return exe;
    }
    try {
      Files.createDirectories(dir);
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(dir.resolve(f.getKey()), f.getValue());
      }
      Path tmp = dir.resolve("cuda-emulator.tmp");
      command.addAll(List.of("-I", dir.toString(), "-o", tmp.toString(), dir.resolve("emu_main.cpp").toString()));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("building the CUDA kernel emulator failed (" + String.join(" ", command)
            + "):\n" + log);
      }
      Files.move(tmp, exe, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return exe;
    } catch (IOException e) {
      throw new UncheckedIOException("building the CUDA kernel emulator in " + dir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while building the CUDA kernel emulator", e);
    }
  }

  /** Every file of the build, by name: the emulator, the rewritten kernels and the generated tables. */
  static Map<String, String> sources() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("cuda_emu.h", resource("cuda_emu.h"));
    files.put("emu_main.cpp", resource("emu_main.cpp"));
    files.put(KernelSources.HEADER, rewrite(KernelSources.read(KernelSources.HEADER)));
    StringBuilder includes = new StringBuilder();
    StringBuilder trampolines = new StringBuilder();
    StringBuilder table = new StringBuilder("static const KernelEntry KERNELS[] = {\n");
    List<String> kernelFiles = new ArrayList<>(KernelSources.FILES);
    kernelFiles.add(SELFTEST);
    for (String file : kernelFiles) {
      String source = file.equals(SELFTEST) ? resource(SELFTEST) : KernelSources.read(file);
      files.put(file, rewrite(source));
      includes.append("#include \"").append(file).append("\"\n");
      Matcher m = KERNEL.matcher(source);
      while (m.find()) {
        String name = m.group(1);
        trampolines.append("void call_").append(name).append("(const uint64_t* a) {\n  ").append(name).append('(');
        String list = m.group(2).replaceAll("\\s+", " ").trim();
        String[] params = list.isEmpty() ? new String[0] : list.split(",");
        for (int i = 0; i < params.length; i++) {
          String param = params[i].trim();
          String type = param.substring(0, param.length() - identifier(param).length()).trim();
          trampolines.append(i == 0 ? "" : ", ").append(argument(type, i));
        }
        trampolines.append(");\n}\n");
        table.append("    {\"").append(name).append("\", call_").append(name).append("},\n");
      }
    }
    files.put("emu_kernels.inc", includes.toString());
    files.put("emu_dispatch.inc", trampolines + table.toString() + "};\n");
    return files;
  }

  private static String identifier(String param) {
    Matcher m = Pattern.compile("(\\w+)$").matcher(param);
    if (!m.find()) {
      throw new IllegalStateException("kernel parameter without a name: " + param);
    }
    return m.group(1);
  }

  /** The C++ expression that turns argument slot {@code i} (64 bits, as the driver's slots) into {@code type}. */
  private static String argument(String type, int i) {
    if (type.contains("*")) {
      return "(" + type + ") (uintptr_t) a[" + i + "]";
    }
    return switch (type.replace("const ", "").trim()) {
      case "int" -> "(int) (uint32_t) a[" + i + "]";
      case "float" -> "f32_of(a[" + i + "])";
      case "i64", "long long" -> "(long long) a[" + i + "]";
      case "unsigned long long" -> "(unsigned long long) a[" + i + "]";
      default -> throw new IllegalStateException("kernel parameter type " + type + " is not emulated");
    };
  }

  /** The CUDA source with its shared-memory declarations made C++ (same lines). */
  static String rewrite(String source) {
    String s = DYNAMIC_SHARED.matcher(source).replaceAll("$1* $2 = ($1*) ::emu::dynamic_shared();");
    return STATIC_SHARED.matcher(s).replaceAll("$1 ::emu::note_shared($2, sizeof($2));");
  }

  /** The signatures of the backend's kernels and of the self-test kernels. */
  static KernelSignatures signatures() {
    KernelSignatures s = KernelSignatures.load();
    s.add(SELFTEST, resource(SELFTEST));
    return s;
  }

  private static String resource(String name) {
    try (InputStream in = EmulatorBuild.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCES + name + " is not on the test class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String hash(Map<String, String> files, List<String> command) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(String.join(" ", command).getBytes(StandardCharsets.UTF_8));
      for (Map.Entry<String, String> f : files.entrySet()) {
        d.update(f.getKey().getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
        d.update(f.getValue().getBytes(StandardCharsets.UTF_8));
        d.update((byte) 0);
      }
      return HexFormat.of().formatHex(d.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
