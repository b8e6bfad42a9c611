// rawgpu — Adreno (a6xx/a7xx) PM4 command streams (STYLE rule 5): type-4 register writes and
// type-7 opcode packets with their parity bits, the CP opcodes a compute runtime uses, and a
// stream walker / disassembler. Each packet's payload is described once, as core::BitField rows in
// the packet struct's visit(); the encoder, the typed decoder (decode_as<>), the validator and the
// printer all run that one visit.
//
// Facts: shared/abi/qcom-kgsl.md §2 (the "fact sheet"), which took them from the Linux KGSL
// adreno_pm4types.h (headers, parity), Mesa freedreno registers/adreno/adreno_pm4.xml (payloads)
// and tinygrad runtime/ops_qcom.py + autogen (opcode and event numbers). Guesses are marked
// UNCONFIRMED. docs/adreno-packets.md lists what is covered.
//
// Encoding (hot path: the KGSL backend's queues):
//   std::array<uint32_t, 256> ib;
//   qcom::Pm4Writer w(ib);
//   w.pkt7(qcom::CpSetMarker{.mode = qcom::RM6_COMPUTE});
//   w.pkt4(qcom::a6xx::SP_UPDATE_CNTL, {0x60});
//   w.pkt7(qcom::CpWaitRegMem{.function = qcom::WaitFunction::kGreaterEqual,
//                             .poll = qcom::PollSpace::kMemory, .poll_addr = va, .ref = v});
//   if (!w.ok()) return core::to_error(w.result());
// - Encoders are inline, constexpr, allocation-free; each packet is all or nothing: a value that
//   does not fit its field, a broken rule between fields (a timestamp event without an address),
//   a packet that does not exist on the generation, or too little space fails with nothing written
//   and the core::EncodeResult names packet, field, value and rule. Bits no field covers stay 0.
//
// Decoding (simulator command processor, `rawgpu decode`, timeout messages):
//   decode_packet() validates the packet at one dword offset (type, parity bits of both header
//   fields, opcode known on the generation, count inside the stream, reserved payload bits,
//   enum values, field rules, count consistent with the payload); walk_stream() calls a function
//   for every packet; disassemble() prints one line per packet / register:
//     "0x0000: CP_SET_MARKER{mode=RM6_COMPUTE}"
//     "0x0002: REG SP_UPDATE_CNTL (0xbb08) = 0x00000060 {cs_state=1, cs_uav=1}"
//   Errors are core::Error::invalid("Adreno PM4 at dword 12", "type-7 header 0x70b30005: ...").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>

#include "core/bits.h"
#include "core/error.h"

