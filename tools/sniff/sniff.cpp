// librawgpu_sniff.so — the ioctl-level sniffer (LD_PRELOAD). Records every call a program makes
// on a GPU driver fd into a trace (docs/trace-format.md): OPEN/CLOSE/DUP of driver fds, IOCTL with
// argument bytes before/after and the nested user buffers of the row's BufferRefs, MMAP/MUNMAP of
// driver fds, DOORBELL stores caught through a protected shadow page (x86-64), SUBMISSION
// contents and MEMORY_SNAPSHOTs of the device-mapped pages that changed.
//
// Environment:
//   RAWGPU_SNIFF_OUT=path      the trace to write (required; without it nothing is recorded)
//   RAWGPU_SNIFF_ZSTD=1        zstd-compressed body
//   RAWGPU_SNIFF_SNAPSHOTS=0   no MEMORY_SNAPSHOT records
// After fork the child writes `<path>.<pid>` (created at its first record).
//
// Hot path (an ioctl on a driver fd): one relaxed load of the fd table, the row lookup, guarded
// copies into thread-local scratch, one trace write. No allocation once the scratch has grown,
// no syscall besides the write. Non-driver fds cost one load.
//
// Record order around a submission (what the replayer relies on): the MEMORY_SNAPSHOTs
// (reason restore) come first, then the SUBMISSION record(s), then the event that submits (the
// DOORBELL record, or the IOCTL record of IOCTL_KGSL_GPU_COMMAND, written when the call returns).
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "kfd/abi.h"
#include "kfd/describe.h"
#include "nv_ioctl/abi.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/describe.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "tools/trace/trace.h"

namespace rawgpu::sniff {
namespace {

using trace::DriverKind;
using namespace rawgpu::kfd;  // NOLINT: the KFD argument structs live in two scopes (kernel header, abi.h)

#define SNIFF_TLS __attribute__((tls_model("initial-exec"))) thread_local

// ---------------------------------------------------------------------------------------------
// The next definitions (libc, or a later preload such as librawgpu_sim.so).

template <typename Fn>
Fn next_fn(std::atomic<void*>& slot, const char* name) {
  void* p = slot.load(std::memory_order_acquire);
  if (!p) {
    p = dlsym(RTLD_NEXT, name);
    slot.store(p, std::memory_order_release);
  }
  return reinterpret_cast<Fn>(p);
}
#define NEXT(NAME, TYPE)                                 \
  TYPE real_##NAME() {                                   \
    static std::atomic<void*> slot{nullptr};             \
    return next_fn<TYPE>(slot, #NAME);                   \
  }
using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);
using Open2Fn = int (*)(const char*, int);
using Openat2Fn = int (*)(int, const char*, int);
using CloseFn = int (*)(int);
using DupFn = int (*)(int);
using Dup2Fn = int (*)(int, int);
using Dup3Fn = int (*)(int, int, int);
using FcntlFn = int (*)(int, int, ...);
using IoctlFn = int (*)(int, unsigned long, ...);
using MmapFn = void* (*)(void*, size_t, int, int, int, off_t);
using MunmapFn = int (*)(void*, size_t);
using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
NEXT(open, OpenFn)
NEXT(open64, OpenFn)
NEXT(openat, OpenatFn)
NEXT(openat64, OpenatFn)
NEXT(__open_2, Open2Fn)
NEXT(__open64_2, Open2Fn)
NEXT(__openat_2, Openat2Fn)
NEXT(__openat64_2, Openat2Fn)
NEXT(close, CloseFn)
NEXT(dup, DupFn)
NEXT(dup2, Dup2Fn)
NEXT(dup3, Dup3Fn)
NEXT(fcntl, FcntlFn)
NEXT(ioctl, IoctlFn)
NEXT(mmap, MmapFn)
NEXT(mmap64, MmapFn)
NEXT(munmap, MunmapFn)
NEXT(sigaction, SigactionFn)
#undef NEXT

// ---------------------------------------------------------------------------------------------
// Global state. Heap objects that are never destroyed: other libraries' destructors may still
// call into the hooks after ours ran.

constexpr int kMaxFds = 1 << 16;
std::atomic<uint8_t> g_fd_kind[kMaxFds];  // DriverKind + 1; 0 = not a driver fd

std::atomic<bool> g_active{false};
std::atomic<trace::TraceWriter*> g_writer{nullptr};
std::mutex g_create_mu;       // lazy creation of the child's writer
std::string* g_out = nullptr;  // the trace path of this process
bool g_zstd = false;
bool g_snapshots = true;
// The NVIDIA driver branch (from NV_ESC_CHECK_VERSION_STR), 0 until known: UVM numbers carry no
// size, the branch's row gives it.
std::atomic<uint32_t> g_nv_branch{0};
long g_page = 4096;

SNIFF_TLS uint32_t t_tid = 0;
SNIFF_TLS bool t_in_writer = false;  // this thread is inside TraceWriter (signal handlers skip flush)
SNIFF_TLS sigjmp_buf* t_guard = nullptr;

uint8_t fd_kind(int fd) {
  return (fd >= 0 && fd < kMaxFds) ? g_fd_kind[fd].load(std::memory_order_relaxed) : 0;
}
void set_fd_kind(int fd, uint8_t k) {
  if (fd >= 0 && fd < kMaxFds) g_fd_kind[fd].store(k, std::memory_order_relaxed);
}

trace::RecordMeta meta() {
  if (t_tid == 0) t_tid = static_cast<uint32_t>(::syscall(SYS_gettid));
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return {static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec),
          t_tid};
}

trace::TraceWriter* create_writer(const std::string& path) {
  const int fd = real_open()(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "rawgpu sniff: cannot create %s: %s\n", path.c_str(), strerror(errno));
    return nullptr;
  }
  // Out of the program's way: a high fd it is unlikely to dup2 onto.
  int high = real_fcntl()(fd, F_DUPFD_CLOEXEC, 900);
  if (high >= 0) {
    real_close()(fd);
  } else {
    high = fd;
  }
  auto w = trace::TraceWriter::adopt_fd(
      high, true, trace::WriterOptions{.zstd = g_zstd, .mapped = !g_zstd, .writer_name = "rawgpu-sniff"});
  if (!w.ok()) {
    std::fprintf(stderr, "rawgpu sniff: %s\n", w.error().message().c_str());
    real_close()(high);
    return nullptr;
  }
  return w->release();
}

trace::TraceWriter* writer() {
  trace::TraceWriter* w = g_writer.load(std::memory_order_acquire);
  if (w || !g_active.load(std::memory_order_relaxed)) return w;
  std::lock_guard lk(g_create_mu);
  w = g_writer.load(std::memory_order_acquire);
  if (!w && g_out) {
    w = create_writer(*g_out);
    if (!w) g_active.store(false);
    g_writer.store(w, std::memory_order_release);
  }
  return w;
}

template <typename R>
void emit(const R& r) {
  trace::TraceWriter* w = writer();
  if (!w) return;
  t_in_writer = true;
  (void)w->append(r, meta());
  t_in_writer = false;
}

// ---------------------------------------------------------------------------------------------
// Guarded reads of user memory: a bad pointer (or a page unmapped behind our back) ends the copy
// instead of the program. The SIGSEGV/SIGBUS handler jumps back here (SA_NODEFER keeps the signal
// unblocked after the jump).

