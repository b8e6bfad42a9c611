// rawgpu — the cubin container (NVIDIA's ELF for SASS): ELF header values, the .nv.info record
// format and attribute ids, relocation types, per-SM constant-bank-0 facts, and the stub layout
// of simulator cubins. The one description used by the cubin loader (nv_ioctl/loader.*), the
// simulator's code-object packer (sim/code_object_pack.*) and the decoder.
//
// Facts: shared/abi/nvidia.md §6 and shared/abi/nvidia-hopper.md §4 (nvcc 13.0 output read by
// our own parser). Names are NVIDIA's, as printed by cuobjdump and collected by:
//   EIATTR ids 0x00-0x40  VivekPanyam/cudaparsers src/cubin.rs (enum NVInfoAttribute)
//   EIATTR_NUM_BARRIERS   sailfishos-mirror/mesa src/nouveau/cubin/nv_cubin_defs.h
//   EIFMT_*               cudaparsers (enum NVInfoFormat), mesa nv_cubin_defs.h
//   R_CUDA_*              cloudcores/CuAssembler CuAsm/CuAsmParser.py (REL_TYPES) and tinygrad
//                         runtime/ops_nv.py; field positions from nvidia.md §6.4; R_CUDA_NONE = 0
//                         is the generic ELF "no relocation"
//   e_flags SM field      mesa src/nouveau/cubin/nv_cubin.c (nv_cubin_module_init)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rawgpu::nv {

// ---------------------------------------------------------------------------------------------
// ELF header. nvcc 13.0: e_type ET_EXEC, EI_OSABI 0x41, EI_ABIVERSION 8, e_flags 0x06005604
// (sm_86) / 0x06005A04 (sm_90 and sm_90a) (nvidia-hopper.md §4.1).

inline constexpr uint16_t kEmCuda = 190;        // e_machine EM_CUDA (<elf.h>'s EM_CUDA)
inline constexpr uint8_t kNvElfOsAbi41 = 0x41;  // EI_OSABI of CUDA >= 12 (mesa NV_ELF_OSABI_41)
inline constexpr uint8_t kNvElfAbiVersion = 8;  // EI_ABIVERSION seen with OSABI 0x41 (nvcc 13.0)
// SM number ("sm_90" -> 90 = 0x5A): e_flags bits 15:8 when EI_OSABI >= 0x41, bits 23:16 before.
inline constexpr uint32_t kEfCudaSmShift = 8;
inline constexpr uint32_t kEfCudaSmShiftOldAbi = 16;
inline constexpr uint32_t kEfCudaSmMask = 0xff;
// The other e_flags bits nvcc 13.0 sets for sm_86 and sm_90 (meaning UNCONFIRMED); the simulator
// packer copies them so its cubins look like nvcc's.
inline constexpr uint32_t kEfCudaNvcc13Bits = 0x06000004;

// SM number from e_flags (see kEfCudaSmShift); 0 when the field is empty.
constexpr uint32_t cubin_sm_from_e_flags(uint32_t e_flags, uint8_t os_abi) {
  return (e_flags >> (os_abi >= kNvElfOsAbi41 ? kEfCudaSmShift : kEfCudaSmShiftOldAbi)) &
         kEfCudaSmMask;
}

// ---------------------------------------------------------------------------------------------
// Section types (sh_type, in the SHT_LOPROC range) seen in nvcc 13.0 cubins (readelf -S).
inline constexpr uint32_t kShtNvInfo = 0x70000000;       // .nv.info, .nv.info.<kernel>
inline constexpr uint32_t kShtNvCallgraph = 0x70000001;  // .nv.callgraph
inline constexpr uint32_t kShtNvRelAction = 0x7000000b;  // .nv.rel.action (sm_86)
inline constexpr uint32_t kShtNvCompat = 0x70000086;     // .nv.compat (sm_90): not EIATTR records

// ---------------------------------------------------------------------------------------------
// .nv.info records (nvidia.md §6.3): a 4-byte header {u8 format, u8 attribute, u16 v}. With
// EIFMT_SVAL, v is the byte count of the data that follows; otherwise v is the value (the low
// byte for EIFMT_BVAL, nothing for EIFMT_NVAL) and the record is 4 bytes long.
struct NvInfoHeader {
  uint8_t format;     // EIFMT_*
  uint8_t attribute;  // EIATTR_*
  uint16_t value;     // SVAL: data size in bytes; HVAL/BVAL: the value; NVAL: 0
};
static_assert(sizeof(NvInfoHeader) == 4);
static_assert(offsetof(NvInfoHeader, value) == 2);