namespace rawgpu::qcom {

// ---- generations -----------------------------------------------------------------------------

// a6xx (A630 … A690) and a7xx (A730 …): fact sheet §5. A few opcodes change meaning (0x14, 0x46).
enum class AdrenoGen : uint8_t { kA6xx, kA7xx };
inline constexpr uint8_t kGenA6xx = 1;
inline constexpr uint8_t kGenA7xx = 2;
inline constexpr uint8_t kGenAll = kGenA6xx | kGenA7xx;
constexpr uint8_t gen_bit(AdrenoGen g) { return g == AdrenoGen::kA6xx ? kGenA6xx : kGenA7xx; }
constexpr const char* gen_name(AdrenoGen g) { return g == AdrenoGen::kA6xx ? "a6xx" : "a7xx"; }

// ---- headers (fact sheet §2.1) ---------------------------------------------------------------

// The odd-parity bit KGSL puts beside a header field: 1 iff popcount(v) is even. KGSL folds the
// eight nibbles with xor and looks the result up in 0x9669 (adreno_pm4types.h); tinygrad's
// ~0x6996 lookup is the same function.
constexpr uint32_t pm4_parity(uint32_t v) {
  v ^= v >> 16;
  v ^= v >> 8;
  v ^= v >> 4;
  return (0x9669u >> (v & 0xFu)) & 1u;
}

inline constexpr uint32_t CP_TYPE4_PKT = 4u << 28;
inline constexpr uint32_t CP_TYPE7_PKT = 7u << 28;
inline constexpr uint32_t kPkt4MaxCount = 0x7F;    // [6:0] (KGSL's own limit is 128)
inline constexpr uint32_t kPkt4MaxReg = 0x3FFFF;   // [25:8], 18-bit dword register offset
inline constexpr uint32_t kPkt7MaxCount = 0x7FFF;  // [14:0]
inline constexpr uint32_t kPkt7MaxOpcode = 0x7F;   // [22:16]

// The header rows (dword 0 of every packet). Type-4: [31:28]=4, [27]=parity(reg), [26] reserved,
// [25:8] reg, [7]=parity(cnt), [6:0] cnt. Type-7: [31:28]=7, [27:24] reserved, [23]=parity(op),
// [22:16] opcode, [15]=parity(cnt), [14:0] cnt.
inline constexpr core::BitField kPkt4Type = core::uint_field("type", 0, 28, 31, "packet type 4").hidden();
inline constexpr core::BitField kPkt4RegParity =
    core::bool_field("reg_parity", 0, 27, "odd parity of reg").hidden();
inline constexpr core::BitField kPkt4Reg =
    core::hex_field("reg", 0, 8, 25, "first register (dword offset)").hidden();
inline constexpr core::BitField kPkt4CntParity =
    core::bool_field("cnt_parity", 0, 7, "odd parity of cnt").hidden();
inline constexpr core::BitField kPkt4Cnt =
    core::uint_field("cnt", 0, 0, 6, "values that follow").hidden();
inline constexpr core::BitField kPkt7Type = core::uint_field("type", 0, 28, 31, "packet type 7").hidden();
inline constexpr core::BitField kPkt7OpParity =
    core::bool_field("opcode_parity", 0, 23, "odd parity of opcode").hidden();
inline constexpr core::BitField kPkt7Opcode = core::hex_field("opcode", 0, 16, 22, "CP opcode").hidden();
inline constexpr core::BitField kPkt7CntParity =
    core::bool_field("cnt_parity", 0, 15, "odd parity of cnt").hidden();
inline constexpr core::BitField kPkt7Cnt =
    core::uint_field("cnt", 0, 0, 14, "payload dwords").hidden();

// Header words, unchecked (fields masked): for constants and tests. Use Pm4Writer to encode.
constexpr uint32_t pkt4_header(uint32_t reg, uint32_t cnt) {
  reg &= kPkt4MaxReg;
  cnt &= kPkt4MaxCount;
  return CP_TYPE4_PKT | (pm4_parity(reg) << 27) | (reg << 8) | (pm4_parity(cnt) << 7) | cnt;
}
constexpr uint32_t pkt7_header(uint32_t opcode, uint32_t cnt) {
  opcode &= kPkt7MaxOpcode;
  cnt &= kPkt7MaxCount;
  return CP_TYPE7_PKT | (pm4_parity(opcode) << 23) | (opcode << 16) | (pm4_parity(cnt) << 15) |
         cnt;
}

// ---- opcodes (fact sheet §2.2; numbers from Mesa adreno_pm4.xml via tinygrad autogen) ---------

inline constexpr uint8_t CP_NOP = 0x10;
inline constexpr uint8_t CP_WAIT_MEM_WRITES = 0x12;
inline constexpr uint8_t CP_WAIT_FOR_ME = 0x13;
inline constexpr uint8_t CP_WAIT_MEM_GTE = 0x14;    // a6xx
inline constexpr uint8_t CP_WAIT_TIMESTAMP = 0x14;  // a7xx (payload UNCONFIRMED)
inline constexpr uint8_t CP_GLOBAL_TIMESTAMP = 0x15;  // a7xx, payload UNCONFIRMED
inline constexpr uint8_t CP_LOCAL_TIMESTAMP = 0x16;   // a7xx, payload UNCONFIRMED
inline constexpr uint8_t CP_THREAD_CONTROL = 0x17;    // a7xx
inline constexpr uint8_t CP_MODIFY_TIMESTAMP = 0x1C;  // a7xx, payload UNCONFIRMED
inline constexpr uint8_t CP_RESET_CONTEXT_STATE = 0x1F;  // a7xx, payload UNCONFIRMED
inline constexpr uint8_t CP_REG_RMW = 0x21;              // payload not described
inline constexpr uint8_t CP_WAIT_FOR_IDLE = 0x26;
inline constexpr uint8_t CP_RUN_OPENCL = 0x31;
inline constexpr uint8_t CP_LOAD_STATE6_GEOM = 0x32;
inline constexpr uint8_t CP_EXEC_CS = 0x33;
inline constexpr uint8_t CP_LOAD_STATE6_FRAG = 0x34;
inline constexpr uint8_t CP_LOAD_STATE6 = 0x36;
inline constexpr uint8_t CP_CCHE_INVALIDATE = 0x3A;  // a7xx, payload UNCONFIRMED
inline constexpr uint8_t CP_WAIT_REG_MEM = 0x3C;
inline constexpr uint8_t CP_MEM_WRITE = 0x3D;
inline constexpr uint8_t CP_REG_TO_MEM = 0x3E;
inline constexpr uint8_t CP_INDIRECT_BUFFER = 0x3F;
inline constexpr uint8_t CP_EXEC_CS_INDIRECT = 0x41;
inline constexpr uint8_t CP_MEM_TO_REG = 0x42;      // payload not described
inline constexpr uint8_t CP_SET_DRAW_STATE = 0x43;  // graphics; payload not described here
inline constexpr uint8_t CP_EVENT_WRITE = 0x46;     // a6xx form
inline constexpr uint8_t CP_EVENT_WRITE7 = 0x46;    // a7xx form, same opcode
inline constexpr uint8_t CP_SET_MARKER = 0x65;
inline constexpr uint8_t CP_MEM_TO_MEM = 0x73;  // payload not described here

// CP_SET_MARKER modes (fact sheet §2.2): RM6_COMPUTE is what a compute IB sets; the others are
// written by the kernel.
inline constexpr uint8_t RM6_COMPUTE = 8;

// Event numbers (vgt_event_type, fact sheet §2.2 via tinygrad autogen/mesa.py).
enum class Event : uint8_t {
  CACHE_FLUSH_TS = 4,  // a6xx only
  CACHE_FLUSH = 6,
  RB_DONE_TS = 22,
  PC_CCU_INVALIDATE_DEPTH = 24,
  PC_CCU_INVALIDATE_COLOR = 25,
  PC_CCU_FLUSH_DEPTH_TS = 28,
  PC_CCU_FLUSH_COLOR_TS = 29,
  CACHE_RESET = 48,       // a7xx
  CACHE_INVALIDATE = 49,  // a6xx; on a7xx the same number is CACHE_CLEAN
  CACHE_FLUSH7 = 50,      // a7xx
  CACHE_INVALIDATE7 = 51, // a7xx
  LABEL = 63,
};
inline constexpr Event CACHE_CLEAN = Event::CACHE_INVALIDATE;  // a7xx name of 49
// Events whose a6xx CP_EVENT_WRITE carries an address and a value (4 payload dwords).
constexpr bool event_has_address_a6xx(uint8_t e) {
  return e == 4 || e == 22 || e == 28 || e == 29;
}

// CP_WAIT_REG_MEM function and poll space (fact sheet §2.2).
enum class WaitFunction : uint8_t {
  kAlways = 0,
  kLess = 1,
  kLessEqual = 2,
  kEqual = 3,
  kNotEqual = 4,
  kGreaterEqual = 5,
  kGreater = 6,
};
enum class PollSpace : uint8_t { kRegister = 0, kMemory = 1, kScratch = 2, kOnChip = 3 };

// CP_LOAD_STATE6 (fact sheet §2.3).
enum class StateType : uint8_t { ST6_SHADER = 0, ST6_CONSTANTS = 1, ST6_UBO = 2, ST6_UAV = 3 };
enum class StateSrc : uint8_t { SS6_DIRECT = 0, SS6_BINDLESS = 1, SS6_INDIRECT = 2, SS6_UBO = 3 };
enum class StateBlock : uint8_t {
  SB6_VS_TEX = 0,
  SB6_HS_TEX = 1,
  SB6_DS_TEX = 2,
  SB6_GS_TEX = 3,
  SB6_FS_TEX = 4,
  SB6_CS_TEX = 5,
  SB6_VS_SHADER = 8,
  SB6_HS_SHADER = 9,
  SB6_DS_SHADER = 10,
  SB6_GS_SHADER = 11,
  SB6_FS_SHADER = 12,
  SB6_CS_SHADER = 13,
  SB6_CS_UAV = 15,  // named by the fact sheet; compute IBOs go through SB6_CS_SHADER + ST6_UAV
};
// Dwords per unit of a CP_LOAD_STATE6 for the compute blocks (fact sheet §2.3 table), 0 when the
// sheet does not say.
constexpr uint32_t load_state_unit_dwords(StateBlock b, StateType t) {
  if (b == StateBlock::SB6_CS_SHADER) {
    switch (t) {
      case StateType::ST6_SHADER: return 32;  // 128 B: 16 instructions
      case StateType::ST6_CONSTANTS: return 4;  // vec4
      case StateType::ST6_UBO: return 2;
      case StateType::ST6_UAV: return 16;
    }
  }
  if (b == StateBlock::SB6_CS_TEX) {
    if (t == StateType::ST6_CONSTANTS) return 16;  // texture descriptors
    if (t == StateType::ST6_SHADER) return 4;      // samplers
  }
  return 0;
}

// CP_EVENT_WRITE7 write source (a7xx, fact sheet §2.2).
enum class WriteSrc : uint8_t {
  kUser32B = 0,
  kUser64B = 1,
  kTimestampSum = 2,
  kAlwaysOn = 3,
  kRegsContent = 4,
};

// ---- packet structs --------------------------------------------------------------------------
// Each struct: kOpcode, kName, kGens (generations it exists on), kFixed (largest fixed payload),
// a tail span when the packet has repeated dwords, payload_dwords(), check() (a rule between
// fields, nullptr when satisfied), and visit(s, v) naming every field once:
//   v(field, member)  a field (dword 1 = first payload dword), mapped to a struct member
//   v.tail(field, span)  the repeated dwords after the fixed part
// Fields past payload_dwords() are absent in that form of the packet (their member must be 0).
// How to add one: the struct here, a row in the opcode table (packets.cpp), a round-trip test and
// an exact-dword test (tests/qcom/packets_test.cpp), a line in docs/adreno-packets.md.

namespace detail {
using core::address_field;
using core::bool_field;
using core::enum_field;
using core::hex_field;
using core::uint_field;

inline constexpr core::EnumName kWaitFunctionNames[] = {{0, "ALWAYS"}, {1, "LT"}, {2, "LE"},
                                                        {3, "EQ"},     {4, "NE"}, {5, "GE"},
                                                        {6, "GT"}};
inline constexpr core::EnumName kPollSpaceNames[] = {
    {0, "POLL_REGISTER"}, {1, "POLL_MEMORY"}, {2, "POLL_SCRATCH"}, {3, "POLL_ON_CHIP"}};
inline constexpr core::EnumName kStateTypeNames[] = {
    {0, "ST6_SHADER"}, {1, "ST6_CONSTANTS"}, {2, "ST6_UBO"}, {3, "ST6_UAV"}};
inline constexpr core::EnumName kStateSrcNames[] = {
    {0, "SS6_DIRECT"}, {1, "SS6_BINDLESS"}, {2, "SS6_INDIRECT"}, {3, "SS6_UBO"}};
inline constexpr core::EnumName kStateBlockNames[] = {
    {0, "SB6_VS_TEX"},     {1, "SB6_HS_TEX"},     {2, "SB6_DS_TEX"},     {3, "SB6_GS_TEX"},
    {4, "SB6_FS_TEX"},     {5, "SB6_CS_TEX"},     {8, "SB6_VS_SHADER"},  {9, "SB6_HS_SHADER"},
    {10, "SB6_DS_SHADER"}, {11, "SB6_GS_SHADER"}, {12, "SB6_FS_SHADER"}, {13, "SB6_CS_SHADER"},
    {15, "SB6_CS_UAV"}};
inline constexpr core::EnumName kEventNames[] = {{4, "CACHE_FLUSH_TS"},
                                                 {6, "CACHE_FLUSH"},
                                                 {22, "RB_DONE_TS"},
                                                 {24, "PC_CCU_INVALIDATE_DEPTH"},
                                                 {25, "PC_CCU_INVALIDATE_COLOR"},
                                                 {28, "PC_CCU_FLUSH_DEPTH_TS"},
                                                 {29, "PC_CCU_FLUSH_COLOR_TS"},
                                                 {49, "CACHE_INVALIDATE"},
                                                 {63, "LABEL"}};
inline constexpr core::EnumName kEvent7Names[] = {{6, "CACHE_FLUSH"},
                                                  {22, "RB_DONE_TS"},
                                                  {24, "PC_CCU_INVALIDATE_DEPTH"},
                                                  {25, "PC_CCU_INVALIDATE_COLOR"},
                                                  {28, "PC_CCU_FLUSH_DEPTH_TS"},
                                                  {29, "PC_CCU_FLUSH_COLOR_TS"},
                                                  {48, "CACHE_RESET"},
                                                  {49, "CACHE_CLEAN"},
                                                  {50, "CACHE_FLUSH7"},
                                                  {51, "CACHE_INVALIDATE7"},
                                                  {63, "LABEL"}};
inline constexpr core::EnumName kWriteSrcNames[] = {{0, "EV_WRITE_USER_32B"},
                                                    {1, "EV_WRITE_USER_64B"},
                                                    {2, "EV_WRITE_TIMESTAMP_SUM"},
                                                    {3, "EV_WRITE_ALWAYSON"},
                                                    {4, "EV_WRITE_REGS_CONTENT"}};
inline constexpr core::EnumName kWriteDstNames[] = {{0, "EV_DST_RAM"}, {1, "EV_DST_ONCHIP"}};
inline constexpr core::EnumName kMarkerModeNames[] = {
    {8, "RM6_COMPUTE"}, {0xD, "RM6_IB1LIST_START"}, {0xE, "RM6_IB1LIST_END"}};
inline constexpr core::EnumName kThreadNames[] = {
    {1, "CP_SET_THREAD_BR"}, {2, "CP_SET_THREAD_BV"}, {3, "CP_SET_THREAD_BOTH"}};

template <class M>
constexpr uint64_t to_u64(const M& m) {
  if constexpr (std::is_same_v<M, bool>) {
    return m ? 1 : 0;
  } else if constexpr (std::is_enum_v<M>) {
    return static_cast<uint64_t>(static_cast<std::underlying_type_t<M>>(m));
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
}  // namespace detail

// CP_NOP (0x10): `payload` dwords the CP skips (markers, padding). May be empty.
struct CpNop {
  static constexpr uint8_t kOpcode = CP_NOP;
  static constexpr const char* kName = "CP_NOP";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 0;
  std::span<const uint32_t> payload;
  constexpr uint32_t payload_dwords() const { return static_cast<uint32_t>(payload.size()); }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v.tail(detail::hex_field("payload", 0, 0, 31, "skipped by the CP").summary(), s.payload);
  }
};

// Packets without payload.
template <uint8_t Op, const char* const* Name, uint8_t Gens>
struct CpNoPayload {
  static constexpr uint8_t kOpcode = Op;
  static constexpr const char* kName = *Name;
  static constexpr uint8_t kGens = Gens;
  static constexpr uint32_t kFixed = 0;
  constexpr uint32_t payload_dwords() const { return 0; }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S&, V&) {}
  bool operator==(const CpNoPayload&) const = default;
};
namespace detail {
inline constexpr const char* kNameWaitForIdle = "CP_WAIT_FOR_IDLE";
inline constexpr const char* kNameWaitForMe = "CP_WAIT_FOR_ME";
inline constexpr const char* kNameWaitMemWrites = "CP_WAIT_MEM_WRITES";
}  // namespace detail
// CP_WAIT_FOR_IDLE (0x26): wait until the GPU is idle.
using CpWaitForIdle = CpNoPayload<CP_WAIT_FOR_IDLE, &detail::kNameWaitForIdle, kGenAll>;
// CP_WAIT_FOR_ME (0x13): the PFP waits for the ME FIFO to drain.
using CpWaitForMe = CpNoPayload<CP_WAIT_FOR_ME, &detail::kNameWaitForMe, kGenAll>;
// CP_WAIT_MEM_WRITES (0x12): wait for outstanding memory writes.
using CpWaitMemWrites = CpNoPayload<CP_WAIT_MEM_WRITES, &detail::kNameWaitMemWrites, kGenAll>;

// CP_SET_MARKER (0x65, a6xx+): [3:0] mode; bit 8 the IFPC markers (kernel-only).
struct CpSetMarker {
  static constexpr uint8_t kOpcode = CP_SET_MARKER;
  static constexpr const char* kName = "CP_SET_MARKER";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 1;
  uint8_t mode = RM6_COMPUTE;
  bool ifpc = false;
  constexpr uint32_t payload_dwords() const { return 1; }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::hex_field("mode", 1, 0, 3, "MODE (8 = RM6_COMPUTE)").with_names(detail::kMarkerModeNames),
      s.mode);
    v(detail::bool_field("ifpc", 1, 8, "IFPC marker 0x100/0x101 (kernel-only)"), s.ifpc);
  }
  bool operator==(const CpSetMarker&) const = default;
};

