package io.roberta.engine.cuda;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * A {@link Device} whose kernels run in the CUDA kernel emulator (a helper process built by {@link
 * EmulatorBuild} from the real {@code .cu} sources), so that {@link CudaKernels} runs unchanged
 * (launch shapes, argument packing, buffers) and computes real numbers on a machine without a GPU.
 * Every launch and product is first checked as on the {@link DryDevice}; every command is answered
 * by the helper, so a fault is reported by the launch that caused it, naming the kernel.
 *
 * <pre>{@code
 * try (CudaKernels k = new CudaKernels(EmulatedDevice.openOrSkip(), KernelPrecision.BF16)) { ... }
 * }</pre>
 */
final class EmulatedDevice implements Device {

  /** The order in which the threads of a block run between barriers (and blocks of a grid). */
  enum Order {
    FORWARD,
    REVERSE,
    RANDOM
  }

  private final KernelSignatures signatures = EmulatorBuild.signatures();
  private final Process process;
  private final OutputStream out;
  private final InputStream in;
  private final Path stderr;
  private final String description;
  private long launches;
  private long gemms;
  private boolean dead;

  private EmulatedDevice(EmulatorBuild.Variant variant, Order order, long seed) {
    Path exe = EmulatorBuild.binary(variant);
    try {
      stderr = Files.createTempFile(EmulatorBuild.CACHE.toAbsolutePath(), "stderr-", ".txt");
      ProcessBuilder pb = new ProcessBuilder(exe.toString()).redirectError(stderr.toFile());
      if (variant == EmulatorBuild.Variant.TSAN) {
        pb.environment().put("TSAN_OPTIONS", "halt_on_error=1 exitcode=66 report_signal_unsafe=0");
      } else if (variant == EmulatorBuild.Variant.ASAN_UBSAN) {
        pb.environment().put("ASAN_OPTIONS", "detect_leaks=0 halt_on_error=1 detect_stack_use_after_return=0");
        pb.environment().put("UBSAN_OPTIONS", "print_stacktrace=1 halt_on_error=1");
      }
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("starting the CUDA kernel emulator " + exe, e);
    }
    out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
    in = new BufferedInputStream(process.getInputStream(), 1 << 16);
    description = "CUDA kernel emulator (" + variant.name().toLowerCase() + ", " + order.name().toLowerCase()
        + " thread order) on the CPU";
    ByteBuffer m = message('O', 9);
    m.put((byte) order.ordinal()).putLong(seed);
    send(m, "setting the thread order");
  }

  /** A plain emulator with threads in forward order. */
  static EmulatedDevice open() {
    return open(EmulatorBuild.Variant.PLAIN, Order.FORWARD, 1);
  }

  static EmulatedDevice open(EmulatorBuild.Variant variant, Order order, long seed) {
    return new EmulatedDevice(variant, order, seed);
  }

  /** {@link #open()}, or a JUnit assumption failure where this machine has no C++ compiler. */
  static EmulatedDevice openOrSkip() {
    return openOrSkip(EmulatorBuild.Variant.PLAIN, Order.FORWARD, 1);
  }

  static EmulatedDevice openOrSkip(EmulatorBuild.Variant variant, Order order, long seed) {
    Assumptions.assumeTrue(EmulatorBuild.compiler().isPresent(),
        "no C++ compiler here (CXX, g++, c++, clang++): the CUDA kernel emulator cannot be built");
    return open(variant, order, seed);
  }

