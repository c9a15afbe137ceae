// CUDA's execution model on the CPU, for running the backend's real kernel sources in tests.
//
// Each CUDA thread of a block is a fiber with its own stack. On x86-64 a few lines of assembly
// switch between fibers (emu_switch); elsewhere ucontext creates them and _setjmp/_longjmp switch;
// with -DEMU_SWAPCONTEXT (the sanitizer builds) ucontext's swapcontext does both. Blocks run one after another; inside a
// block every thread runs until it waits at __syncthreads, at a warp shuffle or returns, in an order
// that can be forward, reverse or random. A barrier opens only when every thread of the block waits
// at the same __syncthreads (same source line); a shuffle only when all lanes its mask names wait at
// the same shuffle; anything else (some threads returned, others waiting; two barriers; a lane
// missing from a shuffle) stops the launch with a divergence report. Dynamic shared memory is
// allocated at exactly the launch's size and filled with garbage before every block; static shared
// arrays are refilled with garbage before every block too. Every switch is declared to
// AddressSanitizer and ThreadSanitizer, with happens-before edges only where CUDA gives them
// (barriers, shuffles, launch boundaries, atomics), so races between threads are reported.
//
// Not emulated: cuBLAS (emu_main.cpp computes products on the CPU), streams, warp-synchronous
// code without shuffles (lanes never run in lockstep here, which is the stricter model).
#pragma once

#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define EMU_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define EMU_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMU_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define EMU_TSAN 1
#endif
#endif

#ifdef EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef EMU_TSAN
extern "C" {
void* __tsan_get_current_fiber(void);
void* __tsan_create_fiber(unsigned flags);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}
// The emulator's own bookkeeping (whose turn it is, who waits where) is ordered by the scheduler,
// which TSan cannot see; only the kernels' own accesses are checked.
#define EMU_TSAN_IGNORE_BEGIN() (AnnotateIgnoreReadsBegin(__FILE__, __LINE__), AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define EMU_TSAN_IGNORE_END() (AnnotateIgnoreReadsEnd(__FILE__, __LINE__), AnnotateIgnoreWritesEnd(__FILE__, __LINE__))
#else
#define EMU_TSAN_IGNORE_BEGIN() ((void) 0)
#define EMU_TSAN_IGNORE_END() ((void) 0)
#endif

#if defined(__x86_64__) && !defined(EMU_SWAPCONTEXT)
#define EMU_ASM_SWITCH 1
// Saves the callee-saved registers, MXCSR and the x87 control word on the current stack, stores
// the stack pointer in *save, and resumes the stack `load` (saved the same way, or made by
// make_stack). A few nanoseconds, where swapcontext makes a system call for the signal mask.
extern "C" void emu_switch(void** save, void* load);
asm(R"(
.text
.globl emu_switch
.type emu_switch,@function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_switch, .-emu_switch
)");
#endif

struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
};

