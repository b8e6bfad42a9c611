// rawgpu — a simulated AMD machine: /dev/kfd, /dev/dri/renderD*, the KFD sysfs topology and one
// simulated GPU (with its command processor) per profile, behind a SimSys. The virtual KFD
// implements each ioctl with the kernel's validation and errno values (kfd_chardev.c,
// shared/abi/amd-kfd.md §2–§5).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "sim/amd/profile.h"
#include "sim/sim_sys.h"

namespace rawgpu::sim::amd {

class CommandProcessor;

struct SimGpu {
  const Profile* profile = nullptr;
  uint32_t node_index = 0;  // KFD topology node (node 0 is the CPU)
  uint32_t gpu_id = 0;
  uint32_t render_minor = 0;
  std::unique_ptr<CommandProcessor> cp;
  std::atomic<uint64_t> vram_used{0};
};

struct MachineOptions {
  std::vector<std::string> profiles = {"gfx1100"};
  uint32_t kfd_minor = 17;  // what GET_VERSION reports (1.17: 96-byte CREATE_QUEUE)
};

class Machine {
 public:
  static core::Result<std::unique_ptr<Machine>> create(const MachineOptions& options = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  SimSys& sys() { return sys_; }
  const std::vector<std::unique_ptr<SimGpu>>& gpus() const { return gpus_; }
  SimGpu* gpu_by_id(uint32_t gpu_id) const;
  uint32_t kfd_minor() const { return options_.kfd_minor; }

 private:
  Machine() = default;
  MachineOptions options_;
  // GPUs outlive the SimSys: closing the files it still holds tears down queues on them.
  std::vector<std::unique_ptr<SimGpu>> gpus_;
  SimSys sys_;
};

}  // namespace rawgpu::sim::amd
