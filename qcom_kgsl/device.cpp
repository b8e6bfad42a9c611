// The Qualcomm KGSL backend (device.h). Facts: shared/abi/qcom-kgsl.md — §1.4 properties, §1.6
// contexts, §1.7 memory, §1.8 submission, §1.9 timestamps and the memstore, §3.2 the dispatch
// (encoded by qcom_kgsl/a6xx.h), §3.3 arguments, §3.4 private memory, §4.1 programs.
#include "qcom_kgsl/device.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "qcom_kgsl/a6xx.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/ioctl.h"
#include "qcom_kgsl/loader.h"
#include "qcom_kgsl/packets.h"

namespace rawgpu::qcom {
namespace {

using core::Error;
using core::Result;
using core::Status;
using queues::MemoryKind;

constexpr uint64_t kPage = 4096;
constexpr uint64_t kSignalPoolBytes = 64 * 1024;
constexpr uint32_t kSignalSlotBytes = 16;  // {u64 value, u64 always-on ticks} (tinygrad's layout)
constexpr uint64_t kDefaultRingBytes = 1ull << 20;
constexpr uint64_t kArgsRingBytes = 8ull << 20;
constexpr uint32_t kArgsChunk = 4096;  // CP_LOAD_STATE6 loads 256 vec4 = 4 KiB (§3.3 gotcha)
constexpr uint32_t kMaxSegments = 16;  // IBs in one GPU_COMMAND (≤ 2000 allowed)
constexpr uint32_t kSubmissions = 1024;
constexpr auto kRingFullTimeout = std::chrono::seconds(10);
constexpr uint64_t kAlwaysOnHz = 19'200'000;  // CP_ALWAYS_ON_COUNTER (§1.10)

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
constexpr uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

class QcomDevice;
class QcomQueue;

// ---------------------------------------------------------------------------------------------
struct Mem {
  uint32_t id = 0;
  uint64_t gpu = 0, size = 0, mmapsize = 0;
  void* cpu = nullptr;
  bool user = false;  // MAP_USER_MEM of caller pages (freed with SHAREDMEM_FREE)
};

class QcomBuffer final : public queues::Buffer {
 public:
  QcomBuffer(QcomDevice* d, const Mem& m, MemoryKind kind)
      : Buffer(m.gpu, m.size, m.cpu, kind), dev_(d), mem_(m) {}
  ~QcomBuffer() override;

 private:
  QcomDevice* dev_;
  Mem mem_;
};

class QcomSignal final : public queues::Signal {
 public:
  QcomSignal(QcomDevice* d, uint32_t slot, uint8_t* cpu, uint64_t gpu)
      : dev_(d), slot_(slot), cpu_(cpu), gpu_(gpu) {}
  ~QcomSignal() override;
  uint64_t value() const override { return ref(0).load(std::memory_order_acquire); }
  void set(uint64_t v) override { ref(0).store(v, std::memory_order_release); }
  uint64_t timestamp_ns() const override {
    const uint64_t t = ref(8).load(std::memory_order_acquire);
    return t / 192 * 10000 + t % 192 * 10000 / 192;  // ticks of 19.2 MHz -> ns
  }
  Status wait(uint64_t target, std::chrono::milliseconds timeout) override;
  uint64_t gpu_addr() const override { return gpu_; }
  // The CPU copy queue's timestamps: ticks of 19.2 MHz from the CPU clock.
  void stamp(uint64_t ticks) { ref(8).store(ticks, std::memory_order_release); }
  std::atomic<QcomQueue*> last_queue{nullptr};

 private:
  std::atomic_ref<uint64_t> ref(uint32_t off) const {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(cpu_ + off));
  }
  QcomDevice* dev_;
  uint32_t slot_;
  uint8_t* cpu_;
  uint64_t gpu_;
};

class QcomProgramImpl final : public queues::Program {
 public:
  const queues::ProgramInfo& info() const override { return info_; }
  const QcomDevice* owner = nullptr;
  queues::ProgramInfo info_;
  QcomKernel kernel;
  std::unique_ptr<queues::Buffer> image;
  a6xx::DispatchParams base;                 // everything but the per-launch values
  std::array<uint8_t, kArgsChunk> consts{};  // the constant file template (immediates)
  uint32_t consts_used = 0;                  // bytes of it the kernel reads (args, immediates)
  uint32_t max_threads = 1024;
};

// ---------------------------------------------------------------------------------------------
class QcomDevice final : public queues::Device {
 public:
  QcomDevice(core::Sys& sys, const OpenOptions& o) : sys_(sys), opts_(o) {}
  ~QcomDevice() override;
  Status init();

  const queues::DeviceProperties& properties() const override { return props_; }
  Result<std::unique_ptr<queues::Buffer>> alloc(uint64_t size, MemoryKind kind) override;
  Result<std::unique_ptr<queues::Buffer>> map_host(void* ptr, uint64_t size) override;
  Result<std::unique_ptr<queues::Program>> load(std::span<const uint8_t> code_object,
                                                std::string_view kernel) override;
  Result<std::unique_ptr<queues::ComputeQueue>> create_compute_queue(
      const queues::QueueOptions& options) override;
  Result<std::unique_ptr<queues::CopyQueue>> create_copy_queue(
      const queues::QueueOptions& options) override;
  Result<std::unique_ptr<queues::Signal>> create_signal(uint64_t initial) override;

  Result<Mem> alloc_mem(uint64_t size, const char* label);
  void free_mem(const Mem& m);
  void release_signal(uint32_t slot);
  // The retired (end-of-pipe) timestamp of context `ctx`, from the memstore: no system call.
  uint32_t retired(uint32_t ctx) const {
    return std::atomic_ref<const uint32_t>(*reinterpret_cast<const uint32_t*>(
                                               memstore_ + uint64_t{ctx} * sizeof(kgsl_devmemstore) +
                                               offsetof(kgsl_devmemstore, eoptimestamp)))
        .load(std::memory_order_acquire);
  }
  void add_queue(QcomQueue* q);
  void remove_queue(QcomQueue* q);
  // Private memory for `per_item` bytes per work-item: grows the device's stack buffer (load time).
  Result<uint64_t> ensure_private(uint32_t per_item);

