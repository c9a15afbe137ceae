package io.roberta.engine.cuda;

import io.roberta.engine.cuda.LaunchShape.Dim3;
import java.util.List;

/** One kernel launch: the function's name, its shape and its arguments in order. */
record Launch(String kernel, Dim3 grid, Dim3 block, int sharedBytes, List<Arg> args) {

  Launch {
    args = List.copyOf(args);
  }

  /** A kernel argument. */
  sealed interface Arg permits Ptr, I32, I64, F32 {
    /** The parameter kind a kernel signature must have here. */
    KernelSignatures.Kind kind();
  }

  /**
   * A device pointer {@code offset} bytes into {@code buffer} (null buffer: a null pointer), of
   * which the kernel touches {@code extent} bytes from there. {@code owner} is the tensor whose
   * memory it is (or null): holding it keeps the tensor reachable, so its cleaner cannot free the
   * buffer between taking the pointer and issuing the launch.
   */
  record Ptr(DeviceBuffer buffer, long offset, long extent, Object owner) implements Arg {
    static final Ptr NULL = new Ptr(null, 0, 0);

    Ptr(DeviceBuffer buffer, long offset, long extent) {
      this(buffer, offset, extent, null);
    }

    long address() {
      return buffer == null ? 0 : buffer.address + offset;
    }

    @Override
    public KernelSignatures.Kind kind() {
      return KernelSignatures.Kind.PTR;
    }
  }

  record I32(int value) implements Arg {
    @Override
    public KernelSignatures.Kind kind() {
      return KernelSignatures.Kind.I32;
    }
  }

  record I64(long value) implements Arg {
    @Override
    public KernelSignatures.Kind kind() {
      return KernelSignatures.Kind.I64;
    }
  }

  record F32(float value) implements Arg {
    @Override
    public KernelSignatures.Kind kind() {
      return KernelSignatures.Kind.F32;
    }
  }

  /**
   * Throws unless the shape is valid, the arguments match the kernel's signature in number and
   * kind, and every pointer lies inside a live buffer.
   */
  void check(KernelSignatures signatures) {
    LaunchShape.check(kernel, grid, block, sharedBytes);
    List<KernelSignatures.Kind> params = signatures.parameters(kernel);
    if (params.size() != args.size()) {
      throw new IllegalArgumentException(kernel + " takes " + params.size() + " arguments " + params
          + ", launch passes " + args.size());
    }
    for (int i = 0; i < args.size(); i++) {
      Arg a = args.get(i);
      if (a.kind() != params.get(i)) {
        throw new IllegalArgumentException(kernel + " argument " + i + " is " + params.get(i) + ", launch passes " + a);
      }
      if (a instanceof Ptr p && p.buffer() != null) {
        if (p.buffer().freed()) {
          throw new IllegalStateException(kernel + " argument " + i + " points into a freed " + p.buffer());
        }
        if (p.offset() < 0 || p.extent() < 0 || p.offset() + p.extent() > p.buffer().bytes) {
          throw new IllegalArgumentException(kernel + " argument " + i + " touches bytes [" + p.offset() + ", "
              + (p.offset() + p.extent()) + ") of " + p.buffer());
        }
      }
    }
  }
}
