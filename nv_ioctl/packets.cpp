#include "nv_ioctl/packets.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

namespace rawgpu::nv {

using core::BitField;
using core::Error;
using core::Result;

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  return buf;
}

using core::bool_field;
using core::enum_field;
using core::hex_field;
using core::uint_field;

// ================================================================================================
// Method tables. One array per class (or per group of classes whose methods agree), sorted by
// address. Rows whose data word has a typed struct in packets.h take their fields from that
// struct's visit (WordFields<>), so the typed encoders and these tables are one description.
// How to add a method: its fields from the class header (names lower-cased: NVC6C0_FOO_BAR_X ->
// "x"), a MethodDesc row in address order in every class that has it, a round-trip test
// (tests/nv/packets_test.cpp walks every row), and a line in docs/nv-packets.md.
// ================================================================================================

constexpr BitField kV[] = {hex_field("v", 0, 0, 31, "V 31:0")};
constexpr BitField kValueHex[] = {hex_field("value", 0, 0, 31, "VALUE 31:0")};
constexpr BitField kValueUint[] = {uint_field("value", 0, 0, 31, "VALUE 31:0")};
constexpr BitField kHandle[] = {hex_field("handle", 0, 0, 31, "HANDLE 31:0")};
constexpr BitField kPayload[] = {hex_field("payload", 0, 0, 31, "PAYLOAD 31:0")};

// ---- host classes (clc56f.h; clc86f.h, clc96f.h @ open-gpu-kernel-modules; fact sheet §4.4) ----

constexpr BitField kMemOpData[] = {
    hex_field("data", 0, 0, 31, "TLB_INVALIDATE_* operands; the meaning depends on MEM_OP_D")};
constexpr core::EnumName kMemOpDOperationNames[] = {{0x05, "MEMBAR"},
                                                    {0x09, "MMU_TLB_INVALIDATE"},
                                                    {0x0A, "MMU_TLB_INVALIDATE_TARGETED"},
                                                    {0x0B, "MMU_OPERATION"},  // clc86f.h
                                                    {0x0D, "L2_PEERMEM_INVALIDATE"},
                                                    {0x0E, "L2_SYSMEM_INVALIDATE"},
                                                    {0x0F, "L2_CLEAN_COMPTAGS"},
                                                    {0x10, "L2_FLUSH_DIRTY"},
                                                    {0x15, "L2_WAIT_FOR_SYS_PENDING_READS"},
                                                    {0x16, "ACCESS_COUNTER_CLR"}};
constexpr BitField kMemOpD[] = {
    hex_field("operand", 0, 0, 26,
              "TLB_INVALIDATE_PDB_ADDR_HI 26:0 / ACCESS_COUNTER_CLR_* / "
              "MMU_OPERATION_TYPE 23:20 (by OPERATION)")
        .quiet(),
    enum_field("operation", 0, 27, 31, kMemOpDOperationNames, "OPERATION 31:27")};
constexpr BitField kSemAddrLo[] = {NVC56F_SEM_ADDR_LO_OFFSET};
constexpr BitField kSemAddrHiC56F[] = {sem_addr_hi_field(AMPERE_CHANNEL_GPFIFO_A)};
constexpr BitField kSemAddrHiC86F[] = {sem_addr_hi_field(HOPPER_CHANNEL_GPFIFO_A)};
constexpr core::EnumName kWfiScopeNames[] = {{0, "CURRENT_VEID"}, {1, "ALL"}};
constexpr BitField kWfi[] = {enum_field("scope", 0, 0, 0, kWfiScopeNames, "SCOPE 0:0")};

template <uint32_t Cls, const auto& SemAddrHi>
constexpr MethodDesc kHostMethods[] = {
    {"SET_OBJECT", NVC56F_SET_OBJECT, 1, WordFields<SetObject, Cls>::kFields,
     "binds a class to the subchannel"},
    {"NON_STALL_INTERRUPT", NVC56F_NON_STALL_INTERRUPT, 1, kHandle,
     "raise a non-stalling interrupt (C86F/C96F: from UVM's C46F HAL, H§3)"},
    {"MEM_OP_A", NVC56F_MEM_OP_A, 1, kMemOpData, "TLB invalidate target"},
    {"MEM_OP_B", NVC56F_MEM_OP_B, 1, kMemOpData, "TLB invalidate target (high)"},
    {"MEM_OP_C", NVC56F_MEM_OP_C, 1, kMemOpData, "MEMBAR_TYPE / TLB invalidate PDB"},
    {"MEM_OP_D", NVC56F_MEM_OP_D, 1, kMemOpD, "memory operation (L2 flush, membar, TLB)"},
    {"SEM_ADDR_LO", NVC56F_SEM_ADDR_LO, 1, kSemAddrLo, "semaphore address bits 31:2"},
    {"SEM_ADDR_HI", NVC56F_SEM_ADDR_HI, 1, SemAddrHi, "semaphore address bits 39/56:32"},
    {"SEM_PAYLOAD_LO", NVC56F_SEM_PAYLOAD_LO, 1, kPayload, "payload bits 31:0"},
    {"SEM_PAYLOAD_HI", NVC56F_SEM_PAYLOAD_HI, 1, kPayload, "payload bits 63:32"},
    {"SEM_EXECUTE", NVC56F_SEM_EXECUTE, 1, WordFields<SemExecute, Cls>::kFields,
     "run the semaphore operation"},
    {"WFI", NVC56F_WFI, 1, kWfi, "wait for idle"},
};

// ---- compute classes (clc6c0.h, clc7c0.h, clc9c0.h, clcbc0.h, clcdc0.h, clcec0.h) -------------

constexpr core::EnumName kLayoutNames[] = {{0, "BLOCKLINEAR"}, {1, "PITCH"}};
constexpr core::EnumName kReductionFormat32Names[] = {{0, "UNSIGNED_32"}, {1, "SIGNED_32"}};
constexpr core::EnumName kCompletionTypeNames[] = {
    {0, "FLUSH_DISABLE"}, {1, "FLUSH_ONLY"}, {2, "RELEASE_SEMAPHORE"}};
constexpr core::EnumName kComputeInterruptTypeNames[] = {{0, "NONE"}, {1, "INTERRUPT"}};
constexpr core::EnumName kStructSizeNames[] = {{0, "FOUR_WORDS"}, {1, "ONE_WORD"}};
constexpr core::EnumName kRedOpNames[] = {{0, "RED_ADD"}, {1, "RED_MIN"}, {2, "RED_MAX"},
                                          {3, "RED_INC"}, {4, "RED_DEC"}, {5, "RED_AND"},
                                          {6, "RED_OR"},  {7, "RED_XOR"}};
// LAUNCH_DMA of the compute class: the inline-to-memory upload (fact sheet §4.5, H§2).
constexpr BitField kComputeLaunchDma[] = {
    enum_field("dst_memory_layout", 0, 0, 0, kLayoutNames, "DST_MEMORY_LAYOUT 0"),
    bool_field("reduction_enable", 0, 1, "REDUCTION_ENABLE 1"),
    enum_field("reduction_format", 0, 2, 3, kReductionFormat32Names, "REDUCTION_FORMAT 3:2")
        .quiet(),
    enum_field("completion_type", 0, 4, 5, kCompletionTypeNames, "COMPLETION_TYPE 5:4"),
    bool_field("sysmembar_disable", 0, 6, "SYSMEMBAR_DISABLE 6"),
    enum_field("interrupt_type", 0, 8, 9, kComputeInterruptTypeNames, "INTERRUPT_TYPE 9:8").quiet(),
    enum_field("semaphore_struct_size", 0, 12, 12, kStructSizeNames, "SEMAPHORE_STRUCT_SIZE 12")
        .quiet(),
    enum_field("reduction_op", 0, 13, 15, kRedOpNames, "REDUCTION_OP 15:13").quiet()};
constexpr BitField kOffsetOutUpper17[] = {hex_field("value", 0, 0, 16, "VALUE 16:0")};
constexpr BitField kOffsetOutUpper25[] = {hex_field("value", 0, 0, 24, "VALUE 24:0 (CBC0+)")};
constexpr core::EnumName kLinesNames[] = {{0, "ALL"}, {1, "ONE"}};
constexpr BitField kInvalidateLines[] = {enum_field("lines", 0, 0, 0, kLinesNames, "LINES 0"),
                                         hex_field("tag", 0, 4, 25, "TAG 25:4").quiet()};
constexpr BitField kSkedV[] = {bool_field("v", 0, 0, "V 0")};
constexpr BitField kSkedForceIgnoreVeid[] = {
    bool_field("force_ignore_veid", 0, 0, "FORCE_IGNORE_VEID 0 (CDC0, CEC0)")};
constexpr BitField kBaseAddressUpper17[] = {
    hex_field("base_address_upper", 0, 0, 16, "BASE_ADDRESS_UPPER 16:0")};
constexpr BitField kBaseAddress[] = {hex_field("base_address", 0, 0, 31, "BASE_ADDRESS 31:0")};
constexpr BitField kCwdSlotCount[] = {uint_field("v", 0, 0, 7, "V 7:0")};
constexpr BitField kSendPcasA[] = {NVC6C0_SEND_PCAS_A_QMD_ADDRESS_SHIFTED8};
constexpr BitField kSendPcasB[] = {hex_field("from", 0, 0, 23, "FROM 23:0"),
                                   uint_field("delta", 0, 24, 31, "DELTA 31:24")};
constexpr BitField kSendSignalingPcasB[] = {bool_field("invalidate", 0, 0, "INVALIDATE 0"),
                                            bool_field("schedule", 0, 1, "SCHEDULE 1")};
constexpr BitField kSizeUpper[] = {hex_field("size_upper", 0, 0, 7, "SIZE_UPPER 7:0")};
constexpr BitField kSizeLower[] = {hex_field("size_lower", 0, 0, 31, "SIZE_LOWER 31:0")};
constexpr BitField kNonThrottledC[] = {uint_field("max_sm_count", 0, 0, 8, "MAX_SM_COUNT 8:0")};
constexpr BitField kNonThrottledCHopper[] = {
    uint_field("max_sm_count", 0, 0, 8, "MAX_SM_COUNT 8:0"),
    uint_field("max_plural_tpc_gpc_count", 0, 16, 23, "MAX_PLURAL_TPC_GPC_COUNT 23:16 (CBC0+)")
        .quiet(),
    uint_field("max_singleton_tpc_gpc_count", 0, 24, 31,
               "MAX_SINGLETON_TPC_GPC_COUNT 31:24 (CBC0+)")
        .quiet()};
constexpr BitField kSpaVersion[] = {hex_field("minor", 0, 0, 7, "MINOR 7:0"),
                                    hex_field("major", 0, 8, 15, "MAJOR 15:8")};
constexpr BitField kInlineQmdAddressB[] = {
    hex_field("qmd_address_shifted8_lower", 0, 0, 31, "QMD_ADDRESS_SHIFTED8_LOWER 31:0")};
constexpr BitField kAddressUpper17[] = {hex_field("address_upper", 0, 0, 16, "ADDRESS_UPPER 16:0")};
constexpr BitField kAddressUpper25[] = {
    hex_field("address_upper", 0, 0, 24, "ADDRESS_UPPER 24:0 (CBC0+)")};
constexpr BitField kAddressLower[] = {hex_field("address_lower", 0, 0, 31, "ADDRESS_LOWER 31:0")};
constexpr core::EnumName kRenderEnableOverrideNames[] = {
    {0, "USE_RENDER_ENABLE"}, {1, "ALWAYS_RENDER"}, {2, "NEVER_RENDER"}};
constexpr BitField kRenderEnableOverride[] = {
    enum_field("mode", 0, 0, 1, kRenderEnableOverrideNames, "MODE 1:0")};
constexpr BitField kOffsetUpper8[] = {hex_field("offset_upper", 0, 0, 7, "OFFSET_UPPER 7:0")};
constexpr BitField kOffsetUpper25[] = {
    hex_field("offset_upper", 0, 0, 24, "OFFSET_UPPER 24:0 (CBC0+)")};
constexpr BitField kOffsetLower[] = {hex_field("offset_lower", 0, 0, 31, "OFFSET_LOWER 31:0")};
constexpr core::EnumName kReportOperationNames[] = {{0, "RELEASE"}, {3, "TRAP"}};
constexpr BitField kReportSemaphoreD[] = {
    enum_field("operation", 0, 0, 1, kReportOperationNames, "OPERATION 1:0"),
    bool_field("flush_disable", 0, 2, "FLUSH_DISABLE 2"),
    bool_field("reduction_enable", 0, 3, "REDUCTION_ENABLE 3"),
    enum_field("reduction_op", 0, 9, 11, kRedOpNames, "REDUCTION_OP 11:9").quiet(),
    enum_field("reduction_format", 0, 17, 18, kReductionFormat32Names, "REDUCTION_FORMAT 18:17")
        .quiet(),
    bool_field("conditional_trap", 0, 19, "CONDITIONAL_TRAP 19"),
    bool_field("awaken_enable", 0, 20, "AWAKEN_ENABLE 20"),
    enum_field("structure_size", 0, 28, 28, kStructSizeNames, "STRUCTURE_SIZE 28")};

// Per-class differences (H§2 and the header diff): Hopper+ widens OFFSET_OUT_UPPER,
// SET_SHADER_LOCAL_MEMORY_A and SET_REPORT_SEMAPHORE_A to 24:0, reshapes SET_INLINE_QMD_ADDRESS_A,
// adds NON_THROTTLED_C sub-fields and 96-dword inline QMDs; Blackwell renames
// INVALIDATE_SKED_CACHES V to FORCE_IGNORE_VEID.
template <uint32_t Cls>
constexpr MethodDesc kComputeMethods[] = {
    {"SET_OBJECT", NVC6C0_SET_OBJECT, 1, WordFields<SetObject, Cls>::kFields,
     "binds the class to the subchannel"},
    {"NO_OPERATION", 0x0100, 1, kV, ""},
    {"WAIT_FOR_IDLE", 0x0110, 1, kV, ""},
    {"PM_TRIGGER", 0x0140, 1, kV, "profiling"},
    {"PM_TRIGGER_WFI", 0x0144, 1, kV, "profiling"},
    {"LINE_LENGTH_IN", NVC6C0_LINE_LENGTH_IN, 1, kValueUint, "inline upload: bytes"},
    {"LINE_COUNT", NVC6C0_LINE_COUNT, 1, kValueUint, "inline upload: lines"},
    {"OFFSET_OUT_UPPER", NVC6C0_OFFSET_OUT_UPPER, 1,
     is_hopper_or_later_compute(Cls) ? std::span<const BitField>(kOffsetOutUpper25)
                                     : std::span<const BitField>(kOffsetOutUpper17),
     "inline upload destination, upper bits"},
    {"OFFSET_OUT", NVC6C0_OFFSET_OUT, 1, kValueHex, "inline upload destination, lower bits"},
    {"LAUNCH_DMA", NVC6C0_LAUNCH_DMA, 1, kComputeLaunchDma, "start the inline upload"},
    {"LOAD_INLINE_DATA", NVC6C0_LOAD_INLINE_DATA, 1, kV, "inline upload data (NON_INC)"},
    {"INVALIDATE_SHADER_CACHES", NVC6C0_INVALIDATE_SHADER_CACHES, 1,
     WordFields<InvalidateShaderCaches, Cls>::kFields, "implies a wait for idle"},
    {"INVALIDATE_TEXTURE_HEADER_CACHE_NO_WFI", 0x0244, 1, kInvalidateLines, ""},
    {"INVALIDATE_SKED_CACHES", NVC6C0_INVALIDATE_SKED_CACHES, 1,
     (Cls == BLACKWELL_COMPUTE_A || Cls == BLACKWELL_COMPUTE_B)
         ? std::span<const BitField>(kSkedForceIgnoreVeid)
         : std::span<const BitField>(kSkedV),
     "drop cached QMDs"},
    {"SET_SHADER_SHARED_MEMORY_WINDOW_A", NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A, 1,
     kBaseAddressUpper17, "shared window VA upper (4 GiB aligned on Hopper+, H§0)"},
    {"SET_SHADER_SHARED_MEMORY_WINDOW_B", NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_B, 1, kBaseAddress,
     "shared window VA lower"},
    {"SET_CWD_SLOT_COUNT", 0x02B0, 1, kCwdSlotCount, ""},
    {"SEND_PCAS_A", NVC6C0_SEND_PCAS_A, 1, kSendPcasA, "QMD address >> 8"},
    {"SEND_PCAS_B", 0x02B8, 1, kSendPcasB, ""},
    {"SEND_SIGNALING_PCAS_B", NVC6C0_SEND_SIGNALING_PCAS_B, 1, kSendSignalingPcasB,
     "pre-Ampere launch form"},
    {"SEND_SIGNALING_PCAS2_B", NVC6C0_SEND_SIGNALING_PCAS2_B, 1,
     WordFields<SendSignalingPcas2B, Cls>::kFields, "launch the QMD sent by SEND_PCAS_A"},
    {"SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A", NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A, 1,
     kSizeUpper, "local memory bytes per TPC, upper"},
    {"SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B", NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B, 1,
     kSizeLower, "local memory bytes per TPC, lower"},
    {"SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C", NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C, 1,
     is_hopper_or_later_compute(Cls) ? std::span<const BitField>(kNonThrottledCHopper)
                                     : std::span<const BitField>(kNonThrottledC),
     "tinygrad: MAX_SM_COUNT 0xFF"},
    {"SET_SPA_VERSION", 0x0310, 1, kSpaVersion, ""},
    {"SET_INLINE_QMD_ADDRESS_A", NVC6C0_SET_INLINE_QMD_ADDRESS_A, 1,
     WordFields<SetInlineQmdAddressA, Cls>::kFields, "inline QMD address >> 8, upper"},
    {"SET_INLINE_QMD_ADDRESS_B", NVC6C0_SET_INLINE_QMD_ADDRESS_B, 1, kInlineQmdAddressB,
     "inline QMD address >> 8, lower"},
    {"LOAD_INLINE_QMD_DATA", NVC6C0_LOAD_INLINE_QMD_DATA(0),
     static_cast<uint16_t>(qmd_dwords_for_class(Cls)), kV, "QMD dword i"},
    {"SET_SHADER_LOCAL_MEMORY_A", NVC6C0_SET_SHADER_LOCAL_MEMORY_A, 1,
     is_hopper_or_later_compute(Cls) ? std::span<const BitField>(kAddressUpper25)
                                     : std::span<const BitField>(kAddressUpper17),
     "local memory buffer VA upper"},
    {"SET_SHADER_LOCAL_MEMORY_B", NVC6C0_SET_SHADER_LOCAL_MEMORY_B, 1, kAddressLower,
     "local memory buffer VA lower"},
    {"SET_SHADER_LOCAL_MEMORY_WINDOW_A", NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_A, 1,
     kBaseAddressUpper17, "local window VA upper"},
    {"SET_SHADER_LOCAL_MEMORY_WINDOW_B", NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_B, 1, kBaseAddress,
     "local window VA lower"},
    {"INVALIDATE_TEXTURE_DATA_CACHE_NO_WFI", 0x1288, 1, kInvalidateLines, ""},
    {"INVALIDATE_SAMPLER_CACHE_NO_WFI", 0x1424, 1, kInvalidateLines, ""},
    {"INVALIDATE_SHADER_CACHES_NO_WFI", NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 1,
     WordFields<InvalidateShaderCachesNoWfi, Cls>::kFields, "tinygrad's memory barrier 0x1011"},
    {"SET_RENDER_ENABLE_OVERRIDE", 0x1944, 1, kRenderEnableOverride, ""},
    {"SET_REPORT_SEMAPHORE_A", 0x1B00, 1,
     is_hopper_or_later_compute(Cls) ? std::span<const BitField>(kOffsetUpper25)
                                     : std::span<const BitField>(kOffsetUpper8),
     "report semaphore VA upper"},
    {"SET_REPORT_SEMAPHORE_B", 0x1B04, 1, kOffsetLower, "report semaphore VA lower"},
    {"SET_REPORT_SEMAPHORE_C", 0x1B08, 1, kPayload, "report payload"},
    {"SET_REPORT_SEMAPHORE_D", 0x1B0C, 1, kReportSemaphoreD, "report operation"},
};