bool guarded_copy(void* dst, const void* src, size_t n) {
  if (n == 0) return true;
  if (!src) return false;
  sigjmp_buf jb;
  if (sigsetjmp(jb, 0) != 0) {
    t_guard = nullptr;
    return false;
  }
  t_guard = &jb;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  std::memcpy(dst, src, n);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_guard = nullptr;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Device state: mappings, queues, channels, objects. Guarded by g_state_mu; only ioctls that
// create or destroy such things, mmap/munmap of driver fds and submissions take it.

std::mutex g_state_mu;

enum class RegionKind : uint8_t { kMemory, kExcluded };

struct Region {
  uint64_t addr = 0;
  uint64_t len = 0;
  int prot = 0;
  RegionKind kind = RegionKind::kMemory;
  uint8_t* copy = nullptr;  // private copy (anonymous mapping), for "changed since last"
  uint64_t userptr_handle = 0;  // KFD userptr: the buffer handle; 0 for mmaps
  uint32_t nv_os_mem = 0;       // NV OS descriptor (NV_ESC_RM_ALLOC_MEMORY): its handle; else 0
};

struct KfdQueue {
  uint32_t id = 0;
  uint64_t doorbell_offset = 0;
  uint64_t ring = 0;
  uint32_t ring_size = 0;
  uint32_t type = 0;
  uint64_t end = 0;  // ring bytes submitted so far (monotonic)
};

struct NvChannel {
  uint32_t handle = 0;
  uint32_t token = 0;
  bool has_token = false;
  uint64_t gpfifo = 0;
  uint32_t entries = 0;
  uint32_t userd_mem = 0;
  uint64_t userd_offset = 0;
  uint32_t put = 0;
};

struct UvmMap {
  uint64_t gpu = 0;
  uint64_t len = 0;
  uint32_t mem = 0;
};

struct KgslObj {
  uint64_t gpuaddr = 0;
  uint64_t size = 0;
  uint64_t cpu = 0;
};

struct DoorbellRegion {
  std::atomic<uint64_t> shadow{0};  // 0 = free slot
  uint64_t len = 0;
  uint64_t real = 0;
  uint64_t mmap_offset = 0;
  uint32_t driver = 0;
  std::atomic<bool> busy{false};
};
constexpr int kMaxDoorbells = 64;
DoorbellRegion g_doorbells[kMaxDoorbells];

struct State {
  std::vector<Region> regions;
  std::vector<KfdQueue> queues;
  std::vector<NvChannel> channels;
  std::vector<UvmMap> uvm;
  std::unordered_map<uint32_t, uint64_t> nv_mem_cpu;    // hMemory -> CPU address of its mapping
  std::unordered_map<int, uint32_t> nv_pending_map;     // fd -> hMemory of an RM_MAP_MEMORY
  std::vector<uint32_t> nv_usermode;                    // handles of *_USERMODE_A objects
  std::unordered_map<uint32_t, KgslObj> kgsl_objs;      // id -> object
};
State* g_state = nullptr;

void add_region(uint64_t addr, uint64_t len, int prot, RegionKind kind, uint64_t handle = 0) {
  Region r{.addr = addr, .len = len, .prot = prot, .kind = kind, .userptr_handle = handle};
  if (kind == RegionKind::kMemory && g_snapshots) {
    void* c = real_mmap()(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (c != MAP_FAILED) r.copy = static_cast<uint8_t*>(c);
  }
  g_state->regions.push_back(r);
}

void drop_region_copy(Region& r) {
  if (r.copy) real_munmap()(r.copy, r.len);
  r.copy = nullptr;
}

// Emits the pages of [r.addr + from, r.addr + to) that differ from the private copy.
void snapshot_range(Region& r, uint64_t from, uint64_t to, trace::SnapshotReason reason) {
  if (!r.copy || (r.prot & PROT_READ) == 0) return;
  const uint64_t page = static_cast<uint64_t>(g_page);
  uint64_t run_start = 0, run_len = 0;
  auto flush_run = [&] {
    if (run_len == 0) return;
    for (uint64_t off = 0; off < run_len; off += trace::kMaxPayload / 2) {
      const uint64_t n = std::min<uint64_t>(run_len - off, trace::kMaxPayload / 2);
      emit(trace::MemorySnapshotRecord{.space = static_cast<uint32_t>(trace::AddressSpace::kCpu),
                                       .address = r.addr + run_start + off,
                                       .data = {r.copy + run_start + off, n},
                                       .reason = static_cast<uint32_t>(reason)});
    }
    run_len = 0;
  };
  static SNIFF_TLS uint8_t* tmp = nullptr;
  if (!tmp) {
    void* p = real_mmap()(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    tmp = static_cast<uint8_t*>(p);
  }
  for (uint64_t off = from & ~(page - 1); off < to && off < r.len; off += page) {
    const uint64_t n = std::min(page, r.len - off);
    if (!guarded_copy(tmp, reinterpret_cast<const void*>(r.addr + off), n)) {
      flush_run();
      continue;
    }
    if (std::memcmp(tmp, r.copy + off, n) == 0) {
      flush_run();
      continue;
    }
    std::memcpy(r.copy + off, tmp, n);
    if (run_len == 0) run_start = off;
    run_len += n;
  }
  flush_run();
}

void snapshot_all(trace::SnapshotReason reason) {
  if (!g_snapshots) return;
  for (Region& r : g_state->regions)
    if (r.kind == RegionKind::kMemory) snapshot_range(r, 0, r.len, reason);
}

// GPU VA -> CPU address: through UVM external mappings of memory whose CPU mapping is known,
// else the same address (rawgpu, tinygrad and CUDA's UVM map GPU VA == CPU VA).
uint64_t gpu_to_cpu(uint64_t va) {
  for (const UvmMap& m : g_state->uvm) {
    if (va >= m.gpu && va - m.gpu < m.len) {
      auto it = g_state->nv_mem_cpu.find(m.mem);
      if (it != g_state->nv_mem_cpu.end()) return it->second + (va - m.gpu);
    }
  }
  return va;
}

std::vector<uint8_t>& submit_scratch() {
  static SNIFF_TLS std::vector<uint8_t>* v = nullptr;
  if (!v) v = new std::vector<uint8_t>();
  return *v;
}

void emit_submission(DriverKind driver, uint64_t queue, uint64_t address, uint64_t cpu,
                     uint64_t bytes) {
  bytes = std::min<uint64_t>(bytes, core::kMaxNestedBuffer);
  std::vector<uint8_t>& buf = submit_scratch();
  if (buf.size() < bytes) buf.resize(bytes);
  if (!guarded_copy(buf.data(), reinterpret_cast<const void*>(cpu), bytes)) bytes = 0;
  emit(trace::SubmissionRecord{.driver = static_cast<uint32_t>(driver), .queue = queue,
                               .address = address, .data = {buf.data(), bytes}});
}

// ---- KFD: the ring bytes between the previous and the new write pointer.
// Doorbell units (kfd/device.cpp, sim/amd/cp.h): PM4 queues count dwords, SDMA queues bytes,
// AQL queues store the index of the last packet written (64-byte packets).
void kfd_submission(const DoorbellRegion& db, uint64_t offset_in_region, uint64_t value) {
  KfdQueue* q = nullptr;
  const uint64_t slice = db.len;
  for (KfdQueue& c : g_state->queues) {
    if ((c.doorbell_offset & (slice - 1)) == offset_in_region &&
        ((c.doorbell_offset & ~(slice - 1)) == (db.mmap_offset & ~(slice - 1)))) {
      q = &c;
      break;
    }
  }
  if (!q) {
    for (KfdQueue& c : g_state->queues)
      if ((c.doorbell_offset & (slice - 1)) == offset_in_region) q = &c;
  }
  if (!q || q->ring_size == 0) return;
  uint64_t end = value;
  switch (q->type) {
    case KFD_IOC_QUEUE_TYPE_COMPUTE: end = value * 4; break;
    case KFD_IOC_QUEUE_TYPE_COMPUTE_AQL: end = (value + 1) * 64; break;
    default: break;  // SDMA: bytes
  }
  uint64_t start = q->end;
  if (end <= start) {
    q->end = end;
    return;
  }
  if (end - start > q->ring_size) start = end - q->ring_size;
  std::vector<uint8_t>& buf = submit_scratch();
  const uint64_t n = end - start;
  if (buf.size() < n) buf.resize(n);
  uint64_t got = 0;
  while (got < n) {
    const uint64_t pos = (start + got) % q->ring_size;
    const uint64_t chunk = std::min(n - got, q->ring_size - pos);
    if (!guarded_copy(buf.data() + got, reinterpret_cast<const void*>(q->ring + pos), chunk)) break;
    got += chunk;
  }
  emit(trace::SubmissionRecord{.driver = static_cast<uint32_t>(DriverKind::kKfd),
                               .queue = q->id,
                               .address = q->ring + start % q->ring_size,
                               .data = {buf.data(), got}});
  q->end = end;
}

// ---- NVIDIA: the new GPFIFO entries (one record), then one record per pushbuffer segment.
constexpr uint64_t kUserdGpPut = 0x8C;  // USERD GPPut (AmpereAControlGPFifo; packets.h)
void nv_submission(uint32_t token) {
  NvChannel* ch = nullptr;
  for (NvChannel& c : g_state->channels)
    if (c.has_token && c.token == token) ch = &c;
  if (!ch || ch->entries == 0) return;
  auto it = g_state->nv_mem_cpu.find(ch->userd_mem);
  uint64_t userd = 0;
  if (it != g_state->nv_mem_cpu.end()) {
    userd = it->second + ch->userd_offset;
  } else {
    for (const UvmMap& m : g_state->uvm)
      if (m.mem == ch->userd_mem) userd = gpu_to_cpu(m.gpu) + ch->userd_offset;
  }
  uint32_t put = 0;
  if (!userd || !guarded_copy(&put, reinterpret_cast<const void*>(userd + kUserdGpPut), 4)) return;
  put %= ch->entries;
  uint32_t first = ch->put;
  const uint32_t count = (put + ch->entries - first) % ch->entries;
  if (count == 0) return;
  std::vector<uint64_t> entries(count);  // rare path (a doorbell): an allocation is fine here
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t va = ch->gpfifo + uint64_t{(first + i) % ch->entries} * 8;
    if (!guarded_copy(&entries[i], reinterpret_cast<const void*>(gpu_to_cpu(va)), 8)) entries[i] = 0;
  }
  emit(trace::SubmissionRecord{
      .driver = static_cast<uint32_t>(DriverKind::kNvidiaGpu), .queue = ch->handle,
      .address = ch->gpfifo + uint64_t{first} * 8,
      .data = {reinterpret_cast<const uint8_t*>(entries.data()), entries.size() * 8}});
  for (uint64_t e : entries) {
    const uint64_t va = e & 0x000000FFFFFFFFFCull;    // GP_ENTRY0_GET + GP_ENTRY1_GET_HI
    const uint64_t dwords = (e >> 42) & 0x1FFFFFull;  // GP_ENTRY1_LENGTH
    if (dwords == 0) continue;                        // control entry
    emit_submission(DriverKind::kNvidiaGpu, ch->handle, va, gpu_to_cpu(va), dwords * 4);
  }
  ch->put = put;
}

// ---------------------------------------------------------------------------------------------
// Doorbell shadow pages (x86-64): the program gets a PROT_NONE page; a store faults, the handler
// fills the 16 bytes around it with a sentinel (a load: with the real contents), opens the page
// and sets the trap flag; after the one instruction the SIGTRAP handler sees which words changed,
// records them and forwards them to the real doorbell, then closes the page again.

constexpr uint32_t kSentinelLo = 0xA5C3E1F7u;
constexpr uint32_t kSentinelHi = 0x5A3C1E7Fu;

struct Pending {
  DoorbellRegion* db = nullptr;
  uint64_t window = 0;  // 16 bytes, 8-aligned
  bool write = false;
};
SNIFF_TLS Pending t_pending;

DoorbellRegion* find_doorbell(uint64_t addr) {
  for (DoorbellRegion& d : g_doorbells) {
    const uint64_t s = d.shadow.load(std::memory_order_acquire);
    if (s && addr >= s && addr - s < d.len) return &d;
  }
  return nullptr;
}

#if defined(__x86_64__)
constexpr greg_t kTrapFlag = 0x100;  // EFLAGS.TF

bool doorbell_fault(uint64_t addr, ucontext_t* uc) {
  DoorbellRegion* db = find_doorbell(addr);
  if (!db) return false;
  while (db->busy.exchange(true, std::memory_order_acquire)) {
  }
  const uint64_t shadow = db->shadow.load();
  const uint64_t page = static_cast<uint64_t>(g_page);
  const uint64_t page_addr = addr & ~(page - 1);
  mprotect(reinterpret_cast<void*>(page_addr), page, PROT_READ | PROT_WRITE);
  uint64_t window = addr & ~7ull;
  if (window + 16 > page_addr + page) window = page_addr + page - 16;
  const bool write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;  // page-fault error code W bit
  auto* w = reinterpret_cast<volatile uint32_t*>(window);
  if (write) {
    w[0] = kSentinelLo;
    w[1] = kSentinelHi;
    w[2] = kSentinelLo;
    w[3] = kSentinelHi;
  } else {
    const auto* r = reinterpret_cast<const volatile uint32_t*>(db->real + (window - shadow));
    for (int i = 0; i < 4; ++i) w[i] = r[i];
  }
  t_pending = Pending{db, window, write};
  uc->uc_mcontext.gregs[REG_EFL] |= kTrapFlag;
  return true;
}

void doorbell_trap(ucontext_t* uc) {
  Pending p = t_pending;
  t_pending = {};
  uc->uc_mcontext.gregs[REG_EFL] &= ~kTrapFlag;
  DoorbellRegion* db = p.db;
  const uint64_t shadow = db->shadow.load();
  const uint64_t page = static_cast<uint64_t>(g_page);
  if (p.write) {
    auto* w = reinterpret_cast<volatile uint32_t*>(p.window);
    uint32_t v[4];
    for (int i = 0; i < 4; ++i) v[i] = w[i];
    const uint32_t sentinel[4] = {kSentinelLo, kSentinelHi, kSentinelLo, kSentinelHi};
    for (int i = 0; i < 4; i += 2) {
      const bool lo = v[i] != sentinel[i], hi = v[i + 1] != sentinel[i + 1];
      if (!lo && !hi) continue;
      const uint64_t shadow_addr = p.window + 4 * static_cast<uint64_t>(i);
      const uint64_t off = shadow_addr - shadow;
      uint64_t value;
      uint32_t width;
      uint64_t at = shadow_addr;
      if (lo && hi) {
        value = v[i] | (uint64_t{v[i + 1]} << 32);
        width = 8;
      } else if (lo) {
        value = v[i];
        width = 4;
      } else {
        value = v[i + 1];
        width = 4;
        at += 4;
      }
      {
        std::lock_guard lk(g_state_mu);
        snapshot_all(trace::SnapshotReason::kRestore);
        if (db->driver == static_cast<uint32_t>(DriverKind::kKfd)) {
          kfd_submission(*db, off + (at - shadow_addr), value);
        } else if (at - shadow == 0x90) {  // NVC361_NOTIFY_CHANNEL_PENDING
          nv_submission(static_cast<uint32_t>(value));
        }
      }
      emit(trace::DoorbellRecord{.address = at, .value = value, .width = width});
      const uint64_t real = db->real + (at - shadow);
      if (width == 8) {
        __atomic_store_n(reinterpret_cast<uint64_t*>(real), value, __ATOMIC_SEQ_CST);
      } else {
        __atomic_store_n(reinterpret_cast<uint32_t*>(real), static_cast<uint32_t>(value),
                         __ATOMIC_SEQ_CST);
      }
    }
  }
  mprotect(reinterpret_cast<void*>(p.window & ~(page - 1)), page, PROT_NONE);
  db->busy.store(false, std::memory_order_release);
}
#endif

// Maps a doorbell page: the real mapping stays private; the program gets the shadow.
void* map_doorbell(void* addr, size_t len, int prot, int flags, int fd, off_t off, DriverKind k) {
#if defined(__x86_64__)
  void* real = real_mmap()(nullptr, len, prot, flags & ~MAP_FIXED & ~MAP_FIXED_NOREPLACE, fd, off);
  if (real == MAP_FAILED) return real;
  const int sflags = MAP_PRIVATE | MAP_ANONYMOUS | (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE));
  void* shadow = real_mmap()(addr, len, PROT_NONE, sflags, -1, 0);
  if (shadow == MAP_FAILED) {
    const int e = errno;
    real_munmap()(real, len);
    errno = e;
    return shadow;
  }
  for (DoorbellRegion& d : g_doorbells) {
    if (d.shadow.load() != 0) continue;
    d.len = len;
    d.real = reinterpret_cast<uint64_t>(real);
    d.mmap_offset = static_cast<uint64_t>(off);
    d.driver = static_cast<uint32_t>(k);
    d.shadow.store(reinterpret_cast<uint64_t>(shadow), std::memory_order_release);
    return shadow;
  }
  // No free slot: hand out the real mapping uncaught.
  real_munmap()(shadow, len);
  if (addr && (flags & MAP_FIXED)) {
    real_munmap()(real, len);
    return real_mmap()(addr, len, prot, flags, fd, off);
  }
  return real;
#else
  (void)k;
  static std::atomic<bool> said{false};
  if (!said.exchange(true))
    std::fprintf(stderr, "rawgpu sniff: doorbell stores are not caught on this architecture\n");
  return real_mmap()(addr, len, prot, flags, fd, off);
#endif
}

// ---------------------------------------------------------------------------------------------
// Signals.

struct sigaction g_prev[65];        // the program's (or the previous) handlers we chain to
std::atomic<bool> g_ours[65];       // our handler is installed for this signal

void flush_for_signal() {
  if (t_in_writer) return;
  if (trace::TraceWriter* w = g_writer.load()) (void)w->flush();
}

void chain(int sig, siginfo_t* si, void* uc) {
  const struct sigaction& p = g_prev[sig];
  if ((p.sa_flags & SA_SIGINFO) && p.sa_sigaction) {
    p.sa_sigaction(sig, si, uc);
    return;
  }
  if (p.sa_handler == SIG_IGN) return;
  if (p.sa_handler != SIG_DFL && p.sa_handler) {
    p.sa_handler(sig);
    return;
  }
  // Default action: flush, restore the default and let the signal happen again.
  flush_for_signal();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  real_sigaction()(sig, &dfl, nullptr);
  g_ours[sig] = false;
  if (sig != SIGSEGV && sig != SIGBUS && sig != SIGTRAP) raise(sig);
  // SIGSEGV/SIGBUS/SIGTRAP: returning re-executes the faulting instruction under SIG_DFL.
  if (sig == SIGTRAP) raise(sig);
}

void on_fault(int sig, siginfo_t* si, void* ucv) {
  if (t_guard) {
    sigjmp_buf* g = t_guard;
    t_guard = nullptr;
    siglongjmp(*g, 1);
  }
#if defined(__x86_64__)
  auto* uc = static_cast<ucontext_t*>(ucv);
  if (sig == SIGSEGV && doorbell_fault(reinterpret_cast<uint64_t>(si->si_addr), uc)) return;
  if (sig == SIGTRAP && t_pending.db) {
    doorbell_trap(uc);
    return;
  }
#endif
  chain(sig, si, ucv);
}

void on_fatal(int sig, siginfo_t* si, void* uc) { chain(sig, si, uc); }

void install(int sig, void (*fn)(int, siginfo_t*, void*), int extra_flags) {
  struct sigaction sa {};
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | extra_flags;
  sigemptyset(&sa.sa_mask);
  if (real_sigaction()(sig, &sa, &g_prev[sig]) == 0) g_ours[sig] = true;
}

// ---------------------------------------------------------------------------------------------
// Records.

uint8_t kind_of_path(const char* path) {
  if (!path) return 0;
  const DriverKind k = trace::guess_driver(path);
  return k == DriverKind::kOther ? 0 : static_cast<uint8_t>(static_cast<uint32_t>(k) + 1);
}

int after_open(const char* path, int flags, unsigned mode, int fd) {
  const int e = errno;
  const uint8_t k = kind_of_path(path);
  if (k && g_active.load(std::memory_order_relaxed)) {
    if (fd >= 0) set_fd_kind(fd, k);
    emit(trace::OpenRecord{.result = fd >= 0 ? fd : -e, .flags = static_cast<uint32_t>(flags),
                           .mode = mode,
                           .driver = static_cast<uint32_t>(k - 1), .path = path});
  } else if (fd >= 0) {
    set_fd_kind(fd, 0);
  }
  errno = e;
  return fd;
}

int after_dup(int old_fd, int new_fd, int requested, uint32_t flags, uint8_t replaced_kind) {
  const int e = errno;
  const uint8_t k = fd_kind(old_fd);
  if (new_fd >= 0) set_fd_kind(new_fd, k);
  if ((k || replaced_kind) && g_active.load(std::memory_order_relaxed))
    emit(trace::DupRecord{.old_fd = old_fd, .new_fd = new_fd >= 0 ? new_fd : -e,
                          .requested_fd = requested, .flags = flags});
  errno = e;
  return new_fd;
}

// ---- ioctl

struct IoctlScratch {
  std::vector<uint8_t> bytes;
  trace::IoctlRecord rec;
  struct Buf {
    uint32_t tag;
    uint64_t address;
    uint64_t before_off, before_len, after_off, after_len;
    const core::BufferRef* ref;
    const core::IoctlDesc* desc;
    uint64_t parent_off;  // where the pointer's container lives in `bytes` (arg or params)
    uint64_t parent_len;
  };
  std::vector<Buf> bufs;
};
IoctlScratch& ioctl_scratch() {
  static SNIFF_TLS IoctlScratch* s = nullptr;
  if (!s) {
    s = new IoctlScratch();
    s->bytes.reserve(1 << 16);
    s->rec.buffers.reserve(16);
    s->bufs.reserve(16);
  }
  return *s;
}

struct Rows {
  const core::IoctlDesc* kfd_create_queue_v116;
  const core::IoctlDesc* kfd_create_queue_v117;
  const core::IoctlDesc* kfd_destroy_queue;
  const core::IoctlDesc* kfd_alloc;
  const core::IoctlDesc* kfd_free;
  const core::IoctlDesc* kfd_svm;
  const core::IoctlDesc* nv_control;
  const core::IoctlDesc* nv_alloc;
  const core::IoctlDesc* nv_alloc64;
  const core::IoctlDesc* nv_map_memory;
  const core::IoctlDesc* nv_alloc_memory;
  const core::IoctlDesc* nv_free;
  const core::IoctlDesc* nv_version;
  const core::IoctlDesc* uvm_map_external;
  const core::IoctlDesc* kgsl_gpu_command;
  const core::IoctlDesc* kgsl_gpuobj_alloc;
  const core::IoctlDesc* kgsl_gpuobj_info;
  const core::IoctlDesc* kgsl_gpumem_alloc_id;
  const core::IoctlDesc* kgsl_gpuobj_free;
  const core::IoctlDesc* kgsl_gpumem_free_id;
};
const Rows& rows() {
  static const Rows r{
      &kfd::kfd_ioctl(kfd::KfdIoctl::CREATE_QUEUE_V116),
      &kfd::kfd_ioctl(kfd::KfdIoctl::CREATE_QUEUE_V117),
      &kfd::kfd_ioctl(kfd::KfdIoctl::DESTROY_QUEUE),
      &kfd::kfd_ioctl(kfd::KfdIoctl::ALLOC_MEMORY_OF_GPU),
      &kfd::kfd_ioctl(kfd::KfdIoctl::FREE_MEMORY_OF_GPU),
      &kfd::kfd_ioctl(kfd::KfdIoctl::SVM),
      &nv::nv_ioctl(nv::NvIoctl::RM_CONTROL),
      &nv::nv_ioctl(nv::NvIoctl::RM_ALLOC),
      &nv::nv_ioctl(nv::NvIoctl::RM_ALLOC_NVOS64),
      &nv::nv_ioctl(nv::NvIoctl::RM_MAP_MEMORY),
      &nv::nv_ioctl(nv::NvIoctl::RM_ALLOC_MEMORY),
      &nv::nv_ioctl(nv::NvIoctl::RM_FREE),
      &nv::nv_ioctl(nv::NvIoctl::CHECK_VERSION_STR),
      &nv::nv_ioctl(nv::NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPU_COMMAND),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPUOBJ_ALLOC),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPUOBJ_INFO),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPUMEM_ALLOC_ID),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPUOBJ_FREE),
      &qcom::kgsl_ioctl(qcom::KgslIoctl::GPUMEM_FREE_ID),
  };
  return r;
}

