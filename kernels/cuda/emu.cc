//go:build cudaemu

// emu.cc: the scheduler and memory of the cudaemu emulator (see emu.h for
// the model). The kernels themselves are compiled in emu_kernels.cc; this
// file runs them. Every entry point called from Go (semgan_emu_*) takes the
// one global lock, so the emulator runs one launch or copy at a time.

#include "emu.h"
#include "emu_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

namespace emu {

// Thrown inside a CUDA thread to unwind it out of the kernel when the launch
// is aborted (divergence, deadlock, watchdog).
struct Abort {};

namespace {

// The largest block and dynamic shared memory a launch may ask for: the
// limits of a GPU without opt-in, so that a launch that works here works
// there.
constexpr int kMaxThreads = 1024;
constexpr size_t kMaxShared = 48 * 1024;
// Bytes of canary before and after every allocation. The canary is a
// signalling NaN whose payload differs from allocation to allocation: an
// out-of-bounds read shows up as NaN in a result, arithmetic on it quiets it
// (so writing the result out of bounds cannot restore the canary), and a
// plain copy of another allocation's canary does not match.
constexpr size_t kGuard = 256;
// Bytes a lane can put into one warp exchange (warp_gather).
constexpr size_t kExchBytes = 32;

// canary returns the canary of the k-th allocation.
uint32_t canary(uint64_t k) { return 0x7f800000u | (uint32_t)(1 + (k * 2654435761u) % 0x3ffffe); }

// What a CUDA thread is doing, as the scheduler sees it.
enum class St : uint8_t { Ready, AtSync, AtWarp, Exited };

struct Pool;

// One OS thread that plays one CUDA thread of every block of a launch.
struct Worker {
  // Released when this thread may run. counting, not binary: after a
  // watchdog abort two releases can race, which would be undefined for a
  // binary semaphore.
  std::counting_semaphore<1 << 20> go{0};
  int tid = 0;  // linear thread index in the block
  St st = St::Exited;
  const char *file = nullptr;  // call site of the barrier it waits at
  int line = 0;
  unsigned exch_count = 0;  // warp exchanges done in this block: picks the parity
  // This thread's cp.async copies not yet performed, oldest first. group
  // numbers the commit group a copy belongs to; committed counts the
  // commits, so copies with group == committed are not committed yet.
  struct Copy {
    void *dst;
    const void *src;
    int bytes, src_bytes;
    unsigned group;
  };
  std::vector<Copy> copies;
  unsigned committed = 0;
  Pool *pool = nullptr;
  void run();
};

// The threads of the emulated device and the state of the running block.
// Between launches it is touched by the launcher only; during a block only by
// the thread holding the baton, so it needs no lock: the semaphores order
// every hand-over.
struct Pool {
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;

  // The launch.
  const Kernel *kernel = nullptr;
  const uint64_t *args = nullptr;
  int n = 0;  // threads per block

  // The block.
  int current = -1;   // the thread holding the baton
  bool descending = false;
  int exited = 0;
  int arrived = 0;  // threads waiting at __syncthreads
  const char *sync_file = nullptr;  // and where the first of them called it
  int sync_line = 0, sync_tid = 0;
  int warp_arrived[kMaxThreads / 32] = {};
  int warp_exited[kMaxThreads / 32] = {};
  const char *warp_file[kMaxThreads / 32] = {};
  int warp_line[kMaxThreads / 32] = {};
  const char *warp_what[kMaxThreads / 32] = {};  // "shuffle", "mma", "ldmatrix"
  // Warp exchange: [warp][parity][lane][byte]. Two parities, so a lane can
  // write the next exchange's bytes while a slower lane has yet to read the
  // current ones.
  unsigned char exch[kMaxThreads / 32][2][32][kExchBytes] = {};
  bool aborting = false;
  std::string error;  // the first problem found in this launch

  std::counting_semaphore<1 << 20> done{0};  // released when a block ends
  std::atomic<bool> abandoned{false};        // set by the watchdog

