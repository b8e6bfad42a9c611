// rawgpu — the a6xx compute register map and the per-dispatch command sequence (STYLE rule 5).
//
// Registers: offsets (authoritative), the new Mesa names tinygrad uses and the old names (Mesa
// renamed most of them in 2025), and BitField rows for every register the dispatch writes. The
// rows drive the dispatch encoder (every value checked against its field) and the disassembler.
// Facts: shared/abi/qcom-kgsl.md §3.1 (tinygrad autogen/mesa.py, extra/qcom_gpu_driver/a6xx.xml.h
// from Mesa freedreno registers/adreno/a6xx.xml), §3.2–§3.5 (tinygrad ops_qcom.py
// QCOMComputeQueue.exec; Mesa computerator a6xx.cc, fd6_compute.cc), §5 (chips: Mesa
// freedreno_devices.py, KGSL adreno-gpulist.h).
//
// Emitting a dispatch (KGSL backend; allocation-free, all or nothing):
//   qcom::a6xx::DispatchParams d{.shader_iova = prog_va, .instrlen = k.instrlen, ...};
//   core::EncodeResult r = qcom::a6xx::encode_dispatch(ib_free_span, d, qcom::a6xx::kA630);
//   if (!r) return core::to_error(r);
//   put += r.dwords;
// The sequence (§3.2): CP_SET_MARKER(RM6_COMPUTE); SP_UPDATE_CNTL invalidate; TSIZE/USIZE;
// SP_MODE_CNTL; SP_PERFCTR_SHADER_MASK, TPL1_MODE_CNTL, TPL1_DBG_ECO_CNTL; CP_WAIT_FOR_IDLE;
// NDRANGE_0..6 + CONST_CONFIG_0 + WGE_CNTL + KERNEL_GROUP_X/Y/Z; [a6xx gen4 (LPAC): the WIE copies];
// SP_CS_CNTL_0 … PVT_MEM_SIZE; [LPAC: HLSQ_CS_CTRL_REG1]; CP_LOAD_STATE6 constants; CP_LOAD_STATE6
// shader; SP_REG_PROG_ID_0..3 + SP_CS_CONST_CONFIG; STACK_OFFSET; INSTR_SIZE; samplers; textures;
// UAVs; SP_CS_CONFIG; CP_EXEC_CS (or CP_RUN_OPENCL); [CP_EVENT_WRITE CACHE_FLUSH_TS].
//
// a7xx: most CS registers moved (§5 "a7xx differences"); the only working a7xx sequence is a
// third-party port (UNCONFIRMED upstream), so encode_dispatch refuses a7xx chips. The a7xx offsets
// are in the register table for the disassembler.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "core/bits.h"
#include "qcom_kgsl/packets.h"