template <typename T>
T rd(const uint8_t* p, size_t n, size_t at) {
  T v{};
  if (at + sizeof(T) <= n) std::memcpy(&v, p + at, sizeof(T));
  return v;
}

bool is_usermode_class(uint32_t c) {
  return c == nv::VOLTA_USERMODE_A || c == nv::TURING_USERMODE_A || c == nv::AMPERE_USERMODE_A ||
         c == nv::HOPPER_USERMODE_A || c == nv::BLACKWELL_USERMODE_A;
}
bool is_gpfifo_class(uint32_t c) {
  return c == nv::VOLTA_CHANNEL_GPFIFO_A || c == nv::TURING_CHANNEL_GPFIFO_A ||
         c == nv::AMPERE_CHANNEL_GPFIFO_A || c == nv::HOPPER_CHANNEL_GPFIFO_A ||
         c == nv::BLACKWELL_CHANNEL_GPFIFO_A || c == nv::BLACKWELL_CHANNEL_GPFIFO_B;
}

// KGSL submits by ioctl: the IBs of the cmdlist, read through the CPU mapping of their objects.
void kgsl_before_command(const uint8_t* arg, size_t n, const uint8_t* list, size_t list_len) {
  const uint32_t cmdsize = rd<uint32_t>(arg, n, offsetof(qcom::kgsl_gpu_command, cmdsize));
  const uint32_t ctx = rd<uint32_t>(arg, n, offsetof(qcom::kgsl_gpu_command, context_id));
  std::lock_guard lk(g_state_mu);
  snapshot_all(trace::SnapshotReason::kRestore);
  if (cmdsize < 24) return;
  for (size_t at = 0; at + cmdsize <= list_len; at += cmdsize) {
    const uint64_t gpuaddr = rd<uint64_t>(list + at, cmdsize, offsetof(qcom::kgsl_command_object, gpuaddr));
    const uint64_t size = rd<uint64_t>(list + at, cmdsize, offsetof(qcom::kgsl_command_object, size));
    const uint32_t id = rd<uint32_t>(list + at, cmdsize, offsetof(qcom::kgsl_command_object, id));
    // USE_CPU_MAP objects report gpuaddr 0 until mapped: their GPU address is the CPU one.
    auto resolve = [&](const KgslObj& o) -> uint64_t {
      const uint64_t base = o.gpuaddr ? o.gpuaddr : o.cpu;
      if (!o.cpu || gpuaddr < base || gpuaddr - base >= o.size) return 0;
      return o.cpu + (gpuaddr - base);
    };
    uint64_t cpu = 0;
    auto it = g_state->kgsl_objs.find(id);
    if (it != g_state->kgsl_objs.end()) cpu = resolve(it->second);
    for (auto o = g_state->kgsl_objs.begin(); !cpu && o != g_state->kgsl_objs.end(); ++o)
      cpu = resolve(o->second);
    if (cpu) emit_submission(DriverKind::kKgsl, ctx, gpuaddr, cpu, size);
  }
}