  void grow(int want);
  void fail(const char *fmt, ...);
  bool yield(Worker *me, bool from_start);
  void wait_turn(Worker *me, bool mine);
  void exit_thread(Worker *me);
};

thread_local Worker *self = nullptr;  // the Worker of this OS thread

// The emulator's global state, under mu.
std::mutex mu;
Pool *pool = nullptr;
// An allocation: its size and its canary.
struct Alloc {
  size_t bytes;
  uint32_t canary;
};
std::map<uintptr_t, Alloc> allocs;  // by user pointer
uint64_t nalloc = 0;                // allocations so far, to pick canaries
int watchdog_ms = 60000;
std::atomic<int> runaways{0};  // threads of abandoned pools still running
alignas(64) unsigned char dyn_shared[kMaxShared];

void Pool::grow(int want) {
  while ((int)workers.size() < want) {
    auto w = std::make_unique<Worker>();
    w->tid = (int)workers.size();
    w->pool = this;
    Worker *raw = w.get();
    workers.push_back(std::move(w));
    threads.emplace_back([raw] { raw->run(); });
  }
}

// fail records the first error of the launch and aborts it: every thread
// waiting at a barrier is made ready, and throws Abort when it runs.
void Pool::fail(const char *fmt, ...) {
  if (error.empty()) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    error = buf;
  }
  aborting = true;
  for (int t = 0; t < n; t++) {
    if (workers[t]->st == St::AtSync || workers[t]->st == St::AtWarp) workers[t]->st = St::Ready;
  }
}

// yield hands the baton to the next ready thread in the block's order,
// after me (or from the first position if from_start), possibly me again;
// me == nullptr is the launcher starting a block. If nobody is ready, the
// block is over (everyone exited) or deadlocked. It returns whether me keeps
// the baton; if not, me must not touch the pool until it gets it back, since
// the next thread is already running.
bool Pool::yield(Worker *me, bool from_start) {
  for (;;) {
    int start = (from_start || me == nullptr) ? 0 : (descending ? n - 1 - me->tid : me->tid) + 1;
    for (int i = 0; i < n; i++) {
      int pos = (start + i) % n;              // position in the order
      int t = descending ? n - 1 - pos : pos;  // thread at that position
      if (workers[t]->st != St::Ready) continue;
      current = t;
      if (workers[t].get() == me) return true;
      workers[t]->go.release();
      return false;
    }
    if (exited == n) {  // the block is done
      current = -1;
      done.release();
      return false;
    }
    // Nobody can run and some have not returned: say where they wait, then
    // abort, which makes them ready to unwind.
    std::string where;
    for (int t = 0; t < n && where.size() < 300; t++) {
      Worker *w = workers[t].get();
      if (w->st != St::AtSync && w->st != St::AtWarp) continue;
      // Name each place once, by the first thread waiting there.
      bool named = false;
      for (int u = 0; u < t && !named; u++) {
        Worker *o = workers[u].get();
        named = o->st == w->st && o->line == w->line && strcmp(o->file, w->file) == 0;
      }
      if (named) continue;
      char buf[160];
      snprintf(buf, sizeof buf, " thread %d (and maybe others) at %s %s:%d;", t,
               w->st == St::AtSync ? "__syncthreads" : "a warp-collective call", w->file, w->line);
      where += buf;
    }
    fail("deadlock: no thread can run:%s", where.c_str());
  }
}

// wait_turn blocks me until it holds the baton again (unless yield let it
// keep the baton: mine), then unwinds it if the launch was aborted meanwhile.
void Pool::wait_turn(Worker *me, bool mine) {
  if (!mine) me->go.acquire();
  if (abandoned.load()) throw Abort{};
  if (aborting) throw Abort{};
}

// exit_thread is called when me returns from the kernel (or unwinds).
void Pool::exit_thread(Worker *me) {
  int warp = me->tid / 32;
  if (!aborting && arrived > 0) {
    fail("divergent barrier: thread %d returned while %d threads wait at __syncthreads at %s:%d",
         me->tid, arrived, sync_file, sync_line);
  } else if (!aborting && warp_arrived[warp] > 0) {
    fail("divergent %s: thread %d returned while %d lanes of its warp wait at %s:%d", warp_what[warp], me->tid,
         warp_arrived[warp], warp_file[warp], warp_line[warp]);
  } else if (!aborting && !me->copies.empty()) {
    unsigned open = 0;
    for (auto &c : me->copies) open += c.group == me->committed;
    fail("cp.async not waited for: thread %d of kernel %s returned with %zu copies pending (%u of them not "
         "committed)",
         me->tid, kernel->name, me->copies.size(), open);
  }
  me->st = St::Exited;
  exited++;
  warp_exited[warp]++;
  yield(me, false);
}

void Worker::run() {
  self = this;
  for (;;) {
    go.acquire();  // the baton, for the first time in a block
    if (pool->abandoned.load()) break;  // woken only to end
    Pool *p = pool;
    // The position of this thread in the block, x fastest, as in CUDA.
    threadIdx = uint3{tid % blockDim.x, (tid / blockDim.x) % blockDim.y, tid / (blockDim.x * blockDim.y)};
    exch_count = 0;
    copies.clear();  // left over if the previous block was aborted
    committed = 0;
    if (!p->aborting) {
      try {
        p->kernel->call(p->args);
      } catch (Abort &) {
      } catch (std::exception &e) {
        p->fail("thread %d threw %s", tid, e.what());
      }
    }
    if (pool->abandoned.load()) break;  // the launcher has gone: touch nothing
    p->exit_thread(this);
  }
  if (pool->abandoned.load()) runaways--;
}

}  // namespace

