// rawgpu — AMD command packets: PM4 type-3 (compute queues), SDMA (copy queues) and AQL (HSA
// queues). One description per packet (STYLE rule 5): each packet's fields are written once, in
// its PacketTraits<>::visit below, as core::BitField rows mapped onto the members of the packet's
// struct. The encoder, the typed decoder (DecodedPacket::as<>), the validator and the printer
// (`rawgpu decode`, timeout messages) all run that one visit.
//
// Facts: shared/abi/amd-kfd.md §4.5, §6.1–§6.3, §9 (the "fact sheet"), which took them from
// tinygrad autogen/am/pm4_nv.py, pm4_soc15.py, sdma_4_0_0.py, sdma_5_0_0.py, sdma_6_0_0.py,
// autogen/hsa.py and runtime/ops_amd.py (generated from linux amdgpu nvd.h, soc15d.h,
// sdma_v*_0 headers and ROCm hsa.h). Bits the fact sheet does not give are marked with their own
// source; guesses are marked UNCONFIRMED. docs/amd-packets.md lists what is covered.
//
// Encoding (hot path: queues/ and kfd/device):
//   core::EncodeResult r = kfd::encode(ring_span, Pm4ReleaseMem{...}, GfxGen::kGfx11);
//   if (!r) return core::to_error(r);
//   put += r.dwords;
// - Every encoder is inline and constexpr, allocates nothing, makes no virtual call, and builds
//   the fixed part of the packet in a local array, then stores each destination dword exactly
//   once (the ring is uncached GTT: never read it back). Constant fields fold at compile time.
// - Every value is checked against its field: a value that does not fit, a member that does not
//   exist on the requested generation but is non-zero, or a broken rule between fields (e.g.
//   64-bit RELEASE_MEM data to a 4-byte aligned address) fails with nothing written; the
//   EncodeResult names the packet, field, value and rule. Bits no field covers stay zero.
// - `out` too short: kNoSpace, nothing written. packet_dwords() gives the size beforehand.
//
// Decoding (simulator command processors, `rawgpu decode`, timeout errors):
//   decode_pm4 / decode_sdma / decode_aql validate one packet and return a DecodedPacket that
//   points into the caller's buffer (no copy, no allocation on success). They reject unknown
//   opcodes, counts that disagree with the packet, packets past the end of the buffer, reserved
//   bits set, enum values outside their table and broken field rules, with
//   Error::invalid("PM4 RELEASE_MEM at dword 12", "count 300 runs past the end of ...").
//   disassemble() walks a whole buffer into "0x0010: PM4 RELEASE_MEM{event_type=..., ...}" lines.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/bits.h"
#include "core/error.h"

