// The emulated device as a helper process: device memory is this process's heap, kernels are the
// backend's .cu sources compiled against cuda_emu.h, products are computed here on the CPU in
// cuBLAS's column-major terms with fp32 accumulation. EmulatedDevice.java speaks to it over stdin
// and stdout; every command is answered (0 = done, 1 = error + message), so an error is reported
// by the command that caused it. A failure inside a launch (divergence, deadlock) answers with the
// kernel's name and ends the process; a crash (ASan, a segfault) ends it with the report on stderr.
//
// Built by EmulatorBuild.java as one translation unit: this file, then the kernel files, then the
// generated table `emu_dispatch.inc` of {name, trampoline}.
#include "cuda_emu.h"

#include <unistd.h>

#include <unordered_map>

// the kernels, rewritten only where shared memory is declared (see EmulatorBuild.java)
#include "emu_kernels.inc"

namespace {

struct KernelEntry {
  const char* name;
  void (*fn)(const uint64_t*);
};

inline float f32_of(uint64_t bits) {
  uint32_t u = (uint32_t) bits;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

#include "emu_dispatch.inc"

FILE* in = stdin;
FILE* out = stdout;

void read_exact(void* p, size_t n) {
  if (n && fread(p, 1, n, in) != n) {
    exit(0);  // the JVM closed the pipe
  }
}

template <typename T>
T rd() {
  T v;
  read_exact(&v, sizeof v);
  return v;
}

void ok() {
  fputc(0, out);
  fflush(out);
}

void error(const std::string& message) {
  fputc(1, out);
  uint32_t n = (uint32_t) message.size();
  fwrite(&n, 4, 1, out);
  fwrite(message.data(), 1, n, out);
  fflush(out);
}

std::unordered_map<uint64_t, uint64_t> live;  // address -> bytes

inline float bf16_to_float(uint16_t h) {
  uint32_t u = (uint32_t) h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

inline uint16_t float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t) (u >> 16);
}

struct Operand {
  uint64_t address;
  uint8_t type;  // 0 fp32, 1 bf16
  int32_t ld;
  int64_t stride;

  float get(int64_t batch, int64_t index) const {
    int64_t i = batch * stride + index;
    return type ? bf16_to_float(((const uint16_t*) address)[i]) : ((const float*) address)[i];
  }

  void set(int64_t batch, int64_t index, float v) const {
    int64_t i = batch * stride + index;
    if (type) {
      ((uint16_t*) address)[i] = float_to_bf16(v);
    } else {
      ((float*) address)[i] = v;
    }
  }
};

Operand read_operand() {
  Operand o;
  o.address = rd<uint64_t>();
  o.type = rd<uint8_t>();
  o.ld = rd<int32_t>();
  o.stride = rd<int64_t>();
  return o;
}

// C = alpha op(A) op(B) + beta C, column-major, as cublasGemmStridedBatchedEx with fp32 compute;
// C is not read when beta is 0 (as cuBLAS).
void gemm() {
  bool ta = rd<uint8_t>(), tb = rd<uint8_t>();
  int32_t m = rd<int32_t>(), n = rd<int32_t>(), k = rd<int32_t>();
  float alpha = rd<float>(), beta = rd<float>();
  int32_t batch = rd<int32_t>();
  Operand a = read_operand(), b = read_operand(), c = read_operand();
  std::vector<float> at((size_t) m * k), bt((size_t) n * k);
  for (int64_t s = 0; s < batch; s++) {
    for (int64_t i = 0; i < m; i++) {
      for (int64_t l = 0; l < k; l++) at[i * k + l] = a.get(s, ta ? l + i * a.ld : i + l * a.ld);
    }
    for (int64_t j = 0; j < n; j++) {
      for (int64_t l = 0; l < k; l++) bt[j * k + l] = b.get(s, tb ? j + l * b.ld : l + j * b.ld);
    }
    for (int64_t j = 0; j < n; j++) {
      const float* bj = &bt[j * k];
      for (int64_t i = 0; i < m; i++) {
        const float* ai = &at[i * k];
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t l = 0;
        for (; l + 8 <= k; l += 8) {
          for (int u = 0; u < 8; u++) acc[u] += ai[l + u] * bj[l + u];
        }
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; l < k; l++) sum += ai[l] * bj[l];
        int64_t ci = i + j * c.ld;
        float v = alpha * sum;
        if (beta != 0.0f) v += beta * c.get(s, ci);
        c.set(s, ci, v);
      }
    }
  }
  ok();
}