  core::Sys& sys() { return sys_; }
  int fd() const { return fd_; }
  const a6xx::ChipInfo& chip() const { return chip_; }
  const std::string& label() const { return label_; }
  uint64_t dummy() const { return dummy_.gpu; }
  uint64_t private_va() const { return private_.gpu; }
  uint32_t private_per_item() const { return private_per_item_; }

 private:
  core::Sys& sys_;
  OpenOptions opts_;
  queues::DeviceProperties props_;
  std::string label_;
  int fd_ = -1;
  a6xx::ChipInfo chip_{};
  const uint8_t* memstore_ = nullptr;
  uint64_t memstore_size_ = 0;
  Mem signal_pool_, dummy_, private_;
  uint32_t private_per_item_ = 0;
  std::mutex signal_mu_, private_mu_;
  std::vector<uint32_t> free_signals_;
  mutable std::mutex queues_mu_;
  std::vector<QcomQueue*> queues_;
};

// ---------------------------------------------------------------------------------------------
// A compute queue: a KGSL draw context, a command ring whose IBs go to GPU_COMMAND, and an
// argument ring. Positions are monotonic; space comes back as the context's timestamps retire.
class QcomQueue {
 public:
  QcomQueue(QcomDevice* dev, std::string name) : dev_(dev), name_(std::move(name)) {}
  virtual ~QcomQueue();
  Status init(uint64_t ring_bytes);
  std::string describe_state() const;
  uint32_t context() const { return ctx_; }
  uint32_t last_submitted() const { return last_ts_; }
  // A fault or a lost context, as KGSL reports it (EPROTO, EDEADLK): a short wait on the last
  // submitted timestamp. `ms` bounds the sleep.
  Status sleep_and_check(uint32_t ms);
  const std::string& queue_name() const { return name_; }

 protected:
  Result<uint32_t*> reserve(uint32_t n);
  void commit(uint32_t n) { pos_ += n; }
  Result<std::pair<uint8_t*, uint64_t>> reserve_args(uint32_t bytes);
  Status flush();  // closes the open segment and submits the segments in one GPU_COMMAND

  QcomDevice* dev_;
  std::string name_;
  AdrenoGen gen_ = AdrenoGen::kA6xx;

 private:
  Status close_segment();
  Status submit_segments();
  void reclaim();
  Status wait_space(const char* what);