namespace rawgpu::kfd {

// ---- generations -------------------------------------------------------------------------------

// PM4 layout family (fact sheet §9): gfx9 = soc15 forms (gfx90a, gfx942, gfx950); gfx10+ = nv
// forms with GCR cache controls (gfx1030, gfx11xx, gfx12xx).
enum class GfxGen : uint8_t { kGfx9, kGfx10, kGfx11, kGfx12 };
// SDMA packet family (fact sheet §6.3): 4.x (gfx9), 5.x (gfx10), 6.x. tinygrad uses the 6.0
// definitions for every SDMA >= 6, so kSdma6 also covers SDMA 7.x (gfx12).
enum class SdmaGen : uint8_t { kSdma4, kSdma5, kSdma6 };
// AQL packets do not vary by generation.
enum class NoGen : uint8_t { kAny };
enum class Engine : uint8_t { kPm4, kSdma, kAql };

// gfx_target_version (fact sheet §1.4: major*10000 + minor*100 + stepping) -> family. Versions
// below 90000 or from 130000 on are kUnsupported, named in the error.
core::Result<GfxGen> gfx_gen_of(uint32_t gfx_target_version);
// SDMA IP major version (ip_discovery HWID 42) -> family; below 4 is kUnsupported.
core::Result<SdmaGen> sdma_gen_of_ip(uint32_t sdma_ip_major);
// The SDMA family that ships with a GFX family (fact sheet §9 table): 9 -> 4.x, 10 -> 5.x,
// 11/12 -> 6.x definitions. Prefer sdma_gen_of_ip when ip_discovery is readable.
constexpr SdmaGen default_sdma_gen(GfxGen g) {
  return g == GfxGen::kGfx9    ? SdmaGen::kSdma4
         : g == GfxGen::kGfx10 ? SdmaGen::kSdma5
                               : SdmaGen::kSdma6;
}
const char* gfx_gen_name(GfxGen g);    // "gfx9"
const char* sdma_gen_name(SdmaGen g);  // "SDMA 4.x"
const char* engine_name(Engine e);     // "PM4", "SDMA", "AQL"

// ---- opcodes and registers -------------------------------------------------------------------

// PM4 type-3 IT_OPCODEs (fact sheet §6.2; linux nvd.h/soc15d.h PACKET3_* via tinygrad
// autogen/am/pm4_nv.py). Same on gfx9–gfx12.
inline constexpr uint8_t IT_NOP = 0x10;
inline constexpr uint8_t IT_DISPATCH_DIRECT = 0x15;
inline constexpr uint8_t IT_PRED_EXEC = 0x23;
inline constexpr uint8_t IT_WRITE_DATA = 0x37;
inline constexpr uint8_t IT_WAIT_REG_MEM = 0x3C;
inline constexpr uint8_t IT_INDIRECT_BUFFER = 0x3F;
inline constexpr uint8_t IT_COPY_DATA = 0x40;  // not described (only named in errors)
inline constexpr uint8_t IT_EVENT_WRITE = 0x46;
inline constexpr uint8_t IT_RELEASE_MEM = 0x49;
inline constexpr uint8_t IT_ACQUIRE_MEM = 0x58;
inline constexpr uint8_t IT_SET_SH_REG = 0x76;
inline constexpr uint8_t IT_SET_UCONFIG_REG = 0x79;

// SH and UCONFIG register windows (dword addresses). SET_SH_REG/SET_UCONFIG_REG carry
// reg - base (fact sheet §6.2). The SH window ends at 0x3000 (PACKET3_SET_SH_REG_END in
// tinygrad autogen/am/pm4_nv.py); UCONFIG offsets are limited only by their 16-bit field
// (tinygrad ops_amd.py wreg accepts up to base + 0xFFFF).
inline constexpr uint32_t kShRegBase = 0x2C00;
inline constexpr uint32_t kShRegEnd = 0x3000;
inline constexpr uint32_t kUconfigRegBase = 0xC000;

// COMPUTE registers (dword addresses, fact sheet §6.2 table: gc 9.4.3, 11.0.x, 11.5.x, 12.0.0;
// assumed the same on gc 9.4.2 and 10.3, UNCONFIRMED).
inline constexpr uint32_t regCOMPUTE_DISPATCH_INITIATOR = 0x2E00;
inline constexpr uint32_t regCOMPUTE_START_X = 0x2E04;
inline constexpr uint32_t regCOMPUTE_START_Y = 0x2E05;
inline constexpr uint32_t regCOMPUTE_START_Z = 0x2E06;
inline constexpr uint32_t regCOMPUTE_NUM_THREAD_X = 0x2E07;
inline constexpr uint32_t regCOMPUTE_NUM_THREAD_Y = 0x2E08;
inline constexpr uint32_t regCOMPUTE_NUM_THREAD_Z = 0x2E09;
inline constexpr uint32_t regCOMPUTE_PIPELINESTAT_ENABLE = 0x2E0A;
inline constexpr uint32_t regCOMPUTE_PERFCOUNT_ENABLE = 0x2E0B;
inline constexpr uint32_t regCOMPUTE_PGM_LO = 0x2E0C;
inline constexpr uint32_t regCOMPUTE_PGM_HI = 0x2E0D;
inline constexpr uint32_t regCOMPUTE_DISPATCH_SCRATCH_BASE_LO = 0x2E10;
inline constexpr uint32_t regCOMPUTE_DISPATCH_SCRATCH_BASE_HI = 0x2E11;
inline constexpr uint32_t regCOMPUTE_PGM_RSRC1 = 0x2E12;
inline constexpr uint32_t regCOMPUTE_PGM_RSRC2 = 0x2E13;
inline constexpr uint32_t regCOMPUTE_RESOURCE_LIMITS = 0x2E15;
inline constexpr uint32_t regCOMPUTE_STATIC_THREAD_MGMT_SE0 = 0x2E16;
inline constexpr uint32_t regCOMPUTE_TMPRING_SIZE = 0x2E18;
inline constexpr uint32_t regCOMPUTE_RESTART_X = 0x2E1B;
inline constexpr uint32_t regCOMPUTE_RESTART_Y = 0x2E1C;
inline constexpr uint32_t regCOMPUTE_RESTART_Z = 0x2E1D;
inline constexpr uint32_t regCOMPUTE_USER_DATA_0 = 0x2E40;  // .. _15 = 0x2E4F
inline constexpr uint32_t regGRBM_GFX_INDEX = 0xC200;       // UCONFIG
// COMPUTE_PGM_RSRC3 moved: 0x2E2D on gc 9.4.3 (assumed for all gfx9, UNCONFIRMED for 9.4.2),
// 0x2E28 on gc 11/12; unknown on gc 10.3 (nullopt).
constexpr std::optional<uint32_t> compute_pgm_rsrc3_reg(GfxGen g) {
  if (g == GfxGen::kGfx9) return 0x2E2D;
  if (g == GfxGen::kGfx10) return std::nullopt;
  return 0x2E28;
}

// ---- scratch (private segment) registers and descriptors (fact sheet §7, §4.6, §8.5) -------
// COMPUTE_TMPRING_SIZE: WAVES[11:0] (waves that may hold scratch at once: per XCC on gfx9, per SE
// on gfx10+), WAVESIZE from bit 12 in granules of scratch_wave_granule() bytes per wave; its
// width is 13 bits on gfx9, 15 on gfx11, 18 on gfx12 (fact sheet §7); gfx10's width is
// UNCONFIRMED (§9 table) and taken as 13.
struct TmpringSize {
  uint32_t waves = 0;
  uint32_t wavesize = 0;  // granules per wave
  bool operator==(const TmpringSize&) const = default;
};
constexpr uint32_t tmpring_wavesize_bits(GfxGen g) {
  return g == GfxGen::kGfx12 ? 18 : g == GfxGen::kGfx11 ? 15 : 13;
}
// Bytes per WAVESIZE unit: 1 KiB on gfx9, 256 B on gfx10+ (fact sheet §7 `align`, §9 table).
constexpr uint32_t scratch_wave_granule(GfxGen g) { return g == GfxGen::kGfx9 ? 1024 : 256; }
inline constexpr uint32_t kTmpringMaxWaves = 0xFFF;
// nullopt when a field does not fit its width.
constexpr std::optional<uint32_t> encode_tmpring_size(TmpringSize t, GfxGen g) {
  if (t.waves > kTmpringMaxWaves || t.wavesize >= (1u << tmpring_wavesize_bits(g))) return std::nullopt;
  return t.waves | (t.wavesize << 12);
}
constexpr TmpringSize decode_tmpring_size(uint32_t v, GfxGen g) {
  return {.waves = v & kTmpringMaxWaves, .wavesize = (v >> 12) & ((1u << tmpring_wavesize_bits(g)) - 1)};
}

// The scratch buffer resource (V#) of the private segment: the 4 user SGPRs a kernel with
// ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER receives, and amd_queue_t.scratch_resource_descriptor.
// Word0 base[31:0]; word1 base[47:32] | SWIZZLE_ENABLE (bit 31 on gfx9, fact sheet §7 "1<<31",
// kept on gfx10+ as tinygrad does); word2 num_records; word3 format/stride/ADD_TID:
// gfx9 0x00EA4FAC, gfx10+ 0x20E14FAC (fact sheet §7, AQL scratch V#).
inline constexpr uint32_t kScratchVsharpSwizzle = 1u << 31;
inline constexpr uint32_t kScratchVsharpAddTid = 1u << 23;  // ADD_TID_ENABLE in both word3 forms
constexpr uint32_t scratch_vsharp_word3(GfxGen g) { return g == GfxGen::kGfx9 ? 0x00EA4FACu : 0x20E14FACu; }
constexpr std::array<uint32_t, 4> scratch_vsharp(uint64_t base, uint32_t num_records, GfxGen g) {
  return {static_cast<uint32_t>(base), static_cast<uint32_t>((base >> 32) & 0xFFFF) | kScratchVsharpSwizzle,
          num_records, scratch_vsharp_word3(g)};
}
constexpr uint64_t scratch_vsharp_base(std::span<const uint32_t, 4> v) {
  return v[0] | (uint64_t{v[1] & 0xFFFF} << 32);
}
// gfx940+/gfx11+ have architected flat scratch: the CP programs the wave's scratch base from
// COMPUTE_DISPATCH_SCRATCH_BASE_LO/HI (base >> 8) and kernels take no scratch user SGPRs
// (fact sheet §7, §8.3 "bits 0 and 5 must be 0", §9 table). gfx90a and gfx10 take the V#.
constexpr bool architected_flat_scratch(uint32_t gfx_target_version) {
  return gfx_target_version >= 110000 || (gfx_target_version >= 90400 && gfx_target_version < 100000);
}

// SDMA ops and sub-ops (fact sheet §6.3; SDMA_OP_* in tinygrad autogen/am/sdma_6_0_0.py).
inline constexpr uint8_t SDMA_OP_NOP = 0;
inline constexpr uint8_t SDMA_OP_COPY = 1;
inline constexpr uint8_t SDMA_OP_WRITE = 2;
inline constexpr uint8_t SDMA_OP_INDIRECT = 4;  // not described
inline constexpr uint8_t SDMA_OP_FENCE = 5;
inline constexpr uint8_t SDMA_OP_TRAP = 6;
inline constexpr uint8_t SDMA_OP_POLL_REGMEM = 8;
inline constexpr uint8_t SDMA_OP_ATOMIC = 10;      // not described
inline constexpr uint8_t SDMA_OP_CONST_FILL = 11;  // not described (no layout in the fact sheet)
inline constexpr uint8_t SDMA_OP_TIMESTAMP = 13;
inline constexpr uint8_t SDMA_OP_GCR_REQ = 17;     // SDMA 5.x+
inline constexpr uint8_t SDMA_OP_DUMMY_TRAP = 32;  // not described
inline constexpr uint8_t SDMA_SUBOP_COPY_LINEAR = 0;
inline constexpr uint8_t SDMA_SUBOP_WRITE_LINEAR = 0;
inline constexpr uint8_t SDMA_SUBOP_TIMESTAMP_GET = 1;
inline constexpr uint8_t SDMA_SUBOP_TIMESTAMP_GET_GLOBAL = 2;

// AQL (fact sheet §6.1; hsa.h via tinygrad autogen/hsa.py).
inline constexpr uint8_t HSA_PACKET_TYPE_VENDOR_SPECIFIC = 0;
inline constexpr uint8_t HSA_PACKET_TYPE_INVALID = 1;
inline constexpr uint8_t HSA_PACKET_TYPE_KERNEL_DISPATCH = 2;
inline constexpr uint8_t HSA_PACKET_TYPE_BARRIER_AND = 3;
inline constexpr uint8_t HSA_PACKET_TYPE_AGENT_DISPATCH = 4;  // not described
inline constexpr uint8_t HSA_PACKET_TYPE_BARRIER_OR = 5;
inline constexpr uint8_t AMD_AQL_FORMAT_PM4_IB = 1;
inline constexpr uint8_t AMD_AQL_FORMAT_BARRIER_VALUE = 2;
inline constexpr uint32_t kAqlPacketDwords = 16;  // 64 bytes
// Dword 0 of a slot nobody has published: type INVALID, everything else 0.
inline constexpr uint32_t kAqlInvalidSlotDword0 = HSA_PACKET_TYPE_INVALID;

// ---- field value enums -------------------------------------------------------------------------

// WAIT_REG_MEM FUNCTION and SDMA POLL_REGMEM FUNC (same codes, fact sheet §6.2/§6.3):
// compare (value & mask) FUNC reference. Printed ALWAYS, LT, LEQ, EQ, NEQ, GEQ, GT.
enum class CompareFunc : uint8_t {
  kAlways = 0,
  kLess = 1,
  kLessEqual = 2,
  kEqual = 3,
  kNotEqual = 4,
  kGreaterEqual = 5,
  kGreater = 6,
};
// Hardware event numbers (fact sheet §6.2 "EVENT_WRITE types used" and RELEASE_MEM). Other
// 6-bit values are legal and print in hex.
enum class EventType : uint8_t {
  CS_PARTIAL_FLUSH = 0x07,
  CACHE_FLUSH_AND_INV_TS_EVENT = 0x14,
  BOTTOM_OF_PIPE_TS = 0x28,
  THREAD_TRACE_MARKER = 0x35,
  THREAD_TRACE_FINISH = 0x37,
};
// RELEASE_MEM EVENT_INDEX (fact sheet §6.2; pm4_nv.py event_index__mec_release_mem__*).
enum class ReleaseMemEventIndex : uint8_t { kEndOfPipe = 5, kShaderDone = 6 };
// RELEASE_MEM DATA_SEL (fact sheet §6.2; names from pm4_nv.py data_sel__mec_release_mem__*).
enum class DataSel : uint8_t {
  kNone = 0,           // NONE
  kSend32BitLow = 1,   // SEND_32_BIT_LOW
  kSend64BitData = 2,  // SEND_64_BIT_DATA
  kSendGpuClockCounter =
      3,  // SEND_GPU_CLOCK_COUNTER (64-bit; tinygrad assumes 100 MHz, UNCONFIRMED)
  kSendCpPerfcounterHiLo = 4,
  kStoreGdsDataToMemory = 5,
};
// RELEASE_MEM INT_SEL (fact sheet §6.2; pm4_nv.py int_sel__mec_release_mem__*).
enum class IntSel : uint8_t {
  kNone = 0,
  kSendInterruptOnly = 1,
  kSendInterruptAfterWriteConfirm = 2,  // KFD event: ctxid = event_id (fact sheet §5)
  kSendDataAfterWriteConfirm = 3,
  kUnconditionallySendIntCtxid = 4,
  kConditionallySendIntCtxid32 = 5,
  kConditionallySendIntCtxid64 = 6,
};
// RELEASE_MEM DST_SEL, gfx10+ only (pm4_nv.py dst_sel__mec_release_mem__*).
enum class DstSel : uint8_t {
  kMemoryController = 0,
  kTcL2 = 1,
  kQueueWritePointerRegister = 2,
  kQueueWritePointerPollMaskBit = 3,
};
// WAIT_REG_MEM OPERATION (fact sheet §6.2): 0 wait, 1 write reg1 then wait on reg2, 3 preemptable
// memory wait.
enum class WaitRegMemOperation : uint8_t { kWait = 0, kWriteWait = 1, kWaitPreemptable = 3 };
// WRITE_DATA DST_SEL (pm4_nv.py dst_sel___write_data__*; not in the fact sheet).
enum class WriteDataDstSel : uint8_t {
  kMemMappedRegister = 0,
  kTcL2 = 2,
  kGds = 3,
  kMemory = 5,
  kMemoryMappedAdcPersistentState = 6,
};
// SDMA TIMESTAMP sub-ops described here (SET, sub-op 0, carries data, not an address).
enum class SdmaTimestampOp : uint8_t { kGet = 1, kGetGlobal = 2 };
// AQL acquire/release fence scope.
enum class FenceScope : uint8_t { kNone = 0, kAgent = 1, kSystem = 2 };
// AMD BARRIER_VALUE condition.
enum class BarrierValueCond : uint8_t { kEqual = 0, kNotEqual = 1, kLess = 2, kGreaterEqual = 3 };

// ---- PM4 packets -----------------------------------------------------------------------------
// Struct members carry the packet's field names; the PM4 header (type 3, COUNT = dwords after the
// header - 1, IT_OPCODE; PREDICATE and SHADER_TYPE written 0 as tinygrad does) is filled in by the
// encoder. Members marked "gfx9 only"/"gfx10+" must stay zero on other generations.

// NOP (IT_NOP 0x10): count+1 payload dwords that the CP skips. tinygrad uses one to hide the
// commands its multi-XCC IB trick points at (fact sheet §6.2).
struct Pm4Nop {
  std::span<const uint32_t> payload;  // at least 1 dword
};

// SET_SH_REG (0x76): values for consecutive SH registers from `reg`. Register dword address;
// the packet stores reg - 0x2C00 in [15:0]; reg + values.size() must stay <= 0x3000.
struct Pm4SetShReg {
  uint32_t reg = 0;
  std::span<const uint32_t> values;  // at least 1
};

// SET_UCONFIG_REG (0x79): as SET_SH_REG in the UCONFIG window (reg - 0xC000 in [15:0]).
struct Pm4SetUconfigReg {
  uint32_t reg = 0;
  std::span<const uint32_t> values;  // at least 1
};

// COMPUTE_DISPATCH_INITIATOR bits (fact sheet §6.2). Defaults are tinygrad's (bits 0 and 2).
struct DispatchInitiator {
  bool compute_shader_en = true;       // bit 0
  bool partial_tg_en = false;          // bit 1
  bool force_start_at_000 = true;      // bit 2
  bool use_thread_dimensions = false;  // bit 5
  bool order_mode = false;             // bit 6
  bool cs_w32_en = false;              // bit 15, gfx10+: 1 = wave32
  bool operator==(const DispatchInitiator&) const = default;
};

// DISPATCH_DIRECT (0x15): launch dim_x*dim_y*dim_z **workgroups** with the SH state set before.
struct Pm4DispatchDirect {
  uint32_t dim_x = 1, dim_y = 1, dim_z = 1;
  DispatchInitiator initiator;
  bool operator==(const Pm4DispatchDirect&) const = default;
};

// gfx9 CP_COHER_CNTL bits of ACQUIRE_MEM (fact sheet §6.2).
struct CoherCntl {
  bool tc_nc = false;            // 3  TC_NC_ACTION_ENA
  bool tc_wc = false;            // 4
  bool tc_inv_metadata = false;  // 5
  bool tcl1_vol = false;         // 15
  bool tc_wb = false;            // 18
  bool tcl1 = false;             // 22 (vector L1)
  bool tc = false;               // 23 (L2)
  bool cb = false;               // 25
  bool db = false;               // 26
  bool sh_kcache = false;        // 27
  bool sh_kcache_vol = false;    // 28
  bool sh_icache = false;        // 29
  bool sh_kcache_wb = false;     // 30
  bool operator==(const CoherCntl&) const = default;
};

// gfx10+ GCR_CNTL (ACQUIRE_MEM dword 7; SDMA GCR_REQ gcr_control) — fact sheet §6.2.
struct GcrCntl {
  uint8_t gli_inv = 0;       // [1:0] instruction cache invalidate
  uint8_t gl1_range = 0;     // [3:2]
  bool glm_wb = false;       // 4
  bool glm_inv = false;      // 5
  bool glk_wb = false;       // 6  scalar cache
  bool glk_inv = false;      // 7
  bool glv_inv = false;      // 8  vector L0
  bool gl1_inv = false;      // 9
  bool gl2_us = false;       // 10
  uint8_t gl2_range = 0;     // [12:11]
  bool gl2_discard = false;  // 13
  bool gl2_inv = false;      // 14
  bool gl2_wb = false;       // 15
  uint8_t seq = 0;           // [17:16]
  bool range_is_pa = false;  // 18
  bool operator==(const GcrCntl&) const = default;
};

// ACQUIRE_MEM (0x58): cache writeback/invalidate over [coher_base, coher_base + coher_size).
// gfx9: 7 dwords [CP_COHER_CNTL, size lo/hi, base lo/hi, poll]; gfx10+: 8 dwords
// [0, size lo/hi, base lo/hi, poll, GCR_CNTL] (fact sheet §6.2). tinygrad writes size all-ones and
// base 0 (the whole VA) and poll 0x0A on gfx9, 0 on gfx10+. The CP's units for size/base
// (256-byte, per Mesa) are UNCONFIRMED; the values are stored as given.
struct Pm4AcquireMem {
  uint64_t coher_size = ~uint64_t{0};
  uint64_t coher_base = 0;
  uint16_t poll_interval = 0;  // [15:0]; width UNCONFIRMED
  CoherCntl coher_cntl;        // gfx9 only
  GcrCntl gcr_cntl;            // gfx10+
  bool operator==(const Pm4AcquireMem&) const = default;
};

// gfx9 RELEASE_MEM end-of-pipe cache actions (EOP_*_ACTION_EN, fact sheet §6.2).
struct ReleaseMemGfx9Cache {
  bool tcl1_vol = false;  // 12
  bool tc_vol = false;    // 13
  bool tc_wb = false;     // 15
  bool tcl1 = false;      // 16
  bool tc = false;        // 17
  bool tc_nc = false;     // 19
  bool tc_md = false;     // 21
  bool operator==(const ReleaseMemGfx9Cache&) const = default;
};

// gfx10+ RELEASE_MEM GCR cache actions (PACKET3_RELEASE_MEM_GCR_*, fact sheet §6.2).
struct ReleaseMemGcr {
  bool glm_wb = false;       // 12
  bool glm_inv = false;      // 13
  bool glv_inv = false;      // 14
  bool gl1_inv = false;      // 15
  bool gl2_us = false;       // 16
  uint8_t gl2_range = 0;     // [18:17]
  bool gl2_discard = false;  // 19
  bool gl2_inv = false;      // 20
  bool gl2_wb = false;       // 21
  bool seq = false;          // 22
  bool operator==(const ReleaseMemGcr&) const = default;
};

// RELEASE_MEM (0x49), 8 dwords on every generation: at `event_type`, optionally flush caches,
// then write `data` (DATA_SEL) to `addr` and/or raise an interrupt with `int_ctxid` (INT_SEL).
// addr must be 4-byte aligned, 8-byte aligned for 64-bit DATA_SEL (2, 3, 4).
struct Pm4ReleaseMem {
  EventType event_type = EventType::CACHE_FLUSH_AND_INV_TS_EVENT;
  ReleaseMemEventIndex event_index = ReleaseMemEventIndex::kEndOfPipe;
  ReleaseMemGfx9Cache gfx9_cache;              // gfx9 only
  ReleaseMemGcr gcr;                           // gfx10+
  uint8_t cache_policy = 0;                    // [26:25], gfx10+
  bool execute = false;                        // 28 (EOP_EXEC on gfx9)
  DstSel dst_sel = DstSel::kMemoryController;  // gfx10+ (the fact sheet: no DST_SEL on gfx9)
  IntSel int_sel = IntSel::kNone;
  DataSel data_sel = DataSel::kNone;
  uint64_t addr = 0;
  uint64_t data = 0;
  uint32_t int_ctxid = 0;
  bool operator==(const Pm4ReleaseMem&) const = default;
};

// WAIT_REG_MEM (0x3C), memory form (MEM_SPACE=1): wait until (*addr & mask) FUNCTION reference,
// re-reading every poll_interval. addr 4-byte aligned. 7 dwords.
struct Pm4WaitRegMem {
  CompareFunc function = CompareFunc::kGreaterEqual;
  WaitRegMemOperation operation = WaitRegMemOperation::kWait;  // kWait or kWaitPreemptable
  uint64_t addr = 0;
  uint32_t reference = 0;
  uint32_t mask = 0xFFFFFFFF;
  uint16_t poll_interval = 4;  // [15:0]; width UNCONFIRMED
  bool operator==(const Pm4WaitRegMem&) const = default;
};

// WAIT_REG_MEM register form (MEM_SPACE=0): wait on register reg1, or with kWriteWait write
// reg1 then wait on reg2 — tinygrad's HDP flush (fact sheet §3.5: reg1 = 0xE26, reg2 = 0xE27,
// reference = mask = 0xFFFFFFFF, GEQ).
struct Pm4WaitRegMemReg {
  CompareFunc function = CompareFunc::kGreaterEqual;
  WaitRegMemOperation operation = WaitRegMemOperation::kWait;  // kWait or kWriteWait
  uint32_t reg1 = 0;  // dword register addresses; widths UNCONFIRMED, full dword accepted
  uint32_t reg2 = 0;
  uint32_t reference = 0;
  uint32_t mask = 0xFFFFFFFF;
  uint16_t poll_interval = 4;
  bool operator==(const Pm4WaitRegMemReg&) const = default;
};

// WRITE_DATA (0x37), MEC form (not in the fact sheet: bits from tinygrad pm4_nv.py
// struct_pm4_mec_write_data_mmio and WRITE_DATA_* macros): write `data` to dst_addr.
// Memory destinations need 4-byte alignment; a register destination is a dword address < 2^18.
struct Pm4WriteData {
  WriteDataDstSel dst_sel = WriteDataDstSel::kMemory;  // [11:8]
  bool wr_one_addr = false;  // 16 (ADDR_INCR: 1 = every dword to the same address)
  bool resume_vf = false;    // 19
  bool wr_confirm = false;   // 20
  uint8_t cache_policy = 0;  // [26:25]
  uint64_t dst_addr = 0;
  std::span<const uint32_t> data;  // at least 1
};

// EVENT_WRITE (0x46), the 1-dword-body form only (no address; fact sheet §6.2: n = 0).
// tinygrad: CS_PARTIAL_FLUSH with event_index 4 after every dispatch.
struct Pm4EventWrite {
  EventType event_type = EventType::CS_PARTIAL_FLUSH;
  uint8_t event_index = 4;  // [11:8]
  bool operator==(const Pm4EventWrite&) const = default;
};

// INDIRECT_BUFFER (0x3F): run ib_size dwords at ib_base (4-byte aligned) (fact sheet §6.2:
// ib_lo, ib_hi, size | VALID 23). IB_SIZE[19:0] and CHAIN 20 from Mesa
// src/amd/common/sid.h (S_3F2_*); PRE_ENB 21, CACHE_POLICY[29:28], PRE_RESUME 30 from tinygrad
// pm4_nv.py INDIRECT_BUFFER_*.
struct Pm4IndirectBuffer {
  uint64_t ib_base = 0;
  uint32_t ib_size = 0;  // dwords, [19:0]
  bool chain = false;
  bool pre_enb = false;
  bool valid = true;
  uint8_t cache_policy = 0;
  bool pre_resume = false;
  bool operator==(const Pm4IndirectBuffer&) const = default;
};

// PRED_EXEC (0x23): run the next exec_count dwords only on the XCCs in device_select (multi-XCC;
// only honoured inside an IB). Fact sheet §6.2: (xcc_mask << 24) | dwords. EXEC_COUNT width
// [13:0] UNCONFIRMED.
struct Pm4PredExec {
  uint16_t exec_count = 0;
  uint8_t device_select = 1;  // xcc mask [31:24]
  bool operator==(const Pm4PredExec&) const = default;
};

// ---- SDMA packets ----------------------------------------------------------------------------
// Header dword: OP[7:0], SUB_OP[15:8], op-specific bits above (fact sheet §6.3). SDMA queues count
// bytes; packets never straddle the ring wrap: pad the tail with fill_sdma_nops().

// NOP: header with COUNT[29:16] = payload dwords, then the payload; a zero dword is a 1-dword NOP.
// The fact sheet only has the 1-dword NOP; COUNT is SDMA_PKT_NOP_HEADER_count in tinygrad
// sdma_*.py, read as "payload dwords that follow" after linux sdma_v5_0 burst NOPs (UNCONFIRMED).
struct SdmaNop {
  std::span<const uint32_t> payload;  // empty = the 1-dword NOP (0x00000000)
};

// COPY_LINEAR (op 1 sub 0), 7 dwords: copy `bytes` from src to dst. COUNT = bytes - 1 in 22 bits
// on SDMA 4.x/5.x, 30 bits on 6.x (fact sheet §6.3), so at most sdma_copy_max_bytes(gen) per
// packet; encode_sdma_copy() splits larger copies.
struct SdmaCopyLinear {
  uint64_t src = 0;
  uint64_t dst = 0;
  uint32_t bytes = 0;
  bool encrypt = false;          // 16
  bool tmz = false;              // 18
  bool cpv = false;              // 19, SDMA 6.x
  bool backwards = false;        // 25, SDMA 5.x+ (absent from sdma_4_0_0.py)
  uint8_t dst_sw = 0;            // PARAMETER [17:16]
  uint8_t src_sw = 0;            // PARAMETER [25:24]
  uint8_t dst_cache_policy = 0;  // PARAMETER [20:18], SDMA 6.x (positions: sdma_6_0_0.py)
  uint8_t src_cache_policy = 0;  // PARAMETER [28:26], SDMA 6.x
  // BROADCAST (27) turns the packet into a two-destination form that is not described: the
  // decoder rejects it as a reserved bit.
  bool operator==(const SdmaCopyLinear&) const = default;
};

// WRITE_UNTILED (op 2 sub 0), 4 + N dwords: write `data` to dst (4-byte aligned).
// DW3 = N - 1 [19:0] | SW [25:24] (fact sheet §6.3).
struct SdmaWriteUntiled {
  uint64_t dst = 0;
  uint8_t sw = 0;
  std::span<const uint32_t> data;  // 1 .. 2^20 dwords
};

// FENCE (op 5), 4 dwords: 32-bit write of `data` to addr (4-byte aligned). Header cache bits on
// SDMA 5.x+ (MTYPE..L2_POLICY), LLC_POLICY/CPV on 6.x (fact sheet §6.3). tinygrad: mtype = 3
// (UC) on gfx10+, nothing on gfx9.
struct SdmaFence {
  uint64_t addr = 0;
  uint32_t data = 0;
  uint8_t mtype = 0;        // [18:16], 5.x+
  bool gcc = false;         // 19, 5.x+
  bool sys = false;         // 20, 5.x+
  bool snp = false;         // 22, 5.x+
  bool gpa = false;         // 23, 5.x+
  uint8_t l2_policy = 0;    // [25:24], 5.x+
  bool llc_policy = false;  // 26, 6.x
  bool cpv = false;         // 28, 6.x
  bool operator==(const SdmaFence&) const = default;
};

// TRAP (op 6), 2 dwords: interrupt with INT_CONTEXT[27:0] (KFD: the event id, fact sheet §5).
struct SdmaTrap {
  uint32_t int_context = 0;
  bool operator==(const SdmaTrap&) const = default;
};

// POLL_REGMEM (op 8), 6 dwords: wait until (*addr & mask) FUNC reference (mem_poll = 1, addr
// 4-byte aligned), retrying every `interval` up to retry_count times (0xFFF = forever).
// hdp_flush = 1 is the HDP-flush variant (fact sheet §3.5; its register-address layout is not in
// the fact sheet, so addr is kept as the raw 64 bits).
struct SdmaPollRegmem {
  CompareFunc func = CompareFunc::kGreaterEqual;  // [30:28]
  bool mem_poll = true;                           // 31
  bool hdp_flush = false;                         // 26
  uint64_t addr = 0;
  uint32_t reference = 0;
  uint32_t mask = 0xFFFFFFFF;
  uint16_t interval = 4;         // DW5 [15:0]
  uint16_t retry_count = 0xFFF;  // DW5 [27:16]
  bool operator==(const SdmaPollRegmem&) const = default;
};

// TIMESTAMP (op 13), 3 dwords: write the 64-bit (global) GPU timestamp to addr (8-byte aligned,
// write_addr_31_3 in tinygrad sdma_*.py).
struct SdmaTimestamp {
  SdmaTimestampOp sub_op = SdmaTimestampOp::kGetGlobal;
  uint64_t addr = 0;
  bool operator==(const SdmaTimestamp&) const = default;
};

// GCR_REQ (op 17, SDMA 5.x+), 5 dwords: cache actions (GCR_CNTL bits) over
// [base_va, limit_va], both 128-byte aligned 48-bit VAs (fact sheet §6.3).
struct SdmaGcrReq {
  uint64_t base_va = 0;
  uint64_t limit_va = 0;
  GcrCntl gcr_control;
  uint8_t vmid = 0;  // [27:24] of dword 4
  bool operator==(const SdmaGcrReq&) const = default;
};

// ---- AQL packets (64 bytes) ------------------------------------------------------------------

// The u16 HSA header minus the type. tinygrad: barrier, system/system (0x1500 | type).
struct AqlHeader {
  bool barrier = true;                                   // 8
  FenceScope acquire_fence_scope = FenceScope::kSystem;  // [10:9]
  FenceScope release_fence_scope = FenceScope::kSystem;  // [12:11]
  bool operator==(const AqlHeader&) const = default;
};

// hsa_kernel_dispatch_packet_t. grid sizes are in work-items (groups x group size).
struct AqlKernelDispatch {
  AqlHeader header;
  uint8_t dimensions = 3;  // setup [1:0], 1..3
  uint16_t workgroup_size_x = 1, workgroup_size_y = 1, workgroup_size_z = 1;
  uint32_t grid_size_x = 1, grid_size_y = 1, grid_size_z = 1;
  uint32_t private_segment_size = 0;  // bytes per work-item
  uint32_t group_segment_size = 0;    // LDS bytes per workgroup
  uint64_t kernel_object = 0;         // VA of the 64-byte kernel descriptor
  uint64_t kernarg_address = 0;
  uint64_t completion_signal = 0;  // amd_signal_t VA or 0
  bool operator==(const AqlKernelDispatch&) const = default;
};

// hsa_barrier_and_packet_t / hsa_barrier_or_packet_t.
struct AqlBarrierAnd {
  AqlHeader header;
  std::array<uint64_t, 5> dep_signal{};
  uint64_t completion_signal = 0;
  bool operator==(const AqlBarrierAnd&) const = default;
};
struct AqlBarrierOr {
  AqlHeader header;
  std::array<uint64_t, 5> dep_signal{};
  uint64_t completion_signal = 0;
  bool operator==(const AqlBarrierOr&) const = default;
};

// AMD vendor packet, AmdFormat 1 (PM4 IB): dwords 1–4 hold a PM4 INDIRECT_BUFFER (header
// 0xC0023F00, ib_base, ib_size | VALID), dword 5 dw_cnt_remain = 10 — how tinygrad runs PM4 on an
// AQL queue (fact sheet §6.1).
struct AqlPm4Ib {
  AqlHeader header;
  uint64_t ib_base = 0;  // 4-byte aligned
  uint32_t ib_size = 0;  // dwords, [19:0]
  uint64_t completion_signal = 0;
  bool operator==(const AqlPm4Ib&) const = default;
};

// AMD vendor packet, AmdFormat 2 (BARRIER_VALUE): wait until (signal value & mask) cond value.
struct AqlBarrierValue {
  AqlHeader header;
  uint64_t signal = 0;
  uint64_t value = 0;
  uint64_t mask = ~uint64_t{0};
  BarrierValueCond cond = BarrierValueCond::kEqual;
  uint64_t completion_signal = 0;
  bool operator==(const AqlBarrierValue&) const = default;
};

// ---- packet ids ------------------------------------------------------------------------------

enum class PacketId : uint8_t {
  kPm4Nop,
  kPm4SetShReg,
  kPm4SetUconfigReg,
  kPm4DispatchDirect,
  kPm4AcquireMem,
  kPm4ReleaseMem,
  kPm4WaitRegMem,
  kPm4WaitRegMemReg,
  kPm4WriteData,
  kPm4EventWrite,
  kPm4IndirectBuffer,
  kPm4PredExec,
  kSdmaNop,
  kSdmaCopyLinear,
  kSdmaWriteUntiled,
  kSdmaFence,
  kSdmaTrap,
  kSdmaPollRegmem,
  kSdmaTimestamp,
  kSdmaGcrReq,
  kAqlInvalid,
  kAqlKernelDispatch,
  kAqlBarrierAnd,
  kAqlBarrierOr,
  kAqlPm4Ib,
  kAqlBarrierValue,
};

// ===============================================================================================
// The descriptions. Each PacketTraits<P>::visit(p, gen, v) names every field of P once:
//   v(field, member)           a field mapped to a struct member
//   v.fixed(field, value)      a field whose value the encoder computes (opcode, COUNT, type);
//                              the decoder checks it
//   v.flag(field)              a field the encoder leaves 0 and the decoder accepts as it is
//   v.absent(name, member, why) a member that has no field on this generation (must be 0)
//   v.tail(field, span)        the repeated dwords after the fixed part
// How to add a packet: add the struct above, a PacketId, a PacketTraits specialization here
// (kId, kName, kMaxFixed, fixed_dwords, visit; tail_dwords/kMinTail for tails; exists/check for
// generation gates and rules), its opcode in the decoder's table (packets.cpp), a round-trip test
// and an exact-dword test (tests/kfd/packets_test.cpp), and a row in docs/amd-packets.md.
// ===============================================================================================
namespace detail {

using core::BitField;

constexpr uint8_t u8(int v) { return static_cast<uint8_t>(v); }

template <class M>
constexpr uint64_t to_u64(const M& m) {
  if constexpr (std::is_same_v<M, bool>) {
    return m ? 1 : 0;
  } else if constexpr (std::is_enum_v<M>) {
    return static_cast<uint64_t>(static_cast<std::underlying_type_t<M>>(m));
  } else if constexpr (std::is_signed_v<M>) {
    return static_cast<uint64_t>(static_cast<int64_t>(m));
  } else {
    return static_cast<uint64_t>(m);
  }
}
template <class M>
constexpr M from_u64(uint64_t v) {
  if constexpr (std::is_same_v<M, bool>) {
    return v != 0;
  } else {
    return static_cast<M>(v);
  }
}

// A rule between fields that the bit layout cannot express. why == nullptr: satisfied.
struct Rule {
  const char* field = nullptr;
  uint64_t value = 0;
  const char* why = nullptr;
};

// Name tables (printed names; kEnum fields reject values outside them).
inline constexpr core::EnumName kCompareFuncNames[] = {
    {0, "ALWAYS"}, {1, "LT"}, {2, "LEQ"}, {3, "EQ"}, {4, "NEQ"}, {5, "GEQ"}, {6, "GT"}};
inline constexpr core::EnumName kEventTypeNames[] = {{0x07, "CS_PARTIAL_FLUSH"},
                                                     {0x14, "CACHE_FLUSH_AND_INV_TS_EVENT"},
                                                     {0x28, "BOTTOM_OF_PIPE_TS"},
                                                     {0x35, "THREAD_TRACE_MARKER"},
                                                     {0x37, "THREAD_TRACE_FINISH"}};
inline constexpr core::EnumName kEventIndexNames[] = {{5, "END_OF_PIPE"}, {6, "SHADER_DONE"}};
inline constexpr core::EnumName kDataSelNames[] = {{0, "NONE"},
                                                   {1, "SEND_32_BIT_LOW"},
                                                   {2, "SEND_64_BIT_DATA"},
                                                   {3, "SEND_GPU_CLOCK_COUNTER"},
                                                   {4, "SEND_CP_PERFCOUNTER_HI_LO"},
                                                   {5, "STORE_GDS_DATA_TO_MEMORY"}};
inline constexpr core::EnumName kIntSelNames[] = {
    {0, "NONE"},
    {1, "SEND_INTERRUPT_ONLY"},
    {2, "SEND_INTERRUPT_AFTER_WRITE_CONFIRM"},
    {3, "SEND_DATA_AFTER_WRITE_CONFIRM"},
    {4, "UNCONDITIONALLY_SEND_INT_CTXID"},
    {5, "CONDITIONALLY_SEND_INT_CTXID_BASED_ON_32_BIT_COMPARE"},
    {6, "CONDITIONALLY_SEND_INT_CTXID_BASED_ON_64_BIT_COMPARE"}};
inline constexpr core::EnumName kDstSelNames[] = {{0, "MEMORY_CONTROLLER"},
                                                  {1, "TC_L2"},
                                                  {2, "QUEUE_WRITE_POINTER_REGISTER"},
                                                  {3, "QUEUE_WRITE_POINTER_POLL_MASK_BIT"}};
inline constexpr core::EnumName kMemSpaceMemory[] = {{1, "MEMORY"}};
inline constexpr core::EnumName kMemSpaceRegister[] = {{0, "REGISTER"}};
inline constexpr core::EnumName kOperationNames[] = {
    {0, "WAIT_REG_MEM"}, {1, "WR_WAIT_WR_REG"}, {3, "WAIT_MEM_PREEMPTABLE"}};
inline constexpr core::EnumName kEngineNames[] = {{0, "ME"}};
inline constexpr core::EnumName kWriteDataDstSelNames[] = {
    {0, "MEM_MAPPED_REGISTER"},
    {2, "TC_L2"},
    {3, "GDS"},
    {5, "MEMORY"},
    {6, "MEMORY_MAPPED_ADC_PERSISTENT_STATE"}};
inline constexpr core::EnumName kTimestampOpNames[] = {{1, "GET"}, {2, "GET_GLOBAL"}};
inline constexpr core::EnumName kFenceScopeNames[] = {{0, "NONE"}, {1, "AGENT"}, {2, "SYSTEM"}};
inline constexpr core::EnumName kBarrierValueCondNames[] = {
    {0, "EQ"}, {1, "NE"}, {2, "LT"}, {3, "GTE"}};
inline constexpr core::EnumName kUconfigRegNames[] = {{0xC200, "GRBM_GFX_INDEX"}};
inline constexpr core::EnumName kComputeRegNames[] = {{0x2E00, "COMPUTE_DISPATCH_INITIATOR"},
                                                      {0x2E04, "COMPUTE_START_X"},
                                                      {0x2E05, "COMPUTE_START_Y"},
                                                      {0x2E06, "COMPUTE_START_Z"},
                                                      {0x2E07, "COMPUTE_NUM_THREAD_X"},
                                                      {0x2E08, "COMPUTE_NUM_THREAD_Y"},
                                                      {0x2E09, "COMPUTE_NUM_THREAD_Z"},
                                                      {0x2E0A, "COMPUTE_PIPELINESTAT_ENABLE"},
                                                      {0x2E0B, "COMPUTE_PERFCOUNT_ENABLE"},
                                                      {0x2E0C, "COMPUTE_PGM_LO"},
                                                      {0x2E0D, "COMPUTE_PGM_HI"},
                                                      {0x2E10, "COMPUTE_DISPATCH_SCRATCH_BASE_LO"},
                                                      {0x2E11, "COMPUTE_DISPATCH_SCRATCH_BASE_HI"},
                                                      {0x2E12, "COMPUTE_PGM_RSRC1"},
                                                      {0x2E13, "COMPUTE_PGM_RSRC2"},
                                                      {0x2E15, "COMPUTE_RESOURCE_LIMITS"},
                                                      {0x2E16, "COMPUTE_STATIC_THREAD_MGMT_SE0"},
                                                      {0x2E18, "COMPUTE_TMPRING_SIZE"},
                                                      {0x2E1B, "COMPUTE_RESTART_X"},
                                                      {0x2E1C, "COMPUTE_RESTART_Y"},
                                                      {0x2E1D, "COMPUTE_RESTART_Z"},
                                                      {0x2E40, "COMPUTE_USER_DATA_0"},
                                                      {0x2E41, "COMPUTE_USER_DATA_1"},
                                                      {0x2E42, "COMPUTE_USER_DATA_2"},
                                                      {0x2E43, "COMPUTE_USER_DATA_3"},
                                                      {0x2E44, "COMPUTE_USER_DATA_4"},
                                                      {0x2E45, "COMPUTE_USER_DATA_5"},
                                                      {0x2E46, "COMPUTE_USER_DATA_6"},
                                                      {0x2E47, "COMPUTE_USER_DATA_7"},
                                                      {0x2E48, "COMPUTE_USER_DATA_8"},
                                                      {0x2E49, "COMPUTE_USER_DATA_9"},
                                                      {0x2E4A, "COMPUTE_USER_DATA_10"},
                                                      {0x2E4B, "COMPUTE_USER_DATA_11"},
                                                      {0x2E4C, "COMPUTE_USER_DATA_12"},
                                                      {0x2E4D, "COMPUTE_USER_DATA_13"},
                                                      {0x2E4E, "COMPUTE_USER_DATA_14"},
                                                      {0x2E4F, "COMPUTE_USER_DATA_15"}};
template <uint32_t Rsrc3>
constexpr auto with_rsrc3() {
  std::array<core::EnumName, std::size(kComputeRegNames) + 1> a{};
  for (size_t i = 0; i < std::size(kComputeRegNames); ++i) a[i] = kComputeRegNames[i];
  a[std::size(kComputeRegNames)] = {Rsrc3, "COMPUTE_PGM_RSRC3"};
  return a;
}
inline constexpr auto kShRegNamesGfx9 = with_rsrc3<0x2E2D>();
inline constexpr auto kShRegNamesGfx11 = with_rsrc3<0x2E28>();
constexpr std::span<const core::EnumName> sh_reg_names(GfxGen g) {
  if (g == GfxGen::kGfx9) return kShRegNamesGfx9;
  if (g == GfxGen::kGfx10) return kComputeRegNames;  // RSRC3 address unknown on gc 10.3
  return kShRegNamesGfx11;
}

// Turns every v(field, member) of a sub-struct visit into v.absent(name, member, why).
template <class V>
struct AbsentOn {
  V& v;
  const char* why;
  template <class M>
  [[gnu::always_inline]] constexpr void operator()(const BitField& f, const M& m) {
    v.absent(f.name, m, why);
  }
};

inline constexpr const char* kGfx10Only = "the field exists on gfx10+ only";
inline constexpr const char* kGfx9Only = "the field exists on gfx9 only";

// PM4 type-3 header (fact sheet §6.2: (3<<30) | (count<<16) | (opcode<<8), count = dwords after
// the header - 1). PREDICATE bit 0 and SHADER_TYPE bit 1 (1 = compute): Mesa sid.h
// PKT3_PREDICATE / PKT3_SHADER_TYPE_S, tinygrad pm4_nv.py PACKET3_COMPUTE; encoders write 0.
template <class V>
[[gnu::always_inline]] constexpr void visit_pm4_header(V& v, uint8_t opcode, uint32_t dwords) {
  v.flag(core::bool_field("predicate", 0, 0, "PREDICATE (Mesa sid.h PKT3_PREDICATE)"));
  v.flag(core::bool_field("shader_type", 0, 1, "SHADER_TYPE, 1 = compute (PACKET3_COMPUTE)"));
  v.fixed(core::hex_field("opcode", 0, 8, 15, "IT_OPCODE").hidden(), opcode);
  v.fixed(core::uint_field("count", 0, 16, 29, "COUNT: dwords after the header - 1").hidden(),
          dwords - 2);
  v.fixed(core::uint_field("type", 0, 30, 31, "packet type, 3").hidden(), 3);
}

// GCR_CNTL bits starting at bit `b` of dword `dw` (fact sheet §6.2 ACQUIRE_MEM GCR_CNTL; the
// SDMA GCR_REQ gcr_control uses the same bits, §6.3).
template <class C, class V>
[[gnu::always_inline]] constexpr void visit_gcr_cntl(C& c, V& v, uint16_t dw, int b) {
  using core::bool_field;
  using core::uint_field;
  v(uint_field("gli_inv", dw, u8(b + 0), u8(b + 1), "GLI_INV[1:0]").quiet(), c.gli_inv);
  v(uint_field("gl1_range", dw, u8(b + 2), u8(b + 3), "GL1_RANGE[3:2]").quiet(), c.gl1_range);
  v(bool_field("glm_wb", dw, u8(b + 4), "GLM_WB"), c.glm_wb);
  v(bool_field("glm_inv", dw, u8(b + 5), "GLM_INV"), c.glm_inv);
  v(bool_field("glk_wb", dw, u8(b + 6), "GLK_WB"), c.glk_wb);
  v(bool_field("glk_inv", dw, u8(b + 7), "GLK_INV"), c.glk_inv);
  v(bool_field("glv_inv", dw, u8(b + 8), "GLV_INV"), c.glv_inv);
  v(bool_field("gl1_inv", dw, u8(b + 9), "GL1_INV"), c.gl1_inv);
  v(bool_field("gl2_us", dw, u8(b + 10), "GL2_US"), c.gl2_us);
  v(uint_field("gl2_range", dw, u8(b + 11), u8(b + 12), "GL2_RANGE[12:11]").quiet(), c.gl2_range);
  v(bool_field("gl2_discard", dw, u8(b + 13), "GL2_DISCARD"), c.gl2_discard);
  v(bool_field("gl2_inv", dw, u8(b + 14), "GL2_INV"), c.gl2_inv);
  v(bool_field("gl2_wb", dw, u8(b + 15), "GL2_WB"), c.gl2_wb);
  v(uint_field("seq", dw, u8(b + 16), u8(b + 17), "SEQ[17:16]").quiet(), c.seq);
  v(bool_field("range_is_pa", dw, u8(b + 18), "RANGE_IS_PA"), c.range_is_pa);
}

template <class C, class V>
[[gnu::always_inline]] constexpr void visit_coher_cntl(C& c, V& v) {
  using core::bool_field;
  v(bool_field("tc_nc", 1, 3, "CP_COHER_CNTL TC_NC_ACTION_ENA"), c.tc_nc);
  v(bool_field("tc_wc", 1, 4, "TC_WC_ACTION_ENA"), c.tc_wc);
  v(bool_field("tc_inv_metadata", 1, 5, "TC_INV_METADATA_ACTION_ENA"), c.tc_inv_metadata);
  v(bool_field("tcl1_vol", 1, 15, "TCL1_VOL_ACTION_ENA"), c.tcl1_vol);
  v(bool_field("tc_wb", 1, 18, "TC_WB_ACTION_ENA"), c.tc_wb);
  v(bool_field("tcl1", 1, 22, "TCL1_ACTION_ENA"), c.tcl1);
  v(bool_field("tc", 1, 23, "TC_ACTION_ENA (L2)"), c.tc);
  v(bool_field("cb", 1, 25, "CB_ACTION_ENA"), c.cb);
  v(bool_field("db", 1, 26, "DB_ACTION_ENA"), c.db);
  v(bool_field("sh_kcache", 1, 27, "SH_KCACHE_ACTION_ENA"), c.sh_kcache);
  v(bool_field("sh_kcache_vol", 1, 28, "SH_KCACHE_VOL_ACTION_ENA"), c.sh_kcache_vol);
  v(bool_field("sh_icache", 1, 29, "SH_ICACHE_ACTION_ENA"), c.sh_icache);
  v(bool_field("sh_kcache_wb", 1, 30, "SH_KCACHE_WB_ACTION_ENA"), c.sh_kcache_wb);
}

template <class C, class V>
[[gnu::always_inline]] constexpr void visit_release_gfx9_cache(C& c, V& v) {
  using core::bool_field;
  v(bool_field("tcl1_vol", 1, 12, "EOP_TCL1_VOL_ACTION_EN"), c.tcl1_vol);
  v(bool_field("tc_vol", 1, 13, "EOP_TC_VOL_ACTION_EN"), c.tc_vol);
  v(bool_field("tc_wb", 1, 15, "EOP_TC_WB_ACTION_EN"), c.tc_wb);
  v(bool_field("tcl1", 1, 16, "EOP_TCL1_ACTION_EN"), c.tcl1);
  v(bool_field("tc", 1, 17, "EOP_TC_ACTION_EN"), c.tc);
  v(bool_field("tc_nc", 1, 19, "EOP_TC_NC_ACTION_EN"), c.tc_nc);
  v(bool_field("tc_md", 1, 21, "EOP_TC_MD_ACTION_EN"), c.tc_md);
}

template <class C, class V>
[[gnu::always_inline]] constexpr void visit_release_gcr(C& c, V& v) {
  using core::bool_field;
  v(bool_field("glm_wb", 1, 12, "PACKET3_RELEASE_MEM_GCR_GLM_WB"), c.glm_wb);
  v(bool_field("glm_inv", 1, 13, "GCR_GLM_INV"), c.glm_inv);
  v(bool_field("glv_inv", 1, 14, "GCR_GLV_INV"), c.glv_inv);
  v(bool_field("gl1_inv", 1, 15, "GCR_GL1_INV"), c.gl1_inv);
  v(bool_field("gl2_us", 1, 16, "GCR_GL2_US"), c.gl2_us);
  v(core::uint_field("gl2_range", 1, 17, 18, "GCR_GL2_RANGE[18:17]").quiet(), c.gl2_range);
  v(bool_field("gl2_discard", 1, 19, "GCR_GL2_DISCARD"), c.gl2_discard);
  v(bool_field("gl2_inv", 1, 20, "GCR_GL2_INV"), c.gl2_inv);
  v(bool_field("gl2_wb", 1, 21, "GCR_GL2_WB"), c.gl2_wb);
  v(bool_field("seq", 1, 22, "GCR_SEQ"), c.seq);
}

template <class P>
struct PacketTraits;  // specialized per packet struct below

struct Pm4Base {
  using Gen = GfxGen;
  static constexpr Engine kEngine = Engine::kPm4;
  static constexpr const char* kEngineName = "PM4";
  static constexpr uint32_t kMinTail = 0;
  static constexpr bool exists(GfxGen) { return true; }
  template <class P>
  static constexpr size_t tail_dwords(const P&) {
    return 0;
  }
  template <class P>
  static constexpr Rule check(const P&, GfxGen) {
    return {};
  }
};

template <>
struct PacketTraits<Pm4Nop> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4Nop;
  static constexpr const char* kName = "NOP";
  static constexpr uint32_t kMaxFixed = 1;
  static constexpr uint32_t kMinTail = 1;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 1; }
  static constexpr size_t tail_dwords(const Pm4Nop& p) { return p.payload.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_NOP, static_cast<uint32_t>(1 + p.payload.size()));
    v.tail(core::hex_field("payload", 0, 0, 31, "skipped by the CP").summary(), p.payload);
  }
};