// State changes of a successful call (rows that create/destroy queues, memory, channels).
void track(const core::IoctlDesc* d, int fd, const uint8_t* a, size_t n, const IoctlScratch& s) {
  const Rows& R = rows();
  auto buffer_after = [&](uint32_t tag, size_t& len) -> const uint8_t* {
    for (const auto& b : s.bufs)
      if (b.tag == tag && b.after_len) {
        len = b.after_len;
        return s.bytes.data() + b.after_off;
      }
    for (const auto& b : s.bufs)
      if (b.tag == tag) {
        len = b.before_len;
        return s.bytes.data() + b.before_off;
      }
    len = 0;
    return nullptr;
  };
  using CQ = kfd_ioctl_create_queue_args_v116;
  if (d == R.kfd_create_queue_v116 || d == R.kfd_create_queue_v117) {
    std::lock_guard lk(g_state_mu);
    g_state->queues.push_back(KfdQueue{.id = rd<uint32_t>(a, n, offsetof(CQ, queue_id)),
                                       .doorbell_offset = rd<uint64_t>(a, n, offsetof(CQ, doorbell_offset)),
                                       .ring = rd<uint64_t>(a, n, offsetof(CQ, ring_base_address)),
                                       .ring_size = rd<uint32_t>(a, n, offsetof(CQ, ring_size)),
                                       .type = rd<uint32_t>(a, n, offsetof(CQ, queue_type))});
  } else if (d == R.kfd_destroy_queue) {
    const uint32_t id = rd<uint32_t>(a, n, offsetof(kfd_ioctl_destroy_queue_args, queue_id));
    std::lock_guard lk(g_state_mu);
    std::erase_if(g_state->queues, [&](const KfdQueue& q) { return q.id == id; });
  } else if (d == R.kfd_alloc) {
    using A = kfd_ioctl_alloc_memory_of_gpu_args;
    if (rd<uint32_t>(a, n, offsetof(A, flags)) & KFD_IOC_ALLOC_MEM_FLAGS_USERPTR) {
      // mmap_offset holds the CPU address on entry; the kernel overwrites it: use the entry value.
      const uint64_t cpu = rd<uint64_t>(s.bytes.data(), s.rec.arg_before.size(), offsetof(A, mmap_offset));
      std::lock_guard lk(g_state_mu);
      add_region(cpu, rd<uint64_t>(a, n, offsetof(A, size)), PROT_READ | PROT_WRITE,
                 RegionKind::kMemory, rd<uint64_t>(a, n, offsetof(A, handle)));
    }
  } else if (d == R.kfd_free) {
    const uint64_t h = rd<uint64_t>(a, n, offsetof(kfd_ioctl_free_memory_of_gpu_args, handle));
    std::lock_guard lk(g_state_mu);
    for (Region& r : g_state->regions)
      if (r.userptr_handle == h) {
        snapshot_range(r, 0, r.len, trace::SnapshotReason::kCheck);
        drop_region_copy(r);
      }
    std::erase_if(g_state->regions, [&](const Region& r) { return r.userptr_handle == h; });
  } else if (d == R.nv_alloc || d == R.nv_alloc64) {
    const uint32_t cls = rd<uint32_t>(a, n, offsetof(nv::NVOS21_PARAMETERS, hClass));
    const uint32_t h = rd<uint32_t>(a, n, offsetof(nv::NVOS21_PARAMETERS, hObjectNew));
    const uint32_t status = d == R.nv_alloc ? rd<uint32_t>(a, n, offsetof(nv::NVOS21_PARAMETERS, status))
                                            : rd<uint32_t>(a, n, offsetof(nv::NVOS64_PARAMETERS, status));
    if (status != 0) return;
    if (is_usermode_class(cls)) {
      std::lock_guard lk(g_state_mu);
      g_state->nv_usermode.push_back(h);
    } else if (is_gpfifo_class(cls)) {
      size_t len = 0;
      const uint8_t* p = buffer_after(1, len);
      using P = nv::NV_CHANNEL_ALLOC_PARAMS;
      if (!p) return;
      std::lock_guard lk(g_state_mu);
      g_state->channels.push_back(NvChannel{
          .handle = h, .gpfifo = rd<uint64_t>(p, len, offsetof(P, gpFifoOffset)),
          .entries = rd<uint32_t>(p, len, offsetof(P, gpFifoEntries)),
          .userd_mem = rd<uint32_t>(p, len, offsetof(P, hUserdMemory)),
          .userd_offset = rd<uint64_t>(p, len, offsetof(P, userdOffset))});
    }
  } else if (d == R.nv_control) {
    using C = nv::NVOS54_PARAMETERS;
    if (rd<uint32_t>(a, n, offsetof(C, cmd)) != nv::NVC36F_CTRL_CMD_GPFIFO_GET_WORK_SUBMIT_TOKEN ||
        rd<uint32_t>(a, n, offsetof(C, status)) != 0)
      return;
    size_t len = 0;
    const uint8_t* p = buffer_after(1, len);
    if (!p || len < 4) return;
    const uint32_t ch = rd<uint32_t>(a, n, offsetof(C, hObject));
    std::lock_guard lk(g_state_mu);
    for (NvChannel& c : g_state->channels)
      if (c.handle == ch) {
        c.token = rd<uint32_t>(p, len, 0);
        c.has_token = true;
      }
  } else if (d == R.nv_version) {
    // The driver branch picks the UVM layouts (their numbers carry no size).
    nv::nv_ioctl_rm_api_version_t v{};
    if (n < sizeof v) return;
    std::memcpy(&v, a, sizeof v);
    uint32_t major = 0;
    for (size_t i = 0; i < sizeof v.versionString && v.versionString[i] >= '0' &&
                       v.versionString[i] <= '9' && major < 10000;
         ++i)
      major = major * 10 + static_cast<uint32_t>(v.versionString[i] - '0');
    if (major >= 400 && major < 2000) g_nv_branch.store(major, std::memory_order_relaxed);
  } else if (d == R.nv_alloc_memory) {
    // An OS descriptor: host memory the GPU reads and writes (pushbuffers, semaphores) through
    // its UVM mapping; tracked like mapped device memory (snapshots, GPU VA -> CPU).
    using W = nv::nv_ioctl_nvos02_parameters_with_fd;
    constexpr size_t P = offsetof(W, params);
    if (rd<uint32_t>(a, n, P + offsetof(nv::NVOS02_PARAMETERS, status)) != 0) return;
    const uint64_t mem = rd<uint64_t>(a, n, P + offsetof(nv::NVOS02_PARAMETERS, pMemory));
    const uint64_t len = rd<uint64_t>(a, n, P + offsetof(nv::NVOS02_PARAMETERS, limit)) + 1;
    const uint32_t h = rd<uint32_t>(a, n, P + offsetof(nv::NVOS02_PARAMETERS, hObjectNew));
    if (mem == 0 || len == 0 || len > (uint64_t{1} << 40)) return;
    std::lock_guard lk(g_state_mu);
    add_region(mem, len, PROT_READ | PROT_WRITE, RegionKind::kMemory);
    g_state->regions.back().nv_os_mem = h;
    g_state->nv_mem_cpu[h] = mem;
  } else if (d == R.nv_free) {
    const uint32_t h = rd<uint32_t>(a, n, offsetof(nv::NVOS00_PARAMETERS, hObjectOld));
    if (rd<uint32_t>(a, n, offsetof(nv::NVOS00_PARAMETERS, status)) != 0 || h == 0) return;
    std::lock_guard lk(g_state_mu);
    for (Region& r : g_state->regions)
      if (r.nv_os_mem == h) {
        snapshot_range(r, 0, r.len, trace::SnapshotReason::kCheck);
        drop_region_copy(r);
      }
    std::erase_if(g_state->regions, [&](const Region& r) { return r.nv_os_mem == h; });
    g_state->nv_mem_cpu.erase(h);
  } else if (d == R.nv_map_memory) {
    using M = nv::nv_ioctl_nvos33_parameters_with_fd;
    if (rd<uint32_t>(a, n, offsetof(M, params) + offsetof(nv::NVOS33_PARAMETERS, status)) != 0) return;
    const int map_fd = rd<int32_t>(a, n, offsetof(M, fd));
    const uint32_t mem = rd<uint32_t>(a, n, offsetof(M, params) + offsetof(nv::NVOS33_PARAMETERS, hMemory));
    std::lock_guard lk(g_state_mu);
    g_state->nv_pending_map[map_fd] = mem;
    (void)fd;
  } else if (d == R.uvm_map_external) {
    using U = nv::UVM_MAP_EXTERNAL_ALLOCATION_PARAMS;
    if (rd<uint32_t>(a, n, offsetof(U, rmStatus)) != 0) return;
    std::lock_guard lk(g_state_mu);
    g_state->uvm.push_back(UvmMap{.gpu = rd<uint64_t>(a, n, offsetof(U, base)),
                                  .len = rd<uint64_t>(a, n, offsetof(U, length)),
                                  .mem = rd<uint32_t>(a, n, offsetof(U, hMemory))});
  } else if (d == R.kgsl_gpuobj_alloc) {
    using A = qcom::kgsl_gpuobj_alloc;
    std::lock_guard lk(g_state_mu);
    KgslObj& o = g_state->kgsl_objs[rd<uint32_t>(a, n, offsetof(A, id))];
    o.size = rd<uint64_t>(a, n, offsetof(A, mmapsize));
  } else if (d == R.kgsl_gpumem_alloc_id) {
    using A = qcom::kgsl_gpumem_alloc_id;
    std::lock_guard lk(g_state_mu);
    KgslObj& o = g_state->kgsl_objs[rd<uint32_t>(a, n, offsetof(A, id))];
    o.size = rd<uint64_t>(a, n, offsetof(A, mmapsize));
    o.gpuaddr = rd<uint64_t>(a, n, offsetof(A, gpuaddr));
  } else if (d == R.kgsl_gpuobj_info) {
    using I = qcom::kgsl_gpuobj_info;
    std::lock_guard lk(g_state_mu);
    KgslObj& o = g_state->kgsl_objs[rd<uint32_t>(a, n, offsetof(I, id))];
    o.gpuaddr = rd<uint64_t>(a, n, offsetof(I, gpuaddr));
    if (!o.size) o.size = rd<uint64_t>(a, n, offsetof(I, size));
  } else if (d == R.kgsl_gpuobj_free) {
    std::lock_guard lk(g_state_mu);
    g_state->kgsl_objs.erase(rd<uint32_t>(a, n, offsetof(qcom::kgsl_gpuobj_free, id)));
  } else if (d == R.kgsl_gpumem_free_id) {
    std::lock_guard lk(g_state_mu);
    g_state->kgsl_objs.erase(rd<uint32_t>(a, n, offsetof(qcom::kgsl_gpumem_free_id, id)));
  }
}