  uint32_t ctx_ = 0;
  Mem ring_, args_;
  uint32_t* ring_cpu_ = nullptr;
  uint64_t ring_dwords_ = 0, pos_ = 0, seg_start_ = 0, ring_done_ = 0;
  uint64_t args_pos_ = 0, args_done_ = 0, closed_args_pos_ = 0;
  std::array<kgsl_command_object, kMaxSegments> segs_{};
  uint32_t nsegs_ = 0;
  struct Submission {
    uint32_t ts;
    uint64_t ring_end, args_end, ring_begin;
  };
  std::array<Submission, kSubmissions> subs_{};
  uint64_t nsubs_ = 0, subs_retired_ = 0;
  uint32_t last_ts_ = 0;
};

// ---------------------------------------------------------------------------------------------
QcomBuffer::~QcomBuffer() { dev_->free_mem(mem_); }
QcomSignal::~QcomSignal() { dev_->release_signal(slot_); }

Status QcomSignal::wait(uint64_t target, std::chrono::milliseconds timeout) {
  if (value() >= target) return {};
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  for (uint32_t i = 1;; ++i) {
    if (value() >= target) return {};
    if ((i & 63) == 0) {
      const auto spent = std::chrono::steady_clock::now() - start;
      if (spent > std::chrono::microseconds(200) || spent > timeout) break;
      std::this_thread::yield();
    }
  }
  // Sleep in the driver on the last submitted timestamp of the queue that is to signal (also how
  // KGSL reports a fault: EPROTO, then EDEADLK), else nap.
  for (;;) {
    if (value() >= target) return {};
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    QcomQueue* q = last_queue.load();
    if (q) {
      Status s = q->sleep_and_check(static_cast<uint32_t>(std::clamp<int64_t>(left, 1, 2)));
      if (!s) {
        if (value() >= target) return {};
        Error e = std::move(s).error();
        return Error(core::ErrorKind::kGpuFault, "wait for signal " + hex(gpu_) + " >= " +
                     std::to_string(target), e.err(), 0, "",
                     e.message() + "; " + q->describe_state());
      }
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
  QcomQueue* q = last_queue.load();
  return Error::timeout("wait for signal " + hex(gpu_) + " >= " + std::to_string(target),
                        "value is " + std::to_string(value()) + " after " +
                            std::to_string(timeout.count()) + " ms; " +
                            (q ? q->describe_state() : std::string("no GPU queue has signalled it yet")));
}

// ---------------------------------------------------------------------------------------------
QcomQueue::~QcomQueue() {
  dev_->remove_queue(this);
  core::Sys& sys = dev_->sys();
  // Let queued work retire before its memory goes (destroying the context waits for it too).
  if (ctx_ && last_ts_ && !timestamp_reached(dev_->retired(ctx_), last_ts_))
    (void)waittimestamp_ctxtid(sys, dev_->fd(), ctx_, last_ts_, 2000);
  if (ctx_) (void)drawctxt_destroy(sys, dev_->fd(), ctx_);
  dev_->free_mem(args_);
  dev_->free_mem(ring_);
}

Status QcomQueue::init(uint64_t ring_bytes) {
  gen_ = dev_->chip().gen;
  RAWGPU_ASSIGN(Context c, drawctxt_create(dev_->sys(), dev_->fd(), compute_context_flags()));
  ctx_ = c.id;
  if (Status s = set_power_constraint(dev_->sys(), dev_->fd(), ctx_); !s)
    core::log_debug("power constraint refused (optional): " + s.error().message());
  RAWGPU_ASSIGN(ring_, dev_->alloc_mem(ring_bytes, "rawgpu command ring"));
  RAWGPU_ASSIGN(args_, dev_->alloc_mem(kArgsRingBytes, "rawgpu kernel arguments"));
  ring_cpu_ = static_cast<uint32_t*>(ring_.cpu);
  ring_dwords_ = ring_.size / 4;
  std::memset(ring_.cpu, 0, ring_.size);
  std::memset(args_.cpu, 0, args_.size);
  dev_->add_queue(this);
  return {};
}

void QcomQueue::reclaim() {
  const uint32_t done = dev_->retired(ctx_);
  while (subs_retired_ < nsubs_ && timestamp_reached(done, subs_[subs_retired_ % kSubmissions].ts)) {
    const Submission& s = subs_[subs_retired_ % kSubmissions];
    ring_done_ = s.ring_end;
    args_done_ = s.args_end;
    ++subs_retired_;
  }
}

Status QcomQueue::wait_space(const char* what) {
  const uint64_t before = subs_retired_;
  RAWGPU_TRY(flush());
  if (nsubs_ == subs_retired_) {
    reclaim();
    if (nsubs_ == subs_retired_ && subs_retired_ == before)
      return Error::invalid("queue " + name_, std::string(what) + ": a single command does not fit");
  }
  const auto deadline = std::chrono::steady_clock::now() + kRingFullTimeout;
  for (;;) {
    reclaim();
    if (subs_retired_ > before) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return Error::timeout("queue " + name_ + ": " + what,
                            "the GPU retired nothing for " + std::to_string(kRingFullTimeout.count()) +
                                " s; " + describe_state());
    }
    RAWGPU_TRY(sleep_and_check(1));
  }
}

Status QcomQueue::close_segment() {
  if (pos_ == seg_start_) return {};
  if (nsegs_ == kMaxSegments) RAWGPU_TRY(submit_segments());
  segs_[nsegs_++] = ib(ring_.gpu + (seg_start_ % ring_dwords_) * 4, (pos_ - seg_start_) * 4);
  seg_start_ = pos_;
  closed_args_pos_ = args_pos_;  // the argument chunks of every closed segment
  return {};
}

Result<uint32_t*> QcomQueue::reserve(uint32_t n) {
  if (n > ring_dwords_ / 4) return Error::invalid("queue " + name_, "command too large for the ring");
  if (pos_ != seg_start_ && pos_ % ring_dwords_ == 0) RAWGPU_TRY(close_segment());
  if (pos_ % ring_dwords_ + n > ring_dwords_) {
    RAWGPU_TRY(close_segment());
    pos_ = round_up(pos_, ring_dwords_);
    seg_start_ = pos_;
  }
  reclaim();
  while (pos_ + n - ring_done_ > ring_dwords_) RAWGPU_TRY(wait_space("command ring full"));
  return ring_cpu_ + pos_ % ring_dwords_;
}

Result<std::pair<uint8_t*, uint64_t>> QcomQueue::reserve_args(uint32_t bytes) {
  if (args_pos_ % args_.size + bytes > args_.size) args_pos_ = round_up(args_pos_, args_.size);
  reclaim();
  while (args_pos_ + bytes - args_done_ > args_.size) RAWGPU_TRY(wait_space("argument ring full"));
  const uint64_t off = args_pos_ % args_.size;
  args_pos_ += bytes;
  return std::make_pair(static_cast<uint8_t*>(args_.cpu) + off, args_.gpu + off);
}

Status QcomQueue::flush() {
  RAWGPU_TRY(close_segment());
  return submit_segments();
}

// Submits the closed segments. Their ring and argument space comes back when the returned
// timestamp retires: up to seg_start_ / closed_args_pos_ (an open segment is not part of it).
Status QcomQueue::submit_segments() {
  if (nsegs_ == 0) return {};
  // One submission record per GPU_COMMAND; when the table is full, the oldest must retire.
  while (nsubs_ - subs_retired_ >= kSubmissions) {
    reclaim();
    if (nsubs_ - subs_retired_ < kSubmissions) break;
    RAWGPU_TRY(sleep_and_check(1));
  }
  const uint64_t begin = nsubs_ ? subs_[(nsubs_ - 1) % kSubmissions].ring_end : 0;
  Result<uint32_t> ts = gpu_command(dev_->sys(), dev_->fd(), ctx_, {segs_.data(), nsegs_});
  nsegs_ = 0;
  if (!ts) {
    Error e = std::move(ts).error();
    return Error(e.kind(), "submit on " + name_ + ": " + e.op(), e.err(), e.status(), e.status_name(),
                 e.hint());
  }
  last_ts_ = *ts;
  subs_[nsubs_ % kSubmissions] = {*ts, seg_start_, closed_args_pos_, begin};
  ++nsubs_;
  return {};
}

Status QcomQueue::sleep_and_check(uint32_t ms) {
  if (last_ts_ == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return {};
  }
  Status s = waittimestamp_ctxtid(dev_->sys(), dev_->fd(), ctx_, last_ts_, ms);
  if (s || s.error().err() == ETIMEDOUT) return {};
  Error e = std::move(s).error();
  if (e.err() == EPROTO || e.err() == EDEADLK) {
    return Error::gpu_fault("queue " + name_,
                            std::string(e.err() == EDEADLK
                                            ? "the context was invalidated by a GPU fault"
                                            : "the GPU faulted") +
                                " (" + core::errno_name(e.err()) + " from " + e.op() +
                                "); the kernel log (kgsl page fault) names the address");
  }
  return e;
}

std::string QcomQueue::describe_state() const {
  const uint32_t done = dev_->retired(ctx_);
  std::string s = name_ + ": context " + std::to_string(ctx_) + ", submitted timestamp " +
                  std::to_string(last_ts_) + ", retired " + std::to_string(done);
  // The oldest submission not retired yet, decoded.
  for (uint64_t i = subs_retired_; i < nsubs_; ++i) {
    const Submission& sub = subs_[i % kSubmissions];
    if (timestamp_reached(done, sub.ts)) continue;
    const uint64_t a = sub.ring_begin, b = sub.ring_end;
    if (b <= a || b - a > ring_dwords_) break;
    const uint64_t start = a % ring_dwords_;
    const uint64_t len = std::min<uint64_t>(b - a, ring_dwords_ - start);
    Result<std::string> d = disassemble({ring_cpu_ + start, len}, gen_);
    std::string text = d ? *d : d.error().message();
    if (text.size() > 3000) text = text.substr(0, 3000) + "\n  …";
    s += "; stuck in timestamp " + std::to_string(sub.ts) + ":\n" + text;
    break;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
class QcomComputeQueue final : public queues::ComputeQueue, public QcomQueue {
 public:
  QcomComputeQueue(QcomDevice* d, std::string name) : QcomQueue(d, std::move(name)) {}
  Status exec(const queues::Program& program, const queues::KernelArgs& args, queues::Dim3 grid,
              queues::Dim3 block) override;
  Status signal(queues::Signal& s, uint64_t value) override;
  Status wait(queues::Signal& s, uint64_t value) override;
  Status timestamp(queues::Signal& s) override;
  Status barrier() override;
  Status submit() override { return flush(); }
  const std::string& name() const override { return name_; }
  std::string describe() const override { return describe_state(); }

 private:
  // The last dispatch sequence encoded on this queue, for a (program, block, grid): a repeat is
  // a copy with the constants address patched (its two words found by encoding the sequence
  // for two addresses and comparing), so encode_dispatch's checks run once per shape.
  struct Cached {
    const QcomProgramImpl* prog = nullptr;
    queues::Dim3 block, grid;
    uint32_t n = 0;
    uint32_t lo = 0, hi = 0;  // dword positions of the constants address
    std::array<uint32_t, 512> words{};
  };
  Cached cache_;
  std::array<uint32_t, 512> probe_{};
};

Status QcomComputeQueue::exec(const queues::Program& program, const queues::KernelArgs& args,
                              queues::Dim3 grid, queues::Dim3 block) {
  const auto& p = static_cast<const QcomProgramImpl&>(program);
  if (p.owner != dev_) return Error::invalid("exec on " + name_, "the program was loaded on another device");
  if (args.overflowed()) return Error::invalid("exec " + p.info_.name, "kernel arguments exceed 4 KiB");
  if (args.size() != p.info_.explicit_args_size) {
    return Error::invalid("exec " + p.info_.name,
                          "the kernel takes " + std::to_string(p.info_.explicit_args_size) +
                              " bytes of arguments, got " + std::to_string(args.size()));
  }
  if (grid.count() == 0 || block.count() == 0 || block.x > 1024 || block.y > 1024 || block.z > 1024 ||
      block.count() > p.max_threads) {
    return Error::invalid("exec " + p.info_.name,
                          "grid and block dimensions must be >= 1 and a block at most " +
                              std::to_string(p.max_threads) + " work-items");
  }
  RAWGPU_ASSIGN(auto chunk, reserve_args(kArgsChunk));
  auto [cpu, gpu] = chunk;
  // The constants the kernel reads: its immediates (template) and arguments; the rest of the
  // 4 KiB the CP loads is never read by it.
  std::memcpy(cpu, p.consts.data(), p.consts_used);
  const std::span<const uint8_t> bytes = args.bytes();
  for (size_t i = 0; i < p.kernel.args.size(); ++i) {
    const QcomArg& a = p.kernel.args[i];
    const queues::KernelArgInfo& at = p.info_.args[i];
    std::memcpy(cpu + a.offset, bytes.data() + at.offset, at.size);
  }
  const bool same = cache_.prog == &p && cache_.n != 0 && cache_.block.x == block.x &&
                    cache_.block.y == block.y && cache_.block.z == block.z &&
                    cache_.grid.x == grid.x && cache_.grid.y == grid.y && cache_.grid.z == grid.z;
  if (same) {
    RAWGPU_ASSIGN(uint32_t* out, reserve(cache_.n));
    std::memcpy(out, cache_.words.data(), cache_.n * 4);
    out[cache_.lo] = static_cast<uint32_t>(gpu);
    out[cache_.hi] = static_cast<uint32_t>(gpu >> 32);
    commit(cache_.n);
    return {};
  }
  a6xx::DispatchParams d = p.base;
  d.consts_iova = gpu;
  d.local_size = {block.x, block.y, block.z};
  d.groups = {grid.x, grid.y, grid.z};
  const uint32_t n = a6xx::dispatch_dwords(d, dev_->chip());
  RAWGPU_ASSIGN(uint32_t* out, reserve(n));
  const core::EncodeResult r = a6xx::encode_dispatch({out, n}, d, dev_->chip());
  if (!r) return core::to_error(r);
  commit(r.dwords);
  // Remember the shape (see Cached).
  cache_.prog = nullptr;
  if (r.dwords <= cache_.words.size()) {
    a6xx::DispatchParams d2 = d;
    d2.consts_iova = gpu + 0x100 + (uint64_t{1} << 32);
    const core::EncodeResult r2 = a6xx::encode_dispatch(probe_, d2, dev_->chip());
    uint32_t diffs = 0, pos[2] = {0, 0};
    for (uint32_t i = 0; r2 && r2.dwords == r.dwords && i < r.dwords; ++i)
      if (out[i] != probe_[i] && diffs++ < 2) pos[diffs - 1] = i;
    if (r2 && diffs == 2 && out[pos[0]] == static_cast<uint32_t>(gpu) &&
        out[pos[1]] == static_cast<uint32_t>(gpu >> 32)) {
      std::memcpy(cache_.words.data(), out, r.dwords * 4);
      cache_ = {&p, block, grid, r.dwords, pos[0], pos[1], cache_.words};
    }
  }
  return {};
}

// The value lands after all earlier work: wait for idle, flush caches with CACHE_FLUSH_TS (which
// writes the low word, as tinygrad signals), the high word first by CP_MEM_WRITE.
Status QcomComputeQueue::signal(queues::Signal& s, uint64_t value) {
  static_cast<QcomSignal&>(s).last_queue.store(this, std::memory_order_relaxed);
  RAWGPU_ASSIGN(uint32_t* out, reserve(16));
  Pm4Writer w({out, 16}, gen_);
  const uint32_t hi = static_cast<uint32_t>(value >> 32);
  w.pkt7(CpWaitForIdle{});
  w.pkt7(CpMemWrite{.addr = s.gpu_addr() + 4, .data = {&hi, 1}});
  w.pkt7(CpEventWrite{.event = Event::CACHE_FLUSH_TS, .addr = s.gpu_addr(),
                      .value = static_cast<uint32_t>(value)});
  if (!w.ok()) return core::to_error(w.result());
  commit(w.size());
  return {};
}

// CP_WAIT_REG_MEM GE on the low 32 bits (the packet compares dwords; tinygrad keeps its timelines
// below 2^31 for the same reason).
Status QcomComputeQueue::wait(queues::Signal& s, uint64_t value) {
  RAWGPU_ASSIGN(uint32_t* out, reserve(7));
  Pm4Writer w({out, 7}, gen_);
  w.pkt7(CpWaitRegMem{.function = WaitFunction::kGreaterEqual, .poll = PollSpace::kMemory,
                      .poll_addr = s.gpu_addr(), .ref = static_cast<uint32_t>(value)});
  if (!w.ok()) return core::to_error(w.result());
  commit(w.size());
  return {};
}

// The always-on counter (19.2 MHz) into the signal's timestamp word, after idle (§3.2 "timestamp").
Status QcomComputeQueue::timestamp(queues::Signal& s) {
  RAWGPU_ASSIGN(uint32_t* out, reserve(5));
  Pm4Writer w({out, 5}, gen_);
  w.pkt7(CpWaitForIdle{});
  w.pkt7(CpRegToMem{.reg = a6xx::CP_ALWAYS_ON_COUNTER, .cnt = 2, .b64 = true, .dest = s.gpu_addr() + 8});
  if (!w.ok()) return core::to_error(w.result());
  commit(w.size());
  return {};
}

// tinygrad's memory barrier: CACHE_FLUSH_TS, CACHE_INVALIDATE, CP_WAIT_MEM_WRITES, CP_WAIT_FOR_IDLE.
Status QcomComputeQueue::barrier() {
  RAWGPU_ASSIGN(uint32_t* out, reserve(10));
  Pm4Writer w({out, 10}, gen_);
  w.pkt7(CpEventWrite{.event = Event::CACHE_FLUSH_TS, .addr = dev_->dummy(), .value = 0});
  w.pkt7(CpEventWrite{.event = Event::CACHE_INVALIDATE});
  w.pkt7(CpWaitMemWrites{});
  w.pkt7(CpWaitForIdle{});
  if (!w.ok()) return core::to_error(w.result());
  commit(w.size());
  return {};
}

// ---------------------------------------------------------------------------------------------
// The CPU copy queue. Commands are recorded into a fixed ring (no allocation) and handed to the
// worker by submit(); the worker runs them in order.
class QcomCopyQueue final : public queues::CopyQueue {
 public:
  explicit QcomCopyQueue(std::string name) : name_(std::move(name)) {
    worker_ = std::thread([this] { run(); });
  }
  ~QcomCopyQueue() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  Status copy(const queues::Buffer& dst, uint64_t dst_offset, const queues::Buffer& src,
              uint64_t src_offset, uint64_t n) override {
    if (dst_offset > dst.size() || n > dst.size() - dst_offset || src_offset > src.size() ||
        n > src.size() - src_offset) {
      return Error::invalid("copy on " + name_, "range outside a buffer: dst " +
                                                    std::to_string(dst_offset) + "+" + std::to_string(n) +
                                                    " of " + std::to_string(dst.size()) + ", src " +
                                                    std::to_string(src_offset) + "+" + std::to_string(n) +
                                                    " of " + std::to_string(src.size()));
    }
    if (!dst.cpu_ptr() || !src.cpu_ptr()) return Error::invalid("copy on " + name_, "buffer without a CPU mapping");
    if (n == 0) return {};
    return push({Op::kCopy, static_cast<uint8_t*>(dst.cpu_ptr()) + dst_offset,
                 static_cast<const uint8_t*>(src.cpu_ptr()) + src_offset, n, nullptr});
  }
  Status signal(queues::Signal& s, uint64_t value) override {
    return push({Op::kSignal, nullptr, nullptr, value, &s});
  }
  Status wait(queues::Signal& s, uint64_t value) override { return push({Op::kWait, nullptr, nullptr, value, &s}); }
  Status timestamp(queues::Signal& s) override { return push({Op::kTimestamp, nullptr, nullptr, 0, &s}); }
  Status barrier() override { return {}; }  // commands run in order
  Status submit() override {
    {
      std::lock_guard lk(mu_);
      published_ = recorded_;
    }
    cv_.notify_one();
    return {};
  }
  const std::string& name() const override { return name_; }
  std::string describe() const override {
    return name_ + " (CPU copy worker): " + std::to_string(done_.load()) + " of " +
           std::to_string(recorded_) + " commands done" +
           (waiting_on_.load() ? ", waiting for signal " + hex(waiting_on_.load()->gpu_addr()) +
                                     " >= " + std::to_string(waiting_for_.load()) +
                                     " (value " + std::to_string(waiting_on_.load()->value()) + ")"
                               : std::string());
  }

 private:
  enum class Op : uint8_t { kCopy, kSignal, kWait, kTimestamp };
  struct Cmd {
    Op op;
    uint8_t* dst;
    const uint8_t* src;
    uint64_t n;  // bytes, or the signal value
    queues::Signal* sig;
  };
  static constexpr uint64_t kCapacity = 4096;

  Status push(const Cmd& c) {
    if (recorded_ - done_.load(std::memory_order_acquire) >= kCapacity) {
      RAWGPU_TRY(submit());
      const auto deadline = std::chrono::steady_clock::now() + kRingFullTimeout;
      while (recorded_ - done_.load(std::memory_order_acquire) >= kCapacity) {
        if (std::chrono::steady_clock::now() > deadline)
          return Error::timeout("queue " + name_, "the copy worker made no progress; " + describe());
        std::this_thread::yield();
      }
    }
    cmds_[recorded_ % kCapacity] = c;
    ++recorded_;
    return {};
  }
  void run() {
    uint64_t next = 0;
    for (;;) {
      uint64_t upto;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || published_ > next; });
        if (stop_) return;
        upto = published_;
      }
      for (; next < upto; ++next) {
        const Cmd& c = cmds_[next % kCapacity];
        switch (c.op) {
          case Op::kCopy: std::memmove(c.dst, c.src, c.n); break;
          case Op::kSignal:
            std::atomic_thread_fence(std::memory_order_release);
            c.sig->set(c.n);
            break;
          case Op::kTimestamp: {
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch()).count();
            static_cast<QcomSignal*>(c.sig)->stamp(static_cast<uint64_t>(ns) / 625 * 12);
            break;
          }
          case Op::kWait:
            waiting_on_.store(c.sig);
            waiting_for_.store(c.n);
            while (c.sig->value() < c.n) {
              {
                std::lock_guard lk(mu_);
                if (stop_) return;
              }
              std::this_thread::sleep_for(std::chrono::microseconds(20));
            }
            waiting_on_.store(nullptr);
            std::atomic_thread_fence(std::memory_order_acquire);
            break;
        }
        done_.store(next + 1, std::memory_order_release);
      }
    }
  }