template <>
struct PacketTraits<Pm4SetShReg> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4SetShReg;
  static constexpr const char* kName = "SET_SH_REG";
  static constexpr uint32_t kMaxFixed = 2;
  static constexpr uint32_t kMinTail = 1;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 2; }
  static constexpr size_t tail_dwords(const Pm4SetShReg& p) { return p.values.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen g, V& v) {
    visit_pm4_header(v, IT_SET_SH_REG, static_cast<uint32_t>(2 + p.values.size()));
    v(core::hex_field("reg", 1, 0, 15, "REG_OFFSET = register - 0x2C00")
          .with_bias(kShRegBase)
          .with_names(sh_reg_names(g)),
      p.reg);
    v.tail(core::hex_field("values", 0, 0, 31, "consecutive register values"), p.values);
  }
  static constexpr Rule check(const Pm4SetShReg& p, GfxGen) {
    if (p.reg + p.values.size() > kShRegEnd) {
      return {"reg", p.reg, "the registers run past the SH window end 0x3000"};
    }
    return {};
  }
};

template <>
struct PacketTraits<Pm4SetUconfigReg> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4SetUconfigReg;
  static constexpr const char* kName = "SET_UCONFIG_REG";
  static constexpr uint32_t kMaxFixed = 2;
  static constexpr uint32_t kMinTail = 1;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 2; }
  static constexpr size_t tail_dwords(const Pm4SetUconfigReg& p) { return p.values.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_SET_UCONFIG_REG, static_cast<uint32_t>(2 + p.values.size()));
    v(core::hex_field("reg", 1, 0, 15, "REG_OFFSET = register - 0xC000")
          .with_bias(kUconfigRegBase)
          .with_names(kUconfigRegNames),
      p.reg);
    v.tail(core::hex_field("values", 0, 0, 31, "consecutive register values"), p.values);
  }
  static constexpr Rule check(const Pm4SetUconfigReg& p, GfxGen) {
    if (p.reg + p.values.size() > kUconfigRegBase + 0x10000) {
      return {"reg", p.reg, "the registers run past the 16-bit UCONFIG offset range"};
    }
    return {};
  }
};