// ---- copy classes (clc6b5.h, clc7b5.h, clc8b5.h, clc9b5.h, clcab5.h; fact sheet §4.6, H§3) -----

constexpr BitField kNopParameter[] = {hex_field("parameter", 0, 0, 31, "PARAMETER 31:0")};
constexpr BitField kCopyUpper17[] = {copy_upper_field(AMPERE_DMA_COPY_A, "upper")};
constexpr BitField kCopyUpper25[] = {copy_upper_field(HOPPER_DMA_COPY_A, "upper")};
constexpr BitField kLower[] = {hex_field("lower", 0, 0, 31, "LOWER 31:0")};

template <uint32_t Cls>
constexpr std::span<const BitField> copy_upper() {
  return is_hopper_or_later_copy(Cls) ? std::span<const BitField>(kCopyUpper25)
                                      : std::span<const BitField>(kCopyUpper17);
}

template <uint32_t Cls>
constexpr MethodDesc kCopyMethodsC6B5[] = {
    {"NOP", 0x0100, 1, kNopParameter, ""},
    {"PM_TRIGGER", 0x0140, 1, kV, "profiling"},
    {"SET_SEMAPHORE_A", NVC6B5_SET_SEMAPHORE_A, 1, copy_upper<Cls>(), "semaphore VA upper"},
    {"SET_SEMAPHORE_B", NVC6B5_SET_SEMAPHORE_B, 1, kLower, "semaphore VA lower"},
    {"SET_SEMAPHORE_PAYLOAD", NVC6B5_SET_SEMAPHORE_PAYLOAD, 1, kPayload, "payload bits 31:0"},
    {"LAUNCH_DMA", NVC6B5_LAUNCH_DMA, 1, WordFields<CopyLaunchDma, Cls>::kFields,
     "start the copy and/or the semaphore release"},
    {"OFFSET_IN_UPPER", NVC6B5_OFFSET_IN_UPPER, 1, copy_upper<Cls>(), "source VA upper"},
    {"OFFSET_IN_LOWER", NVC6B5_OFFSET_IN_LOWER, 1, kValueHex, "source VA lower"},
    {"OFFSET_OUT_UPPER", NVC6B5_OFFSET_OUT_UPPER, 1, copy_upper<Cls>(), "destination VA upper"},
    {"OFFSET_OUT_LOWER", NVC6B5_OFFSET_OUT_LOWER, 1, kValueHex, "destination VA lower"},
    {"PITCH_IN", NVC6B5_PITCH_IN, 1, kValueUint, ""},
    {"PITCH_OUT", NVC6B5_PITCH_OUT, 1, kValueUint, ""},
    {"LINE_LENGTH_IN", NVC6B5_LINE_LENGTH_IN, 1, kValueUint, "bytes per line"},
    {"LINE_COUNT", NVC6B5_LINE_COUNT, 1, kValueUint, "lines (MULTI_LINE_ENABLE)"},
};
// C7B5 and later add SET_SEMAPHORE_PAYLOAD_UPPER (0x24C) for 64-bit payloads.
template <uint32_t Cls>
constexpr MethodDesc kCopyMethods[] = {
    {"NOP", 0x0100, 1, kNopParameter, ""},
    {"PM_TRIGGER", 0x0140, 1, kV, "profiling"},
    {"SET_SEMAPHORE_A", NVC6B5_SET_SEMAPHORE_A, 1, copy_upper<Cls>(), "semaphore VA upper"},
    {"SET_SEMAPHORE_B", NVC6B5_SET_SEMAPHORE_B, 1, kLower, "semaphore VA lower"},
    {"SET_SEMAPHORE_PAYLOAD", NVC6B5_SET_SEMAPHORE_PAYLOAD, 1, kPayload, "payload bits 31:0"},
    {"SET_SEMAPHORE_PAYLOAD_UPPER", NVC7B5_SET_SEMAPHORE_PAYLOAD_UPPER, 1, kPayload,
     "payload bits 63:32 (SEMAPHORE_PAYLOAD_SIZE TWO_WORD)"},
    {"LAUNCH_DMA", NVC6B5_LAUNCH_DMA, 1, WordFields<CopyLaunchDma, Cls>::kFields,
     "start the copy and/or the semaphore release"},
    {"OFFSET_IN_UPPER", NVC6B5_OFFSET_IN_UPPER, 1, copy_upper<Cls>(), "source VA upper"},
    {"OFFSET_IN_LOWER", NVC6B5_OFFSET_IN_LOWER, 1, kValueHex, "source VA lower"},
    {"OFFSET_OUT_UPPER", NVC6B5_OFFSET_OUT_UPPER, 1, copy_upper<Cls>(), "destination VA upper"},
    {"OFFSET_OUT_LOWER", NVC6B5_OFFSET_OUT_LOWER, 1, kValueHex, "destination VA lower"},
    {"PITCH_IN", NVC6B5_PITCH_IN, 1, kValueUint, ""},
    {"PITCH_OUT", NVC6B5_PITCH_OUT, 1, kValueUint, ""},
    {"LINE_LENGTH_IN", NVC6B5_LINE_LENGTH_IN, 1, kValueUint, "bytes per line"},
    {"LINE_COUNT", NVC6B5_LINE_COUNT, 1, kValueUint, "lines (MULTI_LINE_ENABLE)"},
};

constexpr ClassDesc kClasses[] = {
    {AMPERE_CHANNEL_GPFIFO_A, "AMPERE_CHANNEL_GPFIFO_A", ClassKind::kHost,
     kHostMethods<AMPERE_CHANNEL_GPFIFO_A, kSemAddrHiC56F>, "open-gpu-doc classes/host/clc56f.h"},
    {HOPPER_CHANNEL_GPFIFO_A, "HOPPER_CHANNEL_GPFIFO_A", ClassKind::kHost,
     kHostMethods<HOPPER_CHANNEL_GPFIFO_A, kSemAddrHiC86F>,
     "open-gpu-kernel-modules class/clc86f.h (trimmed; other rows from clc56f.h, H§3)"},
    {BLACKWELL_CHANNEL_GPFIFO_A, "BLACKWELL_CHANNEL_GPFIFO_A", ClassKind::kHost,
     kHostMethods<BLACKWELL_CHANNEL_GPFIFO_A, kSemAddrHiC86F>,
     "open-gpu-kernel-modules class/clc96f.h (trimmed; NON_STALL_INTERRUPT and "
     "RELEASE_TIMESTAMP from clc56f.h, UNCONFIRMED)"},
    {AMPERE_COMPUTE_A, "AMPERE_COMPUTE_A", ClassKind::kCompute, kComputeMethods<AMPERE_COMPUTE_A>,
     "open-gpu-doc classes/compute/clc6c0.h"},
    {AMPERE_COMPUTE_B, "AMPERE_COMPUTE_B", ClassKind::kCompute, kComputeMethods<AMPERE_COMPUTE_B>,
     "open-gpu-doc classes/compute/clc7c0.h"},
    {ADA_COMPUTE_A, "ADA_COMPUTE_A", ClassKind::kCompute, kComputeMethods<ADA_COMPUTE_A>,
     "open-gpu-doc classes/compute/clc9c0.h"},
    {HOPPER_COMPUTE_A, "HOPPER_COMPUTE_A", ClassKind::kCompute, kComputeMethods<HOPPER_COMPUTE_A>,
     "open-gpu-doc classes/compute/clcbc0.h"},
    {BLACKWELL_COMPUTE_A, "BLACKWELL_COMPUTE_A", ClassKind::kCompute,
     kComputeMethods<BLACKWELL_COMPUTE_A>, "open-gpu-doc classes/compute/clcdc0.h"},
    {BLACKWELL_COMPUTE_B, "BLACKWELL_COMPUTE_B", ClassKind::kCompute,
     kComputeMethods<BLACKWELL_COMPUTE_B>, "open-gpu-doc classes/compute/clcec0.h"},
    {AMPERE_DMA_COPY_A, "AMPERE_DMA_COPY_A", ClassKind::kCopy, kCopyMethodsC6B5<AMPERE_DMA_COPY_A>,
     "open-gpu-doc classes/dma-copy/clc6b5.h"},
    {AMPERE_DMA_COPY_B, "AMPERE_DMA_COPY_B", ClassKind::kCopy, kCopyMethods<AMPERE_DMA_COPY_B>,
     "open-gpu-doc classes/dma-copy/clc7b5.h"},
    {HOPPER_DMA_COPY_A, "HOPPER_DMA_COPY_A", ClassKind::kCopy, kCopyMethods<HOPPER_DMA_COPY_A>,
     "open-gpu-doc classes/dma-copy/clc8b5.h"},
    {BLACKWELL_DMA_COPY_A, "BLACKWELL_DMA_COPY_A", ClassKind::kCopy,
     kCopyMethods<BLACKWELL_DMA_COPY_A>, "open-gpu-doc classes/dma-copy/clc9b5.h"},
    {BLACKWELL_DMA_COPY_B, "BLACKWELL_DMA_COPY_B", ClassKind::kCopy,
     kCopyMethods<BLACKWELL_DMA_COPY_B>, "open-gpu-doc classes/dma-copy/clcab5.h"},
};

}  // namespace

// ---- classes ----

std::span<const ClassDesc> known_classes() { return kClasses; }

