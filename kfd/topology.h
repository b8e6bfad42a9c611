// rawgpu — KFD topology from sysfs (/sys/devices/virtual/kfd/kfd/topology), rooted at a path so
// tests and the simulator supply their own tree. Facts: shared/abi/amd-kfd.md §1 (kernel
// drivers/gpu/drm/amd/amdkfd/kfd_topology.c node_show/mem_show).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/sys.h"

namespace rawgpu::kfd {

struct MemBank {
  uint32_t heap_type = 0;  // 0 system, 1 FB_PUBLIC, 2 FB_PRIVATE, 3 GDS, 4 LDS, 5 scratch
  uint64_t size_in_bytes = 0;
  uint32_t flags = 0, width = 0, mem_clk_max = 0;
};

struct Node {
  uint32_t index = 0;   // N in nodes/<N>
  uint32_t gpu_id = 0;  // 0 for CPU nodes
  std::string name;
  std::map<std::string, uint64_t> props;  // every key of `properties`, unknown ones kept
  std::vector<MemBank> mem_banks;

  bool is_gpu() const { return gpu_id != 0; }
  // A property, or `fallback` when the kernel did not print it.
  uint64_t prop(const std::string& key, uint64_t fallback = 0) const;
  uint32_t gfx_target_version() const { return static_cast<uint32_t>(prop("gfx_target_version")); }
  // "gfx90a", "gfx1100" (major decimal, minor and stepping one hex digit each).
  std::string gfx_name() const;
  uint32_t drm_render_minor() const { return static_cast<uint32_t>(prop("drm_render_minor")); }
  uint32_t num_xcc() const;        // num_xcc, default 1
  uint32_t compute_units() const;  // simd_count / simd_per_cu
  uint32_t wave_front_size() const { return static_cast<uint32_t>(prop("wave_front_size")); }
  uint64_t vram_bytes() const;  // sum of FB_PUBLIC + FB_PRIVATE banks
};

// A node that exists but could not be read. The kernel answers EPERM for every file of a GPU
// node that the process's device cgroup may not access (kfd_topology.c node_show/mem_show,
// kfd_devcgroup_check_permission); such a node is not fatal to the scan.
struct SkippedNode {
  uint32_t index = 0;  // N in nodes/<N>
  int err = 0;         // errno of the failed read (EPERM)
  std::string reason;  // the failed read, as an Error message
};

struct Topology {
  uint64_t generation_id = 0;
  std::vector<Node> nodes;           // sorted by index; CPU nodes first as the kernel lists them
  std::vector<SkippedNode> skipped;  // nodes left out (EPERM), sorted by index

  std::vector<const Node*> gpus() const;
};

// Default root of the tree.
inline constexpr const char* kTopologyRoot = "/sys/devices/virtual/kfd/kfd/topology";

// gfx name of a gfx_target_version (90010 -> "gfx90a").
std::string gfx_name_of(uint32_t gfx_target_version);

// Reads the tree below `root`: generation_id, nodes/<N>/{gpu_id,name,properties} and
// nodes/<N>/mem_banks/<i>/properties, every read through `sys`. Nodes are sorted by N
// numerically; entries of nodes/ that are not decimal numbers are ignored. A node whose reads
// fail with EPERM lands in `skipped`. Errors name the file that was missing or malformed
// (kInvalidInput for bad contents, kSys with the errno for failed reads). Reads generation_id
// before and after and retries (up to 3 scans) when it changed mid-scan; a read that fails
// because a node vanished during a topology change also counts as a change.
core::Result<Topology> read_topology(core::Sys& sys, const std::string& root = kTopologyRoot);

// The PCI location of a GPU node: `domain`, and `location_id` = bus << 8 | device << 3 | function
// (kfd_topology.c: location_id = pci_dev_id(), PCI_DEVID(bus, devfn)).
struct PciLocation {
  uint32_t domain = 0;
  uint32_t bus = 0, device = 0, function = 0;
  std::string str() const;  // "0000:03:00.0"
  bool operator==(const PciLocation&) const = default;
};
PciLocation pci_location(const Node& node);

// A render node as one source sees it.
struct RenderNode {
  std::string path;    // "/dev/dri/renderD128"
  uint32_t minor = 0;  // 128
  std::string source;  // "libdrm" or "topology"
};

// The render node of the PCI device at `loc` as libdrm enumerates it (drmGetDevices2, the
// DRM_NODE_RENDER node of the DRM_BUS_PCI device at that domain:bus:dev.func). libdrm reads the
// host's /sys and /dev itself, bypassing core::Sys. kNotFound when libdrm lists no such device or
// it has no render node (no /dev/dri, e.g. in a container).
core::Result<RenderNode> find_render_node_libdrm(const PciLocation& loc);

// The render node of KFD GPU node `node`, below `dev_root`. On the host (sys is core::host_sys()
// and dev_root is "/dev") it is found through libdrm by the node's PCI location and cross-checked
// against the topology's drm_render_minor: a disagreement is a kInvalidInput error naming both.
// When libdrm cannot find the device (kNotFound), and for every other Sys (the simulator, fault
// injectors, recorders), the topology's drm_render_minor names it.
core::Result<RenderNode> find_render_node(core::Sys& sys, const Node& node, const std::string& dev_root);

}  // namespace rawgpu::kfd
