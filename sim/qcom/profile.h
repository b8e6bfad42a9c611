// rawgpu — simulated Adreno parts: what /dev/kgsl-3d<i> reports and what the simulated CP checks
// against. Chip facts (chip id, generation, SPs, fibers, gmem) come from qcom_kgsl/a6xx.h's chip
// table, itself from shared/abi/qcom-kgsl.md §5 (Mesa freedreno_devices.py, KGSL
// adreno-gpulist.h); the rest is marked where it is a simulator choice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "qcom_kgsl/a6xx.h"

namespace rawgpu::sim::qcom {

struct Profile {
  std::string_view name;  // "a630" (the registry's and MachineOptions' spelling)
  rawgpu::qcom::a6xx::ChipInfo chip;
  std::string_view gpu_model;     // KGSL_PROP_GPU_MODEL / sysfs gpu_model: "Adreno630v2"
  uint32_t highest_bank_bit;      // KGSL_PROP_HIGHEST_BANK_BIT (Mesa: a630 15, a660 16)
  uint32_t ubwc_mode;             // KGSL_PROP_UBWC_MODE (KGSL_UBWC_2_0 = 2 / _4_0 = 4)
  bool lpac;                      // KGSL_PROP_IS_LPAC_ENABLED; LPAC contexts allowed
  uint64_t memory_budget;         // bytes of GPU objects the simulated part accepts (sim choice)
  uint32_t ucode_pfp, ucode_pm4;  // KGSL_PROP_UCODE_VERSION (sim values, UNCONFIRMED)
};

// The profile called `name` (case-insensitive: "a630", "A630"), or nullptr.
const Profile* find_profile(std::string_view name);
// "a630, a660" — for error messages.
std::string profile_names();

}  // namespace rawgpu::sim::qcom