  std::string name_;
  std::array<Cmd, kCapacity> cmds_{};
  uint64_t recorded_ = 0, published_ = 0;
  std::atomic<uint64_t> done_{0};
  std::atomic<queues::Signal*> waiting_on_{nullptr};
  std::atomic<uint64_t> waiting_for_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread worker_;
};

// ---------------------------------------------------------------------------------------------
QcomDevice::~QcomDevice() {
  free_mem(signal_pool_);
  free_mem(dummy_);
  free_mem(private_);
  if (memstore_) sys_.munmap(const_cast<uint8_t*>(memstore_), memstore_size_);
  if (fd_ >= 0) sys_.close(fd_);
}

Status QcomDevice::init() {
  const std::string path = opts_.dev_root + "/kgsl-3d" + std::to_string(opts_.index);
  RAWGPU_ASSIGN(fd_, open_device_node(sys_, path.c_str()));
  RAWGPU_ASSIGN(kgsl_devinfo info, device_info(sys_, fd_));
  const std::optional<a6xx::ChipInfo> chip = a6xx::chip_from_id(info.chip_id);
  if (!chip) {
    return Error::unsupported("open " + opts_.name.str(),
                              "Adreno chip id " + hex(info.chip_id) + " is not one rawgpu knows (A630, "
                              "A640, A650, A660 on a6xx)");
  }
  if (chip->gen != AdrenoGen::kA6xx) {
    return Error::unsupported("open " + opts_.name.str(),
                              std::string(chip->name) + " is a7xx: the compute dispatch for a7xx is "
                              "not confirmed (fact sheet §5); rawgpu drives a6xx");
  }
  chip_ = *chip;
  // The memstore: retired timestamps per context, read-only (§1.9).
  RAWGPU_ASSIGN(kgsl_shadowprop shadow, get_property<kgsl_shadowprop>(sys_, fd_, KGSL_PROP_DEVICE_SHADOW));
  core::MapResult m = sys_.mmap(nullptr, shadow.size, PROT_READ, MAP_SHARED, fd_,
                                static_cast<int64_t>(shadow.gpuaddr));
  if (!m.addr) return Error::sys("mmap the KGSL memstore", m.err, "KGSL_PROP_DEVICE_SHADOW token " + hex(shadow.gpuaddr));
  memstore_ = static_cast<const uint8_t*>(m.addr);
  memstore_size_ = shadow.size;
  std::string model;
  if (auto gm = get_property<kgsl_gpu_model>(sys_, fd_, KGSL_PROP_GPU_MODEL); gm.ok())
    model.assign(gm->gpu_model, strnlen(gm->gpu_model, sizeof gm->gpu_model));

  RAWGPU_ASSIGN(signal_pool_, alloc_mem(kSignalPoolBytes, "rawgpu signals"));
  std::memset(signal_pool_.cpu, 0, kSignalPoolBytes);
  for (uint32_t i = kSignalPoolBytes / kSignalSlotBytes; i-- > 0;) free_signals_.push_back(i);
  RAWGPU_ASSIGN(dummy_, alloc_mem(kPage, "rawgpu flush target"));

  props_.name = opts_.name;
  props_.backend = "kgsl";
  std::string arch = chip_.name;
  for (char& c : arch) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  props_.arch = arch;
  props_.marketing_name = model.empty() ? "Adreno " + std::string(chip_.name + 1) : model;
  props_.memory_bytes = 0;
  props_.compute_units = chip_.num_sp;
  props_.simd_width = 64;  // THREADSIZE 64 (tinygrad's dispatch)
  props_.timestamp_hz = 1'000'000'000;  // Signal::timestamp_ns converts the 19.2 MHz ticks
  props_.simulated = opts_.simulated;
  label_ = opts_.name.str() + " (" + props_.arch + ")";
  core::log_info("opened " + label_ + ": chip id " + hex(info.chip_id));
  return {};
}

