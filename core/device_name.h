// rawgpu — device names: "amd:0", "nv:1", "qcom:0", "sim-amd:0", "sim-nv:0", "sim-qcom:0".
// The vendor part picks the backend, the "sim-" prefix picks the simulator, the number is the
// device's index among that backend's devices (KFD GPU node order, /dev/nvidiaN minor order,
// kgsl-3d<N>).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace rawgpu::core {

enum class Vendor : uint8_t { kAmd, kNvidia, kQualcomm };

const char* vendor_prefix(Vendor v);  // "amd", "nv", "qcom"

struct DeviceName {
  Vendor vendor = Vendor::kAmd;
  bool simulated = false;
  uint32_t index = 0;

  std::string str() const;  // canonical spelling: "sim-nv:0"
  friend bool operator==(const DeviceName&, const DeviceName&) = default;
};

// Parses a device name. Accepts an omitted index ("nv" == "nv:0"); rejects anything else with an
// error that lists the accepted spellings.
Result<DeviceName> parse_device_name(std::string_view name);

}  // namespace rawgpu::core