// CP_THREAD_CONTROL (0x17, a7xx): which CP thread (BR/BV) runs what follows.
struct CpThreadControl {
  static constexpr uint8_t kOpcode = CP_THREAD_CONTROL;
  static constexpr const char* kName = "CP_THREAD_CONTROL";
  static constexpr uint8_t kGens = kGenA7xx;
  static constexpr uint32_t kFixed = 1;
  uint8_t thread = 3;
  bool concurrent_bin_disable = false;
  bool sync_threads = false;
  constexpr uint32_t payload_dwords() const { return 1; }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::enum_field("thread", 1, 0, 1, detail::kThreadNames, "THREAD"), s.thread);
    v(detail::bool_field("concurrent_bin_disable", 1, 27, "CONCURRENT_BIN_DISABLE"),
      s.concurrent_bin_disable);
    v(detail::bool_field("sync_threads", 1, 31, "SYNC_THREADS"), s.sync_threads);
  }
  bool operator==(const CpThreadControl&) const = default;
};

// CP_WAIT_REG_MEM (0x3C): spin until (value & mask) <function> ref, re-polling after `delay`
// cycles. Memory polls need a 4-byte aligned address; a register poll puts the register offset in
// poll_addr.
struct CpWaitRegMem {
  static constexpr uint8_t kOpcode = CP_WAIT_REG_MEM;
  static constexpr const char* kName = "CP_WAIT_REG_MEM";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 6;
  WaitFunction function = WaitFunction::kGreaterEqual;
  bool signed_compare = false;
  PollSpace poll = PollSpace::kMemory;
  bool write_memory = false;
  uint64_t poll_addr = 0;
  uint32_t ref = 0;
  uint32_t mask = 0xFFFFFFFF;
  uint32_t delay = 32;  // tinygrad's value
  constexpr uint32_t payload_dwords() const { return 6; }
  constexpr const char* check() const {
    if (poll == PollSpace::kMemory && (poll_addr & 3) != 0) {
      return "a memory poll address must be 4-byte aligned";
    }
    return nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(enum_field("function", 1, 0, 2, kWaitFunctionNames, "FUNCTION"), s.function);
    v(bool_field("signed_compare", 1, 3, "SIGNED_COMPARE"), s.signed_compare);
    v(enum_field("poll", 1, 4, 5, kPollSpaceNames, "POLL"), s.poll);
    v(bool_field("write_memory", 1, 8, "WRITE_MEMORY"), s.write_memory);
    v(address_field("poll_addr", 2, 0, 63, "POLL_ADDR_LO/HI (or register)"), s.poll_addr);
    v(hex_field("ref", 4, 0, 31, "REF"), s.ref);
    v(hex_field("mask", 5, 0, 31, "MASK"), s.mask);
    v(uint_field("delay", 6, 0, 31, "DELAY_LOOP_CYCLES"), s.delay);
  }
  bool operator==(const CpWaitRegMem&) const = default;
};