Result<Mem> QcomDevice::alloc_mem(uint64_t size, const char* label) {
  if (size == 0) return Error::invalid("alloc", "size 0");
  Mem m;
  RAWGPU_ASSIGN(GpuObject o, gpuobj_alloc(sys_, fd_, round_up(size, kPage),
                                          buffer_flags(KGSL_CACHEMODE_WRITECOMBINE, true), label));
  m.id = o.id;
  m.size = o.size;
  m.mmapsize = o.mmapsize ? o.mmapsize : o.size;
  Result<void*> cpu = gpuobj_mmap(sys_, fd_, o.id, m.mmapsize);
  if (!cpu) {
    (void)gpuobj_free(sys_, fd_, o.id);
    return std::move(cpu).error();
  }
  m.cpu = *cpu;
  // SVM: the CPU address is the GPU address — unless the kernel dropped USE_CPU_MAP (§1.7).
  m.gpu = (o.flags & KGSL_MEMFLAGS_USE_CPU_MAP) ? reinterpret_cast<uint64_t>(m.cpu) : o.gpuaddr;
  if (m.gpu == 0) {
    if (auto i = gpuobj_info(sys_, fd_, o.id); i.ok()) m.gpu = i->gpuaddr;
  }
  return m;
}

void QcomDevice::free_mem(const Mem& m) {
  if (m.user) {
    (void)sharedmem_free(sys_, fd_, m.gpu);
    return;
  }
  if (m.id == 0) return;
  // Freed by KGSL once the GPU is done with it: the newest unretired timestamp of any queue.
  QcomQueue* busy = nullptr;
  {
    std::lock_guard lk(queues_mu_);
    for (QcomQueue* q : queues_) {
      if (q->last_submitted() && !timestamp_reached(retired(q->context()), q->last_submitted())) {
        if (busy) (void)waittimestamp_ctxtid(sys_, fd_, busy->context(), busy->last_submitted(), 2000);
        busy = q;
      }
    }
  }
  Status s = busy ? gpuobj_free_on_timestamp(sys_, fd_, m.id, busy->context(), busy->last_submitted())
                  : gpuobj_free(sys_, fd_, m.id);
  if (!s) core::log_warn("free GPU object " + std::to_string(m.id) + ": " + s.error().message());
  if (m.cpu) sys_.munmap(m.cpu, m.mmapsize);
}

