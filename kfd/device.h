// rawgpu — the AMD KFD backend of the compute-dispatch API (queues/device.h).
//
// Opens /dev/kfd and the GPU's render node through a core::Sys (the host's or the simulator's:
// the backend cannot tell them apart), acquires the GPU VM, and builds memory, PM4/AQL compute
// queues and SDMA copy queues by hand (shared/abi/amd-kfd.md §0 bring-up sequence).
#pragma once

#include <memory>
#include <string>

#include "core/device_name.h"
#include "core/error.h"
#include "core/sys.h"
#include "queues/device.h"

namespace rawgpu::kfd {

struct OpenOptions {
  std::string sys_root = "/sys";  // sysfs (KFD topology)
  std::string dev_root = "/dev";  // /dev/kfd, /dev/dri/renderD*
  uint32_t index = 0;             // among the KFD GPU nodes, in node order
  core::DeviceName name;          // what the caller asked for (for properties and messages)
  bool simulated = false;
  // Kept alive as long as the device (the simulated machine behind a SimSys).
  std::shared_ptr<void> keepalive;
};

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options);

}  // namespace rawgpu::kfd