core::IoctlMatch match(uint8_t kind, unsigned long request) {
  switch (static_cast<DriverKind>(kind - 1)) {
    case DriverKind::kKfd: return core::find_by_request(kfd::kfd_ioctls(), request);
    case DriverKind::kNvidiaCtl:
    case DriverKind::kNvidiaGpu:
    case DriverKind::kNvidiaUvm: return nv::find_nv_request(request, g_nv_branch.load(std::memory_order_relaxed));
    case DriverKind::kKgsl: return qcom::find_kgsl_ioctl(request);
    default: return {};
  }
}

constexpr uint64_t kMaxArg = 1 << 16;

// Adds the nested buffers of `desc` whose container (arg or params) lies at bytes[off, off+len).
void plan_buffers(IoctlScratch& s, const core::IoctlDesc& desc, uint64_t off, uint64_t len,
                  uint32_t tag_base) {
  for (const core::BufferRef& ref : desc.buffers) {
    const auto span = core::buffer_span(desc, ref, {s.bytes.data() + off, len},
                                        g_nv_branch.load(std::memory_order_relaxed));
    if (!span || span->bytes == 0) continue;
    s.bufs.push_back(IoctlScratch::Buf{.tag = tag_base + ref.tag, .address = span->address,
                                       .before_off = 0, .before_len = span->bytes,
                                       .after_off = 0, .after_len = 0, .ref = &ref, .desc = &desc,
                                       .parent_off = off, .parent_len = len});
  }
}