inline constexpr uint8_t EIFMT_NVAL = 0x01;  // no value
inline constexpr uint8_t EIFMT_BVAL = 0x02;  // byte value
inline constexpr uint8_t EIFMT_HVAL = 0x03;  // half-word value
inline constexpr uint8_t EIFMT_SVAL = 0x04;  // sized value: data follows the header

// EIATTR ids, one row each: X(NAME, id). How to add a row: take the id from a public source
// (cite it in the file comment), keep the list sorted by id, and if the loader must understand
// the attribute add its record layout below and a case in nv_ioctl/loader.cpp (read_kernel_info
// or read_global_info); everything else is kept raw and skipped.
#define RAWGPU_NV_EIATTRS(X)                  \
  X(EIATTR_ERROR, 0x00)                       \
  X(EIATTR_PAD, 0x01)                         \
  X(EIATTR_IMAGE_SLOT, 0x02)                  \
  X(EIATTR_JUMPTABLE_RELOCS, 0x03)            \
  X(EIATTR_CTAIDZ_USED, 0x04)                 \
  X(EIATTR_MAX_THREADS, 0x05)                 \
  X(EIATTR_IMAGE_OFFSET, 0x06)                \
  X(EIATTR_IMAGE_SIZE, 0x07)                  \
  X(EIATTR_TEXTURE_NORMALIZED, 0x08)          \
  X(EIATTR_SAMPLER_INIT, 0x09)                \
  X(EIATTR_PARAM_CBANK, 0x0a)                 \
  X(EIATTR_SMEM_PARAM_OFFSETS, 0x0b)          \
  X(EIATTR_CBANK_PARAM_OFFSETS, 0x0c)         \
  X(EIATTR_SYNC_STACK, 0x0d)                  \
  X(EIATTR_TEXID_SAMPID_MAP, 0x0e)            \
  X(EIATTR_EXTERNS, 0x0f)                     \
  X(EIATTR_REQNTID, 0x10)                     \
  X(EIATTR_FRAME_SIZE, 0x11)                  \
  X(EIATTR_MIN_STACK_SIZE, 0x12)              \
  X(EIATTR_SAMPLER_FORCE_UNNORMALIZED, 0x13)  \
  X(EIATTR_BINDLESS_IMAGE_OFFSETS, 0x14)      \
  X(EIATTR_BINDLESS_TEXTURE_BANK, 0x15)       \
  X(EIATTR_BINDLESS_SURFACE_BANK, 0x16)       \
  X(EIATTR_KPARAM_INFO, 0x17)                 \
  X(EIATTR_SMEM_PARAM_SIZE, 0x18)             \
  X(EIATTR_CBANK_PARAM_SIZE, 0x19)            \
  X(EIATTR_QUERY_NUMATTRIB, 0x1a)             \
  X(EIATTR_MAXREG_COUNT, 0x1b)                \
  X(EIATTR_EXIT_INSTR_OFFSETS, 0x1c)          \
  X(EIATTR_S2RCTAID_INSTR_OFFSETS, 0x1d)      \
  X(EIATTR_CRS_STACK_SIZE, 0x1e)              \
  X(EIATTR_NEED_CNP_WRAPPER, 0x1f)            \
  X(EIATTR_NEED_CNP_PATCH, 0x20)              \
  X(EIATTR_EXPLICIT_CACHING, 0x21)            \
  X(EIATTR_ISTYPEP_USED, 0x22)                \
  X(EIATTR_MAX_STACK_SIZE, 0x23)              \
  X(EIATTR_SUQ_USED, 0x24)                    \
  X(EIATTR_LD_CACHEMOD_INSTR_OFFSETS, 0x25)   \
  X(EIATTR_LOAD_CACHE_REQUEST, 0x26)          \
  X(EIATTR_ATOM_SYS_INSTR_OFFSETS, 0x27)      \
  X(EIATTR_COOP_GROUP_INSTR_OFFSETS, 0x28)    \
  X(EIATTR_COOP_GROUP_MAX_REGIDS, 0x29)       \
  X(EIATTR_SW1850030_WAR, 0x2a)               \
  X(EIATTR_WMMA_USED, 0x2b)                   \
  X(EIATTR_HAS_PRE_V10_OBJECT, 0x2c)          \
  X(EIATTR_ATOMF16_EMUL_INSTR_OFFSETS, 0x2d)  \
  X(EIATTR_ATOM16_EMUL_INSTR_REG_MAP, 0x2e)   \
  X(EIATTR_REGCOUNT, 0x2f)                    \
  X(EIATTR_SW2393858_WAR, 0x30)               \
  X(EIATTR_INT_WARP_WIDE_INSTR_OFFSETS, 0x31) \
  X(EIATTR_SHARED_SCRATCH, 0x32)              \
  X(EIATTR_STATISTICS, 0x33)                  \
  X(EIATTR_INDIRECT_BRANCH_TARGETS, 0x34)     \
  X(EIATTR_SW2861232_WAR, 0x35)               \
  X(EIATTR_SW_WAR, 0x36)                      \
  X(EIATTR_CUDA_API_VERSION, 0x37)            \
  X(EIATTR_NUM_MBARRIERS, 0x38)               \
  X(EIATTR_MBARRIER_INSTR_OFFSETS, 0x39)      \
  X(EIATTR_COROUTINE_RESUME_ID_OFFSETS, 0x3a) \
  X(EIATTR_SAM_REGION_STACK_SIZE, 0x3b)       \
  X(EIATTR_PER_REG_TARGET_PERF_STATS, 0x3c)   \
  X(EIATTR_CTA_PER_CLUSTER, 0x3d)             \
  X(EIATTR_EXPLICIT_CLUSTER, 0x3e)            \
  X(EIATTR_MAX_CLUSTER_RANK, 0x3f)            \
  X(EIATTR_INSTR_REG_MAP, 0x40)               \
  X(EIATTR_NUM_BARRIERS, 0x4c)