template <>
struct PacketTraits<Pm4DispatchDirect> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4DispatchDirect;
  static constexpr const char* kName = "DISPATCH_DIRECT";
  static constexpr uint32_t kMaxFixed = 5;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 5; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen g, V& v) {
    using core::bool_field;
    visit_pm4_header(v, IT_DISPATCH_DIRECT, 5);
    v(core::uint_field("dim_x", 1, 0, 31, "DIM_X: workgroups"), p.dim_x);
    v(core::uint_field("dim_y", 2, 0, 31, "DIM_Y: workgroups"), p.dim_y);
    v(core::uint_field("dim_z", 3, 0, 31, "DIM_Z: workgroups"), p.dim_z);
    auto& in = p.initiator;
    v(bool_field("compute_shader_en", 4, 0, "COMPUTE_SHADER_EN"), in.compute_shader_en);
    v(bool_field("partial_tg_en", 4, 1, "PARTIAL_TG_EN"), in.partial_tg_en);
    v(bool_field("force_start_at_000", 4, 2, "FORCE_START_AT_000"), in.force_start_at_000);
    v(bool_field("use_thread_dimensions", 4, 5, "USE_THREAD_DIMENSIONS"), in.use_thread_dimensions);
    v(bool_field("order_mode", 4, 6, "ORDER_MODE"), in.order_mode);
    if (g == GfxGen::kGfx9) {
      v.absent("cs_w32_en", in.cs_w32_en, kGfx10Only);
    } else {
      v(bool_field("cs_w32_en", 4, 15, "CS_W32_EN: 1 = wave32"), in.cs_w32_en);
    }
  }
};