// Copies buffer i's before bytes (growing `bytes`; offsets stay valid, pointers do not).
void capture_before(IoctlScratch& s, size_t i) {
  auto& b = s.bufs[i];
  b.before_off = s.bytes.size();
  s.bytes.resize(s.bytes.size() + b.before_len);
  if (!guarded_copy(s.bytes.data() + b.before_off, reinterpret_cast<const void*>(b.address),
                    b.before_len)) {
    s.bytes.resize(b.before_off);
    b.before_len = 0;
  }
}

int traced_ioctl(int fd, uint8_t kind, unsigned long request, void* arg) {
  IoctlScratch& s = ioctl_scratch();
  const core::IoctlMatch m = match(kind, request);
  const core::IoctlDesc* desc = m.desc;
  uint64_t size = 0;
  if (core::ioc_dir(request) != core::IoctlDir::kNone) size = core::ioc_size(request);
  if (desc && desc->encoding == core::IoctlEncoding::kRaw) size = desc->size;
  if (!arg) size = 0;
  size = std::min(size, kMaxArg);

  s.bytes.clear();
  s.bufs.clear();
  s.bytes.resize(size);
  if (!guarded_copy(s.bytes.data(), arg, size)) {
    size = 0;
    s.bytes.clear();
  }
  // KFD SVM: kfd_ioctl_svm_attribute attrs[nattr] follow the 24 bytes the request encodes.
  if (desc == rows().kfd_svm && size >= sizeof(kfd_ioctl_svm_args)) {
    const uint32_t nattr = rd<uint32_t>(s.bytes.data(), size, offsetof(kfd_ioctl_svm_args, nattr));
    const uint64_t extra = std::min<uint64_t>(uint64_t{nattr} * desc->elem_size, kMaxArg);
    s.bytes.resize(size + extra);
    if (guarded_copy(s.bytes.data() + size, static_cast<uint8_t*>(arg) + size, extra)) {
      size += extra;
    } else {
      s.bytes.resize(size);
    }
  }
  const uint64_t arg_len = size;
  if (desc && arg_len) {
    plan_buffers(s, *desc, 0, arg_len, 0);
    for (size_t i = 0; i < s.bufs.size(); ++i) capture_before(s, i);
    // RM control params: follow the command's own pointers one level down (tags 0x100 + tag).
    if (desc == rows().nv_control && !s.bufs.empty() && s.bufs[0].before_len) {
      const uint32_t cmd = rd<uint32_t>(s.bytes.data(), arg_len, offsetof(nv::NVOS54_PARAMETERS, cmd));
      const uint32_t psize = rd<uint32_t>(s.bytes.data(), arg_len, offsetof(nv::NVOS54_PARAMETERS, paramsSize));
      if (const core::IoctlDesc* c = nv::find_sized(nv::rm_controls(), cmd, psize)) {
        const size_t first = s.bufs.size();
        plan_buffers(s, *c, s.bufs[0].before_off, s.bufs[0].before_len, 0x100);
        for (size_t i = first; i < s.bufs.size(); ++i) capture_before(s, i);
      }
    }
    // KGSL_PROP_PWR_CONSTRAINT: the kgsl_device_constraint in `value` points once more (data,
    // size bytes; msm_kgsl.h): tag 0x101, which the replayer re-points.
    if (desc == &qcom::kgsl_ioctl(qcom::KgslIoctl::SETPROPERTY) && !s.bufs.empty() &&
        rd<uint32_t>(s.bytes.data(), arg_len, offsetof(qcom::kgsl_device_getproperty, type)) ==
            qcom::KGSL_PROP_PWR_CONSTRAINT &&
        s.bufs[0].before_len >= sizeof(qcom::kgsl_device_constraint)) {
      static constexpr core::BufferRef kConstraintData{.tag = 0x101, .name = "data", .ptr_field = "data"};
      const uint8_t* c = s.bytes.data() + s.bufs[0].before_off;
      const size_t n = sizeof(qcom::kgsl_device_constraint);
      const uint64_t data = rd<uint64_t>(c, n, offsetof(qcom::kgsl_device_constraint, data));
      const uint64_t bytes = rd<uint64_t>(c, n, offsetof(qcom::kgsl_device_constraint, size));
      if (data && bytes && bytes <= core::kMaxNestedBuffer) {
        s.bufs.push_back(IoctlScratch::Buf{.tag = 0x101, .address = data, .before_off = 0,
                                           .before_len = bytes, .after_off = 0, .after_len = 0,
                                           .ref = &kConstraintData, .desc = desc,
                                           .parent_off = s.bufs[0].before_off,
                                           .parent_len = s.bufs[0].before_len});
        capture_before(s, s.bufs.size() - 1);
      }
    }
  }
  if (desc == rows().kgsl_gpu_command) {
    for (const auto& b : s.bufs)
      if (b.tag == 1 && g_active.load(std::memory_order_relaxed))
        kgsl_before_command(s.bytes.data(), arg_len, s.bytes.data() + b.before_off, b.before_len);
  }

  const int result = real_ioctl()(fd, request, arg);
  const int err = result < 0 ? errno : 0;

  // After: the argument and the buffers the driver writes back.
  const uint64_t after_off = s.bytes.size();
  s.bytes.resize(after_off + arg_len);
  uint64_t after_len = arg_len;
  if (!guarded_copy(s.bytes.data() + after_off, arg, arg_len)) after_len = 0;
  for (auto& b : s.bufs) {
    if (b.ref->dir == core::ArgDir::kIn) continue;
    b.after_off = s.bytes.size();
    b.after_len = b.before_len;
    // A count the driver lowered (entries actually written) shortens the copy.
    if (b.parent_off == 0 && after_len) {
      const auto span = core::buffer_span(*b.desc, *b.ref, {s.bytes.data() + after_off, after_len},
                                          g_nv_branch.load(std::memory_order_relaxed));
      if (span && span->address == b.address) b.after_len = std::min(b.after_len, span->bytes);
    }
    s.bytes.resize(b.after_off + b.after_len);
    if (!guarded_copy(s.bytes.data() + b.after_off, reinterpret_cast<const void*>(b.address),
                      b.after_len)) {
      s.bytes.resize(b.after_off);
      b.after_len = 0;
    }
  }

  trace::IoctlRecord& r = s.rec;
  r.fd = fd;
  r.err = err;
  r.request = request;
  r.result = result;
  r.arg_before = {s.bytes.data(), arg_len};
  r.arg_after = {s.bytes.data() + after_off, after_len};
  r.buffers.clear();
  for (const auto& b : s.bufs)
    r.buffers.push_back(trace::IoctlBuffer{.tag = b.tag, .address = b.address,
                                           .before = {s.bytes.data() + b.before_off, b.before_len},
                                           .after = {s.bytes.data() + b.after_off, b.after_len}});
  if (result >= 0 && desc && after_len) track(desc, fd, s.bytes.data() + after_off, after_len, s);
  emit(r);
  errno = err ? err : errno;
  return result;
}