// CP_WAIT_MEM_GTE (0x14, a6xx only): wait until *addr >= ref (signed). Dword 1 is 0.
struct CpWaitMemGte {
  static constexpr uint8_t kOpcode = CP_WAIT_MEM_GTE;
  static constexpr const char* kName = "CP_WAIT_MEM_GTE";
  static constexpr uint8_t kGens = kGenA6xx;
  static constexpr uint32_t kFixed = 4;
  uint64_t addr = 0;
  uint32_t ref = 0;
  constexpr uint32_t payload_dwords() const { return 4; }
  constexpr const char* check() const {
    return (addr & 3) != 0 ? "the poll address must be 4-byte aligned" : nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::address_field("addr", 2, 0, 63, "POLL_ADDR_LO/HI"), s.addr);
    v(detail::hex_field("ref", 4, 0, 31, "REF"), s.ref);
  }
  bool operator==(const CpWaitMemGte&) const = default;
};

// CP_MEM_WRITE (0x3D): write `data` (at least one dword) to addr (4-byte aligned).
struct CpMemWrite {
  static constexpr uint8_t kOpcode = CP_MEM_WRITE;
  static constexpr const char* kName = "CP_MEM_WRITE";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 2;
  uint64_t addr = 0;
  std::span<const uint32_t> data;
  constexpr uint32_t payload_dwords() const { return 2 + static_cast<uint32_t>(data.size()); }
  constexpr const char* check() const {
    if ((addr & 3) != 0) return "the address must be 4-byte aligned";
    if (data.empty()) return "CP_MEM_WRITE needs at least one data dword";
    return nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::address_field("addr", 1, 0, 63, "ADDR_LO/HI"), s.addr);
    v.tail(detail::hex_field("data", 0, 0, 31, "values written"), s.data);
  }
};

