// rawgpu — AMDHSA code-object loader (v4, v5, v6 from clang/lld; simulator code objects in the
// same container). Parses the ELF with core/elf.h, the metadata note with msgpack, and produces
// a load image plus per-kernel facts; the backend copies the image into GPU memory and calls
// relocate(). Malformed input gets an error naming what is wrong, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "kfd/hsaco.h"
#include "queues/device.h"

namespace rawgpu::kfd {

// Offsets (in the kernarg segment) of the COV5 hidden arguments a runtime fills; -1 when the
// kernel does not use one.
struct HiddenArgs {
  int32_t block_count[3] = {-1, -1, -1};
  int32_t group_size[3] = {-1, -1, -1};
  int32_t remainder[3] = {-1, -1, -1};
  int32_t global_offset[3] = {-1, -1, -1};
  int32_t grid_dims = -1;
  int32_t dynamic_lds_size = -1;
  int32_t queue_ptr = -1;
  int32_t private_base = -1;
  int32_t shared_base = -1;
};

struct HsaKernel {
  std::string name;    // ".name"
  std::string symbol;  // ".symbol", "<name>.kd"
  uint64_t kd_offset = 0;     // of the descriptor in the image
  uint64_t entry_offset = 0;  // of the entry point in the image
  kernel_descriptor_t kd{};
  uint32_t kernarg_size = 0, kernarg_align = 8;
  uint32_t explicit_args_size = 0;
  uint32_t group_segment_fixed_size = 0, private_segment_fixed_size = 0;
  uint32_t wavefront_size = 64, max_flat_workgroup_size = 1024;
  uint32_t sgpr_count = 0, vgpr_count = 0;
  std::vector<queues::KernelArgInfo> args;
  HiddenArgs hidden;
};

struct HsaRelocation {
  uint64_t offset;  // in the image
  uint32_t type;    // R_AMDGPU_*
  uint64_t symbol_value;
  int64_t addend;
};

struct HsaCodeObject {
  GfxTarget target{};
  uint32_t code_object_version = 0;  // 4, 5, 6
  uint32_t e_flags = 0;
  bool simulated = false;            // .text carries a simulator blob instead of ISA
  std::vector<uint8_t> image;        // PT_LOAD segments at their addresses, 4 KiB rounded
  std::vector<HsaRelocation> relocations;
  std::vector<HsaKernel> kernels;

  const HsaKernel* kernel(std::string_view name) const;
};

core::Result<HsaCodeObject> parse_code_object(std::span<const uint8_t> bytes);

// Applies the relocations for an image loaded at GPU address `base` (R_AMDGPU_ABS64,
// RELATIVE64, REL64, REL32 and the ABS32 forms); an unknown type is an error naming it.
core::Status relocate(std::span<uint8_t> image, uint64_t base,
                      std::span<const HsaRelocation> relocations);

}  // namespace rawgpu::kfd