// ---- mmap/munmap

void* traced_mmap(MmapFn next, void* addr, size_t len, int prot, int flags, int fd, off_t off,
                  uint8_t kind) {
  const DriverKind k = static_cast<DriverKind>(kind - 1);
  bool doorbell = false;
  bool excluded = false;
  uint32_t nv_mem = 0;
  bool nv_mem_known = false;
  if (k == DriverKind::kKfd) {
    const uint64_t type = kfd::kfd_mmap_type(static_cast<uint64_t>(off));
    doorbell = type == kfd::KFD_MMAP_TYPE_DOORBELL;
    excluded = type == kfd::KFD_MMAP_TYPE_EVENTS || type == kfd::KFD_MMAP_TYPE_MMIO;
  } else if (k == DriverKind::kNvidiaGpu || k == DriverKind::kNvidiaCtl) {
    std::lock_guard lk(g_state_mu);
    auto it = g_state->nv_pending_map.find(fd);
    if (it != g_state->nv_pending_map.end()) {
      nv_mem = it->second;
      nv_mem_known = true;
      g_state->nv_pending_map.erase(it);
      doorbell = std::find(g_state->nv_usermode.begin(), g_state->nv_usermode.end(), nv_mem) !=
                 g_state->nv_usermode.end();
    }
  }
  void* result = doorbell ? map_doorbell(addr, len, prot, flags, fd, off, k)
                          : next(addr, len, prot, flags, fd, off);
  const int e = result == MAP_FAILED ? errno : 0;
  if (result != MAP_FAILED && !doorbell) {
    std::lock_guard lk(g_state_mu);
    add_region(reinterpret_cast<uint64_t>(result), len, prot,
               excluded ? RegionKind::kExcluded : RegionKind::kMemory);
    if (nv_mem_known) g_state->nv_mem_cpu[nv_mem] = reinterpret_cast<uint64_t>(result);
    if (k == DriverKind::kKgsl) {
      auto it = g_state->kgsl_objs.find(static_cast<uint32_t>(static_cast<uint64_t>(off) >> 12));
      if (it != g_state->kgsl_objs.end()) it->second.cpu = reinterpret_cast<uint64_t>(result);
    }
  }
  emit(trace::MmapRecord{.addr = reinterpret_cast<uint64_t>(addr), .len = len, .prot = prot,
                         .flags = flags, .fd = fd, .err = e, .offset = static_cast<int64_t>(off),
                         .result = reinterpret_cast<uint64_t>(result)});
  errno = e ? e : errno;
  return result;
}

// munmap(2), or (unmap == false) a MAP_FIXED mapping of something else placed over tracked
// device memory, which unmaps it just the same (backends put their PROT_NONE reservation back
// that way when they free a buffer).
int traced_munmap(void* addr, size_t len, bool unmap = true) {
  const uint64_t a = reinterpret_cast<uint64_t>(addr), end = a + len;
  bool ours = false;
  // Doorbell shadow: drop the private real mapping too.
  for (DoorbellRegion& d : g_doorbells) {
    const uint64_t s = d.shadow.load();
    if (s && s < end && a < s + d.len) {
      ours = true;
      real_munmap()(reinterpret_cast<void*>(d.real), d.len);
      d.shadow.store(0);
    }
  }
  {
    std::lock_guard lk(g_state_mu);
    for (Region& r : g_state->regions) {
      if (r.userptr_handle || !(r.addr < end && a < r.addr + r.len)) continue;
      ours = true;
      if (r.kind == RegionKind::kMemory && g_snapshots) {
        const uint64_t from = a > r.addr ? a - r.addr : 0;
        const uint64_t to = std::min(end, r.addr + r.len) - r.addr;
        snapshot_range(r, from, to, trace::SnapshotReason::kCheck);
      }
    }
  }
  const int result = unmap ? real_munmap()(addr, len) : 0;
  const int e = result < 0 ? errno : 0;
  if (ours) {
    if (result == 0) {
      std::lock_guard lk(g_state_mu);
      for (Region& r : g_state->regions) {
        if (r.userptr_handle || !(r.addr < end && a < r.addr + r.len)) continue;
        if (a <= r.addr && end >= r.addr + r.len) {
          drop_region_copy(r);
          r.len = 0;
        } else if (a <= r.addr) {  // head unmapped
          const uint64_t cut = end - r.addr;
          r.addr += cut;
          r.len -= cut;
          if (r.copy) r.copy += cut;  // the copy's head stays mapped until the region goes
        } else if (end >= r.addr + r.len) {  // tail unmapped
          r.len = a - r.addr;
        }  // a hole in the middle: reads of it fail in guarded_copy and are skipped
      }
      std::erase_if(g_state->regions, [](const Region& r) { return r.len == 0; });
    }
    emit(trace::MunmapRecord{.addr = a, .len = len, .result = result == 0 ? 0 : -e});
  }
  errno = e ? e : errno;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Process lifetime.

void at_fork_prepare() { g_state_mu.lock(); }
void at_fork_parent() { g_state_mu.unlock(); }
void at_fork_child() {
  // g_state_mu was locked by this thread in prepare: a fresh mutex, unlocked.
  new (&g_state_mu) std::mutex();
  t_tid = 0;
  if (!g_out) return;
  // The child writes its own trace, created at its first record; an exec'd image finds the
  // same path in the environment.
  char pid[32];
  std::snprintf(pid, sizeof pid, ".%d", static_cast<int>(getpid()));
  std::string* child = new std::string(*g_out);
  child->append(pid);
  g_out = child;
  g_writer.store(nullptr);  // the parent's writer is abandoned (never finished from here)
  new (&g_create_mu) std::mutex();
  setenv("RAWGPU_SNIFF_OUT", child->c_str(), 1);
  setenv("RAWGPU_SNIFF_PID", pid + 1, 1);
}

__attribute__((constructor)) void sniff_init() {
  const char* out = getenv("RAWGPU_SNIFF_OUT");
  if (!out || !*out) return;
  g_page = sysconf(_SC_PAGESIZE);
  const char* z = getenv("RAWGPU_SNIFF_ZSTD");
  g_zstd = z && *z && std::strcmp(z, "0") != 0;
  const char* snap = getenv("RAWGPU_SNIFF_SNAPSHOTS");
  g_snapshots = !(snap && std::strcmp(snap, "0") == 0);
  std::string path = out;
  // An exec'd child whose environment still names the parent's trace writes its own.
  const char* pid_env = getenv("RAWGPU_SNIFF_PID");
  char pid[32];
  std::snprintf(pid, sizeof pid, ".%d", static_cast<int>(getpid()));
  if (pid_env && std::strtol(pid_env, nullptr, 10) != getpid()) path.append(pid);
  setenv("RAWGPU_SNIFF_PID", pid + 1, 1);
  g_out = new std::string(path);
  g_state = new State();
  rows();
  trace::TraceWriter* w = create_writer(path);
  if (!w) return;
  g_writer.store(w);
  install(SIGSEGV, on_fault, SA_NODEFER);
  install(SIGBUS, on_fault, SA_NODEFER);
  install(SIGTRAP, on_fault, SA_NODEFER);
  for (int sig : {SIGINT, SIGTERM, SIGABRT}) {
    struct sigaction cur {};
    if (real_sigaction()(sig, nullptr, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
        cur.sa_handler == SIG_DFL)
      install(sig, on_fatal, 0);
  }
  pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child);
  g_active.store(true);
}

__attribute__((destructor)) void sniff_fini() {
  if (!g_active.exchange(false)) return;
  trace::TraceWriter* w = g_writer.load();
  if (!w) return;
  // Re-enable recording for the final check snapshots only.
  g_active.store(true);
  {
    std::lock_guard lk(g_state_mu);
    if (g_snapshots)
      for (Region& r : g_state->regions)
        if (r.kind == RegionKind::kMemory) snapshot_range(r, 0, r.len, trace::SnapshotReason::kCheck);
  }
  g_active.store(false);
  t_in_writer = true;
  (void)w->finish();
  t_in_writer = false;
}

}  // namespace
}  // namespace rawgpu::sniff