// CP_REG_TO_MEM (0x3E): copy `cnt` registers from `reg` (max(cnt,1) dwords; 64-bit: the lo/hi
// pair) to dest. tinygrad's timestamp: reg 0x980 (CP_ALWAYS_ON_COUNTER), cnt 2, 64-bit.
struct CpRegToMem {
  static constexpr uint8_t kOpcode = CP_REG_TO_MEM;
  static constexpr const char* kName = "CP_REG_TO_MEM";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 3;
  uint32_t reg = 0;
  uint32_t cnt = 1;
  bool b64 = false;
  bool accumulate = false;
  uint64_t dest = 0;
  constexpr uint32_t payload_dwords() const { return 3; }
  constexpr const char* check() const {
    return (dest & 3) != 0 ? "the destination must be 4-byte aligned" : nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(hex_field("reg", 1, 0, 17, "REG"), s.reg);
    v(uint_field("cnt", 1, 18, 29, "CNT"), s.cnt);
    v(bool_field("b64", 1, 30, "64B"), s.b64);
    v(bool_field("accumulate", 1, 31, "ACCUMULATE"), s.accumulate);
    v(address_field("dest", 2, 0, 63, "DEST_LO/HI"), s.dest);
  }
  bool operator==(const CpRegToMem&) const = default;
};

// CP_INDIRECT_BUFFER (0x3F): run size_dwords dwords at ib_base (4-byte aligned) as IB2 from IB1.
struct CpIndirectBuffer {
  static constexpr uint8_t kOpcode = CP_INDIRECT_BUFFER;
  static constexpr const char* kName = "CP_INDIRECT_BUFFER";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 3;
  uint64_t ib_base = 0;
  uint32_t size_dwords = 0;
  constexpr uint32_t payload_dwords() const { return 3; }
  constexpr const char* check() const {
    return (ib_base & 3) != 0 ? "the IB address must be 4-byte aligned" : nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::address_field("ib_base", 1, 0, 63, "IB_BASE_LO/HI"), s.ib_base);
    v(detail::uint_field("size_dwords", 3, 0, 19, "SIZE (dwords)"), s.size_dwords);
  }
  bool operator==(const CpIndirectBuffer&) const = default;
};

// CP_EXEC_CS (0x33): launch ngroups_x*y*z workgroups with the CS state set before. Dword 1 is 0.
struct CpExecCs {
  static constexpr uint8_t kOpcode = CP_EXEC_CS;
  static constexpr const char* kName = "CP_EXEC_CS";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 4;
  uint32_t ngroups_x = 1, ngroups_y = 1, ngroups_z = 1;
  constexpr uint32_t payload_dwords() const { return 4; }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    v(detail::uint_field("ngroups_x", 2, 0, 31, "NGROUPS_X"), s.ngroups_x);
    v(detail::uint_field("ngroups_y", 3, 0, 31, "NGROUPS_Y"), s.ngroups_y);
    v(detail::uint_field("ngroups_z", 4, 0, 31, "NGROUPS_Z"), s.ngroups_z);
  }
  bool operator==(const CpExecCs&) const = default;
};

// CP_EXEC_CS_INDIRECT (0x41): group counts read from addr (3 dwords); local size in the packet
// (stored minus one, 10 bits each).
struct CpExecCsIndirect {
  static constexpr uint8_t kOpcode = CP_EXEC_CS_INDIRECT;
  static constexpr const char* kName = "CP_EXEC_CS_INDIRECT";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 4;
  uint64_t addr = 0;
  uint32_t local_size_x = 1, local_size_y = 1, local_size_z = 1;
  constexpr uint32_t payload_dwords() const { return 4; }
  constexpr const char* check() const {
    return (addr & 3) != 0 ? "the group-count address must be 4-byte aligned" : nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(address_field("addr", 2, 0, 63, "ADDR_LO/HI"), s.addr);
    v(uint_field("local_size_x", 4, 2, 11, "LOCALSIZEX - 1").with_bias(1), s.local_size_x);
    v(uint_field("local_size_y", 4, 12, 21, "LOCALSIZEY - 1").with_bias(1), s.local_size_y);
    v(uint_field("local_size_z", 4, 22, 31, "LOCALSIZEZ - 1").with_bias(1), s.local_size_z);
  }
  bool operator==(const CpExecCsIndirect&) const = default;
};

// CP_RUN_OPENCL (0x31): the vendor-CL launch (tinygrad's CL path); group counts come from
// SP_CS_KERNEL_GROUP_X/Y/Z. One payload dword, 0.
struct CpRunOpencl {
  static constexpr uint8_t kOpcode = CP_RUN_OPENCL;
  static constexpr const char* kName = "CP_RUN_OPENCL";
  static constexpr uint8_t kGens = kGenAll;  // a7xx: only a third-party port uses it (UNCONFIRMED)
  static constexpr uint32_t kFixed = 1;
  constexpr uint32_t payload_dwords() const { return 1; }
  constexpr const char* check() const { return nullptr; }
  template <class S, class V>
  static constexpr void visit(S&, V&) {}
  bool operator==(const CpRunOpencl&) const = default;
};

