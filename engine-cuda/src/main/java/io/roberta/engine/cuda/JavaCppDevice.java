package io.roberta.engine.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMajor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMinor;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetDefaultMemPool;
import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeAsync;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMallocAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemPoolAttrReleaseThreshold;
import static org.bytedeco.cuda.global.cudart.cudaMemPoolSetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import io.roberta.engine.kernels.BackendUnavailableException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmemPoolHandle_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The GPU through JavaCPP's CUDA 13 presets: memory from the runtime's stream-ordered pool, the
 * kernels compiled by NVRTC for this device's architecture and launched through the driver API,
 * products through cuBLAS. Everything runs in order on the legacy default stream. The only class
 * of the backend that touches JavaCPP: nothing loads it until {@link #open()} runs.
 *
 * <p>Kernels run asynchronously, so a kernel that faults is otherwise reported by the next copy,
 * under that copy's name. With {@value #DEBUG_SYNC_PROPERTY}{@code =true} (or {@code
 * ROBERTA_CUDA_DEBUG_SYNC=1}) the device waits after every launch and product and names the one
 * that failed, with CUDA's error name. Slow: for finding a fault, not for timing.
 */
final class JavaCppDevice implements Device {
  static final String DEBUG_SYNC_PROPERTY = "roberta.cuda.debugSync";
  private static final CUstream_st DEFAULT_STREAM = null;
  private static final int MAX_ARGS = 32;

  private final String description;
  private final int computeCapability;
  private final cublasContext cublas = new cublasContext();
  private final CUctx_st context = new CUctx_st();
  private final Map<String, CUfunc_st> functions = new HashMap<>();
  private final KernelSignatures signatures = KernelSignatures.load();
  // one argument block reused by every launch: no allocation per launch
  private final LongPointer[] argSlots = new LongPointer[MAX_ARGS];
  private final PointerPointer<LongPointer> argv = new PointerPointer<>(MAX_ARGS);
  private final FloatPointer alpha = new FloatPointer(1);
  private final FloatPointer beta = new FloatPointer(1);
  private final ThreadLocal<Boolean> contextSet = ThreadLocal.withInitial(() -> false);
  private volatile boolean debugSync = debugSync();

  void debugSync(boolean on) {
    debugSync = on;
  }

  /** Whether every launch is followed by a synchronisation that names a failing kernel. */
  static boolean debugSync() {
    return Boolean.getBoolean(DEBUG_SYNC_PROPERTY) || "1".equals(System.getenv("ROBERTA_CUDA_DEBUG_SYNC"));
  }

  /** A pointer to a device address that JavaCPP did not allocate. */
  private static final class Raw extends Pointer {
    Raw(long address) {
      this.address = address;
    }
  }

  /** Opens device 0; a {@link BackendUnavailableException} says what is missing. */
  static JavaCppDevice open() {
    try {
      return new JavaCppDevice();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      throw new BackendUnavailableException("--backend=cuda: the CUDA 13 libraries could not be loaded ("
          + e.getMessage() + "); put cudart, cuBLAS, cuBLASLt and NVRTC of CUDA 13 and the driver's libcuda on"
          + " LD_LIBRARY_PATH (on the GPU machine: source .gpu/env.sh)", e);
    }
  }