Result<std::unique_ptr<queues::Buffer>> QcomDevice::alloc(uint64_t size, MemoryKind kind) {
  RAWGPU_ASSIGN(Mem m, alloc_mem(size, "rawgpu buffer"));
  return std::unique_ptr<queues::Buffer>(std::make_unique<QcomBuffer>(this, m, kind));
}

Result<std::unique_ptr<queues::Buffer>> QcomDevice::map_host(void* ptr, uint64_t size) {
  const auto addr = reinterpret_cast<uint64_t>(ptr);
  if (!ptr || size == 0 || addr % kPage != 0 || size % kPage != 0)
    return Error::invalid("map_host", "pointer and size must be non-zero multiples of 4096");
  RAWGPU_ASSIGN(uint64_t gpu, map_user_mem(sys_, fd_, addr, size));
  Mem m;
  m.gpu = gpu;
  m.size = size;
  m.cpu = ptr;
  m.user = true;
  return std::unique_ptr<queues::Buffer>(std::make_unique<QcomBuffer>(this, m, MemoryKind::kHost));
}

Result<std::unique_ptr<queues::Signal>> QcomDevice::create_signal(uint64_t initial) {
  uint32_t slot;
  {
    std::lock_guard lk(signal_mu_);
    if (free_signals_.empty()) return Error::sys("create_signal", ENOMEM, "all signal slots are in use");
    slot = free_signals_.back();
    free_signals_.pop_back();
  }
  uint8_t* cpu = static_cast<uint8_t*>(signal_pool_.cpu) + uint64_t{slot} * kSignalSlotBytes;
  std::memset(cpu, 0, kSignalSlotBytes);
  auto s = std::make_unique<QcomSignal>(this, slot, cpu, signal_pool_.gpu + uint64_t{slot} * kSignalSlotBytes);
  s->set(initial);
  return std::unique_ptr<queues::Signal>(std::move(s));
}