// CP_LOAD_STATE6_GEOM / _FRAG / CP_LOAD_STATE6 (0x32/0x34/0x36): load `num_unit` units of state
// (shader, constants, UBO or UAV descriptors) into `state_block` at `dst_off`, from
// `ext_src_addr` (INDIRECT; read when the CP executes the packet) or from `data` (DIRECT, exactly
// num_unit units). Compute uses _FRAG.
template <uint8_t Op>
struct CpLoadState6Of {
  static constexpr uint8_t kOpcode = Op;
  static constexpr const char* kName = Op == CP_LOAD_STATE6_FRAG   ? "CP_LOAD_STATE6_FRAG"
                                       : Op == CP_LOAD_STATE6_GEOM ? "CP_LOAD_STATE6_GEOM"
                                                                   : "CP_LOAD_STATE6";
  static constexpr uint8_t kGens = kGenAll;
  static constexpr uint32_t kFixed = 3;
  uint32_t dst_off = 0;
  StateType state_type = StateType::ST6_SHADER;
  StateSrc state_src = StateSrc::SS6_INDIRECT;
  StateBlock state_block = StateBlock::SB6_CS_SHADER;
  uint32_t num_unit = 0;
  uint64_t ext_src_addr = 0;
  std::span<const uint32_t> data;  // DIRECT only
  constexpr uint32_t payload_dwords() const { return 3 + static_cast<uint32_t>(data.size()); }
  constexpr const char* check() const {
    if (state_src == StateSrc::SS6_DIRECT) {
      if (ext_src_addr != 0) return "a DIRECT load carries its data inline; the address must be 0";
      const uint32_t unit = load_state_unit_dwords(state_block, state_type);
      if (unit != 0 && data.size() != uint64_t{num_unit} * unit) {
        return "a DIRECT load must carry exactly num_unit units of inline data";
      }
    } else if (!data.empty()) {
      return "only a DIRECT load carries inline data";
    }
    return nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(uint_field("dst_off", 1, 0, 13, "DST_OFF (units of the state type)"), s.dst_off);
    v(enum_field("state_type", 1, 14, 15, kStateTypeNames, "STATE_TYPE"), s.state_type);
    v(enum_field("state_src", 1, 16, 17, kStateSrcNames, "STATE_SRC"), s.state_src);
    v(enum_field("state_block", 1, 18, 21, kStateBlockNames, "STATE_BLOCK"), s.state_block);
    v(uint_field("num_unit", 1, 22, 31, "NUM_UNIT"), s.num_unit);
    v(address_field("ext_src_addr", 2, 2, 63, "EXT_SRC_ADDR_LO[31:2]/HI"), s.ext_src_addr);
    v.tail(hex_field("data", 0, 0, 31, "inline state (DIRECT)").summary(), s.data);
  }
};
using CpLoadState6Frag = CpLoadState6Of<CP_LOAD_STATE6_FRAG>;
using CpLoadState6Geom = CpLoadState6Of<CP_LOAD_STATE6_GEOM>;
using CpLoadState6 = CpLoadState6Of<CP_LOAD_STATE6>;

// CP_EVENT_WRITE (0x46, a6xx): `event`; the *_TS events (CACHE_FLUSH_TS, RB_DONE_TS,
// PC_CCU_FLUSH_*_TS) then write `value` — or, with `timestamp`, the GPU timestamp — to addr
// (4 payload dwords); other events are 1 dword and must leave addr/value 0.
struct CpEventWrite {
  static constexpr uint8_t kOpcode = CP_EVENT_WRITE;
  static constexpr const char* kName = "CP_EVENT_WRITE";
  static constexpr uint8_t kGens = kGenA6xx;
  static constexpr uint32_t kFixed = 4;
  Event event = Event::CACHE_FLUSH_TS;
  bool timestamp = false;
  bool irq = false;
  uint64_t addr = 0;
  uint32_t value = 0;
  constexpr uint32_t payload_dwords() const {
    return event_has_address_a6xx(static_cast<uint8_t>(event)) ? 4 : 1;
  }
  constexpr const char* check() const {
    if (payload_dwords() == 4 && (addr & 3) != 0) return "the address must be 4-byte aligned";
    if (payload_dwords() == 1 && timestamp) return "only the *_TS events write a timestamp";
    return nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(hex_field("event", 1, 0, 7, "EVENT (vgt_event_type)").with_names(kEventNames), s.event);
    v(bool_field("timestamp", 1, 30, "TIMESTAMP: write the GPU timestamp"), s.timestamp);
    v(bool_field("irq", 1, 31, "IRQ"), s.irq);
    v(address_field("addr", 2, 0, 63, "ADDR_LO/HI (*_TS events)"), s.addr);
    v(hex_field("value", 4, 0, 31, "value written (*_TS events)"), s.value);
  }
  bool operator==(const CpEventWrite&) const = default;
};

// CP_EVENT_WRITE7 (0x46, a7xx): `event`; with write_enabled also addr (+ value for USER_32B).
struct CpEventWrite7 {
  static constexpr uint8_t kOpcode = CP_EVENT_WRITE7;
  static constexpr const char* kName = "CP_EVENT_WRITE7";
  static constexpr uint8_t kGens = kGenA7xx;
  static constexpr uint32_t kFixed = 4;
  Event event = Event::RB_DONE_TS;
  bool write_sample_count = false;
  bool sample_count_end_offset = false;
  bool write_accum_sample_count_diff = false;
  bool inc_bv_count = false;
  bool inc_br_count = false;
  bool clear_render_resource = false;
  bool clear_lrz_resource = false;
  WriteSrc write_src = WriteSrc::kUser32B;
  uint8_t write_dst = 0;  // 0 RAM, 1 on-chip
  bool write_enabled = false;
  bool irq = false;
  uint64_t addr = 0;
  uint32_t value = 0;
  constexpr uint32_t payload_dwords() const {
    return !write_enabled ? 1 : write_src == WriteSrc::kUser32B ? 4 : 3;
  }
  constexpr const char* check() const {
    return write_enabled && (addr & 3) != 0 ? "the address must be 4-byte aligned" : nullptr;
  }
  template <class S, class V>
  static constexpr void visit(S& s, V& v) {
    using namespace detail;
    v(hex_field("event", 1, 0, 7, "EVENT").with_names(kEvent7Names), s.event);
    v(bool_field("write_sample_count", 1, 12, "WRITE_SAMPLE_COUNT"), s.write_sample_count);
    v(bool_field("sample_count_end_offset", 1, 13, "SAMPLE_COUNT_END_OFFSET"),
      s.sample_count_end_offset);
    v(bool_field("write_accum_sample_count_diff", 1, 14, "WRITE_ACCUM_SAMPLE_COUNT_DIFF"),
      s.write_accum_sample_count_diff);
    v(bool_field("inc_bv_count", 1, 16, "INC_BV_COUNT"), s.inc_bv_count);
    v(bool_field("inc_br_count", 1, 17, "INC_BR_COUNT"), s.inc_br_count);
    v(bool_field("clear_render_resource", 1, 18, "CLEAR_RENDER_RESOURCE"),
      s.clear_render_resource);
    v(bool_field("clear_lrz_resource", 1, 19, "CLEAR_LRZ_RESOURCE"), s.clear_lrz_resource);
    v(enum_field("write_src", 1, 20, 22, kWriteSrcNames, "WRITE_SRC").quiet(), s.write_src);
    v(enum_field("write_dst", 1, 24, 24, kWriteDstNames, "WRITE_DST").quiet(), s.write_dst);
    v(bool_field("write_enabled", 1, 27, "WRITE_ENABLED"), s.write_enabled);
    v(bool_field("irq", 1, 31, "IRQ"), s.irq);
    v(address_field("addr", 2, 0, 63, "ADDR_LO/HI"), s.addr);
    v(hex_field("value", 4, 0, 31, "value (USER_32B)"), s.value);
  }
  bool operator==(const CpEventWrite7&) const = default;
};