template <>
struct PacketTraits<Pm4AcquireMem> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4AcquireMem;
  static constexpr const char* kName = "ACQUIRE_MEM";
  static constexpr uint32_t kMaxFixed = 8;
  static constexpr uint32_t fixed_dwords(GfxGen g) { return g == GfxGen::kGfx9 ? 7 : 8; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen g, V& v) {
    visit_pm4_header(v, IT_ACQUIRE_MEM, fixed_dwords(g));
    if (g == GfxGen::kGfx9) {
      visit_coher_cntl(p.coher_cntl, v);
      AbsentOn<V> no{v, kGfx10Only};
      visit_gcr_cntl(p.gcr_cntl, no, 0, 0);
    } else {
      AbsentOn<V> no{v, kGfx9Only};
      visit_coher_cntl(p.coher_cntl, no);
    }
    // dword 1 on gfx10+ is CP_COHER_CNTL written 0 (fact sheet): no field, so it must be 0.
    v(core::hex_field("coher_size", 2, 0, 63, "CP_COHER_SIZE, _HI"), p.coher_size);
    v(core::address_field("coher_base", 4, 0, 63, "CP_COHER_BASE, _HI"), p.coher_base);
    v(core::uint_field("poll_interval", 6, 0, 15, "POLL_INTERVAL"), p.poll_interval);
    if (g != GfxGen::kGfx9) visit_gcr_cntl(p.gcr_cntl, v, 7, 0);
  }
};

template <>
struct PacketTraits<Pm4ReleaseMem> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4ReleaseMem;
  static constexpr const char* kName = "RELEASE_MEM";
  static constexpr uint32_t kMaxFixed = 8;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 8; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen g, V& v) {
    using core::enum_field;
    visit_pm4_header(v, IT_RELEASE_MEM, 8);
    v(core::hex_field("event_type", 1, 0, 5, "EVENT_TYPE").with_names(kEventTypeNames),
      p.event_type);
    v(enum_field("event_index", 1, 8, 11, kEventIndexNames, "EVENT_INDEX"), p.event_index);
    if (g == GfxGen::kGfx9) {
      visit_release_gfx9_cache(p.gfx9_cache, v);
      AbsentOn<V> no{v, kGfx10Only};
      visit_release_gcr(p.gcr, no);
      v.absent("cache_policy", p.cache_policy, kGfx10Only);
    } else {
      AbsentOn<V> no{v, kGfx9Only};
      visit_release_gfx9_cache(p.gfx9_cache, no);
      visit_release_gcr(p.gcr, v);
      v(core::uint_field("cache_policy", 1, 25, 26, "CACHE_POLICY: 0 LRU, 1 STREAM").quiet(),
        p.cache_policy);
    }
    v(core::bool_field("execute", 1, 28, "EXECUTE (gfx9: EOP_EXEC)"), p.execute);
    if (g == GfxGen::kGfx9) {
      v.absent("dst_sel", p.dst_sel, kGfx10Only);
    } else {
      v(enum_field("dst_sel", 2, 16, 17, kDstSelNames, "DST_SEL").quiet(), p.dst_sel);
    }
    v(enum_field("int_sel", 2, 24, 26, kIntSelNames, "INT_SEL"), p.int_sel);
    v(enum_field("data_sel", 2, 29, 31, kDataSelNames, "DATA_SEL"), p.data_sel);
    v(core::address_field("addr", 3, 2, 63, "ADDRESS_LO[31:2], ADDRESS_HI"), p.addr);
    v(core::hex_field("data", 5, 0, 63, "DATA_LO, DATA_HI"), p.data);
    v(core::uint_field("int_ctxid", 7, 0, 31, "INT_CTXID (KFD: event id)").quiet(), p.int_ctxid);
  }
  static constexpr Rule check(const Pm4ReleaseMem& p, GfxGen) {
    const bool wide = p.data_sel == DataSel::kSend64BitData ||
                      p.data_sel == DataSel::kSendGpuClockCounter ||
                      p.data_sel == DataSel::kSendCpPerfcounterHiLo;
    if (wide && (p.addr & 7) != 0) {
      return {"addr", p.addr, "64-bit data needs an 8-byte aligned address"};
    }
    return {};
  }
};

template <class P, class V>
[[gnu::always_inline]] constexpr void visit_wait_reg_mem_info(P& p, V& v, uint64_t mem_space) {
  using core::enum_field;
  v(enum_field("function", 1, 0, 2, kCompareFuncNames, "FUNCTION"), p.function);
  v.fixed(enum_field("mem_space", 1, 4, 5,
                     mem_space ? std::span<const core::EnumName>(kMemSpaceMemory)
                               : std::span<const core::EnumName>(kMemSpaceRegister),
                     "MEM_SPACE: 0 register, 1 memory"),
          mem_space);
  v(enum_field("operation", 1, 6, 7, kOperationNames, "OPERATION"), p.operation);
  v.fixed(enum_field("engine", 1, 8, 9, kEngineNames, "ENGINE = 0 (fact sheet)").hidden(), 0);
}