void syncthreads(const char *file, int line) {
  Worker *me = self;
  Pool *p = me->pool;
  if (p->abandoned.load() || p->aborting) throw Abort{};
  if (p->exited > 0) {
    p->fail("divergent barrier: thread %d reached __syncthreads at %s:%d after %d threads returned",
            me->tid, file, line, p->exited);
    throw Abort{};
  }
  if (p->arrived > 0 && (p->sync_line != line || strcmp(p->sync_file, file) != 0)) {
    p->fail("divergent barrier: thread %d at __syncthreads %s:%d, thread %d at %s:%d", me->tid, file, line,
            p->sync_tid, p->sync_file, p->sync_line);
    throw Abort{};
  }
  if (p->arrived == 0) p->sync_file = file, p->sync_line = line, p->sync_tid = me->tid;
  me->st = St::AtSync;
  me->file = file, me->line = line;
  if (++p->arrived == p->n) {
    // The last one: release everybody, and run the next phase in the other
    // order from its first thread.
    for (int t = 0; t < p->n; t++) p->workers[t]->st = St::Ready;
    p->arrived = 0;
    p->descending = !p->descending;
    p->wait_turn(me, p->yield(me, true));
  } else {
    p->wait_turn(me, p->yield(me, false));
  }
}

namespace {

// warp_lanes returns the number of threads of warp `warp` of the block: 32,
// or fewer for a last, partial warp.
int warp_lanes(const Pool *p, int warp) { return p->n - warp * 32 < 32 ? p->n - warp * 32 : 32; }

// exchange is the barrier under every warp-collective call (what names it in
// messages): the calling lane puts `bytes` (at most kExchBytes) bytes of
// mine into the warp's exchange buffer, then waits until every lane of its
// warp has done the same from the same call site, with a mask naming them
// all. It returns the buffer, 32 lanes of kExchBytes bytes, which stays
// valid until the caller's next exchange. full asks for a warp of 32 lanes.
const unsigned char (*exchange(const char *what, unsigned mask, bool full, const void *mine, size_t bytes,
                               const char *file, int line))[kExchBytes] {
  Worker *me = self;
  Pool *p = me->pool;
  if (p->abandoned.load() || p->aborting) throw Abort{};
  int warp = me->tid / 32, lane = me->tid % 32, lanes = warp_lanes(p, warp);
  unsigned need = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1;
  if (full && lanes < 32) {
    p->fail("%s at %s:%d in warp %d of only %d threads: it needs a full warp", what, file, line, warp, lanes);
    throw Abort{};
  }
  if ((mask & need) != need) {
    p->fail("%s at %s:%d with mask %#x does not name all %d lanes of warp %d", what, file, line, mask, lanes, warp);
    throw Abort{};
  }
  if (p->warp_exited[warp] > 0) {
    p->fail("divergent %s: thread %d at %s:%d after %d lanes of its warp returned", what, me->tid, file, line,
            p->warp_exited[warp]);
    throw Abort{};
  }
  if (p->warp_arrived[warp] > 0 && (p->warp_line[warp] != line || strcmp(p->warp_file[warp], file) != 0)) {
    p->fail("divergent %s: thread %d at %s %s:%d, its warp at %s %s:%d", what, me->tid, what, file, line,
            p->warp_what[warp], p->warp_file[warp], p->warp_line[warp]);
    throw Abort{};
  }
  if (p->warp_arrived[warp] == 0) p->warp_file[warp] = file, p->warp_line[warp] = line, p->warp_what[warp] = what;
  unsigned parity = me->exch_count++ & 1;
  memcpy(p->exch[warp][parity][lane], mine, bytes);
  me->st = St::AtWarp;
  me->file = file, me->line = line;
  if (++p->warp_arrived[warp] == lanes) {
    // All lanes have written: release the warp.
    for (int l = 0; l < lanes; l++) p->workers[warp * 32 + l]->st = St::Ready;
    p->warp_arrived[warp] = 0;
  }
  p->wait_turn(me, p->yield(me, false));
  return p->exch[warp][parity];
}

}  // namespace