// ---- the generic encoder / decoder over a struct's visit ---------------------------------------
namespace detail {

// Fills the fixed part; records the tail.
struct PackVisitor {
  core::FieldWriter& w;
  uint32_t n;  // packet dwords (header + fixed part present in this form)
  std::span<const uint32_t> tail_data{};
  template <class M>
  [[gnu::always_inline]] constexpr void operator()(const core::BitField& f, const M& m) {
    if (core::field_end_dword(f) > n) {
      w.absent(f.name, to_u64(m), "the field is not part of this form of the packet");
    } else {
      w.set(f, to_u64(m));
    }
  }
  constexpr void tail(const core::BitField&, std::span<const uint32_t> t) { tail_data = t; }
};

// Reads the fields present in `words` (header + payload) into a struct.
struct UnpackVisitor {
  std::span<const uint32_t> words;
  uint32_t fixed_end;  // 1 + the packet's kFixed
  template <class M>
  constexpr void operator()(const core::BitField& f, M& m) {
    if (core::field_end_dword(f) <= words.size()) m = from_u64<M>(core::get_field(words, f));
  }
  constexpr void tail(const core::BitField&, std::span<const uint32_t>& t) {
    t = words.size() > fixed_end ? words.subspan(fixed_end) : std::span<const uint32_t>{};
  }
};

struct CountVisitor {
  size_t n = 0;
  const core::BitField* tail_field = nullptr;
  template <class M>
  constexpr void operator()(const core::BitField&, const M&) {
    ++n;
  }
  template <class M>
  constexpr void tail(const core::BitField&, const M&) {}
};
template <size_t N>
struct CollectVisitor {
  std::array<core::BitField, N> rows{};
  size_t n = 0;
  core::BitField tail_row{};
  bool has_tail = false;
  template <class M>
  constexpr void operator()(const core::BitField& f, const M&) {
    rows[n++] = f;
  }
  template <class M>
  constexpr void tail(const core::BitField& f, const M&) {
    tail_row = f;
    has_tail = true;
  }
};

inline constexpr size_t kHeaderRows = 5;
template <class P>
constexpr size_t field_count() {
  P p{};
  CountVisitor c;
  P::visit(p, c);
  return c.n;
}
template <class P>
struct Rows {
  static constexpr auto collect() {
    P p{};
    CollectVisitor<field_count<P>()> c;
    P::visit(p, c);
    std::array<core::BitField, kHeaderRows + field_count<P>()> out{};
    out[0] = kPkt7Type;
    out[1] = kPkt7OpParity;
    out[2] = kPkt7Opcode;
    out[3] = kPkt7CntParity;
    out[4] = kPkt7Cnt;
    for (size_t i = 0; i < c.n; ++i) out[kHeaderRows + i] = c.rows[i];
    return std::pair{out, c.has_tail ? std::optional<core::BitField>(c.tail_row) : std::nullopt};
  }
  static constexpr auto kCollected = collect();
  static constexpr auto kFields = kCollected.first;
  static constexpr std::optional<core::BitField> kTail = kCollected.second;
  static constexpr core::PacketLayout kLayout{P::kName, kFields, 1 + P::kFixed,
                                              kTail ? &*kTail : nullptr};
};

}  // namespace detail

// The packet's layout (header rows hidden, then the payload rows; the tail row if any): for
// core::format_packet / find_field_problem.
template <class P>
constexpr const core::PacketLayout& layout() {
  return detail::Rows<P>::kLayout;
}

// Dwords the packet takes (header included).
template <class P>
constexpr uint32_t packet_dwords(const P& p) {
  return 1 + p.payload_dwords();
}

// Encodes one type-7 packet at the start of `out`. All or nothing.
template <class P>
[[gnu::always_inline]] constexpr core::EncodeResult encode(std::span<uint32_t> out, const P& p,
                                                           AdrenoGen gen = AdrenoGen::kA6xx) {
  const uint32_t n = 1 + p.payload_dwords();
  std::array<uint32_t, 1 + P::kFixed> w{};
  core::FieldWriter fw(w, "Adreno PM4", P::kName);
  if ((P::kGens & gen_bit(gen)) == 0) {
    fw.absent("opcode", P::kOpcode,
              gen == AdrenoGen::kA6xx ? "the packet exists on a7xx only"
                                      : "the packet does not exist on a7xx (see CP_EVENT_WRITE7)");
    return fw.result(0);
  }
  const uint32_t fixed_n = n < 1 + P::kFixed ? n : 1 + P::kFixed;
  detail::PackVisitor v{fw, fixed_n};
  P::visit(p, v);
  if (const char* why = p.check(); why != nullptr) fw.invalid(P::kName, n - 1, why);
  if (n - 1 > kPkt7MaxCount) fw.invalid("cnt", n - 1, "a type-7 packet carries at most 32767 payload dwords");
  if (!fw.ok()) return fw.result(0);
  if (out.size() < n) return core::encode_no_space("Adreno PM4", P::kName, n, out.size());
  out[0] = pkt7_header(P::kOpcode, n - 1);
  for (uint32_t i = 1; i < fixed_n; ++i) out[i] = w[i];
  for (size_t i = 0; i < v.tail_data.size(); ++i) out[fixed_n + i] = v.tail_data[i];
  return fw.result(n);
}

// ---- stream writer ---------------------------------------------------------------------------

// Appends packets to a caller-provided span (an IB). Each append is all or nothing; the first
// failure is recorded and later appends are ignored, so a batch is checked once at the end.
// Allocation-free, inline, constexpr.
class Pm4Writer {
 public:
  constexpr explicit Pm4Writer(std::span<uint32_t> buf, AdrenoGen gen = AdrenoGen::kA6xx)
      : buf_(buf), gen_(gen) {}