namespace rawgpu::qcom::a6xx {

// ---- register offsets (dword offsets, fact sheet §3.1) ----------------------------------------
inline constexpr uint32_t CP_ALWAYS_ON_COUNTER = 0x0980;  // 64-bit lo/hi, 19.2 MHz
inline constexpr uint32_t RBBM_PERFCTR_CP_0 = 0x0400;     // a7xx: 0x0300
inline constexpr uint32_t SP_CS_CNTL_0 = 0xA9B0;          // old: SP_CS_CTRL_REG0
inline constexpr uint32_t SP_CS_CNTL_1 = 0xA9B1;          // old: SP_CS_UNKNOWN_A9B1
inline constexpr uint32_t SP_CS_BOOLEAN_CF_MASK = 0xA9B2;  // old: SP_CS_BRANCH_COND
inline constexpr uint32_t SP_CS_PROGRAM_COUNTER_OFFSET = 0xA9B3;  // old: SP_CS_OBJ_FIRST_EXEC_OFFSET
inline constexpr uint32_t SP_CS_BASE = 0xA9B4;            // old: SP_CS_OBJ_START (lo, hi)
inline constexpr uint32_t SP_CS_PVT_MEM_PARAM = 0xA9B6;
inline constexpr uint32_t SP_CS_PVT_MEM_BASE = 0xA9B7;    // old: SP_CS_PVT_MEM_ADDR (lo, hi)
inline constexpr uint32_t SP_CS_PVT_MEM_SIZE = 0xA9B9;
inline constexpr uint32_t SP_CS_TSIZE = 0xA9BA;           // old: SP_CS_TEX_COUNT
inline constexpr uint32_t SP_CS_CONFIG = 0xA9BB;
inline constexpr uint32_t SP_CS_INSTR_SIZE = 0xA9BC;      // old: SP_CS_INSTRLEN
inline constexpr uint32_t SP_CS_PVT_MEM_STACK_OFFSET = 0xA9BD;  // old: ..._HW_STACK_OFFSET
inline constexpr uint32_t SP_CS_WIE_CNTL_0 = 0xA9C2;      // old: SP_CS_CNTL_0 (!)
inline constexpr uint32_t SP_CS_WIE_CNTL_1 = 0xA9C3;      // old: SP_CS_CNTL_1 (!)
inline constexpr uint32_t SP_CS_SAMPLER_BASE = 0xA9E2;    // old: SP_CS_TEX_SAMP (lo, hi)
inline constexpr uint32_t SP_CS_TEXMEMOBJ_BASE = 0xA9E6;  // old: SP_CS_TEX_CONST (lo, hi)
inline constexpr uint32_t SP_CS_BINDLESS_BASE_0 = 0xA9E8;  // + 2i
inline constexpr uint32_t SP_CS_UAV_BASE = 0xA9F2;        // old: SP_CS_IBO (lo, hi); a7xx 0xA9F8
inline constexpr uint32_t SP_CS_USIZE = 0xAA00;           // old: SP_CS_IBO_COUNT
inline constexpr uint32_t SP_MODE_CNTL = 0xAB00;          // old: SP_MODE_CONTROL
inline constexpr uint32_t SP_PS_INSTR_SIZE = 0xAB05;      // old: SP_FS_INSTRLEN
inline constexpr uint32_t SP_PERFCTR_SHADER_MASK = 0xAE0F;  // old: SP_PERFCTR_ENABLE
inline constexpr uint32_t TPL1_CS_BORDER_COLOR_BASE = 0xB180;  // old: SP_PS_TP_BORDER_COLOR_BASE_ADDR
inline constexpr uint32_t TPL1_MODE_CNTL = 0xB309;        // old: SP_TP_MODE_CNTL
inline constexpr uint32_t TPL1_DBG_ECO_CNTL = 0xB600;
inline constexpr uint32_t SP_REG_PROG_ID_0 = 0xB983;      // old: HLSQ_CONTROL_2_REG (..3 = 0xB986)
inline constexpr uint32_t SP_CS_CONST_CONFIG = 0xB987;    // old: HLSQ_CS_CNTL
inline constexpr uint32_t SP_CS_NDRANGE_0 = 0xB990;       // old: HLSQ_CS_NDRANGE_0 (..6 = 0xB996)
inline constexpr uint32_t SP_CS_CONST_CONFIG_0 = 0xB997;  // old: HLSQ_CS_CNTL_0
inline constexpr uint32_t SP_CS_WGE_CNTL = 0xB998;        // old: HLSQ_CS_CNTL_1
inline constexpr uint32_t SP_CS_KERNEL_GROUP_X = 0xB999;  // old: HLSQ_CS_KERNEL_GROUP_X (Y, Z follow)
inline constexpr uint32_t HLSQ_CS_CTRL_REG1 = 0xB9D0;     // old: HLSQ_CS_UNKNOWN_B9D0
inline constexpr uint32_t SP_UPDATE_CNTL = 0xBB08;        // old: HLSQ_INVALIDATE_CMD

// a7xx offsets of the registers that moved (fact sheet §5 "a7xx differences").
namespace a7xx {
inline constexpr uint32_t RBBM_PERFCTR_CP_0 = 0x0300;
inline constexpr uint32_t SP_REG_PROG_ID_0 = 0xA9C8;
inline constexpr uint32_t SP_CS_CONST_CONFIG = 0xA9CD;
inline constexpr uint32_t SP_CS_NDRANGE_0 = 0xA9D4;
inline constexpr uint32_t SP_CS_WGE_CNTL = 0xA9DB;
inline constexpr uint32_t SP_CS_KERNEL_GROUP_X = 0xA9DC;
inline constexpr uint32_t SP_CS_NDRANGE_7 = 0xA9DF;
inline constexpr uint32_t SP_CS_UAV_BASE = 0xA9F8;
inline constexpr uint32_t SP_UPDATE_CNTL = 0xAB1F;
inline constexpr uint32_t SP_PS_WAVE_CNTL = 0xA9C6;
inline constexpr uint32_t SP_CS_VGS_CNTL = 0xA9C5;
}  // namespace a7xx

// ---- field rows (dword 0 = the register value) -------------------------------------------------
namespace fields {
using core::bool_field;
using core::hex_field;
using core::uint_field;
inline constexpr core::EnumName kThreadSizeNames[] = {{0, "THREAD64"}, {1, "THREAD128"}};
inline constexpr core::EnumName kConstRamModeNames[] = {
    {0, "CONSTLEN_128"}, {1, "CONSTLEN_192"}, {2, "CONSTLEN_256"}, {3, "CONSTLEN_512"}};
inline constexpr core::EnumName kIsamModeNames[] = {{1, "ISAMMODE_CL"}, {2, "ISAMMODE_GL"}};

inline constexpr core::BitField SP_CS_CNTL_0[] = {
    bool_field("threadmode", 0, 0, "THREADMODE"),
    uint_field("halfregfootprint", 0, 1, 6, "HALFREGFOOTPRINT"),
    uint_field("fullregfootprint", 0, 7, 12, "FULLREGFOOTPRINT"),
    bool_field("unk13", 0, 13, "bit 13 (unnamed)"),
    uint_field("branchstack", 0, 14, 19, "BRANCHSTACK"),
    core::enum_field("threadsize", 0, 20, 20, kThreadSizeNames, "THREADSIZE"),
    bool_field("earlypreamble", 0, 23, "EARLYPREAMBLE"),
    bool_field("mergedregs", 0, 31, "MERGEDREGS"),
};
inline constexpr core::BitField SP_CS_CNTL_1[] = {
    uint_field("shared_size", 0, 0, 4, "SHARED_SIZE (KiB granules: max(1, (bytes-1)/1024))"),
    core::enum_field("constantrammode", 0, 5, 6, kConstRamModeNames, "CONSTANTRAMMODE"),
};
inline constexpr core::BitField kFullDword[] = {hex_field("value", 0, 0, 31, "")};
inline constexpr core::BitField kAddressLo[] = {hex_field("lo", 0, 0, 31, "address bits 31:0")};
inline constexpr core::BitField kAddressHi[] = {hex_field("hi", 0, 0, 31, "address bits 63:32")};
inline constexpr core::BitField SP_CS_PVT_MEM_PARAM[] = {
    core::BitField{"memsizeperitem", 0, 0, 7, core::FieldKind::kUint, 9, 0, 0, {},
                   "MEMSIZEPERITEM: bytes per work-item, stored >> 9"},
    uint_field("hwstacksizeperthread", 0, 24, 31, "HWSTACKSIZEPERTHREAD"),
};
inline constexpr core::BitField SP_CS_PVT_MEM_SIZE[] = {
    core::BitField{"totalpvtmemsize", 0, 0, 17, core::FieldKind::kUint, 12, 0, 0, {},
                   "TOTALPVTMEMSIZE: bytes per SP, stored >> 12"},
    bool_field("perwavememlayout", 0, 31, "PERWAVEMEMLAYOUT"),
};
inline constexpr core::BitField SP_CS_CONFIG[] = {
    bool_field("bindless_tex", 0, 0, "BINDLESS_TEX"),
    bool_field("bindless_samp", 0, 1, "BINDLESS_SAMP"),
    bool_field("bindless_uav", 0, 2, "BINDLESS_UAV"),
    bool_field("bindless_ubo", 0, 3, "BINDLESS_UBO"),
    bool_field("enabled", 0, 8, "ENABLED"),
    uint_field("ntex", 0, 9, 16, "NTEX"),
    uint_field("nsamp", 0, 17, 21, "NSAMP"),
    uint_field("nuav", 0, 22, 28, "NUAV"),
};
// The sheet gives OFFSET [18:0] (Mesa: bytes >> 11), but tinygrad writes its byte value raw, which
// exceeds 19 bits as soon as a kernel has private memory (512 B/item -> 0x100000). Sources
// disagree (§3.4), so the register is described as a full dword and written as given.
inline constexpr core::BitField SP_CS_PVT_MEM_STACK_OFFSET[] = {
    hex_field("value", 0, 0, 31, "OFFSET [18:0] per Mesa; raw per tinygrad (UNCONFIRMED)"),
};
inline constexpr core::BitField SP_MODE_CNTL[] = {
    bool_field("constant_demotion_enable", 0, 0, "CONSTANT_DEMOTION_ENABLE"),
    core::enum_field("isammode", 0, 1, 2, kIsamModeNames, "ISAMMODE"),
    bool_field("shared_consts_enable", 0, 3, "SHARED_CONSTS_ENABLE"),
};
inline constexpr core::BitField SP_PERFCTR_SHADER_MASK[] = {bool_field("cs", 0, 5, "CS")};
inline constexpr core::BitField TPL1_MODE_CNTL[] = {
    core::enum_field("isammode", 0, 0, 1, kIsamModeNames, "ISAMMODE"),
    uint_field("unk3", 0, 2, 7, "UNK3 (old header; tinygrad once wrote 2, as the blob does)"),
};
inline constexpr core::BitField SP_CS_CONST_CONFIG[] = {
    core::BitField{"constlen", 0, 0, 7, core::FieldKind::kUint, 2, 0, 0, {},
                   "CONSTLEN in vec4, stored >> 2"},
    bool_field("enabled", 0, 8, "ENABLED"),
    bool_field("read_imm_shared_consts", 0, 9, "READ_IMM_SHARED_CONSTS"),
};
inline constexpr core::BitField SP_CS_NDRANGE_0[] = {
    uint_field("kerneldim", 0, 0, 1, "KERNELDIM"),
    uint_field("localsizex", 0, 2, 11, "LOCALSIZEX - 1").with_bias(1),
    uint_field("localsizey", 0, 12, 21, "LOCALSIZEY - 1").with_bias(1),
    uint_field("localsizez", 0, 22, 31, "LOCALSIZEZ - 1").with_bias(1),
};
inline constexpr core::BitField kGlobalSize[] = {uint_field("globalsize", 0, 0, 31, "work-items")};
inline constexpr core::BitField kGlobalOff[] = {uint_field("globaloff", 0, 0, 31, "work-items")};
inline constexpr core::BitField SP_CS_CONST_CONFIG_0[] = {
    hex_field("wgidconstid", 0, 0, 7, "WGIDCONSTID"),
    hex_field("wgsizeconstid", 0, 8, 15, "WGSIZECONSTID"),
    hex_field("wgoffsetconstid", 0, 16, 23, "WGOFFSETCONSTID"),
    hex_field("localidregid", 0, 24, 31, "LOCALIDREGID"),
};
inline constexpr core::BitField SP_CS_WGE_CNTL[] = {
    hex_field("linearlocalidregid", 0, 0, 7, "LINEARLOCALIDREGID"),
    bool_field("single_sp_core", 0, 8, "SINGLE_SP_CORE"),
    core::enum_field("threadsize", 0, 9, 9, kThreadSizeNames, "THREADSIZE"),
    bool_field("threadsize_scalar", 0, 10, "THREADSIZE_SCALAR"),
};
inline constexpr core::BitField kGroupCount[] = {uint_field("groups", 0, 0, 31, "work-groups")};
inline constexpr core::BitField SP_UPDATE_CNTL[] = {
    bool_field("vs_state", 0, 0, "VS_STATE"),
    bool_field("hs_state", 0, 1, "HS_STATE"),
    bool_field("ds_state", 0, 2, "DS_STATE"),
    bool_field("gs_state", 0, 3, "GS_STATE"),
    bool_field("fs_state", 0, 4, "FS_STATE"),
    bool_field("cs_state", 0, 5, "CS_STATE"),
    bool_field("cs_uav", 0, 6, "CS_UAV (old: CS_IBO)"),
    bool_field("gfx_uav", 0, 7, "GFX_UAV"),
    bool_field("gfx_shared_const", 0, 8, "GFX_SHARED_CONST"),
    uint_field("cs_bindless", 0, 9, 13, "CS_BINDLESS"),
    uint_field("gfx_bindless", 0, 14, 18, "GFX_BINDLESS"),
    bool_field("cs_shared_const", 0, 19, "CS_SHARED_CONST"),
};
}  // namespace fields

// One register: offset, names, fields, and the generations it has this offset on.
struct RegisterInfo {
  uint32_t offset;
  const char* name;      // new Mesa name (tinygrad autogen/mesa.py)
  const char* old_name;  // old Mesa name (a6xx.xml.h), "" when unchanged
  std::span<const core::BitField> fields;
  uint8_t gens;
};
// The register at `offset` on `gen`, or nullptr (printed as "REG 0x…").
const RegisterInfo* find_register(uint32_t offset, AdrenoGen gen);
// Every register the table knows on `gen` (tests, docs).
std::span<const RegisterInfo> register_table();

// ---- chips (fact sheet §5) --------------------------------------------------------------------
struct ChipInfo {
  const char* name;       // "A630"
  uint32_t chip_id;       // as KGSL reports it (the table's representative value)
  AdrenoGen gen;
  uint8_t a6xx_gen;       // Mesa a6xx_genN (1..4), 0 on a7xx
  bool has_lpac;          // a6xx gen4: Mesa writes SP_CS_WIE_CNTL_0/1 and HLSQ_CS_CTRL_REG1
  uint32_t num_sp;        // 0 = not in the sheet
  uint32_t fibers_per_sp; // private-memory sizing (Mesa); 0 = not in the sheet
  uint32_t instr_cache_units;  // 128-byte units the shader preload should stay within
  uint32_t reg_size_vec4;      // for the work-group size limit; 0 = not in the sheet
  uint32_t gmem_bytes;
};
inline constexpr ChipInfo kA630{"A630", 0x06030001, AdrenoGen::kA6xx, 1, false, 2, 2048, 64, 96,
                                1u << 20};
inline constexpr ChipInfo kA640{"A640", 0x06040001, AdrenoGen::kA6xx, 2, false, 0, 8192, 64, 0,
                                1u << 20};
inline constexpr ChipInfo kA650{"A650", 0x06050002, AdrenoGen::kA6xx, 3, false, 3, 4096, 127, 64,
                                1152u << 10};
// A660: fibers 4096 and 3 SPs from the sheet; instr cache 127 (a650+); reg_size_vec4 not given.
inline constexpr ChipInfo kA660{"A660", 0x06060001, AdrenoGen::kA6xx, 4, true, 3, 4096, 127, 0,
                                1536u << 10};
inline constexpr ChipInfo kA730{"A730", 0x07030001, AdrenoGen::kA7xx, 0, false, 4, 0, 127, 0,
                                2u << 20};
// The chip for a KGSL chip_id (matched by core/major/minor, the patch byte ignored; new-style
// 0x43… ids matched exactly), or nullopt.
std::optional<ChipInfo> chip_from_id(uint32_t chip_id);

// ---- the dispatch ----------------------------------------------------------------------------

// Which compiler produced the shader: sets SP_MODE_CNTL / TPL1_MODE_CNTL (§3.2 steps 4–5).
enum class IsaMode : uint8_t {
  kVendorCl,  // the Qualcomm OpenCL compiler: SP_MODE_CNTL 0x2, TPL1_MODE_CNTL 0x1
  kIr3,       // Mesa ir3: SP_MODE_CNTL 0x5 (ISAMMODE_GL | CONSTANT_DEMOTION), TPL1_MODE_CNTL 0x2
};
enum class Launch : uint8_t {
  kExecCs,     // CP_EXEC_CS carries the group counts (Mesa, tinygrad's ir3 path)
  kRunOpencl,  // CP_RUN_OPENCL; the CP takes the counts from KERNEL_GROUP_X/Y/Z (tinygrad CL path)
};

// Everything one dispatch needs. Addresses are GPU virtual addresses.
struct DispatchParams {
  // Shader (SP_CS_BASE must be 128-byte aligned; Mesa asserts it).
  uint64_t shader_iova = 0;
  uint32_t instrlen = 0;    // 128-byte units (SP_CS_INSTR_SIZE; also the preload NUM_UNIT)
  uint32_t prg_offset = 0;  // SP_CS_PROGRAM_COUNTER_OFFSET
  // Register footprint (SP_CS_CNTL_0).
  uint32_t full_regs = 0;
  uint32_t half_regs = 0;
  uint32_t branchstack = 0;  // the HW value (the vendor binary's field / 2)
  bool thread128 = false;    // THREADSIZE (tinygrad: 64)
  // Constants: CP_LOAD_STATE6 constants (INDIRECT) of const_units vec4 from consts_iova.
  uint64_t consts_iova = 0;
  uint32_t const_units = 256;    // 4 KiB, tinygrad (§3.3: the buffer must hold that much)
  uint32_t constlen_vec4 = 0;    // SP_CS_CONST_CONFIG.CONSTLEN: tinygrad 0 (raw 0x100), Mesa 256
  uint8_t constantrammode = 2;   // SP_CS_CNTL_1: CONSTLEN_256 (tinygrad)
  // Descriptors (INDIRECT loads; omitted when the count is 0).
  uint64_t uav_iova = 0;  // IBO descriptors, 16 dwords each
  uint32_t uav_count = 0;
  uint64_t tex_iova = 0;  // texture descriptors, 16 dwords each
  uint32_t tex_count = 0;
  uint64_t sampler_iova = 0;  // samplers, 4 dwords each
  uint32_t sampler_count = 0;
  uint64_t border_color_iova = 0;  // TPL1_CS_BORDER_COLOR_BASE (with samplers)
  // Private memory (§3.4).
  uint64_t pvt_mem_iova = 0;       // SP_CS_PVT_MEM_BASE (tinygrad's stack buffer)
  uint32_t pvt_mem_per_item = 0;   // bytes of private memory per work-item
  uint32_t hw_stack_offset = 0;    // SP_CS_PVT_MEM_STACK_OFFSET raw (see tg_hw_stack_offset)
  // Local memory and work shape.
  uint32_t shared_bytes = 0;       // local memory bytes per work-group
  std::array<uint32_t, 3> local_size{1, 1, 1};
  std::array<uint32_t, 3> groups{1, 1, 1};
  std::array<uint32_t, 3> global_offset{0, 0, 0};
  // Where the shader finds its ids (SP_CS_CONST_CONFIG_0 / SP_CS_WGE_CNTL): the vendor compiler's
  // fixed layout by default (0x00CCC0CF, 0xFC); ir3 passes its own.
  uint8_t wgid_const = 0xCF, wgsize_const = 0xC0, wgoffset_const = 0xCC, localid_reg = 0x00;
  uint8_t linear_localid_reg = 0xFC;
  IsaMode isa = IsaMode::kVendorCl;
  Launch launch = Launch::kExecCs;
  // Blob-derived raw values tinygrad writes (§3.2 step 3, §7: meaning UNCONFIRMED).
  uint32_t tsize = 0x80;
  uint32_t usize = 0x40;
  // Step 18: CP_EVENT_WRITE CACHE_FLUSH_TS to this 4 KiB scratch address; 0 = not emitted.
  uint64_t flush_ts_iova = 0;
};

// Writes the whole per-dispatch sequence into `out`. Allocation-free; fails with nothing usable
// (dwords 0) on: an a7xx chip; a value that does not fit its register field; misaligned shader
// (128 B) / descriptor (4 B) addresses; a local size outside 1..1024 per axis or above the chip's
// work-group limit; groups * local_size past 32 bits; a zero instrlen or group count; more than
// 16 textures (§3.2 step 14); too little space.
core::EncodeResult encode_dispatch(std::span<uint32_t> out, const DispatchParams& p,
                                   const ChipInfo& chip);
// Dwords encode_dispatch writes for `p` (an upper bound that is exact when it succeeds).
uint32_t dispatch_dwords(const DispatchParams& p, const ChipInfo& chip);

// ---- helpers (§3.4) --------------------------------------------------------------------------
constexpr uint32_t round_up(uint32_t v, uint32_t a) { return (v + a - 1) / a * a; }
// SP_CS_CNTL_1.SHARED_SIZE for `bytes` of local memory: max(1, (bytes - 1) / 1024).
constexpr uint32_t shared_size_field(uint32_t bytes) {
  return bytes <= 1 ? 1u : ((bytes - 1) / 1024 > 1 ? (bytes - 1) / 1024 : 1u);
}
// Bytes per SP of private memory (Mesa): align(round_up(per_item, 512) * fibers_per_sp, 4096).
constexpr uint64_t pvt_mem_per_sp(uint32_t per_item, const ChipInfo& c) {
  const uint64_t v = uint64_t{round_up(per_item, 512)} * c.fibers_per_sp;
  return (v + 4095) / 4096 * 4096;
}
// tinygrad's SP_CS_PVT_MEM_STACK_OFFSET value (written raw): round_up(next_pow2(round_up(pvtmem,
// 512)) * 128 * 16, 4096); its stack buffer is 4x that.
constexpr uint32_t tg_hw_stack_offset(uint32_t per_item) {
  uint32_t v = round_up(per_item, 512);
  uint32_t p = 1;
  while (p < v) p <<= 1;
  if (v == 0) p = 0;
  return round_up(p * 128u * 16u, 4096);
}
// Largest work-group for a register footprint (MESA fd6_compute; tinygrad): min(1024,
// floor(reg_size_vec4*128 / ((full + ceil(half/2)) * 128)) * 128); 1024 when the chip's
// reg_size_vec4 is not known.
constexpr uint32_t max_threads(uint32_t full_regs, uint32_t half_regs, const ChipInfo& c) {
  if (c.reg_size_vec4 == 0) return 1024;
  uint32_t regs = full_regs + (half_regs + 1) / 2;
  if (regs == 0) regs = 1;
  const uint32_t t = (c.reg_size_vec4 * 128u) / (regs * 128u) * 128u;
  return t < 1024 ? t : 1024;
}

}  // namespace rawgpu::qcom::a6xx
