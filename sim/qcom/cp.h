// rawgpu — the simulated Adreno command processor: one thread per GPU that runs the IBs submitted
// through IOCTL_KGSL_GPU_COMMAND, in submission order per context, the contexts interleaved
// round-robin. Each submission is run the way KGSL wraps it on a6xx (fact sheet §1.8, KA
// adreno_a6xx_ringbuffer.c): the context's soptimestamp is written to the memstore, each IB runs
// as an IB1, then the eoptimestamp is written (the CACHE_FLUSH_TS + interrupt of the ringbuffer).
// Packets are decoded only through qcom_kgsl/packets.h; a malformed packet, a protected register
// write or a GPU page fault invalidates the context (kernel log line, EPROTO once, then EDEADLK).
// A CP_WAIT_REG_MEM that is not yet satisfied stalls only its own context.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/gpu_memory.h"
#include "sim/qcom/profile.h"

namespace rawgpu::sim::qcom {

// The always-on counter (CP_ALWAYS_ON_COUNTER, 19.2 MHz: fact sheet §1.10), from the host's
// steady clock.
uint64_t always_on_now();
inline constexpr uint64_t kAlwaysOnHz = 19'200'000;

struct IbRef {
  uint64_t gpuaddr = 0;
  uint32_t dwords = 0;
};

struct ContextState;

// A timestamp dependency (kgsl_cmd_syncpoint_timestamp or a fence of TIMESTAMP_EVENT).
struct SyncPoint {
  std::shared_ptr<ContextState> ctx;
  uint32_t timestamp = 0;
};

struct Submission {
  uint32_t timestamp = 0;  // 0: a sync-only object (no timestamp of its own)
  bool marker = false;     // no GPU work; retires in order
  std::vector<IbRef> ibs;
  std::vector<SyncPoint> syncs;  // held until all retired
};

struct CpExec;  // the CP's execution state of one context (cp.cpp)

// One KGSL draw context, shared by the driver (kgsl.cpp) and the CP.
struct ContextState {
  uint32_t id = 0;
  uint32_t flags = 0;             // as accepted
  std::shared_ptr<PageTable> vm;  // the owning process's GPU page table
  uint8_t* memstore = nullptr;    // this context's kgsl_devmemstore record (host pointer)

  std::atomic<uint32_t> queued{0};    // last assigned timestamp (KGSL_TIMESTAMP_QUEUED)
  std::atomic<uint32_t> consumed{0};  // soptimestamp
  std::atomic<uint32_t> retired{0};   // eoptimestamp
  std::atomic<bool> invalidated{false};
  std::atomic<bool> detached{false};
  std::atomic<bool> fault_unreported{false};  // EPROTO is owed once
  std::atomic<uint32_t> reset_stat{0};        // KGSL_CTX_STAT_* (read and cleared)
  uint32_t pwr_constraint = 0;                // SETPROPERTY level (+1; 0 none)

  std::mutex mu;  // fault text
  std::string fault;

  // CP-side (guarded by the CP's lock / used by its thread only).
  std::deque<Submission> pending;
  std::unique_ptr<CpExec> exec;
  ContextState();
  ~ContextState();
};

class CommandProcessor {
 public:
  // `log` receives kernel log lines ("kgsl: kgsl-3d0: ..."); `node` names the device in them.
  CommandProcessor(const Profile& profile, std::string node, std::function<void(std::string)> log);
  ~CommandProcessor();
  CommandProcessor(const CommandProcessor&) = delete;
  CommandProcessor& operator=(const CommandProcessor&) = delete;

  void add(std::shared_ptr<ContextState> ctx);
  // Waits up to `detach_wait_ms` for the context's queued work (KA adreno_drawctxt.c detach waits
  // up to 30 s), then cancels the rest, marks it detached (waiters get ENOENT), runs its pending
  // deferred frees and returns once the CP thread no longer touches it.
  void remove(const std::shared_ptr<ContextState>& ctx, uint32_t detach_wait_ms);
  // Queues a submission. Waits up to `queue_wait_ms` while 50 are already queued on the context
  // (KA adreno_dispatch.c context_queue_wait); -ETIMEDOUT then.
  int submit(const std::shared_ptr<ContextState>& ctx, Submission s, uint32_t queue_wait_ms);
  // Blocks until `timestamp` of ctx retired (0), the timeout (ms; 0 = forever) expired
  // (-ETIMEDOUT), the context was invalidated (-EDEADLK) or detached (-ENOENT).
  int wait_retired(ContextState& ctx, uint32_t timestamp, uint32_t timeout_ms);
  // Runs `fn` (outside the CP lock) once `timestamp` of ctx retired or the context is
  // invalidated or removed; at once when it already has.
  void on_retire(const std::shared_ptr<ContextState>& ctx, uint32_t timestamp,
                 std::function<void()> fn);
  // Keeps `bo` alive until the CP thread is between packets (a freed object the CP may still be
  // touching).
  void defer_release(std::shared_ptr<Bo> bo);

  uint64_t packets_executed() const { return packets_.load(std::memory_order_relaxed); }
  uint64_t dispatches() const { return dispatches_.load(std::memory_order_relaxed); }

  struct Impl;

 private:
  void run();
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> packets_{0};
  std::atomic<uint64_t> dispatches_{0};
  std::thread thread_;
};

}  // namespace rawgpu::sim::qcom
