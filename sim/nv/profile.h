// rawgpu — the NVIDIA GPUs the simulator can be: the facts RM and the engines report and enforce
// (class list, SM version, GR litter counts, memory), one row per part.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nv_ioctl/packets.h"

namespace rawgpu::sim::nv {

struct Profile {
  std::string_view name;            // "GH100", "GA102": what RAWGPU_SIM_NV lists
  std::string_view marketing_name;  // "NVIDIA H200"
  std::string_view arch;            // "sm_90"
  uint32_t sm = 0;                  // 90: cubins for sm_90 run here
  uint32_t sm_version = 0;          // NV2080_CTRL_GR_INFO_INDEX_SM_VERSION: 0x900 / 0x806
  uint16_t pci_vendor = 0x10DE;
  uint16_t pci_device = 0;          // 0x2335 (H200 SXM), 0x2204 (RTX 3090)
  // Classes RM offers on this part (NV0080_CTRL_CMD_GPU_GET_CLASSLIST), the preferred ones first
  // (fact sheet §3.7).
  uint32_t usermode_class = 0;      // HOPPER_USERMODE_A / AMPERE_USERMODE_A
  uint32_t gpfifo_class = 0;        // HOPPER_CHANNEL_GPFIFO_A / AMPERE_CHANNEL_GPFIFO_A
  uint32_t compute_class = 0;       // HOPPER_COMPUTE_A / AMPERE_COMPUTE_B
  uint32_t copy_class = 0;          // HOPPER_DMA_COPY_A / AMPERE_DMA_COPY_B
  std::span<const uint32_t> classes;  // every class id the class list reports
  rawgpu::nv::QmdVersion qmd = rawgpu::nv::QmdVersion::V03_00;
  // NV2080_CTRL_CMD_GR_GET_INFO litter values (fact sheet §3.2 step 26).
  uint32_t num_gpcs = 0, tpc_per_gpc = 0, sm_per_tpc = 0, max_warps_per_sm = 0;
  uint32_t sm_count = 0;            // enabled SMs (the part, not the full die)
  uint64_t vram_bytes = 0;          // reported; the simulator backs only what is allocated
  uint32_t max_shared_per_block = 0;  // bytes of shared memory a CTA may use (opt-in maximum)
  uint32_t max_threads_per_block = 1024;
};

// Every profile, and one by name (case-sensitive); nullptr when unknown.
std::span<const Profile> profiles();
const Profile* find_profile(std::string_view name);
// "GH100, GA102" for error messages.
std::string profile_names();

}  // namespace rawgpu::sim::nv