#define RAWGPU_NV_EIATTR_CONSTANT(name, id) inline constexpr uint8_t name = id;
RAWGPU_NV_EIATTRS(RAWGPU_NV_EIATTR_CONSTANT)
#undef RAWGPU_NV_EIATTR_CONSTANT

// "EIATTR_KPARAM_INFO" for 0x17; nullptr for an id no public source names (nvcc 13 emits 0x50
// and 0x5f, whose names are unknown: nvidia-hopper.md §4.2).
// clang-format off
constexpr const char* eiattr_name(uint8_t id) {
#define RAWGPU_NV_EIATTR_CASE(name, value) case value: return #name;
  switch (id) {
    RAWGPU_NV_EIATTRS(RAWGPU_NV_EIATTR_CASE)
    default: return nullptr;
  }
#undef RAWGPU_NV_EIATTR_CASE
}
// clang-format on

// Record layouts of the attributes the loader reads (all little-endian, EIFMT_SVAL data unless
// noted). "symbol" is an index into .symtab.
// .nv.info: EIATTR_REGCOUNT, EIATTR_FRAME_SIZE, EIATTR_MIN_STACK_SIZE, EIATTR_MAX_STACK_SIZE.
struct EiattrSymbolValue {
  uint32_t symbol;  // the function's symbol
  uint32_t value;   // registers / bytes
};
static_assert(sizeof(EiattrSymbolValue) == 8);

// .nv.info.<k>: EIATTR_PARAM_CBANK (absent when the kernel has no parameters).
struct EiattrParamCbank {
  uint32_t symbol;  // the section symbol of .nv.constant0.<k>
  uint16_t offset;  // where the parameters start in cbuf0 (0x160 sm_86, 0x210 sm_90)
  uint16_t size;    // bytes of parameters
};
static_assert(sizeof(EiattrParamCbank) == 8);
static_assert(offsetof(EiattrParamCbank, offset) == 4 && offsetof(EiattrParamCbank, size) == 6);

// .nv.info.<k>: EIATTR_KPARAM_INFO, one per parameter, highest ordinal first.
struct EiattrKparamInfo {
  uint32_t index;    // 0 in every cubin seen
  uint16_t ordinal;  // position in the signature
  uint16_t offset;   // in the parameter area (cbuf0 offset = EiattrParamCbank::offset + this)
  uint32_t packed;   // see the kKparamInfo* fields below
};
static_assert(sizeof(EiattrKparamInfo) == 12);
static_assert(offsetof(EiattrKparamInfo, ordinal) == 4 && offsetof(EiattrKparamInfo, offset) == 6);
static_assert(offsetof(EiattrKparamInfo, packed) == 8);
// EiattrKparamInfo::packed (cudaparsers KParamInfoValue; mesa nv_cubin.c reads the size the same
// way). nvcc 13.0 writes 0x0021F000 for an 8-byte, 0x0011F000 for a 4-byte parameter.
inline constexpr uint32_t kKparamInfoLogAlignmentMask = 0xff;  // bits 7:0
inline constexpr uint32_t kKparamInfoSpaceShift = 8;           // bits 11:8
inline constexpr uint32_t kKparamInfoCbankShift = 12;          // bits 16:12 (0x1f in nvcc output)
inline constexpr uint32_t kKparamInfoNotCbankBit = 1u << 17;   // set: not passed in a constant bank
inline constexpr uint32_t kKparamInfoSizeShift = 18;           // bits 31:18: size in bytes
constexpr uint32_t kparam_info_size(uint32_t packed) {
  return (packed >> kKparamInfoSizeShift) & 0x3fff;
}
constexpr uint32_t kparam_info_packed(uint32_t size) {  // what nvcc 13.0 writes for `size` bytes
  return (size << kKparamInfoSizeShift) | (0x1fu << kKparamInfoCbankShift);
}