template <>
struct PacketTraits<Pm4WaitRegMem> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4WaitRegMem;
  static constexpr const char* kName = "WAIT_REG_MEM";
  static constexpr uint32_t kMaxFixed = 7;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 7; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_WAIT_REG_MEM, 7);
    visit_wait_reg_mem_info(p, v, 1);
    v(core::address_field("addr", 2, 2, 63, "POLL_ADDRESS_LO[31:2], _HI"), p.addr);
    v(core::hex_field("reference", 4, 0, 31, "REFERENCE"), p.reference);
    v(core::hex_field("mask", 5, 0, 31, "MASK"), p.mask);
    v(core::uint_field("poll_interval", 6, 0, 15, "POLL_INTERVAL"), p.poll_interval);
  }
  static constexpr Rule check(const Pm4WaitRegMem& p, GfxGen) {
    if (p.operation == WaitRegMemOperation::kWriteWait) {
      return {"operation", 1, "WR_WAIT_WR_REG writes a register: use the register form"};
    }
    return {};
  }
};

template <>
struct PacketTraits<Pm4WaitRegMemReg> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4WaitRegMemReg;
  static constexpr const char* kName = "WAIT_REG_MEM";
  static constexpr uint32_t kMaxFixed = 7;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 7; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_WAIT_REG_MEM, 7);
    visit_wait_reg_mem_info(p, v, 0);
    v(core::hex_field("reg1", 2, 0, 31, "REG_ADDR1 (dword address)"), p.reg1);
    v(core::hex_field("reg2", 3, 0, 31, "REG_ADDR2 (dword address)"), p.reg2);
    v(core::hex_field("reference", 4, 0, 31, "REFERENCE"), p.reference);
    v(core::hex_field("mask", 5, 0, 31, "MASK"), p.mask);
    v(core::uint_field("poll_interval", 6, 0, 15, "POLL_INTERVAL"), p.poll_interval);
  }
  static constexpr Rule check(const Pm4WaitRegMemReg& p, GfxGen) {
    if (p.operation == WaitRegMemOperation::kWaitPreemptable) {
      return {"operation", 3, "WAIT_MEM_PREEMPTABLE polls memory: use the memory form"};
    }
    return {};
  }
};

template <>
struct PacketTraits<Pm4WriteData> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4WriteData;
  static constexpr const char* kName = "WRITE_DATA";
  static constexpr uint32_t kMaxFixed = 4;
  static constexpr uint32_t kMinTail = 1;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 4; }
  static constexpr size_t tail_dwords(const Pm4WriteData& p) { return p.data.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    using core::bool_field;
    visit_pm4_header(v, IT_WRITE_DATA, static_cast<uint32_t>(4 + p.data.size()));
    v(core::enum_field("dst_sel", 1, 8, 11, kWriteDataDstSelNames, "DST_SEL"), p.dst_sel);
    v(bool_field("wr_one_addr", 1, 16, "ADDR_INCR: 1 = do not increment (WR_ONE_ADDR)"),
      p.wr_one_addr);
    v(bool_field("resume_vf", 1, 19, "RESUME_VF"), p.resume_vf);
    v(bool_field("wr_confirm", 1, 20, "WR_CONFIRM"), p.wr_confirm);
    v(core::uint_field("cache_policy", 1, 25, 26, "CACHE_POLICY: 0 LRU, 1 STREAM").quiet(),
      p.cache_policy);
    v(core::address_field("dst_addr", 2, 0, 63, "DST_ADDR_LO/HI or DST_MMREG_ADDR"), p.dst_addr);
    v.tail(core::hex_field("data", 0, 0, 31, "data dwords"), p.data);
  }
  static constexpr Rule check(const Pm4WriteData& p, GfxGen) {
    const bool memory =
        p.dst_sel == WriteDataDstSel::kMemory || p.dst_sel == WriteDataDstSel::kTcL2;
    if (memory && (p.dst_addr & 3) != 0) {
      return {"dst_addr", p.dst_addr, "memory destinations must be 4-byte aligned"};
    }
    if (p.dst_sel == WriteDataDstSel::kMemMappedRegister && p.dst_addr >= (uint64_t{1} << 18)) {
      return {"dst_addr", p.dst_addr, "DST_MMREG_ADDR is an 18-bit register address"};
    }
    return {};
  }
};

template <>
struct PacketTraits<Pm4EventWrite> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4EventWrite;
  static constexpr const char* kName = "EVENT_WRITE";
  static constexpr uint32_t kMaxFixed = 2;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 2; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_EVENT_WRITE, 2);
    v(core::hex_field("event_type", 1, 0, 5, "EVENT_TYPE").with_names(kEventTypeNames),
      p.event_type);
    v(core::uint_field("event_index", 1, 8, 11, "EVENT_INDEX"), p.event_index);
  }
};

template <>
struct PacketTraits<Pm4IndirectBuffer> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4IndirectBuffer;
  static constexpr const char* kName = "INDIRECT_BUFFER";
  static constexpr uint32_t kMaxFixed = 4;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 4; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    using core::bool_field;
    visit_pm4_header(v, IT_INDIRECT_BUFFER, 4);
    v(core::address_field("ib_base", 1, 2, 63, "IB_BASE_LO[31:2], IB_BASE_HI"), p.ib_base);
    v(core::uint_field("ib_size", 3, 0, 19, "IB_SIZE: dwords (Mesa sid.h S_3F2_IB_SIZE)"),
      p.ib_size);
    v(bool_field("chain", 3, 20, "CHAIN (Mesa sid.h S_3F2_CHAIN)"), p.chain);
    v(bool_field("pre_enb", 3, 21, "PRE_ENB (pm4_nv.py)"), p.pre_enb);
    v(bool_field("valid", 3, 23, "VALID"), p.valid);
    v(core::uint_field("cache_policy", 3, 28, 29, "CACHE_POLICY (pm4_nv.py)").quiet(),
      p.cache_policy);
    v(bool_field("pre_resume", 3, 30, "PRE_RESUME (pm4_nv.py)"), p.pre_resume);
  }
};

template <>
struct PacketTraits<Pm4PredExec> : Pm4Base {
  static constexpr PacketId kId = PacketId::kPm4PredExec;
  static constexpr const char* kName = "PRED_EXEC";
  static constexpr uint32_t kMaxFixed = 2;
  static constexpr uint32_t fixed_dwords(GfxGen) { return 2; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, GfxGen, V& v) {
    visit_pm4_header(v, IT_PRED_EXEC, 2);
    v(core::uint_field("exec_count", 1, 0, 13, "EXEC_COUNT: dwords predicated"), p.exec_count);
    v(core::hex_field("device_select", 1, 24, 31, "DEVICE_SELECT: XCC mask"), p.device_select);
  }
};

// ---- SDMA descriptions ----

struct SdmaBase {
  using Gen = SdmaGen;
  static constexpr Engine kEngine = Engine::kSdma;
  static constexpr const char* kEngineName = "SDMA";
  static constexpr uint32_t kMinTail = 0;
  static constexpr bool exists(SdmaGen) { return true; }
  template <class P>
  static constexpr size_t tail_dwords(const P&) {
    return 0;
  }
  template <class P>
  static constexpr Rule check(const P&, SdmaGen) {
    return {};
  }
};

inline constexpr const char* kSdma5Only = "the field exists on SDMA 5.x+ only";
inline constexpr const char* kSdma6Only = "the field exists on SDMA 6.x+ only";

template <class V>
[[gnu::always_inline]] constexpr void visit_sdma_op(V& v, uint8_t op, uint8_t sub_op) {
  v.fixed(core::uint_field("op", 0, 0, 7, "OP").hidden(), op);
  v.fixed(core::uint_field("sub_op", 0, 8, 15, "SUB_OP").hidden(), sub_op);
}

template <>
struct PacketTraits<SdmaNop> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaNop;
  static constexpr const char* kName = "NOP";
  static constexpr uint32_t kMaxFixed = 1;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 1; }
  static constexpr size_t tail_dwords(const SdmaNop& p) { return p.payload.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    visit_sdma_op(v, SDMA_OP_NOP, 0);
    v.fixed(core::uint_field("count", 0, 16, 29, "COUNT: payload dwords").hidden(),
            p.payload.size());
    v.tail(core::hex_field("payload", 0, 0, 31, "skipped").summary(), p.payload);
  }
};

template <>
struct PacketTraits<SdmaCopyLinear> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaCopyLinear;
  static constexpr const char* kName = "COPY_LINEAR";
  static constexpr uint32_t kMaxFixed = 7;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 7; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen g, V& v) {
    using core::bool_field;
    using core::uint_field;
    visit_sdma_op(v, SDMA_OP_COPY, SDMA_SUBOP_COPY_LINEAR);
    v(bool_field("encrypt", 0, 16, "ENCRYPT"), p.encrypt);
    v(bool_field("tmz", 0, 18, "TMZ"), p.tmz);
    if (g == SdmaGen::kSdma6) {
      v(bool_field("cpv", 0, 19, "CPV"), p.cpv);
    } else {
      v.absent("cpv", p.cpv, kSdma6Only);
    }
    if (g == SdmaGen::kSdma4) {
      v.absent("backwards", p.backwards, kSdma5Only);
    } else {
      v(bool_field("backwards", 0, 25, "BACKWARDS"), p.backwards);
    }
    const uint8_t count_hi = g == SdmaGen::kSdma6 ? 29 : 21;
    v(uint_field("bytes", 1, 0, count_hi, "COUNT = bytes - 1").with_bias(1), p.bytes);
    v(uint_field("dst_sw", 2, 16, 17, "DST_SW").quiet(), p.dst_sw);
    v(uint_field("src_sw", 2, 24, 25, "SRC_SW").quiet(), p.src_sw);
    if (g == SdmaGen::kSdma6) {
      v(uint_field("dst_cache_policy", 2, 18, 20, "DST_CACHE_POLICY").quiet(), p.dst_cache_policy);
      v(uint_field("src_cache_policy", 2, 26, 28, "SRC_CACHE_POLICY").quiet(), p.src_cache_policy);
    } else {
      v.absent("dst_cache_policy", p.dst_cache_policy, kSdma6Only);
      v.absent("src_cache_policy", p.src_cache_policy, kSdma6Only);
    }
    v(core::address_field("src", 3, 0, 63, "SRC_ADDR_LO/HI"), p.src);
    v(core::address_field("dst", 5, 0, 63, "DST_ADDR_LO/HI"), p.dst);
  }
};

template <>
struct PacketTraits<SdmaWriteUntiled> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaWriteUntiled;
  static constexpr const char* kName = "WRITE_UNTILED";
  static constexpr uint32_t kMaxFixed = 4;
  static constexpr uint32_t kMinTail = 1;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 4; }
  static constexpr size_t tail_dwords(const SdmaWriteUntiled& p) { return p.data.size(); }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    visit_sdma_op(v, SDMA_OP_WRITE, SDMA_SUBOP_WRITE_LINEAR);
    v(core::address_field("dst", 1, 2, 63, "DST_ADDR_LO/HI"), p.dst);
    v.fixed(core::uint_field("count", 3, 0, 19, "COUNT = data dwords - 1").with_bias(1).hidden(),
            p.data.size());
    v(core::uint_field("sw", 3, 24, 25, "SW").quiet(), p.sw);
    v.tail(core::hex_field("data", 0, 0, 31, "data dwords"), p.data);
  }
};

template <>
struct PacketTraits<SdmaFence> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaFence;
  static constexpr const char* kName = "FENCE";
  static constexpr uint32_t kMaxFixed = 4;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 4; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen g, V& v) {
    using core::bool_field;
    using core::uint_field;
    visit_sdma_op(v, SDMA_OP_FENCE, 0);
    if (g == SdmaGen::kSdma4) {
      v.absent("mtype", p.mtype, kSdma5Only);
      v.absent("gcc", p.gcc, kSdma5Only);
      v.absent("sys", p.sys, kSdma5Only);
      v.absent("snp", p.snp, kSdma5Only);
      v.absent("gpa", p.gpa, kSdma5Only);
      v.absent("l2_policy", p.l2_policy, kSdma5Only);
    } else {
      v(uint_field("mtype", 0, 16, 18, "MTYPE (3 = UC)").quiet(), p.mtype);
      v(bool_field("gcc", 0, 19, "GCC"), p.gcc);
      v(bool_field("sys", 0, 20, "SYS"), p.sys);
      v(bool_field("snp", 0, 22, "SNP"), p.snp);
      v(bool_field("gpa", 0, 23, "GPA"), p.gpa);
      v(uint_field("l2_policy", 0, 24, 25, "L2_POLICY").quiet(), p.l2_policy);
    }
    if (g == SdmaGen::kSdma6) {
      v(bool_field("llc_policy", 0, 26, "LLC_POLICY"), p.llc_policy);
      v(bool_field("cpv", 0, 28, "CPV"), p.cpv);
    } else {
      v.absent("llc_policy", p.llc_policy, kSdma6Only);
      v.absent("cpv", p.cpv, kSdma6Only);
    }
    v(core::address_field("addr", 1, 2, 63, "ADDR_LO/HI (32-bit write)"), p.addr);
    v(core::hex_field("data", 3, 0, 31, "DATA"), p.data);
  }
};