// ---------------------------------------------------------------------------------------------
// The hooks (C linkage, default visibility).

using namespace rawgpu::sniff;  // NOLINT

namespace {
unsigned open_mode(int flags, va_list ap) {
  return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? va_arg(ap, unsigned) : 0u;
}
bool active() { return g_active.load(std::memory_order_relaxed); }
}  // namespace

extern "C" {

__attribute__((visibility("default"))) int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = open_mode(flags, ap);
  va_end(ap);
  const int fd = real_open()(path, flags, mode);
  return active() ? after_open(path, flags, mode, fd) : fd;
}
__attribute__((visibility("default"))) int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = open_mode(flags, ap);
  va_end(ap);
  const int fd = real_open64()(path, flags, mode);
  return active() ? after_open(path, flags, mode, fd) : fd;
}
__attribute__((visibility("default"))) int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = open_mode(flags, ap);
  va_end(ap);
  const int fd = real_openat()(dirfd, path, flags, mode);
  return active() ? after_open(path, flags, mode, fd) : fd;
}
__attribute__((visibility("default"))) int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const unsigned mode = open_mode(flags, ap);
  va_end(ap);
  const int fd = real_openat64()(dirfd, path, flags, mode);
  return active() ? after_open(path, flags, mode, fd) : fd;
}
__attribute__((visibility("default"))) int __open_2(const char* path, int flags) {
  const int fd = real___open_2()(path, flags);
  return active() ? after_open(path, flags, 0, fd) : fd;
}
__attribute__((visibility("default"))) int __open64_2(const char* path, int flags) {
  const int fd = real___open64_2()(path, flags);
  return active() ? after_open(path, flags, 0, fd) : fd;
}
__attribute__((visibility("default"))) int __openat_2(int dirfd, const char* path, int flags) {
  const int fd = real___openat_2()(dirfd, path, flags);
  return active() ? after_open(path, flags, 0, fd) : fd;
}
__attribute__((visibility("default"))) int __openat64_2(int dirfd, const char* path, int flags) {
  const int fd = real___openat64_2()(dirfd, path, flags);
  return active() ? after_open(path, flags, 0, fd) : fd;
}

__attribute__((visibility("default"))) int close(int fd) {
  const uint8_t k = fd_kind(fd);
  const int result = real_close()(fd);
  if (k == 0) return result;
  const int e = errno;
  if (result == 0) set_fd_kind(fd, 0);
  if (active()) emit(rawgpu::trace::CloseRecord{.fd = fd, .result = result == 0 ? 0 : -e});
  errno = e;
  return result;
}

__attribute__((visibility("default"))) int dup(int fd) {
  const int r = real_dup()(fd);
  return active() ? after_dup(fd, r, -1, 0, 0) : r;
}
__attribute__((visibility("default"))) int dup2(int fd, int fd2) {
  const uint8_t replaced = fd_kind(fd2);
  const int r = real_dup2()(fd, fd2);
  if (!active()) {
    if (r >= 0) set_fd_kind(r, fd_kind(fd));
    return r;
  }
  return after_dup(fd, r, fd2, 0, fd != fd2 ? replaced : 0);
}
__attribute__((visibility("default"))) int dup3(int fd, int fd2, int flags) {
  const uint8_t replaced = fd_kind(fd2);
  const int r = real_dup3()(fd, fd2, flags);
  if (!active()) {
    if (r >= 0) set_fd_kind(r, fd_kind(fd));
    return r;
  }
  return after_dup(fd, r, fd2, static_cast<uint32_t>(flags), replaced);
}
__attribute__((visibility("default"))) int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  // Every fcntl argument is an int or a pointer; pass the widest.
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const int r = real_fcntl()(fd, cmd, arg);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && active())
    return after_dup(fd, r, static_cast<int>(reinterpret_cast<intptr_t>(arg)),
                     cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0, 0);
  if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && r >= 0) set_fd_kind(r, fd_kind(fd));
  return r;
}

__attribute__((visibility("default"))) int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  const uint8_t k = fd_kind(fd);
  if (k == 0 || !active()) return real_ioctl()(fd, request, arg);
  return traced_ioctl(fd, k, request, arg);
}

// A MAP_FIXED mapping (of anything, a driver fd too) over tracked device memory ends that device
// mapping: recorded as the MUNMAP it amounts to (with its check snapshot) before it happens.
void before_fixed_map(void* addr, size_t len, int flags) {
  if (!(flags & MAP_FIXED) || !active() || !g_state || addr == nullptr || t_in_writer) return;
  const uint64_t a = reinterpret_cast<uint64_t>(addr), end = a + len;
  bool overlaps = false;
  for (DoorbellRegion& d : g_doorbells) {
    const uint64_t sh = d.shadow.load();
    overlaps = overlaps || (sh && sh < end && a < sh + d.len);
  }
  if (!overlaps) {
    std::lock_guard lk(g_state_mu);
    for (const Region& r : g_state->regions)
      overlaps = overlaps || (!r.userptr_handle && r.addr < end && a < r.addr + r.len);
  }
  if (overlaps) (void)traced_munmap(addr, len, /*unmap=*/false);
}

__attribute__((visibility("default"))) void* mmap(void* addr, size_t len, int prot, int flags,
                                                  int fd, off_t off) {
  const uint8_t k = fd_kind(fd);
  before_fixed_map(addr, len, flags);
  if (k == 0 || !active()) return real_mmap()(addr, len, prot, flags, fd, off);
  return traced_mmap(real_mmap(), addr, len, prot, flags, fd, off, k);
}
__attribute__((visibility("default"))) void* mmap64(void* addr, size_t len, int prot, int flags,
                                                    int fd, off_t off) {
  const uint8_t k = fd_kind(fd);
  before_fixed_map(addr, len, flags);
  if (k == 0 || !active()) return real_mmap64()(addr, len, prot, flags, fd, off);
  return traced_mmap(real_mmap64(), addr, len, prot, flags, fd, off, k);
}
__attribute__((visibility("default"))) int munmap(void* addr, size_t len) {
  // A library below us (a simulated driver) that unmaps through libc's munmap from inside our
  // call reaches this hook again: that inner call is part of the outer one, not a second MUNMAP.
  // The trace writer's own mappings (mapped plain mode grows its window) are not the program's:
  // tracing them would take g_state_mu, which the emitting thread may hold.
  static SNIFF_TLS int depth = 0;
  if (!active() || !g_state || depth > 0 || t_in_writer) return real_munmap()(addr, len);
  ++depth;
  const int result = traced_munmap(addr, len);
  --depth;
  return result;
}

// The program's SIGSEGV/SIGBUS/SIGTRAP handlers are kept as the ones we chain to; ours stays
// installed so that doorbell faults and guarded reads keep working.
__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction* act,
                                                     struct sigaction* old) {
  if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP) && g_ours[sig].load()) {
    if (old) *old = g_prev[sig];
    if (act) g_prev[sig] = *act;
    return 0;
  }
  if ((sig == SIGINT || sig == SIGTERM || sig == SIGABRT) && act && g_ours[sig].load())
    g_ours[sig] = false;  // the program takes the signal over
  return real_sigaction()(sig, act, old);
}

}  // extern "C"
