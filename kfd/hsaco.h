// rawgpu — the AMDHSA code-object container: ELF header values, the 64-byte kernel descriptor,
// the metadata note and the COV5 hidden arguments. The one description used by the loader
// (kfd/loader.*), the simulator's code-object packer and the decoder.
// Facts: shared/abi/amd-kfd.md §8 (LLVM AMDGPUUsage.rst, AMDHSAKernelDescriptor.h, BinaryFormat/ELF.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rawgpu::kfd {

// ELF header (AMDGPUUsage "ELF Header").
inline constexpr uint16_t kEmAmdgpu = 224;         // EM_AMDGPU
inline constexpr uint8_t kElfOsAbiAmdgpuHsa = 64;  // ELFOSABI_AMDGPU_HSA
inline constexpr uint8_t kAbiVersionV4 = 2;        // code object v4
inline constexpr uint8_t kAbiVersionV5 = 3;        // code object v5
inline constexpr uint8_t kAbiVersionV6 = 4;        // code object v6
inline constexpr uint32_t kEfAmdgpuMachMask = 0xff;         // EF_AMDGPU_MACH
inline constexpr uint32_t kEfAmdgpuFeatureXnackMask = 0x300;   // EF_AMDGPU_FEATURE_XNACK_V4
inline constexpr uint32_t kEfAmdgpuFeatureSramEccMask = 0xc00; // EF_AMDGPU_FEATURE_SRAMECC_V4
inline constexpr uint32_t kNtAmdgpuMetadata = 32;  // NT_AMDGPU_METADATA, note name "AMDGPU"

struct GfxTarget {
  const char* name;            // "gfx1100"
  uint32_t gfx_target_version; // KFD topology form: 110000
  uint8_t mach;                // EF_AMDGPU_MACH_AMDGCN_GFX1100 = 0x41
};
// The targets rawgpu knows (shared/abi/amd-kfd.md §8.1 / §1.4).
std::optional<GfxTarget> gfx_target_by_name(std::string_view name);
std::optional<GfxTarget> gfx_target_by_version(uint32_t gfx_target_version);
std::optional<GfxTarget> gfx_target_by_mach(uint8_t mach);

// The kernel descriptor, 64 bytes, 64-byte aligned, symbol "<kernel>.kd" (AMDHSAKernelDescriptor.h).
struct kernel_descriptor_t {
  uint32_t group_segment_fixed_size;
  uint32_t private_segment_fixed_size;
  uint32_t kernarg_size;
  uint8_t reserved0[4];
  int64_t kernel_code_entry_byte_offset;
  uint8_t reserved1[20];
  uint32_t compute_pgm_rsrc3;
  uint32_t compute_pgm_rsrc1;
  uint32_t compute_pgm_rsrc2;
  uint16_t kernel_code_properties;
  uint16_t kernarg_preload;
  uint8_t reserved3[4];
};
static_assert(sizeof(kernel_descriptor_t) == 64);
static_assert(offsetof(kernel_descriptor_t, kernarg_size) == 8);
static_assert(offsetof(kernel_descriptor_t, kernel_code_entry_byte_offset) == 16);
static_assert(offsetof(kernel_descriptor_t, compute_pgm_rsrc3) == 44);
static_assert(offsetof(kernel_descriptor_t, compute_pgm_rsrc1) == 48);
static_assert(offsetof(kernel_descriptor_t, compute_pgm_rsrc2) == 52);
static_assert(offsetof(kernel_descriptor_t, kernel_code_properties) == 56);
static_assert(offsetof(kernel_descriptor_t, kernarg_preload) == 58);

// kernel_code_properties bits (AMDGPUUsage "Kernel Descriptor").
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER = 1u << 0;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_PTR = 1u << 1;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_QUEUE_PTR = 1u << 2;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_KERNARG_SEGMENT_PTR = 1u << 3;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_DISPATCH_ID = 1u << 4;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_FLAT_SCRATCH_INIT = 1u << 5;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_SIZE = 1u << 6;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_ENABLE_WAVEFRONT_SIZE32 = 1u << 10;
inline constexpr uint16_t KERNEL_CODE_PROPERTY_USES_DYNAMIC_STACK = 1u << 11;

// compute_pgm_rsrc2 fields.
inline constexpr uint32_t COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT = 1u << 0;
inline constexpr uint32_t COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_SHIFT = 1;  // [5:1]
inline constexpr uint32_t COMPUTE_PGM_RSRC2_USER_SGPR_COUNT_MASK = 0x1fu << 1;
inline constexpr uint32_t COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_X = 1u << 7;
inline constexpr uint32_t COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_Y = 1u << 8;
inline constexpr uint32_t COMPUTE_PGM_RSRC2_ENABLE_SGPR_WORKGROUP_ID_Z = 1u << 9;
inline constexpr uint32_t COMPUTE_PGM_RSRC2_GRANULATED_LDS_SIZE_MASK = 0x1ffu << 15;

// Entry points are 256-byte aligned (they go into COMPUTE_PGM_LO >> 8).
inline constexpr uint64_t kKernelEntryAlign = 256;
// COV5 hidden-argument block: 256 bytes after the explicit arguments (§8.4).
inline constexpr uint32_t kHiddenArgsSize = 256;

// Relocation types (BinaryFormat/ELFRelocs/AMDGPU.def).
inline constexpr uint32_t R_AMDGPU_NONE = 0;
inline constexpr uint32_t R_AMDGPU_ABS32_LO = 1;
inline constexpr uint32_t R_AMDGPU_ABS32_HI = 2;
inline constexpr uint32_t R_AMDGPU_ABS64 = 3;
inline constexpr uint32_t R_AMDGPU_REL32 = 4;
inline constexpr uint32_t R_AMDGPU_REL64 = 5;
inline constexpr uint32_t R_AMDGPU_ABS32 = 6;
inline constexpr uint32_t R_AMDGPU_RELATIVE64 = 13;

// Simulator code objects: the .text of a simulator code object holds, instead of ISA, a blob
// with the host shared object, and one entry stub per kernel at the 256-byte aligned entry the
// descriptor points to. All fields little-endian.
inline constexpr char kSimBlobMagic[8] = {'R', 'G', 'S', 'I', 'M', 'B', 'L', '1'};
inline constexpr char kSimEntryMagic[8] = {'R', 'G', 'S', 'I', 'M', 'K', 'N', '1'};
struct SimBlobHeader {
  char magic[8];         // kSimBlobMagic
  uint32_t abi_version;  // RG_SIM_ABI_VERSION
  uint32_t so_size;      // bytes of the host shared object that follows the header
  uint64_t so_hash;      // sim_hash() of those bytes
  uint64_t reserved;
};
static_assert(sizeof(SimBlobHeader) == 32);
struct SimEntryStub {
  char magic[8];            // kSimEntryMagic
  int64_t blob_offset;      // blob header address minus this stub's address
  int64_t kd_offset;        // kernel descriptor address minus this stub's address
  char symbol[232];         // host function name, NUL-terminated
};
static_assert(sizeof(SimEntryStub) == 256);
// A fast 64-bit content hash (the simulator caches loaded host objects by it).
uint64_t sim_hash(const uint8_t* data, size_t n);

}  // namespace rawgpu::kfd
