// rawgpu — a simulated Qualcomm machine: one Adreno per profile, each behind its own
// /dev/kgsl-3d<i> (the virtual KGSL driver, sim/qcom/kgsl.cpp) with its command processor
// (sim/qcom/cp.h), plus /sys/class/kgsl/kgsl-3d<i>/{gpu_model, ...}, behind a SimSys.
// The driver validates every ioctl the way KGSL does (shared/abi/qcom-kgsl.md §1, "the sheet").
//
//   auto m = sim::qcom::Machine::create({.profiles = {"a630"}});
//   int fd = (*m)->sys().open("/dev/kgsl-3d0", O_RDWR, 0);
//   rawgpu::qcom::device_info((*m)->sys(), fd);   // chip_id 0x06030001
//
// All fds of the machine belong to one simulated process: GPU objects and the GPU page table are
// shared by the fds of one node (KGSL's process-private), contexts belong to the fd that made them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "sim/gpu_memory.h"
#include "sim/qcom/cp.h"
#include "sim/qcom/profile.h"
#include "sim/sim_sys.h"

namespace rawgpu::sim::qcom {

// The memstore (KGSL_PROP_DEVICE_SHADOW): 8 pages of kgsl_devmemstore records, one per context
// id, mapped read-only at this mmap token (K: KGSL_IOMMU_SECURE_BASE32 - 4K; sheet §1.9).
inline constexpr uint64_t kMemstoreToken = 0xEFFFF000;
inline constexpr uint64_t kMemstoreSize = 8 * 4096;
inline constexpr uint32_t kMemstoreRecord = 40;
// Context ids the memstore has room for (sheet §1.6: 32 KiB / 40 B minus reserved records).
inline constexpr uint32_t kMaxDeviceContexts = 813;

struct SimQcomGpu {
  const Profile* profile = nullptr;
  uint32_t index = 0;  // /dev/kgsl-3d<index>
  std::string node;    // "kgsl-3d0"
  std::shared_ptr<Bo> memstore;
  std::unique_ptr<CommandProcessor> cp;
  std::atomic<uint64_t> mem_used{0};
  std::mutex ctx_mu;  // context id slots (ids 1..kMaxDeviceContexts)
  std::vector<bool> ctx_used = std::vector<bool>(kMaxDeviceContexts + 1, false);
};

struct MachineOptions {
  std::vector<std::string> profiles = {"a630"};
  // How long DRAWCTXT_DESTROY (and closing a file) waits for a context's queued work before it
  // cancels it (KA adreno_drawctxt.c: 30 s). Tests with stuck contexts lower it.
  uint32_t detach_wait_ms = 30000;
  // How long GPU_COMMAND waits for room when 50 commands are queued on a context (KA
  // adreno_dispatch.c context_queue_wait: 10 s).
  uint32_t queue_wait_ms = 10000;
};

class Machine {
 public:
  // One GPU per profile; unknown names are refused naming the valid ones.
  static core::Result<std::unique_ptr<Machine>> create(const MachineOptions& options = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  SimSys& sys() { return sys_; }
  const std::vector<std::unique_ptr<SimQcomGpu>>& gpus() const { return gpus_; }
  const MachineOptions& options() const { return options_; }

  // Kernel log lines ("kgsl: kgsl-3d0: GPU page fault at 0x... (ctx 1): ..."), oldest first.
  std::vector<std::string> kernel_log() const;
  void log(std::string line);

 private:
  Machine() = default;
  MachineOptions options_;
  mutable std::mutex log_mu_;
  std::vector<std::string> log_;
  // The GPUs outlive the SimSys: closing the files it still holds removes their contexts.
  std::vector<std::unique_ptr<SimQcomGpu>> gpus_;
  SimSys sys_;
};

// The virtual KGSL device node of `gpu` (kgsl.cpp).
std::shared_ptr<DeviceNode> make_kgsl_node(Machine* m, SimQcomGpu* gpu);

}  // namespace rawgpu::sim::qcom
