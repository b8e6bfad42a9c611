// rawgpu — the simulated AMD command processors: one thread per GPU that polls every active
// queue's doorbell like the hardware scheduler, and executes the packets our encoders produce
// (PM4 compute, AQL, SDMA) against the process's GPU page table. Malformed packets, faults and
// unsatisfiable waits are reported, never ignored.
//
// The KFD driver (sim/amd/kfd.*) creates QueueState objects at CREATE_QUEUE and hands them to the
// GPU's CommandProcessor; it removes them at DESTROY_QUEUE (remove() returns only once the CP
// no longer touches the queue).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/amd/profile.h"
#include "sim/gpu_memory.h"

namespace rawgpu::sim::amd {

// What the CP tells the driver: interrupts (RELEASE_MEM with INT_SEL, SDMA TRAP) and faults.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // An end-of-pipe / trap interrupt carrying `context_id` (the KFD event id for signals).
  virtual void on_interrupt(uint32_t gpu_id, uint32_t context_id) = 0;
  // A GPU page fault on a queue of this process (the queue has stopped).
  virtual void on_memory_fault(uint32_t gpu_id, const GpuFault& fault) = 0;
};

// The GPU clock: 100 MHz, counted from host monotonic time (fact sheet §11.6).
uint64_t gpu_clock_now();
inline constexpr uint64_t kGpuClockHz = 100'000'000;

enum class QueueType : uint32_t { kCompute = 0, kSdma = 1, kComputeAql = 2, kSdmaXgmi = 3, kSdmaByEngId = 4 };

struct QueueState {
  uint32_t queue_id = 0;
  uint32_t gpu_id = 0;
  QueueType type = QueueType::kCompute;
  uint64_t ring_va = 0, ring_size = 0;  // bytes
  uint64_t rptr_va = 0, wptr_va = 0;    // 64-bit pointers in GPU memory
  uint64_t eop_va = 0, eop_size = 0;
  uint64_t ctx_save_va = 0, ctx_save_size = 0;
  uint32_t priority = 0, percentage = 100;
  // Host pointer of this queue's 64-bit doorbell inside the process's doorbell page.
  std::atomic<uint64_t>* doorbell = nullptr;
  std::shared_ptr<PageTable> vm;  // the process's GPU VM on this GPU
  EventSink* events = nullptr;    // the owning KFD process

  // CP-side state.
  std::atomic<bool> active{true};
  std::atomic<bool> faulted{false};
  std::mutex fault_mu;
  std::string fault;  // what went wrong, for the driver and the tests
};

class CommandProcessor {
 public:
  CommandProcessor(const Profile& profile, uint32_t gpu_id);
  ~CommandProcessor();
  CommandProcessor(const CommandProcessor&) = delete;
  CommandProcessor& operator=(const CommandProcessor&) = delete;

  void add(std::shared_ptr<QueueState> q);
  // Stops executing the queue; returns once the CP thread no longer uses it.
  void remove(const QueueState* q);
  // Number of packets executed since start (tests and benchmarks).
  uint64_t packets_executed() const { return packets_.load(std::memory_order_relaxed); }

 private:
  void run();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> packets_{0};
  std::thread thread_;
};

}  // namespace rawgpu::sim::amd