void QcomDevice::release_signal(uint32_t slot) {
  std::lock_guard lk(signal_mu_);
  free_signals_.push_back(slot);
}

void QcomDevice::add_queue(QcomQueue* q) {
  std::lock_guard lk(queues_mu_);
  queues_.push_back(q);
}
void QcomDevice::remove_queue(QcomQueue* q) {
  std::lock_guard lk(queues_mu_);
  queues_.erase(std::remove(queues_.begin(), queues_.end(), q), queues_.end());
}

Result<uint64_t> QcomDevice::ensure_private(uint32_t per_item) {
  std::lock_guard lk(private_mu_);
  if (per_item == 0 || (private_.id && per_item <= private_per_item_)) return private_.gpu;
  if (private_.id) {
    return Error::unsupported("load", "a kernel needs " + std::to_string(per_item) +
                                          " bytes of private memory per work-item; this device set up " +
                                          std::to_string(private_per_item_) +
                                          " (load such programs before creating queues)");
  }
  // tinygrad's stack buffer: 4 x the hardware stack offset, at least 16 KiB (§3.4).
  const uint64_t bytes = std::max<uint64_t>(4ull * a6xx::tg_hw_stack_offset(per_item), 16 * 1024);
  RAWGPU_ASSIGN(private_, alloc_mem(bytes, "rawgpu private memory"));
  private_per_item_ = per_item;
  return private_.gpu;
}

