// rawgpu — the NVIDIA backend of the compute-dispatch API (queues/device.h), on the open kernel
// module alone: /dev/nvidiactl, /dev/nvidia<minor> and /dev/nvidia-uvm through a core::Sys (the
// host's or the simulator's), no libcuda and no libnvidia-*.
//
// Bring-up follows shared/abi/nvidia.md §3 (tinygrad's kernel-driver path) with the Hopper
// differences of nvidia-hopper.md §5: root client, device, subdevice, usermode doorbell page, an
// externally owned VA space managed by UVM, and per queue a channel group (TSG) with its context
// share, a GPFIFO channel whose ring and USERD live in CPU-mapped video memory, and the compute
// or copy engine object. Classes are chosen from the GPU's class list per architecture
// (nv_ioctl/abi.h kNvArchClasses); a part whose compute class needs a QMD version rawgpu does not
// describe (Turing: V02_02) is refused at open.
//
// GPU virtual addresses come from our range allocator inside [kGpuVaBase, kGpuVaLimit) (below 2^40:
// pushbuffers, QMDs and programs are addressed with 40 bits) and are made real with
// UVM_CREATE_EXTERNAL_RANGE + UVM_MAP_EXTERNAL_ALLOCATION. CPU mappings are separate (the driver
// picks their address), so Buffer::cpu_ptr() and gpu_addr() differ.
#pragma once

#include <memory>
#include <string>

#include "core/device_name.h"
#include "core/error.h"
#include "core/sys.h"
#include "queues/device.h"

namespace rawgpu::nv {

inline constexpr uint64_t kGpuVaBase = 0x10'0000'0000ull;   // 64 GiB, as tinygrad's low heap
inline constexpr uint64_t kGpuVaLimit = 0x100'0000'0000ull; // 2^40

struct OpenOptions {
  std::string dev_root = "/dev";  // /dev/nvidiactl, /dev/nvidia<minor>, /dev/nvidia-uvm
  uint32_t index = 0;     // among NV_ESC_CARD_INFO's valid entries, in slot order
  core::DeviceName name;  // what the caller asked for (for properties and messages)
  bool simulated = false;
  // Kept alive as long as the device (the simulated machine behind a SimSys).
  std::shared_ptr<void> keepalive;
};

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options);

}  // namespace rawgpu::nv