// .nv.info.<k>: EIATTR_MAX_THREADS (__launch_bounds__, .maxntid) and EIATTR_REQNTID.
struct EiattrDim3 {
  uint32_t x, y, z;
};
static_assert(sizeof(EiattrDim3) == 12);

// ---------------------------------------------------------------------------------------------
// Relocation types, one row each: X(NAME, type). The loader applies these (nvidia.md §6.4, with
// RELA addends per nvidia-hopper.md §4.5; "field" = the bytes written):
//   R_CUDA_32           u32 at r_offset      = S + A
//   R_CUDA_64           u64 at r_offset      = S + A  (nvcc: .nv.constant4 <- &__device__ vars)
//   R_CUDA_ABS32_LO_32  u32 at r_offset + 4  = (S + A) & 0xffffffff  (the high half of the
//                                              64-bit instruction word at r_offset)
//   R_CUDA_ABS32_HI_32  u32 at r_offset + 4  = (S + A) >> 32
// Any other type is refused with its name. How to add a row: cite the number, then teach
// nv::relocate (and parse_cubin's field width) what it writes.
#define RAWGPU_NV_R_CUDA(X)         \
  X(R_CUDA_NONE, 0x00)              \
  X(R_CUDA_32, 0x01)                \
  X(R_CUDA_64, 0x02)                \
  X(R_CUDA_G64, 0x04)               \
  X(R_CUDA_TEX_HEADER_INDEX, 0x06)  \
  X(R_CUDA_ABS32_20, 0x2a)          \
  X(R_CUDA_ABS32_LO_20, 0x2b)       \
  X(R_CUDA_ABS32_HI_20, 0x2c)       \
  X(R_CUDA_SURF_HEADER_INDEX, 0x34) \
  X(R_CUDA_ABS32_LO_32, 0x38)       \
  X(R_CUDA_ABS32_HI_32, 0x39)       \
  X(R_CUDA_ABS47_34, 0x3a)

#define RAWGPU_NV_R_CUDA_CONSTANT(name, id) inline constexpr uint32_t name = id;
RAWGPU_NV_R_CUDA(RAWGPU_NV_R_CUDA_CONSTANT)
#undef RAWGPU_NV_R_CUDA_CONSTANT

// clang-format off
constexpr const char* r_cuda_name(uint32_t type) {
#define RAWGPU_NV_R_CUDA_CASE(name, value) case value: return #name;
  switch (type) {
    RAWGPU_NV_R_CUDA(RAWGPU_NV_R_CUDA_CASE)
    default: return nullptr;
  }
#undef RAWGPU_NV_R_CUDA_CASE
}
// clang-format on

// ---------------------------------------------------------------------------------------------
// Constant bank 0 (cbuf0): the driver-reserved prefix, then the kernel parameters at the
// EIATTR_PARAM_CBANK offset. Word offsets from nvidia-hopper.md §4.4 (SASS of nvcc 13.0 for
// sm_86 and sm_90, decoded by our script) and nvidia.md §6.5 (what tinygrad writes); identical on
// sm_86 and sm_90 except the parameter offset and the global-memory descriptor.
inline constexpr uint32_t kCbank0BlockDim = 0x00;      // u32[3] blockDim (%ntid); NVK writes it
inline constexpr uint32_t kCbank0GridDim = 0x0c;       // u32[3] gridDim (%nctaid)
inline constexpr uint32_t kCbank0SharedWindow = 0x18;  // u64 shared window VA (sm_86 reads it)
inline constexpr uint32_t kCbank0LocalWindow = 0x20;   // u64 local window VA
inline constexpr uint32_t kCbank0StackPointer = 0x28;  // u32 initial stack pointer R1
inline constexpr uint32_t kCbank0DynamicSmem = 0x2c;   // u32 %dynamic_smem_size
inline constexpr uint32_t kCbank0GridId = 0x30;        // u64 %gridid (UNCONFIRMED value)
inline constexpr uint32_t kCbank0SmCount = 0x10c;      // u32 %nsmid (UNCONFIRMED value)
inline constexpr uint32_t kCbank0TotalSmem = 0x114;    // u32 %total_smem_size (UNCONFIRMED value)
inline constexpr uint32_t kCbank0DriverWordsEnd = 0x118;  // all of the above lie below this
// tinygrad's stack-pointer word: 16 MiB - 0x240 (meaning UNCONFIRMED, nvidia.md §10 item 9).
inline constexpr uint32_t kCbank0DefaultStackPointer = 0xfffdc0;