uint64_t shfl(unsigned mask, uint64_t v, int src_lane_xor, int src_lane_down, const char *file, int line) {
  auto all = exchange("shuffle", mask, false, &v, sizeof v, file, line);
  int lane = self->tid % 32, lanes = warp_lanes(self->pool, self->tid / 32);
  int src = src_lane_xor >= 0 ? lane ^ src_lane_xor : lane + src_lane_down;
  if (src >= lanes) src = lane;  // past the warp: the caller's own value
  memcpy(&v, all[src], sizeof v);
  return v;
}

void warp_gather(const void *mine, size_t bytes, void *all, const char *what, const char *file, int line) {
  if (bytes > kExchBytes) {
    self->pool->fail("%s at %s:%d gathers %zu bytes per lane, more than %zu", what, file, line, bytes, kExchBytes);
    throw Abort{};
  }
  auto ex = exchange(what, 0xffffffffu, true, mine, bytes, file, line);
  for (int l = 0; l < 32; l++) memcpy((unsigned char *)all + l * bytes, ex[l], bytes);
}

namespace {

// Fragments is what one lane contributes to an mma: its A and B registers.
struct Fragments {
  uint32_t a[4], b[2];
};

// tf32 is the value of a .tf32 operand register: the tensor core reads
// only its upper 19 bits (sign, exponent, 10 bits of mantissa).
double tf32(uint32_t r) {
  float f;
  r &= ~0x1fffu;
  memcpy(&f, &r, 4);
  return f;
}

// bf16 is the value of the bfloat16 in the lower (hi false) or upper half of r.
double bf16(uint32_t r, bool hi) {
  uint32_t b = (hi ? r >> 16 : r & 0xffffu) << 16;
  float f;
  memcpy(&f, &b, 4);
  return f;
}

// accumulate adds to the caller's d (the C/D layout of mma.cuh) the 16x8
// product of A (16xk) and B (kx8), given as element functions. The products
// are exact in double; their sum is added to the float accumulator and
// rounded once.
template <class FA, class FB>
void accumulate(float d[4], int k, FA A, FB B) {
  int lane = self->tid % 32, g = lane / 4, t = lane % 4;
  for (int i = 0; i < 4; i++) {
    int row = g + 8 * (i / 2), col = 2 * t + i % 2;
    double s = 0;
    for (int j = 0; j < k; j++) s += A(row, j) * B(j, col);
    d[i] = (float)(s + (double)d[i]);
  }
}

}  // namespace

void mma_tf32_m16n8k8(float d[4], const uint32_t a[4], const uint32_t b[2], const char *file, int line) {
  Fragments mine, f[32];
  memcpy(mine.a, a, sizeof mine.a);
  memcpy(mine.b, b, sizeof mine.b);
  warp_gather(&mine, sizeof mine, f, "mma", file, line);
  // A[r][k] is a[(r >= 8) + 2(k >= 4)] of lane 4(r % 8) + k % 4;
  // B[k][n] is b[k >= 4] of lane 4n + k % 4.
  accumulate(
      d, 8, [&](int r, int k) { return tf32(f[4 * (r % 8) + k % 4].a[(r >= 8) + 2 * (k >= 4)]); },
      [&](int k, int n) { return tf32(f[4 * n + k % 4].b[k >= 4]); });
}