namespace emu {

// ---- the current thread, as the kernel sees it -------------------------------------------------
inline dim3 thread_idx, block_idx, block_dim, grid_dim;

[[noreturn]] void fail(const std::string& message);  // emu_main.cpp: reports and ends the launch

// ---- fibers ------------------------------------------------------------------------------------
enum class State { READY, BARRIER, SHUFFLE, DONE };

struct Fiber {
  ucontext_t uc;
  jmp_buf jb;
  void* sp = nullptr;
  bool started = false;
  char* stack = nullptr;
  size_t stack_size = 0;
  State state = State::READY;
  const char* wait_site = nullptr;  // file:line of the barrier or shuffle it waits at
  int wait_line = 0;
  unsigned shfl_mask = 0;
  int shfl_src = 0;
  uint64_t shfl_value = 0;
  uint64_t shfl_result = 0;
  dim3 tid;
  void* asan_fake = nullptr;
  void* tsan_fiber = nullptr;
};

enum class Order { FORWARD, REVERSE, RANDOM };

struct Runtime {
  std::vector<Fiber*> fibers;
  Fiber* current = nullptr;
  jmp_buf sched_jb;
  ucontext_t sched_uc;
  void* sched_sp = nullptr;
  void (*body)(const uint64_t*) = nullptr;  // the kernel's trampoline
  const uint64_t* args = nullptr;
  Order order = Order::FORWARD;
  uint64_t rng = 0x243F6A8885A308D3ull;
  char* dynamic_shared = nullptr;
  size_t dynamic_bytes = 0;
  std::vector<std::pair<void*, size_t>> static_shared;
  const void* sched_stack_bottom = nullptr;
  size_t sched_stack_size = 0;
  void* tsan_sched = nullptr;
  char sync_launch = 0, sync_barrier = 0;  // addresses for TSan's happens-before edges
  std::vector<char> sync_warp = std::vector<char>(32);
  const char* kernel = "";
  uint64_t block_linear = 0;
};

inline Runtime rt;

inline uint64_t next_random() {
  uint64_t z = (rt.rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline void fill_garbage(void* p, size_t bytes) {
  unsigned char* c = (unsigned char*) p;
  for (size_t i = 0; i < bytes; i += 8) {
    uint64_t r = next_random() | 0x7f8000007f800000ull;  // mostly NaNs as floats, huge as ints
    memcpy(c + i, &r, bytes - i < 8 ? bytes - i : 8);
  }
}

// Switch from the running fiber (or the scheduler) to `to` (nullptr: the scheduler).
inline void switch_to_scheduler(Fiber* from) {
#ifdef EMU_ASAN
  __sanitizer_start_switch_fiber(&from->asan_fake, rt.sched_stack_bottom, rt.sched_stack_size);
#endif
#ifdef EMU_TSAN
  __tsan_switch_to_fiber(rt.tsan_sched, 1 /* no sync */);
#endif
#if defined(EMU_ASM_SWITCH)
  emu_switch(&from->sp, rt.sched_sp);
#elif defined(EMU_SWAPCONTEXT)
  swapcontext(&from->uc, &rt.sched_uc);
#else
  if (!_setjmp(from->jb)) _longjmp(rt.sched_jb, 1);
#endif
#ifdef EMU_ASAN
  __sanitizer_finish_switch_fiber(from->asan_fake, nullptr, nullptr);
#endif
}

inline void fiber_main();

inline void fiber_entry() {
#ifdef EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &rt.sched_stack_bottom, &rt.sched_stack_size);
#endif
  fiber_main();
}

inline void switch_to_fiber(Fiber* f) {
  rt.current = f;
  thread_idx = f->tid;
#ifdef EMU_ASAN
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, f->stack, f->stack_size);
#endif
#ifdef EMU_TSAN
  __tsan_switch_to_fiber(f->tsan_fiber, 1 /* no sync */);
#endif
#if defined(EMU_ASM_SWITCH)
  f->started = true;
  emu_switch(&rt.sched_sp, f->sp);
#elif defined(EMU_SWAPCONTEXT)
  swapcontext(&rt.sched_uc, &f->uc);
#else
  if (!_setjmp(rt.sched_jb)) {
    if (!f->started) {
      f->started = true;
      setcontext(&f->uc);
    }
    _longjmp(f->jb, 1);
  }
#endif
#ifdef EMU_SWAPCONTEXT
  f->started = true;
#endif
#ifdef EMU_ASAN
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
  rt.current = nullptr;
}

// A fiber runs the kernel for whichever thread it is given, then reports DONE, forever.
inline void fiber_main() {
  for (;;) {
#ifdef EMU_TSAN
    __tsan_acquire(&rt.sync_launch);
#endif
    EMU_TSAN_IGNORE_BEGIN();
    void (*body)(const uint64_t*) = rt.body;
    const uint64_t* args = rt.args;
    EMU_TSAN_IGNORE_END();
    body(args);
#ifdef EMU_TSAN
    __tsan_release(&rt.sync_launch);
#endif
    EMU_TSAN_IGNORE_BEGIN();
    Fiber* self = rt.current;
    self->state = State::DONE;
    switch_to_scheduler(self);
    EMU_TSAN_IGNORE_END();
  }
}

inline Fiber* fiber(size_t i) {
  while (rt.fibers.size() <= i) {
    Fiber* f = new Fiber();
#if defined(EMU_ASAN) || defined(EMU_TSAN)
    f->stack_size = 512 * 1024;
#else
    f->stack_size = 128 * 1024;
#endif
    f->stack = (char*) malloc(f->stack_size);
#ifdef EMU_ASM_SWITCH
    // the frame emu_switch pops: MXCSR and control word, six registers, then fiber_entry's address
    uintptr_t top = ((uintptr_t) f->stack + f->stack_size) & ~(uintptr_t) 15;
    uint64_t* sp = (uint64_t*) (top - 72);
    sp[0] = 0x1F80ull | (0x037Full << 32);
    for (int r = 1; r <= 6; r++) sp[r] = 0;
    sp[7] = (uint64_t) (uintptr_t) &fiber_entry;
    sp[8] = 0;
    f->sp = sp;
#else
    getcontext(&f->uc);
    f->uc.uc_stack.ss_sp = f->stack;
    f->uc.uc_stack.ss_size = f->stack_size;
    f->uc.uc_link = nullptr;
    makecontext(&f->uc, (void (*)()) fiber_entry, 0);
#endif
#ifdef EMU_TSAN
    if (!rt.tsan_sched) rt.tsan_sched = __tsan_get_current_fiber();
    f->tsan_fiber = __tsan_create_fiber(0);
#endif
    rt.fibers.push_back(f);
  }
  return rt.fibers[i];
}

// ---- waiting: barriers and shuffles ------------------------------------------------------------
inline void wait(State s, const char* file, int line) {
  EMU_TSAN_IGNORE_BEGIN();
  Fiber* self = rt.current;
  self->state = s;
  self->wait_site = file;
  self->wait_line = line;
  switch_to_scheduler(self);
  EMU_TSAN_IGNORE_END();
}

inline void syncthreads(const char* file, int line) {
#ifdef EMU_TSAN
  __tsan_release(&rt.sync_barrier);
#endif
  wait(State::BARRIER, file, line);
#ifdef EMU_TSAN
  __tsan_acquire(&rt.sync_barrier);
#endif
}

inline uint64_t shuffle(unsigned mask, uint64_t value, int src_lane, const char* file, int line) {
  EMU_TSAN_IGNORE_BEGIN();
  Fiber* self = rt.current;
  self->shfl_mask = mask;
  self->shfl_value = value;
  self->shfl_src = src_lane;
  int lin = (int) (self->tid.x + block_dim.x * (self->tid.y + block_dim.y * self->tid.z));
  char* sync = &rt.sync_warp[(lin >> 5) & 31];
  (void) sync;
  EMU_TSAN_IGNORE_END();
#ifdef EMU_TSAN
  __tsan_release(sync);
#endif
  wait(State::SHUFFLE, file, line);
#ifdef EMU_TSAN
  __tsan_acquire(sync);
#endif
  EMU_TSAN_IGNORE_BEGIN();
  uint64_t r = self->shfl_result;
  EMU_TSAN_IGNORE_END();
  return r;
}

template <typename T>
inline T shfl_bits(unsigned mask, T v, int src, const char* file, int line) {
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  uint64_t r = shuffle(mask, bits, src, file, line);
  T out;
  memcpy(&out, &r, sizeof(T));
  return out;
}

inline int lane_id() {
  EMU_TSAN_IGNORE_BEGIN();
  const dim3& t = rt.current->tid;
  int lane = (int) ((t.x + block_dim.x * (t.y + block_dim.y * t.z)) & 31);
  EMU_TSAN_IGNORE_END();
  return lane;
}

// ---- shared memory -----------------------------------------------------------------------------
inline void* dynamic_shared() {
  if (rt.dynamic_bytes == 0) fail("kernel reads dynamic shared memory, but the launch gave it 0 bytes");
  return rt.dynamic_shared;
}

inline void note_shared(void* p, size_t bytes) {
  EMU_TSAN_IGNORE_BEGIN();
  bool known = false;
  for (auto& s : rt.static_shared) known |= s.first == p;
  if (!known) rt.static_shared.emplace_back(p, bytes);
  EMU_TSAN_IGNORE_END();
}

// ---- atomics (fibers share one OS thread; TSan still sees atomic operations) ------------------
inline float atomic_add_f32(float* p, float v) {
  uint32_t* u = (uint32_t*) p;
  uint32_t old = __atomic_load_n(u, __ATOMIC_RELAXED);
  for (;;) {
    float f;
    memcpy(&f, &old, 4);
    f += v;
    uint32_t nu;
    memcpy(&nu, &f, 4);
    if (__atomic_compare_exchange_n(u, &old, nu, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      float r;
      memcpy(&r, &old, 4);
      return r;
    }
  }
}

inline double atomic_add_f64(double* p, double v) {
  uint64_t* u = (uint64_t*) p;
  uint64_t old = __atomic_load_n(u, __ATOMIC_RELAXED);
  for (;;) {
    double f;
    memcpy(&f, &old, 8);
    f += v;
    uint64_t nu;
    memcpy(&nu, &f, 8);
    if (__atomic_compare_exchange_n(u, &old, nu, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      double r;
      memcpy(&r, &old, 8);
      return r;
    }
  }
}

// ---- the scheduler: one launch -----------------------------------------------------------------
std::string describe_waits(size_t threads);

inline void run_block(size_t threads) {
  if (rt.dynamic_bytes) fill_garbage(rt.dynamic_shared, rt.dynamic_bytes);
  for (auto& s : rt.static_shared) fill_garbage(s.first, s.second);
  std::vector<size_t> order(threads);
  for (size_t i = 0; i < threads; i++) {
    Fiber* f = fiber(i);
    f->state = State::READY;
    f->tid.x = (unsigned) (i % block_dim.x);
    f->tid.y = (unsigned) ((i / block_dim.x) % block_dim.y);
    f->tid.z = (unsigned) (i / ((size_t) block_dim.x * block_dim.y));
    order[i] = rt.order == Order::REVERSE ? threads - 1 - i : i;
  }
#ifdef EMU_TSAN
  __tsan_release(&rt.sync_launch);
#endif
  for (;;) {
    if (rt.order == Order::RANDOM) {
      for (size_t i = threads; i > 1; i--) {
        size_t j = next_random() % i;
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
      }
    }
    for (size_t i : order) {
      Fiber* f = rt.fibers[i];
      if (f->state == State::READY) switch_to_fiber(f);
    }
    // nobody can run: open what can be opened, or report why nothing can
    size_t done = 0, at_barrier = 0, at_shuffle = 0;
    for (size_t i = 0; i < threads; i++) {
      State s = rt.fibers[i]->state;
      done += s == State::DONE;
      at_barrier += s == State::BARRIER;
      at_shuffle += s == State::SHUFFLE;
    }
    if (done == threads) break;
    bool released = false;
    if (at_shuffle) {
      for (size_t w = 0; w * 32 < threads; w++) {
        size_t lo = w * 32, hi = lo + 32 < threads ? lo + 32 : threads;
        Fiber* first = nullptr;
        bool all = true;
        for (size_t i = lo; i < hi; i++) {
          Fiber* f = rt.fibers[i];
          if (f->state != State::SHUFFLE) continue;
          if (!first) first = f;
          if (f->shfl_mask != first->shfl_mask || f->wait_site != first->wait_site || f->wait_line != first->wait_line) {
            fail("warp " + std::to_string(w) + ": lanes wait at two different shuffles (" + std::string(first->wait_site) +
                 ":" + std::to_string(first->wait_line) + " and " + f->wait_site + ":" + std::to_string(f->wait_line) + ")");
          }
        }
        if (!first) continue;
        unsigned mask = first->shfl_mask;
        for (size_t l = 0; l < 32; l++) {
          if (!(mask >> l & 1u)) continue;
          if (lo + l >= hi || rt.fibers[lo + l]->state != State::SHUFFLE) {
            all = false;
            if (lo + l >= hi || rt.fibers[lo + l]->state == State::DONE || rt.fibers[lo + l]->state == State::BARRIER) {
              fail("warp " + std::to_string(w) + ": the shuffle at " + std::string(first->wait_site) + ":" +
                   std::to_string(first->wait_line) + " names lane " + std::to_string(l) +
                   (lo + l >= hi ? ", which the block does not have" : ", which returned or waits at a barrier"));
            }
          }
        }
        if (!all) continue;
        for (size_t l = 0; l < 32; l++) {
          if (!(mask >> l & 1u)) continue;
          Fiber* f = rt.fibers[lo + l];
          int src = f->shfl_src;
          if (src < 0 || src > 31 || !(mask >> src & 1u)) src = (int) l;  // outside the mask: own value
          f->shfl_result = rt.fibers[lo + src]->shfl_value;
        }
        for (size_t l = 0; l < 32; l++) {
          if (mask >> l & 1u) rt.fibers[lo + l]->state = State::READY;
        }
        released = true;
      }
    }
    if (released) continue;
    if (at_barrier && at_barrier + done == threads) {
      if (done) {
        fail("some threads returned while others wait at a barrier: " + describe_waits(threads));
      }
      Fiber* first = rt.fibers[0];
      for (size_t i = 1; i < threads; i++) {
        Fiber* f = rt.fibers[i];
        if (f->wait_site != first->wait_site || f->wait_line != first->wait_line) {
          fail("threads wait at two different __syncthreads: " + describe_waits(threads));
        }
      }
      for (size_t i = 0; i < threads; i++) rt.fibers[i]->state = State::READY;
      continue;
    }
    fail("no thread can go on: " + describe_waits(threads));
  }
#ifdef EMU_TSAN
  __tsan_acquire(&rt.sync_launch);
#endif
}

inline std::string describe_waits(size_t threads) {
  std::string out;
  size_t shown = 0;
  for (size_t i = 0; i < threads && shown < 6; i++) {
    Fiber* f = rt.fibers[i];
    if (i > 0) {
      Fiber* p = rt.fibers[i - 1];
      if (p->state == f->state && p->wait_site == f->wait_site && p->wait_line == f->wait_line) continue;
    }
    shown++;
    out += "thread " + std::to_string(i) + (f->state == State::DONE ? " returned" : f->state == State::BARRIER ? " at __syncthreads " : f->state == State::SHUFFLE ? " at a shuffle " : " ready");
    if (f->state == State::BARRIER || f->state == State::SHUFFLE) out += std::string(f->wait_site) + ":" + std::to_string(f->wait_line);
    out += "; ";
  }
  return out;
}

inline void launch(const char* kernel, void (*body)(const uint64_t*), const uint64_t* args, dim3 grid, dim3 block,
                   size_t shared_bytes) {
  EMU_TSAN_IGNORE_BEGIN();
  rt.kernel = kernel;
  rt.body = body;
  rt.args = args;
  block_dim = block;
  grid_dim = grid;
  rt.dynamic_bytes = shared_bytes;
  rt.dynamic_shared = shared_bytes ? (char*) malloc(shared_bytes) : nullptr;  // exactly the size asked
  size_t threads = (size_t) block.x * block.y * block.z;
  uint64_t blocks = (uint64_t) grid.x * grid.y * grid.z;
  for (uint64_t n = 0; n < blocks; n++) {
    uint64_t b = rt.order == Order::REVERSE ? blocks - 1 - n : n;
    rt.block_linear = b;
    block_idx.x = (unsigned) (b % grid.x);
    block_idx.y = (unsigned) ((b / grid.x) % grid.y);
    block_idx.z = (unsigned) (b / ((uint64_t) grid.x * grid.y));
    run_block(threads);
  }
  free(rt.dynamic_shared);
  rt.dynamic_shared = nullptr;
  rt.dynamic_bytes = 0;
  EMU_TSAN_IGNORE_END();
}

}  // namespace emu

// ---- CUDA's names ------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __restrict__
#define threadIdx (::emu::thread_idx)
#define blockIdx (::emu::block_idx)
#define blockDim (::emu::block_dim)
#define gridDim (::emu::grid_dim)
#define warpSize 32
#define __syncthreads() ::emu::syncthreads(__FILE__, __LINE__)

inline float __int_as_float(int i) { float f; memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned int u) { float f; memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int i; memcpy(&i, &f, 4); return i; }
inline unsigned int __float_as_uint(float f) { unsigned int u; memcpy(&u, &f, 4); return u; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float atomicAdd(float* p, float v) { return ::emu::atomic_add_f32(p, v); }
inline double atomicAdd(double* p, double v) { return ::emu::atomic_add_f64(p, v); }
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }

#define __shfl_xor_sync(mask, v, o) ::emu::shfl_bits((mask), (v), ::emu::lane_id() ^ (o), __FILE__, __LINE__)
#define __shfl_down_sync(mask, v, o) ::emu::shfl_bits((mask), (v), ::emu::lane_id() + (o), __FILE__, __LINE__)
#define __shfl_up_sync(mask, v, o) ::emu::shfl_bits((mask), (v), ::emu::lane_id() - (o), __FILE__, __LINE__)
#define __shfl_sync(mask, v, src) ::emu::shfl_bits((mask), (v), (int) (src), __FILE__, __LINE__)
#define __syncwarp(...) ((void) ::emu::shfl_bits(0xffffffffu, 0, ::emu::lane_id(), __FILE__, __LINE__))
