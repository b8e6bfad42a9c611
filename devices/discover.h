// rawgpu — discovery: what GPUs, driver nodes and driver versions this machine has.
// Shared by the registry (to say which devices exist) and `rawgpu info`.
// Everything is read through core::Sys below roots that tests can point at a fake tree;
// PCI devices are enumerated with libpci over the same sysfs root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  std::string class_name;  // "VGA compatible controller", "3D controller"; "" when unknown
  std::string driver;      // bound kernel driver ("amdgpu", "nvidia"); "" when none
};

struct DriverNode {
  std::string path;  // "/dev/kfd"
  std::string kind;  // "kfd", "render", "nvidiactl", "nvidia", "nvidia-uvm", "kgsl"
  int number = -1;   // N of renderD<N>, nvidia<N>, kgsl-3d<N>; -1 for unnumbered nodes
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

// The render node of a KFD GPU node (kfd::find_render_node: libdrm on the host, cross-checked
// with the topology; the topology's drm_render_minor elsewhere).
struct KfdRenderNode {
  uint32_t node = 0;  // KFD topology node index
  kfd::PciLocation pci;
  kfd::RenderNode render;
};

struct Discovery {
  std::vector<PciGpu> gpus;           // AMD, NVIDIA and Qualcomm display/3D/accelerator functions
  std::vector<PciGpu> other_display;  // other display controllers (virtual VGA and the like)
  std::vector<DriverNode> nodes;      // driver nodes that exist
  std::optional<NvidiaDriver> nvidia;
  std::optional<kfd::Topology> kfd;
  std::vector<KfdRenderNode> kfd_render_nodes;  // per KFD GPU node whose render node resolved
  std::optional<KgslInfo> kgsl;
  std::vector<std::string> warnings;  // what could not be read, and why
};

// PCI vendor IDs of the GPUs rawgpu drives (PCI-SIG vendor list; pci.ids).
inline constexpr uint16_t kPciVendorAmd = 0x1002;
inline constexpr uint16_t kPciVendorNvidia = 0x10de;
inline constexpr uint16_t kPciVendorQualcomm = 0x17cb;
inline constexpr uint16_t kPciVendorQualcommLegacy = 0x5143;  // "Qualcomm Inc" (older ID)

// Whether a PCI function with this vendor and 24-bit class code counts as a GPU: class 0x03xxxx
// (display controller) or 0x1200xx (processing accelerator) from AMD, NVIDIA or Qualcomm.
bool is_gpu_function(uint16_t vendor_id, uint32_t class_code);

// Parses /proc/driver/nvidia/version (its first line, "NVRM version: NVIDIA UNIX ... Kernel
// Module ...  <version>  ..."). `what` names the file in errors.
core::Result<NvidiaDriver> parse_nvidia_version(std::string_view text, const std::string& what);

// Never fails on a machine without GPUs: missing trees are simply absent from the result;
// unreadable or malformed files end up in `warnings`. What it reads:
//   PCI        <sys>/bus/pci/devices/* listed through `sys`, each function read by libpci's
//              sysfs backend (libpci opens those files itself; it is the one reader that does
//              not go through `sys`); names from paths.pci_ids or libpci's default database,
//              never from the network; bound driver from the `driver` link through `sys`
//   nodes      <dev>/{kfd,nvidiactl,nvidia-uvm,nvidia<N>,kgsl-3d<N>} and <dev>/dri/renderD<N>,
//              each opened O_RDWR and closed again through `sys` to learn whether this user
//              may open it (a node that vanishes in between, ENOENT, is left out)
//   NVIDIA     <proc>/driver/nvidia/version
//   KFD        kfd::read_topology(<sys>/devices/virtual/kfd/kfd/topology) when that dir exists
//   KGSL       <sys>/class/kgsl/kgsl-3d0/gpu_model when present
Discovery discover(core::Sys& sys, const Paths& paths = {});

// Names of the real devices present: "amd:N" per KFD GPU node, "nv:N" per /dev/nvidiaN,
// "qcom:N" per /dev/kgsl-3dN.
std::vector<std::string> real_device_names(const Discovery& d);

}  // namespace rawgpu::devices