void mma_bf16_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2], const char *file, int line) {
  Fragments mine, f[32];
  memcpy(mine.a, a, sizeof mine.a);
  memcpy(mine.b, b, sizeof mine.b);
  warp_gather(&mine, sizeof mine, f, "mma", file, line);
  // A[r][k] is half k % 2 of a[(r >= 8) + 2(k >= 8)] of lane 4(r % 8) + (k % 8) / 2;
  // B[k][n] is half k % 2 of b[k >= 8] of lane 4n + (k % 8) / 2.
  accumulate(
      d, 16, [&](int r, int k) { return bf16(f[4 * (r % 8) + k % 8 / 2].a[(r >= 8) + 2 * (k >= 8)], k % 2); },
      [&](int k, int n) { return bf16(f[4 * n + k % 8 / 2].b[k >= 8], k % 2); });
}

void ldmatrix(uint32_t *r, int n, bool trans, const void *row, const char *file, int line) {
  Worker *me = self;
  int lane = me->tid % 32;
  if (n != 1 && n != 2 && n != 4) {
    me->pool->fail("ldmatrix at %s:%d of %d matrices: 1, 2 or 4 only", file, line, n);
    throw Abort{};
  }
  if (lane < 8 * n && (uintptr_t)row % 16 != 0) {
    me->pool->fail("ldmatrix at %s:%d: thread %d's row address %p is not 16-byte aligned", file, line, me->tid, row);
    throw Abort{};
  }
  const unsigned char *rows[32];
  warp_gather(&row, sizeof row, rows, "ldmatrix", file, line);
  int g = lane / 4, t = lane % 4;
  for (int i = 0; i < n; i++) {
    const unsigned char *const *m = rows + 8 * i;  // the 8 row addresses of matrix i
    if (!trans) {
      memcpy(&r[i], m[g] + 4 * t, 4);  // columns 2t, 2t+1 of row g
    } else {
      uint16_t lo, hi;  // column g of rows 2t and 2t+1
      memcpy(&lo, m[2 * t] + 2 * g, 2);
      memcpy(&hi, m[2 * t + 1] + 2 * g, 2);
      r[i] = lo | (uint32_t)hi << 16;
    }
  }
}

void cp_async(void *dst, const void *src, int bytes, int src_bytes) {
  Worker *me = self;
  Pool *p = me->pool;
  if (p->abandoned.load() || p->aborting) throw Abort{};
  const char *bad = nullptr;
  if (bytes != 4 && bytes != 8 && bytes != 16) {
    bad = "a size other than 4, 8 or 16 bytes";
  } else if (src_bytes < 0 || src_bytes > bytes) {
    bad = "src_bytes outside 0..size";
  } else if ((uintptr_t)dst % bytes != 0) {
    bad = "a destination not aligned to its size";
  } else if (src_bytes > 0 && (uintptr_t)src % bytes != 0) {
    bad = "a source not aligned to its size";
  }
  if (bad != nullptr) {
    p->fail("cp.async by thread %d (dst %p, src %p, %d bytes, src_bytes %d): %s", me->tid, dst, src, bytes,
            src_bytes, bad);
    throw Abort{};
  }
  me->copies.push_back(Worker::Copy{dst, src, bytes, src_bytes, me->committed});
}

void cp_async_commit() { self->committed++; }

void cp_async_wait(int n) {
  Worker *me = self;
  if (me->pool->abandoned.load() || me->pool->aborting) throw Abort{};
  // Groups older than the newest n committed ones land now, in order;
  // uncommitted copies belong to no group and stay pending.
  unsigned limit = me->committed > (unsigned)n ? me->committed - (unsigned)n : 0;
  size_t done = 0;
  for (auto &c : me->copies) {
    if (c.group >= limit) break;  // copies are in group order
    if (c.src_bytes > 0) memcpy(c.dst, c.src, (size_t)c.src_bytes);  // src_bytes 0 reads nothing
    memset((unsigned char *)c.dst + c.src_bytes, 0, (size_t)(c.bytes - c.src_bytes));
    done++;
  }
  me->copies.erase(me->copies.begin(), me->copies.begin() + (ptrdiff_t)done);
}

void *dynamic_shared() { return dyn_shared; }

}  // namespace emu

using namespace emu;

namespace {

// errorf writes a message into err (errlen bytes) and returns 1.
int errorf(char *err, int errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, (size_t)errlen, fmt, ap);
  va_end(ap);
  return 1;
}

// owner returns the allocation holding [p, p+bytes), or allocs.end().
std::map<uintptr_t, Alloc>::iterator owner(uintptr_t p, size_t bytes) {
  auto it = allocs.upper_bound(p);
  if (it == allocs.begin()) return allocs.end();
  --it;
  if (p + bytes > it->first + it->second.bytes) return allocs.end();
  return it;
}

