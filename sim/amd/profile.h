// rawgpu — simulated AMD GPU profiles: each pretends to be a real part (topology properties as
// the kernel prints them, memory sizes, queue resources). shared/abi/amd-kfd.md §1, §9, §10.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kfd/cwsr.h"

namespace rawgpu::sim::amd {

struct Profile {
  std::string_view name;            // "gfx1100"
  std::string_view marketing_name;  // "Radeon RX 7900 XTX (simulated)"
  uint32_t gfx_target_version = 0;
  uint16_t vendor_id = 0x1002, device_id = 0;
  uint64_t vram_bytes = 0;          // what the profile claims
  uint32_t simd_count = 0, simd_per_cu = 0, array_count = 0, simd_arrays_per_engine = 0,
           cu_per_simd_array = 0, max_waves_per_simd = 0, wave_front_size = 0,
           lds_size_in_kb = 0, num_xcc = 1, num_sdma_engines = 0, num_sdma_xgmi_engines = 0,
           num_sdma_queues_per_engine = 0, num_cp_queues = 0, max_slots_scratch_cu = 0,
           max_engine_clk_fcompute = 0;
  uint32_t compute_units() const { return simd_count / simd_per_cu; }
  // Queue buffer sizes CREATE_QUEUE demands (kfd/cwsr.h).
  kfd::CwsrSizes cwsr() const;
};

const Profile* find_profile(std::string_view name);
std::vector<std::string_view> profile_names();

// The `properties` text of a GPU node (key value lines, as kfd_topology.c node_show prints).
std::string node_properties(const Profile& p, uint32_t node_index, uint32_t drm_render_minor,
                            uint32_t location_id);

}  // namespace rawgpu::sim::amd
