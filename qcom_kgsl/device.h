// rawgpu — the Qualcomm KGSL backend of the compute-dispatch API (queues/device.h), on
// /dev/kgsl-3d0 alone (no Qualcomm user-space library), through a core::Sys (the host's or the
// simulator's).
//
// Bring-up and dispatch follow shared/abi/qcom-kgsl.md: the chip from KGSL_PROP_DEVICE_INFO (a6xx;
// a7xx refused: the fact sheet has no confirmed compute sequence for it), the memstore mapped
// read-only (retired timestamps without a system call), and per compute queue a draw context
// (PREAMBLE | NO_GMEM_ALLOC | NO_FAULT_TOLERANCE | TYPE_CL), a command ring and an argument ring
// in GPU objects. Every buffer is an SVM GPU object (USE_CPU_MAP: its CPU address is its GPU
// address), write-combined, as tinygrad allocates them; freeing one the GPU may still use is
// deferred by KGSL until the last submitted timestamp retires (GPUOBJ_FREE_ON_EVENT).
//
// KGSL has no user-visible copy engine: a CopyQueue runs on a CPU worker thread over the unified
// memory (as tinygrad copies on Adreno), ordered against the GPU queues through the same signals.
// Its timestamps come from the CPU's monotonic clock, not the GPU's always-on counter (on the
// simulator both are the host's steady clock).
//
// Submission is one IOCTL_KGSL_GPU_COMMAND per submit() (KGSL has no user-mode doorbell); enqueue
// writes the ring and allocates nothing.
#pragma once

#include <memory>
#include <string>

#include "core/device_name.h"
#include "core/error.h"
#include "core/sys.h"
#include "queues/device.h"

namespace rawgpu::qcom {

struct OpenOptions {
  std::string dev_root = "/dev";  // /dev/kgsl-3d<index>
  uint32_t index = 0;
  core::DeviceName name;
  bool simulated = false;
  std::shared_ptr<void> keepalive;  // the simulated machine behind a SimSys
};

core::Result<std::unique_ptr<queues::Device>> open_device(core::Sys& sys, const OpenOptions& options);

}  // namespace rawgpu::qcom