template <>
struct PacketTraits<SdmaTrap> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaTrap;
  static constexpr const char* kName = "TRAP";
  static constexpr uint32_t kMaxFixed = 2;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 2; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    visit_sdma_op(v, SDMA_OP_TRAP, 0);
    v(core::uint_field("int_context", 1, 0, 27, "INT_CONTEXT"), p.int_context);
  }
};

template <>
struct PacketTraits<SdmaPollRegmem> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaPollRegmem;
  static constexpr const char* kName = "POLL_REGMEM";
  static constexpr uint32_t kMaxFixed = 6;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 6; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    using core::bool_field;
    visit_sdma_op(v, SDMA_OP_POLL_REGMEM, 0);
    v(bool_field("hdp_flush", 0, 26, "HDP_FLUSH"), p.hdp_flush);
    v(core::enum_field("func", 0, 28, 30, kCompareFuncNames, "FUNC"), p.func);
    v(bool_field("mem_poll", 0, 31, "MEM_POLL: 1 = memory"), p.mem_poll);
    v(core::address_field("addr", 1, 0, 63, "ADDR_LO/HI"), p.addr);
    v(core::hex_field("reference", 3, 0, 31, "VALUE"), p.reference);
    v(core::hex_field("mask", 4, 0, 31, "MASK"), p.mask);
    v(core::uint_field("interval", 5, 0, 15, "INTERVAL"), p.interval);
    v(core::hex_field("retry_count", 5, 16, 27, "RETRY_COUNT (0xFFF = forever)"), p.retry_count);
  }
  static constexpr Rule check(const SdmaPollRegmem& p, SdmaGen) {
    if (p.mem_poll && (p.addr & 3) != 0) {
      return {"addr", p.addr, "a memory poll needs a 4-byte aligned address"};
    }
    return {};
  }
};

template <>
struct PacketTraits<SdmaTimestamp> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaTimestamp;
  static constexpr const char* kName = "TIMESTAMP";
  static constexpr uint32_t kMaxFixed = 3;
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 3; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    v.fixed(core::uint_field("op", 0, 0, 7, "OP").hidden(), SDMA_OP_TIMESTAMP);
    v(core::enum_field("sub_op", 0, 8, 15, kTimestampOpNames, "SUB_OP"), p.sub_op);
    v(core::address_field("addr", 1, 3, 63, "WRITE_ADDR_LO[31:3], _HI (64-bit write)"), p.addr);
  }
};

template <>
struct PacketTraits<SdmaGcrReq> : SdmaBase {
  static constexpr PacketId kId = PacketId::kSdmaGcrReq;
  static constexpr const char* kName = "GCR_REQ";
  static constexpr uint32_t kMaxFixed = 5;
  static constexpr bool exists(SdmaGen g) { return g != SdmaGen::kSdma4; }
  static constexpr uint32_t fixed_dwords(SdmaGen) { return 5; }
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, SdmaGen, V& v) {
    visit_sdma_op(v, SDMA_OP_GCR_REQ, 0);
    v(core::address_field("base_va", 1, 7, 47, "BASE_VA[47:7]"), p.base_va);
    visit_gcr_cntl(p.gcr_control, v, 2,
                   16);  // gcr_control[15:0] at dw2[31:16], [18:16] at dw3[2:0]
    v(core::address_field("limit_va", 3, 7, 47, "LIMIT_VA[47:7]"), p.limit_va);
    v(core::uint_field("vmid", 4, 24, 27, "VMID").quiet(), p.vmid);
  }
};

// ---- AQL descriptions ----

struct AqlBase {
  using Gen = NoGen;
  static constexpr Engine kEngine = Engine::kAql;
  static constexpr const char* kEngineName = "AQL";
  static constexpr uint32_t kMaxFixed = kAqlPacketDwords;
  static constexpr uint32_t kMinTail = 0;
  static constexpr bool exists(NoGen) { return true; }
  static constexpr uint32_t fixed_dwords(NoGen) { return kAqlPacketDwords; }
  template <class P>
  static constexpr size_t tail_dwords(const P&) {
    return 0;
  }
  template <class P>
  static constexpr Rule check(const P&, NoGen) {
    return {};
  }
};

template <class H, class V>
[[gnu::always_inline]] constexpr void visit_aql_header(H& h, V& v, uint8_t type) {
  v.fixed(core::uint_field("type", 0, 0, 7, "HSA_PACKET_HEADER_TYPE").hidden(), type);
  v(core::bool_field("barrier", 0, 8, "HSA_PACKET_HEADER_BARRIER"), h.barrier);
  v(core::enum_field("acquire_fence_scope", 0, 9, 10, kFenceScopeNames, "ACQUIRE_FENCE_SCOPE"),
    h.acquire_fence_scope);
  v(core::enum_field("release_fence_scope", 0, 11, 12, kFenceScopeNames, "RELEASE_FENCE_SCOPE"),
    h.release_fence_scope);
}

template <>
struct PacketTraits<AqlKernelDispatch> : AqlBase {
  static constexpr PacketId kId = PacketId::kAqlKernelDispatch;
  static constexpr const char* kName = "KERNEL_DISPATCH";
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, NoGen, V& v) {
    using core::uint_field;
    visit_aql_header(p.header, v, HSA_PACKET_TYPE_KERNEL_DISPATCH);
    v(uint_field("dimensions", 0, 16, 17, "setup: dimensions"), p.dimensions);
    v(uint_field("workgroup_size_x", 1, 0, 15, "work-items"), p.workgroup_size_x);
    v(uint_field("workgroup_size_y", 1, 16, 31, "work-items"), p.workgroup_size_y);
    v(uint_field("workgroup_size_z", 2, 0, 15, "work-items"), p.workgroup_size_z);
    v(uint_field("grid_size_x", 3, 0, 31, "work-items"), p.grid_size_x);
    v(uint_field("grid_size_y", 4, 0, 31, "work-items"), p.grid_size_y);
    v(uint_field("grid_size_z", 5, 0, 31, "work-items"), p.grid_size_z);
    v(uint_field("private_segment_size", 6, 0, 31, "bytes per work-item"), p.private_segment_size);
    v(uint_field("group_segment_size", 7, 0, 31, "LDS bytes per workgroup"), p.group_segment_size);
    v(core::address_field("kernel_object", 8, 0, 63, "kernel descriptor VA"), p.kernel_object);
    v(core::address_field("kernarg_address", 10, 0, 63, "kernarg VA"), p.kernarg_address);
    v(core::address_field("completion_signal", 14, 0, 63, "amd_signal_t VA"), p.completion_signal);
  }
  static constexpr Rule check(const AqlKernelDispatch& p, NoGen) {
    if (p.dimensions < 1 || p.dimensions > 3) {
      return {"dimensions", p.dimensions, "setup dimensions must be 1, 2 or 3"};
    }
    return {};
  }
};

template <class P, class V>
[[gnu::always_inline]] constexpr void visit_aql_barrier(P& p, V& v, uint8_t type) {
  visit_aql_header(p.header, v, type);
  constexpr const char* kDep[5] = {"dep_signal[0]", "dep_signal[1]", "dep_signal[2]",
                                   "dep_signal[3]", "dep_signal[4]"};
  for (int i = 0; i < 5; ++i) {
    v(core::address_field(kDep[i], static_cast<uint16_t>(2 + 2 * i), 0, 63, "hsa_signal_t"),
      p.dep_signal[static_cast<size_t>(i)]);
  }
  v(core::address_field("completion_signal", 14, 0, 63, "amd_signal_t VA"), p.completion_signal);
}

template <>
struct PacketTraits<AqlBarrierAnd> : AqlBase {
  static constexpr PacketId kId = PacketId::kAqlBarrierAnd;
  static constexpr const char* kName = "BARRIER_AND";
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, NoGen, V& v) {
    visit_aql_barrier(p, v, HSA_PACKET_TYPE_BARRIER_AND);
  }
};

template <>
struct PacketTraits<AqlBarrierOr> : AqlBase {
  static constexpr PacketId kId = PacketId::kAqlBarrierOr;
  static constexpr const char* kName = "BARRIER_OR";
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, NoGen, V& v) {
    visit_aql_barrier(p, v, HSA_PACKET_TYPE_BARRIER_OR);
  }
};

template <>
struct PacketTraits<AqlPm4Ib> : AqlBase {
  static constexpr PacketId kId = PacketId::kAqlPm4Ib;
  static constexpr const char* kName = "PM4_IB";
  // PACKET3(IT_INDIRECT_BUFFER, 2): (3 << 30) | (2 << 16) | (0x3F << 8).
  static constexpr uint32_t kIbHeader = 0xC0023F00;
  static constexpr uint32_t kDwCntRemain = 10;
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, NoGen, V& v) {
    visit_aql_header(p.header, v, HSA_PACKET_TYPE_VENDOR_SPECIFIC);
    v.fixed(core::uint_field("amd_format", 0, 16, 23, "AmdFormat").hidden(), AMD_AQL_FORMAT_PM4_IB);
    v.fixed(core::hex_field("ib_header", 1, 0, 31, "PM4 INDIRECT_BUFFER header").hidden(),
            kIbHeader);
    v(core::address_field("ib_base", 2, 2, 63, "IB_BASE_LO[31:2], IB_BASE_HI"), p.ib_base);
    v(core::uint_field("ib_size", 4, 0, 19, "IB_SIZE: dwords"), p.ib_size);
    v.fixed(core::bool_field("valid", 4, 23, "VALID").hidden(), 1);
    v.fixed(core::uint_field("dw_cnt_remain", 5, 0, 31, "dw_cnt_remain = 10").hidden(),
            kDwCntRemain);
    v(core::address_field("completion_signal", 14, 0, 63, "amd_signal_t VA"), p.completion_signal);
  }
};

template <>
struct PacketTraits<AqlBarrierValue> : AqlBase {
  static constexpr PacketId kId = PacketId::kAqlBarrierValue;
  static constexpr const char* kName = "BARRIER_VALUE";
  template <class P, class V>
  [[gnu::always_inline]] static constexpr void visit(P& p, NoGen, V& v) {
    visit_aql_header(p.header, v, HSA_PACKET_TYPE_VENDOR_SPECIFIC);
    v.fixed(core::uint_field("amd_format", 0, 16, 23, "AmdFormat").hidden(),
            AMD_AQL_FORMAT_BARRIER_VALUE);
    v(core::address_field("signal", 2, 0, 63, "hsa_signal_t"), p.signal);
    v(core::hex_field("value", 4, 0, 63, "compare value"), p.value);
    v(core::hex_field("mask", 6, 0, 63, "mask"), p.mask);
    v(core::enum_field("cond", 8, 0, 31, kBarrierValueCondNames, "condition"), p.cond);
    v(core::address_field("completion_signal", 14, 0, 63, "amd_signal_t VA"), p.completion_signal);
  }
};

// ---- the engines that run the descriptions ----

struct EncodeVisitor {
  core::FieldWriter& w;
  std::span<const uint32_t> tail_src{};
  const char* tail_name = "";
  template <class M>
  [[gnu::always_inline]] constexpr void operator()(const BitField& f, const M& m) {
    w.set(f, to_u64(m));
  }
  [[gnu::always_inline]] constexpr void fixed(const BitField& f, uint64_t value) {
    w.set(f, value);
  }
  [[gnu::always_inline]] constexpr void flag(const BitField&) {}
  template <class M>
  [[gnu::always_inline]] constexpr void absent(const char* name, const M& m, const char* why) {
    w.absent(name, to_u64(m), why);
  }
  // Tail fields are whole dwords: copied as they are.
  [[gnu::always_inline]] constexpr void tail(const BitField& f, std::span<const uint32_t> s) {
    tail_src = s;
    tail_name = f.name;
  }
};

struct ReadVisitor {
  std::span<const uint32_t> packet;
  uint32_t fixed_dwords;
  template <class M>
  constexpr void operator()(const BitField& f, M& m) {
    m = from_u64<M>(core::get_field(packet, f));
  }
  constexpr void fixed(const BitField&, uint64_t) {}
  constexpr void flag(const BitField&) {}
  template <class M>
  constexpr void absent(const char*, M&, const char*) {}
  constexpr void tail(const BitField&, std::span<const uint32_t>& m) {
    m = packet.subspan(fixed_dwords);
  }
};

struct CountVisitor {
  size_t n = 0;
  template <class M>
  constexpr void operator()(const BitField&, const M&) {
    ++n;
  }
  constexpr void fixed(const BitField&, uint64_t) { ++n; }
  constexpr void flag(const BitField&) { ++n; }
  template <class M>
  constexpr void absent(const char*, const M&, const char*) {}
  constexpr void tail(const BitField&, std::span<const uint32_t>) {}
};

template <size_t N>
struct CollectVisitor {
  std::array<BitField, N> fields{};
  size_t n = 0;
  BitField tail_field{};
  bool has_tail = false;
  template <class M>
  constexpr void operator()(const BitField& f, const M&) {
    fields[n++] = f;
  }
  constexpr void fixed(const BitField& f, uint64_t) { fields[n++] = f; }
  constexpr void flag(const BitField& f) { fields[n++] = f; }
  template <class M>
  constexpr void absent(const char*, const M&, const char*) {}
  constexpr void tail(const BitField& f, std::span<const uint32_t>) {
    tail_field = f;
    has_tail = true;
  }
};

