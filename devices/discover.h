// rawgpu — discovery: what GPUs, driver nodes and driver versions this machine has.
// Shared by the registry (to say which devices exist) and `rawgpu info`.
// Everything is read through core::Sys below roots that tests can point at a fake tree;
// PCI devices are enumerated with libpci over the same sysfs root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/sys.h"
#include "kfd/topology.h"

namespace rawgpu::devices {

struct Paths {
  std::string sys = "/sys";    // sysfs root
  std::string dev = "/dev";    // device-node directory
  std::string proc = "/proc";  // procfs root
  std::string pci_ids;         // PCI ID database; "" = libpci's default
};

struct PciGpu {
  std::string address;  // "0000:01:00.0"
  uint16_t vendor_id = 0, device_id = 0;
  uint16_t subsys_vendor_id = 0, subsys_device_id = 0;
  uint32_t class_code = 0;  // 24-bit class/subclass/prog-if, e.g. 0x030200
  uint8_t revision = 0;
  std::string vendor_name;  // from the PCI ID database; "" when unknown
  std::string device_name;
  std::string driver;       // bound kernel driver ("amdgpu", "nvidia"); "" when none
};

struct DriverNode {
  std::string path;  // "/dev/kfd"
  std::string kind;  // "kfd", "render", "nvidiactl", "nvidia", "nvidia-uvm", "kgsl"
  bool can_open = false;
  int open_errno = 0;  // why not, when can_open is false
};

struct NvidiaDriver {
  std::string version;  // "580.65.06"
  std::string banner;   // the first line of /proc/driver/nvidia/version
  bool open_kernel_module = false;
};

struct KgslInfo {
  std::string gpu_model;  // /sys/class/kgsl/kgsl-3d0/gpu_model, e.g. "Adreno630v2"
};

struct Discovery {
  std::vector<PciGpu> gpus;           // AMD, NVIDIA and Qualcomm display/3D/accelerator functions
  std::vector<PciGpu> other_display;  // other display controllers (virtual VGA and the like)
  std::vector<DriverNode> nodes;      // driver nodes that exist
  std::optional<NvidiaDriver> nvidia;
  std::optional<kfd::Topology> kfd;
  std::optional<KgslInfo> kgsl;
  std::vector<std::string> warnings;  // what could not be read, and why
};

// Never fails on a machine without GPUs: missing trees are simply absent from the result;
// unreadable or malformed files end up in `warnings`.
Discovery discover(core::Sys& sys, const Paths& paths = {});

// Names of the real devices present: "amd:N" per KFD GPU node, "nv:N" per /dev/nvidiaN,
// "qcom:N" per /dev/kgsl-3dN.
std::vector<std::string> real_device_names(const Discovery& d);

}  // namespace rawgpu::devices