  private JavaCppDevice() {
    int[] count = new int[1];
    int rc = cudaGetDeviceCount(count);
    if (rc != 0 || count[0] == 0) {
      throw new BackendUnavailableException("--backend=cuda: no CUDA device (cudaGetDeviceCount: "
          + (rc != 0 ? cudaGetErrorString(rc).getString() : "0 devices") + ")");
    }
    check(cudaSetDevice(0), "cudaSetDevice");
    check(cudaFree(null), "cudaFree (context start)");
    int[] major = new int[1];
    int[] minor = new int[1];
    check(cudaDeviceGetAttribute(major, cudaDevAttrComputeCapabilityMajor, 0), "compute capability");
    check(cudaDeviceGetAttribute(minor, cudaDevAttrComputeCapabilityMinor, 0), "compute capability");
    computeCapability = major[0] * 10 + minor[0];
    cudaDeviceProp props = new cudaDeviceProp();
    check(cudaGetDeviceProperties(props, 0), "cudaGetDeviceProperties");
    int[] runtime = new int[1];
    cudaRuntimeGetVersion(runtime);
    description = props.name().getString() + ", compute capability " + major[0] + "." + minor[0]
        + ", CUDA runtime " + runtime[0];
    // keep freed memory in the pool: a training step frees and allocates the same sizes again
    CUmemPoolHandle_st pool = new CUmemPoolHandle_st();
    check(cudaDeviceGetDefaultMemPool(pool, 0), "cudaDeviceGetDefaultMemPool");
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, new LongPointer(new long[] {-1L})),
        "pool release threshold");
    checkCublas(cublasCreate_v2(cublas), "cublasCreate");
    checkDriver(cuInit(0), "cuInit");
    int[] dev = new int[1];
    checkDriver(cuDeviceGet(dev, 0), "cuDeviceGet");
    checkDriver(cuDevicePrimaryCtxRetain(context, dev[0]), "cuDevicePrimaryCtxRetain");
    ensureContext();
    for (int i = 0; i < MAX_ARGS; i++) {
      argSlots[i] = new LongPointer(1);
      argv.put(i, argSlots[i]);
    }
    String header = KernelSources.read(KernelSources.HEADER);
    Map<String, List<String>> byFile = signatures.byFile();
    for (String file : KernelSources.FILES) {
      CUmod_st module = new CUmod_st();
      checkDriver(cuModuleLoadData(module, compile(file, KernelSources.read(file), header)), "cuModuleLoadData " + file);
      for (String kernel : byFile.getOrDefault(file, List.of())) {
        CUfunc_st f = new CUfunc_st();
        checkDriver(cuModuleGetFunction(f, module, kernel), "cuModuleGetFunction " + kernel);
        functions.put(kernel, f);
      }
    }
  }

  /** NVRTC: CUDA C to a cubin for this device. */
  private BytePointer compile(String file, String source, String header) {
    _nvrtcProgram program = new _nvrtcProgram();
    PointerPointer<BytePointer> headers = new PointerPointer<>(new BytePointer(header));
    PointerPointer<BytePointer> headerNames = new PointerPointer<>(new BytePointer(KernelSources.HEADER));
    checkNvrtc(nvrtcCreateProgram(program, new BytePointer(source), new BytePointer(file), 1, headers, headerNames),
        "nvrtcCreateProgram " + file);
    PointerPointer<BytePointer> options = new PointerPointer<>(
        new BytePointer("--gpu-architecture=sm_" + computeCapability), new BytePointer("-std=c++17"));
    int rc = nvrtcCompileProgram(program, 2, options);
    SizeTPointer logSize = new SizeTPointer(1);
    nvrtcGetProgramLogSize(program, logSize);
    BytePointer log = new BytePointer(Math.max(1, logSize.get()));
    nvrtcGetProgramLog(program, log);
    if (rc != 0) {
      throw new IllegalStateException("NVRTC could not compile " + file + " for sm_" + computeCapability + ":\n"
          + log.getString());
    }
    SizeTPointer size = new SizeTPointer(1);
    checkNvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize " + file);
    BytePointer cubin = new BytePointer(size.get());
    checkNvrtc(nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN " + file);
    nvrtcDestroyProgram(program);
    return cubin;
  }

  private void ensureContext() {
    if (!contextSet.get()) {
      checkDriver(cuCtxSetCurrent(context), "cuCtxSetCurrent");
      contextSet.set(true);
    }
  }

  private static void check(int rc, String what) {
    if (rc != 0) {
      throw new IllegalStateException(what + ": " + cudaGetErrorName(rc).getString() + " (CUDA error " + rc + ": "
          + cudaGetErrorString(rc).getString() + ")");
    }
  }

  private static void checkDriver(int rc, String what) {
    if (rc != 0) {
      byte[] name = new byte[64];
      String text = cuGetErrorName(rc, name) == 0 ? new String(name, 0, length(name), java.nio.charset.StandardCharsets.US_ASCII)
          : "unknown";
      throw new IllegalStateException(what + ": " + text + " (CUDA driver error " + rc + ")");
    }
  }

  private static int length(byte[] cString) {
    int n = 0;
    while (n < cString.length && cString[n] != 0) {
      n++;
    }
    return n;
  }

  private static void checkCublas(int rc, String what) {
    if (rc != 0) {
      throw new IllegalStateException(what + ": " + cublasGetStatusName(rc).getString() + " (cuBLAS status " + rc + ")");
    }
  }

  private static void checkNvrtc(int rc, String what) {
    if (rc != 0) {
      throw new IllegalStateException(what + ": " + nvrtcGetErrorString(rc).getString() + " (NVRTC error " + rc + ")");
    }
  }

  /** In debug-sync mode: waits, and names {@code what} if the work it issued failed. */
  private void debugSync(String what) {
    if (debugSync) {
      int rc = cudaDeviceSynchronize();
      if (rc != 0) {
        throw new IllegalStateException("debug sync after " + what + ": " + cudaGetErrorName(rc).getString()
            + " (CUDA error " + rc + ": " + cudaGetErrorString(rc).getString() + ")");
      }
    }
  }

  @Override
  public DeviceBuffer allocate(long bytes) {
    Pointer p = new Pointer();
    check(cudaMallocAsync(p, bytes, DEFAULT_STREAM), "cudaMallocAsync of " + bytes + " bytes");
    return new DeviceBuffer(p.address(), bytes);
  }

  @Override
  public void free(DeviceBuffer buffer) {
    if (buffer.markFreed()) {
      check(cudaFreeAsync(new Raw(buffer.address), DEFAULT_STREAM), "cudaFreeAsync");
    }
  }

  @Override
  public void zero(DeviceBuffer buffer, long offset, long bytes) {
    check(cudaMemsetAsync(new Raw(buffer.address + offset), 0, bytes, DEFAULT_STREAM), "cudaMemsetAsync");
  }

  @Override
  public void upload(DeviceBuffer dst, long offset, ByteBuffer src) {
    check(cudaMemcpy(new Raw(dst.address + offset), new BytePointer(src), src.remaining(), cudaMemcpyHostToDevice),
        "cudaMemcpy to the device");
  }

  @Override
  public void download(ByteBuffer dst, DeviceBuffer src, long offset) {
    check(cudaMemcpy(new BytePointer(dst), new Raw(src.address + offset), dst.remaining(), cudaMemcpyDeviceToHost),
        "cudaMemcpy to the host");
  }

  @Override
  public synchronized void launch(Launch launch) {
    launch.check(signatures);
    ensureContext();
    CUfunc_st f = functions.get(launch.kernel());
    List<Launch.Arg> args = launch.args();
    for (int i = 0; i < args.size(); i++) {
      Launch.Arg a = args.get(i);
      long bits;
      if (a instanceof Launch.Ptr p) {
        bits = p.address();
      } else if (a instanceof Launch.I32 v) {
        bits = v.value() & 0xffffffffL; // little-endian: the int is the slot's low four bytes
      } else if (a instanceof Launch.I64 v) {
        bits = v.value();
      } else {
        bits = Float.floatToRawIntBits(((Launch.F32) a).value()) & 0xffffffffL;
      }
      argSlots[i].put(0, bits);
    }
    checkDriver(cuLaunchKernel(f, launch.grid().x(), launch.grid().y(), launch.grid().z(), launch.block().x(),
        launch.block().y(), launch.block().z(), launch.sharedBytes(), DEFAULT_STREAM, argv, null),
        "cuLaunchKernel " + launch.kernel());
    debugSync("kernel " + launch.kernel() + " (grid " + launch.grid() + ", block " + launch.block() + ")");
    // the launch holds the tensors its pointers belong to: reachable until the work is issued
    Reference.reachabilityFence(launch);
  }

  private static int type(DType t) {
    return t == DType.BF16 ? CUDA_R_16BF : CUDA_R_32F;
  }

  @Override
  public synchronized void gemm(Gemm g) {
    g.check();
    alpha.put(0, g.alpha());
    beta.put(0, g.beta());
    Gemm.Operand a = g.a();
    Gemm.Operand b = g.b();
    Gemm.Operand c = g.c();
    checkCublas(cublasGemmStridedBatchedEx(cublas, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N,
        g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N, g.m(), g.n(), g.k(), alpha,
        new Raw(a.buffer().address + a.offset()), type(a.type()), a.ld(), a.stride(),
        new Raw(b.buffer().address + b.offset()), type(b.type()), b.ld(), b.stride(), beta,
        new Raw(c.buffer().address + c.offset()), type(c.type()), c.ld(), c.stride(), g.batch(),
        CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx " + g);
    debugSync("cublasGemmStridedBatchedEx " + g);
    Reference.reachabilityFence(g);
  }

  @Override
  public void synchronize() {
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public void close() {
    synchronize();
    cublasDestroy_v2(cublas);
  }
}