  // Type-4: values for registers reg, reg+1, … (1 to 127 values; reg + count within 18 bits).
  [[gnu::always_inline]] constexpr bool pkt4(uint32_t reg, std::span<const uint32_t> values) {
    if (!ok()) return false;
    if (values.empty() || values.size() > kPkt4MaxCount) {
      return fail_invalid("cnt", values.size(), "a type-4 packet writes 1 to 127 registers");
    }
    if (reg > kPkt4MaxReg || reg + values.size() - 1 > kPkt4MaxReg) {
      return fail_invalid("reg", reg, "register offsets are 18 bits (reg + count - 1 <= 0x3FFFF)");
    }
    const size_t need = 1 + values.size();
    if (need > buf_.size() - put_) {
      return fail(core::encode_no_space("Adreno PM4", "type-4", need, buf_.size() - put_));
    }
    buf_[put_] = pkt4_header(reg, static_cast<uint32_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) buf_[put_ + 1 + i] = values[i];
    put_ += static_cast<uint32_t>(need);
    return true;
  }
  [[gnu::always_inline]] constexpr bool pkt4(uint32_t reg, std::initializer_list<uint32_t> values) {
    return pkt4(reg, std::span<const uint32_t>(values.begin(), values.size()));
  }
  // Type-7: one described packet.
  template <class P>
  [[gnu::always_inline]] constexpr bool pkt7(const P& p) {
    if (!ok()) return false;
    return append(encode(free_space(), p, gen_));
  }

  constexpr std::span<uint32_t> free_space() const { return buf_.subspan(put_); }
  constexpr bool append(const core::EncodeResult& r) {
    if (!ok()) return false;
    if (!r) return fail(r);
    put_ += r.dwords;
    return true;
  }
  constexpr uint32_t size() const { return put_; }
  constexpr std::span<const uint32_t> written() const { return buf_.first(put_); }
  constexpr AdrenoGen gen() const { return gen_; }
  constexpr bool ok() const { return fail_.ok(); }
  constexpr core::EncodeResult result() const {
    core::EncodeResult r = fail_;
    r.dwords = ok() ? put_ : 0;
    return r;
  }
  constexpr void reset() {
    put_ = 0;
    fail_ = {};
  }
  // Drops everything after `mark` (a size() taken before): a composite helper undoes its partial
  // output on failure.
  constexpr void truncate(uint32_t mark) {
    if (mark < put_) put_ = mark;
  }

 private:
  constexpr bool fail(const core::EncodeResult& r) {
    fail_ = r;
    fail_.dwords = 0;
    return false;
  }
  constexpr bool fail_invalid(const char* field, uint64_t value, const char* why) {
    core::FieldWriter w({}, "Adreno PM4", "type-4");
    w.invalid(field, value, why);
    return fail(w.result(0));
  }

  std::span<uint32_t> buf_;
  AdrenoGen gen_;
  uint32_t put_ = 0;
  core::EncodeResult fail_{};
};

// ---- decoding --------------------------------------------------------------------------------

// A row of the opcode table: name, layout (nullptr: the payload is not described — accepted and
// printed as a dword count), and the typed validator.
struct OpcodeInfo {
  uint8_t opcode;
  uint8_t gens;
  const char* name;
  const core::PacketLayout* layout;
  // Rules the bits cannot express (payload length vs fields, alignment); nullptr when fine.
  const char* (*validate)(std::span<const uint32_t> words);
};
// The opcode's row on `gen`, or nullptr when the opcode is unknown there.
const OpcodeInfo* find_opcode(uint8_t opcode, AdrenoGen gen);

// One packet of a stream.
struct Pm4Packet {
  uint32_t offset = 0;  // dword offset of the header in the stream
  uint8_t type = 0;     // 4 or 7
  uint32_t reg = 0;     // type 4: first register
  uint8_t opcode = 0;   // type 7
  const OpcodeInfo* op = nullptr;     // type 7
  std::span<const uint32_t> words;    // header + payload
  std::span<const uint32_t> payload() const { return words.subspan(1); }
};

// The header at `at`: type, both parity bits, reserved header bits, count within the stream;
// type-7: opcode known on `gen`, payload valid against its layout and rules. Type-4: count >= 1.
core::Result<Pm4Packet> decode_packet(std::span<const uint32_t> stream, uint32_t at,
                                      AdrenoGen gen = AdrenoGen::kA6xx);

// Calls f(const Pm4Packet&) for every packet; f returns false to stop early. The first malformed
// packet ends the walk with its error.
template <class F>
core::Result<void> walk_stream(std::span<const uint32_t> stream, AdrenoGen gen, F&& f) {
  uint32_t at = 0;
  while (at < stream.size()) {
    core::Result<Pm4Packet> p = decode_packet(stream, at, gen);
    if (!p) return std::move(p).error();
    if (!f(*p)) return {};
    at += static_cast<uint32_t>(p->words.size());
  }
  return {};
}

// Typed decode of a validated packet (or of raw words): nullopt-free — errors name the dword.
template <class P>
core::Result<P> decode_as(std::span<const uint32_t> words, uint32_t at = 0) {
  const std::string op = std::string("Adreno PM4 ") + P::kName + " at dword " + std::to_string(at);
  if (words.empty() || (words[0] >> 28) != 7 ||
      ((words[0] >> 16) & kPkt7MaxOpcode) != P::kOpcode) {
    return core::Error::invalid(op, "not a type-7 header of this opcode");
  }
  if ((words[0] & kPkt7MaxCount) != words.size() - 1) {
    return core::Error::invalid(op, "the header's count disagrees with the packet length");
  }
  P p{};
  detail::UnpackVisitor v{words, 1 + P::kFixed};
  P::visit(p, v);
  if (p.payload_dwords() != words.size() - 1) {
    return core::Error::invalid(op, "count " + std::to_string(words.size() - 1) +
                                        " but the fields call for " +
                                        std::to_string(p.payload_dwords()) + " payload dwords");
  }
  if (const char* why = p.check(); why != nullptr) return core::Error::invalid(op, why);
  return p;
}

// "CP_EXEC_CS{ngroups_x=4, ngroups_y=1, ngroups_z=1}" for a type-7 packet; for a type-4 packet
// one "REG NAME (0xoffs) = 0xvalue {fields}" line per register, joined with '\n'.
std::string format_pm4_packet(const Pm4Packet& p, AdrenoGen gen = AdrenoGen::kA6xx);
// "0x0000: <packet>\n" for every packet; ends with the error of the first malformed packet.
core::Result<std::string> disassemble(std::span<const uint32_t> stream,
                                      AdrenoGen gen = AdrenoGen::kA6xx);

}  // namespace rawgpu::qcom