// check_guards reports the first allocation whose canaries were
// overwritten, naming what did it, and restores them.
// err may be nullptr to only restore them.
int check_guards(const char *what, char *err, int errlen) {
  int bad = err == nullptr;  // nothing to report into: behave as if reported
  for (auto &[p, a] : allocs) {
    size_t bytes = a.bytes;
    uint32_t c = a.canary;
    uint32_t *lo = (uint32_t *)(p - kGuard), *hi = (uint32_t *)(p + bytes);
    for (size_t i = 0; i < kGuard / 4; i++) {
      if (!bad && lo[i] != c) {
        bad = errorf(err, errlen, "out-of-bounds write by %s: %zu bytes before an allocation of %zu bytes", what,
                     kGuard - 4 * i, bytes);
      }
      if (!bad && hi[i] != c) {
        bad = errorf(err, errlen,
                     "out-of-bounds write by %s: at byte %zu past the end of an allocation of %zu bytes "
                     "(float index %zu of %zu)",
                     what, 4 * i, bytes, bytes / 4 + i, bytes / 4);
      }
      lo[i] = hi[i] = c;
    }
  }
  return bad;
}

// run_block runs one block of the launch and waits for it, at most
// watchdog_ms. It returns false if the watchdog fired.
bool run_block(Pool *p) {
  for (int t = 0; t < p->n; t++) {
    Worker *w = p->workers[t].get();
    w->st = St::Ready;
  }
  p->exited = p->arrived = 0;
  memset(p->warp_arrived, 0, sizeof p->warp_arrived);
  memset(p->warp_exited, 0, sizeof p->warp_exited);
  p->yield(nullptr, true);
  return p->done.try_acquire_for(std::chrono::milliseconds(watchdog_ms));
}

// abandon gives up a pool whose block is stuck in a thread that never hands
// the baton on: its other threads are woken to end, and the pool is leaked,
// since the stuck thread still uses it.
void abandon(Pool *p) {
  runaways += (int)p->threads.size();
  p->abandoned = true;
  for (auto &w : p->workers) w->go.release();
  for (auto &t : p->threads) t.detach();
  pool = nullptr;
}

}  // namespace

