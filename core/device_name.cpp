#include "core/device_name.h"

#include <charconv>

namespace rawgpu::core {

const char* vendor_prefix(Vendor v) {
  switch (v) {
    case Vendor::kAmd: return "amd";
    case Vendor::kNvidia: return "nv";
    case Vendor::kQualcomm: return "qcom";
  }
  return "?";
}

std::string DeviceName::str() const {
  return std::string(simulated ? "sim-" : "") + vendor_prefix(vendor) + ":" + std::to_string(index);
}

Result<DeviceName> parse_device_name(std::string_view name) {
  const std::string op = "device name '" + std::string(name) + "'";
  const char* accepted =
      "expected amd:N, nv:N, qcom:N, sim-amd:N, sim-nv:N or sim-qcom:N (N a device index, default 0)";
  DeviceName d;
  std::string_view rest = name;
  if (rest.starts_with("sim-")) {
    d.simulated = true;
    rest.remove_prefix(4);
  }
  std::string_view vendor = rest.substr(0, rest.find(':'));
  if (vendor == "amd") {
    d.vendor = Vendor::kAmd;
  } else if (vendor == "nv") {
    d.vendor = Vendor::kNvidia;
  } else if (vendor == "qcom") {
    d.vendor = Vendor::kQualcomm;
  } else {
    return Error::invalid(op, std::string("unknown device kind; ") + accepted);
  }
  rest.remove_prefix(vendor.size());
  if (rest.empty()) return d;
  rest.remove_prefix(1);  // ':'
  if (rest.empty() || rest.size() > 4)
    return Error::invalid(op, std::string("bad device index; ") + accepted);
  uint32_t idx = 0;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), idx);
  if (ec != std::errc{} || p != rest.data() + rest.size())
    return Error::invalid(op, std::string("bad device index; ") + accepted);
  d.index = idx;
  return d;
}

}  // namespace rawgpu::core