const ClassDesc* find_class(uint32_t id) {
  for (const ClassDesc& c : kClasses) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const MethodDesc* find_method(const ClassDesc& cls, uint32_t address, uint16_t* index) {
  // Rows are sorted by address: the candidate is the last row at or below `address`.
  const auto it = std::upper_bound(cls.methods.begin(), cls.methods.end(), address,
                                   [](uint32_t a, const MethodDesc& m) { return a < m.address; });
  if (it == cls.methods.begin()) return nullptr;
  const MethodDesc& m = *(it - 1);
  const uint32_t delta = address - m.address;
  if ((delta & 3) != 0 || delta / 4 >= m.count) return nullptr;
  if (index != nullptr) *index = static_cast<uint16_t>(delta / 4);
  return &m;
}

const MethodDesc* find_method(const ClassDesc& cls, std::string_view name) {
  for (const MethodDesc& m : cls.methods) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

// ---- method headers ----

Result<MethodHeader> decode_method_header(uint32_t word, uint32_t at) {
  const auto op = static_cast<SecOp>(word >> 29);
  const std::string where = "pushbuffer header at dword " + std::to_string(at);
  switch (op) {
    case SecOp::INC_METHOD:
    case SecOp::NON_INC_METHOD:
    case SecOp::ONE_INC:
    case SecOp::IMMD_DATA_METHOD: break;
    case SecOp::END_PB_SEGMENT:
      if ((word & 0x1FFFFFFFu) != 0) {
        return Error::invalid(where,
                              "END_PB_SEGMENT with other bits set (header " + hex32(word) + ")");
      }
      return MethodHeader{op, 0, 0, 0};
    default:
      return Error::invalid(where, std::string("SEC_OP ") +
                                       core::enum_name(kSecOpNames, word >> 29) + " (" +
                                       std::to_string(word >> 29) + ") is not described (header " +
                                       hex32(word) + ")");
  }
  if ((word & kMethodHeaderReservedBits) != 0) {
    return Error::invalid(where, "reserved bit 12 is set (header " + hex32(word) + ")");
  }
  const std::array<uint32_t, 2> w{word, 0};
  MethodHeader h;
  h.sec_op = op;
  h.subchannel = static_cast<uint8_t>(core::get_field(w, NVC56F_DMA_METHOD_SUBCHANNEL));
  h.method = static_cast<uint16_t>(core::get_field(w, NVC56F_DMA_METHOD_ADDRESS));
  h.count = static_cast<uint16_t>(core::get_field(w, NVC56F_DMA_METHOD_COUNT));
  return h;
}

// ---- table-checked encoders ----

core::EncodeResult encode_method(std::span<uint32_t> out, uint32_t cls, uint8_t subchannel,
                                 uint32_t method, uint32_t value) {
  const ClassDesc* c = find_class(cls);
  const char* cn = detail::name_or(cls);
  if (c == nullptr) return detail::refuse(cn, "method", "class", cls, "not a described class");
  uint16_t index = 0;
  const MethodDesc* m = method <= 0xFFFF ? find_method(*c, method, &index) : nullptr;
  if (m == nullptr) {
    return detail::refuse(cn, "method", "method", method,
                          method < kHostMethodLimit && c->kind != ClassKind::kHost
                              ? "methods below 0x100 belong to the host class: pass it"
                              : "the class table has no method at this address");
  }
  const std::array<uint32_t, 1> w{value};
  const core::PacketLayout layout{m->name, m->fields, 1, nullptr};
  if (const std::optional<core::FieldProblem> p = core::find_field_problem(layout, w)) {
    if (p->kind == core::FieldProblem::Kind::kBadEnum) {
      return detail::refuse(cn, m->name, p->field->name, p->value,
                            "the value is not one the field defines");
    }
    return detail::refuse(cn, m->name, "value", value,
                          "bits no field of the method covers are set");
  }
  uint32_t header = 0;
  const core::EncodeResult h = encode_method_header(
      {SecOp::INC_METHOD, subchannel, static_cast<uint16_t>(method), 1}, header);
  if (!h) return h;
  if (out.size() < 2) return core::encode_no_space(cn, m->name, 2, out.size());
  out[0] = header;
  out[1] = value;
  return detail::encoded(2, cn, m->name);
}

core::EncodeResult encode_address_pair(std::span<uint32_t> out, uint32_t cls, uint8_t subchannel,
                                       uint32_t upper_method, uint64_t address) {
  const ClassDesc* c = find_class(cls);
  const char* cn = detail::name_or(cls);
  if (c == nullptr) return detail::refuse(cn, "method", "class", cls, "not a described class");
  const MethodDesc* a = upper_method <= 0xFFFF ? find_method(*c, upper_method) : nullptr;
  const MethodDesc* b = upper_method <= 0xFFFF ? find_method(*c, upper_method + 4) : nullptr;
  // The pair must be an upper field (bits k:0, k < 31) followed by a whole lower word.
  if (a == nullptr || b == nullptr || a->count != 1 || b->count != 1 || a->fields.size() != 1 ||
      b->fields.size() != 1 || a->fields[0].lo != 0 || a->fields[0].hi >= 31 ||
      b->fields[0].lo != 0 || b->fields[0].hi != 31) {
    return detail::refuse(cn, a != nullptr ? a->name : "method", "upper_method", upper_method,
                          "not the upper half of an upper/lower address pair of this class");
  }
  std::array<uint32_t, 3> buf{};
  core::FieldWriter w(std::span<uint32_t>(buf).subspan(1, 1), cn, a->name);
  w.set(a->fields[0], address >> 32);
  if (!w.ok()) return w.result(0);
  buf[2] = static_cast<uint32_t>(address);
  const core::EncodeResult h = encode_method_header(
      {SecOp::INC_METHOD, subchannel, static_cast<uint16_t>(upper_method), 2}, buf[0]);
  if (!h) return h;
  if (out.size() < 3) return core::encode_no_space(cn, a->name, 3, out.size());
  std::copy(buf.begin(), buf.end(), out.begin());
  return detail::encoded(3, cn, a->name);
}

// ---- GPFIFO entries ----

Result<GpfifoEntry> decode_gpfifo_entry(uint64_t entry, uint32_t slot) {
  const std::array<uint32_t, 2> w{static_cast<uint32_t>(entry), static_cast<uint32_t>(entry >> 32)};
  const std::string where = "GPFIFO entry " + std::to_string(slot);
  if (const std::optional<core::FieldProblem> p = core::find_field_problem(kGpEntryLayout, w)) {
    return Error::invalid(where, core::describe(*p) + " (entry " + hex(entry) + ")");
  }
  GpfifoEntry e;
  e.fetch = static_cast<GpFetch>(core::get_field(w, kGpEntryFields[0]));
  e.address = core::get_field(w, kGpEntryFields[1]);
  e.level = static_cast<GpLevel>(core::get_field(w, kGpEntryFields[2]));
  e.length = static_cast<uint32_t>(core::get_field(w, kGpEntryFields[3]));
  e.sync = static_cast<GpSync>(core::get_field(w, kGpEntryFields[4]));
  if (e.length == 0) {
    return Error::invalid(where, "LENGTH 0: a control entry (GP_ENTRY1_OPCODE " +
                                     std::to_string(w[1] & 0xFF) +
                                     "), which is not described (entry " + hex(entry) + ")");
  }
  return e;
}

std::string format_gpfifo_entry(uint64_t entry) {
  const std::array<uint32_t, 2> w{static_cast<uint32_t>(entry), static_cast<uint32_t>(entry >> 32)};
  return core::format_packet(kGpEntryLayout, w);
}

// ---- pushbuffer decoding ----

uint32_t PushbufferEntry::writes() const {
  switch (header.sec_op) {
    case SecOp::IMMD_DATA_METHOD: return 1;
    case SecOp::END_PB_SEGMENT: return 0;
    default: return static_cast<uint32_t>(data.size());
  }
}

uint32_t PushbufferEntry::method_of(uint32_t i) const {
  switch (header.sec_op) {
    case SecOp::INC_METHOD: return header.method + 4 * i;
    case SecOp::ONE_INC: return header.method + (i == 0 ? 0 : 4);
    default: return header.method;
  }
}

uint32_t PushbufferEntry::value_of(uint32_t i) const {
  return header.sec_op == SecOp::IMMD_DATA_METHOD ? header.count : data[i];
}

uint32_t PushbufferEntry::offset_of(uint32_t i) const {
  return header.sec_op == SecOp::IMMD_DATA_METHOD ? offset : offset + 1 + i;
}

Result<PushbufferEntry> decode_entry(std::span<const uint32_t> pb, uint32_t offset, uint32_t base) {
  const uint32_t at = base + offset;
  if (offset >= pb.size()) {
    return Error::invalid(
        "pushbuffer header at dword " + std::to_string(at),
        "the offset is past the end of the pushbuffer (" + std::to_string(pb.size()) + " dwords)");
  }
  Result<MethodHeader> h = decode_method_header(pb[offset], at);
  if (!h.ok()) return std::move(h).error();
  PushbufferEntry e;
  e.offset = at;
  e.header = *h;
  if (h->sec_op == SecOp::IMMD_DATA_METHOD || h->sec_op == SecOp::END_PB_SEGMENT) return e;
  const size_t left = pb.size() - offset - 1;
  if (h->count > left) {
    return Error::invalid("pushbuffer header at dword " + std::to_string(at),
                          "count " + std::to_string(h->count) +
                              " runs past the end of the pushbuffer: " + std::to_string(left) +
                              " data dwords are left (header " + hex32(pb[offset]) + ")");
  }
  e.data = pb.subspan(offset + 1, h->count);
  return e;
}

namespace {

std::string write_op(const ClassDesc* c, const MethodDesc* m, uint16_t index, uint16_t method,
                     uint32_t at) {
  std::string s = "pushbuffer ";
  if (c != nullptr) {
    s += c->name;
    s += '.';
  }
  if (m != nullptr) {
    s += m->name;
    if (m->count > 1) {
      s += '(';
      s += std::to_string(index);
      s += ')';
    }
  } else {
    s += "method " + hex(method);
  }
  return s + " at dword " + std::to_string(at);
}

}  // namespace

Result<MethodWrite> resolve_write(ChannelState& st, const PushbufferEntry& e, uint32_t i) {
  MethodWrite w;
  w.offset = e.offset_of(i);
  w.sec_op = e.header.sec_op;
  w.subchannel = e.header.subchannel;
  w.method = static_cast<uint16_t>(e.method_of(i));
  w.data = e.value_of(i);
  if (w.method == NVC6C0_SET_OBJECT) {
    const uint32_t id = w.data & 0xFFFF;
    const std::optional<ClassKind> kind = class_kind(id);
    if (!kind || *kind == ClassKind::kHost) {
      const char* n = class_name(id);
      return Error::invalid(write_op(nullptr, nullptr, 0, w.method, w.offset),
                            "SET_OBJECT of class " + hex(id) +
                                (n != nullptr ? std::string(" (") + n + ")" : "") +
                                " on subchannel " + std::to_string(w.subchannel) +
                                ": not a described compute or copy class");
    }
    st.subchannel_class[w.subchannel] = id;
    // Copy classes have no SET_OBJECT row of their own: the host's describes it.
    w.cls = find_class(id);
    w.desc = find_method(*w.cls, NVC6C0_SET_OBJECT);
    if (w.desc == nullptr) {
      w.cls = find_class(st.host_class);
      w.desc = w.cls != nullptr ? find_method(*w.cls, NVC56F_SET_OBJECT) : nullptr;
      if (w.desc == nullptr) w.cls = find_class(id);
    }
  } else if (w.method < kHostMethodLimit) {
    w.cls = find_class(st.host_class);
    if (w.cls == nullptr || w.cls->kind != ClassKind::kHost) {
      return Error::invalid(write_op(nullptr, nullptr, 0, w.method, w.offset),
                            "host method with no host class for the channel (ChannelState "
                            "host_class " +
                                hex(st.host_class) + ")");
    }
    w.desc = find_method(*w.cls, w.method, &w.index);
  } else {
    const uint32_t id = st.subchannel_class[w.subchannel];
    if (id == 0) {
      return Error::invalid(
          write_op(nullptr, nullptr, 0, w.method, w.offset),
          "subchannel " + std::to_string(w.subchannel) + " has no class bound (SET_OBJECT first)");
    }
    w.cls = find_class(id);
    if (w.cls == nullptr) {
      return Error::invalid(write_op(nullptr, nullptr, 0, w.method, w.offset),
                            "subchannel " + std::to_string(w.subchannel) + " is bound to " +
                                hex(id) + ", which is not a described class");
    }
    w.desc = find_method(*w.cls, w.method, &w.index);
  }
  if (w.desc != nullptr) {
    const std::array<uint32_t, 1> word{w.data};
    const core::PacketLayout layout{w.desc->name, w.desc->fields, 1, nullptr};
    if (const std::optional<core::FieldProblem> p = core::find_field_problem(layout, word)) {
      return Error::invalid(write_op(w.cls, w.desc, w.index, w.method, w.offset),
                            core::describe(*p) + " (data " + hex32(w.data) + ")");
    }
  }
  return w;
}

std::string MethodWrite::name() const {
  std::string s = cls != nullptr ? cls->name : "?";
  s += '.';
  if (desc != nullptr) {
    s += desc->name;
    if (desc->count > 1) {
      s += '(';
      s += std::to_string(index);
      s += ')';
    }
  } else {
    char buf[24];
    std::snprintf(buf, sizeof buf, "METHOD_0x%04" PRIx32, uint32_t{method});
    s += buf;
  }
  return s;
}

std::string MethodWrite::text() const {
  if (desc == nullptr) return name() + "{data=" + hex(data) + "}";
  const std::array<uint32_t, 1> word{data};
  return name() + core::format_packet(core::PacketLayout{"", desc->fields, 1, nullptr}, word);
}

std::optional<uint64_t> MethodWrite::field(std::string_view f) const {
  if (desc == nullptr) return std::nullopt;
  const std::array<uint32_t, 2> word{data, 0};  // fields are in dword 0; room for the reader
  for (const BitField& b : desc->fields) {
    if (f == b.name) return core::get_field(word, b);
  }
  return std::nullopt;
}

Result<std::vector<MethodWrite>> decode_pushbuffer(std::span<const uint32_t> pb, ChannelState& st,
                                                   uint32_t base) {
  std::vector<MethodWrite> out;
  core::Status s = walk_pushbuffer(
      pb, st,
      [&](const MethodWrite& w) {
        out.push_back(w);
        return true;
      },
      base);
  if (!s.ok()) return std::move(s).error();
  return out;
}

std::string disassemble_pushbuffer(std::span<const uint32_t> pb, ChannelState st, uint32_t base) {
  std::string out;
  char pos[24];
  for (uint32_t off = 0; off < pb.size();) {
    Result<PushbufferEntry> e = decode_entry(pb, off, base);
    if (!e.ok()) {
      std::snprintf(pos, sizeof pos, "0x%04" PRIx32 ": ", base + off);
      out += pos;
      out += "error: " + e.error().message() + "\n";
      return out;
    }
    if (e->header.sec_op == SecOp::END_PB_SEGMENT) {
      std::snprintf(pos, sizeof pos, "0x%04" PRIx32 ": ", e->offset);
      out += pos;
      out += "END_PB_SEGMENT\n";
      return out;
    }
    const char* mark = e->header.sec_op == SecOp::NON_INC_METHOD     ? " [NON_INC]"
                       : e->header.sec_op == SecOp::ONE_INC          ? " [ONE_INC]"
                       : e->header.sec_op == SecOp::IMMD_DATA_METHOD ? " [IMMD]"
                                                                     : "";
    for (uint32_t i = 0; i < e->writes(); ++i) {
      Result<MethodWrite> w = resolve_write(st, *e, i);
      std::snprintf(pos, sizeof pos, "0x%04" PRIx32 ": ", e->offset_of(i));
      out += pos;
      if (!w.ok()) {
        out += "error: " + w.error().message() + "\n";
        return out;
      }
      out += "subch " + std::to_string(w->subchannel) + " " + w->text() + mark + "\n";
    }
    off += e->dwords();
  }
  return out;
}

// ================================================================================================
// QMD tables: every field NVIDIA's header defines for the version, in bit order, transcribed from
// open-gpu-doc classes/compute/clc9c0qmd.h (V03_00), clcbc0qmd.h (V04_00) and clcec0qmd.h
// (V05_00) — q("NAME", hi, lo, …) is the header's MW(hi:lo). Fields named *RESERVED* are left out
// (their bits must be 0). The fact sheet (§5, H§1) confirms the rows rawgpu maps to QmdParams;
// the other rows are printed by name and must be 0 in a QMD decode_qmd accepts.
// V03_00 uses Ada's names (clc9c0qmd.h: TRAP_TYPE, OCCUPANCY_*, SM_DISABLE_MASK_EXT_*); on
// C6C0/C7C0 some of those bits are reserved or named differently (NON_BLOCKING_INTR_TYPE).
// TPC_DISABLE_MASK(i): the header gives no bound for i; the rows fill the gap to the next field
// (18 on V04_00, 8 on V05_00), UNCONFIRMED.
// How to add a version: its rows here, a QmdTable entry, qmd_version_of(), a round-trip test.
// ================================================================================================

namespace {

using K = QmdKey;
constexpr auto kUint = core::FieldKind::kUint;
constexpr auto kHex = core::FieldKind::kHex;
constexpr auto kBool = core::FieldKind::kBool;
constexpr auto kEnum = core::FieldKind::kEnum;

constexpr core::EnumName kQmdTypeNames[] = {{0, "QUEUE"},        {1, "GRID_NULL"},
                                            {2, "GRID_CTA"},     {3, "GRID_GPC_CGA"},
                                            {4, "GRID_GPU_CGA"}, {5, "GRID_GPU_GPC_CGA"}};
constexpr core::EnumName kCwdMembarTypeNames[] = {
    {0, "L1_NONE"}, {1, "L1_SYSMEMBAR"}, {3, "L1_MEMBAR"}};
constexpr core::EnumName kApiVisibleCallLimitNames[] = {{0, "_32"}, {1, "NO_CHECK"}};
constexpr core::EnumName kSamplerIndexNames[] = {{0, "INDEPENDENTLY"}, {1, "VIA_HEADER_INDEX"}};
constexpr core::EnumName kReleaseStructureSizeNames[] = {
    {0, "SEMAPHORE_FOUR_WORDS"}, {1, "SEMAPHORE_ONE_WORD"}, {2, "SEMAPHORE_TWO_WORDS"}};
constexpr core::EnumName kReleaseMembarTypeNames[] = {{0, "FE_NONE"}, {1, "FE_SYSMEMBAR"}};
constexpr core::EnumName kReductionOpNames[] = {{0, "RED_ADD"}, {1, "RED_MIN"}, {2, "RED_MAX"},
                                                {3, "RED_INC"}, {4, "RED_DEC"}, {5, "RED_AND"},
                                                {6, "RED_OR"},  {7, "RED_XOR"}};
constexpr core::EnumName kReductionFormatNames[] = {{0, "UNSIGNED"}, {1, "SIGNED"}};
constexpr core::EnumName kReleaseTrapTypeNames[] = {{0, "TRAP_NONE"},
                                                    {1, "TRAP_UNCONDITIONAL"},
                                                    {2, "TRAP_CONDITIONAL"},
                                                    {3, "TRAP_CONDITIONAL_EXT"}};
constexpr core::EnumName kDependentQmdActionNames[] = {{0, "QMD_INCREMENT_PUT"},
                                                       {1, "QMD_SCHEDULE"},
                                                       {3, "QMD_INVALIDATE_COPY_SCHEDULE"},
                                                       {4, "QMD_DECREMENT_DEPENDENCE"}};
constexpr core::EnumName kProgramPrefetchTypeNames[] = {{0, "PREFETCH_LAUNCH"},
                                                        {1, "PREFTECH_POST"}};
constexpr core::EnumName kConstantBufferPrefetchNames[] = {
    {0, "PREFETCH_NONE"}, {1, "PREFETCH_PRE"}, {2, "PREFETCH_POST"}};
constexpr core::EnumName kCgaCtaDistributionModeNames[] = {{0, "LOAD_BALANCING"},
                                                           {1, "MULTI_CAST"}};

// A row: MW(hi:lo) of the header; every row is "quiet" so the printer shows non-zero fields only.
constexpr QmdField q(const char* name, uint32_t hi, uint32_t lo, core::FieldKind kind,
                     std::span<const core::EnumName> names, QmdKey key = QmdKey::kNone,
                     uint8_t slot = 0, uint8_t value_shift = 0) {
  const auto dw = static_cast<uint16_t>(lo / 32);
  const BitField b{name,
                   dw,
                   static_cast<uint8_t>(lo - 32u * dw),
                   static_cast<uint8_t>(hi - 32u * dw),
                   kind,
                   0,
                   core::kFieldQuiet,
                   0,
                   names,
                   ""};
  return QmdField{b, key, slot, value_shift};
}

// clc9c0qmd.h NVC9C0_QMDV03_00_* (64 dwords).
constexpr QmdField kQmdV03[] = {
    q("OUTER_PUT", 30, 0, kHex, {}),
    q("OUTER_OVERFLOW", 31, 31, kBool, {}),
    q("OUTER_GET", 62, 32, kHex, {}),
    q("OUTER_STICKY_OVERFLOW", 63, 63, kBool, {}),
    q("INNER_GET", 94, 64, kHex, {}),
    q("INNER_OVERFLOW", 95, 95, kBool, {}),
    q("INNER_PUT", 126, 96, kHex, {}),
    q("INNER_STICKY_OVERFLOW", 127, 127, kBool, {}),
    q("QMD_GROUP_ID", 133, 128, kHex, {}, K::kQmdGroupId, 0, 0),
    q("SM_GLOBAL_CACHING_ENABLE", 134, 134, kBool, {}, K::kSmGlobalCachingEnable, 0, 0),
    q("RUN_CTA_IN_ONE_SM_PARTITION", 135, 135, kBool, {}),
    q("IS_QUEUE", 136, 136, kBool, {}, K::kQmdType, 0, 0),
    q("ADD_TO_HEAD_OF_QMD_GROUP_LINKED_LIST", 137, 137, kBool, {}),
    q("REQUIRE_SCHEDULING_PCAS", 140, 140, kBool, {}),
    q("DEPENDENCE_COUNTER", 157, 142, kUint, {}),
    q("SELF_COPY_ON_COMPLETION", 158, 158, kBool, {}),
    q("CIRCULAR_QUEUE_SIZE", 184, 160, kUint, {}),
    q("DEMOTE_L2_EVICT_LAST", 185, 185, kBool, {}),
    q("INVALIDATE_TEXTURE_HEADER_CACHE", 186, 186, kBool, {}, K::kInvalidateTextureHeaderCache, 0,
      0),
    q("INVALIDATE_TEXTURE_SAMPLER_CACHE", 187, 187, kBool, {}, K::kInvalidateTextureSamplerCache, 0,
      0),
    q("INVALIDATE_TEXTURE_DATA_CACHE", 188, 188, kBool, {}, K::kInvalidateTextureDataCache, 0, 0),
    q("INVALIDATE_SHADER_DATA_CACHE", 189, 189, kBool, {}, K::kInvalidateShaderDataCache, 0, 0),
    q("INVALIDATE_INSTRUCTION_CACHE", 190, 190, kBool, {}, K::kInvalidateInstructionCache, 0, 0),
    q("INVALIDATE_SHADER_CONSTANT_CACHE", 191, 191, kBool, {}, K::kInvalidateShaderConstantCache, 0,
      0),
    q("CTA_RASTER_WIDTH_RESUME", 223, 192, kUint, {}),
    q("CTA_RASTER_HEIGHT_RESUME", 239, 224, kUint, {}),
    q("CTA_RASTER_DEPTH_RESUME", 255, 240, kUint, {}),
    q("PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED", 287, 256, kHex, {}, K::kProgramPrefetchAddress, 0, 8),
    q("CIRCULAR_QUEUE_ADDR_LOWER", 319, 288, kHex, {}),
    q("CIRCULAR_QUEUE_ADDR_UPPER", 327, 320, kHex, {}),
    q("CIRCULAR_QUEUE_ENTRY_SIZE", 351, 336, kUint, {}),
    q("CWD_REFERENCE_COUNT_ID", 357, 352, kHex, {}),
    q("CWD_REFERENCE_COUNT_DELTA_MINUS_ONE", 365, 358, kUint, {}),
    q("CWD_REFERENCE_COUNT_INCR_ENABLE", 367, 367, kBool, {}),
    q("CWD_MEMBAR_TYPE", 369, 368, kEnum, kCwdMembarTypeNames, K::kCwdMembarType, 0, 0),
    q("SEQUENTIALLY_RUN_CTAS", 370, 370, kBool, {}),
    q("CWD_REFERENCE_COUNT_DECR_ENABLE", 371, 371, kBool, {}),
    q("SM_DISABLE_MASK_EXT_LOWER", 377, 372, kHex, {}),
    q("API_VISIBLE_CALL_LIMIT", 378, 378, kEnum, kApiVisibleCallLimitNames, K::kApiVisibleCallLimit,
      0, 0),
    q("SM_DISABLE_MASK_EXT_UPPER", 380, 379, kHex, {}),
    q("SAMPLER_INDEX", 382, 382, kEnum, kSamplerIndexNames, K::kSamplerIndex, 0, 0),
    q("DISABLE_AUTO_INVALIDATE", 383, 383, kBool, {}),
    q("CTA_RASTER_WIDTH", 415, 384, kUint, {}, K::kGrid, 0, 0),
    q("CTA_RASTER_HEIGHT", 431, 416, kUint, {}, K::kGrid, 1, 0),
    q("CTA_RASTER_DEPTH", 463, 448, kUint, {}, K::kGrid, 2, 0),
    q("DEPENDENT_QMD0_POINTER", 511, 480, kHex, {}, K::kDependentQmdAddress, 0, 8),
    q("DEPENDENT_QMD0_ENABLE", 512, 512, kBool, {}, K::kDependentQmdEnable, 0, 0),
    q("DEPENDENT_QMD0_ACTION", 515, 513, kEnum, kDependentQmdActionNames, K::kDependentQmdAction, 0,
      0),
    q("DEPENDENT_QMD0_PREFETCH", 516, 516, kBool, {}, K::kDependentQmdPrefetch, 0, 0),
    q("DEPENDENT_QMD1_ENABLE", 517, 517, kBool, {}, K::kDependentQmdEnable, 1, 0),
    q("DEPENDENT_QMD1_ACTION", 520, 518, kEnum, kDependentQmdActionNames, K::kDependentQmdAction, 1,
      0),
    q("DEPENDENT_QMD1_PREFETCH", 521, 521, kBool, {}, K::kDependentQmdPrefetch, 1, 0),
    q("COALESCE_WAITING_PERIOD", 529, 522, kUint, {}),
    q("QUEUE_ENTRIES_PER_CTA_LOG2", 534, 530, kUint, {}),
    q("OCCUPANCY_THRESHOLD_SHARED_MEM", 542, 535, kUint, {}),
    q("CTA_LAUNCH_QUEUE", 543, 543, kBool, {}),
    q("SHARED_MEMORY_SIZE", 561, 544, kUint, {}, K::kSharedMemorySize, 0, 0),
    q("MIN_SM_CONFIG_SHARED_MEM_SIZE", 567, 562, kUint, {}, K::kMinSmConfigSharedMemSize, 0, 0),
    q("MAX_SM_CONFIG_SHARED_MEM_SIZE", 574, 569, kUint, {}, K::kMaxSmConfigSharedMemSize, 0, 0),
    q("QMD_VERSION", 579, 576, kHex, {}, K::kMinorVersion, 0, 0),
    q("QMD_MAJOR_VERSION", 583, 580, kHex, {}, K::kMajorVersion, 0, 0),
    q("OCCUPANCY_MAX_SHARED_MEM", 591, 584, kUint, {}),
    q("CTA_THREAD_DIMENSION0", 607, 592, kUint, {}, K::kBlock, 0, 0),
    q("CTA_THREAD_DIMENSION1", 623, 608, kUint, {}, K::kBlock, 1, 0),
    q("CTA_THREAD_DIMENSION2", 639, 624, kUint, {}, K::kBlock, 2, 0),
    q("CONSTANT_BUFFER_VALID(0)", 640, 640, kBool, {}, K::kConstantBufferValid, 0, 0),
    q("CONSTANT_BUFFER_VALID(1)", 641, 641, kBool, {}, K::kConstantBufferValid, 1, 0),
    q("CONSTANT_BUFFER_VALID(2)", 642, 642, kBool, {}, K::kConstantBufferValid, 2, 0),
    q("CONSTANT_BUFFER_VALID(3)", 643, 643, kBool, {}, K::kConstantBufferValid, 3, 0),
    q("CONSTANT_BUFFER_VALID(4)", 644, 644, kBool, {}, K::kConstantBufferValid, 4, 0),
    q("CONSTANT_BUFFER_VALID(5)", 645, 645, kBool, {}, K::kConstantBufferValid, 5, 0),
    q("CONSTANT_BUFFER_VALID(6)", 646, 646, kBool, {}, K::kConstantBufferValid, 6, 0),
    q("CONSTANT_BUFFER_VALID(7)", 647, 647, kBool, {}, K::kConstantBufferValid, 7, 0),
    q("REGISTER_COUNT_V", 656, 648, kUint, {}, K::kRegisterCount, 0, 0),
    q("TARGET_SM_CONFIG_SHARED_MEM_SIZE", 662, 657, kUint, {}, K::kTargetSmConfigSharedMemSize, 0,
      0),
    q("SHARED_ALLOCATION_ENABLE", 663, 663, kBool, {}, K::kSharedAllocationEnable, 0, 0),
    q("FREE_CTA_SLOTS_EMPTY_SM", 671, 664, kUint, {}),
    q("SM_DISABLE_MASK_LOWER", 703, 672, kHex, {}),
    q("SM_DISABLE_MASK_UPPER", 735, 704, kHex, {}),
    q("SHADER_LOCAL_MEMORY_LOW_SIZE", 759, 736, kUint, {}, K::kShaderLocalMemoryLowSize, 0, 0),
    q("BARRIER_COUNT", 767, 763, kUint, {}, K::kBarrierCount, 0, 0),
    q("RELEASE0_ADDRESS_LOWER", 799, 768, kHex, {}, K::kReleaseAddress, 0, 0),
    q("RELEASE0_ADDRESS_UPPER", 807, 800, kHex, {}, K::kReleaseAddress, 0, 32),
    q("RELEASE0_MEMBAR_TYPE", 819, 819, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 0,
      0),
    q("RELEASE0_REDUCTION_OP", 822, 820, kEnum, kReductionOpNames, K::kReleaseReductionOp, 0, 0),
    q("RELEASE0_ENABLE", 823, 823, kBool, {}, K::kReleaseEnable, 0, 0),
    q("RELEASE0_REDUCTION_FORMAT", 825, 824, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 0, 0),
    q("RELEASE0_REDUCTION_ENABLE", 826, 826, kBool, {}, K::kReleaseReductionEnable, 0, 0),
    q("RELEASE0_TRAP_TYPE", 828, 827, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 0, 0),
    q("RELEASE0_PAYLOAD64B", 829, 829, kBool, {}, K::kReleasePayload64b, 0, 0),
    q("RELEASE0_STRUCTURE_SIZE", 831, 830, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 0, 0),
    q("RELEASE0_PAYLOAD_LOWER", 863, 832, kUint, {}, K::kReleasePayload, 0, 0),
    q("RELEASE0_PAYLOAD_UPPER", 895, 864, kUint, {}, K::kReleasePayload, 0, 32),
    q("RELEASE1_ADDRESS_LOWER", 927, 896, kHex, {}, K::kReleaseAddress, 1, 0),
    q("RELEASE1_ADDRESS_UPPER", 935, 928, kHex, {}, K::kReleaseAddress, 1, 32),
    q("RELEASE1_MEMBAR_TYPE", 947, 947, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 1,
      0),
    q("RELEASE1_REDUCTION_OP", 950, 948, kEnum, kReductionOpNames, K::kReleaseReductionOp, 1, 0),
    q("RELEASE1_ENABLE", 951, 951, kBool, {}, K::kReleaseEnable, 1, 0),
    q("RELEASE1_REDUCTION_FORMAT", 953, 952, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 1, 0),
    q("RELEASE1_REDUCTION_ENABLE", 954, 954, kBool, {}, K::kReleaseReductionEnable, 1, 0),
    q("RELEASE1_TRAP_TYPE", 956, 955, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 1, 0),
    q("RELEASE1_PAYLOAD64B", 957, 957, kBool, {}, K::kReleasePayload64b, 1, 0),
    q("RELEASE1_STRUCTURE_SIZE", 959, 958, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 1, 0),
    q("RELEASE1_PAYLOAD_LOWER", 991, 960, kUint, {}, K::kReleasePayload, 1, 0),
    q("RELEASE1_PAYLOAD_UPPER", 1023, 992, kUint, {}, K::kReleasePayload, 1, 32),
    q("CONSTANT_BUFFER_ADDR_LOWER(0)", 1055, 1024, kHex, {}, K::kConstantBufferAddress, 0, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(0)", 1072, 1056, kHex, {}, K::kConstantBufferAddress, 0, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(0)", 1073, 1073, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(0)", 1074, 1074, kBool, {}, K::kConstantBufferInvalidate, 0, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(0)", 1087, 1075, kUint, {}, K::kConstantBufferSize, 0, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(1)", 1119, 1088, kHex, {}, K::kConstantBufferAddress, 1, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(1)", 1136, 1120, kHex, {}, K::kConstantBufferAddress, 1, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(1)", 1137, 1137, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(1)", 1138, 1138, kBool, {}, K::kConstantBufferInvalidate, 1, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(1)", 1151, 1139, kUint, {}, K::kConstantBufferSize, 1, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(2)", 1183, 1152, kHex, {}, K::kConstantBufferAddress, 2, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(2)", 1200, 1184, kHex, {}, K::kConstantBufferAddress, 2, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(2)", 1201, 1201, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(2)", 1202, 1202, kBool, {}, K::kConstantBufferInvalidate, 2, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(2)", 1215, 1203, kUint, {}, K::kConstantBufferSize, 2, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(3)", 1247, 1216, kHex, {}, K::kConstantBufferAddress, 3, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(3)", 1264, 1248, kHex, {}, K::kConstantBufferAddress, 3, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(3)", 1265, 1265, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(3)", 1266, 1266, kBool, {}, K::kConstantBufferInvalidate, 3, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(3)", 1279, 1267, kUint, {}, K::kConstantBufferSize, 3, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(4)", 1311, 1280, kHex, {}, K::kConstantBufferAddress, 4, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(4)", 1328, 1312, kHex, {}, K::kConstantBufferAddress, 4, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(4)", 1329, 1329, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(4)", 1330, 1330, kBool, {}, K::kConstantBufferInvalidate, 4, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(4)", 1343, 1331, kUint, {}, K::kConstantBufferSize, 4, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(5)", 1375, 1344, kHex, {}, K::kConstantBufferAddress, 5, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(5)", 1392, 1376, kHex, {}, K::kConstantBufferAddress, 5, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(5)", 1393, 1393, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(5)", 1394, 1394, kBool, {}, K::kConstantBufferInvalidate, 5, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(5)", 1407, 1395, kUint, {}, K::kConstantBufferSize, 5, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(6)", 1439, 1408, kHex, {}, K::kConstantBufferAddress, 6, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(6)", 1456, 1440, kHex, {}, K::kConstantBufferAddress, 6, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(6)", 1457, 1457, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(6)", 1458, 1458, kBool, {}, K::kConstantBufferInvalidate, 6, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(6)", 1471, 1459, kUint, {}, K::kConstantBufferSize, 6, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER(7)", 1503, 1472, kHex, {}, K::kConstantBufferAddress, 7, 0),
    q("CONSTANT_BUFFER_ADDR_UPPER(7)", 1520, 1504, kHex, {}, K::kConstantBufferAddress, 7, 32),
    q("CONSTANT_BUFFER_PREFETCH_POST(7)", 1521, 1521, kBool, {}),
    q("CONSTANT_BUFFER_INVALIDATE(7)", 1522, 1522, kBool, {}, K::kConstantBufferInvalidate, 7, 0),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(7)", 1535, 1523, kUint, {}, K::kConstantBufferSize, 7, 4),
    q("PROGRAM_ADDRESS_LOWER", 1567, 1536, kHex, {}, K::kProgramAddress, 0, 0),
    q("PROGRAM_ADDRESS_UPPER", 1584, 1568, kHex, {}, K::kProgramAddress, 0, 32),
    q("SHADER_LOCAL_MEMORY_HIGH_SIZE", 1623, 1600, kUint, {}, K::kShaderLocalMemoryHighSize, 0, 0),
    q("PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED", 1640, 1632, kHex, {}, K::kProgramPrefetchAddress, 0,
      40),
    q("PROGRAM_PREFETCH_SIZE", 1649, 1641, kUint, {}, K::kProgramPrefetchSize, 0, 0),
    q("PROGRAM_PREFETCH_TYPE", 1651, 1650, kEnum, kProgramPrefetchTypeNames,
      K::kProgramPrefetchType, 0, 0),
    q("SASS_VERSION", 1663, 1656, kHex, {}, K::kSassVersion, 0, 0),
    q("RELEASE2_ADDRESS_LOWER", 1695, 1664, kHex, {}, K::kReleaseAddress, 2, 0),
    q("RELEASE2_ADDRESS_UPPER", 1703, 1696, kHex, {}, K::kReleaseAddress, 2, 32),
    q("RELEASE2_MEMBAR_TYPE", 1715, 1715, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 2,
      0),
    q("RELEASE2_REDUCTION_OP", 1718, 1716, kEnum, kReductionOpNames, K::kReleaseReductionOp, 2, 0),
    q("RELEASE2_ENABLE", 1719, 1719, kBool, {}, K::kReleaseEnable, 2, 0),
    q("RELEASE2_REDUCTION_FORMAT", 1721, 1720, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 2, 0),
    q("RELEASE2_REDUCTION_ENABLE", 1722, 1722, kBool, {}, K::kReleaseReductionEnable, 2, 0),
    q("RELEASE2_TRAP_TYPE", 1724, 1723, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 2, 0),
    q("RELEASE2_PAYLOAD64B", 1725, 1725, kBool, {}, K::kReleasePayload64b, 2, 0),
    q("RELEASE2_STRUCTURE_SIZE", 1727, 1726, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 2, 0),
    q("RELEASE2_PAYLOAD_LOWER", 1759, 1728, kUint, {}, K::kReleasePayload, 2, 0),
    q("RELEASE2_PAYLOAD_UPPER", 1791, 1760, kUint, {}, K::kReleasePayload, 2, 32),
    q("OCCUPANCY_THRESHOLD_WARP", 1799, 1792, kUint, {}),
    q("OCCUPANCY_MAX_WARP", 1807, 1800, kUint, {}),
    q("OCCUPANCY_THRESHOLD_REGISTER", 1815, 1808, kUint, {}),
    q("OCCUPANCY_MAX_REGISTER", 1823, 1816, kUint, {}),
    q("HW_ONLY_INNER_GET", 1854, 1824, kHex, {}),
    q("HW_ONLY_REQUIRE_SCHEDULING_PCAS", 1855, 1855, kBool, {}),
    q("HW_ONLY_INNER_PUT", 1886, 1856, kHex, {}),
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX", 1917, 1888, kUint, {}),
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX_VALID", 1919, 1919, kBool, {}),
    q("HW_ONLY_SKED_NEXT_QMD_POINTER", 1951, 1920, kHex, {}),
    q("HW_ONLY_DEPENDENCE_COUNTER", 1967, 1952, kUint, {}),
    q("DEBUG_ID_UPPER", 2015, 1984, kHex, {}),
    q("DEBUG_ID_LOWER", 2047, 2016, kHex, {}),
};

// clcbc0qmd.h NVCBC0_QMDV04_00_* (96 dwords).
constexpr QmdField kQmdV04[] = {
    q("DEPENDENCE_COUNTER", 15, 0, kUint, {}),
    q("QMD_GROUP_ID", 21, 16, kHex, {}, K::kQmdGroupId, 0, 0),
    q("ADD_TO_HEAD_OF_QMD_GROUP_LINKED_LIST", 22, 22, kBool, {}),
    q("QMD_TYPE", 25, 23, kEnum, kQmdTypeNames, K::kQmdType, 0, 0),
    q("ARRIVE_AT_LATCH_VALID", 28, 28, kBool, {}),
    q("WAIT_ON_LATCH_VALID", 29, 29, kBool, {}),
    q("REQUIRE_SCHEDULING_PCAS", 30, 30, kBool, {}),
    q("TPC_DISABLE_MASK_VALID", 31, 31, kBool, {}),
    q("CIRCULAR_QUEUE_SIZE", 56, 32, kUint, {}),
    q("INNER_GET", 94, 64, kHex, {}),
    q("INNER_OVERFLOW", 95, 95, kBool, {}),
    q("INNER_PUT", 126, 96, kHex, {}),
    q("INNER_STICKY_OVERFLOW", 127, 127, kBool, {}),
    q("HW_ONLY_INNER_GET", 190, 160, kHex, {}),
    q("HW_ONLY_INNER_PUT", 222, 192, kHex, {}),
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX", 253, 224, kUint, {}),
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX_VALID", 254, 254, kBool, {}),
    q("HW_ONLY_SKED_NEXT_QMD_POINTER", 287, 256, kHex, {}),
    q("HW_ONLY_DEPENDENCE_COUNTER", 303, 288, kUint, {}),
    q("HW_ONLY_REQUIRE_SCHEDULING_PCAS", 304, 304, kBool, {}),
    q("RELEASE_ENABLE(0)", 320, 320, kBool, {}, K::kReleaseEnable, 0, 0),
    q("RELEASE_STRUCTURE_SIZE(0)", 322, 321, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 0, 0),
    q("RELEASE_MEMBAR_TYPE(0)", 323, 323, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 0,
      0),
    q("RELEASE_REDUCTION_ENABLE(0)", 324, 324, kBool, {}, K::kReleaseReductionEnable, 0, 0),
    q("RELEASE_REDUCTION_OP(0)", 327, 325, kEnum, kReductionOpNames, K::kReleaseReductionOp, 0, 0),
    q("RELEASE_REDUCTION_FORMAT(0)", 329, 328, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 0, 0),
    q("RELEASE_TRAP_TYPE(0)", 331, 330, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 0, 0),
    q("RELEASE_PAYLOAD64B(0)", 332, 332, kBool, {}, K::kReleasePayload64b, 0, 0),
    q("RELEASE_ENABLE(1)", 336, 336, kBool, {}, K::kReleaseEnable, 1, 0),
    q("RELEASE_STRUCTURE_SIZE(1)", 338, 337, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 1, 0),
    q("RELEASE_MEMBAR_TYPE(1)", 339, 339, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 1,
      0),
    q("RELEASE_REDUCTION_ENABLE(1)", 340, 340, kBool, {}, K::kReleaseReductionEnable, 1, 0),
    q("RELEASE_REDUCTION_OP(1)", 343, 341, kEnum, kReductionOpNames, K::kReleaseReductionOp, 1, 0),
    q("RELEASE_REDUCTION_FORMAT(1)", 345, 344, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 1, 0),
    q("RELEASE_TRAP_TYPE(1)", 347, 346, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 1, 0),
    q("RELEASE_PAYLOAD64B(1)", 348, 348, kBool, {}, K::kReleasePayload64b, 1, 0),
    q("RELEASE_ENABLE(2)", 352, 352, kBool, {}, K::kReleaseEnable, 2, 0),
    q("RELEASE_STRUCTURE_SIZE(2)", 354, 353, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 2, 0),
    q("RELEASE_MEMBAR_TYPE(2)", 355, 355, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 2,
      0),
    q("RELEASE_REDUCTION_ENABLE(2)", 356, 356, kBool, {}, K::kReleaseReductionEnable, 2, 0),
    q("RELEASE_REDUCTION_OP(2)", 359, 357, kEnum, kReductionOpNames, K::kReleaseReductionOp, 2, 0),
    q("RELEASE_REDUCTION_FORMAT(2)", 361, 360, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 2, 0),
    q("RELEASE_TRAP_TYPE(2)", 363, 362, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 2, 0),
    q("RELEASE_PAYLOAD64B(2)", 364, 364, kBool, {}, K::kReleasePayload64b, 2, 0),
    q("DEPENDENT_QMD_ENABLE(0)", 368, 368, kBool, {}, K::kDependentQmdEnable, 0, 0),
    q("DEPENDENT_QMD_ACTION(0)", 371, 369, kEnum, kDependentQmdActionNames, K::kDependentQmdAction,
      0, 0),
    q("DEPENDENT_QMD_PREFETCH(0)", 372, 372, kBool, {}, K::kDependentQmdPrefetch, 0, 0),
    q("DEPENDENT_QMD_ENABLE(1)", 373, 373, kBool, {}, K::kDependentQmdEnable, 1, 0),
    q("DEPENDENT_QMD_ACTION(1)", 376, 374, kEnum, kDependentQmdActionNames, K::kDependentQmdAction,
      1, 0),
    q("DEPENDENT_QMD_PREFETCH(1)", 377, 377, kBool, {}, K::kDependentQmdPrefetch, 1, 0),
    q("SELF_COPY_ON_COMPLETION", 378, 378, kBool, {}),
    q("DEMOTE_L2_EVICT_LAST", 379, 379, kBool, {}),
    q("DISABLE_AUTO_INVALIDATE", 380, 380, kBool, {}),
    q("CORRELATION_ID_INTERNAL", 381, 381, kBool, {}),
    q("CWD_MEMBAR_TASK_CHASING_ENABLE", 382, 382, kBool, {}),
    q("CORRELATION_ID", 415, 384, kHex, {}),
    q("CONSTANT_BUFFER_VALID(0)", 416, 416, kBool, {}, K::kConstantBufferValid, 0, 0),
    q("CONSTANT_BUFFER_PREFETCH(0)", 418, 417, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(0)", 419, 419, kBool, {}, K::kConstantBufferInvalidate, 0, 0),
    q("CONSTANT_BUFFER_VALID(1)", 420, 420, kBool, {}, K::kConstantBufferValid, 1, 0),
    q("CONSTANT_BUFFER_PREFETCH(1)", 422, 421, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(1)", 423, 423, kBool, {}, K::kConstantBufferInvalidate, 1, 0),
    q("CONSTANT_BUFFER_VALID(2)", 424, 424, kBool, {}, K::kConstantBufferValid, 2, 0),
    q("CONSTANT_BUFFER_PREFETCH(2)", 426, 425, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(2)", 427, 427, kBool, {}, K::kConstantBufferInvalidate, 2, 0),
    q("CONSTANT_BUFFER_VALID(3)", 428, 428, kBool, {}, K::kConstantBufferValid, 3, 0),
    q("CONSTANT_BUFFER_PREFETCH(3)", 430, 429, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(3)", 431, 431, kBool, {}, K::kConstantBufferInvalidate, 3, 0),
    q("CONSTANT_BUFFER_VALID(4)", 432, 432, kBool, {}, K::kConstantBufferValid, 4, 0),
    q("CONSTANT_BUFFER_PREFETCH(4)", 434, 433, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(4)", 435, 435, kBool, {}, K::kConstantBufferInvalidate, 4, 0),
    q("CONSTANT_BUFFER_VALID(5)", 436, 436, kBool, {}, K::kConstantBufferValid, 5, 0),
    q("CONSTANT_BUFFER_PREFETCH(5)", 438, 437, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(5)", 439, 439, kBool, {}, K::kConstantBufferInvalidate, 5, 0),
    q("CONSTANT_BUFFER_VALID(6)", 440, 440, kBool, {}, K::kConstantBufferValid, 6, 0),
    q("CONSTANT_BUFFER_PREFETCH(6)", 442, 441, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(6)", 443, 443, kBool, {}, K::kConstantBufferInvalidate, 6, 0),
    q("CONSTANT_BUFFER_VALID(7)", 444, 444, kBool, {}, K::kConstantBufferValid, 7, 0),
    q("CONSTANT_BUFFER_PREFETCH(7)", 446, 445, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(7)", 447, 447, kBool, {}, K::kConstantBufferInvalidate, 7, 0),
    q("DEPENDENT_QMD0_POINTER", 479, 448, kHex, {}, K::kDependentQmdAddress, 0, 8),
    q("DEPENDENT_QMD1_POINTER", 511, 480, kHex, {}, K::kDependentQmdAddress, 1, 8),
    q("SHADER_LOCAL_MEMORY_LOW_SIZE", 535, 512, kUint, {}, K::kShaderLocalMemoryLowSize, 0, 0),
    q("SASS_VERSION", 543, 536, kHex, {}, K::kSassVersion, 0, 0),
    q("SHADER_LOCAL_MEMORY_HIGH_SIZE", 567, 544, kUint, {}, K::kShaderLocalMemoryHighSize, 0, 0),
    q("API_VISIBLE_CALL_LIMIT", 568, 568, kEnum, kApiVisibleCallLimitNames, K::kApiVisibleCallLimit,
      0, 0),
    q("SAMPLER_INDEX", 569, 569, kEnum, kSamplerIndexNames, K::kSamplerIndex, 0, 0),
    q("CONSTANT_BUFFER_PREFETCH_PRE_MAX_SIZE_SHIFTED8", 575, 570, kUint, {}),
    q("QMD_MINOR_VERSION", 579, 576, kHex, {}, K::kMinorVersion, 0, 0),
    q("QMD_MAJOR_VERSION", 583, 580, kHex, {}, K::kMajorVersion, 0, 0),
    q("SHARED_MEMORY_SIZE", 601, 584, kUint, {}, K::kSharedMemorySize, 0, 0),
    q("INVALIDATE_TEXTURE_HEADER_CACHE", 602, 602, kBool, {}, K::kInvalidateTextureHeaderCache, 0,
      0),
    q("INVALIDATE_TEXTURE_SAMPLER_CACHE", 603, 603, kBool, {}, K::kInvalidateTextureSamplerCache, 0,
      0),
    q("INVALIDATE_TEXTURE_DATA_CACHE", 604, 604, kBool, {}, K::kInvalidateTextureDataCache, 0, 0),
    q("INVALIDATE_SHADER_DATA_CACHE", 605, 605, kBool, {}, K::kInvalidateShaderDataCache, 0, 0),
    q("INVALIDATE_INSTRUCTION_CACHE", 606, 606, kBool, {}, K::kInvalidateInstructionCache, 0, 0),
    q("INVALIDATE_SHADER_CONSTANT_CACHE", 607, 607, kBool, {}, K::kInvalidateShaderConstantCache, 0,
      0),
    q("MIN_SM_CONFIG_SHARED_MEM_SIZE", 613, 608, kUint, {}, K::kMinSmConfigSharedMemSize, 0, 0),
    q("MAX_SM_CONFIG_SHARED_MEM_SIZE", 619, 614, kUint, {}, K::kMaxSmConfigSharedMemSize, 0, 0),
    q("TARGET_SM_CONFIG_SHARED_MEM_SIZE", 625, 620, kUint, {}, K::kTargetSmConfigSharedMemSize, 0,
      0),
    q("SHARED_ALLOCATION_ENABLE", 626, 626, kBool, {}, K::kSharedAllocationEnable, 0, 0),
    q("RELEASE_SEMAPHORE0_ADDR_LOWER", 671, 640, kHex, {}, K::kReleaseAddress, 0, 0),
    q("RELEASE_SEMAPHORE0_ADDR_UPPER", 696, 672, kHex, {}, K::kReleaseAddress, 0, 32),
    q("RELEASE_SEMAPHORE0_PAYLOAD_LOWER", 735, 704, kUint, {}, K::kReleasePayload, 0, 0),
    q("RELEASE_SEMAPHORE0_PAYLOAD_UPPER", 767, 736, kUint, {}, K::kReleasePayload, 0, 32),
    q("RELEASE_SEMAPHORE1_ADDR_LOWER", 799, 768, kHex, {}, K::kReleaseAddress, 1, 0),
    q("RELEASE_SEMAPHORE1_ADDR_UPPER", 824, 800, kHex, {}, K::kReleaseAddress, 1, 32),
    q("RELEASE_SEMAPHORE1_PAYLOAD_LOWER", 863, 832, kUint, {}, K::kReleasePayload, 1, 0),
    q("RELEASE_SEMAPHORE1_PAYLOAD_UPPER", 895, 864, kUint, {}, K::kReleasePayload, 1, 32),
    q("RELEASE_SEMAPHORE2_ADDR_LOWER", 927, 896, kHex, {}, K::kReleaseAddress, 2, 0),
    q("RELEASE_SEMAPHORE2_ADDR_UPPER", 952, 928, kHex, {}, K::kReleaseAddress, 2, 32),
    q("RELEASE_SEMAPHORE2_PAYLOAD_LOWER", 991, 960, kUint, {}, K::kReleasePayload, 2, 0),
    q("RELEASE_SEMAPHORE2_PAYLOAD_UPPER", 1023, 992, kUint, {}, K::kReleasePayload, 2, 32),
    q("GRID_WIDTH", 1055, 1024, kUint, {}, K::kGrid, 0, 0),
    q("GRID_HEIGHT", 1071, 1056, kUint, {}, K::kGrid, 1, 0),
    q("GRID_DEPTH", 1103, 1088, kUint, {}, K::kGrid, 2, 0),
    q("CWD_REFERENCE_COUNT_DELTA_MINUS_ONE", 1127, 1120, kUint, {}),
    q("CWD_REFERENCE_COUNT_ID", 1133, 1128, kHex, {}),
    q("CWD_REFERENCE_COUNT_INCR_ENABLE", 1134, 1134, kBool, {}),
    q("CWD_REFERENCE_COUNT_DECR_ENABLE", 1135, 1135, kBool, {}),
    q("CWD_MEMBAR_TYPE", 1137, 1136, kEnum, kCwdMembarTypeNames, K::kCwdMembarType, 0, 0),
    q("SEQUENTIALLY_RUN_CTAS", 1138, 1138, kBool, {}),
    q("CTA_LAUNCH_QUEUE", 1139, 1139, kBool, {}),
    q("FREE_CTA_SLOTS_EMPTY_SM", 1147, 1140, kUint, {}),
    q("SYNC_DOMAIN_ID", 1149, 1148, kHex, {}),
    q("PRE_EXIT_AT_LAST_CTA_LAUNCH", 1150, 1150, kBool, {}),
    q("ENABLE_PROGRAM_PRE_EXIT", 1151, 1151, kBool, {}),
    q("CTA_THREAD_DIMENSION0", 1167, 1152, kUint, {}, K::kBlock, 0, 0),
    q("CTA_THREAD_DIMENSION1", 1183, 1168, kUint, {}, K::kBlock, 1, 0),
    q("CTA_THREAD_DIMENSION2", 1199, 1184, kUint, {}, K::kBlock, 2, 0),
    q("REGISTER_COUNT", 1208, 1200, kUint, {}, K::kRegisterCount, 0, 0),
    q("BARRIER_COUNT", 1215, 1211, kUint, {}, K::kBarrierCount, 0, 0),
    q("PROGRAM_ADDRESS_LOWER", 1247, 1216, kHex, {}, K::kProgramAddress, 0, 0),
    q("PROGRAM_ADDRESS_UPPER", 1272, 1248, kHex, {}, K::kProgramAddress, 0, 32),
    q("OCCUPANCY_THRESHOLD_WARP", 1287, 1280, kUint, {}),
    q("OCCUPANCY_MAX_WARP", 1295, 1288, kUint, {}),
    q("OCCUPANCY_THRESHOLD_REGISTER", 1303, 1296, kUint, {}),
    q("OCCUPANCY_MAX_REGISTER", 1311, 1304, kUint, {}),
    q("OCCUPANCY_THRESHOLD_SHARED_MEM", 1319, 1312, kUint, {}),
    q("OCCUPANCY_MAX_SHARED_MEM", 1327, 1320, kUint, {}),
    q("PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED", 1375, 1344, kHex, {}, K::kProgramPrefetchAddress, 0,
      8),
    q("PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED", 1392, 1376, kHex, {}, K::kProgramPrefetchAddress, 0,
      40),
    q("PROGRAM_PREFETCH_SIZE", 1401, 1393, kUint, {}, K::kProgramPrefetchSize, 0, 0),
    q("PROGRAM_PREFETCH_TYPE", 1403, 1402, kEnum, kProgramPrefetchTypeNames,
      K::kProgramPrefetchType, 0, 0),
    q("LATCH_ACQUIRE_INVALIDATE_SHADER_DATA_CACHE", 1406, 1406, kBool, {}),
    q("LATCH_ACQUIRE_INVALIDATE_TEXTURE_DATA_CACHE", 1407, 1407, kBool, {}),
    q("GRID_WIDTH_RESUME", 1439, 1408, kUint, {}),
    q("GRID_HEIGHT_RESUME", 1455, 1440, kUint, {}),
    q("GRID_DEPTH_RESUME", 1471, 1456, kUint, {}),
    q("ARRIVE_AT_LATCH_ID", 1503, 1472, kHex, {}),
    q("WAIT_ON_LATCH_ID", 1535, 1504, kHex, {}),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0)", 1567, 1536, kHex, {}, K::kConstantBufferAddress, 0,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(0)", 1586, 1568, kHex, {}, K::kConstantBufferAddress, 0,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(0)", 1599, 1587, kUint, {}, K::kConstantBufferSize, 0, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(1)", 1631, 1600, kHex, {}, K::kConstantBufferAddress, 1,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(1)", 1650, 1632, kHex, {}, K::kConstantBufferAddress, 1,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(1)", 1663, 1651, kUint, {}, K::kConstantBufferSize, 1, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(2)", 1695, 1664, kHex, {}, K::kConstantBufferAddress, 2,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(2)", 1714, 1696, kHex, {}, K::kConstantBufferAddress, 2,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(2)", 1727, 1715, kUint, {}, K::kConstantBufferSize, 2, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(3)", 1759, 1728, kHex, {}, K::kConstantBufferAddress, 3,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(3)", 1778, 1760, kHex, {}, K::kConstantBufferAddress, 3,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(3)", 1791, 1779, kUint, {}, K::kConstantBufferSize, 3, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(4)", 1823, 1792, kHex, {}, K::kConstantBufferAddress, 4,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(4)", 1842, 1824, kHex, {}, K::kConstantBufferAddress, 4,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(4)", 1855, 1843, kUint, {}, K::kConstantBufferSize, 4, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(5)", 1887, 1856, kHex, {}, K::kConstantBufferAddress, 5,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(5)", 1906, 1888, kHex, {}, K::kConstantBufferAddress, 5,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(5)", 1919, 1907, kUint, {}, K::kConstantBufferSize, 5, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(6)", 1951, 1920, kHex, {}, K::kConstantBufferAddress, 6,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(6)", 1970, 1952, kHex, {}, K::kConstantBufferAddress, 6,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(6)", 1983, 1971, kUint, {}, K::kConstantBufferSize, 6, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(7)", 2015, 1984, kHex, {}, K::kConstantBufferAddress, 7,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(7)", 2034, 2016, kHex, {}, K::kConstantBufferAddress, 7,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(7)", 2047, 2035, kUint, {}, K::kConstantBufferSize, 7, 4),
    q("CIRCULAR_QUEUE_ADDR_LOWER", 2079, 2048, kHex, {}),
    q("CIRCULAR_QUEUE_ADDR_UPPER", 2087, 2080, kHex, {}),
    q("CIRCULAR_QUEUE_ENTRY_SIZE", 2127, 2112, kUint, {}),
    q("COALESCE_WAITING_PERIOD", 2135, 2128, kUint, {}),
    q("QUEUE_ENTRIES_PER_CTA_LOG2", 2140, 2136, kUint, {}),
    q("GPC_CGA_WIDTH", 2149, 2144, kUint, {}),
    q("GPC_CGA_HEIGHT", 2157, 2152, kUint, {}),
    q("GPC_CGA_DEPTH", 2165, 2160, kUint, {}),
    q("CGA_CTA_DISTRIBUTION_MODE", 2207, 2207, kEnum, kCgaCtaDistributionModeNames),
    q("GPU_CGA_WIDTH", 2223, 2208, kUint, {}),
    q("GPU_CGA_HEIGHT", 2239, 2224, kUint, {}),
    q("GPU_CGA_DEPTH", 2255, 2240, kUint, {}),
    q("DEBUG_ID_LOWER", 2399, 2368, kHex, {}),
    q("DEBUG_ID_UPPER", 2431, 2400, kHex, {}),
    q("TPC_DISABLE_MASK(0)", 2463, 2432, kHex, {}),
    q("TPC_DISABLE_MASK(1)", 2495, 2464, kHex, {}),
    q("TPC_DISABLE_MASK(2)", 2527, 2496, kHex, {}),
    q("TPC_DISABLE_MASK(3)", 2559, 2528, kHex, {}),
    q("TPC_DISABLE_MASK(4)", 2591, 2560, kHex, {}),
    q("TPC_DISABLE_MASK(5)", 2623, 2592, kHex, {}),
    q("TPC_DISABLE_MASK(6)", 2655, 2624, kHex, {}),
    q("TPC_DISABLE_MASK(7)", 2687, 2656, kHex, {}),
    q("TPC_DISABLE_MASK(8)", 2719, 2688, kHex, {}),
    q("TPC_DISABLE_MASK(9)", 2751, 2720, kHex, {}),
    q("TPC_DISABLE_MASK(10)", 2783, 2752, kHex, {}),
    q("TPC_DISABLE_MASK(11)", 2815, 2784, kHex, {}),
    q("TPC_DISABLE_MASK(12)", 2847, 2816, kHex, {}),
    q("TPC_DISABLE_MASK(13)", 2879, 2848, kHex, {}),
    q("TPC_DISABLE_MASK(14)", 2911, 2880, kHex, {}),
    q("TPC_DISABLE_MASK(15)", 2943, 2912, kHex, {}),
    q("TPC_DISABLE_MASK(16)", 2975, 2944, kHex, {}),
    q("TPC_DISABLE_MASK(17)", 3007, 2976, kHex, {}),
    q("OUTER_PUT", 3038, 3008, kHex, {}),
    q("OUTER_OVERFLOW", 3039, 3039, kBool, {}),
    q("OUTER_GET", 3070, 3040, kHex, {}),
    q("OUTER_STICKY_OVERFLOW", 3071, 3071, kBool, {}),
};

// clcec0qmd.h NVCEC0_QMDV05_00_* (96 dwords; the same rows in clcdc0qmd.h). The header's
// "inferred arrays" section repeats DEPENDENT_QMD0/1_* as DEPENDENT_QMD_*(i): the named forms
// are used.
constexpr QmdField kQmdV05[] = {
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX", 29, 0, kUint, {}),
    q("HW_ONLY_SPAN_LIST_HEAD_INDEX_VALID", 30, 30, kBool, {}),
    q("HW_ONLY_REQUIRE_SCHEDULING_PCAS", 31, 31, kBool, {}),
    q("HW_ONLY_SKED_NEXT_QMD_POINTER", 63, 32, kHex, {}),
    q("INNER_GET", 94, 64, kHex, {}),
    q("INNER_OVERFLOW", 95, 95, kBool, {}),
    q("INNER_PUT", 126, 96, kHex, {}),
    q("INNER_STICKY_OVERFLOW", 127, 127, kBool, {}),
    q("DEPENDENCE_COUNTER", 143, 128, kUint, {}),
    q("QMD_GROUP_ID", 149, 144, kHex, {}, K::kQmdGroupId, 0, 0),
    q("ADD_TO_HEAD_OF_QMD_GROUP_LINKED_LIST", 150, 150, kBool, {}),
    q("QMD_TYPE", 153, 151, kEnum, kQmdTypeNames, K::kQmdType, 0, 0),
    q("NUM_SUB_TASKS_PER_TASK", 157, 154, kUint, {}),
    q("REQUIRE_SCHEDULING_PCAS", 158, 158, kBool, {}),
    q("TPC_DISABLE_MASK_VALID", 159, 159, kBool, {}),
    q("CIRCULAR_QUEUE_SIZE", 184, 160, kUint, {}),
    q("HW_ONLY_DEPENDENCE_COUNTER", 207, 192, kUint, {}),
    q("RESUME_SUB_TASK_ID", 210, 208, kHex, {}),
    q("COMPLETED_SUB_TASK_MASK", 218, 211, kHex, {}),
    q("GRID_WIDTH_RESUME", 255, 224, kUint, {}),
    q("GRID_HEIGHT_RESUME", 271, 256, kUint, {}),
    q("GRID_DEPTH_RESUME", 287, 272, kUint, {}),
    q("RELEASE_ENABLE(0)", 288, 288, kBool, {}, K::kReleaseEnable, 0, 0),
    q("RELEASE_STRUCTURE_SIZE(0)", 290, 289, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 0, 0),
    q("RELEASE_MEMBAR_TYPE(0)", 291, 291, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 0,
      0),
    q("RELEASE_REDUCTION_ENABLE(0)", 292, 292, kBool, {}, K::kReleaseReductionEnable, 0, 0),
    q("RELEASE_REDUCTION_OP(0)", 295, 293, kEnum, kReductionOpNames, K::kReleaseReductionOp, 0, 0),
    q("RELEASE_REDUCTION_FORMAT(0)", 297, 296, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 0, 0),
    q("RELEASE_TRAP_TYPE(0)", 299, 298, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 0, 0),
    q("RELEASE_PAYLOAD64B(0)", 300, 300, kBool, {}, K::kReleasePayload64b, 0, 0),
    q("RELEASE_ENABLE(1)", 304, 304, kBool, {}, K::kReleaseEnable, 1, 0),
    q("RELEASE_STRUCTURE_SIZE(1)", 306, 305, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 1, 0),
    q("RELEASE_MEMBAR_TYPE(1)", 307, 307, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 1,
      0),
    q("RELEASE_REDUCTION_ENABLE(1)", 308, 308, kBool, {}, K::kReleaseReductionEnable, 1, 0),
    q("RELEASE_REDUCTION_OP(1)", 311, 309, kEnum, kReductionOpNames, K::kReleaseReductionOp, 1, 0),
    q("RELEASE_REDUCTION_FORMAT(1)", 313, 312, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 1, 0),
    q("RELEASE_TRAP_TYPE(1)", 315, 314, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 1, 0),
    q("RELEASE_PAYLOAD64B(1)", 316, 316, kBool, {}, K::kReleasePayload64b, 1, 0),
    q("RELEASE_ENABLE(2)", 320, 320, kBool, {}, K::kReleaseEnable, 2, 0),
    q("RELEASE_STRUCTURE_SIZE(2)", 322, 321, kEnum, kReleaseStructureSizeNames,
      K::kReleaseStructureSize, 2, 0),
    q("RELEASE_MEMBAR_TYPE(2)", 323, 323, kEnum, kReleaseMembarTypeNames, K::kReleaseMembarType, 2,
      0),
    q("RELEASE_REDUCTION_ENABLE(2)", 324, 324, kBool, {}, K::kReleaseReductionEnable, 2, 0),
    q("RELEASE_REDUCTION_OP(2)", 327, 325, kEnum, kReductionOpNames, K::kReleaseReductionOp, 2, 0),
    q("RELEASE_REDUCTION_FORMAT(2)", 329, 328, kEnum, kReductionFormatNames,
      K::kReleaseReductionFormat, 2, 0),
    q("RELEASE_TRAP_TYPE(2)", 331, 330, kEnum, kReleaseTrapTypeNames, K::kReleaseTrapType, 2, 0),
    q("RELEASE_PAYLOAD64B(2)", 332, 332, kBool, {}, K::kReleasePayload64b, 2, 0),
    q("DEPENDENT_QMD0_ENABLE", 336, 336, kBool, {}, K::kDependentQmdEnable, 0, 0),
    q("DEPENDENT_QMD0_ACTION", 339, 337, kEnum, kDependentQmdActionNames, K::kDependentQmdAction, 0,
      0),
    q("DEPENDENT_QMD0_PREFETCH", 340, 340, kBool, {}, K::kDependentQmdPrefetch, 0, 0),
    q("SELF_COPY_ON_COMPLETION", 341, 341, kBool, {}),
    q("DEMOTE_L2_EVICT_LAST", 342, 342, kBool, {}),
    q("DISABLE_AUTO_INVALIDATE", 343, 343, kBool, {}),
    q("DEPENDENT_QMD1_ENABLE", 344, 344, kBool, {}, K::kDependentQmdEnable, 1, 0),
    q("DEPENDENT_QMD1_ACTION", 347, 345, kEnum, kDependentQmdActionNames, K::kDependentQmdAction, 1,
      0),
    q("DEPENDENT_QMD1_PREFETCH", 348, 348, kBool, {}, K::kDependentQmdPrefetch, 1, 0),
    q("CORRELATION_ID_INTERNAL", 349, 349, kBool, {}),
    q("CWD_MEMBAR_TASK_CHASING_ENABLE", 350, 350, kBool, {}),
    q("SHARED_ALLOCATION_ENABLE", 351, 351, kBool, {}, K::kSharedAllocationEnable, 0, 0),
    q("CORRELATION_ID", 383, 352, kHex, {}),
    q("DEPENDENT_QMD0_POINTER", 415, 384, kHex, {}, K::kDependentQmdAddress, 0, 8),
    q("DEPENDENT_QMD1_POINTER", 447, 416, kHex, {}, K::kDependentQmdAddress, 1, 8),
    q("SASS_VERSION", 455, 448, kHex, {}, K::kSassVersion, 0, 0),
    q("API_VISIBLE_CALL_LIMIT", 456, 456, kEnum, kApiVisibleCallLimitNames, K::kApiVisibleCallLimit,
      0, 0),
    q("SAMPLER_INDEX", 457, 457, kEnum, kSamplerIndexNames, K::kSamplerIndex, 0, 0),
    q("CONSTANT_BANK_PREFETCH_PRE_MAX_SIZE_SHIFTED8", 463, 458, kUint, {}),
    q("QMD_MINOR_VERSION", 467, 464, kHex, {}, K::kMinorVersion, 0, 0),
    q("QMD_MAJOR_VERSION", 471, 468, kHex, {}, K::kMajorVersion, 0, 0),
    q("INVALIDATE_TEXTURE_HEADER_CACHE", 472, 472, kBool, {}, K::kInvalidateTextureHeaderCache, 0,
      0),
    q("INVALIDATE_TEXTURE_SAMPLER_CACHE", 473, 473, kBool, {}, K::kInvalidateTextureSamplerCache, 0,
      0),
    q("INVALIDATE_TEXTURE_DATA_CACHE", 474, 474, kBool, {}, K::kInvalidateTextureDataCache, 0, 0),
    q("INVALIDATE_SHADER_DATA_CACHE", 475, 475, kBool, {}, K::kInvalidateShaderDataCache, 0, 0),
    q("INVALIDATE_INSTRUCTION_CACHE", 476, 476, kBool, {}, K::kInvalidateInstructionCache, 0, 0),
    q("INVALIDATE_SHADER_CONSTANT_CACHE", 477, 477, kBool, {}, K::kInvalidateShaderConstantCache, 0,
      0),
    q("LATCH_ACQUIRE_INVALIDATE_SHADER_DATA_CACHE", 478, 478, kBool, {}),
    q("LATCH_ACQUIRE_INVALIDATE_TEXTURE_DATA_CACHE", 479, 479, kBool, {}),
    q("RELEASE_SEMAPHORE0_ADDR_LOWER", 511, 480, kHex, {}, K::kReleaseAddress, 0, 0),
    q("RELEASE_SEMAPHORE0_ADDR_UPPER", 536, 512, kHex, {}, K::kReleaseAddress, 0, 32),
    q("RELEASE_SEMAPHORE0_PAYLOAD_LOWER", 575, 544, kUint, {}, K::kReleasePayload, 0, 0),
    q("RELEASE_SEMAPHORE0_PAYLOAD_UPPER", 607, 576, kUint, {}, K::kReleasePayload, 0, 32),
    q("CWD_REFERENCE_COUNT_DELTA_MINUS_ONE", 615, 608, kUint, {}),
    q("CWD_REFERENCE_COUNT_ID", 621, 616, kHex, {}),
    q("CWD_REFERENCE_COUNT_INCR_ENABLE", 622, 622, kBool, {}),
    q("CWD_REFERENCE_COUNT_DECR_ENABLE", 623, 623, kBool, {}),
    q("CWD_MEMBAR_TYPE", 625, 624, kEnum, kCwdMembarTypeNames, K::kCwdMembarType, 0, 0),
    q("LATCH_ACQUIRE_INVALIDATE_CONSTANT_CACHE", 626, 626, kBool, {}),
    q("CTA_LAUNCH_QUEUE", 627, 627, kBool, {}),
    q("FREE_CTA_SLOTS_EMPTY_SM", 635, 628, kUint, {}),
    q("SYNC_DOMAIN_ID", 637, 636, kHex, {}),
    q("PRE_EXIT_AT_LAST_CTA_LAUNCH", 638, 638, kBool, {}),
    q("ENABLE_PROGRAM_PRE_EXIT", 639, 639, kBool, {}),
    q("ARRIVE_AT_LATCH_ID", 671, 640, kHex, {}),
    q("WAIT_ON_LATCH_ID", 703, 672, kHex, {}),
    q("OCCUPANCY_THRESHOLD_SHARED_MEM", 721, 714, kUint, {}),
    q("OCCUPANCY_MAX_SHARED_MEM", 729, 722, kUint, {}),
    q("ARRIVE_AT_LATCH_VALID", 730, 730, kBool, {}),
    q("WAIT_ON_LATCH_VALID", 731, 731, kBool, {}),
    q("LATCH_RELEASE_INVALIDATE_ENABLE", 732, 732, kBool, {}),
    q("HOLD_CTA_LAUNCH_UNTIL_PARENT_LATCH_ACQUIRE_AND_CTA_COMPLETE", 733, 733, kBool, {}),
    q("HOLD_MEMBAR_UNTIL_LATCH_ACQUIRE", 734, 734, kBool, {}),
    q("PRIORITY_DEMOTE_UNTIL_LATCH_ACQUIRE", 735, 735, kBool, {}),
    q("OCCUPANCY_THRESHOLD_WARP", 743, 736, kUint, {}),
    q("OCCUPANCY_MAX_WARP", 751, 744, kUint, {}),
    q("OCCUPANCY_THRESHOLD_REGISTER", 759, 752, kUint, {}),
    q("OCCUPANCY_MAX_REGISTER", 767, 760, kUint, {}),
    q("RELEASE_SEMAPHORE1_ADDR_LOWER", 799, 768, kHex, {}, K::kReleaseAddress, 1, 0),
    q("RELEASE_SEMAPHORE1_ADDR_UPPER", 824, 800, kHex, {}, K::kReleaseAddress, 1, 32),
    q("RELEASE_SEMAPHORE1_PAYLOAD_LOWER", 863, 832, kUint, {}, K::kReleasePayload, 1, 0),
    q("RELEASE_SEMAPHORE1_PAYLOAD_UPPER", 895, 864, kUint, {}, K::kReleasePayload, 1, 32),
    q("RELEASE_SEMAPHORE2_ADDR_LOWER", 927, 896, kHex, {}, K::kReleaseAddress, 2, 0),
    q("RELEASE_SEMAPHORE2_ADDR_UPPER", 952, 928, kHex, {}, K::kReleaseAddress, 2, 32),
    q("RELEASE_SEMAPHORE2_PAYLOAD_LOWER", 991, 960, kUint, {}, K::kReleasePayload, 2, 0),
    q("RELEASE_SEMAPHORE2_PAYLOAD_UPPER", 1023, 992, kUint, {}, K::kReleasePayload, 2, 32),
    q("PROGRAM_ADDRESS_LOWER_SHIFTED4", 1055, 1024, kHex, {}, K::kProgramAddress, 0, 4),
    q("PROGRAM_ADDRESS_UPPER_SHIFTED4", 1076, 1056, kHex, {}, K::kProgramAddress, 0, 36),
    q("PROGRAM_PREFETCH_SIZE", 1085, 1077, kUint, {}, K::kProgramPrefetchSize, 0, 0),
    q("PROGRAM_PREFETCH_TYPE", 1087, 1086, kEnum, kProgramPrefetchTypeNames,
      K::kProgramPrefetchType, 0, 0),
    q("CTA_THREAD_DIMENSION0", 1103, 1088, kUint, {}, K::kBlock, 0, 0),
    q("CTA_THREAD_DIMENSION1", 1119, 1104, kUint, {}, K::kBlock, 1, 0),
    q("CTA_THREAD_DIMENSION2", 1127, 1120, kUint, {}, K::kBlock, 2, 0),
    q("REGISTER_COUNT", 1136, 1128, kUint, {}, K::kRegisterCount, 0, 0),
    q("BARRIER_COUNT", 1141, 1137, kUint, {}, K::kBarrierCount, 0, 0),
    q("ICC_PREFETCH_SIZE", 1147, 1142, kUint, {}),
    q("SHARED_MEMORY_SIZE_SHIFTED7", 1162, 1152, kUint, {}, K::kSharedMemorySize, 0, 7),
    q("MIN_SM_CONFIG_SHARED_MEM_SIZE", 1168, 1163, kUint, {}, K::kMinSmConfigSharedMemSize, 0, 0),
    q("MAX_SM_CONFIG_SHARED_MEM_SIZE", 1174, 1169, kUint, {}, K::kMaxSmConfigSharedMemSize, 0, 0),
    q("TARGET_SM_CONFIG_SHARED_MEM_SIZE", 1180, 1175, kUint, {}, K::kTargetSmConfigSharedMemSize, 0,
      0),
    q("SHARED_MEM_BARRIER_INIT_ENABLE", 1181, 1181, kBool, {}),
    q("SHADER_LOCAL_MEMORY_LOW_SIZE_SHIFTED4", 1199, 1184, kUint, {}, K::kShaderLocalMemoryLowSize,
      0, 4),
    q("SHADER_LOCAL_MEMORY_HIGH_SIZE_SHIFTED4", 1215, 1200, kUint, {},
      K::kShaderLocalMemoryHighSize, 0, 4),
    q("VIRTUAL_RESOURCE_COUNT", 1223, 1216, kUint, {}),
    q("GRID_WIDTH", 1279, 1248, kUint, {}, K::kGrid, 0, 0),
    q("GRID_HEIGHT", 1295, 1280, kUint, {}, K::kGrid, 1, 0),
    q("GRID_DEPTH", 1327, 1312, kUint, {}, K::kGrid, 2, 0),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0)", 1375, 1344, kHex, {}, K::kConstantBufferAddress, 0,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(0)", 1394, 1376, kHex, {}, K::kConstantBufferAddress, 0,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(0)", 1407, 1395, kUint, {}, K::kConstantBufferSize, 0, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(1)", 1439, 1408, kHex, {}, K::kConstantBufferAddress, 1,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(1)", 1458, 1440, kHex, {}, K::kConstantBufferAddress, 1,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(1)", 1471, 1459, kUint, {}, K::kConstantBufferSize, 1, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(2)", 1503, 1472, kHex, {}, K::kConstantBufferAddress, 2,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(2)", 1522, 1504, kHex, {}, K::kConstantBufferAddress, 2,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(2)", 1535, 1523, kUint, {}, K::kConstantBufferSize, 2, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(3)", 1567, 1536, kHex, {}, K::kConstantBufferAddress, 3,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(3)", 1586, 1568, kHex, {}, K::kConstantBufferAddress, 3,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(3)", 1599, 1587, kUint, {}, K::kConstantBufferSize, 3, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(4)", 1631, 1600, kHex, {}, K::kConstantBufferAddress, 4,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(4)", 1650, 1632, kHex, {}, K::kConstantBufferAddress, 4,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(4)", 1663, 1651, kUint, {}, K::kConstantBufferSize, 4, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(5)", 1695, 1664, kHex, {}, K::kConstantBufferAddress, 5,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(5)", 1714, 1696, kHex, {}, K::kConstantBufferAddress, 5,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(5)", 1727, 1715, kUint, {}, K::kConstantBufferSize, 5, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(6)", 1759, 1728, kHex, {}, K::kConstantBufferAddress, 6,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(6)", 1778, 1760, kHex, {}, K::kConstantBufferAddress, 6,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(6)", 1791, 1779, kUint, {}, K::kConstantBufferSize, 6, 4),
    q("CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(7)", 1823, 1792, kHex, {}, K::kConstantBufferAddress, 7,
      6),
    q("CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(7)", 1842, 1824, kHex, {}, K::kConstantBufferAddress, 7,
      38),
    q("CONSTANT_BUFFER_SIZE_SHIFTED4(7)", 1855, 1843, kUint, {}, K::kConstantBufferSize, 7, 4),
    q("CONSTANT_BUFFER_VALID(0)", 1856, 1856, kBool, {}, K::kConstantBufferValid, 0, 0),
    q("CONSTANT_BUFFER_PREFETCH(0)", 1858, 1857, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(0)", 1859, 1859, kBool, {}, K::kConstantBufferInvalidate, 0, 0),
    q("CONSTANT_BUFFER_VALID(1)", 1860, 1860, kBool, {}, K::kConstantBufferValid, 1, 0),
    q("CONSTANT_BUFFER_PREFETCH(1)", 1862, 1861, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(1)", 1863, 1863, kBool, {}, K::kConstantBufferInvalidate, 1, 0),
    q("CONSTANT_BUFFER_VALID(2)", 1864, 1864, kBool, {}, K::kConstantBufferValid, 2, 0),
    q("CONSTANT_BUFFER_PREFETCH(2)", 1866, 1865, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(2)", 1867, 1867, kBool, {}, K::kConstantBufferInvalidate, 2, 0),
    q("CONSTANT_BUFFER_VALID(3)", 1868, 1868, kBool, {}, K::kConstantBufferValid, 3, 0),
    q("CONSTANT_BUFFER_PREFETCH(3)", 1870, 1869, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(3)", 1871, 1871, kBool, {}, K::kConstantBufferInvalidate, 3, 0),
    q("CONSTANT_BUFFER_VALID(4)", 1872, 1872, kBool, {}, K::kConstantBufferValid, 4, 0),
    q("CONSTANT_BUFFER_PREFETCH(4)", 1874, 1873, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(4)", 1875, 1875, kBool, {}, K::kConstantBufferInvalidate, 4, 0),
    q("CONSTANT_BUFFER_VALID(5)", 1876, 1876, kBool, {}, K::kConstantBufferValid, 5, 0),
    q("CONSTANT_BUFFER_PREFETCH(5)", 1878, 1877, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(5)", 1879, 1879, kBool, {}, K::kConstantBufferInvalidate, 5, 0),
    q("CONSTANT_BUFFER_VALID(6)", 1880, 1880, kBool, {}, K::kConstantBufferValid, 6, 0),
    q("CONSTANT_BUFFER_PREFETCH(6)", 1882, 1881, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(6)", 1883, 1883, kBool, {}, K::kConstantBufferInvalidate, 6, 0),
    q("CONSTANT_BUFFER_VALID(7)", 1884, 1884, kBool, {}, K::kConstantBufferValid, 7, 0),
    q("CONSTANT_BUFFER_PREFETCH(7)", 1886, 1885, kEnum, kConstantBufferPrefetchNames),
    q("CONSTANT_BUFFER_INVALIDATE(7)", 1887, 1887, kBool, {}, K::kConstantBufferInvalidate, 7, 0),
    q("PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED", 1919, 1888, kHex, {}, K::kProgramPrefetchAddress, 0,
      8),
    q("PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED", 1936, 1920, kHex, {}, K::kProgramPrefetchAddress, 0,
      40),
    q("GPC_CGA_WIDTH", 2053, 2048, kUint, {}),
    q("GPC_CGA_HEIGHT", 2061, 2056, kUint, {}),
    q("GPC_CGA_DEPTH", 2069, 2064, kUint, {}),
    q("LARGE_GPC_CGA_WIDTH_MINUS_ONE", 2075, 2072, kUint, {}),
    q("LARGE_GPC_CGA_HEIGHT_MINUS_ONE", 2079, 2076, kUint, {}),
    q("CGA_CTA_DISTRIBUTION_MODE", 2111, 2111, kEnum, kCgaCtaDistributionModeNames),
    q("GPU_CGA_WIDTH", 2127, 2112, kUint, {}),
    q("GPU_CGA_HEIGHT", 2143, 2128, kUint, {}),
    q("GPU_CGA_DEPTH", 2159, 2144, kUint, {}),
    q("DEBUG_ID_LOWER", 2207, 2176, kHex, {}),
    q("DEBUG_ID_UPPER", 2239, 2208, kHex, {}),
    q("TPC_DISABLE_MASK(0)", 2271, 2240, kHex, {}),
    q("TPC_DISABLE_MASK(1)", 2303, 2272, kHex, {}),
    q("TPC_DISABLE_MASK(2)", 2335, 2304, kHex, {}),
    q("TPC_DISABLE_MASK(3)", 2367, 2336, kHex, {}),
    q("TPC_DISABLE_MASK(4)", 2399, 2368, kHex, {}),
    q("TPC_DISABLE_MASK(5)", 2431, 2400, kHex, {}),
    q("TPC_DISABLE_MASK(6)", 2463, 2432, kHex, {}),
    q("TPC_DISABLE_MASK(7)", 2495, 2464, kHex, {}),
    q("INCOMPLETE_BOX_BASE_WIDTH_RESUME", 2527, 2496, kUint, {}),
    q("INCOMPLETE_BOX_BASE_HEIGHT_RESUME", 2543, 2528, kUint, {}),
    q("INCOMPLETE_BOX_BASE_DEPTH_RESUME", 2559, 2544, kUint, {}),
    q("INCOMPLETE_BOX_OFFSET_WIDTH_RESUME", 2563, 2560, kUint, {}),
    q("INCOMPLETE_BOX_OFFSET_HEIGHT_RESUME", 2567, 2564, kUint, {}),
    q("QUEUE_ENTRIES_PER_CTA_LOG2", 2596, 2592, kUint, {}),
    q("HW_ONLY_INNER_GET", 2654, 2624, kHex, {}),
    q("HW_ONLY_INNER_PUT", 2686, 2656, kHex, {}),
    q("OUTER_PUT", 3038, 3008, kHex, {}),
    q("OUTER_OVERFLOW", 3039, 3039, kBool, {}),
    q("OUTER_GET", 3070, 3040, kHex, {}),
    q("OUTER_STICKY_OVERFLOW", 3071, 3071, kBool, {}),
};

constexpr size_t kKeyCount = static_cast<size_t>(QmdKey::kDependentQmdAddress) + 1;
constexpr uint8_t kRoleTop = 1;     // holds the member's top bits: the member must end here
constexpr uint8_t kRoleBottom = 2;  // holds the member's low bits: alignment is checked here

template <size_t N>
constexpr std::array<BitField, N> bits_of(const QmdField (&rows)[N]) {
  std::array<BitField, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = rows[i].bits;
  return a;
}
template <size_t N>
constexpr std::array<uint8_t, N> roles_of(const QmdField (&rows)[N]) {
  std::array<uint8_t, N> r{};
  for (size_t i = 0; i < N; ++i) {
    if (rows[i].key == QmdKey::kNone) continue;
    bool top = true, bottom = true;
    for (size_t j = 0; j < N; ++j) {
      if (j == i || rows[j].key != rows[i].key || rows[j].slot != rows[i].slot) continue;
      if (rows[j].value_shift > rows[i].value_shift) top = false;
      if (rows[j].value_shift < rows[i].value_shift) bottom = false;
    }
    r[i] = static_cast<uint8_t>((top ? kRoleTop : 0) | (bottom ? kRoleBottom : 0));
  }
  return r;
}
// Bit s of presence[key]: the version has a row for slot s of the member.
template <size_t N>
constexpr std::array<uint8_t, kKeyCount> presence_of(const QmdField (&rows)[N]) {
  std::array<uint8_t, kKeyCount> p{};
  for (const QmdField& f : rows)
    p[static_cast<size_t>(f.key)] |= static_cast<uint8_t>(1u << f.slot);
  return p;
}
// True when the rows of every member cover its value bits without gap or overlap.
template <size_t N>
constexpr bool members_contiguous(const QmdField (&rows)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (rows[i].key == QmdKey::kNone) continue;
    const uint32_t end = rows[i].value_shift + core::field_width(rows[i].bits);
    bool top = true, next = false;
    for (size_t j = 0; j < N; ++j) {
      if (j == i || rows[j].key != rows[i].key || rows[j].slot != rows[i].slot) continue;
      if (rows[j].value_shift > rows[i].value_shift) top = false;
      if (rows[j].value_shift == end) next = true;
      if (rows[j].value_shift == rows[i].value_shift) return false;
    }
    if (!top && !next) return false;
  }
  return true;
}
static_assert(members_contiguous(kQmdV03) && members_contiguous(kQmdV04) &&
              members_contiguous(kQmdV05));

constexpr auto kQmdV03Bits = bits_of(kQmdV03);
constexpr auto kQmdV04Bits = bits_of(kQmdV04);
constexpr auto kQmdV05Bits = bits_of(kQmdV05);
constexpr auto kQmdV03Roles = roles_of(kQmdV03);
constexpr auto kQmdV04Roles = roles_of(kQmdV04);
constexpr auto kQmdV05Roles = roles_of(kQmdV05);
constexpr auto kQmdV03Presence = presence_of(kQmdV03);
constexpr auto kQmdV04Presence = presence_of(kQmdV04);
constexpr auto kQmdV05Presence = presence_of(kQmdV05);

struct QmdTable {
  QmdVersion version;
  const char* name;
  uint8_t major;
  uint8_t minor;
  std::span<const QmdField> rows;
  std::span<const uint8_t> roles;
  const std::array<uint8_t, kKeyCount>* presence;
  core::PacketLayout layout;
};

constexpr QmdTable kQmdTables[] = {
    {QmdVersion::V03_00, "V03_00", 3, 0, kQmdV03, kQmdV03Roles, &kQmdV03Presence,
     core::PacketLayout{"QMD_V03_00", kQmdV03Bits, 64, nullptr}},
    {QmdVersion::V04_00, "V04_00", 4, 0, kQmdV04, kQmdV04Roles, &kQmdV04Presence,
     core::PacketLayout{"QMD_V04_00", kQmdV04Bits, 96, nullptr}},
    {QmdVersion::V05_00, "V05_00", 5, 0, kQmdV05, kQmdV05Roles, &kQmdV05Presence,
     core::PacketLayout{"QMD_V05_00", kQmdV05Bits, 96, nullptr}},
};

const QmdTable& qmd_table(QmdVersion v) { return kQmdTables[static_cast<size_t>(v)]; }

// The QmdParams member each key stands for, as errors name it, and its number of slots.
struct KeyInfo {
  const char* name;
  uint8_t slots;
};
constexpr KeyInfo key_info(QmdKey k) {
  switch (k) {
    case K::kNone: return {"", 0};
    case K::kMajorVersion: return {"QMD_MAJOR_VERSION", 0};
    case K::kMinorVersion: return {"QMD_MINOR_VERSION", 0};
    case K::kQmdType: return {"qmd_type", 1};
    case K::kQmdGroupId: return {"qmd_group_id", 1};
    case K::kGrid: return {"grid", 3};
    case K::kBlock: return {"block", 3};
    case K::kRegisterCount: return {"register_count", 1};
    case K::kBarrierCount: return {"barrier_count", 1};
    case K::kProgramAddress: return {"program_address", 1};
    case K::kProgramPrefetchAddress: return {"program_prefetch_address", 1};
    case K::kProgramPrefetchSize: return {"program_prefetch_size", 1};
    case K::kProgramPrefetchType: return {"program_prefetch_type", 1};
    case K::kSharedMemorySize: return {"shared_memory_size", 1};
    case K::kMinSmConfigSharedMemSize: return {"min_sm_config_shared_mem_size", 1};
    case K::kMaxSmConfigSharedMemSize: return {"max_sm_config_shared_mem_size", 1};
    case K::kTargetSmConfigSharedMemSize: return {"target_sm_config_shared_mem_size", 1};
    case K::kSharedAllocationEnable: return {"shared_allocation_enable", 1};
    case K::kShaderLocalMemoryLowSize: return {"shader_local_memory_low_size", 1};
    case K::kShaderLocalMemoryHighSize: return {"shader_local_memory_high_size", 1};
    case K::kSassVersion: return {"sass_version", 1};
    case K::kApiVisibleCallLimit: return {"api_visible_call_limit", 1};
    case K::kSamplerIndex: return {"sampler_index", 1};
    case K::kCwdMembarType: return {"cwd_membar_type", 1};
    case K::kInvalidateTextureHeaderCache: return {"invalidate_texture_header_cache", 1};
    case K::kInvalidateTextureSamplerCache: return {"invalidate_texture_sampler_cache", 1};
    case K::kInvalidateTextureDataCache: return {"invalidate_texture_data_cache", 1};
    case K::kInvalidateShaderDataCache: return {"invalidate_shader_data_cache", 1};
    case K::kInvalidateInstructionCache: return {"invalidate_instruction_cache", 1};
    case K::kInvalidateShaderConstantCache: return {"invalidate_shader_constant_cache", 1};
    case K::kSmGlobalCachingEnable: return {"sm_global_caching_enable", 1};
    case K::kConstantBufferValid: return {"constant_buffer[].valid", 8};
    case K::kConstantBufferInvalidate: return {"constant_buffer[].invalidate", 8};
    case K::kConstantBufferAddress: return {"constant_buffer[].address", 8};
    case K::kConstantBufferSize: return {"constant_buffer[].size", 8};
    case K::kReleaseEnable: return {"release[].enable", 3};
    case K::kReleaseAddress: return {"release[].address", 3};
    case K::kReleasePayload: return {"release[].payload", 3};
    case K::kReleaseStructureSize: return {"release[].structure_size", 3};
    case K::kReleaseMembarType: return {"release[].membar_type", 3};
    case K::kReleaseReductionEnable: return {"release[].reduction_enable", 3};
    case K::kReleaseReductionOp: return {"release[].reduction_op", 3};
    case K::kReleaseReductionFormat: return {"release[].reduction_format", 3};
    case K::kReleaseTrapType: return {"release[].trap_type", 3};
    case K::kReleasePayload64b: return {"release[].payload64b", 3};
    case K::kDependentQmdEnable: return {"dependent_qmd[].enable", 2};
    case K::kDependentQmdAction: return {"dependent_qmd[].action", 2};
    case K::kDependentQmdPrefetch: return {"dependent_qmd[].prefetch", 2};
    case K::kDependentQmdAddress: return {"dependent_qmd[].qmd_address", 2};
  }
  return {"?", 0};
}

template <class M>
uint64_t u(const M& m) {
  return detail::to_u64(m);
}

uint64_t get_param(const QmdParams& p, QmdKey k, uint8_t s) {
  switch (k) {
    case K::kNone:
    case K::kMajorVersion:
    case K::kMinorVersion: return 0;
    case K::kQmdType: return u(p.qmd_type);
    case K::kQmdGroupId: return p.qmd_group_id;
    case K::kGrid: return p.grid[s];
    case K::kBlock: return p.block[s];
    case K::kRegisterCount: return p.register_count;
    case K::kBarrierCount: return p.barrier_count;
    case K::kProgramAddress: return p.program_address;
    case K::kProgramPrefetchAddress: return p.program_prefetch_address;
    case K::kProgramPrefetchSize: return p.program_prefetch_size;
    case K::kProgramPrefetchType: return u(p.program_prefetch_type);
    case K::kSharedMemorySize: return p.shared_memory_size;
    case K::kMinSmConfigSharedMemSize: return p.min_sm_config_shared_mem_size;
    case K::kMaxSmConfigSharedMemSize: return p.max_sm_config_shared_mem_size;
    case K::kTargetSmConfigSharedMemSize: return p.target_sm_config_shared_mem_size;
    case K::kSharedAllocationEnable: return u(p.shared_allocation_enable);
    case K::kShaderLocalMemoryLowSize: return p.shader_local_memory_low_size;
    case K::kShaderLocalMemoryHighSize: return p.shader_local_memory_high_size;
    case K::kSassVersion: return p.sass_version;
    case K::kApiVisibleCallLimit: return u(p.api_visible_call_limit);
    case K::kSamplerIndex: return u(p.sampler_index);
    case K::kCwdMembarType: return u(p.cwd_membar_type);
    case K::kInvalidateTextureHeaderCache: return u(p.invalidate_texture_header_cache);
    case K::kInvalidateTextureSamplerCache: return u(p.invalidate_texture_sampler_cache);
    case K::kInvalidateTextureDataCache: return u(p.invalidate_texture_data_cache);
    case K::kInvalidateShaderDataCache: return u(p.invalidate_shader_data_cache);
    case K::kInvalidateInstructionCache: return u(p.invalidate_instruction_cache);
    case K::kInvalidateShaderConstantCache: return u(p.invalidate_shader_constant_cache);
    case K::kSmGlobalCachingEnable: return u(p.sm_global_caching_enable);
    case K::kConstantBufferValid: return u(p.constant_buffer[s].valid);
    case K::kConstantBufferInvalidate: return u(p.constant_buffer[s].invalidate);
    case K::kConstantBufferAddress: return p.constant_buffer[s].address;
    case K::kConstantBufferSize: return p.constant_buffer[s].size;
    case K::kReleaseEnable: return u(p.release[s].enable);
    case K::kReleaseAddress: return p.release[s].address;
    case K::kReleasePayload: return p.release[s].payload;
    case K::kReleaseStructureSize: return u(p.release[s].structure_size);
    case K::kReleaseMembarType: return u(p.release[s].membar_type);
    case K::kReleaseReductionEnable: return u(p.release[s].reduction_enable);
    case K::kReleaseReductionOp: return u(p.release[s].reduction_op);
    case K::kReleaseReductionFormat: return u(p.release[s].reduction_format);
    case K::kReleaseTrapType: return u(p.release[s].trap_type);
    case K::kReleasePayload64b: return u(p.release[s].payload64b);
    case K::kDependentQmdEnable: return u(p.dependent_qmd[s].enable);
    case K::kDependentQmdAction: return u(p.dependent_qmd[s].action);
    case K::kDependentQmdPrefetch: return u(p.dependent_qmd[s].prefetch);
    case K::kDependentQmdAddress: return p.dependent_qmd[s].qmd_address;
  }
  return 0;
}

template <class M>
void set(M& m, uint64_t v) {
  m = detail::from_u64<M>(v);
}

void put_param(QmdParams& p, QmdKey k, uint8_t s, uint64_t v) {
  switch (k) {
    case K::kNone:
    case K::kMajorVersion:
    case K::kMinorVersion: return;
    case K::kQmdType: return set(p.qmd_type, v);
    case K::kQmdGroupId: return set(p.qmd_group_id, v);
    case K::kGrid: return set(p.grid[s], v);
    case K::kBlock: return set(p.block[s], v);
    case K::kRegisterCount: return set(p.register_count, v);
    case K::kBarrierCount: return set(p.barrier_count, v);
    case K::kProgramAddress: return set(p.program_address, v);
    case K::kProgramPrefetchAddress: return set(p.program_prefetch_address, v);
    case K::kProgramPrefetchSize: return set(p.program_prefetch_size, v);
    case K::kProgramPrefetchType: return set(p.program_prefetch_type, v);
    case K::kSharedMemorySize: return set(p.shared_memory_size, v);
    case K::kMinSmConfigSharedMemSize: return set(p.min_sm_config_shared_mem_size, v);
    case K::kMaxSmConfigSharedMemSize: return set(p.max_sm_config_shared_mem_size, v);
    case K::kTargetSmConfigSharedMemSize: return set(p.target_sm_config_shared_mem_size, v);
    case K::kSharedAllocationEnable: return set(p.shared_allocation_enable, v);
    case K::kShaderLocalMemoryLowSize: return set(p.shader_local_memory_low_size, v);
    case K::kShaderLocalMemoryHighSize: return set(p.shader_local_memory_high_size, v);
    case K::kSassVersion: return set(p.sass_version, v);
    case K::kApiVisibleCallLimit: return set(p.api_visible_call_limit, v);
    case K::kSamplerIndex: return set(p.sampler_index, v);
    case K::kCwdMembarType: return set(p.cwd_membar_type, v);
    case K::kInvalidateTextureHeaderCache: return set(p.invalidate_texture_header_cache, v);
    case K::kInvalidateTextureSamplerCache: return set(p.invalidate_texture_sampler_cache, v);
    case K::kInvalidateTextureDataCache: return set(p.invalidate_texture_data_cache, v);
    case K::kInvalidateShaderDataCache: return set(p.invalidate_shader_data_cache, v);
    case K::kInvalidateInstructionCache: return set(p.invalidate_instruction_cache, v);
    case K::kInvalidateShaderConstantCache: return set(p.invalidate_shader_constant_cache, v);
    case K::kSmGlobalCachingEnable: return set(p.sm_global_caching_enable, v);
    case K::kConstantBufferValid: return set(p.constant_buffer[s].valid, v);
    case K::kConstantBufferInvalidate: return set(p.constant_buffer[s].invalidate, v);
    case K::kConstantBufferAddress: return set(p.constant_buffer[s].address, v);
    case K::kConstantBufferSize: return set(p.constant_buffer[s].size, v);
    case K::kReleaseEnable: return set(p.release[s].enable, v);
    case K::kReleaseAddress: return set(p.release[s].address, v);
    case K::kReleasePayload: return set(p.release[s].payload, v);
    case K::kReleaseStructureSize: return set(p.release[s].structure_size, v);
    case K::kReleaseMembarType: return set(p.release[s].membar_type, v);
    case K::kReleaseReductionEnable: return set(p.release[s].reduction_enable, v);
    case K::kReleaseReductionOp: return set(p.release[s].reduction_op, v);
    case K::kReleaseReductionFormat: return set(p.release[s].reduction_format, v);
    case K::kReleaseTrapType: return set(p.release[s].trap_type, v);
    case K::kReleasePayload64b: return set(p.release[s].payload64b, v);
    case K::kDependentQmdEnable: return set(p.dependent_qmd[s].enable, v);
    case K::kDependentQmdAction: return set(p.dependent_qmd[s].action, v);
    case K::kDependentQmdPrefetch: return set(p.dependent_qmd[s].prefetch, v);
    case K::kDependentQmdAddress: return set(p.dependent_qmd[s].qmd_address, v);
  }
}

constexpr const char* alignment_rule(uint8_t shift) {
  switch (shift) {
    case 4: return "the field holds value >> 4: the value must be a multiple of 16";
    case 6: return "the field holds value >> 6: the value must be a multiple of 64";
    case 7: return "the field holds value >> 7: the value must be a multiple of 128";
    case 8: return "the field holds value >> 8: the value must be a multiple of 256";
    default: return "the value is not aligned the way the field stores it";
  }
}

// V03_00 has IS_QUEUE (1 bit) where later versions have QMD_TYPE.
bool is_queue_row(const QmdField& f) { return f.key == QmdKey::kQmdType && f.bits.lo == f.bits.hi; }

// Stores member `value` into row f (one of the member's rows).
void store_row(core::FieldWriter& w, const QmdField& f, uint8_t role, uint64_t value) {
  if (is_queue_row(f)) {
    if (value == u(QmdType::QUEUE)) {
      w.set(f.bits, 1);
    } else if (value == u(QmdType::GRID_CTA)) {
      w.set(f.bits, 0);
    } else {
      w.absent("qmd_type", value, "V03_00 has only IS_QUEUE: QUEUE or GRID_CTA");
    }
    return;
  }
  if ((role & kRoleBottom) != 0 && f.value_shift != 0 &&
      (value & ((uint64_t{1} << f.value_shift) - 1)) != 0) {
    w.invalid(f.bits.name, value, alignment_rule(f.value_shift));
    return;
  }
  if (f.bits.kind == core::FieldKind::kEnum && !detail::has_name(f.bits.names, value)) {
    w.invalid(f.bits.name, value, "the value is not one the field defines");
    return;
  }
  const uint64_t part = f.value_shift >= 64 ? 0 : value >> f.value_shift;
  w.set(f.bits, (role & kRoleTop) != 0 ? part : part & core::field_raw_max(f.bits));
}

}  // namespace

const char* qmd_version_name(QmdVersion v) { return qmd_table(v).name; }

std::span<const QmdField> qmd_fields(QmdVersion v) { return qmd_table(v).rows; }

const core::PacketLayout& qmd_layout(QmdVersion v) { return qmd_table(v).layout; }

core::EncodeResult encode_qmd(std::span<uint32_t> out, QmdVersion v, const QmdParams& p) {
  const QmdTable& t = qmd_table(v);
  const uint32_t n = t.layout.fixed_dwords;
  if (out.size() < n) return core::encode_no_space("QMD", t.name, n, out.size());
  std::array<uint32_t, 96> buf{};
  core::FieldWriter w(std::span<uint32_t>(buf).first(n), "QMD", t.name);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const QmdField& f = t.rows[i];
    switch (f.key) {
      case K::kNone: break;
      case K::kMajorVersion: w.set(f.bits, t.major); break;
      case K::kMinorVersion: w.set(f.bits, t.minor); break;
      default: store_row(w, f, t.roles[i], get_param(p, f.key, f.slot)); break;
    }
  }
  // Members this version has no field for must stay 0.
  for (size_t k = 1; k < kKeyCount; ++k) {
    const KeyInfo info = key_info(static_cast<QmdKey>(k));
    for (uint8_t s = 0; s < info.slots; ++s) {
      if (((*t.presence)[k] >> s & 1) != 0) continue;
      w.absent(info.name, get_param(p, static_cast<QmdKey>(k), s),
               "the QMD version has no field for this member");
    }
  }
  if (!w.ok()) return w.result(0);
  std::copy_n(buf.begin(), n, out.begin());
  return w.result(n);
}

core::EncodeResult set_qmd_value(std::span<uint32_t> qmd, QmdVersion v, QmdKey key, uint8_t slot,
                                 uint64_t value) {
  const QmdTable& t = qmd_table(v);
  const uint32_t n = t.layout.fixed_dwords;
  core::FieldWriter w({}, "QMD", t.name);
  if (qmd.size() < n) return core::encode_no_space("QMD", t.name, n, qmd.size());
  const auto k = static_cast<size_t>(key);
  if (k == 0 || k >= kKeyCount || key == K::kMajorVersion || key == K::kMinorVersion ||
      slot >= key_info(key).slots) {
    w.invalid("key", k, "not a QmdParams member (or slot out of range)");
    return w.result(0);
  }
  if (((*t.presence)[k] >> slot & 1) == 0) {
    w.absent(key_info(key).name, value == 0 ? 1 : value,
             "the QMD version has no field for this member");
    return w.result(0);
  }
  std::array<uint32_t, 96> buf{};
  std::copy_n(qmd.begin(), n, buf.begin());
  core::FieldWriter pw(std::span<uint32_t>(buf).first(n), "QMD", t.name);
  for (size_t i = 0; i < t.rows.size(); ++i) {
    if (t.rows[i].key == key && t.rows[i].slot == slot) store_row(pw, t.rows[i], t.roles[i], value);
  }
  if (!pw.ok()) return pw.result(0);
  std::copy_n(buf.begin(), n, qmd.begin());
  return pw.result(n);
}

Result<QmdParams> decode_qmd(std::span<const uint32_t> qmd, QmdVersion v) {
  const QmdTable& t = qmd_table(v);
  const uint32_t n = t.layout.fixed_dwords;
  // Built only on failure: the simulator decodes a QMD per launch.
  const auto op = [&t] { return std::string("QMD ") + t.name; };
  if (qmd.size() < n) {
    return Error::invalid(op(), "a " + std::string(t.name) + " QMD has " + std::to_string(n) +
                                  " dwords, the buffer has " + std::to_string(qmd.size()));
  }
  const std::span<const uint32_t> d = qmd.first(n);
  for (const QmdField& f : t.rows) {
    if (f.key != K::kMajorVersion && f.key != K::kMinorVersion) continue;
    const uint64_t raw = core::get_raw(d, f.bits);
    const uint64_t want = f.key == K::kMajorVersion ? t.major : t.minor;
    if (raw != want) {
      return Error::invalid(op(), std::string(f.bits.name) + "=" + std::to_string(raw) + " where " +
                                    t.name + " has " + std::to_string(want) +
                                    " (a QMD of another version?)");
    }
  }
  if (const std::optional<core::FieldProblem> pr = core::find_field_problem(t.layout, d)) {
    return Error::invalid(op(), core::describe(*pr));
  }
  std::array<std::array<uint64_t, 8>, kKeyCount> vals{};
  for (const QmdField& f : t.rows) {
    const uint64_t raw = core::get_raw(d, f.bits);
    if (f.key == K::kNone) {
      if (raw != 0) {
        return Error::invalid(op(), std::string(f.bits.name) + "=" + hex(raw) +
                                      " is set, and QmdParams has no member for it (rawgpu does "
                                      "not set this field; format_qmd() shows it)");
      }
      continue;
    }
    if (f.key == K::kMajorVersion || f.key == K::kMinorVersion) continue;
    uint64_t& slot = vals[static_cast<size_t>(f.key)][f.slot];
    if (is_queue_row(f)) {
      slot = raw != 0 ? u(QmdType::QUEUE) : u(QmdType::GRID_CTA);
    } else if (f.value_shift < 64) {
      slot |= raw << f.value_shift;
    }
  }
  QmdParams p;
  for (size_t k = 1; k < kKeyCount; ++k) {
    const KeyInfo info = key_info(static_cast<QmdKey>(k));
    for (uint8_t s = 0; s < info.slots; ++s) put_param(p, static_cast<QmdKey>(k), s, vals[k][s]);
  }
  return p;
}

std::string format_qmd(std::span<const uint32_t> qmd, QmdVersion v) {
  const QmdTable& t = qmd_table(v);
  const size_t n = std::min<size_t>(qmd.size(), t.layout.fixed_dwords);
  const std::span<const uint32_t> d = qmd.first(n);
  std::string s = core::format_packet(t.layout, d);
  std::string reserved;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t extra = d[i] & ~core::covered_bits(t.layout.fields, i);
    if (extra == 0) continue;
    reserved += reserved.empty() ? "reserved=[" : ", ";
    reserved += "dword " + std::to_string(i) + ": " + hex32(extra);
  }
  if (!reserved.empty()) {
    s.pop_back();
    if (s.back() != '{') s += ", ";
    s += reserved + "]}";
  }
  return s;
}

}  // namespace rawgpu::nv