std::string launch_kernel_name;

void launch() {
  uint16_t len = rd<uint16_t>();
  std::string name(len, '\0');
  read_exact(&name[0], len);
  dim3 grid, block;
  grid.x = rd<uint32_t>();
  grid.y = rd<uint32_t>();
  grid.z = rd<uint32_t>();
  block.x = rd<uint32_t>();
  block.y = rd<uint32_t>();
  block.z = rd<uint32_t>();
  uint32_t shared = rd<uint32_t>();
  uint32_t nargs = rd<uint32_t>();
  std::vector<uint64_t> args(nargs + 1);
  for (uint32_t i = 0; i < nargs; i++) args[i] = rd<uint64_t>();
  for (const KernelEntry& e : KERNELS) {
    if (name == e.name) {
      launch_kernel_name = name;
      emu::launch(e.name, e.fn, args.data(), grid, block, shared);
      ok();
      return;
    }
  }
  error("the emulator has no kernel named " + name);
}

}  // namespace

[[noreturn]] void emu::fail(const std::string& message) {
  std::string where = "kernel " + launch_kernel_name + ", block (" + std::to_string(emu::block_idx.x) + "," +
                      std::to_string(emu::block_idx.y) + "," + std::to_string(emu::block_idx.z) + ")";
  error(where + ": " + message);
  fprintf(stderr, "cuda emulator: %s: %s\n", where.c_str(), message.c_str());
  fflush(stderr);
  _exit(3);  // fibers stand mid-kernel: this process cannot go on
}

int main() {
  for (;;) {
    int op = fgetc(in);
    if (op == EOF) return 0;
    switch (op) {
      case 'A': {
        uint64_t bytes = rd<uint64_t>();
        // aligned as cudaMalloc (256 bytes) but exactly as long as asked, so that AddressSanitizer
        // reports a read past the end; contents undefined as on a GPU: garbage, not zeros
        void* p = nullptr;
        if (posix_memalign(&p, 256, bytes) != 0) p = nullptr;
        if (!p) {
          error("out of memory allocating " + std::to_string(bytes) + " bytes");
          break;
        }
        emu::fill_garbage(p, bytes);
        live[(uint64_t) p] = bytes;
        fputc(0, out);
        uint64_t a = (uint64_t) p;
        fwrite(&a, 8, 1, out);
        fflush(out);
        break;
      }
      case 'F': {
        uint64_t a = rd<uint64_t>();
        if (live.erase(a) != 1) {
          error("free of an address that is not a live allocation");
          break;
        }
        free((void*) a);
        ok();
        break;
      }
      case 'Z': {
        uint64_t a = rd<uint64_t>(), bytes = rd<uint64_t>();
        memset((void*) a, 0, bytes);
        ok();
        break;
      }
      case 'U': {
        uint64_t a = rd<uint64_t>(), bytes = rd<uint64_t>();
        read_exact((void*) a, bytes);
        ok();
        break;
      }
      case 'D': {
        uint64_t a = rd<uint64_t>(), bytes = rd<uint64_t>();
        fputc(0, out);
        fwrite((void*) a, 1, bytes, out);
        fflush(out);
        break;
      }
      case 'L':
        launch();
        break;
      case 'G':
        gemm();
        break;
      case 'O': {
        uint8_t order = rd<uint8_t>();
        uint64_t seed = rd<uint64_t>();
        emu::rt.order = order == 0 ? emu::Order::FORWARD : order == 1 ? emu::Order::REVERSE : emu::Order::RANDOM;
        emu::rt.rng = seed;
        ok();
        break;
      }
      case 'Q':
        ok();
        return 0;
      default:
        error("unknown command " + std::to_string(op));
        return 2;
    }
  }
}