  private static ByteBuffer message(char op, int bytes) {
    ByteBuffer b = ByteBuffer.allocate(1 + bytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) op);
    return b;
  }

  /** Sends a command and waits for its answer; throws with the helper's message or its last words. */
  private synchronized void send(ByteBuffer message, String what) {
    write(message.array(), 0, message.position(), what);
    flushAndAwait(what);
  }

  private void write(byte[] bytes, int from, int length, String what) {
    if (dead) {
      throw new IllegalStateException("the CUDA kernel emulator has ended; cannot run " + what);
    }
    try {
      out.write(bytes, from, length);
    } catch (IOException e) {
      throw died(what, e);
    }
  }

  private void flushAndAwait(String what) {
    try {
      out.flush();
      int status = in.read();
      if (status == 0) {
        return;
      }
      if (status == 1) {
        byte[] n = in.readNBytes(4);
        int len = ByteBuffer.wrap(n).order(ByteOrder.LITTLE_ENDIAN).getInt();
        String text = new String(in.readNBytes(len), StandardCharsets.UTF_8);
        if (!process.isAlive() || waitExit()) {
          dead = true;
        }
        throw new IllegalStateException("CUDA emulator: " + what + ": " + text + stderrTail());
      }
      throw died(what, new EOFException("no answer"));
    } catch (IOException e) {
      throw died(what, e);
    }
  }

  private boolean waitExit() {
    try {
      return process.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private IllegalStateException died(String what, IOException cause) {
    dead = true;
    try {
      process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String code = process.isAlive() ? "still running" : "exit code " + process.exitValue();
    return new IllegalStateException("the CUDA kernel emulator died during " + what + " (" + code + ")" + stderrTail(),
        cause);
  }

  private String stderrTail() {
    try {
      String text = Files.readString(stderr);
      if (text.isBlank()) {
        return "";
      }
      return "\n--- emulator stderr ---\n" + (text.length() > 6000 ? text.substring(text.length() - 6000) : text);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public synchronized DeviceBuffer allocate(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("allocation of " + bytes + " bytes");
    }
    ByteBuffer m = message('A', 8);
    m.putLong(bytes);
    write(m.array(), 0, m.position(), "allocate");
    try {
      out.flush();
      int status = in.read();
      if (status != 0) {
        if (status == 1) {
          byte[] n = in.readNBytes(4);
          int len = ByteBuffer.wrap(n).order(ByteOrder.LITTLE_ENDIAN).getInt();
          throw new IllegalStateException("CUDA emulator: " + new String(in.readNBytes(len), StandardCharsets.UTF_8));
        }
        throw died("allocate", new EOFException());
      }
      long address = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
      return new DeviceBuffer(address, bytes);
    } catch (IOException e) {
      throw died("allocate", e);
    }
  }

  @Override
  public synchronized void free(DeviceBuffer buffer) {
    if (buffer.markFreed() && !dead) {
      ByteBuffer m = message('F', 8);
      m.putLong(buffer.address);
      send(m, "free");
    }
  }

  private static void checkRange(DeviceBuffer b, long offset, long bytes, String what) {
    if (b.freed()) {
      throw new IllegalStateException(what + " on a freed " + b);
    }
    if (offset < 0 || bytes < 0 || offset + bytes > b.bytes) {
      throw new IllegalArgumentException(what + " of bytes [" + offset + ", " + (offset + bytes) + ") of " + b);
    }
  }

  @Override
  public synchronized void zero(DeviceBuffer buffer, long offset, long bytes) {
    checkRange(buffer, offset, bytes, "zero");
    ByteBuffer m = message('Z', 16);
    m.putLong(buffer.address + offset).putLong(bytes);
    send(m, "zero");
  }

  @Override
  public synchronized void upload(DeviceBuffer dst, long offset, ByteBuffer src) {
    int n = src.remaining();
    checkRange(dst, offset, n, "upload");
    ByteBuffer m = message('U', 16);
    m.putLong(dst.address + offset).putLong(n);
    write(m.array(), 0, m.position(), "upload");
    byte[] chunk = new byte[Math.min(n, 1 << 20)];
    ByteBuffer s = src.duplicate();
    while (s.hasRemaining()) {
      int k = Math.min(chunk.length, s.remaining());
      s.get(chunk, 0, k);
      write(chunk, 0, k, "upload");
    }
    flushAndAwait("upload");
  }

  @Override
  public synchronized void download(ByteBuffer dst, DeviceBuffer src, long offset) {
    int n = dst.remaining();
    checkRange(src, offset, n, "download");
    ByteBuffer m = message('D', 16);
    m.putLong(src.address + offset).putLong(n);
    write(m.array(), 0, m.position(), "download");
    try {
      out.flush();
      if (in.read() != 0) {
        throw died("download", new EOFException());
      }
      byte[] chunk = new byte[Math.min(Math.max(n, 1), 1 << 20)];
      ByteBuffer d = dst.duplicate();
      while (d.hasRemaining()) {
        int k = in.readNBytes(chunk, 0, Math.min(chunk.length, d.remaining()));
        if (k <= 0) {
          throw died("download", new EOFException());
        }
        d.put(chunk, 0, k);
      }
    } catch (IOException e) {
      throw died("download", e);
    }
  }

  @Override
  public synchronized void launch(Launch launch) {
    launch.check(signatures);
    byte[] name = launch.kernel().getBytes(StandardCharsets.US_ASCII);
    List<Launch.Arg> args = launch.args();
    ByteBuffer m = message('L', 2 + name.length + 4 * 8 + 8 * args.size());
    m.putShort((short) name.length).put(name);
    m.putInt(launch.grid().x()).putInt(launch.grid().y()).putInt(launch.grid().z());
    m.putInt(launch.block().x()).putInt(launch.block().y()).putInt(launch.block().z());
    m.putInt(launch.sharedBytes()).putInt(args.size());
    for (Launch.Arg a : args) {
      // the same 64-bit slots JavaCppDevice gives the driver
      if (a instanceof Launch.Ptr p) {
        m.putLong(p.address());
      } else if (a instanceof Launch.I32 v) {
        m.putLong(v.value() & 0xffffffffL);
      } else if (a instanceof Launch.I64 v) {
        m.putLong(v.value());
      } else {
        m.putLong(Float.floatToRawIntBits(((Launch.F32) a).value()) & 0xffffffffL);
      }
    }
    launches++;
    send(m, "launch of " + launch.kernel() + " (grid " + launch.grid() + ", block " + launch.block() + ")");
  }

  @Override
  public synchronized void gemm(Gemm g) {
    g.check();
    ByteBuffer m = message('G', 2 + 12 + 8 + 4 + 3 * 21);
    m.put((byte) (g.transA() ? 1 : 0)).put((byte) (g.transB() ? 1 : 0));
    m.putInt(g.m()).putInt(g.n()).putInt(g.k()).putFloat(g.alpha()).putFloat(g.beta()).putInt(g.batch());
    for (Gemm.Operand o : new Gemm.Operand[] {g.a(), g.b(), g.c()}) {
      m.putLong(o.buffer().address + o.offset()).put((byte) (o.type() == DType.BF16 ? 1 : 0)).putInt(o.ld())
          .putLong(o.stride());
    }
    gemms++;
    send(m, "gemm " + g);
  }

  @Override
  public void synchronize() {}

  /** Exact sizes, so that AddressSanitizer sees a read past the end of any tensor or scratch buffer. */
  @Override
  public boolean exactAllocations() {
    return true;
  }

  @Override
  public String description() {
    return description;
  }

  synchronized long launches() {
    return launches;
  }

  synchronized long gemms() {
    return gemms;
  }

  @Override
  public synchronized void close() {
    if (!dead) {
      dead = true;
      try {
        out.write('Q');
        out.flush();
        process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (IOException e) {
        // already gone
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    process.destroy();
    try {
      Files.deleteIfExists(stderr);
    } catch (IOException e) {
      // a stale log in target/ is harmless
    }
  }
}