// What differs by SM. How to add a row: compile the nvidia-hopper.md §4 test kernels for the new
// SM with nvcc and read .nv.constant0.k_empty's size (the parameter offset) and the ULDC.64 the
// SASS uses for the global-memory descriptor; sm_80/sm_89 are believed to equal sm_86
// (nvidia.md §6.5: "observed 0x160 on sm_8x") but were not measured.
struct SmFacts {
  uint32_t sm;                 // 86, 90
  uint32_t param_offset;       // default cbuf0 parameter offset (EIATTR_PARAM_CBANK when present)
  uint32_t shared_reserve;     // bytes .nv.shared.<k> includes before the user's data
  uint32_t global_descriptor;  // cbuf0 offset of the 64-bit global-memory descriptor; rawgpu
                               // leaves it 0 as tinygrad does (UNCONFIRMED on sm_90)
};
inline constexpr SmFacts kSmFacts[] = {
    {86, 0x160, 0, 0x118},
    {90, 0x210, 0x400, 0x208},
};
constexpr std::optional<SmFacts> sm_facts(uint32_t sm) {
  for (const SmFacts& f : kSmFacts)
    if (f.sm == sm) return f;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Simulator cubins (sim/code_object_pack.h, pack_nv_sim_code_object): the cubin layout of nvcc,
// but every .text.<kernel> holds a 256-byte SimNvEntryStub instead of SASS, and the section
// kSimNvBlobSection (SHF_ALLOC, so it is part of the load image) holds a SimNvBlobHeader followed
// by the host shared object. The stub's blob_va is filled at load time by an R_CUDA_64
// relocation against that section, so after nv::relocate it is the blob's GPU address; the
// simulator reads the stub at the QMD's program address and the blob there. All little-endian.
inline constexpr char kSimNvBlobSection[] = ".rawgpu.sim";
inline constexpr char kSimNvBlobMagic[8] = {'R', 'G', 'S', 'I', 'M', 'N', 'B', '1'};
inline constexpr char kSimNvEntryMagic[8] = {'R', 'G', 'S', 'I', 'M', 'N', 'K', '1'};
struct SimNvBlobHeader {
  char magic[8];         // kSimNvBlobMagic
  uint32_t abi_version;  // RG_SIM_ABI_VERSION (sim/kernel_abi.h)
  uint32_t so_size;      // bytes of the host shared object that follows the header
  uint64_t so_hash;      // kfd::sim_hash() of those bytes (the simulator's cache key)
  uint64_t reserved;
};
static_assert(sizeof(SimNvBlobHeader) == 32);
struct SimNvEntryStub {
  char magic[8];          // kSimNvEntryMagic
  uint64_t blob_va;       // R_CUDA_64 -> GPU address of the SimNvBlobHeader (0 in the file)
  uint32_t param_offset;  // where the arguments start in cbuf0 (= EIATTR_PARAM_CBANK offset)
  uint32_t param_size;    // bytes of arguments (= EIATTR_CBANK_PARAM_SIZE)
  uint32_t shared_size;   // static shared bytes the host kernel declared (its `lds`)
  uint32_t private_size;  // local (private) bytes per thread it declared (`private N`), also in
                          // EIATTR_MIN_STACK_SIZE / FRAME_SIZE as nvcc reports a stack
  char symbol[224];  // host function name, NUL-terminated
};
static_assert(sizeof(SimNvEntryStub) == 256);
static_assert(offsetof(SimNvEntryStub, blob_va) == 8);
static_assert(offsetof(SimNvEntryStub, param_offset) == 16);
static_assert(offsetof(SimNvEntryStub, symbol) == 32);
// Registers the packer declares for every simulated kernel (EIATTR_REGCOUNT must be non-zero).
inline constexpr uint32_t kSimNvRegisterCount = 16;

}  // namespace rawgpu::nv
