// rawgpu — a simulated NVIDIA machine: /dev/nvidiactl, /dev/nvidia<minor>, /dev/nvidia-uvm,
// /proc/driver/nvidia/* and the PCI sysfs entries of one simulated GPU per profile, behind a
// SimSys. The virtual nvidia.ko implements the escapes and the RM object model (handles, parents,
// classes, controls, memory, mappings) with RM's validation and NV_ERR_* codes; the virtual
// nvidia-uvm.ko implements the UVM ioctls rawgpu uses (external ranges and mappings into the GPU
// page table); each GPU runs its engines (sim/nv/engines.h). Facts: shared/abi/nvidia.md,
// nvidia-hopper.md; structs from nv_ioctl/abi.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "sim/gpu_memory.h"
#include "sim/nv/engines.h"
#include "sim/nv/profile.h"
#include "sim/sim_sys.h"

namespace rawgpu::sim::nv {

struct SimNvGpu {
  const Profile* profile = nullptr;
  uint32_t minor = 0;            // /dev/nvidia<minor>
  uint32_t gpu_id = 0;           // nv_ioctl_card_info_t.gpu_id (and NV0000 gpuId)
  uint32_t pci_bus = 0;          // 0000:<bus>:00.0
  uint8_t uuid[16] = {};         // NV2080_CTRL_CMD_GPU_GET_GID_INFO binary form
  std::shared_ptr<Bo> usermode;  // the 64 KiB usermode (doorbell) page
  std::unique_ptr<Engines> engines;
  std::atomic<uint64_t> vram_used{0};
  // NON_STALL_INTERRUPT methods the engines reported on this GPU's channels (ChannelSink).
  std::atomic<uint64_t> nonstall_interrupts{0};
};

struct MachineOptions {
  std::vector<std::string> profiles = {"GH100"};
  // What NV_ESC_CHECK_VERSION_STR, GET_BUILD_VERSION_V2 and /proc/driver/nvidia/version report;
  // the RM structs whose layout differs by branch are checked against it (nv::select_abi).
  std::string driver_version = "580.95.05";
};

class Machine {
 public:
  static core::Result<std::unique_ptr<Machine>> create(const MachineOptions& options = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  SimSys& sys() { return sys_; }
  const std::vector<std::unique_ptr<SimNvGpu>>& gpus() const { return gpus_; }
  const std::string& driver_version() const { return options_.driver_version; }

  // Kernel log lines the virtual driver wrote ("NVRM: Xid (PCI:0000:41:00): 31, ..."), oldest
  // first; tests read it like dmesg.
  std::vector<std::string> kernel_log() const;
  void log(std::string line);

  // Live RM objects across all clients, the clients included (leak checks in tests).
  size_t rm_object_count() const;
  // Buffer objects RM or UVM created that are still alive (vidmem, sysmem, notifiers, USERD;
  // not the usermode pages): 0 once every client is freed and every fd closed.
  size_t live_bo_count() const;
  // The engines' view of channel hChannel of client hClient (nullptr when there is none): lets
  // tests drive ChannelSink and read the chid/token.
  std::shared_ptr<ChannelState> channel(uint32_t hClient, uint32_t hChannel) const;

  // The virtual driver state (sim/nv/rm.h); opaque outside sim/nv.
  struct Rm;

 private:
  Machine() = default;
  MachineOptions options_;
  mutable std::mutex log_mu_;
  std::vector<std::string> log_;
  // The GPUs outlive the SimSys: closing the files it still holds frees RM objects on them.
  std::vector<std::unique_ptr<SimNvGpu>> gpus_;
  SimSys sys_;
  std::shared_ptr<Rm> rm_;  // also held by every open file of the machine
  friend struct RmAccess;
};

}  // namespace rawgpu::sim::nv