Result<std::unique_ptr<queues::Program>> QcomDevice::load(std::span<const uint8_t> code_object,
                                                          std::string_view kernel) {
  RAWGPU_ASSIGN(QcomProgram lib, parse_qcom_program(code_object));
  const QcomKernel* k = lib.find(kernel);
  if (!k) {
    std::string names;
    for (const QcomKernel& x : lib.kernels) names += (names.empty() ? "" : ", ") + x.name;
    return Error::not_found("load kernel " + std::string(kernel), "the library has: " + names);
  }
  // A simulator object records its chip (compiler libraries do not: the chip id is a compiler
  // input that the library format does not keep, fact sheet §4.1).
  if (k->simulated && k->sim_chip_id != 0 && (k->sim_chip_id & ~0xFFu) != (chip_.chip_id & ~0xFFu)) {
    const std::optional<a6xx::ChipInfo> built = a6xx::chip_from_id(k->sim_chip_id);
    return Error::unsupported("load kernel " + k->name,
                              std::string("built for ") + (built ? built->name : hex(k->sim_chip_id).c_str()) +
                                  ", device is " + chip_.name + "; rebuild the code object for it");
  }
  if (k->textures || k->ibos || k->samplers) {
    return Error::unsupported("load kernel " + k->name,
                              "image and sampler arguments are not supported (buffers and scalars only)");
  }
  auto p = std::make_unique<QcomProgramImpl>();
  p->owner = this;
  p->kernel = *k;
  RAWGPU_ASSIGN(const uint64_t pvt, ensure_private(k->pvtmem));
  RAWGPU_ASSIGN(Mem img, alloc_mem(std::max<uint64_t>(k->code.size(), kPage), "rawgpu program"));
  std::memcpy(img.cpu, k->code.data(), k->code.size());
  p->image = std::make_unique<QcomBuffer>(this, img, MemoryKind::kDeviceMapped);

  // The argument layout: the library gives each argument's place in the constant file; its size
  // only for simulator code objects. A compiler library's type-0 records are buffer VAs (8 bytes)
  // or 32-bit scalars (tinygrad's convention): the gap to the next record tells them apart.
  queues::ProgramInfo& info = p->info_;
  uint32_t c_offset = 0;
  for (size_t i = 0; i < k->args.size(); ++i) {
    const QcomArg& a = k->args[i];
    uint32_t size = a.size;
    if (size == 0) {
      const uint32_t gap = i + 1 < k->args.size() ? k->args[i + 1].offset - a.offset : 8;
      size = gap >= 8 ? 8 : 4;
    }
    if (uint64_t{a.offset} + size > kArgsChunk)
      return Error::invalid("load kernel " + k->name, "argument " + std::to_string(i) + " lies past the constants");
    c_offset = static_cast<uint32_t>(round_up(c_offset, size));
    queues::KernelArgInfo ai;
    ai.name = "arg" + std::to_string(i);
    ai.offset = c_offset;
    ai.size = size;
    ai.kind = a.kind == ArgKind::kBuffer || (a.kind == ArgKind::kBufferOrValue && size == 8)
                  ? queues::KernelArgInfo::Kind::kPointer
                  : queues::KernelArgInfo::Kind::kValue;
    info.args.push_back(ai);
    p->kernel.args[i].size = size;
    c_offset += size;
  }
  info.name = k->name;
  info.arch = props_.arch;
  info.explicit_args_size = c_offset;
  info.kernarg_size = kArgsChunk;
  info.kernarg_align = 16;
  info.group_segment_size = k->shmem;
  info.private_segment_size = k->pvtmem;
  p->max_threads = a6xx::max_threads(k->fregs, k->hregs, chip_);
  info.max_block_size = p->max_threads;
  for (const QcomConst& c : k->consts) {
    if (uint64_t{c.offset} + c.size > kArgsChunk)
      return Error::invalid("load kernel " + k->name, "a constant lies past the constant file");
    std::memcpy(p->consts.data() + c.offset, &c.value, c.size);
    p->consts_used = std::max(p->consts_used, c.offset + c.size);
  }
  for (const QcomArg& a : p->kernel.args) p->consts_used = std::max(p->consts_used, a.offset + a.size);
  p->consts_used = static_cast<uint32_t>(round_up(p->consts_used, 16));
  a6xx::DispatchParams& d = p->base;
  d.shader_iova = img.gpu;
  d.instrlen = k->instrlen;
  d.prg_offset = k->prg_offset;
  d.full_regs = k->fregs;
  d.half_regs = k->hregs;
  d.branchstack = k->branchstack;
  d.pvt_mem_iova = k->pvtmem ? pvt : 0;
  d.pvt_mem_per_item = k->pvtmem;
  d.hw_stack_offset = k->pvtmem ? a6xx::tg_hw_stack_offset(k->pvtmem) : 0;
  d.shared_bytes = k->shmem;
  d.isa = a6xx::IsaMode::kVendorCl;
  d.launch = a6xx::Launch::kRunOpencl;
  return std::unique_ptr<queues::Program>(std::move(p));
}

Result<std::unique_ptr<queues::ComputeQueue>> QcomDevice::create_compute_queue(const queues::QueueOptions& o) {
  if (!o.format.empty() && o.format != "pm4")
    return Error::invalid("create_compute_queue",
                          "Adreno queues take format \"\" or \"pm4\", not \"" + std::string(o.format) + "\"");
  const uint64_t bytes = o.ring_bytes ? o.ring_bytes : kDefaultRingBytes;
  if (bytes < 4096 || bytes % 4096 != 0)
    return Error::invalid("create_compute_queue", "ring_bytes must be a multiple of 4096");
  static std::atomic<uint32_t> n{0};
  auto q = std::make_unique<QcomComputeQueue>(this, opts_.name.str() + " compute " + std::to_string(n++));
  RAWGPU_TRY(q->init(bytes));
  return std::unique_ptr<queues::ComputeQueue>(std::move(q));
}

Result<std::unique_ptr<queues::CopyQueue>> QcomDevice::create_copy_queue(const queues::QueueOptions& o) {
  if (!o.format.empty() && o.format != "cpu")
    return Error::invalid("create_copy_queue", "Adreno copy queues take format \"\" or \"cpu\"");
  static std::atomic<uint32_t> n{0};
  return std::unique_ptr<queues::CopyQueue>(
      std::make_unique<QcomCopyQueue>(opts_.name.str() + " copy " + std::to_string(n++)));
}

}  // namespace

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options) {
  auto dev = std::make_unique<QcomDevice>(sys, options);
  if (Status s = dev->init(); !s) return std::move(s).error();
  return std::unique_ptr<queues::Device>(std::move(dev));
}

}  // namespace rawgpu::qcom