extern "C" {

int semgan_emu_launch(const char *name, const unsigned grid[3], const unsigned block[3], unsigned shared,
                      const uint64_t *args, int nargs, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  const Kernel *k = nullptr;
  for (int i = 0; i < kernel_count; i++) {
    if (strcmp(kernels[i].name, name) == 0) k = &kernels[i];
  }
  if (k == nullptr) return errorf(err, errlen, "no kernel named %s", name);
  if (nargs != k->nargs) return errorf(err, errlen, "kernel %s takes %d arguments, got %d", name, k->nargs, nargs);
  // The limits of the real device, so that a bad launch fails here too.
  unsigned threads = block[0] * block[1] * block[2];
  if (grid[0] < 1 || grid[1] < 1 || grid[2] < 1 || grid[0] > 0x7fffffffu || grid[1] > 65535 || grid[2] > 65535) {
    return errorf(err, errlen, "kernel %s: invalid grid %ux%ux%u", name, grid[0], grid[1], grid[2]);
  }
  if (block[0] < 1 || block[1] < 1 || block[2] < 1 || block[2] > 64 || threads > (unsigned)kMaxThreads) {
    return errorf(err, errlen, "kernel %s: invalid block %ux%ux%u", name, block[0], block[1], block[2]);
  }
  if (shared > kMaxShared) {
    return errorf(err, errlen, "kernel %s: %u bytes of dynamic shared memory exceed %zu", name, shared, kMaxShared);
  }
  // Every pointer argument must point into a live allocation.
  for (int i = 0; i < nargs; i++) {
    if (k->is_ptr[i] && args[i] != 0 && owner((uintptr_t)args[i], 0) == allocs.end()) {
      return errorf(err, errlen, "kernel %s: argument %d (%#llx) is not device memory", name, i,
                    (unsigned long long)args[i]);
    }
  }
  if (pool == nullptr) pool = new Pool();
  Pool *p = pool;
  p->grow((int)threads);
  p->kernel = k, p->args = args, p->n = (int)threads;
  p->aborting = false, p->error.clear();
  blockDim = dim3(block[0], block[1], block[2]);
  gridDim = dim3(grid[0], grid[1], grid[2]);
  unsigned long long nblock = 0;
  for (unsigned z = 0; z < grid[2] && !p->aborting; z++) {
    for (unsigned y = 0; y < grid[1] && !p->aborting; y++) {
      for (unsigned x = 0; x < grid[0] && !p->aborting; x++, nblock++) {
        blockIdx = uint3{x, y, z};
        p->descending = nblock % 2 == 1;  // alternate the order from block to block
        memset(dyn_shared, 0xff, shared);  // NaN in every float
        if (!run_block(p)) {
          abandon(p);
          return errorf(err, errlen,
                        "kernel %s block (%u,%u,%u): watchdog: not finished after %d ms (a loop that never "
                        "ends?); its threads are abandoned",
                        name, x, y, z, watchdog_ms);
        }
        if (p->aborting) {
          errorf(err, errlen, "kernel %s block (%u,%u,%u): %s", name, x, y, z, p->error.c_str());
          check_guards(name, nullptr, 0);  // restore the canaries; the abort is the error to report
          return 1;
        }
      }
    }
  }
  char what[160];
  snprintf(what, sizeof what, "kernel %s", name);
  return check_guards(what, err, errlen);
}

uintptr_t semgan_emu_alloc(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu);
  size_t body = (bytes + kGuard - 1) / kGuard * kGuard;  // keeps the end guard aligned
  unsigned char *base = (unsigned char *)aligned_alloc(kGuard, body + 2 * kGuard);
  if (base == nullptr) return 0;
  uintptr_t p = (uintptr_t)(base + kGuard);
  // Canaries around exactly `bytes`; the slack up to `body` is canary too,
  // so that a write just past the end is caught.
  uint32_t c = canary(nalloc++);
  uint32_t *w = (uint32_t *)base;
  for (size_t i = 0; i < (body + 2 * kGuard) / 4; i++) w[i] = c;
  allocs[p] = Alloc{bytes, c};
  return p;
}

int semgan_emu_free(uintptr_t p, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = allocs.find(p);
  if (it == allocs.end()) return errorf(err, errlen, "free of %#llx, which is not an allocation", (unsigned long long)p);
  allocs.erase(it);
  free((void *)(p - kGuard));
  return 0;
}

int semgan_emu_htod(uintptr_t dst, const void *src, size_t bytes, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  if (owner(dst, bytes) == allocs.end()) return errorf(err, errlen, "copy to host of %zu bytes outside an allocation", bytes);
  memcpy((void *)dst, src, bytes);
  return 0;
}

int semgan_emu_dtoh(void *dst, uintptr_t src, size_t bytes, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  if (owner(src, bytes) == allocs.end()) return errorf(err, errlen, "copy from %zu device bytes outside an allocation", bytes);
  memcpy(dst, (const void *)src, bytes);
  return 0;
}

int semgan_emu_dtod(uintptr_t dst, uintptr_t src, size_t bytes, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  if (owner(dst, bytes) == allocs.end() || owner(src, bytes) == allocs.end()) {
    return errorf(err, errlen, "device copy of %zu bytes outside an allocation", bytes);
  }
  memmove((void *)dst, (const void *)src, bytes);
  return 0;
}

int semgan_emu_memset32(uintptr_t dst, uint32_t v, size_t n, char *err, int errlen) {
  std::lock_guard<std::mutex> lock(mu);
  if (owner(dst, 4 * n) == allocs.end()) return errorf(err, errlen, "memset of %zu words outside an allocation", n);
  uint32_t *d = (uint32_t *)dst;
  for (size_t i = 0; i < n; i++) d[i] = v;
  return 0;
}

void semgan_emu_set_watchdog_ms(int ms) {
  std::lock_guard<std::mutex> lock(mu);
  watchdog_ms = ms;
}

int semgan_emu_runaways(void) { return runaways.load(); }

int semgan_emu_kernel_total(void) { return kernel_count; }

const char *semgan_emu_kernel_name(int i) { return i >= 0 && i < kernel_count ? kernels[i].name : nullptr; }

int semgan_emu_live_allocs(void) {
  std::lock_guard<std::mutex> lock(mu);
  return (int)allocs.size();
}

}  // extern "C"
