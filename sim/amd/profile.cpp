#include "sim/amd/profile.h"

#include <algorithm>

namespace rawgpu::sim::amd {
namespace {

// gfx1100: an RDNA3 part with the mock-RDNA3 geometry of the fact sheet (§10) and 24 GiB.
// gfx942: an MI300X-like part, 8 XCCs, 304 CUs, 192 GiB.
const Profile kProfiles[] = {
    {.name = "gfx1100",
     .marketing_name = "Radeon RX 7900 XTX (simulated)",
     .gfx_target_version = 110000,
     .device_id = 0x744c,
     .vram_bytes = 24ull << 30,
     .simd_count = 192, .simd_per_cu = 2, .array_count = 12, .simd_arrays_per_engine = 2,
     .cu_per_simd_array = 8, .max_waves_per_simd = 16, .wave_front_size = 32, .lds_size_in_kb = 64,
     .num_xcc = 1, .num_sdma_engines = 2, .num_sdma_xgmi_engines = 0,
     .num_sdma_queues_per_engine = 6, .num_cp_queues = 8, .max_slots_scratch_cu = 32,
     .max_engine_clk_fcompute = 2500},
    {.name = "gfx942",
     .marketing_name = "Instinct MI300X (simulated)",
     .gfx_target_version = 90402,
     .device_id = 0x74a1,
     .vram_bytes = 192ull << 30,
     .simd_count = 1216, .simd_per_cu = 4, .array_count = 32, .simd_arrays_per_engine = 1,
     .cu_per_simd_array = 10, .max_waves_per_simd = 8, .wave_front_size = 64, .lds_size_in_kb = 64,
     .num_xcc = 8, .num_sdma_engines = 2, .num_sdma_xgmi_engines = 14,
     .num_sdma_queues_per_engine = 8, .num_cp_queues = 24, .max_slots_scratch_cu = 32,
     .max_engine_clk_fcompute = 2100},
};

}  // namespace

kfd::CwsrSizes Profile::cwsr() const {
  return kfd::cwsr_sizes({.gfx_target_version = gfx_target_version,
                          .simd_count = simd_count,
                          .simd_per_cu = simd_per_cu,
                          .num_xcc = num_xcc,
                          .array_count = array_count,
                          .simd_arrays_per_engine = simd_arrays_per_engine,
                          .lds_size_in_kb = lds_size_in_kb});
}

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string_view> profile_names() {
  std::vector<std::string_view> v;
  for (const Profile& p : kProfiles) v.push_back(p.name);
  return v;
}

std::string node_properties(const Profile& p, uint32_t node_index, uint32_t drm_render_minor,
                            uint32_t location_id) {
  std::string s;
  auto kv = [&](const char* k, uint64_t v) {
    s += k;
    s += ' ';
    s += std::to_string(v);
    s += '\n';
  };
  // Key order as kfd_topology.c node_show prints them.
  kv("cpu_cores_count", 0);
  kv("simd_count", p.simd_count);
  kv("mem_banks_count", 1);
  kv("caches_count", 0);
  kv("io_links_count", 1);
  kv("p2p_links_count", 0);
  kv("cpu_core_id_base", 0);
  kv("simd_id_base", 0x80000000ull + node_index * 0x1000);
  kv("max_waves_per_simd", p.max_waves_per_simd);
  kv("lds_size_in_kb", p.lds_size_in_kb);
  kv("gds_size_in_kb", 0);
  kv("num_gws", 64);
  kv("wave_front_size", p.wave_front_size);
  kv("array_count", p.array_count);
  kv("simd_arrays_per_engine", p.simd_arrays_per_engine);
  kv("cu_per_simd_array", p.cu_per_simd_array);
  kv("simd_per_cu", p.simd_per_cu);
  kv("max_slots_scratch_cu", p.max_slots_scratch_cu);
  kv("gfx_target_version", p.gfx_target_version);
  kv("vendor_id", p.vendor_id);
  kv("device_id", p.device_id);
  kv("location_id", location_id);
  kv("domain", 0);
  kv("drm_render_minor", drm_render_minor);
  kv("hive_id", 0);
  kv("num_sdma_engines", p.num_sdma_engines);
  kv("num_sdma_xgmi_engines", p.num_sdma_xgmi_engines);
  kv("num_sdma_queues_per_engine", p.num_sdma_queues_per_engine);
  kv("num_cp_queues", p.num_cp_queues);
  kv("max_engine_clk_fcompute", p.max_engine_clk_fcompute);
  kv("local_mem_size", 0);
  kv("fw_version", 2280);
  kv("capability", 0x28a8a280);
  kv("debug_prop", 0x27);
  kv("sdma_fw_version", 21);
  kv("unique_id", 0x5c2e0f1a00000000ull | node_index);
  kv("num_xcc", p.num_xcc);
  kv("max_engine_clk_ccompute", 3200);
  // Exported by new kernels (fact sheet §1.3): the exact values CREATE_QUEUE demands.
  kv("cwsr_size", p.cwsr().cwsr_size);
  kv("ctl_stack_size", p.cwsr().ctl_stack_size);
  return s;
}

}  // namespace rawgpu::sim::amd
