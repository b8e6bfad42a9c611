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
  uint32_t num_xcc() const;           // num_xcc, default 1
  uint32_t compute_units() const;     // simd_count / simd_per_cu
  uint64_t vram_bytes() const;        // sum of FB_PUBLIC + FB_PRIVATE banks
};

struct Topology {
  uint64_t generation_id = 0;
  std::vector<Node> nodes;  // sorted by index; CPU nodes first as the kernel lists them

  std::vector<const Node*> gpus() const;
};

// Default root of the tree.
inline constexpr const char* kTopologyRoot = "/sys/devices/virtual/kfd/kfd/topology";

// gfx name of a gfx_target_version (90010 -> "gfx90a").
std::string gfx_name_of(uint32_t gfx_target_version);

// Reads the tree below `root`. Errors name the file that was missing or malformed. Reads
// generation_id before and after and retries (up to 3 times) when it changed mid-scan.
core::Result<Topology> read_topology(core::Sys& sys, const std::string& root = kTopologyRoot);

}  // namespace rawgpu::kfd
