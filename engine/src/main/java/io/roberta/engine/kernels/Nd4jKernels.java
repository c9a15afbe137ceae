package io.roberta.engine.kernels;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference backend: ND4J on the CPU (nd4j-native), every matrix product through its BLAS
 * ({@link Nd4j#gemm}, batched {@code Mmul}). Every tensor it creates is a contiguous, row-major
 * array, never a view. Inside a {@link #scope()} arrays come from a per-thread pool of buffers
 * freed by earlier scopes (same dtype and shape), so a training loop stops allocating after its
 * first step; see {@link #poolStats()}.
 *
 * <pre>{@code Kernels k = new Nd4jKernels(KernelPrecision.FP32);}</pre>
 */
public final class Nd4jKernels implements Kernels {

  private static final double INV_SQRT2 = 1.0 / Math.sqrt(2.0);
  private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

  private final KernelPrecision precision;
  private final DataType type;

  public Nd4jKernels(KernelPrecision precision) {
    if (precision == KernelPrecision.BF16) {
      throw new IllegalArgumentException("the ND4J backend computes in FP32 or FP64, not " + precision
          + "; BF16 mixed precision needs the CUDA backend (--backend=cuda)");
    }
    this.precision = precision;
    this.type = precision == KernelPrecision.FP64 ? DataType.DOUBLE : DataType.FLOAT;
    if (BLAS_THREADS > 0 && BLAS_SET.compareAndSet(false, true)) {
      Nd4j.factory().blas().setMaxThreads(BLAS_THREADS);
    }
  }

  /**
   * Threads for ND4J's bundled OpenBLAS, from {@code -Droberta.blasThreads} or the environment
   * variable {@code ROBERTA_BLAS_THREADS} (0 or unset: ND4J's default, one per core). Its pthreads
   * workers hand work over by spinning on {@code sched_yield}; on a machine busy with other work
   * that spinning took as much CPU as the matrix products (perf, tiny model), and one BLAS thread
   * (with the row kernels and ND4J's OpenMP ops still parallel) was faster; on an idle machine
   * the matrix products then use one core. Applied once, by the first backend created.
   */
  static final int BLAS_THREADS = blasThreadsSetting();

  private static final java.util.concurrent.atomic.AtomicBoolean BLAS_SET =
      new java.util.concurrent.atomic.AtomicBoolean();

  private static int blasThreadsSetting() {
    String value = System.getProperty("roberta.blasThreads", System.getenv("ROBERTA_BLAS_THREADS"));
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("ROBERTA_BLAS_THREADS (or -Droberta.blasThreads) = '" + value
        + "' is not a thread count; give 0 (ND4J's default) or a positive number");
  }

  /** A tensor backed by an ND4J array. */
  static final class Nd4jTensor implements Tensor {
    final INDArray array;

    Nd4jTensor(INDArray array) {
      this.array = array;
    }

    @Override
    public long[] shape() {
      return array.shape().clone();
    }

    @Override
    public long size() {
      return array.length();
    }

    @Override
    public String toString() {
      return "Nd4jTensor" + Arrays.toString(array.shape()) + " " + array.dataType();
    }
  }

  private static INDArray a(Tensor t) {
    if (!(t instanceof Nd4jTensor)) {
      throw new IllegalArgumentException(
          "tensor " + t + " was not created by Nd4jKernels; tensors of two backends do not mix");
    }
    return ((Nd4jTensor) t).array;
  }

  /** Column view {@code [N,1]} of a per-row statistic stored as {@code [N]}. */
  private static INDArray column(Tensor t) {
    INDArray x = a(t);
    return x.reshape(x.length(), 1);
  }

  /**
   * Pins ND4J's native threads (OpenMP, BLAS) to {@code threads} for every ND4J backend in this
   * JVM, so benchmarks and workers sharing a machine are repeatable. Returns the BLAS thread
   * count now in effect.
   */
  public static int pinThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads = " + threads + ", must be >= 1");
    }
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps()
        .setOmpNumThreads(threads);
    BLAS_COUNT.writeLock().lock();
    try {
      Nd4j.factory().blas().setMaxThreads(BLAS_THREADS > 0 ? Math.min(threads, BLAS_THREADS) : threads);
      return Nd4j.factory().blas().getMaxThreads();
    } finally {
      BLAS_COUNT.writeLock().unlock();
    }
  }

  /**
   * Single-precision {@code C = A B^T} throughput of ND4J's BLAS for {@code [m,k] x [n,k]^T}, in
   * GFLOP/s (2 per multiply-add): the best single run after a warm-up, repeating for at least
   * {@code minSeconds} so that a busy machine still shows a quiet moment.
   */
  public static double sgemmGflops(int m, int n, int k, double minSeconds) {
    INDArray x = Nd4j.rand(DataType.FLOAT, m, k);
    INDArray w = Nd4j.rand(DataType.FLOAT, n, k);
    INDArray y = Nd4j.create(DataType.FLOAT, m, n);
    Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
    double best = 0;
    long end = System.nanoTime() + (long) (minSeconds * 1e9);
    for (int r = 0; r < 3 || System.nanoTime() < end; r++) {
      long start = System.nanoTime();
      Nd4j.gemm(x, w, y, false, true, 1.0, 0.0);
      double seconds = (System.nanoTime() - start) * 1e-9;
      best = Math.max(best, 2.0 * m * n * k / seconds / 1e9);
    }
    return best;
  }

  /** A body over the index range {@code [from, to)}. */
  interface RangeBody {
    void run(int from, int to);
  }

  /**
   * Java threads for row kernels: the caller plus the common fork-join pool, under either
   * {@code OMP_WAIT_POLICY}. (Under ACTIVE they were once the caller alone, because a Java worker
   * competed with OpenMP threads spinning after ND4J's native ops; the FP32 path of a training
   * step no longer calls ND4J's OpenMP ops (bias add, norms, scaling moved to Java), and two row
   * threads beat one under ACTIVE on every
   * row: infer 0.25-0.41 against 0.53-0.63 s, finetune 0.33-0.47 against 0.54-0.66 s, train
   * 0.42-0.53 against 0.57-0.77 s, 2026-12-02.) {@code -Droberta.rowThreads=N} sets the count.
   */
  private static final int JAVA_WORKERS = Integer.getInteger("roberta.rowThreads",
      Math.max(1, java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() + 1));

  /** Splits {@code [0, count)} over the common fork-join pool when the work is worth it. */
  static void forRanges(int count, long costPerItem, RangeBody body) {
    int workers = JAVA_WORKERS;
    if (workers == 1 || count < 2 || (long) count * costPerItem < PARALLEL_THRESHOLD) {
      body.run(0, count);
      return;
    }
    int chunks = Math.min(count, workers * 4);
    java.util.stream.IntStream.range(0, chunks).parallel()
        .forEach(c -> body.run((int) ((long) c * count / chunks),
            (int) ((long) (c + 1) * count / chunks)));
  }

  private static final long PARALLEL_THRESHOLD = 1 << 16;

  /** A body over chunk {@code chunk}, rows {@code [from, to)}. */
  interface ChunkBody {
    void run(int chunk, int from, int to);
  }

  /** Rows per chunk of a reduction over rows: partial sums are added in chunk order. */
  static final int REDUCE_CHUNK = 256;

  /**
   * Runs {@code body} over fixed chunks of {@code chunkSize} rows across threads. The split does
   * not depend on the thread count, so per-chunk partial sums added in chunk order give the same
   * bytes on every machine.
   */
  static int forChunks(int count, int chunkSize, long costPerItem, ChunkBody body) {
    int chunks = Math.max(1, (count + chunkSize - 1) / chunkSize);
    forRanges(chunks, costPerItem * chunkSize, (from, to) -> {
      for (int c = from; c < to; c++) {
        body.run(c, c * chunkSize, Math.min(count, (c + 1) * chunkSize));
      }
    });
    return chunks;
  }

  /** FP32 element and row kernels: vectorized when the JVM has the Vector API, same bytes either way. */
  private static final FloatOps OPS = FloatOps.INSTANCE;

  /** Elements per block copied between native memory and a {@code float[]} for {@link #OPS}. */
  private static final int BLOCK = 1 << 13;

  /** A body over elements {@code [from, from + len)} copied into {@code float[]} blocks. */
  interface BlockBody {
    void run(int from, int len);
  }

  /** Splits {@code [0, count)} into blocks of whole rows across threads ({@code width} per row). */
  static void forRowBlocks(int rows, int width, long costPerElement, BlockBody body) {
    int rowsPerBlock = Math.max(1, BLOCK / Math.max(1, width));
    int blocks = (rows + rowsPerBlock - 1) / rowsPerBlock;
    forRanges(blocks, costPerElement * rowsPerBlock * width, (from, to) -> {
      for (int blk = from; blk < to; blk++) {
        int r0 = blk * rowsPerBlock;
        int r1 = Math.min(rows, r0 + rowsPerBlock);
        body.run(r0, r1 - r0);
      }
    });
  }

  /**
   * Per-thread scratch arrays of the FP32 row kernels, by slot, grown as needed and kept: a fresh
   * {@code float[]} per block was 16 MB of garbage per GELU of a [8192, 512] activation. A kernel
   * body fills what it uses before reading it and calls no other kernel, so slots never overlap.
   */
  private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

  static float[] scratch(int slot, int len) {
    float[][] s = SCRATCH.get();
    if (s[slot].length < len) {
      s[slot] = new float[Math.max(len, BLOCK)];
    }
    return s[slot];
  }

  /** Which implementation of the FP32 row kernels this JVM uses ("vector" or "scalar"). */
  public static String floatKernels() {
    return OPS instanceof ScalarFloatOps ? "scalar" : "vector (jdk.incubator.vector)";
  }

  /**
   * The OpenBLAS build and the CPU kernels it chose, e.g. {@code "OpenBLAS 0.3.31 DYNAMIC_ARCH
   * NO_AFFINITY Cooperlake MAX_THREADS=64, kernels Cooperlake"}: benchmarks print it, because the
   * same code runs at half speed or less on the wrong kernels (an {@code OPENBLAS_CORETYPE} left
   * from an older OpenBLAS holds AVX-512 machines to AVX2).
   */
  public static String blasBuild() {
    try {
      return org.bytedeco.openblas.global.openblas_full.openblas_get_config().getString() + ", kernels "
          + org.bytedeco.openblas.global.openblas_full.openblas_get_corename().getString();
    } catch (RuntimeException | LinkageError e) {
      return "OpenBLAS (build not readable: " + e + ")";
    }
  }

  /** {@code target[c] += sum over rows of g[r, c]}. */
  private static void addColumnSums(INDArray target, INDArray g) {
    int rows = (int) g.rows();
    int width = (int) g.columns();
    if (g.dataType() == DataType.FLOAT) {
      // float partial sums per fixed chunk of rows, the chunks added in order in double
      java.nio.FloatBuffer gb = HostBuffer.floats(g);
      int chunkCount = Math.max(1, (rows + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
      float[][] parts = new float[chunkCount][width];
      forChunks(rows, REDUCE_CHUNK, width, (chunk, from, to) -> {
        float[] row = new float[width];
        for (int r = from; r < to; r++) {
          gb.get(r * width, row, 0, width);
          OPS.add(parts[chunk], row, parts[chunk], 0, width);
        }
      });
      HostBuffer ts = HostBuffer.of(target);
      for (int c = 0; c < width; c++) {
        double sum = 0;
        for (float[] part : parts) {
          sum += part[c];
        }
        ts.add(c, sum);
      }
      return;
    }
    HostBuffer gs = HostBuffer.of(g);
    int chunks = (rows + REDUCE_CHUNK - 1) / REDUCE_CHUNK;
    double[][] partial = new double[Math.max(1, chunks)][width];
    forChunks(rows, REDUCE_CHUNK, width, (chunk, from, to) -> {
      double[] sums = partial[chunk];
      for (int r = from; r < to; r++) {
        int base = r * width;
        for (int c = 0; c < width; c++) {
          sums[c] += gs.get(base + c);
        }
      }
    });
    HostBuffer ts = HostBuffer.of(target);
    for (int c = 0; c < width; c++) {
      double sum = 0;
      for (double[] part : partial) {
        sum += part[c];
      }
      ts.add(c, sum);
    }
  }

  @Override
  public String describe() {
    return "nd4j-native, " + precision + ", float ops " + floatKernels() + ", " + blasBuild();
  }

  @Override
  public KernelPrecision precision() {
    return precision;
  }

  // ---- memory ------------------------------------------------------------------------------

  private static final ThreadLocal<java.util.ArrayDeque<java.util.List<INDArray>>> SCOPES =
      ThreadLocal.withInitial(java.util.ArrayDeque::new);

  /**
   * Arrays freed by closed scopes (and kernel temporaries), by type and shape, handed out again on
   * the same thread: a training step allocates the same shapes every step, and a fresh native
   * allocation (malloc, page faults, zeroing) cost more than the arithmetic on small models. Each
   * backend instance keeps one pool per thread that used it, and {@link #close()} frees them all.
   * A pool is touched by its own thread, except when closed: its monitor (never contended) makes
   * the owner's last changes visible to the closing thread (a DoFn's teardown runs elsewhere).
   */
  private static final class Pool {
    final java.util.Map<PoolKey, java.util.ArrayDeque<INDArray>> free = new java.util.HashMap<>();
    final java.lang.ref.WeakReference<Thread> owner = new java.lang.ref.WeakReference<>(Thread.currentThread());
    long bytes;
    long hits;
    long misses;
    long closed;
    long evicted;

    /** Frees every kept array; returns the bytes freed. */
    synchronized long drain() {
      long freed = bytes;
      free.values().forEach(arrays -> arrays.forEach(a -> {
        if (a.closeable() && !a.wasClosed()) {
          a.close();
        }
      }));
      free.clear();
      bytes = 0;
      return freed;
    }

    boolean ownerDead() {
      Thread t = owner.get();
      return t == null || !t.isAlive();
    }
  }

  /** This thread's buffer pool: arrays reused, newly allocated, freed for lack of room, bytes held. */
  public String poolStats() {
    Pool p = pool();
    synchronized (p) {
      return String.format(java.util.Locale.ROOT,
          "pool: %d reused, %d allocated, %d freed, %.0f MB held, %.0f MB emptied near the native limit",
          p.hits, p.misses, p.closed, p.bytes / 1e6, p.evicted / 1e6);
    }
  }

  /** Bytes kept for reuse by this backend's pools, over every thread. */
  public long pooledBytes() {
    long sum = 0;
    synchronized (allPools) {
      for (Pool p : allPools) {
        synchronized (p) {
          sum += p.bytes;
        }
      }
    }
    return sum;
  }

  private record PoolKey(DataType type, java.util.List<Long> shape) {
    static PoolKey of(DataType type, long[] shape) {
      return new PoolKey(type, java.util.Arrays.stream(shape).boxed().toList());
    }
  }

  /**
   * This thread's pool, weakly: {@link #allPools} holds it while this backend lives, so a backend
   * nobody closed leaves its pools (and their arrays) to the collector once it is unreachable,
   * instead of in every thread's map of thread-locals.
   */
  private final ThreadLocal<java.lang.ref.WeakReference<Pool>> pools = new ThreadLocal<>();
  /** Every pool of this backend, so that close() frees them whichever thread calls it. */
  private final java.util.List<Pool> allPools = new java.util.ArrayList<>();

  private Pool pool() {
    java.lang.ref.WeakReference<Pool> ref = pools.get();
    Pool pool = ref == null ? null : ref.get();
    if (pool == null) { // first use on this thread, or dropped by close()
      pool = newPool();
      pools.set(new java.lang.ref.WeakReference<>(pool));
    }
    return pool;
  }
  private volatile boolean closed;

  private Pool newPool() {
    Pool pool = new Pool();
    synchronized (allPools) {
      // a thread that ended cannot use its pool again: free it now rather than at close()
      for (java.util.Iterator<Pool> i = allPools.iterator(); i.hasNext(); ) {
        Pool p = i.next();
        if (p.ownerDead()) {
          p.drain();
          i.remove();
        }
      }
      allPools.add(pool);
    }
    return pool;
  }

  /**
   * Frees the arrays every thread's pool keeps for reuse; arrays freed later are closed at once.
   * Tensors this backend created stay valid (they are the models', freed by their owners).
   */
  @Override
  public void close() {
    closed = true;
    synchronized (allPools) {
      allPools.forEach(Pool::drain);
      allPools.clear();
    }
  }

  /**
   * An array this backend allocated, held weakly with its size and its backend's number: counted
   * as held until it is closed or collected, so {@link #heldBytes()} shows what waits for the
   * collector when nobody closed it.
   */
  private static final class Allocation extends java.lang.ref.WeakReference<INDArray> {
    final long owner;
    final long bytes;

    Allocation(INDArray array, long owner, java.lang.ref.ReferenceQueue<INDArray> queue) {
      super(array, queue);
      this.owner = owner;
      this.bytes = array.length() * array.dataType().width();
    }
  }

  private static final java.util.Set<Allocation> ALLOCATIONS = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final java.lang.ref.ReferenceQueue<INDArray> COLLECTED = new java.lang.ref.ReferenceQueue<>();
  private static final java.util.concurrent.atomic.AtomicLong INSTANCES = new java.util.concurrent.atomic.AtomicLong();
  private final long instance = INSTANCES.incrementAndGet();

  /** Records a new array (only when memory is allocated: a pooled buffer is not new). */
  private INDArray tracked(INDArray array) {
    forgetCollected();
    ALLOCATIONS.add(new Allocation(array, instance, COLLECTED));
    return array;
  }

  private static void forgetCollected() {
    for (java.lang.ref.Reference<? extends INDArray> r; (r = COLLECTED.poll()) != null; ) {
      ALLOCATIONS.remove(r);
    }
  }

  private static long held(long owner) {
    forgetCollected();
    long sum = 0;
    for (Allocation a : ALLOCATIONS) {
      INDArray array = a.get();
      if (array == null || array.wasClosed()) {
        ALLOCATIONS.remove(a);
      } else if (owner < 0 || a.owner == owner) {
        sum += a.bytes;
      }
    }
    return sum;
  }

  /**
   * Native bytes of the arrays this backend allocated that are neither closed nor collected:
   * parameters, gradients, moments, pooled buffers, and anything left for the garbage collector.
   */
  public long heldBytes() {
    return held(instance);
  }

  /** {@link #heldBytes()} over every ND4J backend in this JVM. */
  public static long heldBytesAll() {
    return held(-1);
  }

  /**
   * Per thread; beyond it, freed arrays are closed as before. Half of JavaCPP's native limit (the
   * JVM's -Xmx unless set): a roberta-base training step frees about 1.5 GB of temporaries, and a
   * 1 GB cap made it free and re-allocate (fresh pages, faulted and zeroed by the kernel) a third
   * of them every step, a quarter of the step's time. A miss that would bring native memory near
   * the limit first empties this thread's pool (see {@link #take}): the pool gives its memory back
   * before JavaCPP would refuse an allocation (other threads' pools are theirs to empty).
   */
  private static final long POOL_LIMIT_BYTES =
      Math.max(64L << 20, org.bytedeco.javacpp.Pointer.maxBytes() / 2);

  /** An array of {@code shape} from this thread's pool, or a new one; zeroed when asked. */
  private INDArray take(long[] shape, boolean zeroed) {
    Pool pool = pool();
    INDArray array;
    synchronized (pool) {
      java.util.ArrayDeque<INDArray> free = pool.free.get(PoolKey.of(type, shape));
      array = free == null ? null : free.poll();
      if (array == null) {
        pool.misses++;
      } else {
        pool.bytes -= array.length() * type.width();
        pool.hits++;
      }
    }
    if (array == null) {
      long size = type.width();
      for (long d : shape) {
        size *= d;
      }
      long max = org.bytedeco.javacpp.Pointer.maxBytes();
      if (max > 0 && org.bytedeco.javacpp.Pointer.totalBytes() + size > max - max / 8) {
        long freed = pool.drain();
        synchronized (pool) {
          pool.evicted += freed;
        }
      }
      return tracked(zeroed ? Nd4j.create(type, shape) : Nd4j.createUninitialized(type, shape));
    }
    if (zeroed) {
      zero(array);
    }
    return array;
  }

  /** Returns an array this backend allocated to the pool (or frees it when the pool is full). */
  private void release(INDArray array) {
    if (array.wasClosed()) {
      return;
    }
    Pool pool = pool();
    long size = array.length() * array.dataType().width();
    synchronized (pool) {
      if (!closed && pool.bytes + size <= POOL_LIMIT_BYTES && !array.isView()) {
        pool.free.computeIfAbsent(PoolKey.of(array.dataType(), array.shape()),
            k -> new java.util.ArrayDeque<>()).push(array);
        pool.bytes += size;
        return;
      }
      pool.closed++;
    }
    if (array.closeable()) {
      array.close();
    }
  }

  /** All bits zero is 0.0 in IEEE floats: one memset, no op dispatch, no OpenMP hand-off. */
  private static void zero(INDArray array) {
    HostBuffer.of(array); // checks: contiguous, offset 0
    org.bytedeco.javacpp.Pointer.memset(array.data().addressPointer(), 0,
        array.length() * array.dataType().width());
  }

  /** A temporary for one kernel: uninitialized, returned with {@link #release}. */
  private INDArray temp(long... shape) {
    return take(shape, false);
  }

  @Override
  public Scope scope() {
    java.util.ArrayDeque<java.util.List<INDArray>> stack = SCOPES.get();
    java.util.List<INDArray> owned = new java.util.ArrayList<>();
    stack.push(owned);
    return () -> {
      if (stack.peek() != owned) {
        throw new IllegalStateException("kernel scopes closed out of order");
      }
      stack.pop();
      for (INDArray array : owned) {
        release(array);
      }
    };
  }

  @Override
  public void release(Tensor t) {
    INDArray array = a(t);
    if (array.closeable() && !array.wasClosed()) {
      array.close();
    }
  }

  /** Records a new array in the innermost open scope, if any. */
  private static Tensor owned(INDArray array) {
    java.util.List<INDArray> scope = SCOPES.get().peek();
    if (scope != null) {
      scope.add(array);
    }
    return new Nd4jTensor(array);
  }

  @Override
  public Tensor zeros(long... shape) {
    // outside a scope the array lives on (parameters, optimizer moments): never from the pool
    if (SCOPES.get().peek() == null) {
      return owned(tracked(Nd4j.create(type, shape)));
    }
    return owned(take(shape, true));
  }

  @Override
  public Tensor empty(long... shape) {
    if (SCOPES.get().peek() == null) {
      return owned(tracked(Nd4j.create(type, shape)));
    }
    return owned(take(shape, false));
  }

  // Host data goes straight into the new array: no intermediate ND4J arrays (a cast, a reshape, a
  // copy) left for the collector, which matters when a whole model is loaded outside any scope.
  @Override
  public Tensor fromFloats(float[] data, long... shape) {
    Kernels.checkCount(data.length, shape);
    Tensor t = empty(shape);
    INDArray array = a(t);
    if (type == DataType.FLOAT) {
      floats(array).put(data);
    } else {
      HostBuffer b = HostBuffer.of(array);
      for (int i = 0; i < data.length; i++) {
        b.set(i, data[i]);
      }
    }
    return t;
  }

  @Override
  public Tensor fromDoubles(double[] data, long... shape) {
    Kernels.checkCount(data.length, shape);
    Tensor t = empty(shape);
    INDArray array = a(t);
    if (type == DataType.DOUBLE) {
      doubles(array).put(data);
    } else {
      HostBuffer b = HostBuffer.of(array);
      for (int i = 0; i < data.length; i++) {
        b.set(i, data[i]);
      }
    }
    return t;
  }

  @Override
  public float[] toFloats(Tensor t) {
    INDArray array = a(t);
    float[] out = new float[Math.toIntExact(array.length())];
    if (array.dataType() == DataType.FLOAT) {
      HostBuffer.of(array); // checks: contiguous, offset 0
      floats(array).get(out);
    } else {
      HostBuffer b = HostBuffer.of(array);
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) b.get(i);
      }
    }
    return out;
  }

  @Override
  public double[] toDoubles(Tensor t) {
    INDArray array = a(t);
    double[] out = new double[Math.toIntExact(array.length())];
    if (array.dataType() == DataType.DOUBLE) {
      HostBuffer.of(array);
      doubles(array).get(out);
    } else {
      HostBuffer b = HostBuffer.of(array);
      for (int i = 0; i < out.length; i++) {
        out[i] = b.get(i);
      }
    }
    return out;
  }

  private static java.nio.FloatBuffer floats(INDArray array) {
    return array.data().asNio().order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
  }

  private static java.nio.DoubleBuffer doubles(INDArray array) {
    return array.data().asNio().order(java.nio.ByteOrder.nativeOrder()).asDoubleBuffer();
  }

  @Override
  public double get(Tensor t, long index) {
    return a(t).getDouble(index);
  }

  @Override
  public void set(Tensor t, long index, double value) {
    a(t).putScalar(index, value);
  }

  @Override
  public void copy(Tensor dst, Tensor src) {
    INDArray d = a(dst);
    INDArray s = a(src);
    if (d.dataType() == s.dataType() && d.length() == s.length() && HostBuffer.contiguous(d)
        && HostBuffer.contiguous(s)) {
      // one memcpy on the calling thread: no op dispatch, no OpenMP hand-off
      org.bytedeco.javacpp.Pointer.memcpy(d.data().addressPointer(), s.data().addressPointer(),
          d.length() * d.dataType().width());
      return;
    }
    d.assign(s.reshape(d.shape()));
  }


  // Below NATIVE_THRESHOLD elements a Java loop beats an ND4J op: no op dispatch, no OpenMP
  // hand-off (which costs most when the machine is busy).
  private static final long NATIVE_THRESHOLD = 1 << 20;

  @Override
  public void fill(Tensor t, double value) {
    INDArray x = a(t);
    if (value == 0.0 && x.ordering() == 'c' && !x.isView()) {
      zero(x);
      return;
    }
    if (x.length() >= NATIVE_THRESHOLD) {
      x.assign(value);
      return;
    }
    HostBuffer b = HostBuffer.of(x);
    for (int i = 0, n = (int) x.length(); i < n; i++) {
      b.set(i, value);
    }
  }

  @Override
  public void scale(Tensor t, double factor) {
    INDArray x = a(t);
    if (x.dataType() == DataType.FLOAT && HostBuffer.contiguous(x)) {
      // x * (float) factor in FP32, as ND4J's scalar multiply, on the Java row threads
      java.nio.FloatBuffer xb = HostBuffer.floats(x);
      float f = (float) factor;
      forRowBlocks((int) x.length(), 1, 1, (from, len) -> {
        float[] xs = scratch(0, len);
        xb.get(from, xs, 0, len);
        OPS.scale(xs, xs, 0, len, f);
        xb.put(from, xs, 0, len);
      });
      return;
    }
    if (x.length() >= NATIVE_THRESHOLD) {
      x.muli(factor);
      return;
    }
    HostBuffer b = HostBuffer.of(x);
    for (int i = 0, n = (int) x.length(); i < n; i++) {
      b.set(i, b.get(i) * factor);
    }
  }

  @Override
  public void add(Tensor dst, Tensor src) {
    INDArray d = a(dst);
    INDArray s = a(src);
    checkSameLength(d, s, "add");
    if (d.dataType() == DataType.FLOAT && s.dataType() == DataType.FLOAT) {
      binary(d, s, d, false);
      return;
    }
    if (d.length() >= NATIVE_THRESHOLD) {
      d.addi(s);
      return;
    }
    HostBuffer db = HostBuffer.of(d);
    HostBuffer sb = HostBuffer.of(s);
    forRanges((int) d.length(), 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        db.set(i, db.get(i) + sb.get(i));
      }
    });
  }

  @Override
  public void multiply(Tensor dst, Tensor x, Tensor y) {
    INDArray d = a(dst);
    INDArray xs = a(x);
    INDArray ys = a(y);
    checkSameLength(d, xs, "multiply");
    checkSameLength(d, ys, "multiply");
    if (d.dataType() == DataType.FLOAT && xs.dataType() == DataType.FLOAT
        && ys.dataType() == DataType.FLOAT) {
      binary(xs, ys, d, true);
      return;
    }
    if (d.length() >= NATIVE_THRESHOLD) {
      xs.mul(ys, d);
      return;
    }
    HostBuffer db = HostBuffer.of(d);
    HostBuffer xb = HostBuffer.of(xs);
    HostBuffer yb = HostBuffer.of(ys);
    forRanges((int) d.length(), 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        db.set(i, xb.get(i) * yb.get(i));
      }
    });
  }

  /** {@code z = x * y} ({@code multiply}) or {@code x + y}, FP32, in blocks across threads. */
  private static void binary(INDArray x, INDArray y, INDArray z, boolean multiply) {
    java.nio.FloatBuffer xb = HostBuffer.floats(x);
    java.nio.FloatBuffer yb = HostBuffer.floats(y);
    java.nio.FloatBuffer zb = HostBuffer.floats(z);
    forRowBlocks((int) z.length(), 1, 1, (from, len) -> {
      float[] xs = scratch(0, len);
      float[] ys = scratch(1, len);
      xb.get(from, xs, 0, len);
      yb.get(from, ys, 0, len);
      if (multiply) {
        OPS.multiply(xs, ys, xs, 0, len);
      } else {
        OPS.add(xs, ys, xs, 0, len);
      }
      zb.put(from, xs, 0, len);
    });
  }

  private static void checkSameLength(INDArray x, INDArray y, String where) {
    if (x.length() != y.length()) {
      throw new IllegalArgumentException(where + ": shapes " + Arrays.toString(x.shape())
          + " and " + Arrays.toString(y.shape()) + " differ");
    }
  }

  @Override
  public double sumOfSquares(Tensor t) {
    INDArray x = a(t);
    if (x.dataType() == DataType.FLOAT && HostBuffer.contiguous(x)) {
      // in double, over fixed blocks added in order: no OpenMP region (a gradient norm is one
      // per parameter tensor per step), and the same bits whatever the thread count
      java.nio.FloatBuffer xb = HostBuffer.floats(x);
      int n = (int) x.length();
      int blocks = Math.max(1, (n + BLOCK - 1) / BLOCK);
      double[] partial = new double[blocks];
      forRanges(blocks, 2L * BLOCK, (first, end) -> {
        float[] xs = scratch(0, Math.min(n, BLOCK));
        for (int blk = first; blk < end; blk++) {
          int from = blk * BLOCK;
          int len = Math.min(n, from + BLOCK) - from;
          xb.get(from, xs, 0, len);
          double sum = 0;
          for (int i = 0; i < len; i++) {
            double v = xs[i];
            sum += v * v;
          }
          partial[blk] = sum;
        }
      });
      double total = 0;
      for (double p : partial) {
        total += p;
      }
      // a float sum of squares past the float range is infinite, as ND4J's float norm2 was: a
      // gradient that overflows must stop training (FinetunerTest), not be clipped back from 1e38
      return total > Float.MAX_VALUE ? Double.POSITIVE_INFINITY : total;
    }
    double norm = x.norm2Number().doubleValue();
    return norm * norm;
  }

  // ---- rows and columns --------------------------------------------------------------------

  @Override
  public void embeddingForward(Tensor out, Tensor table, int[] ids) {
    INDArray t = a(table);
    checkIds(ids, t.rows(), "embeddingForward");
    int width = (int) t.columns();
    if (t.dataType() == DataType.FLOAT && a(out).dataType() == DataType.FLOAT) {
      // rows copied in bulk and added as floats: the bytes of the per-element path below (a
      // float sum rounded from double is the float sum), without a buffer call per element
      java.nio.FloatBuffer ob = HostBuffer.floats(a(out));
      java.nio.FloatBuffer wb = HostBuffer.floats(t);
      forRanges(ids.length, width, (from, to) -> {
        float[] row = new float[width];
        float[] add = new float[width];
        for (int i = from; i < to; i++) {
          ob.get(i * width, row, 0, width);
          wb.get(ids[i] * width, add, 0, width);
          OPS.add(row, add, row, 0, width);
          ob.put(i * width, row, 0, width);
        }
      });
      return;
    }
    HostBuffer o = HostBuffer.of(a(out));
    HostBuffer w = HostBuffer.of(t);
    forRanges(ids.length, width, (from, to) -> {
      for (int i = from; i < to; i++) {
        int src = ids[i] * width;
        int dst = i * width;
        for (int c = 0; c < width; c++) {
          o.add(dst + c, w.get(src + c));
        }
      }
    });
  }

  @Override
  public void embeddingBackward(Tensor dTable, Tensor dOut, int[] ids, int skipId) {
    INDArray t = a(dTable);
    checkIds(ids, t.rows(), "embeddingBackward");
    int width = (int) t.columns();
    HostBuffer table = HostBuffer.of(t);
    HostBuffer d = HostBuffer.of(a(dOut));
    // one thread: several rows may carry the same id
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] != skipId) {
        int dst = ids[i] * width;
        int src = i * width;
        for (int c = 0; c < width; c++) {
          table.add(dst + c, d.get(src + c));
        }
      }
    }
  }

  private static void checkIds(int[] ids, long rows, String where) {
    for (int id : ids) {
      if (id < 0 || id >= rows) {
        throw new IllegalArgumentException(
            where + ": index " + id + " outside [0, " + rows + ")");
      }
    }
  }

  @Override
  public void gatherRows(Tensor out, Tensor x, int[] rows) {
    INDArray in = a(x);
    checkIds(rows, in.rows(), "gatherRows");
    int width = (int) in.columns();
    HostBuffer o = HostBuffer.of(a(out));
    HostBuffer src = HostBuffer.of(in);
    for (int j = 0; j < rows.length; j++) {
      for (int c = 0; c < width; c++) {
        o.set(j * width + c, src.get(rows[j] * width + c));
      }
    }
  }

  @Override
  public void scatterAddRows(Tensor dx, Tensor dRows, int[] rows) {
    INDArray target = a(dx);
    checkIds(rows, target.rows(), "scatterAddRows");
    int width = (int) target.columns();
    HostBuffer t = HostBuffer.of(target);
    HostBuffer src = HostBuffer.of(a(dRows));
    for (int j = 0; j < rows.length; j++) {
      for (int c = 0; c < width; c++) {
        t.add(rows[j] * width + c, src.get(j * width + c));
      }
    }
  }

  @Override
  public void copyColumn(Tensor dst, Tensor src, int col) {
    INDArray d = a(dst);
    INDArray in = a(src);
    if (d.length() != in.rows()) {
      throw new IllegalArgumentException("copyColumn: " + d.length() + " elements for "
          + in.rows() + " rows " + Arrays.toString(in.shape()));
    }
    int width = (int) in.columns();
    HostBuffer ds = HostBuffer.of(d);
    HostBuffer ss = HostBuffer.of(in);
    for (int i = 0, n = (int) d.length(); i < n; i++) { // no column copy left for the collector
      ds.set(i, ss.get(i * width + col));
    }
  }

  @Override
  public void addToColumn(Tensor dst, int col, Tensor src) {
    INDArray s = a(src);
    a(dst).getColumn(col).addi(s.reshape(s.length()));
  }

  // ---- layers ------------------------------------------------------------------------------

  @Override
  public void layerNormForward(
      Tensor out, Tensor mean, Tensor rstd, Tensor x, Tensor weight, Tensor bias, double eps) {
    INDArray in = a(x);
    int rows = (int) in.rows();
    int width = (int) in.columns();
    if (in.dataType() == DataType.FLOAT) {
      layerNormForwardFloat(in, a(out), a(mean), a(rstd), a(weight), a(bias), eps);
      return;
    }
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer ys = HostBuffer.of(a(out));
    HostBuffer mu = HostBuffer.of(a(mean));
    HostBuffer rs = HostBuffer.of(a(rstd));
    HostBuffer w = HostBuffer.of(a(weight));
    HostBuffer b = HostBuffer.of(a(bias));
    forRanges(rows, width, (from, to) -> {
      for (int r = from; r < to; r++) {
        int base = r * width;
        double sum = 0;
        for (int c = 0; c < width; c++) {
          sum += xs.get(base + c);
        }
        double m = sum / width;
        double squares = 0;
        for (int c = 0; c < width; c++) {
          double d = xs.get(base + c) - m;
          squares += d * d;
        }
        double inv = 1.0 / Math.sqrt(squares / width + eps); // biased variance, as PyTorch
        mu.set(r, m);
        rs.set(r, inv);
        for (int c = 0; c < width; c++) {
          ys.set(base + c, (xs.get(base + c) - m) * inv * w.get(c) + b.get(c));
        }
      }
    });
  }

  /**
   * FP32 layer norm, a row at a time in float (as PyTorch's CPU kernel): mean and variance as
   * fixed-layout sums, {@code y = ((x - mean) rstd) w + b}.
   */
  private static void layerNormForwardFloat(INDArray in, INDArray out, INDArray mean,
      INDArray rstd, INDArray weight, INDArray bias, double eps) {
    int rows = (int) in.rows();
    int width = (int) in.columns();
    java.nio.FloatBuffer xb = HostBuffer.floats(in);
    java.nio.FloatBuffer yb = HostBuffer.floats(out);
    java.nio.FloatBuffer mb = HostBuffer.floats(mean);
    java.nio.FloatBuffer rb = HostBuffer.floats(rstd);
    float[] w = new float[width];
    float[] b = new float[width];
    HostBuffer.floats(weight).get(0, w, 0, width);
    HostBuffer.floats(bias).get(0, b, 0, width);
    forRanges(rows, 6L * width, (from, to) -> {
      float[] xr = new float[width];
      float[] y = new float[width];
      for (int r = from; r < to; r++) {
        xb.get(r * width, xr, 0, width);
        float m = OPS.sum(xr, 0, width) / width;
        OPS.addScalar(xr, -m, y, 0, width);
        float variance = OPS.dot(y, y, 0, width) / width; // biased, as PyTorch
        float inv = (float) (1.0 / Math.sqrt(variance + eps));
        OPS.scale(y, y, 0, width, inv);
        OPS.multiply(y, w, y, 0, width);
        OPS.add(y, b, y, 0, width);
        yb.put(r * width, y, 0, width);
        mb.put(r, m);
        rb.put(r, inv);
      }
    });
  }

  /**
   * FP32 layer norm backward, a row at a time in float. {@code dWeight} and {@code dBias} are
   * summed per fixed chunk of rows in float, the chunks added in order in double: the same bytes
   * whatever the thread count.
   */
  private static void layerNormBackwardFloat(INDArray in, INDArray dOut, INDArray dx,
      INDArray dWeight, INDArray dBias, INDArray mean, INDArray rstd, INDArray weight) {
    int rows = (int) in.rows();
    int width = (int) in.columns();
    java.nio.FloatBuffer xb = HostBuffer.floats(in);
    java.nio.FloatBuffer gb = HostBuffer.floats(dOut);
    java.nio.FloatBuffer dxb = HostBuffer.floats(dx);
    java.nio.FloatBuffer mb = HostBuffer.floats(mean);
    java.nio.FloatBuffer rb = HostBuffer.floats(rstd);
    float[] w = new float[width];
    HostBuffer.floats(weight).get(0, w, 0, width);
    int chunks = Math.max(1, (rows + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
    float[][] dwParts = new float[chunks][width];
    float[][] dbParts = new float[chunks][width];
    forChunks(rows, REDUCE_CHUNK, 10L * width, (chunk, from, to) -> {
      float[] dwPart = dwParts[chunk];
      float[] dbPart = dbParts[chunk];
      float[] xhat = new float[width];
      float[] g = new float[width];
      float[] dNorm = new float[width];
      float[] u = new float[width];
      for (int r = from; r < to; r++) {
        xb.get(r * width, xhat, 0, width);
        gb.get(r * width, g, 0, width);
        float m = mb.get(r);
        float inv = rb.get(r);
        // dx = rstd (dnorm - mean(dnorm) - xhat mean(dnorm xhat)), dnorm = dOut w
        OPS.addScalar(xhat, -m, xhat, 0, width);
        OPS.scale(xhat, xhat, 0, width, inv);
        OPS.multiply(g, w, dNorm, 0, width);
        float meanDNorm = OPS.sum(dNorm, 0, width) / width;
        float meanDNormXhat = OPS.dot(dNorm, xhat, 0, width) / width;
        OPS.multiplyAdd(g, xhat, dwPart, 0, width);
        OPS.add(dbPart, g, dbPart, 0, width);
        OPS.addScalar(dNorm, -meanDNorm, dNorm, 0, width);
        OPS.scale(xhat, u, 0, width, -meanDNormXhat);
        OPS.add(dNorm, u, dNorm, 0, width);
        OPS.scale(dNorm, dNorm, 0, width, inv);
        dxb.put(r * width, dNorm, 0, width);
      }
    });
    HostBuffer dws = HostBuffer.of(dWeight);
    HostBuffer dbs = HostBuffer.of(dBias);
    for (int c = 0; c < width; c++) { // chunk partials in chunk order: deterministic
      double dwSum = 0;
      double dbSum = 0;
      for (int k = 0; k < chunks; k++) {
        dwSum += dwParts[k][c];
        dbSum += dbParts[k][c];
      }
      dws.add(c, dwSum);
      dbs.add(c, dbSum);
    }
  }

  @Override
  public void layerNormBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor mean, Tensor rstd,
      Tensor weight) {
    INDArray in = a(x);
    int rows = (int) in.rows();
    int width = (int) in.columns();
    if (in.dataType() == DataType.FLOAT) {
      layerNormBackwardFloat(in, a(dOut), a(dx), a(dWeight), a(dBias), a(mean), a(rstd), a(weight));
      return;
    }
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer g = HostBuffer.of(a(dOut));
    HostBuffer dxs = HostBuffer.of(a(dx));
    HostBuffer mu = HostBuffer.of(a(mean));
    HostBuffer rs = HostBuffer.of(a(rstd));
    HostBuffer w = HostBuffer.of(a(weight));
    int chunks = Math.max(1, (rows + REDUCE_CHUNK - 1) / REDUCE_CHUNK);
    double[][] dwParts = new double[chunks][width];
    double[][] dbParts = new double[chunks][width];
    forChunks(rows, REDUCE_CHUNK, 4L * width, (chunk, from, to) -> {
      double[] dwPart = dwParts[chunk];
      double[] dbPart = dbParts[chunk];
      for (int r = from; r < to; r++) {
        int base = r * width;
        double m = mu.get(r);
        double inv = rs.get(r);
        // dx = rstd * (dnorm - mean(dnorm) - xhat * mean(dnorm * xhat)), dnorm = dOut * weight
        double meanDNorm = 0;
        double meanDNormXhat = 0;
        for (int c = 0; c < width; c++) {
          double xhat = (xs.get(base + c) - m) * inv;
          double go = g.get(base + c);
          double dNorm = go * w.get(c);
          meanDNorm += dNorm;
          meanDNormXhat += dNorm * xhat;
          dwPart[c] += go * xhat;
          dbPart[c] += go;
        }
        meanDNorm /= width;
        meanDNormXhat /= width;
        for (int c = 0; c < width; c++) {
          double xhat = (xs.get(base + c) - m) * inv;
          double dNorm = g.get(base + c) * w.get(c);
          dxs.set(base + c, inv * (dNorm - meanDNorm - xhat * meanDNormXhat));
        }
      }
    });
    HostBuffer dws = HostBuffer.of(a(dWeight));
    HostBuffer dbs = HostBuffer.of(a(dBias));
    for (int c = 0; c < width; c++) { // partial sums in chunk order: deterministic
      double dw = 0;
      double db = 0;
      for (int k = 0; k < chunks; k++) {
        dw += dwParts[k][c];
        db += dbParts[k][c];
      }
      dws.add(c, dw);
      dbs.add(c, db);
    }
  }

  @Override
  public void linearForward(Tensor out, Tensor x, Tensor weight, Tensor bias) {
    INDArray y = a(out);
    if (bias == null) {
      sharedGemm(a(x), a(weight), y, false, true, 1.0, 0.0);
      return;
    }
    INDArray b = a(bias);
    if (y.dataType() == DataType.FLOAT && b.dataType() == DataType.FLOAT) {
      // as PyTorch's addmm: the bias copied into every row, then the product added to it (beta 1),
      // one pass over y fewer than adding the bias afterwards
      fillRows(y, b);
      sharedGemm(a(x), a(weight), y, false, true, 1.0, 1.0);
    } else {
      sharedGemm(a(x), a(weight), y, false, true, 1.0, 0.0);
      y.addiRowVector(b.reshape(1, b.length())); // ND4J's native broadcast add
    }
  }

  /**
   * {@code y[r][c] = b[c]} in FP32 on the Java row threads (no OpenMP region: under {@code
   * OMP_WAIT_POLICY=ACTIVE} each one left an OpenMP thread spinning against the row kernels and
   * the BLAS).
   */
  private static void fillRows(INDArray y, INDArray b) {
    int width = (int) y.columns();
    int rows = (int) y.rows();
    // the bias repeated over a block's rows (read-only, shared): one bulk put per block
    int rowsPerBlock = Math.min(rows, Math.max(1, BLOCK / Math.max(1, width)));
    float[] tiled = new float[rowsPerBlock * width];
    HostBuffer.floats(b).get(0, tiled, 0, width);
    for (int r = 1; r < rowsPerBlock; r++) {
      System.arraycopy(tiled, 0, tiled, r * width, width);
    }
    java.nio.FloatBuffer yb = HostBuffer.floats(y);
    forRowBlocks(rows, width, 1, (from, count) -> yb.put(from * width, tiled, 0, count * width));
  }

  @Override
  public void linearBackward(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight) {
    INDArray g = a(dOut);
    if (dx != null) {
      sharedGemm(g, a(weight), a(dx), false, false, 1.0, 0.0);
    }
    sharedGemm(g, a(x), a(dWeight), true, false, 1.0, 1.0);
    if (dBias != null) {
      addColumnSums(a(dBias), g);
    }
  }

  @Override
  public void linearBackwardAccumulate(
      Tensor dx, Tensor dWeight, Tensor dBias, Tensor dOut, Tensor x, Tensor weight) {
    INDArray g = a(dOut);
    sharedGemm(g, a(weight), a(dx), false, false, 1.0, 1.0); // beta 1: dx += dOut W
    sharedGemm(g, a(x), a(dWeight), true, false, 1.0, 1.0);
    if (dBias != null) {
      addColumnSums(a(dBias), g);
    }
  }

  @Override
  public void geluForward(Tensor out, Tensor x) {
    INDArray in = a(x);
    INDArray y = a(out);
    checkSameLength(y, in, "geluForward");
    int n = (int) in.length();
    if (in.dataType() == DataType.FLOAT && y.dataType() == DataType.FLOAT) {
      java.nio.FloatBuffer xb = HostBuffer.floats(in);
      java.nio.FloatBuffer yb = HostBuffer.floats(y);
      forRowBlocks(n, 1, 16, (from, len) -> {
        float[] xs = scratch(0, len);
        xb.get(from, xs, 0, len);
        OPS.gelu(xs, xs, 0, len);
        yb.put(from, xs, 0, len);
      });
      return;
    }
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer ys = HostBuffer.of(y);
    // erf through ND4J's native transform (vectorized, OpenMP), the rest in one pass each side
    forRanges(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        ys.set(i, xs.get(i) * INV_SQRT2);
      }
    });
    Nd4j.getExecutioner().exec(new Erf(y, y));
    forRanges(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        ys.set(i, 0.5 * xs.get(i) * (1.0 + ys.get(i)));
      }
    });
  }

  @Override
  public void geluBackward(Tensor dx, Tensor dOut, Tensor x) {
    INDArray in = a(x);
    INDArray d = a(dx);
    checkSameLength(d, in, "geluBackward");
    checkSameLength(a(dOut), in, "geluBackward");
    // d/dx [x Phi(x)] = Phi(x) + x phi(x) = 0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)
    if (in.dataType() == DataType.FLOAT && d.dataType() == DataType.FLOAT) {
      java.nio.FloatBuffer xb = HostBuffer.floats(in);
      java.nio.FloatBuffer gb = HostBuffer.floats(a(dOut));
      java.nio.FloatBuffer db = HostBuffer.floats(d);
      forRowBlocks((int) in.length(), 1, 24, (from, len) -> {
        float[] xs = scratch(0, len);
        float[] gs = scratch(1, len);
        xb.get(from, xs, 0, len);
        gb.get(from, gs, 0, len);
        OPS.geluBackward(xs, gs, 0, len);
        db.put(from, gs, 0, len);
      });
      return;
    }
    INDArray density = temp(in.shape());
    HostBuffer xs = HostBuffer.of(in);
    HostBuffer ds = HostBuffer.of(d);
    HostBuffer es = HostBuffer.of(density);
    HostBuffer gs = HostBuffer.of(a(dOut));
    int n = (int) in.length();
    forRanges(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        double v = xs.get(i);
        ds.set(i, v * INV_SQRT2);
        es.set(i, -0.5 * v * v);
      }
    });
    Nd4j.getExecutioner().exec(new Erf(d, d));
    Transforms.exp(density, false);
    forRanges(n, 1, (from, to) -> {
      for (int i = from; i < to; i++) {
        double slope = 0.5 * (1.0 + ds.get(i)) + xs.get(i) * es.get(i) * INV_SQRT_2PI;
        ds.set(i, gs.get(i) * slope);
      }
    });
    release(density);
  }

  @Override
  public void tanhForward(Tensor out, Tensor x) {
    // straight into out: no temporary outside the scope (the classification head's [B, C])
    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh(a(x), a(out)));
  }

  @Override
  public void tanhBackward(Tensor dx, Tensor dOut, Tensor out) {
    INDArray y = a(out);
    INDArray d = a(dx);
    checkSameLength(d, y, "tanhBackward");
    HostBuffer ys = HostBuffer.of(y);
    HostBuffer gs = HostBuffer.of(a(dOut));
    HostBuffer ds = HostBuffer.of(d);
    for (int i = 0, n = (int) d.length(); i < n; i++) {
      double v = ys.get(i);
      ds.set(i, gs.get(i) * (1.0 - v * v));
    }
  }

  /** {@code [B*T, C]} as heads {@code [B, nh, T, d]} (a view). */
  private static INDArray heads(INDArray x, long batch, long seq, int numHeads) {
    long headDim = x.size(1) / numHeads;
    return x.reshape('c', batch, seq, numHeads, headDim).permute(0, 2, 1, 3);
  }

  /**
   * {@code [B*T, C]} as a contiguous temporary {@code [B, nh, T, d]}: ND4J's batched matmul runs
   * several times faster on contiguous heads than on the permuted view, and the copy is cheap.
   */
  private INDArray headsCopy(INDArray x, long batch, long seq, int numHeads) {
    INDArray view = heads(x, batch, seq, numHeads);
    INDArray copy = temp(view.shape());
    copy.assign(view);
    return copy;
  }

  /** {@code z = alpha * op(x) op(y)}, batched over leading dimensions, by ND4J's matmul. */
  private static void matmul(INDArray x, INDArray y, INDArray z, boolean transposeX,
      boolean transposeY, double alpha) {
    Nd4j.exec(new org.nd4j.linalg.api.ops.impl.reduce.Mmul(x, y, z, alpha, 0.0,
        new org.nd4j.linalg.api.blas.params.MMulTranspose(transposeX, transposeY, false)));
  }

  /**
   * Attention's matrix products as one BLAS call per (sequence, head), straight on the {@code [B*T,
   * C]} activations (a head is a strided block: leading dimension C), split across the Java
   * workers with the BLAS on one thread per call. ND4J's batched {@code Mmul} over contiguous
   * {@code [B, nh, T, d]} copies ran these 128 x 32 x 128 products at 3-8 GFLOP/s on the tiny
   * model (61% of a training step); one single-threaded {@code cblas_sgemm} per head runs them
   * at about 50 GFLOP/s per core, and the head copies go away. CPU backend only (the arrays must
   * live in host memory); {@code -Droberta.attention=batched} keeps the batched path.
   */
  private static final boolean HEAD_GEMM = !"batched".equals(System.getProperty("roberta.attention"))
      && Nd4j.getBackend().getClass().getSimpleName().equals("CpuBackend");

  /**
   * OpenBLAS's results depend on its thread count (a 2048 x 128 x 512 product differs in the
   * last bits between 1 and 2 threads), and the count is process-wide. Matrix products at the
   * configured count hold this lock shared; a section that switches OpenBLAS to one thread holds
   * it exclusively, so no other thread's product ever runs at the switched count and every
   * runner, bundling and shard count gives the same bytes.
   */
  private static final java.util.concurrent.locks.ReentrantReadWriteLock BLAS_COUNT =
      new java.util.concurrent.locks.ReentrantReadWriteLock();

  /** {@link Nd4j#gemm} at the configured BLAS thread count (see {@link #BLAS_COUNT}). */
  private static void sharedGemm(INDArray a, INDArray b, INDArray c, boolean transposeA,
      boolean transposeB, double alpha, double beta) {
    BLAS_COUNT.readLock().lock();
    try {
      Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
    } finally {
      BLAS_COUNT.readLock().unlock();
    }
  }

  /**
   * Runs {@code body} with the BLAS on one thread per call (the Java workers split the heads),
   * exclusively: no product at the configured count runs meanwhile.
   */
  private static void withSingleThreadedBlas(Runnable body) {
    BLAS_COUNT.writeLock().lock();
    try {
      int outside = org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads();
      if (outside > 1) {
        org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(1);
      }
      try {
        body.run();
      } finally {
        if (outside > 1) {
          org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(outside);
        }
      }
    } finally {
      BLAS_COUNT.writeLock().unlock();
    }
  }

  /**
   * Row-major {@code C = alpha op(A) op(B)} on blocks of host arrays, element offsets and leading
   * dimensions given, by OpenBLAS on the calling thread. One instance per worker thread: it
   * keeps its own pointers, moved per call.
   */
  private static final class BlockGemm {
    private final boolean single;
    private final org.bytedeco.javacpp.Pointer[] moving;

    BlockGemm(INDArray... arrays) {
      DataType type = arrays[0].dataType();
      if (type != DataType.FLOAT && type != DataType.DOUBLE) {
        throw new IllegalStateException("kernel supports FLOAT and DOUBLE, got " + type);
      }
      single = type == DataType.FLOAT;
      moving = new org.bytedeco.javacpp.Pointer[arrays.length];
      for (int i = 0; i < arrays.length; i++) {
        HostBuffer.checkContiguous(arrays[i]);
        if (arrays[i].dataType() != type) {
          throw new IllegalStateException("attention arrays mix " + type + " and " + arrays[i].dataType());
        }
        org.bytedeco.javacpp.Pointer base = arrays[i].data().addressPointer();
        moving[i] = single ? new org.bytedeco.javacpp.FloatPointer(base) : new org.bytedeco.javacpp.DoublePointer(base);
      }
    }

    /** {@code C[c] = alpha op(A[a]) op(B[b])}, {@code op} a transpose when asked; m x k times k x n. */
    void gemm(int a, long aOff, int lda, boolean ta, int b, long bOff, int ldb, boolean tb,
        int c, long cOff, int ldc, int m, int n, int k, double alpha) {
      int order = org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
      int no = org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
      int yes = org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
      if (single) {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm(order, ta ? yes : no, tb ? yes : no,
            m, n, k, (float) alpha, at(a, aOff), lda, at(b, bOff), ldb, 0f, at(c, cOff), ldc);
      } else {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm(order, ta ? yes : no, tb ? yes : no,
            m, n, k, alpha, atD(a, aOff), lda, atD(b, bOff), ldb, 0.0, atD(c, cOff), ldc);
      }
    }

    private org.bytedeco.javacpp.FloatPointer at(int i, long offset) {
      return ((org.bytedeco.javacpp.FloatPointer) moving[i]).position(offset);
    }

    private org.bytedeco.javacpp.DoublePointer atD(int i, long offset) {
      return ((org.bytedeco.javacpp.DoublePointer) moving[i]).position(offset);
    }
  }

  /** A body over one (sequence, head) pair, with its thread's {@link BlockGemm}. */
  interface HeadBody {
    void run(BlockGemm g, int b, int h);
  }

  /** Runs {@code body} for every (sequence, head), split across the Java workers. */
  private static void forHeads(int batch, int numHeads, long costPerHead, INDArray[] arrays, HeadBody body) {
    withSingleThreadedBlas(() -> forRanges(batch * numHeads, costPerHead, (from, to) -> {
      BlockGemm g = new BlockGemm(arrays);
      for (int bh = from; bh < to; bh++) {
        body.run(g, bh / numHeads, bh % numHeads);
      }
    }));
  }

  /** Whether every key may be attended (no padding): the key bias can then be skipped. */
  private static boolean allZero(HostBuffer b, int n) {
    for (int i = 0; i < n; i++) {
      if (b.get(i) != 0.0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void attentionForward(
      Tensor context, Tensor probs, Tensor q, Tensor k, Tensor v, Tensor keyBias, int numHeads,
      Tensor dropMask) {
    INDArray bias = a(keyBias);
    long batch = bias.size(0);
    long seq = bias.size(1);
    long headDim = a(q).size(1) / numHeads;
    INDArray p = a(probs);
    INDArray scores = temp(batch, numHeads, seq, seq); // [B,nh,T,T]
    double scale = 1.0 / Math.sqrt(headDim);
    if (HEAD_GEMM) {
      int t = (int) seq;
      int c = (int) a(q).size(1);
      int d = (int) headDim;
      long tt = (long) t * t;
      if (scores.dataType() == DataType.FLOAT && p.dataType() == DataType.FLOAT) {
        attentionPerHead(context, p, q, k, v, bias, numHeads, dropMask, scores, scale);
        release(scores);
        return;
      }
      forHeads((int) batch, numHeads, tt * d, new INDArray[] {a(q), a(k), scores}, (g, b, h) -> {
        long off = (long) b * t * c + (long) h * d;
        g.gemm(0, off, c, false, 1, off, c, true, 2, ((long) b * numHeads + h) * tt, t, t, t, d, scale);
      });
      INDArray mixing = softmaxRows(scores, p, bias, numHeads, dropMask);
      forHeads((int) batch, numHeads, tt * d, new INDArray[] {mixing, a(v), a(context)}, (g, b, h) -> {
        long off = (long) b * t * c + (long) h * d;
        g.gemm(0, ((long) b * numHeads + h) * tt, t, false, 1, off, c, false, 2, off, c, t, d, t, 1.0);
      });
      release(scores);
      return;
    }
    INDArray qh = headsCopy(a(q), batch, seq, numHeads); // [B,nh,T,d]
    INDArray kh = headsCopy(a(k), batch, seq, numHeads);
    INDArray vh = headsCopy(a(v), batch, seq, numHeads);
    matmul(qh, kh, scores, false, true, scale);
    INDArray mixing = softmaxRows(scores, p, bias, numHeads, dropMask);
    INDArray contextHeads = temp(batch, numHeads, seq, headDim); // [B,nh,T,d]
    matmul(mixing, vh, contextHeads, false, false, 1.0);
    heads(a(context), batch, seq, numHeads).assign(contextHeads);
    for (INDArray temporary : new INDArray[] {contextHeads, scores, qh, kh, vh}) {
      release(temporary);
    }
  }

  /**
   * FP32 attention one (sequence, head) at a time on each Java worker: its scores {@code Q K^T},
   * the key bias, softmax (into {@code p}) and dropout mask, then {@code P V}, while the head's
   * {@code T x T} block is still in the core's cache. The same float operations in the same order
   * as the three whole-batch passes (products, {@link #softmaxRows}, products), so the same bytes;
   * those passes streamed every layer's {@code [B,nh,T,T]} scores through memory three times
   * (16.8 MB each for 64 x 128 tokens and 4 heads).
   */
  private void attentionPerHead(Tensor context, INDArray p, Tensor q, Tensor k, Tensor v, INDArray bias,
      int numHeads, Tensor dropMask, INDArray scores, double scale) {
    int batch = (int) bias.size(0);
    int t = (int) bias.size(1);
    int c = (int) a(q).size(1);
    int d = c / numHeads;
    int tt = t * t;
    HostBuffer bs = HostBuffer.of(bias);
    boolean padded = !allZero(bs, (int) bias.length());
    java.nio.FloatBuffer sb = HostBuffer.floats(scores);
    java.nio.FloatBuffer pb = HostBuffer.floats(p);
    java.nio.FloatBuffer mb = dropMask == null ? null : HostBuffer.floats(a(dropMask));
    // arrays by index: 0 q, 1 k, 2 scores (masked probabilities with dropout), 3 p, 4 v, 5 context
    int mixing = dropMask == null ? 3 : 2;
    forHeads(batch, numHeads, (long) tt * d, new INDArray[] {a(q), a(k), scores, p, a(v), a(context)}, (g, b, h) -> {
      long off = (long) b * t * c + (long) h * d;
      int block = (b * numHeads + h) * tt;
      g.gemm(0, off, c, false, 1, off, c, true, 2, block, t, t, t, d, scale);
      float[] x = scratch(0, tt);
      sb.get(block, x, 0, tt);
      float[] keyBias = null;
      if (padded) {
        keyBias = scratch(2, t);
        for (int j = 0; j < t; j++) {
          keyBias[j] = (float) bs.get(b * t + j);
        }
      }
      for (int r = 0; r < t; r++) {
        softmaxRow(x, r * t, t, keyBias);
      }
      pb.put(block, x, 0, tt);
      if (mb != null) {
        float[] m = scratch(1, tt);
        mb.get(block, m, 0, tt);
        OPS.multiply(x, m, x, 0, tt);
        sb.put(block, x, 0, tt);
      }
      g.gemm(mixing, block, t, false, 4, off, c, false, 5, off, c, t, d, t, 1.0);
    });
  }

  /** One row of attention scores {@code x[off, off + t)} into probabilities: key bias (if any), softmax. */
  private static void softmaxRow(float[] x, int off, int t, float[] keyBias) {
    if (keyBias != null) {
      for (int j = 0; j < t; j++) {
        x[off + j] += keyBias[j];
      }
    }
    float sum = OPS.expShiftedRow(x, off, t);
    OPS.scale(x, x, off, t, 1f / sum);
  }

  /**
   * Attention probabilities from scaled scores {@code [B,nh,T,T]}: key bias, softmax into {@code
   * p}, and with a dropout mask the masked probabilities written over the spent scores. Returns
   * what multiplies the values: {@code p}, or the scores array holding the masked probabilities.
   */
  private INDArray softmaxRows(INDArray scores, INDArray p, INDArray bias, int numHeads, Tensor dropMask) {
    long batch = bias.size(0);
    int t = (int) bias.size(1);
    HostBuffer bs = HostBuffer.of(bias);
    if (scores.dataType() == DataType.FLOAT && p.dataType() == DataType.FLOAT) {
      // one pass per block of rows: key bias, softmax, dropout mask (into the spent scores)
      boolean padded = !allZero(bs, (int) bias.length());
      java.nio.FloatBuffer sb = HostBuffer.floats(scores);
      java.nio.FloatBuffer pb = HostBuffer.floats(p);
      java.nio.FloatBuffer mb = dropMask == null ? null : HostBuffer.floats(a(dropMask));
      int heads = numHeads;
      forRowBlocks((int) (batch * numHeads * t), t, 12, (from, rows) -> {
        int len = rows * t;
        float[] x = scratch(0, len);
        sb.get(from * t, x, 0, len);
        float[] keyBias = padded ? new float[t] : null;
        int biasRow = -1;
        for (int r = 0; r < rows; r++) {
          int off = r * t;
          if (padded) {
            int b = (from + r) / (heads * t);
            if (b != biasRow) { // one sequence's key bias, read once for its rows
              for (int j = 0; j < t; j++) {
                keyBias[j] = (float) bs.get(b * t + j);
              }
              biasRow = b;
            }
          }
          softmaxRow(x, off, t, keyBias);
        }
        pb.put(from * t, x, 0, len);
        if (mb != null) {
          float[] m = scratch(1, len);
          mb.get(from * t, m, 0, len);
          OPS.multiply(x, m, x, 0, len);
          sb.put(from * t, x, 0, len);
        }
      });
      return dropMask == null ? p : scores;
    }
    if (!allZero(bs, (int) bias.length())) {
      HostBuffer ss = HostBuffer.of(scores);
      int heads = numHeads;
      forRanges((int) (batch * numHeads * t), t, (from, to) -> {
        for (int row = from; row < to; row++) {
          int b = row / (heads * t);
          for (int j = 0; j < t; j++) {
            ss.set(row * t + j, ss.get(row * t + j) + bs.get(b * t + j));
          }
        }
      });
    }
    Nd4j.exec(new SoftMax(scores, p, -1));
    if (dropMask == null) {
      return p;
    }
    p.mul(a(dropMask), scores); // the scores are spent
    return scores;
  }

  @Override
  public void attentionBackward(
      Tensor dq, Tensor dk, Tensor dv, Tensor dContext, Tensor probs, Tensor q, Tensor k, Tensor v,
      int numHeads, Tensor dropMask) {
    INDArray p = a(probs);
    long batch = p.size(0);
    long seq = p.size(2);
    long headDim = a(q).size(1) / numHeads;
    INDArray dProbs = temp(batch, numHeads, seq, seq);
    // in the forward pass this was: context = (probs * dropMask) @ v
    INDArray mixing = p;
    if (dropMask != null) {
      mixing = dProbs; // borrowed until dProbs is computed below
      if (p.dataType() == DataType.FLOAT) {
        binary(p, a(dropMask), mixing, true);
      } else {
        p.mul(a(dropMask), mixing);
      }
    }
    int t = (int) seq;
    int c = (int) a(q).size(1);
    int d = (int) headDim;
    long tt = (long) t * t;
    INDArray qh = null;
    INDArray kh = null;
    INDArray vh = null;
    INDArray dContextHeads = null;
    INDArray dvHeads = null;
    if (HEAD_GEMM) {
      // per head: dV = mixing^T dContext, then dProbs = dContext V^T over the same (spent) slice
      forHeads((int) batch, numHeads, 2 * tt * d, new INDArray[] {mixing, a(dContext), a(dv), a(v), dProbs},
          (g, b, h) -> {
            long off = (long) b * t * c + (long) h * d;
            long poff = ((long) b * numHeads + h) * tt;
            g.gemm(0, poff, t, true, 1, off, c, false, 2, off, c, t, d, t, 1.0);
            g.gemm(1, off, c, false, 3, off, c, true, 4, poff, t, t, t, d, 1.0);
          });
    } else {
      qh = headsCopy(a(q), batch, seq, numHeads); // [B,nh,T,d]
      kh = headsCopy(a(k), batch, seq, numHeads);
      vh = headsCopy(a(v), batch, seq, numHeads);
      dContextHeads = headsCopy(a(dContext), batch, seq, numHeads);
      dvHeads = temp(batch, numHeads, seq, headDim);
      matmul(mixing, dContextHeads, dvHeads, true, false, 1.0);
      heads(a(dv), batch, seq, numHeads).assign(dvHeads);
      matmul(dContextHeads, vh, dProbs, false, true, 1.0);
    }
    // softmax backward, with the dropout mask and the 1/sqrt(d) scale folded into one pass:
    // dScores = p * (dProbs * mask - sum(dProbs * mask * p)) * scale
    double scale = 1.0 / Math.sqrt(headDim);
    if (dProbs.dataType() == DataType.FLOAT && p.dataType() == DataType.FLOAT) {
      java.nio.FloatBuffer gb = HostBuffer.floats(dProbs);
      java.nio.FloatBuffer pb = HostBuffer.floats(p);
      java.nio.FloatBuffer mb = dropMask == null ? null : HostBuffer.floats(a(dropMask));
      float fscale = (float) scale;
      forRowBlocks((int) (batch * numHeads * seq), t, 8, (from, rows) -> {
        int len = rows * t;
        float[] g = scratch(0, len);
        float[] pr = scratch(1, len);
        float[] m = mb == null ? null : scratch(2, len);
        gb.get(from * t, g, 0, len);
        pb.get(from * t, pr, 0, len);
        if (m != null) {
          mb.get(from * t, m, 0, len);
        }
        for (int r = 0; r < rows; r++) {
          int off = r * t;
          float dot = OPS.maskDot(g, m, pr, off, t);
          OPS.softmaxGrad(g, pr, off, t, dot, fscale);
        }
        gb.put(from * t, g, 0, len);
      });
    } else {
    HostBuffer dps = HostBuffer.of(dProbs);
    HostBuffer ps = HostBuffer.of(p);
    HostBuffer ms = dropMask == null ? null : HostBuffer.of(a(dropMask));
    forRanges((int) (batch * numHeads * seq), t, (from, to) -> {
      for (int row = from; row < to; row++) {
        int base = row * t;
        double dot = 0;
        for (int j = 0; j < t; j++) {
          double g = dps.get(base + j);
          if (ms != null) {
            g *= ms.get(base + j);
            dps.set(base + j, g);
          }
          dot += g * ps.get(base + j);
        }
        for (int j = 0; j < t; j++) {
          dps.set(base + j, ps.get(base + j) * (dps.get(base + j) - dot) * scale);
        }
      }
    });
    }
    INDArray dScores = dProbs;
    if (HEAD_GEMM) {
      // per head: dQ = dScores K, dK = dScores^T Q
      forHeads((int) batch, numHeads, 2 * tt * d, new INDArray[] {dScores, a(k), a(dq), a(q), a(dk)},
          (g, b, h) -> {
            long off = (long) b * t * c + (long) h * d;
            long poff = ((long) b * numHeads + h) * tt;
            g.gemm(0, poff, t, false, 1, off, c, false, 2, off, c, t, d, t, 1.0);
            g.gemm(0, poff, t, true, 3, off, c, false, 4, off, c, t, d, t, 1.0);
          });
      release(dProbs);
      return;
    }
    INDArray dHeads = dvHeads; // reused for dq, then dk
    matmul(dScores, kh, dHeads, false, false, 1.0);
    heads(a(dq), batch, seq, numHeads).assign(dHeads);
    matmul(dScores, qh, dHeads, true, false, 1.0);
    heads(a(dk), batch, seq, numHeads).assign(dHeads);
    for (INDArray temporary : new INDArray[] {dHeads, dProbs, qh, kh, vh, dContextHeads}) {
      release(temporary);
    }
  }

  /** Elements per dropout chunk: each chunk draws from its own stream, so threads may split them. */
  private static final int DROPOUT_CHUNK = 1 << 14;

  @Override
  public void dropoutMask(Tensor mask, double p, long seed) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException("dropout probability " + p + " outside [0, 1)");
    }
    HostBuffer m = HostBuffer.of(a(mask));
    double keep = 1.0 / (1.0 - p);
    int n = (int) a(mask).length();
    int chunks = (n + DROPOUT_CHUNK - 1) / DROPOUT_CHUNK;
    // the same bytes for a seed whatever the thread count: chunk c always uses stream (seed, c).
    // Each 64-bit draw decides two elements (two unsigned 32-bit uniforms against p * 2^32).
    long threshold = (long) Math.ceil(p * 4294967296.0);
    if (a(mask).dataType() == DataType.FLOAT) {
      // the same draws and values as below, written a chunk at a time
      java.nio.FloatBuffer mb = HostBuffer.floats(a(mask));
      float kept = (float) keep;
      forRanges(chunks, DROPOUT_CHUNK, (from, to) -> {
        float[] values = new float[DROPOUT_CHUNK];
        for (int c = from; c < to; c++) {
          SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (c + 1)));
          int start = c * DROPOUT_CHUNK;
          int len = Math.min(n, start + DROPOUT_CHUNK) - start;
          for (int i = 0; i < len; i += 2) {
            long bits = random.nextLong();
            values[i] = (bits >>> 32) < threshold ? 0f : kept;
            if (i + 1 < len) {
              values[i + 1] = (bits & 0xFFFFFFFFL) < threshold ? 0f : kept;
            }
          }
          mb.put(start, values, 0, len);
        }
      });
      return;
    }
    forRanges(chunks, DROPOUT_CHUNK, (from, to) -> {
      for (int c = from; c < to; c++) {
        SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (c + 1)));
        int end = Math.min(n, (c + 1) * DROPOUT_CHUNK);
        for (int i = c * DROPOUT_CHUNK; i < end; i += 2) {
          long bits = random.nextLong();
          m.set(i, (bits >>> 32) < threshold ? 0.0 : keep);
          if (i + 1 < end) {
            m.set(i + 1, (bits & 0xFFFFFFFFL) < threshold ? 0.0 : keep);
          }
        }
      }
    });
  }

  @Override
  public double crossEntropy(
      Tensor logits, int[] rows, int[] targets, double scale, Tensor dLogits) {
    INDArray z = a(logits);
    long classes = z.size(1);
    if (rows != null && rows.length != targets.length) {
      throw new IllegalArgumentException(
          rows.length + " rows but " + targets.length + " targets");
    }
    if (rows == null && targets.length != z.rows()) {
      throw new IllegalArgumentException(
          targets.length + " targets for " + z.rows() + " rows of logits");
    }
    for (int t : targets) {
      if (t < 0 || t >= classes) {
        throw new IllegalArgumentException("target " + t + " outside [0, " + classes + ")");
      }
    }
    int count = targets.length;
    int[] selectedRows = rows != null ? rows : java.util.stream.IntStream.range(0, count).toArray();
    checkIds(selectedRows, z.rows(), "crossEntropy");
    INDArray selected = rows == null ? z : Nd4j.pullRows(z, 1, rows); // [M, K]
    // all rows and a gradient wanted: the softmax goes straight into dLogits
    boolean inPlace = rows == null && dLogits != null;
    INDArray probs = inPlace ? a(dLogits) : temp(selected.shape());
    HostBuffer ps = HostBuffer.of(probs);
    HostBuffer zs = HostBuffer.of(selected);
    int width = (int) classes;
    double[] losses = new double[count];
    if (selected.dataType() == DataType.FLOAT && probs.dataType() == DataType.FLOAT) {
      // softmax, loss, the -1 at the target and the scale in one pass over a block of rows
      java.nio.FloatBuffer zb = HostBuffer.floats(selected);
      java.nio.FloatBuffer pb = HostBuffer.floats(probs);
      float fscale = (float) scale;
      forRowBlocks(count, width, 12, (from, blockRows) -> {
        int len = blockRows * width;
        float[] x = scratch(0, len);
        zb.get(from * width, x, 0, len);
        for (int r = 0; r < blockRows; r++) {
          int j = from + r;
          int off = r * width;
          float inv = 1f / OPS.expShiftedRow(x, off, width);
          float p = x[off + targets[j]] * inv;
          losses[j] = p > 1e-30 ? -Math.log(p) : -logSoftmaxAt(zs, j * width, width, targets[j]);
          if (dLogits != null) {
            OPS.scale(x, x, off, width, inv);
            x[off + targets[j]] = p - 1f;
            OPS.scale(x, x, off, width, fscale);
          }
        }
        if (dLogits != null) {
          pb.put(from * width, x, 0, len);
        }
      });
    } else {
    Nd4j.exec(new SoftMax(selected, probs, -1));
    forRanges(count, width, (from, to) -> {
      for (int j = from; j < to; j++) {
        double p = ps.get(j * width + targets[j]);
        // -log p from the rounded probability is exact to ~1e-7; an underflowed p needs logsumexp
        losses[j] = p > 1e-30 ? -Math.log(p) : -logSoftmaxAt(zs, j * width, width, targets[j]);
        if (dLogits != null) {
          int base = j * width;
          ps.set(base + targets[j], p - 1.0);
          for (int c = 0; c < width; c++) {
            ps.set(base + c, ps.get(base + c) * scale);
          }
        }
      }
    });
    }
    double loss = 0;
    for (double l : losses) {
      loss += l; // in row order: the same sum whatever the thread count
    }
    if (dLogits != null && !inPlace) {
      INDArray d = a(dLogits);
      if (rows == null) {
        d.assign(probs);
      } else {
        d.assign(0.0);
        HostBuffer ds = HostBuffer.of(d);
        for (int j = 0; j < count; j++) {
          for (int c = 0; c < width; c++) {
            ds.add(rows[j] * width + c, ps.get(j * width + c));
          }
        }
      }
    }
    if (!inPlace) {
      release(probs);
    }
    if (selected != z) {
      selected.close();
    }
    return scale * loss;
  }

  @Override
  public int[] argmaxRows(Tensor logits) {
    INDArray z = a(logits);
    if (z.dataType() == DataType.FLOAT && z.rank() == 2) {
      // on the Java row threads, like the other FP32 row kernels: ND4J's argMax is an OpenMP
      // region, whose threads under OMP_WAIT_POLICY=ACTIVE spin on against the BLAS and the next
      // kernels (no measurable difference on the Intel machine of 2026-12-03: infer 0.179 vs 0.180 s)
      int width = (int) z.size(1);
      int[] out = new int[(int) z.size(0)];
      java.nio.FloatBuffer zb = HostBuffer.floats(z);
      forRowBlocks(out.length, width, 1, (from, blockRows) -> {
        float[] x = scratch(0, blockRows * width);
        zb.get(from * width, x, 0, blockRows * width);
        for (int r = 0; r < blockRows; r++) {
          int off = r * width;
          int best = 0;
          float max = x[off];
          for (int c = 1; c < width; c++) {
            if (x[off + c] > max) { // strict: the first index on ties
              max = x[off + c];
              best = c;
            }
          }
          out[from + r] = best;
        }
      });
      return out;
    }
    // ND4J's native arg-max (the first index on ties, as the interface asks)
    INDArray best = Nd4j.argMax(z, 1);
    try {
      int[] out = new int[(int) best.length()];
      for (int j = 0; j < out.length; j++) {
        out[j] = (int) best.getLong(j);
      }
      return out;
    } finally {
      best.close();
    }
  }

  /** {@code log softmax(z[base .. base+width))[target]}, computed in double. */
  private static double logSoftmaxAt(HostBuffer z, int base, int width, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < width; c++) {
      max = Math.max(max, z.get(base + c));
    }
    double sum = 0;
    for (int c = 0; c < width; c++) {
      sum += Math.exp(z.get(base + c) - max);
    }
    return z.get(base + target) - max - Math.log(sum);
  }

  // ---- optimizer ---------------------------------------------------------------------------

  @Override
  public void adamW(
      Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step) {
    // one pass, no temporaries: the optimizer touches every parameter every step
    double decay = 1.0 - lr * weightDecay;
    double stepSize = lr / (1.0 - Math.pow(beta1, step));
    double biasCorrection2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
    if (a(param).dataType() == DataType.FLOAT && a(grad).dataType() == DataType.FLOAT
        && a(m).dataType() == DataType.FLOAT && a(v).dataType() == DataType.FLOAT) {
      // the same double arithmetic as below, on blocks copied in bulk (no per-element buffer calls)
      java.nio.FloatBuffer pb = HostBuffer.floats(a(param));
      java.nio.FloatBuffer gb = HostBuffer.floats(a(grad));
      java.nio.FloatBuffer mb = HostBuffer.floats(a(m));
      java.nio.FloatBuffer vb = HostBuffer.floats(a(v));
      int n = (int) a(param).length();
      int blocks = (n + BLOCK - 1) / BLOCK;
      // scratch per worker chunk, not per block: the heap stays flat over a big model
      int scratch = Math.min(n, BLOCK); // most tensors are biases and norms of a few hundred
      forRanges(blocks, 8L * BLOCK, (firstBlock, endBlock) -> {
        float[] ps = new float[scratch];
        float[] gs = new float[scratch];
        float[] ms = new float[scratch];
        float[] vs = new float[scratch];
        for (int blk = firstBlock; blk < endBlock; blk++) {
          int from = blk * BLOCK;
          int len = Math.min(n, from + BLOCK) - from;
          pb.get(from, ps, 0, len);
          gb.get(from, gs, 0, len);
          mb.get(from, ms, 0, len);
          vb.get(from, vs, 0, len);
          for (int i = 0; i < len; i++) {
            double gi = gs[i];
            double mi = beta1 * ms[i] + (1.0 - beta1) * gi;
            double vi = beta2 * vs[i] + (1.0 - beta2) * gi * gi;
            ms[i] = (float) mi;
            vs[i] = (float) vi;
            double denominator = Math.sqrt(vi) / biasCorrection2Sqrt + eps;
            ps[i] = (float) (ps[i] * decay - stepSize * mi / denominator);
          }
          pb.put(from, ps, 0, len);
          mb.put(from, ms, 0, len);
          vb.put(from, vs, 0, len);
        }
      });
      return;
    }
    HostBuffer p = HostBuffer.of(a(param));
    HostBuffer g = HostBuffer.of(a(grad));
    HostBuffer m1 = HostBuffer.of(a(m));
    HostBuffer m2 = HostBuffer.of(a(v));
    forRanges((int) a(param).length(), 8, (from, to) -> {
      for (int i = from; i < to; i++) {
        double gi = g.get(i);
        double mi = beta1 * m1.get(i) + (1.0 - beta1) * gi;
        double vi = beta2 * m2.get(i) + (1.0 - beta2) * gi * gi;
        m1.set(i, mi);
        m2.set(i, vi);
        double denominator = Math.sqrt(vi) / biasCorrection2Sqrt + eps;
        p.set(i, p.get(i) * decay - stepSize * mi / denominator);
      }
    });
  }
}
