// rawgpu — the backend-neutral device of the compute-dispatch API (DESIGN.md, queues/).
// This is the seed of the API: the registry hands out Devices; queues, buffers, programs and
// signals grow here as the backends arrive. Backends implement it in their device.* files.
#pragma once

#include <cstdint>
#include <string>

#include "core/device_name.h"

namespace rawgpu::queues {

struct DeviceProperties {
  core::DeviceName name;       // what it was opened as
  std::string arch;            // "gfx90a", "sm_90", "a630"
  std::string marketing_name;  // "NVIDIA H200", "" when unknown
  uint64_t memory_bytes = 0;   // device-local memory
  uint32_t compute_units = 0;  // CUs / SMs / SPs
  uint32_t max_clock_mhz = 0;
};

class Device {
 public:
  virtual ~Device() = default;
  Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  virtual const DeviceProperties& properties() const = 0;
};

}  // namespace rawgpu::queues
