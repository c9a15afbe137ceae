package io.roberta.engine.cuda;

import io.roberta.engine.cuda.Launch.Arg;
import io.roberta.engine.cuda.Launch.F32;
import io.roberta.engine.cuda.Launch.I32;
import io.roberta.engine.cuda.Launch.I64;
import io.roberta.engine.cuda.Launch.Ptr;
import io.roberta.engine.cuda.LaunchShape.Dim3;
import io.roberta.engine.kernels.KernelPrecision;
import io.roberta.engine.kernels.Kernels;
import io.roberta.engine.kernels.Tensor;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The CUDA backend of {@link Kernels}: every tensor in GPU memory, matrix products through cuBLAS
 * (fp32 accumulation), everything else through the kernels of {@link KernelSources}.
 *
 * <p>Precision. {@link KernelPrecision#FP32}: every tensor fp32, products in plain fp32 (no TF32),
 * for parity with the ND4J backend. {@link KernelPrecision#BF16}: tensors created inside a {@link
 * #scope()} with rank 2 or more (activations and their gradients, attention probabilities,
 * dropout masks) are stored in bf16; tensors created outside a scope (parameters, their
 * gradients, AdamW moments) and rank-1 tensors (layer-norm statistics) stay fp32. Products read
 * bf16 (fp32 weights through a bf16 copy that AdamW refreshes) and accumulate in fp32, so weight
 * gradients add straight into the fp32 gradients.
 *
 * <pre>{@code
 * Kernels k = new CudaKernels(JavaCppDevice.open(), KernelPrecision.BF16);
 * }</pre>
 */
public final class CudaKernels implements Kernels, AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final int BLOCK = LaunchShape.BLOCK;

  /** The device, through a pool of freed allocations: no allocation in a steady-state step. */
  private final PooledDevice device;
  private final KernelPrecision precision;
  private final DType gemmType;
  private final ThreadLocal<ArrayDeque<List<CudaTensor.Buffers>>> scopes =
      ThreadLocal.withInitial(ArrayDeque::new);

  private final boolean ownsDevice;

  CudaKernels(Device device, KernelPrecision precision) {
    this(device, precision, true);
  }

  /** A backend over {@code device}; {@link #close()} closes the device only if it {@code ownsDevice}. */
  CudaKernels(Device device, KernelPrecision precision, boolean ownsDevice) {
    this.ownsDevice = ownsDevice;
    if (precision != KernelPrecision.FP32 && precision != KernelPrecision.BF16) {
      throw new IllegalArgumentException("the CUDA backend computes in FP32 or BF16, not " + precision);
    }
    this.device = new PooledDevice(device);
    this.precision = precision;
    this.gemmType = precision == KernelPrecision.BF16 ? DType.BF16 : DType.F32;
  }

  @Override
  public KernelPrecision precision() {
    return precision;
  }

  /** The device in words. */
  public String deviceDescription() {
    return device.description();
  }

  /** Waits for every kernel issued so far (timing). */
  public void synchronize() {
    device.synchronize();
  }

  private boolean closed;

  /** Gives the pooled memory back; closes the device if this backend owns it. Closing twice is harmless. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (ownsDevice) {
      device.close();
    } else {
      device.release();
    }
  }

  Device device() {
    return device;
  }

  // ---- memory ------------------------------------------------------------------------------

  @Override
  public Scope scope() {
    ArrayDeque<List<CudaTensor.Buffers>> stack = scopes.get();
    List<CudaTensor.Buffers> owned = new ArrayList<>();
    stack.push(owned);
    return () -> {
      if (stack.peek() != owned) {
        throw new IllegalStateException("kernel scopes closed out of order");
      }
      stack.pop();
      for (CudaTensor.Buffers b : owned) {
        b.free(device);
      }
    };
  }

  /**
   * Frees the tensor's device memory (and its bf16 copy) now, into the pool of freed allocations
   * (given back to the device by {@link #close()}), instead of when the collector finds the
   * tensor. Freeing twice, or a tensor its scope frees again later, is harmless: a buffer is freed
   * once.
   */
  @Override
  public void release(Tensor t) {
    t(t).buffers.free(device);
  }

  /** The storage type of a new tensor of {@code shape}, by the rule in the class comment. */
  DType storageFor(long[] shape) {
    if (precision != KernelPrecision.BF16) {
      return DType.F32;
    }
    return shape.length >= 2 && scopes.get().peek() != null ? DType.BF16 : DType.F32;
  }

  private CudaTensor allocate(long[] shape) {
    DType type = storageFor(shape);
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    DeviceBuffer main = device.allocate(Math.max(16, n * type.bytes));
    CudaTensor.Buffers buffers = new CudaTensor.Buffers(main);
    CudaTensor t = new CudaTensor(this, shape, type, buffers);
    List<CudaTensor.Buffers> scope = scopes.get().peek();
    if (scope != null) {
      scope.add(buffers);
    }
    Device d = device;
    CLEANER.register(t, () -> buffers.free(d));
    return t;
  }

  private CudaTensor t(Tensor t) {
    if (!(t instanceof CudaTensor c) || c.owner != this) {
      throw new IllegalArgumentException(
          "tensor " + t + " was not created by this CudaKernels; tensors of two backends do not mix");
    }
    return c;
  }

  /** Tensors the launch being prepared overwrites whole; their pending zero fill is dropped after it. */
  private final ThreadLocal<List<CudaTensor>> overwrites = ThreadLocal.withInitial(ArrayList::new);

  /** Issues a tensor's pending zero fill: something is about to read it. */
  private void materialize(CudaTensor t) {
    if (t.pendingZero) {
      device.zero(t.buffer(), 0, t.bytes());
      t.pendingZero = false;
    }
  }

  /**
   * The pointer argument of a whole tensor that the launch writes completely without reading it:
   * no zero fill is issued for it (if the same tensor is also an input, {@link #ptr} issues it).
   */
  private Ptr overwrite(CudaTensor t) {
    overwrites.get().add(t);
    return new Ptr(t.buffer(), 0, t.bytes(), t);
  }

  /** After a launch or product was issued: its overwritten outputs hold their values now. */
  private void settle(boolean issued) {
    List<CudaTensor> list = overwrites.get();
    if (issued) {
      for (CudaTensor t : list) {
        t.pendingZero = false;
      }
    }
    list.clear();
  }

  private static void written(CudaTensor t) {
    t.version++;
    t.scale = 1f;
  }

  @Override
  public Tensor zeros(long... shape) {
    CudaTensor t = allocate(shape);
    t.pendingZero = true;
    return t;
  }

  @Override
  public Tensor fromFloats(float[] data, long... shape) {
    Kernels.checkCount(data.length, shape);
    CudaTensor t = allocate(shape);
    upload(t, 0, data);
    return t;
  }

  @Override
  public Tensor fromDoubles(double[] data, long... shape) {
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) data[i];
    }
    return fromFloats(f, shape);
  }

  /**
   * Host copies go through one direct staging buffer of at most this many bytes, in chunks: byte
   * counts are longs, so a tensor of more than 536 M floats (full-vocabulary logits at 32 x 512)
   * copies whole, and no copy allocates.
   */
  static final int STAGING_BYTES = 32 << 20;

  private final Object stagingLock = new Object();
  private int stagingBytes = STAGING_BYTES;
  private ByteBuffer staging;

  /** Test hook: a smaller staging buffer makes every copy take many chunks. */
  void stagingBytes(int bytes) {
    synchronized (stagingLock) {
      stagingBytes = Math.max(8, bytes / 8 * 8);
      staging = null;
    }
  }

  private ByteBuffer staging(long bytes) {
    if (staging == null) {
      staging = ByteBuffer.allocateDirect(stagingBytes).order(ByteOrder.nativeOrder());
    }
    staging.clear();
    staging.limit((int) bytes);
    return staging;
  }

  /** Elements a chunk of {@code type} carries: a whole number of them in the staging buffer. */
  static long chunkElements(int stagingBytes, DType type) {
    return stagingBytes / type.bytes;
  }

  private void upload(CudaTensor t, long index, float[] data) {
    if (index == 0 && data.length == t.size) {
      t.pendingZero = false; // written whole
    } else {
      materialize(t);
    }
    synchronized (stagingLock) {
      long chunk = chunkElements(stagingBytes, t.type);
      for (long from = 0; from < data.length; from += chunk) {
        int n = (int) Math.min(chunk, data.length - from);
        ByteBuffer b = staging((long) n * t.type.bytes);
        int f = (int) from;
        if (t.type == DType.F32) {
          for (int i = 0; i < n; i++) {
            b.putFloat(i * 4, data[f + i]);
          }
        } else {
          for (int i = 0; i < n; i++) {
            b.putShort(i * 2, Bf16.fromFloat(data[f + i]));
          }
        }
        device.upload(t.buffer(), (index + from) * t.type.bytes, b);
      }
    }
    written(t);
    Reference.reachabilityFence(t);
  }

  private float[] download(CudaTensor t, long from, int count) {
    float[] out = new float[count];
    if (t.pendingZero) {
      return out; // zeros: nothing to copy
    }
    float scale = t.scale;
    synchronized (stagingLock) {
      long chunk = chunkElements(stagingBytes, t.type);
      for (long done = 0; done < count; done += chunk) {
        int n = (int) Math.min(chunk, count - done);
        ByteBuffer b = staging((long) n * t.type.bytes);
        device.download(b, t.buffer(), (from + done) * t.type.bytes);
        int o = (int) done;
        for (int i = 0; i < n; i++) {
          float v = t.type == DType.F32 ? b.getFloat(i * 4) : Bf16.toFloat(b.getShort(i * 2));
          out[o + i] = scale == 1f ? v : v * scale;
        }
      }
    }
    Reference.reachabilityFence(t);
    return out;
  }

  @Override
  public float[] toFloats(Tensor tensor) {
    CudaTensor c = t(tensor);
    return download(c, 0, Math.toIntExact(c.size));
  }

  @Override
  public double[] toDoubles(Tensor tensor) {
    float[] f = toFloats(tensor);
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  @Override
  public double get(Tensor tensor, long index) {
    CudaTensor c = t(tensor);
    checkIndex(c, index);
    return download(c, index, 1)[0];
  }

  @Override
  public void set(Tensor tensor, long index, double value) {
    CudaTensor c = t(tensor);
    checkIndex(c, index);
    if (c.scale != 1f) {
      throw new IllegalStateException(c + " is a dropout mask: only dropoutMask writes it");
    }
    upload(c, index, new float[] {(float) value});
  }

  private static void checkIndex(CudaTensor t, long index) {
    if (index < 0 || index >= t.size) {
      throw new IndexOutOfBoundsException("index " + index + " outside " + t);
    }
  }

  // ---- launch helpers ----------------------------------------------------------------------

  /** The pointer argument of a whole tensor whose stored elements are its values. */
  private Ptr ptr(CudaTensor t) {
    if (t.scale != 1f) {
      throw new IllegalStateException(t + " is a dropout mask (keep bits and a scale of " + t.scale
          + "): only multiply and attention read it");
    }
    return scaledPtr(t);
  }

  /** The pointer argument of a tensor that may carry a {@link CudaTensor#scale}. */
  private Ptr scaledPtr(CudaTensor t) {
    materialize(t);
    return new Ptr(t.buffer(), 0, t.bytes(), t);
  }

  private static I32 flag(CudaTensor t) {
    return new I32(t.type.flag());
  }

  private static I32 i32(long v) {
    return new I32(Math.toIntExact(v));
  }

  private static I64 i64(long v) {
    return new I64(v);
  }

  private static F32 f32(double v) {
    return new F32((float) v);
  }

  private void launch(String kernel, Dim3 grid, Dim3 block, int shared, Arg... args) {
    boolean issued = false;
    try {
      device.launch(new Launch(kernel, grid, block, shared, List.of(args)));
      issued = true;
    } finally {
      settle(issued);
    }
  }

  private void elementwise(String kernel, long n, Arg... args) {
    launch(kernel, LaunchShape.elementwise(n), Dim3.of(BLOCK), 0, args);
  }

  /** A scratch buffer for one call; freed by the caller (stream order keeps it safe). */
  private DeviceBuffer scratch(long bytes) {
    return device.allocate(Math.max(16, bytes));
  }

  /** Uploads ids (int32) for one call. */
  /** An int array uploaded once: the key of the id cache (holds a copy; compares contents). */
  private record IntsKey(int[] values, int hash) {
    static IntsKey of(int[] values) {
      return new IntsKey(values.clone(), Arrays.hashCode(values));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof IntsKey k && k.hash == hash && Arrays.equals(k.values, values);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private static final int ID_CACHE_ENTRIES = 16;

  /**
   * Id arrays uploaded recently, by contents: a step passes the same token ids, positions and
   * labelled rows to its forward and its backward, and each upload waits for the device. The
   * buffers stay until evicted (freed in stream order, so a launch issued before still reads them).
   */
  private final java.util.LinkedHashMap<IntsKey, DeviceBuffer> idCache =
      new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<IntsKey, DeviceBuffer> eldest) {
          if (size() > ID_CACHE_ENTRIES) {
            device.free(eldest.getValue());
            return true;
          }
          return false;
        }
      };

  /** The buffers the id cache holds now (tests: they stay allocated on purpose). */
  java.util.Set<DeviceBuffer> cachedIdBuffers() {
    synchronized (idCache) {
      return java.util.Set.copyOf(idCache.values());
    }
  }

  /** Frees the memory kept for reuse (tests: after it, only live tensors and cached ids hold memory). */
  void releasePool() {
    device.release();
  }

  /** {@code values} on the device, uploaded only if the same contents are not there yet; never freed by the caller. */
  private DeviceBuffer cachedInts(int[] values) {
    synchronized (idCache) {
      IntsKey key = IntsKey.of(values);
      DeviceBuffer b = idCache.get(key);
      if (b == null) {
        b = ints(values);
        idCache.put(key, b);
      }
      return b;
    }
  }

  private DeviceBuffer ints(int[] values) {
    DeviceBuffer b = scratch(4L * values.length);
    if (values.length > 0) {
      ByteBuffer bytes = ByteBuffer.allocateDirect(Math.multiplyExact(4, values.length)).order(ByteOrder.nativeOrder());
      bytes.asIntBuffer().put(values);
      device.upload(b, 0, bytes);
    }
    return b;
  }

  private static Ptr ptr(DeviceBuffer b, long extent) {
    return new Ptr(b, 0, extent);
  }

  private static void checkSameSize(CudaTensor a, CudaTensor b, String where) {
    if (a.size != b.size) {
      throw new IllegalArgumentException(where + ": shapes " + Arrays.toString(a.shape) + " and "
          + Arrays.toString(b.shape) + " differ");
    }
  }

  private static void checkIds(int[] ids, long rows, String where) {
    for (int id : ids) {
      if (id < 0 || id >= rows) {
        throw new IllegalArgumentException(where + ": index " + id + " outside [0, " + rows + ")");
      }
    }
  }

  private static void requireF32(CudaTensor t, String what) {
    if (t.type != DType.F32) {
      throw new IllegalStateException(what + " must be an fp32 tensor (created outside a scope), got " + t);
    }
  }

  /**
   * {@code t} as a GEMM input: itself when stored in the product's type, else its bf16 copy,
   * remade when the tensor was written since.
   */
  private DeviceBuffer gemmInput(CudaTensor t) {
    materialize(t);
    if (t.type == gemmType) {
      return t.buffer();
    }
    DeviceBuffer copy = t.buffers.copy;
    if (copy == null) {
      copy = device.allocate(Math.max(16, t.size * gemmType.bytes));
      t.buffers.copy = copy;
    }
    if (t.copyVersion != t.version) {
      elementwise("copy_convert", t.size, new Ptr(copy, 0, t.size * gemmType.bytes), new I32(gemmType.flag()),
          ptr(t), flag(t), i64(t.size));
      t.copyVersion = t.version;
    }
    return copy;
  }

  private Gemm.Operand in(CudaTensor t, long offsetElements, long ld, long stride) {
    if (t.scale != 1f) {
      throw new IllegalStateException(t + " is a dropout mask: a product does not read it");
    }
    return new Gemm.Operand(gemmInput(t), offsetElements * gemmType.bytes, gemmType, Math.toIntExact(ld), stride, t);
  }

  /** A product's output that it adds into (beta 1): its pending zeros are issued first. */
  private Gemm.Operand out(CudaTensor t, long offsetElements, long ld, long stride) {
    materialize(t);
    return new Gemm.Operand(t.buffer(), offsetElements * t.type.bytes, t.type, Math.toIntExact(ld), stride, t);
  }

  /** A product's output that it writes whole (beta 0). */
  private Gemm.Operand outWhole(CudaTensor t) {
    overwrites.get().add(t);
    return new Gemm.Operand(t.buffer(), 0, t.type, Math.toIntExact(t.dim(t.rank() - 1)), 0, t);
  }

  private static Gemm.Operand scratchOperand(DeviceBuffer b, DType type, long offsetElements, long ld, long stride) {
    return new Gemm.Operand(b, offsetElements * type.bytes, type, Math.toIntExact(ld), stride);
  }

  private void gemm(boolean ta, boolean tb, long m, long n, long k, double alpha, Gemm.Operand a,
      Gemm.Operand b, double beta, Gemm.Operand c, long batch) {
    boolean issued = false;
    try {
      device.gemm(new Gemm(ta, tb, Math.toIntExact(m), Math.toIntExact(n), Math.toIntExact(k), (float) alpha, a, b,
          (float) beta, c, Math.toIntExact(batch)));
      issued = true;
    } finally {
      settle(issued);
    }
  }

  // ---- elementwise -------------------------------------------------------------------------

  @Override
  public void copy(Tensor dst, Tensor src) {
    CudaTensor d = t(dst);
    CudaTensor s = t(src);
    checkSameSize(d, s, "copy");
    elementwise("copy_convert", d.size, overwrite(d), flag(d), ptr(s), flag(s), i64(d.size));
    written(d);
  }

  @Override
  public void fill(Tensor tensor, double value) {
    CudaTensor x = t(tensor);
    if (value == 0.0) {
      written(x);
      x.pendingZero = true;
      return;
    }
    elementwise("fill_value", x.size, overwrite(x), flag(x), i64(x.size), f32(value));
    written(x);
  }

  @Override
  public void scale(Tensor tensor, double factor) {
    CudaTensor x = t(tensor);
    elementwise("scale_inplace", x.size, ptr(x), flag(x), i64(x.size), f32(factor));
    written(x);
  }

  @Override
  public void add(Tensor dst, Tensor src) {
    CudaTensor d = t(dst);
    CudaTensor s = t(src);
    checkSameSize(d, s, "add");
    elementwise("add_inplace", d.size, ptr(d), flag(d), ptr(s), flag(s), i64(d.size));
    written(d);
  }

  @Override
  public void multiply(Tensor dst, Tensor a, Tensor b) {
    CudaTensor d = t(dst);
    CudaTensor x = t(a);
    CudaTensor y = t(b);
    checkSameSize(d, x, "multiply");
    checkSameSize(d, y, "multiply");
    elementwise("multiply", d.size, overwrite(d), flag(d), scaledPtr(x), flag(x), scaledPtr(y), flag(y),
        i64(d.size), new F32(x.scale * y.scale));
    written(d);
  }

  @Override
  public double sumOfSquares(Tensor tensor) {
    CudaTensor x = t(tensor);
    DeviceBuffer out = scratch(8);
    try {
      device.zero(out, 0, 8);
      elementwise("sum_of_squares", x.size, ptr(x), flag(x), i64(x.size), ptr(out, 8));
      ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
      device.download(b, out, 0);
      return b.getDouble(0);
    } finally {
      device.free(out);
    }
  }

  // ---- rows and columns --------------------------------------------------------------------

  @Override
  public void embeddingForward(Tensor out, Tensor table, int[] ids) {
    CudaTensor o = t(out);
    CudaTensor w = t(table);
    checkIds(ids, w.dim(0), "embeddingForward");
    long c = w.dim(1);
    checkRows(o, ids.length, c, "embeddingForward out");
    DeviceBuffer idBuf = cachedInts(ids);
    launch("embedding_forward", LaunchShape.rows(ids.length), LaunchShape.rowThreads(c), 0,
        ptr(o), flag(o), ptr(w), flag(w), ptr(idBuf, 4L * ids.length), i64(ids.length), i32(c));
    written(o);
  }

  @Override
  public void embeddingBackward(Tensor dTable, Tensor dOut, int[] ids, int skipId) {
    CudaTensor dt = t(dTable);
    CudaTensor g = t(dOut);
    requireF32(dt, "embeddingBackward's dTable");
    checkIds(ids, dt.dim(0), "embeddingBackward");
    long c = dt.dim(1);
    checkRows(g, ids.length, c, "embeddingBackward dOut");
    DeviceBuffer idBuf = cachedInts(ids);
    launch("embedding_backward", LaunchShape.rows(ids.length), LaunchShape.rowThreads(c), 0,
        ptr(dt), ptr(g), flag(g), ptr(idBuf, 4L * ids.length), i64(ids.length), i32(c), new I32(skipId));
    written(dt);
  }

  private static void checkRows(CudaTensor t, long rows, long cols, String what) {
    if (t.size != rows * cols) {
      throw new IllegalArgumentException(what + " " + t + " is not [" + rows + ", " + cols + "]");
    }
  }

  @Override
  public void gatherRows(Tensor out, Tensor x, int[] rows) {
    CudaTensor o = t(out);
    CudaTensor in = t(x);
    checkIds(rows, in.dim(0), "gatherRows");
    long c = in.dim(1);
    checkRows(o, rows.length, c, "gatherRows out");
    DeviceBuffer r = cachedInts(rows);
    launch("gather_rows", LaunchShape.rows(rows.length), LaunchShape.rowThreads(c), 0,
        overwrite(o), flag(o), ptr(in), flag(in), ptr(r, 4L * rows.length), i64(rows.length), i32(c));
    written(o);
  }

  @Override
  public void scatterAddRows(Tensor dx, Tensor dRows, int[] rows) {
    CudaTensor target = t(dx);
    CudaTensor src = t(dRows);
    checkIds(rows, target.dim(0), "scatterAddRows");
    BitSet seen = new BitSet();
    for (int row : rows) {
      if (seen.get(row)) {
        throw new IllegalArgumentException("scatterAddRows: row " + row + " appears twice; the CUDA backend adds distinct rows");
      }
      seen.set(row);
    }
    long c = target.dim(1);
    checkRows(src, rows.length, c, "scatterAddRows dRows");
    DeviceBuffer r = cachedInts(rows);
    launch("scatter_add_rows", LaunchShape.rows(rows.length), LaunchShape.rowThreads(c), 0,
        ptr(target), flag(target), ptr(src), flag(src), ptr(r, 4L * rows.length), i64(rows.length), i32(c));
    written(target);
  }

  @Override
  public void copyColumn(Tensor dst, Tensor src, int col) {
    CudaTensor d = t(dst);
    CudaTensor s = t(src);
    long n = s.dim(0);
    long k = s.dim(1);
    if (d.size != n || col < 0 || col >= k) {
      throw new IllegalArgumentException("copyColumn: column " + col + " of " + s + " into " + d);
    }
    elementwise("copy_column", n, overwrite(d), flag(d), ptr(s), flag(s), i64(n), i32(k), new I32(col));
    written(d);
  }

  @Override
  public void addToColumn(Tensor dst, int col, Tensor src) {
    CudaTensor d = t(dst);
    CudaTensor s = t(src);
    long n = d.dim(0);
    long k = d.dim(1);
    if (s.size != n || col < 0 || col >= k) {
      throw new IllegalArgumentException("addToColumn: " + s + " into column " + col + " of " + d);
    }
    elementwise("add_to_column", n, ptr(d), flag(d), ptr(s), flag(s), i64(n), i32(k), new I32(col));
    written(d);
  }

  // ---- layers ------------------------------------------------------------------------------

  @Override
  public void layerNormForward(
      Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, double eps) {
    CudaTensor o = t(out);
    CudaTensor mu = t(mean);
    CudaTensor rs = t(rstd);
    CudaTensor in = t(x);
    CudaTensor w = t(weight);
    CudaTensor b = t(bias);
    requireF32(mu, "layer norm mean");
    requireF32(rs, "layer norm rstd");
    long n = in.dim(0);
    long c = in.dim(1);
    checkSameSize(o, in, "layerNormForward");
    launch("layernorm_forward", LaunchShape.rows(n), LaunchShape.rowThreads(c), 0,
        overwrite(o), flag(o), overwrite(mu), overwrite(rs), ptr(in), flag(in), ptr(w), flag(w), ptr(b), flag(b),
        i32(n), i32(c),
        f32(eps));
    written(o);
    written(mu);
    written(rs);
  }

  @Override
  public void layerNormBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
      Tensor weight) {
    CudaTensor d = t(dx);
    CudaTensor dw = t(dWeight);
    CudaTensor db = t(dBias);
    CudaTensor g = t(dOut);
    CudaTensor in = t(x);
    CudaTensor mu = t(mean);
    CudaTensor rs = t(rstd);
    CudaTensor w = t(weight);
    requireF32(dw, "layer norm dWeight");
    requireF32(db, "layer norm dBias");
    long n = in.dim(0);
    long c = in.dim(1);
    launch("layernorm_backward", LaunchShape.layerNormBackward(n), LaunchShape.rowThreads(c),
        LaunchShape.layerNormBackwardShared(c),
        overwrite(d), flag(d), ptr(dw), ptr(db), ptr(g), flag(g), ptr(in), flag(in), ptr(mu), ptr(rs), ptr(w), flag(w),
        i32(n), i32(c), new I32(LaunchShape.LAYERNORM_ROWS_PER_BLOCK));
    written(d);
    written(dw);
    written(db);
  }

  @Override
  public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias) {
    CudaTensor y = t(out);
    CudaTensor in = t(x);
    CudaTensor w = t(weight);
    long n = in.dim(0);
    long i = in.dim(1);
    long o = w.dim(0);
    if (w.dim(1) != i || y.size != n * o) {
      throw new IllegalArgumentException("linearForward: x " + in + ", W " + w + ", out " + y);
    }
    // y^T [O,N] = W [O,I] x^T [I,N]: column-major W is [I,O], x is [I,N]
    gemm(true, false, o, n, i, 1.0, in(w, 0, i, 0), in(in, 0, i, 0), 0.0, outWhole(y), 1);
    if (bias != null) {
      CudaTensor b = t(bias);
      elementwise("add_bias_rows", n * o, ptr(y), flag(y), ptr(b), flag(b), i64(n), i32(o));
    }
    written(y);
  }

  @Override
  public void linearBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight) {
    CudaTensor g = t(dOut);
    CudaTensor in = t(x);
    CudaTensor w = t(weight);
    CudaTensor dw = t(dWeight);
    long n = in.dim(0);
    long i = in.dim(1);
    long o = w.dim(0);
    if (dx != null) {
      CudaTensor d = t(dx);
      // dx^T [I,N] = W^T [I,O] dOut^T [O,N]
      gemm(false, false, i, n, o, 1.0, in(w, 0, i, 0), in(g, 0, o, 0), 0.0, outWhole(d), 1);
      written(d);
    }
    // dW^T [I,O] += x^T [I,N] dOut [N,O]
    gemm(false, true, i, o, n, 1.0, in(in, 0, i, 0), in(g, 0, o, 0), 1.0, out(dw, 0, i, 0), 1);
    written(dw);
    if (dBias != null) {
      CudaTensor db = t(dBias);
      launch("column_sums_add", LaunchShape.columnSums(n, o, db.type == DType.F32), LaunchShape.COLUMN_SUMS_BLOCK, 0,
          ptr(db), flag(db), ptr(g), flag(g), i32(n), i32(o));
      written(db);
    }
  }

  @Override
  public void geluForward(Tensor out, Tensor x) {
    unary("gelu_forward", out, x);
  }

  @Override
  public void geluBackward(Tensor dx, Tensor dOut, Tensor x) {
    binary("gelu_backward", dx, dOut, x);
  }

  @Override
  public void tanhForward(Tensor out, Tensor x) {
    unary("tanh_forward", out, x);
  }

  @Override
  public void tanhBackward(Tensor dx, Tensor dOut, Tensor out) {
    binary("tanh_backward", dx, dOut, out);
  }

  private void unary(String kernel, Tensor out, Tensor x) {
    CudaTensor o = t(out);
    CudaTensor in = t(x);
    checkSameSize(o, in, kernel);
    elementwise(kernel, o.size, overwrite(o), flag(o), ptr(in), flag(in), i64(o.size));
    written(o);
  }

  private void binary(String kernel, Tensor out, Tensor a, Tensor b) {
    CudaTensor o = t(out);
    CudaTensor x = t(a);
    CudaTensor y = t(b);
    checkSameSize(o, x, kernel);
    checkSameSize(o, y, kernel);
    elementwise(kernel, o.size, overwrite(o), flag(o), ptr(x), flag(x), ptr(y), flag(y), i64(o.size));
    written(o);
  }

  /** Sizes of one attention call: batch, sequence, heads, head width, channels. */
  private record Heads(long b, long t, long nh, long d, long c) {
    long probs() {
      return b * nh * t * t;
    }
  }

  private static Heads heads(CudaTensor keyBias, CudaTensor q, int numHeads) {
    long b = keyBias.dim(0);
    long t = keyBias.dim(1);
    long c = q.dim(1);
    if (c % numHeads != 0 || q.dim(0) != b * t) {
      throw new IllegalArgumentException("attention: q " + q + " for key bias " + keyBias + " and " + numHeads + " heads");
    }
    return new Heads(b, t, numHeads, c / numHeads, c);
  }

  /**
   * The probabilities that mix the values, in the products' type, as a batch of {@code B*nh}
   * {@code [T,T]} matrices: probs, or probs times the dropout mask in a scratch buffer (returned in
   * {@code scratch[0]} for the caller to free).
   */
  private Gemm.Operand mixing(CudaTensor p, CudaTensor mask, Heads h, DeviceBuffer[] scratch) {
    if (mask == null) {
      return in(p, 0, h.t, h.t * h.t);
    }
    checkSameSize(p, mask, "attention dropout mask");
    scratch[0] = scratch(h.probs() * gemmType.bytes);
    elementwise("multiply", p.size, new Ptr(scratch[0], 0, p.size * gemmType.bytes), new I32(gemmType.flag()),
        ptr(p), flag(p), scaledPtr(mask), flag(mask), i64(p.size), new F32(mask.scale));
    return scratchOperand(scratch[0], gemmType, 0, h.t, h.t * h.t);
  }

  /** Lays {@code count} tensors [B*T, C] out as [B, nh, T, d], one after another in {@code dst}. */
  private void splitHeads(DeviceBuffer dst, DType type, Heads h, CudaTensor... src) {
    long n = h.b * h.t * h.c;
    CudaTensor a = src[0];
    CudaTensor b = src.length > 1 ? src[1] : null;
    CudaTensor c = src.length > 2 ? src[2] : null;
    elementwise("split_heads", src.length * n, new Ptr(dst, 0, src.length * n * type.bytes), new I32(type.flag()),
        ptr(a), flag(a), b == null ? Ptr.NULL : ptr(b), new I32(b == null ? 0 : b.type.flag()),
        c == null ? Ptr.NULL : ptr(c), new I32(c == null ? 0 : c.type.flag()), new I32(src.length), i64(n), i32(h.t),
        i32(h.nh), i32(h.d));
  }

  /** The inverse of {@link #splitHeads}. */
  private void mergeHeads(DeviceBuffer src, DType type, Heads h, CudaTensor... dst) {
    long n = h.b * h.t * h.c;
    CudaTensor a = dst[0];
    CudaTensor b = dst.length > 1 ? dst[1] : null;
    CudaTensor c = dst.length > 2 ? dst[2] : null;
    elementwise("merge_heads", dst.length * n, overwrite(a), flag(a), b == null ? Ptr.NULL : overwrite(b),
        new I32(b == null ? 0 : b.type.flag()), c == null ? Ptr.NULL : overwrite(c), new I32(c == null ? 0 : c.type.flag()),
        new Ptr(src, 0, dst.length * n * type.bytes), new I32(type.flag()), new I32(dst.length), i64(n), i32(h.t),
        i32(h.nh), i32(h.d));
    for (CudaTensor t : dst) {
      written(t);
    }
  }

  @Override
  public void attentionForward(
      Tensor context, Tensor probs, Tensor q, Tensor k, Tensor v, Tensor keyBias, int numHeads,
      Tensor dropMask) {
    CudaTensor ctx = t(context);
    CudaTensor p = t(probs);
    CudaTensor qt = t(q);
    CudaTensor kt = t(k);
    CudaTensor vt = t(v);
    CudaTensor bias = t(keyBias);
    CudaTensor mask = dropMask == null ? null : t(dropMask);
    Heads h = heads(bias, qt, numHeads);
    if (p.size != h.probs()) {
      throw new IllegalArgumentException("attention: probs " + p + " is not [" + h.b + ", " + h.nh + ", " + h.t + ", " + h.t + "]");
    }
    long n = h.b * h.t * h.c; // one of q, k, v
    long batch = h.b * h.nh; // every (sequence, head): one strided batch
    long headStride = h.t * h.d;
    DeviceBuffer qkv = scratch(3 * n * gemmType.bytes); // [3, B, nh, T, d]
    DeviceBuffer scores = scratch(h.probs() * 4);
    DeviceBuffer ctxHeads = scratch(n * ctx.type.bytes);
    DeviceBuffer[] mixed = new DeviceBuffer[1];
    try {
      splitHeads(qkv, gemmType, h, qt, kt, vt);
      Gemm.Operand qh = scratchOperand(qkv, gemmType, 0, h.d, headStride);
      Gemm.Operand kh = scratchOperand(qkv, gemmType, n, h.d, headStride);
      Gemm.Operand vh = scratchOperand(qkv, gemmType, 2 * n, h.d, headStride);
      // scores^T [T,T] = k [T,d] q^T [d,T] / sqrt(d), for all B*nh (sequence, head) pairs at once
      gemm(true, false, h.t, h.t, h.d, 1.0 / Math.sqrt(h.d), kh, qh, 0.0,
          scratchOperand(scores, DType.F32, 0, h.t, h.t * h.t), batch);
      launch("attention_softmax_forward", LaunchShape.rows(h.b * h.nh * h.t), LaunchShape.rowThreads(h.t), 0,
          overwrite(p), flag(p), ptr(scores, h.probs() * 4), ptr(bias), flag(bias), i64(h.b * h.nh * h.t), i32(h.nh),
          i32(h.t));
      written(p);
      // context^T [d,T] = v^T [d,T] mixing^T [T,T]
      gemm(false, false, h.d, h.t, h.t, 1.0, vh, mixing(p, mask, h, mixed), 0.0,
          scratchOperand(ctxHeads, ctx.type, 0, h.d, headStride), batch);
      mergeHeads(ctxHeads, ctx.type, h, ctx);
    } finally {
      device.free(qkv);
      device.free(scores);
      device.free(ctxHeads);
      if (mixed[0] != null) {
        device.free(mixed[0]);
      }
    }
  }

  @Override
  public void attentionBackward(
      Tensor dq, Tensor dk, Tensor dv, Tensor dContext, Tensor probs, Tensor q, Tensor k, Tensor v,
      int numHeads, Tensor dropMask) {
    CudaTensor dqt = t(dq);
    CudaTensor dkt = t(dk);
    CudaTensor dvt = t(dv);
    CudaTensor dctx = t(dContext);
    CudaTensor p = t(probs);
    CudaTensor qt = t(q);
    CudaTensor kt = t(k);
    CudaTensor vt = t(v);
    CudaTensor mask = dropMask == null ? null : t(dropMask);
    long b = p.dim(0);
    long seq = p.dim(2);
    long c = qt.dim(1);
    Heads h = new Heads(b, seq, numHeads, c / numHeads, c);
    long n = h.b * h.t * h.c;
    long batch = h.b * h.nh;
    long headStride = h.t * h.d;
    DType outType = dqt.type;
    if (dkt.type != outType || dvt.type != outType) {
      throw new IllegalArgumentException("attentionBackward: dq, dk, dv of different types " + dqt + ", " + dkt + ", " + dvt);
    }
    DeviceBuffer qkvd = scratch(4 * n * gemmType.bytes); // q, k, v, dctx as [B, nh, T, d]
    DeviceBuffer dProbs = scratch(h.probs() * 4);
    DeviceBuffer dScores = scratch(h.probs() * gemmType.bytes);
    DeviceBuffer grads = scratch(3 * n * outType.bytes); // dq, dk, dv as [B, nh, T, d]
    DeviceBuffer[] mixed = new DeviceBuffer[1];
    try {
      splitHeads(qkvd, gemmType, h, qt, kt, vt);
      DeviceBuffer dctxHeads = qkvd;
      elementwise("split_heads", n, new Ptr(qkvd, 3 * n * gemmType.bytes, n * gemmType.bytes),
          new I32(gemmType.flag()), ptr(dctx), flag(dctx), Ptr.NULL, new I32(0), Ptr.NULL, new I32(0), new I32(1),
          i64(n), i32(h.t), i32(h.nh), i32(h.d));
      Gemm.Operand qh = scratchOperand(qkvd, gemmType, 0, h.d, headStride);
      Gemm.Operand kh = scratchOperand(qkvd, gemmType, n, h.d, headStride);
      Gemm.Operand vh = scratchOperand(qkvd, gemmType, 2 * n, h.d, headStride);
      Gemm.Operand dch = scratchOperand(dctxHeads, gemmType, 3 * n, h.d, headStride);
      // in the forward pass this was: context = mixing v. dv^T [d,T] = dctx^T [d,T] mixing [T,T]
      gemm(false, true, h.d, h.t, h.t, 1.0, dch, mixing(p, mask, h, mixed), 0.0,
          scratchOperand(grads, outType, 2 * n, h.d, headStride), batch);
      // dmixing^T [T,T] = v [T,d] dctx^T [d,T]
      gemm(true, false, h.t, h.t, h.d, 1.0, vh, dch, 0.0, scratchOperand(dProbs, DType.F32, 0, h.t, h.t * h.t), batch);
      launch("attention_softmax_backward", LaunchShape.rows(h.b * h.nh * h.t), LaunchShape.rowThreads(h.t), 0,
          new Ptr(dScores, 0, h.probs() * gemmType.bytes), new I32(gemmType.flag()), ptr(dProbs, h.probs() * 4),
          ptr(p), flag(p), mask == null ? Ptr.NULL : scaledPtr(mask), new I32(mask == null ? 0 : mask.type.flag()),
          new I32(mask == null ? 0 : 1), new F32(mask == null ? 1f : mask.scale), i64(h.b * h.nh * h.t), i32(h.t),
          f32(1.0 / Math.sqrt(h.d)));
      Gemm.Operand ds = scratchOperand(dScores, gemmType, 0, h.t, h.t * h.t);
      // dq^T [d,T] = k^T [d,T] dscores^T [T,T]
      gemm(false, false, h.d, h.t, h.t, 1.0, kh, ds, 0.0, scratchOperand(grads, outType, 0, h.d, headStride), batch);
      // dk^T [d,T] = q^T [d,T] dscores [T,T]
      gemm(false, true, h.d, h.t, h.t, 1.0, qh, ds, 0.0, scratchOperand(grads, outType, n, h.d, headStride), batch);
      mergeHeads(grads, outType, h, dqt, dkt, dvt);
    } finally {
      device.free(qkvd);
      device.free(dProbs);
      device.free(dScores);
      device.free(grads);
      if (mixed[0] != null) {
        device.free(mixed[0]);
      }
    }
  }

  @Override
  public void dropoutMask(Tensor mask, double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability " + p + " outside [0, 1)");
    }
    CudaTensor m = t(mask);
    elementwise("dropout_mask", m.size, overwrite(m), flag(m), i64(m.size), f32(p), i64(seed));
    written(m);
    m.scale = (float) (1.0 / (1.0 - p));
  }

  @Override
  public double crossEntropy(Tensor logits, int[] rows, int[] targets, double scale, Tensor dLogits) {
    CudaTensor z = t(logits);
    long classes = z.dim(1);
    if (rows != null && rows.length != targets.length) {
      throw new IllegalArgumentException(rows.length + " rows but " + targets.length + " targets");
    }
    if (rows == null && targets.length != z.dim(0)) {
      throw new IllegalArgumentException(targets.length + " targets for " + z.dim(0) + " rows of logits");
    }
    checkIds(targets, classes, "crossEntropy target");
    if (rows != null) {
      checkIds(rows, z.dim(0), "crossEntropy");
    }
    int m = targets.length;
    CudaTensor d = dLogits == null ? null : t(dLogits);
    if (d != null) {
      checkSameSize(d, z, "crossEntropy dLogits");
      if (rows != null) {
        d.pendingZero = true; // the rows not selected; issued with the pointer below
        d.scale = 1f;
      }
    }
    if (m == 0) {
      return 0.0;
    }
    DeviceBuffer rowBuf = rows == null ? null : cachedInts(rows);
    DeviceBuffer targetBuf = cachedInts(targets);
    DeviceBuffer loss = scratch(4L * m);
    try {
      launch("cross_entropy_rows", LaunchShape.rows(m), LaunchShape.rowThreads(classes), 0,
          ptr(z), flag(z), d == null ? Ptr.NULL : rows == null ? overwrite(d) : ptr(d), new I32(d == null ? 0 : d.type.flag()),
          rowBuf == null ? Ptr.NULL : ptr(rowBuf, 4L * m), ptr(targetBuf, 4L * m), ptr(loss, 4L * m), i32(m),
          i32(classes), f32(scale));
      if (d != null) {
        written(d);
      }
      ByteBuffer b = ByteBuffer.allocateDirect(4 * m).order(ByteOrder.nativeOrder());
      device.download(b, loss, 0);
      double sum = 0;
      for (int j = 0; j < m; j++) {
        sum += b.getFloat(4 * j);
      }
      return scale * sum;
    } finally {
      device.free(loss);
    }
  }

  @Override
  public int[] argmaxRows(Tensor logits) {
    CudaTensor z = t(logits);
    int m = (int) z.dim(0);
    if (m == 0) {
      return new int[0];
    }
    DeviceBuffer argmax = scratch(4L * m);
    try {
      launch("argmax_rows", LaunchShape.rows(m), LaunchShape.rowThreads(z.dim(1)), 0,
          ptr(z), flag(z), ptr(argmax, 4L * m), i32(m), i32(z.dim(1)));
      ByteBuffer b = ByteBuffer.allocateDirect(4 * m).order(ByteOrder.nativeOrder());
      device.download(b, argmax, 0);
      int[] out = new int[m];
      for (int j = 0; j < m; j++) {
        out[j] = b.getInt(4 * j);
      }
      return out;
    } finally {
      device.free(argmax);
    }
  }

  // ---- optimizer ---------------------------------------------------------------------------

  @Override
  public void adamW(
      Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step) {
    CudaTensor p = t(param);
    CudaTensor g = t(grad);
    CudaTensor m1 = t(m);
    CudaTensor m2 = t(v);
    requireF32(p, "AdamW's master weight");
    requireF32(m1, "AdamW's first moment");
    requireF32(m2, "AdamW's second moment");
    checkSameSize(p, g, "adamW");
    checkSameSize(p, m1, "adamW");
    checkSameSize(p, m2, "adamW");
    DeviceBuffer copy = p.buffers.copy;
    elementwise("adamw_step", p.size, ptr(p), ptr(g), flag(g), ptr(m1), ptr(m2),
        copy == null ? Ptr.NULL : new Ptr(copy, 0, p.size * 2), i64(p.size), f32(beta1), f32(beta2), f32(eps),
        f32(lr * weightDecay), f32(lr / (1.0 - Math.pow(beta1, step))),
        f32(Math.sqrt(1.0 - Math.pow(beta2, step))));
    written(p);
    written(m1);
    written(m2);
    if (copy != null) {
      p.copyVersion = p.version;
    }
  }
}