// Finds the first v.fixed field whose bits in `packet` differ from the value the packet's
// struct implies (opcode, sub_op, COUNT, constant words). Run on the struct read back from the
// same packet.
struct FixedCheckVisitor {
  std::span<const uint32_t> packet;
  const char* name = nullptr;
  uint64_t expected = 0;
  uint64_t actual = 0;
  template <class M>
  constexpr void operator()(const BitField&, const M&) {}
  constexpr void fixed(const BitField& f, uint64_t value) {
    if (name != nullptr) return;
    const uint64_t a = core::get_field(packet, f);
    if (a != value) {
      name = f.name;
      expected = value;
      actual = a;
    }
  }
  constexpr void flag(const BitField&) {}
  template <class M>
  constexpr void absent(const char*, const M&, const char*) {}
  constexpr void tail(const BitField&, std::span<const uint32_t>) {}
};

// The core::PacketLayout of packet P on generation G, built at compile time from its visit.
template <class P, auto G>
struct LayoutOf {
  using T = PacketTraits<P>;
  static constexpr size_t kCount = [] {
    CountVisitor c;
    const P p{};
    T::visit(p, G, c);
    return c.n;
  }();
  static constexpr CollectVisitor<kCount> kCollected = [] {
    CollectVisitor<kCount> c;
    const P p{};
    T::visit(p, G, c);
    return c;
  }();
  static constexpr core::PacketLayout kLayout{
      T::kName, kCollected.fields, T::fixed_dwords(G),
      kCollected.has_tail ? &kCollected.tail_field : nullptr};
};

// The visit machinery is always inlined (GCC and clang honour the attribute), so from -O2 on
// every field row folds into constant masks and a packet becomes a few stores.
template <class P>
[[gnu::always_inline]] constexpr core::EncodeResult encode_packet(
    std::span<uint32_t> out, const P& p, typename PacketTraits<P>::Gen gen) {
  using T = PacketTraits<P>;
  if (!T::exists(gen)) {
    core::EncodeResult r;
    r.fail = core::EncodeFail::kNotInGeneration;
    r.engine = T::kEngineName;
    r.packet = T::kName;
    r.field.name = "packet";
    r.value = 1;
    r.why = "the packet does not exist on this generation";
    return r;
  }
  const uint32_t fixed = T::fixed_dwords(gen);
  const size_t tail = T::tail_dwords(p);
  const size_t total = fixed + tail;
  if (total > out.size()) return core::encode_no_space(T::kEngineName, T::kName, total, out.size());
  std::array<uint32_t, T::kMaxFixed> buf{};
  core::FieldWriter w(std::span<uint32_t>(buf.data(), fixed), T::kEngineName, T::kName);
  EncodeVisitor v{w};
  T::visit(p, gen, v);
  if (tail < T::kMinTail) w.invalid(v.tail_name, tail, "the packet needs at least one dword here");
  const Rule rule = T::check(p, gen);
  if (rule.why != nullptr) w.invalid(rule.field, rule.value, rule.why);
  if (!w.ok()) return w.result(0);
  for (uint32_t i = 0; i < fixed; ++i) out[i] = buf[i];
  for (size_t i = 0; i < tail; ++i) out[fixed + i] = v.tail_src[i];
  return w.result(static_cast<uint32_t>(total));
}

}  // namespace detail

// ---- encoding API ----------------------------------------------------------------------------

// Dwords `p` occupies on `gen`, header and tail included.
template <class P>
constexpr uint32_t packet_dwords(const P& p, typename detail::PacketTraits<P>::Gen gen) {
  using T = detail::PacketTraits<P>;
  return T::fixed_dwords(gen) + static_cast<uint32_t>(T::tail_dwords(p));
}

// Encodes one PM4 packet (gen: GfxGen) or SDMA packet (gen: SdmaGen) at out[0 ..). Returns the
// dwords written; on failure (no space, a value that does not fit, a member that must be zero on
// this generation, a broken rule) writes nothing and says why. Allocation-free, constexpr.
template <class P>
requires(detail::PacketTraits<P>::kEngine != Engine::kAql)
    [[gnu::always_inline]] constexpr core::EncodeResult
    encode(std::span<uint32_t> out, const P& p, typename detail::PacketTraits<P>::Gen gen) {
  return detail::encode_packet(out, p, gen);
}

// An AQL packet being built (caller's local memory, never the ring).
using AqlPacket = std::array<uint32_t, kAqlPacketDwords>;

// Builds all 16 dwords of an AQL packet (header in dword 0) into `pkt`.
template <class P>
requires(detail::PacketTraits<P>::kEngine == Engine::kAql)
    [[gnu::always_inline]] constexpr core::EncodeResult build_aql(AqlPacket& pkt, const P& p) {
  return detail::encode_packet(std::span<uint32_t>(pkt), p, NoGen::kAny);
}

// Publishes a built packet into a ring slot: stores dwords 1..15, then dword 0 (header, and setup
// for dispatches) with a release store, so whoever sees the new header sees the body too (HSA
// convention, fact sheet §6.1). The slot's dword 0 should read INVALID until then; ring the
// doorbell (index of the last packet) afterwards.
inline void publish_aql(std::span<uint32_t, kAqlPacketDwords> slot, const AqlPacket& pkt) {
  for (size_t i = 1; i < kAqlPacketDwords; ++i) slot[i] = pkt[i];
  std::atomic_ref<uint32_t>(slot[0]).store(pkt[0], std::memory_order_release);
}

// build_aql + publish_aql. On failure the slot is not touched.
template <class P>
requires(detail::PacketTraits<P>::kEngine == Engine::kAql) core::EncodeResult
    encode_aql(std::span<uint32_t, kAqlPacketDwords> slot, const P& p) {
  AqlPacket pkt{};
  core::EncodeResult r = build_aql(pkt, p);
  if (r) publish_aql(slot, pkt);
  return r;
}

// Marks a slot unused (type INVALID), with a release store of dword 0.
inline void invalidate_aql_slot(std::span<uint32_t, kAqlPacketDwords> slot) {
  std::atomic_ref<uint32_t>(slot[0]).store(kAqlInvalidSlotDword0, std::memory_order_release);
}

// Bytes one COPY_LINEAR can move: its COUNT (bytes - 1) field holds 22 bits on SDMA 4.x/5.x
// (4 MiB) and 30 bits on 6.x (1 GiB) (fact sheet §6.3). tinygrad copies 1 GiB chunks from SDMA 5
// on, which the 5.x field cannot hold; the kernel itself uses 4 MiB (fact sheet §11.7:
// 1 GiB on 6.x/7.x is UNCONFIRMED on hardware).
constexpr uint64_t sdma_copy_max_bytes(SdmaGen g) {
  return g == SdmaGen::kSdma6 ? (uint64_t{1} << 30) : (uint64_t{1} << 22);
}

// Dwords encode_sdma_copy writes for `bytes` (7 per chunk of at most max_chunk; 0 = the limit).
constexpr uint64_t sdma_copy_dwords(uint64_t bytes, SdmaGen g, uint64_t max_chunk = 0) {
  const uint64_t chunk = max_chunk == 0 ? sdma_copy_max_bytes(g) : max_chunk;
  return (bytes + chunk - 1) / chunk * detail::PacketTraits<SdmaCopyLinear>::fixed_dwords(g);
}

// Copies `bytes` from src to dst as COPY_LINEAR packets of at most max_chunk bytes each
// (0 = sdma_copy_max_bytes(g); a larger max_chunk is refused). bytes == 0 writes nothing. On
// failure nothing is written.
constexpr core::EncodeResult encode_sdma_copy(std::span<uint32_t> out, uint64_t dst, uint64_t src,
                                              uint64_t bytes, SdmaGen g, uint64_t max_chunk = 0) {
  const uint64_t limit = sdma_copy_max_bytes(g);
  const uint64_t chunk = max_chunk == 0 ? limit : max_chunk;
  core::FieldWriter w({}, "SDMA", "COPY_LINEAR");
  if (chunk > limit) {
    w.invalid("max_chunk", max_chunk, "larger than one COPY_LINEAR can move on this SDMA");
    return w.result(0);
  }
  const uint64_t need = sdma_copy_dwords(bytes, g, chunk);
  if (need > out.size()) return core::encode_no_space("SDMA", "COPY_LINEAR", need, out.size());
  uint32_t put = 0;
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t n = bytes - done < chunk ? bytes - done : chunk;
    const SdmaCopyLinear c{.src = src + done, .dst = dst + done, .bytes = static_cast<uint32_t>(n)};
    core::EncodeResult r = encode(out.subspan(put), c, g);
    if (!r) return r;
    put += r.dwords;
    done += n;
  }
  return w.result(put);
}

// Fills `out` with 1-dword SDMA NOPs (zero dwords): the padding before the ring wrap, since SDMA
// packets never straddle it (fact sheet §4.5).
constexpr void fill_sdma_nops(std::span<uint32_t> out) {
  for (uint32_t& d : out) d = 0;
}

// ---- decoding API ----------------------------------------------------------------------------

struct PacketFormat {
  Engine engine = Engine::kPm4;
  GfxGen gfx = GfxGen::kGfx11;
  SdmaGen sdma = SdmaGen::kSdma6;
};

// One validated packet. `raw` points into the buffer given to the decoder: keep it alive.
struct DecodedPacket {
  PacketId id = PacketId::kPm4Nop;
  Engine engine = Engine::kPm4;
  const core::PacketLayout* layout = nullptr;  // static description
  uint32_t offset = 0;                         // dword offset, `base` included
  std::span<const uint32_t> raw;               // the packet's dwords (size = packet size)
  GfxGen gfx = GfxGen::kGfx11;                 // generation it was read with
  SdmaGen sdma = SdmaGen::kSdma6;

  const char* name() const { return layout->name; }
  uint32_t dwords() const { return static_cast<uint32_t>(raw.size()); }
  // Value of the fixed field called `field` (the struct member name), nullopt if none.
  std::optional<uint64_t> field(std::string_view field) const;
  // Every fixed field (hidden ones too), in table order.
  std::vector<core::FieldValue> fields() const;
  // The dwords after the fixed part (SET_SH_REG values, WRITE_DATA data, NOP payload).
  std::span<const uint32_t> tail() const { return raw.subspan(layout->fixed_dwords); }
  // "RELEASE_MEM{event_type=CACHE_FLUSH_AND_INV_TS_EVENT, ...}" (flags that are 0 left out).
  std::string text() const;
  // The packet as its struct; nullopt when it is another packet. Spans point into `raw`.
  template <class P>
  std::optional<P> as() const {
    using T = detail::PacketTraits<P>;
    if (id != T::kId) return std::nullopt;
    P p{};
    detail::ReadVisitor v{raw, layout->fixed_dwords};
    if constexpr (std::is_same_v<typename T::Gen, GfxGen>) {
      T::visit(p, gfx, v);
    } else if constexpr (std::is_same_v<typename T::Gen, SdmaGen>) {
      T::visit(p, sdma, v);
    } else {
      T::visit(p, NoGen::kAny, v);
    }
    return p;
  }
};

// Decode and validate the packet starting at buf[offset]. `base` is the dword index of buf[0] in
// the queue; it is added to the offsets in DecodedPacket and in errors. Errors are kInvalidInput
// with op "PM4 RELEASE_MEM at dword 12" ("PM4 packet at dword 12" when the opcode is unknown) and
// a hint naming the problem: unknown opcode/op/type, packet type other than 3, count that runs
// past the end of the buffer or disagrees with the packet, reserved bits set, enum value out of
// table, broken field rule, packet absent on this generation. No allocation on success.
core::Result<DecodedPacket> decode_pm4(std::span<const uint32_t> buf, uint32_t offset, GfxGen gen,
                                       uint32_t base = 0);
core::Result<DecodedPacket> decode_sdma(std::span<const uint32_t> buf, uint32_t offset, SdmaGen gen,
                                        uint32_t base = 0);
// AQL: `offset` in dwords (16 per packet). An INVALID slot decodes as PacketId::kAqlInvalid (its
// other dwords are not checked: a slot not yet published).
core::Result<DecodedPacket> decode_aql(std::span<const uint32_t> buf, uint32_t offset,
                                       uint32_t base = 0);
core::Result<DecodedPacket> decode(std::span<const uint32_t> buf, uint32_t offset,
                                   const PacketFormat& format, uint32_t base = 0);

// Every packet of `buf`, one line each: "0x0010: PM4 RELEASE_MEM{...}\n" (dword offset + base,
// 4 hex digits at least). Runs of zero-dword SDMA NOPs print once as "NOP{} x12". The first
// malformed packet ends the walk with "0x0010: error: <Error::message()>\n".
std::string disassemble(std::span<const uint32_t> buf, const PacketFormat& format,
                        uint32_t base = 0);

// The static description of a packet on a generation (fields, fixed size, tail).
const core::PacketLayout& packet_layout(PacketId id, GfxGen gfx = GfxGen::kGfx11,
                                        SdmaGen sdma = SdmaGen::kSdma6);
Engine packet_engine(PacketId id);

}  // namespace rawgpu::kfd
