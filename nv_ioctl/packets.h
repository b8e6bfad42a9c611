// rawgpu — NVIDIA command formats (STYLE rule 5): GPFIFO entries and their submission (USERD
// GP_PUT + doorbell token), pushbuffer method headers, the method tables of the host, compute and
// copy classes, and the compute dispatch descriptor (QMD) versions V03_00, V04_00 and V05_00.
// Each format is described once, as core::BitField rows; the encoders, the decoders, the printer
// (`rawgpu decode`, timeout messages) and the simulator's command processors all read those rows.
//
// Facts: shared/abi/nvidia.md §4 (GPFIFO, USERD, method headers, host/compute/copy methods), §5
// (QMD) and shared/abi/nvidia-hopper.md §1–§3, §5 (the "fact sheet"). They come from NVIDIA's
// published class headers — open-gpu-doc classes/host/clc56f.h, classes/compute/clc6c0.h,
// clc7c0.h, clc9c0.h, clcbc0.h, clcdc0.h, clcec0.h and their *qmd.h, classes/dma-copy/clc6b5.h …
// clcab5.h; open-gpu-kernel-modules src/common/sdk/nvidia/inc/class/clc86f.h, clc96f.h, clc361.h —
// and from tinygrad runtime/ops_nv.py (TG). Rows the fact sheet does not list were read from
// those same headers (named at each table in packets.cpp); guesses are marked UNCONFIRMED.
// docs/nv-packets.md lists what is covered.
//
// Encoding (hot path: the NV backend's queues):
//   std::array<uint32_t, 64> cmds;
//   nv::Pushbuffer pb(cmds);
//   pb.append(nv::encode_host_semaphore(pb.free_space(), HOPPER_CHANNEL_GPFIFO_A,
//                                      nv::host_semaphore_acquire(sig_va, value)));
//   pb.append(nv::encode_send_pcas(pb.free_space(), HOPPER_COMPUTE_A, qmd_va,
//                                  nv::PcasAction::INVALIDATE_COPY_SCHEDULE));
//   if (!pb.ok()) return core::to_error(pb.result());
// - Every encoder writes into a caller-provided span, allocates nothing, makes no virtual call and
//   no system call; the method-header encoders and the Pushbuffer writer are inline and constexpr.
// - Every value is checked against its field (too wide, misaligned, a member that does not exist
//   on the class, a broken rule between fields): the encoder then writes nothing and the
//   core::EncodeResult names class, method, field, value and rule. Bits no field covers stay 0.
// - Submission: write the GPFIFO entry into the ring, then publish_gp_put() stores GP_PUT in
//   USERD (release), fences, and writes the work-submit token to the doorbell: no system call.
//
// Decoding (simulator, `rawgpu decode`, error messages):
//   decode_entry() validates one method header; walk_pushbuffer() follows a whole pushbuffer,
//   binds subchannels on SET_OBJECT and resolves every write to {subchannel, method address,
//   method NAME from the class table, data}; malformed streams (count past the end, SEC_OP values
//   that are not described, reserved header bits, reserved or out-of-table bits in a known
//   method's data word) are refused with core::Error::invalid naming the dword offset.
//   disassemble_pushbuffer() prints one line per method write:
//     "0x0010: subch 1 HOPPER_COMPUTE_A.SEND_PCAS_A{qmd_address_shifted8=0x200000}".
//   decode_qmd() turns a QMD back into QmdParams; format_qmd() prints every non-zero field by the
//   name NVIDIA gives it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/bits.h"
#include "core/error.h"
#include "nv_ioctl/classes.h"

namespace rawgpu::nv {

// ---- classes -----------------------------------------------------------------------------------
// Class ids (AMPERE_COMPUTE_B, HOPPER_COMPUTE_A, …): nv_ioctl/classes.h.

enum class ClassKind : uint8_t { kHost, kCompute, kCopy };

// The kind of a class this file describes, nullopt for any other id.
constexpr std::optional<ClassKind> class_kind(uint32_t id) {
  switch (id) {
    case AMPERE_CHANNEL_GPFIFO_A:
    case HOPPER_CHANNEL_GPFIFO_A:
    case BLACKWELL_CHANNEL_GPFIFO_A: return ClassKind::kHost;
    case AMPERE_COMPUTE_A:
    case AMPERE_COMPUTE_B:
    case ADA_COMPUTE_A:
    case HOPPER_COMPUTE_A:
    case BLACKWELL_COMPUTE_A:
    case BLACKWELL_COMPUTE_B: return ClassKind::kCompute;
    case AMPERE_DMA_COPY_A:
    case AMPERE_DMA_COPY_B:
    case HOPPER_DMA_COPY_A:
    case BLACKWELL_DMA_COPY_A:
    case BLACKWELL_DMA_COPY_B: return ClassKind::kCopy;
    default: return std::nullopt;
  }
}

// Printed names of the class ids (SET_OBJECT data, errors).
inline constexpr core::EnumName kClassNames[] = {
    {AMPERE_CHANNEL_GPFIFO_A, "AMPERE_CHANNEL_GPFIFO_A"},
    {HOPPER_CHANNEL_GPFIFO_A, "HOPPER_CHANNEL_GPFIFO_A"},
    {BLACKWELL_CHANNEL_GPFIFO_A, "BLACKWELL_CHANNEL_GPFIFO_A"},
    {AMPERE_COMPUTE_A, "AMPERE_COMPUTE_A"},
    {AMPERE_COMPUTE_B, "AMPERE_COMPUTE_B"},
    {ADA_COMPUTE_A, "ADA_COMPUTE_A"},
    {HOPPER_COMPUTE_A, "HOPPER_COMPUTE_A"},
    {BLACKWELL_COMPUTE_A, "BLACKWELL_COMPUTE_A"},
    {BLACKWELL_COMPUTE_B, "BLACKWELL_COMPUTE_B"},
    {AMPERE_DMA_COPY_A, "AMPERE_DMA_COPY_A"},
    {AMPERE_DMA_COPY_B, "AMPERE_DMA_COPY_B"},
    {HOPPER_DMA_COPY_A, "HOPPER_DMA_COPY_A"},
    {BLACKWELL_DMA_COPY_A, "BLACKWELL_DMA_COPY_A"},
    {BLACKWELL_DMA_COPY_B, "BLACKWELL_DMA_COPY_B"},
};
// "HOPPER_COMPUTE_A", or nullptr for an id not in kClassNames.
constexpr const char* class_name(uint32_t id) {
  for (const core::EnumName& n : kClassNames) {
    if (n.value == id) return n.name;
  }
  return nullptr;
}

// Subchannels as tinygrad binds them (fact sheet §4.3): host methods on 0, compute on 1, copy on
// 4 (on its own channel). Methods below kHostMethodLimit go to the host class on any subchannel.
inline constexpr uint8_t kSubchHost = 0;
inline constexpr uint8_t kSubchCompute = 1;
inline constexpr uint8_t kSubchCopy = 4;
inline constexpr uint8_t kSubchannels = 8;  // NVC56F_NUMBER_OF_SUBCHANNELS
inline constexpr uint32_t kHostMethodLimit = 0x100;

// ---- method addresses (byte offsets) -----------------------------------------------------------
// Host class (clc56f.h; the same offsets in clc86f.h and clc96f.h, fact sheet §4.4, H§3).
inline constexpr uint16_t NVC56F_SET_OBJECT = 0x0000;
inline constexpr uint16_t NVC56F_NON_STALL_INTERRUPT = 0x0020;
inline constexpr uint16_t NVC56F_MEM_OP_A = 0x0028;
inline constexpr uint16_t NVC56F_MEM_OP_B = 0x002C;
inline constexpr uint16_t NVC56F_MEM_OP_C = 0x0030;
inline constexpr uint16_t NVC56F_MEM_OP_D = 0x0034;
inline constexpr uint16_t NVC56F_SEM_ADDR_LO = 0x005C;
inline constexpr uint16_t NVC56F_SEM_ADDR_HI = 0x0060;
inline constexpr uint16_t NVC56F_SEM_PAYLOAD_LO = 0x0064;
inline constexpr uint16_t NVC56F_SEM_PAYLOAD_HI = 0x0068;
inline constexpr uint16_t NVC56F_SEM_EXECUTE = 0x006C;
inline constexpr uint16_t NVC56F_WFI = 0x0078;
// Compute classes: identical offsets in C6C0, C7C0, C9C0, CBC0, CDC0 and CEC0 (fact sheet §4.5,
// H§2); tinygrad uses the NVC6C0_* names for every architecture, so do we.
inline constexpr uint16_t NVC6C0_SET_OBJECT = 0x0000;
inline constexpr uint16_t NVC6C0_LINE_LENGTH_IN = 0x0180;
inline constexpr uint16_t NVC6C0_LINE_COUNT = 0x0184;
inline constexpr uint16_t NVC6C0_OFFSET_OUT_UPPER = 0x0188;
inline constexpr uint16_t NVC6C0_OFFSET_OUT = 0x018C;
inline constexpr uint16_t NVC6C0_LAUNCH_DMA = 0x01B0;
inline constexpr uint16_t NVC6C0_LOAD_INLINE_DATA = 0x01B4;
inline constexpr uint16_t NVC6C0_INVALIDATE_SHADER_CACHES = 0x021C;
inline constexpr uint16_t NVC6C0_INVALIDATE_SKED_CACHES = 0x0298;
inline constexpr uint16_t NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A = 0x02A0;
inline constexpr uint16_t NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_B = 0x02A4;
inline constexpr uint16_t NVC6C0_SEND_PCAS_A = 0x02B4;
inline constexpr uint16_t NVC6C0_SEND_SIGNALING_PCAS_B = 0x02BC;
inline constexpr uint16_t NVC6C0_SEND_SIGNALING_PCAS2_B = 0x02C0;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_A = 0x02E4;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_B = 0x02E8;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C = 0x02EC;
inline constexpr uint16_t NVC6C0_SET_INLINE_QMD_ADDRESS_A = 0x0318;
inline constexpr uint16_t NVC6C0_SET_INLINE_QMD_ADDRESS_B = 0x031C;
constexpr uint16_t NVC6C0_LOAD_INLINE_QMD_DATA(uint32_t i) {
  return static_cast<uint16_t>(0x0320 + i * 4);
}
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_A = 0x0790;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_B = 0x0794;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_A = 0x07B0;
inline constexpr uint16_t NVC6C0_SET_SHADER_LOCAL_MEMORY_WINDOW_B = 0x07B4;
inline constexpr uint16_t NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI = 0x1698;
// Copy classes (clc6b5.h; the same offsets in C7B5 … CAB5, fact sheet §4.6, H§3).
inline constexpr uint16_t NVC6B5_SET_SEMAPHORE_A = 0x0240;
inline constexpr uint16_t NVC6B5_SET_SEMAPHORE_B = 0x0244;
inline constexpr uint16_t NVC6B5_SET_SEMAPHORE_PAYLOAD = 0x0248;
inline constexpr uint16_t NVC7B5_SET_SEMAPHORE_PAYLOAD_UPPER = 0x024C;  // C7B5 and later
inline constexpr uint16_t NVC6B5_LAUNCH_DMA = 0x0300;
inline constexpr uint16_t NVC6B5_OFFSET_IN_UPPER = 0x0400;
inline constexpr uint16_t NVC6B5_OFFSET_IN_LOWER = 0x0404;
inline constexpr uint16_t NVC6B5_OFFSET_OUT_UPPER = 0x0408;
inline constexpr uint16_t NVC6B5_OFFSET_OUT_LOWER = 0x040C;
inline constexpr uint16_t NVC6B5_PITCH_IN = 0x0410;
inline constexpr uint16_t NVC6B5_PITCH_OUT = 0x0414;
inline constexpr uint16_t NVC6B5_LINE_LENGTH_IN = 0x0418;
inline constexpr uint16_t NVC6B5_LINE_COUNT = 0x041C;

// ---- method headers (fact sheet §4.3; clc56f.h NVC56F_DMA_*) --------------------------------

// SEC_OP [31:29]. Only INC_METHOD, NON_INC_METHOD, IMMD_DATA_METHOD, ONE_INC and END_PB_SEGMENT
// are described; the decoder refuses the others.
enum class SecOp : uint8_t {
  GRP0_USE_TERT = 0,
  INC_METHOD = 1,  // data words go to method, method+4, …
  GRP2_USE_TERT = 2,
  NON_INC_METHOD = 3,    // every data word goes to the same method
  IMMD_DATA_METHOD = 4,  // 13-bit data in the header itself, no data word
  ONE_INC = 5,           // the first word to method, the rest to method+4
  RESERVED6 = 6,
  END_PB_SEGMENT = 7,  // ends the pushbuffer segment
};
inline constexpr core::EnumName kSecOpNames[] = {
    {0, "GRP0_USE_TERT"},    {1, "INC_METHOD"}, {2, "GRP2_USE_TERT"}, {3, "NON_INC_METHOD"},
    {4, "IMMD_DATA_METHOD"}, {5, "ONE_INC"},    {6, "RESERVED6"},     {7, "END_PB_SEGMENT"}};

// The header rows. METHOD_ADDRESS holds the byte offset >> 2 (12 bits: offsets up to 0x3FFC).
inline constexpr core::BitField NVC56F_DMA_METHOD_ADDRESS{
    "method", 0, 0, 11, core::FieldKind::kHex,
    2,        0, 0, {}, "METHOD_ADDRESS 11:0 = byte offset >> 2"};
inline constexpr core::BitField NVC56F_DMA_METHOD_SUBCHANNEL =
    core::uint_field("subchannel", 0, 13, 15, "METHOD_SUBCHANNEL 15:13");
inline constexpr core::BitField NVC56F_DMA_METHOD_COUNT =
    core::uint_field("count", 0, 16, 28, "METHOD_COUNT 28:16: data words that follow");
inline constexpr core::BitField NVC56F_DMA_IMMD_DATA =
    core::hex_field("data", 0, 16, 28, "IMMD_DATA 28:16 (SEC_OP IMMD_DATA_METHOD)");
inline constexpr core::BitField NVC56F_DMA_SEC_OP =
    core::enum_field("sec_op", 0, 29, 31, kSecOpNames, "SEC_OP 31:29");
// Bit 12 is in no field of an INC/NON_INC/ONE_INC/IMMD header (METHOD_ADDRESS_OLD 12:2 is the
// pre-Volta form): the decoder refuses it.
inline constexpr uint32_t kMethodHeaderReservedBits = 1u << 12;
inline constexpr uint32_t kMaxMethodCount = 0x1FFF;  // 13 bits
inline constexpr uint32_t kMaxImmdData = 0x1FFF;

struct MethodHeader {
  SecOp sec_op = SecOp::INC_METHOD;
  uint8_t subchannel = 0;
  uint16_t method = 0;  // byte offset, 4-byte aligned, <= 0x3FFC
  uint16_t count = 0;   // data words; IMMD_DATA_METHOD: the immediate data
  bool operator==(const MethodHeader&) const = default;
};

// The header word for `h`. Fails (kDoesNotFit / kInvalid) on a subchannel >= 8, a misaligned or
// too large method, a count/data over 13 bits, a SEC_OP that is not described, or an
// END_PB_SEGMENT with other fields set.
constexpr core::EncodeResult encode_method_header(const MethodHeader& h, uint32_t& out) {
  std::array<uint32_t, 1> w{};
  core::FieldWriter fw(w, "pushbuffer", "method header");
  const auto op = static_cast<uint8_t>(h.sec_op);
  fw.set(NVC56F_DMA_SEC_OP, op);
  if (h.sec_op == SecOp::END_PB_SEGMENT) {
    if (h.subchannel != 0 || h.method != 0 || h.count != 0) {
      fw.invalid("sec_op", op, "an END_PB_SEGMENT header carries no subchannel, method or count");
    }
  } else if (h.sec_op == SecOp::INC_METHOD || h.sec_op == SecOp::NON_INC_METHOD ||
             h.sec_op == SecOp::ONE_INC || h.sec_op == SecOp::IMMD_DATA_METHOD) {
    fw.set(NVC56F_DMA_METHOD_ADDRESS, h.method);
    fw.set(NVC56F_DMA_METHOD_SUBCHANNEL, h.subchannel);
    fw.set(h.sec_op == SecOp::IMMD_DATA_METHOD ? NVC56F_DMA_IMMD_DATA : NVC56F_DMA_METHOD_COUNT,
           h.count);
  } else {
    fw.invalid("sec_op", op, "only INC, NON_INC, IMMD, ONE_INC and END_PB_SEGMENT are described");
  }
  if (fw.ok()) out = w[0];
  return fw.result(1);
}

// The header word, unchecked (for constants): (sec_op << 29) | (count << 16) | (subch << 13) |
// (method >> 2). tinygrad's nvmethod() is method_header(INC_METHOD, …).
constexpr uint32_t method_header(SecOp op, uint32_t subchannel, uint32_t method, uint32_t count) {
  return (uint32_t{static_cast<uint8_t>(op)} << 29) | ((count & 0x1FFF) << 16) |
         ((subchannel & 7) << 13) | ((method >> 2) & 0xFFF);
}

// Decodes the header word at dword `at` (for the error message). Refuses SEC_OP values that are
// not described, bit 12, and END_PB_SEGMENT headers with other bits set.
core::Result<MethodHeader> decode_method_header(uint32_t word, uint32_t at = 0);

// ---- pushbuffer writer -----------------------------------------------------------------------

// Appends methods to a caller-provided span. Each append is all or nothing; the first failure is
// recorded and every later append is ignored, so a batch is checked once, at the end:
//   Pushbuffer pb(span); pb.inc(1, NVC6C0_SEND_PCAS_A, {qmd >> 8}); …; if (!pb.ok()) …
// Allocation-free, inline, constexpr.
class Pushbuffer {
 public:
  constexpr explicit Pushbuffer(std::span<uint32_t> buf) : buf_(buf) {}

  // Header + data. INC_METHOD writes data[i] to method + 4i, NON_INC_METHOD every word to
  // `method`, ONE_INC data[0] to method and the rest to method + 4. At least one word.
  [[gnu::always_inline]] constexpr bool methods(SecOp op, uint8_t subchannel, uint32_t method,
                                                std::span<const uint32_t> data) {
    if (!ok()) return false;
    if (data.empty() || data.size() > kMaxMethodCount) {
      return fail_invalid("count", data.size(), "a method header carries 1 to 8191 data words");
    }
    if (op != SecOp::INC_METHOD && op != SecOp::NON_INC_METHOD && op != SecOp::ONE_INC) {
      return fail_invalid("sec_op", static_cast<uint8_t>(op),
                          "methods() takes INC_METHOD, NON_INC_METHOD or ONE_INC");
    }
    uint32_t header = 0;
    const core::EncodeResult r = encode_method_header(
        {op, subchannel, static_cast<uint16_t>(method > 0xFFFF ? 0xFFFF : method),
         static_cast<uint16_t>(data.size())},
        header);
    if (!r) return fail(r);
    const size_t need = 1 + data.size();
    if (need > buf_.size() - put_) {
      return fail(core::encode_no_space("pushbuffer", "method", need, buf_.size() - put_));
    }
    buf_[put_] = header;
    for (size_t i = 0; i < data.size(); ++i) buf_[put_ + 1 + i] = data[i];
    put_ += static_cast<uint32_t>(need);
    return true;
  }
  [[gnu::always_inline]] constexpr bool inc(uint8_t subchannel, uint32_t method,
                                            std::initializer_list<uint32_t> data) {
    return methods(SecOp::INC_METHOD, subchannel, method, {data.begin(), data.size()});
  }
  [[gnu::always_inline]] constexpr bool inc(uint8_t subchannel, uint32_t method,
                                            std::span<const uint32_t> data) {
    return methods(SecOp::INC_METHOD, subchannel, method, data);
  }
  [[gnu::always_inline]] constexpr bool non_inc(uint8_t subchannel, uint32_t method,
                                                std::span<const uint32_t> data) {
    return methods(SecOp::NON_INC_METHOD, subchannel, method, data);
  }
  [[gnu::always_inline]] constexpr bool one_inc(uint8_t subchannel, uint32_t method,
                                                std::span<const uint32_t> data) {
    return methods(SecOp::ONE_INC, subchannel, method, data);
  }
  // IMMD_DATA_METHOD: `data` (< 2^13) travels in the header.
  [[gnu::always_inline]] constexpr bool immd(uint8_t subchannel, uint32_t method, uint32_t data) {
    if (!ok()) return false;
    uint32_t header = 0;
    const core::EncodeResult r =
        encode_method_header({SecOp::IMMD_DATA_METHOD, subchannel,
                              static_cast<uint16_t>(method > 0xFFFF ? 0xFFFF : method),
                              static_cast<uint16_t>(data > 0xFFFF ? 0xFFFF : data)},
                             header);
    if (!r) return fail(r);
    if (put_ >= buf_.size()) return fail(core::encode_no_space("pushbuffer", "method", 1, 0));
    buf_[put_++] = header;
    return true;
  }
  constexpr bool end_pb_segment() {
    if (!ok()) return false;
    if (put_ >= buf_.size()) return fail(core::encode_no_space("pushbuffer", "method", 1, 0));
    buf_[put_++] = method_header(SecOp::END_PB_SEGMENT, 0, 0, 0);
    return true;
  }

  // Where an encode_*() function should write next.
  constexpr std::span<uint32_t> free_space() const { return buf_.subspan(put_); }
  // Accounts for what an encode_*() wrote at free_space(), or records its failure.
  constexpr bool append(const core::EncodeResult& r) {
    if (!ok()) return false;
    if (!r) return fail(r);
    put_ += r.dwords;
    return true;
  }

  constexpr uint32_t size() const { return put_; }
  constexpr std::span<const uint32_t> written() const { return buf_.first(put_); }
  constexpr bool ok() const { return fail_.ok(); }
  // Success with size() dwords, or the first failure.
  constexpr core::EncodeResult result() const {
    core::EncodeResult r = fail_;
    r.dwords = ok() ? put_ : 0;
    return r;
  }
  constexpr void reset() {
    put_ = 0;
    fail_ = {};
  }

 private:
  constexpr bool fail(const core::EncodeResult& r) {
    fail_ = r;
    fail_.dwords = 0;
    return false;
  }
  constexpr bool fail_invalid(const char* field, uint64_t value, const char* why) {
    core::FieldWriter w({}, "pushbuffer", "method");
    w.invalid(field, value, why);
    return fail(w.result(0));
  }

  std::span<uint32_t> buf_;
  uint32_t put_ = 0;
  core::EncodeResult fail_{};
};

// ---- data words of the methods the typed encoders write ---------------------------------------
// Each struct describes one method's data word once, in visit(s, cls, v):
//   v(field, member)              a field of this class mapped to a struct member
//   v.absent(name, member, why)   a member the class does not have (must stay 0)
// The class tables (packets.cpp) take their rows from the same visit, so encoder, decoder and
// printer cannot disagree. How to add one: a struct with kMethod and visit(), a row in the class
// tables that uses WordFields<Struct, CLASS>::kFields, a round-trip test.

namespace detail {

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

constexpr bool has_name(std::span<const core::EnumName> names, uint64_t v) {
  for (const core::EnumName& n : names) {
    if (n.value == v) return true;
  }
  return false;
}

struct PackVisitor {
  core::FieldWriter& w;
  template <class M>
  [[gnu::always_inline]] constexpr void operator()(const core::BitField& f, const M& m) {
    const uint64_t v = to_u64(m);
    if (f.kind == core::FieldKind::kEnum && !has_name(f.names, v)) {
      w.invalid(f.name, v, "the value is not one the field defines");
    } else {
      w.set(f, v);
    }
  }
  template <class M>
  [[gnu::always_inline]] constexpr void absent(const char* name, const M& m, const char* why) {
    w.absent(name, to_u64(m), why);
  }
};
struct UnpackVisitor {
  uint32_t word;
  template <class M>
  constexpr void operator()(const core::BitField& f, M& m) {
    const std::array<uint32_t, 2> w{word, 0};  // data-word fields sit in dword 0
    m = from_u64<M>(core::get_field(w, f));
  }
  template <class M>
  constexpr void absent(const char*, M&, const char*) {}
};
struct CountVisitor {
  size_t n = 0;
  template <class M>
  constexpr void operator()(const core::BitField&, const M&) {
    ++n;
  }
  template <class M>
  constexpr void absent(const char*, const M&, const char*) {}
};
template <size_t N>
struct CollectVisitor {
  std::array<core::BitField, N> fields{};
  size_t n = 0;
  template <class M>
  constexpr void operator()(const core::BitField& f, const M&) {
    fields[n++] = f;
  }
  template <class M>
  constexpr void absent(const char*, const M&, const char*) {}
};

}  // namespace detail

// The rows of data word T on class Cls, built at compile time from T::visit.
template <class T, uint32_t Cls>
struct WordFields {
  static constexpr size_t kCount = [] {
    detail::CountVisitor c;
    const T t{};
    T::visit(t, Cls, c);
    return c.n;
  }();
  static constexpr std::array<core::BitField, kCount> kFields = [] {
    detail::CollectVisitor<kCount> c;
    const T t{};
    T::visit(t, Cls, c);
    return c.fields;
  }();
};

// The data word for `s` on class `cls`; nothing is written to `out` on failure.
template <class T>
[[gnu::always_inline]] constexpr core::EncodeResult encode_word(const T& s, uint32_t cls,
                                                                uint32_t& out) {
  std::array<uint32_t, 1> w{};
  const char* cn = class_name(cls);
  core::FieldWriter fw(w, cn != nullptr ? cn : "class ?", T::kMethod);
  detail::PackVisitor v{fw};
  T::visit(s, cls, v);
  if (fw.ok()) out = w[0];
  return fw.result(1);
}
// The struct read back from a data word (fields the class lacks stay at their defaults).
template <class T>
constexpr T decode_word(uint32_t word, uint32_t cls) {
  T s{};
  detail::UnpackVisitor v{word};
  T::visit(s, cls, v);
  return s;
}

// SET_OBJECT (method 0, every class): binds `class_id` to the subchannel the method is sent on.
// Host: NVCLASS 15:0, ENGINE 20:16 (clc56f.h); compute: CLASS_ID 15:0, ENGINE_ID 20:16 (clc6c0.h).
// Copy classes have no SET_OBJECT of their own: the host's binds them.
struct SetObject {
  static constexpr const char* kMethod = "SET_OBJECT";
  uint32_t class_id = 0;
  uint8_t engine_id = 0;  // 0x1F = ENGINE_SW (host)
  bool operator==(const SetObject&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t cls, V& v) {
    const bool compute = class_kind(cls) == ClassKind::kCompute;
    v(core::hex_field(compute ? "class_id" : "nvclass", 0, 0, 15, "class bound to the subchannel")
          .with_names(kClassNames),
      s.class_id);
    v(core::hex_field(compute ? "engine_id" : "engine", 0, 16, 20, "engine (0x1f = ENGINE_SW)"),
      s.engine_id);
  }
};

// SEM_EXECUTE (host 0x6C): fact sheet §4.4, clc56f.h NVC56F_SEM_EXECUTE_*. The open clc86f.h and
// clc96f.h list only OPERATION ACQUIRE/RELEASE, RELEASE_WFI and PAYLOAD_SIZE; UVM and tinygrad use
// the other fields on Hopper/Blackwell unchanged (H§3). Whether Blackwell honours
// RELEASE_TIMESTAMP is UNCONFIRMED (fact sheet §10 q3).
enum class SemOperation : uint8_t {
  ACQUIRE = 0,         // wait until *addr == payload
  RELEASE = 1,         // write payload (and the timestamp)
  ACQ_STRICT_GEQ = 2,  // wait until *addr >= payload
  ACQ_CIRC_GEQ = 3,    // wait until *addr >= payload, wrapping (tinygrad's wait)
  ACQ_AND = 4,         // wait until (*addr & payload) != 0
  ACQ_NOR = 5,         // wait until (*addr | payload) != all ones
  REDUCTION = 6,       // atomically combine payload into *addr
};
enum class SemPayloadSize : uint8_t { PAYLOAD_SIZE_32BIT = 0, PAYLOAD_SIZE_64BIT = 1 };
enum class SemReduction : uint8_t { IMIN, IMAX, IXOR, IAND, IOR, IADD, INC, DEC };
enum class SemReductionFormat : uint8_t { SIGNED = 0, UNSIGNED = 1 };
inline constexpr core::EnumName kSemOperationNames[] = {
    {0, "ACQUIRE"}, {1, "RELEASE"}, {2, "ACQ_STRICT_GEQ"}, {3, "ACQ_CIRC_GEQ"},
    {4, "ACQ_AND"}, {5, "ACQ_NOR"}, {6, "REDUCTION"}};
inline constexpr core::EnumName kSemPayloadSizeNames[] = {{0, "32BIT"}, {1, "64BIT"}};
inline constexpr core::EnumName kSemReductionNames[] = {{0, "IMIN"}, {1, "IMAX"}, {2, "IXOR"},
                                                        {3, "IAND"}, {4, "IOR"},  {5, "IADD"},
                                                        {6, "INC"},  {7, "DEC"}};
inline constexpr core::EnumName kSemReductionFormatNames[] = {{0, "SIGNED"}, {1, "UNSIGNED"}};

struct SemExecute {
  static constexpr const char* kMethod = "SEM_EXECUTE";
  SemOperation operation = SemOperation::ACQUIRE;
  bool acquire_switch_tsg = false;  // yield the TSG while the acquire waits
  bool release_wfi = false;         // wait for idle before the release
  SemPayloadSize payload_size = SemPayloadSize::PAYLOAD_SIZE_32BIT;
  bool release_timestamp = false;  // also write a 64-bit ns timestamp at addr + 8
  SemReduction reduction = SemReduction::IMIN;
  SemReductionFormat reduction_format = SemReductionFormat::SIGNED;
  bool operator==(const SemExecute&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t, V& v) {
    v(core::enum_field("operation", 0, 0, 2, kSemOperationNames, "OPERATION 2:0"), s.operation);
    v(core::bool_field("acquire_switch_tsg", 0, 12, "ACQUIRE_SWITCH_TSG 12"), s.acquire_switch_tsg);
    v(core::bool_field("release_wfi", 0, 20, "RELEASE_WFI 20"), s.release_wfi);
    v(core::enum_field("payload_size", 0, 24, 24, kSemPayloadSizeNames, "PAYLOAD_SIZE 24"),
      s.payload_size);
    v(core::bool_field("release_timestamp", 0, 25, "RELEASE_TIMESTAMP 25"), s.release_timestamp);
    v(core::enum_field("reduction", 0, 27, 30, kSemReductionNames, "REDUCTION 30:27").quiet(),
      s.reduction);
    v(core::enum_field("reduction_format", 0, 31, 31, kSemReductionFormatNames,
                       "REDUCTION_FORMAT 31")
          .quiet(),
      s.reduction_format);
  }
};

// SEND_SIGNALING_PCAS2_B (compute 0x2C0): what to do with the QMD sent by SEND_PCAS_A (fact sheet
// §4.5, H§2). tinygrad sends PREFETCH_SCHEDULE, NVK/NAK INVALIDATE_COPY_SCHEDULE; which one
// libcuda uses on Hopper is UNCONFIRMED (H§6 q4). AMPERE_COMPUTE_A (clc6c0.h) has neither SELECT,
// OFFSET_MINUS_ONE nor actions 0xC/0xD.
enum class PcasAction : uint8_t {
  NOP = 0,
  INVALIDATE = 1,
  SCHEDULE = 2,
  INVALIDATE_COPY_SCHEDULE = 3,
  INCREMENT_PUT = 6,
  DECREMENT_DEPENDENCE = 7,
  PREFETCH = 8,
  PREFETCH_SCHEDULE = 9,
  INVALIDATE_PREFETCH_COPY_SCHEDULE = 0xA,
  INVALIDATE_PREFETCH_COPY_FORCE_REQUIRE_SCHEDULING = 0xB,
  INCREMENT_DEPENDENCE = 0xC,
  INCREMENT_CWD_REF_COUNTER = 0xD,
};
inline constexpr core::EnumName kPcasActionNames[] = {
    {0x0, "NOP"},
    {0x1, "INVALIDATE"},
    {0x2, "SCHEDULE"},
    {0x3, "INVALIDATE_COPY_SCHEDULE"},
    {0x6, "INCREMENT_PUT"},
    {0x7, "DECREMENT_DEPENDENCE"},
    {0x8, "PREFETCH"},
    {0x9, "PREFETCH_SCHEDULE"},
    {0xA, "INVALIDATE_PREFETCH_COPY_SCHEDULE"},
    {0xB, "INVALIDATE_PREFETCH_COPY_FORCE_REQUIRE_SCHEDULING"},
    {0xC, "INCREMENT_DEPENDENCE"},
    {0xD, "INCREMENT_CWD_REF_COUNTER"}};

struct SendSignalingPcas2B {
  static constexpr const char* kMethod = "SEND_SIGNALING_PCAS2_B";
  PcasAction pcas_action = PcasAction::NOP;
  uint8_t select = 0;             // 13:8, not on AMPERE_COMPUTE_A
  uint16_t offset_minus_one = 0;  // 23:14, not on AMPERE_COMPUTE_A
  bool operator==(const SendSignalingPcas2B&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t cls, V& v) {
    if (cls == AMPERE_COMPUTE_A) {
      v(core::enum_field("pcas_action", 0, 0, 3, std::span(kPcasActionNames).first(10),
                         "PCAS_ACTION 3:0 (clc6c0.h: no 0xC, 0xD)"),
        s.pcas_action);
      v.absent("select", s.select, "AMPERE_COMPUTE_A has no SELECT");
      v.absent("offset_minus_one", s.offset_minus_one, "AMPERE_COMPUTE_A has no OFFSET_MINUS_ONE");
    } else {
      v(core::enum_field("pcas_action", 0, 0, 3, kPcasActionNames, "PCAS_ACTION 3:0"),
        s.pcas_action);
      v(core::uint_field("select", 0, 8, 13, "SELECT 13:8").quiet(), s.select);
      v(core::uint_field("offset_minus_one", 0, 14, 23, "OFFSET_MINUS_ONE 23:14").quiet(),
        s.offset_minus_one);
    }
  }
};

// True for the compute classes whose methods carry the Hopper changes (wider upper-address
// fields, SET_INLINE_QMD_ADDRESS_A INLINE_SIZE, 384-byte QMDs): H§2.
constexpr bool is_hopper_or_later_compute(uint32_t cls) {
  return cls == HOPPER_COMPUTE_A || cls == BLACKWELL_COMPUTE_A || cls == BLACKWELL_COMPUTE_B;
}

// SET_INLINE_QMD_ADDRESS_A (compute 0x318): QMD address >> 8, upper bits. CBC0+: 8:0 plus
// INLINE_SIZE 30 (0 = 256-byte QMD, 1 = 384-byte); C6C0–C9C0: 31:0 (H§2, clc6c0.h, clcbc0.h).
enum class InlineSize : uint8_t { INLINE_256 = 0, INLINE_384 = 1 };
inline constexpr core::EnumName kInlineSizeNames[] = {{0, "INLINE_256"}, {1, "INLINE_384"}};
struct SetInlineQmdAddressA {
  static constexpr const char* kMethod = "SET_INLINE_QMD_ADDRESS_A";
  uint32_t qmd_address_shifted8_upper = 0;
  InlineSize inline_size = InlineSize::INLINE_256;
  bool operator==(const SetInlineQmdAddressA&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t cls, V& v) {
    if (is_hopper_or_later_compute(cls)) {
      v(core::hex_field("qmd_address_shifted8_upper", 0, 0, 8, "QMD_ADDRESS_SHIFTED8_UPPER 8:0"),
        s.qmd_address_shifted8_upper);
      v(core::enum_field("inline_size", 0, 30, 30, kInlineSizeNames, "INLINE_SIZE 30"),
        s.inline_size);
    } else {
      v(core::hex_field("qmd_address_shifted8_upper", 0, 0, 31, "QMD_ADDRESS_SHIFTED8_UPPER 31:0"),
        s.qmd_address_shifted8_upper);
      v.absent("inline_size", s.inline_size, "INLINE_SIZE exists on HOPPER_COMPUTE_A and later");
    }
  }
};

// INVALIDATE_SHADER_CACHES_NO_WFI (compute 0x1698): tinygrad's memory barrier is 0x1011
// (INSTRUCTION | GLOBAL_DATA | CONSTANT), fact sheet §4.5.
struct InvalidateShaderCachesNoWfi {
  static constexpr const char* kMethod = "INVALIDATE_SHADER_CACHES_NO_WFI";
  bool instruction = false;
  bool global_data = false;
  bool constant = false;
  bool operator==(const InvalidateShaderCachesNoWfi&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t, V& v) {
    v(core::bool_field("instruction", 0, 0, "INSTRUCTION 0"), s.instruction);
    v(core::bool_field("global_data", 0, 4, "GLOBAL_DATA 4"), s.global_data);
    v(core::bool_field("constant", 0, 12, "CONSTANT 12"), s.constant);
  }
};

// INVALIDATE_SHADER_CACHES (compute 0x21C, implies a wait for idle): fact sheet §4.5, H§2.
struct InvalidateShaderCaches {
  static constexpr const char* kMethod = "INVALIDATE_SHADER_CACHES";
  bool instruction = false;
  bool locks = false;
  bool flush_data = false;
  bool data = false;
  bool constant = false;
  bool operator==(const InvalidateShaderCaches&) const = default;
  template <class S, class V>
  static constexpr void visit(S& s, uint32_t, V& v) {
    v(core::bool_field("instruction", 0, 0, "INSTRUCTION 0"), s.instruction);
    v(core::bool_field("locks", 0, 1, "LOCKS 1"), s.locks);
    v(core::bool_field("flush_data", 0, 2, "FLUSH_DATA 2"), s.flush_data);
    v(core::bool_field("data", 0, 4, "DATA 4"), s.data);
    v(core::bool_field("constant", 0, 12, "CONSTANT 12"), s.constant);
  }
};

// Copy-class LAUNCH_DMA (0x300): fact sheet §4.6 and H§3; clc6b5.h … clcab5.h for the members the
// fact sheet does not list. Per class: SEMAPHORE_PAYLOAD_SIZE 27 from C7B5; C8B5 widens nothing
// here but adds COPY_TYPE 21:20 and MEMORY_SCRUB_ENABLE 23 and shrinks VPRMODE to bit 22;
// C9B5/CAB5 drop FORCE_RMWDISABLE 11; CAB5 adds DATA_TRANSFER_TYPE PREFETCH.
enum class DataTransferType : uint8_t { NONE = 0, PIPELINED = 1, NON_PIPELINED = 2, PREFETCH = 3 };
enum class SemaphoreType : uint8_t {
  NONE = 0,
  RELEASE_ONE_WORD_SEMAPHORE = 1,  // C6B5 names
  RELEASE_FOUR_WORD_SEMAPHORE = 2,
  RELEASE_CONDITIONAL_INTR_SEMAPHORE = 3,
  RELEASE_SEMAPHORE_NO_TIMESTAMP = 1,  // C7B5+ names for the same codes
  RELEASE_SEMAPHORE_WITH_TIMESTAMP = 2,
};
enum class InterruptType : uint8_t { NONE = 0, BLOCKING = 1, NON_BLOCKING = 2 };
enum class MemoryLayout : uint8_t { BLOCKLINEAR = 0, PITCH = 1 };
enum class AddressType : uint8_t { VIRTUAL = 0, PHYSICAL = 1 };
enum class SemaphoreReduction : uint8_t {
  IMIN = 0,
  IMAX = 1,
  IXOR = 2,
  IAND = 3,
  IOR = 4,
  IADD = 5,
  INC = 6,
  DEC = 7,
  FADD = 0xA,
  FMIN = 0xB,  // C7B5+
  FMAX = 0xC,  // C7B5+
};
enum class SemaphoreReductionSign : uint8_t { SIGNED = 0, UNSIGNED = 1 };
enum class CopyType : uint8_t { PROT2PROT = 0, DEFAULT = 0, SECURE = 1, NONPROT2NONPROT = 2 };
enum class FlushType : uint8_t { SYS = 0, GL = 1 };
enum class SemaphorePayloadSize : uint8_t { ONE_WORD = 0, TWO_WORD = 1 };

inline constexpr core::EnumName kDataTransferTypeNames[] = {
    {0, "NONE"}, {1, "PIPELINED"}, {2, "NON_PIPELINED"}, {3, "PREFETCH"}};
inline constexpr core::EnumName kSemaphoreTypeNamesC6B5[] = {
    {0, "NONE"},
    {1, "RELEASE_ONE_WORD_SEMAPHORE"},
    {2, "RELEASE_FOUR_WORD_SEMAPHORE"},
    {3, "RELEASE_CONDITIONAL_INTR_SEMAPHORE"}};
inline constexpr core::EnumName kSemaphoreTypeNames[] = {{0, "NONE"},
                                                         {1, "RELEASE_SEMAPHORE_NO_TIMESTAMP"},
                                                         {2, "RELEASE_SEMAPHORE_WITH_TIMESTAMP"},
                                                         {3, "RELEASE_CONDITIONAL_INTR_SEMAPHORE"}};
inline constexpr core::EnumName kInterruptTypeNames[] = {
    {0, "NONE"}, {1, "BLOCKING"}, {2, "NON_BLOCKING"}};
inline constexpr core::EnumName kMemoryLayoutNames[] = {{0, "BLOCKLINEAR"}, {1, "PITCH"}};
inline constexpr core::EnumName kAddressTypeNames[] = {{0, "VIRTUAL"}, {1, "PHYSICAL"}};
inline constexpr core::EnumName kSemaphoreReductionNames[] = {
    {0, "IMIN"}, {1, "IMAX"}, {2, "IXOR"},  {3, "IAND"},  {4, "IOR"},  {5, "IADD"},
    {6, "INC"},  {7, "DEC"},  {10, "FADD"}, {11, "FMIN"}, {12, "FMAX"}};
inline constexpr core::EnumName kSemaphoreReductionSignNames[] = {{0, "SIGNED"}, {1, "UNSIGNED"}};
inline constexpr core::EnumName kCopyTypeNames[] = {
    {0, "DEFAULT"}, {1, "SECURE"}, {2, "NONPROT2NONPROT"}};
inline constexpr core::EnumName kFlushTypeNames[] = {{0, "SYS"}, {1, "GL"}};
inline constexpr core::EnumName kSemaphorePayloadSizeNames[] = {{0, "ONE_WORD"}, {1, "TWO_WORD"}};
inline constexpr core::EnumName kVprModeNames[] = {{0, "VPR_NONE"}, {1, "VPR_VID2VID"}};

// True for C8B5 and later (24:0 upper-address fields, COPY_TYPE, MEMORY_SCRUB_ENABLE).
constexpr bool is_hopper_or_later_copy(uint32_t cls) {
  return cls == HOPPER_DMA_COPY_A || cls == BLACKWELL_DMA_COPY_A || cls == BLACKWELL_DMA_COPY_B;
}

struct CopyLaunchDma {
  static constexpr const char* kMethod = "LAUNCH_DMA";
  DataTransferType data_transfer_type = DataTransferType::NONE;       // 1:0
  bool flush_enable = false;                                          // 2
  SemaphoreType semaphore_type = SemaphoreType::NONE;                 // 4:3
  InterruptType interrupt_type = InterruptType::NONE;                 // 6:5
  MemoryLayout src_memory_layout = MemoryLayout::BLOCKLINEAR;         // 7
  MemoryLayout dst_memory_layout = MemoryLayout::BLOCKLINEAR;         // 8
  bool multi_line_enable = false;                                     // 9
  bool remap_enable = false;                                          // 10
  bool force_rmwdisable = false;                                      // 11, C6B5..C8B5
  AddressType src_type = AddressType::VIRTUAL;                        // 12
  AddressType dst_type = AddressType::VIRTUAL;                        // 13
  SemaphoreReduction semaphore_reduction = SemaphoreReduction::IMIN;  // 17:14
  SemaphoreReductionSign semaphore_reduction_sign = SemaphoreReductionSign::SIGNED;  // 18
  bool semaphore_reduction_enable = false;                                           // 19
  CopyType copy_type = CopyType::DEFAULT;  // 21:20, C8B5+ (non-default only with CC on)
  uint8_t vprmode = 0;                     // 23:22 on C6B5/C7B5, 22 on C8B5+
  bool memory_scrub_enable = false;        // 23, C8B5+
  FlushType flush_type = FlushType::SYS;   // 25
  bool disable_plc = false;                // 26
  SemaphorePayloadSize semaphore_payload_size = SemaphorePayloadSize::ONE_WORD;  // 27, C7B5+
  bool operator==(const CopyLaunchDma&) const = default;

  template <class S, class V>
  static constexpr void visit(S& s, uint32_t cls, V& v) {
    using core::bool_field;
    using core::enum_field;
    const bool c6b5 = cls == AMPERE_DMA_COPY_A;
    const bool hopper = is_hopper_or_later_copy(cls);
    v(enum_field("data_transfer_type", 0, 0, 1,
                 std::span(kDataTransferTypeNames).first(cls == BLACKWELL_DMA_COPY_B ? 4 : 3),
                 "DATA_TRANSFER_TYPE 1:0"),
      s.data_transfer_type);
    v(bool_field("flush_enable", 0, 2, "FLUSH_ENABLE 2"), s.flush_enable);
    v(enum_field("semaphore_type", 0, 3, 4, c6b5 ? kSemaphoreTypeNamesC6B5 : kSemaphoreTypeNames,
                 "SEMAPHORE_TYPE 4:3")
          .quiet(),
      s.semaphore_type);
    v(enum_field("interrupt_type", 0, 5, 6, kInterruptTypeNames, "INTERRUPT_TYPE 6:5").quiet(),
      s.interrupt_type);
    v(enum_field("src_memory_layout", 0, 7, 7, kMemoryLayoutNames, "SRC_MEMORY_LAYOUT 7"),
      s.src_memory_layout);
    v(enum_field("dst_memory_layout", 0, 8, 8, kMemoryLayoutNames, "DST_MEMORY_LAYOUT 8"),
      s.dst_memory_layout);
    v(bool_field("multi_line_enable", 0, 9, "MULTI_LINE_ENABLE 9"), s.multi_line_enable);
    v(bool_field("remap_enable", 0, 10, "REMAP_ENABLE 10"), s.remap_enable);
    if (cls == BLACKWELL_DMA_COPY_A || cls == BLACKWELL_DMA_COPY_B) {
      v.absent("force_rmwdisable", s.force_rmwdisable, "C9B5/CAB5 have no FORCE_RMWDISABLE");
    } else {
      v(bool_field("force_rmwdisable", 0, 11, "FORCE_RMWDISABLE 11"), s.force_rmwdisable);
    }
    v(enum_field("src_type", 0, 12, 12, kAddressTypeNames, "SRC_TYPE 12").quiet(), s.src_type);
    v(enum_field("dst_type", 0, 13, 13, kAddressTypeNames, "DST_TYPE 13").quiet(), s.dst_type);
    v(enum_field("semaphore_reduction", 0, 14, 17,
                 std::span(kSemaphoreReductionNames).first(c6b5 ? 9 : 11),
                 "SEMAPHORE_REDUCTION 17:14")
          .quiet(),
      s.semaphore_reduction);
    v(enum_field("semaphore_reduction_sign", 0, 18, 18, kSemaphoreReductionSignNames,
                 "SEMAPHORE_REDUCTION_SIGN 18")
          .quiet(),
      s.semaphore_reduction_sign);
    v(bool_field("semaphore_reduction_enable", 0, 19, "SEMAPHORE_REDUCTION_ENABLE 19"),
      s.semaphore_reduction_enable);
    if (hopper) {
      v(enum_field("copy_type", 0, 20, 21, kCopyTypeNames, "COPY_TYPE 21:20").quiet(), s.copy_type);
      v(enum_field("vprmode", 0, 22, 22, kVprModeNames, "VPRMODE 22").quiet(), s.vprmode);
      v(bool_field("memory_scrub_enable", 0, 23, "MEMORY_SCRUB_ENABLE 23"), s.memory_scrub_enable);
    } else {
      v.absent("copy_type", s.copy_type, "COPY_TYPE exists on HOPPER_DMA_COPY_A and later");
      v(enum_field("vprmode", 0, 22, 23, kVprModeNames, "VPRMODE 23:22").quiet(), s.vprmode);
      v.absent("memory_scrub_enable", s.memory_scrub_enable,
               "MEMORY_SCRUB_ENABLE exists on HOPPER_DMA_COPY_A and later");
    }
    v(enum_field("flush_type", 0, 25, 25, kFlushTypeNames, "FLUSH_TYPE 25").quiet(), s.flush_type);
    v(bool_field("disable_plc", 0, 26, "DISABLE_PLC 26"), s.disable_plc);
    if (c6b5) {
      v.absent("semaphore_payload_size", s.semaphore_payload_size,
               "SEMAPHORE_PAYLOAD_SIZE exists on AMPERE_DMA_COPY_B and later");
    } else {
      v(enum_field("semaphore_payload_size", 0, 27, 27, kSemaphorePayloadSizeNames,
                   "SEMAPHORE_PAYLOAD_SIZE 27")
            .quiet(),
        s.semaphore_payload_size);
    }
  }
};

// ---- method tables -----------------------------------------------------------------------------

// One method of a class: its byte offset, its data-word fields (dword 0 of a one-word "packet"),
// and for an array method NAME(i) the number of consecutive methods.
struct MethodDesc {
  const char* name = "";                   // "SEND_PCAS_A" (NVC6C0_SEND_PCAS_A)
  uint16_t address = 0;                    // byte offset
  uint16_t count = 1;                      // NAME(i) at address + 4i, i < count
  std::span<const core::BitField> fields;  // cover every defined bit of the data word
  const char* doc = "";
};

// One class: its id, name, kind and methods (sorted by address). The only list of methods the
// encoders, the decoder and the printer use.
struct ClassDesc {
  uint32_t id = 0;
  const char* name = "";
  ClassKind kind = ClassKind::kHost;
  std::span<const MethodDesc> methods;
  const char* source = "";  // the public header the table mirrors
};

// Every described class, host classes first.
std::span<const ClassDesc> known_classes();
const ClassDesc* find_class(uint32_t id);
// The method at byte offset `address` of `cls` (array methods: the element in *index), or
// nullptr when the table has no row there.
const MethodDesc* find_method(const ClassDesc& cls, uint32_t address, uint16_t* index = nullptr);
const MethodDesc* find_method(const ClassDesc& cls, std::string_view name);

// ---- table-checked method encoders (init-time state) ------------------------------------------

// INC header + one word `value` for `method` of class `cls` on `subchannel`: 2 dwords. The value
// is checked against the method's fields (bits no field covers, enum values outside the table).
// Host methods (< 0x100) are looked up in the host class: pass the channel's host class.
core::EncodeResult encode_method(std::span<uint32_t> out, uint32_t cls, uint8_t subchannel,
                                 uint32_t method, uint32_t value);
// An "_A/_B" pair that holds a 64-bit address as upper word then lower word (SET_SHADER_LOCAL_
// MEMORY_A/B, SET_SHADER_{LOCAL,SHARED}_MEMORY_WINDOW_A/B, OFFSET_OUT_UPPER/OFFSET_OUT,
// SET_REPORT_SEMAPHORE_A/B, copy SET_SEMAPHORE_A/B, OFFSET_IN/OUT_UPPER/LOWER): one INC burst of
// 2 at `upper_method`, 3 dwords. The upper bits must fit the class's upper field (17 or 25 bits).
core::EncodeResult encode_address_pair(std::span<uint32_t> out, uint32_t cls, uint8_t subchannel,
                                       uint32_t upper_method, uint64_t address);

// ---- typed encoders (hot path) -----------------------------------------------------------------

// SET_OBJECT on `subchannel` = class_id: binds a compute or copy class (2 dwords).
constexpr core::EncodeResult encode_set_object(std::span<uint32_t> out, uint8_t subchannel,
                                               uint32_t class_id) {
  core::FieldWriter w({}, "pushbuffer", "SET_OBJECT");
  const std::optional<ClassKind> kind = class_kind(class_id);
  if (!kind || *kind == ClassKind::kHost) {
    w.invalid("class_id", class_id, "SET_OBJECT binds a described compute or copy class");
    return w.result(0);
  }
  uint32_t data = 0;
  const core::EncodeResult r = encode_word(SetObject{class_id, 0}, class_id, data);
  if (!r) return r;
  uint32_t header = 0;
  const core::EncodeResult h =
      encode_method_header({SecOp::INC_METHOD, subchannel, NVC6C0_SET_OBJECT, 1}, header);
  if (!h) return h;
  if (out.size() < 2) return core::encode_no_space("pushbuffer", "SET_OBJECT", 2, out.size());
  out[0] = header;
  out[1] = data;
  return w.result(2);
}

// A host semaphore operation: the 5-word INC burst SEM_ADDR_LO, SEM_ADDR_HI, SEM_PAYLOAD_LO,
// SEM_PAYLOAD_HI, SEM_EXECUTE at 0x5C (as tinygrad sends it), optionally followed by
// NON_STALL_INTERRUPT = 0.
struct HostSemaphore {
  uint64_t address = 0;  // 4-byte aligned; 8-byte aligned with a 64-bit payload or a timestamp
  uint64_t payload = 0;  // must fit 32 bits with PAYLOAD_SIZE_32BIT
  SemExecute execute;
  bool non_stall_interrupt = false;
  bool operator==(const HostSemaphore&) const = default;
};
// tinygrad's wait: ACQ_CIRC_GEQ | 64BIT (SEM_EXECUTE 0x01000003).
constexpr HostSemaphore host_semaphore_acquire(uint64_t address, uint64_t value) {
  HostSemaphore s{address, value, {}, false};
  s.execute.operation = SemOperation::ACQ_CIRC_GEQ;
  s.execute.payload_size = SemPayloadSize::PAYLOAD_SIZE_64BIT;
  return s;
}
// tinygrad's signal: RELEASE | RELEASE_WFI | 64BIT | RELEASE_TIMESTAMP (0x03100001), then
// NON_STALL_INTERRUPT = 0. Writes {u64 value @0, u64 ns timestamp @8}.
constexpr HostSemaphore host_semaphore_release(uint64_t address, uint64_t value,
                                               bool timestamp = true) {
  HostSemaphore s{address, value, {}, true};
  s.execute.operation = SemOperation::RELEASE;
  s.execute.release_wfi = true;
  s.execute.payload_size = SemPayloadSize::PAYLOAD_SIZE_64BIT;
  s.execute.release_timestamp = timestamp;
  return s;
}
constexpr uint32_t host_semaphore_dwords(const HostSemaphore& s) {
  return s.non_stall_interrupt ? 8 : 6;
}

// SEM_ADDR_HI OFFSET: 7:0 on C56F (40-bit addresses), 24:0 on C86F and C96F (57-bit), H§3.
constexpr core::BitField sem_addr_hi_field(uint32_t host_class) {
  return host_class == AMPERE_CHANNEL_GPFIFO_A
             ? core::hex_field("offset", 0, 0, 7, "SEM_ADDR_HI OFFSET 7:0 (C56F)")
             : core::hex_field("offset", 0, 0, 24, "SEM_ADDR_HI OFFSET 24:0 (C86F, C96F)");
}
inline constexpr core::BitField NVC56F_SEM_ADDR_LO_OFFSET =
    core::address_field("offset", 0, 2, 31, "SEM_ADDR_LO OFFSET 31:2 (address bits 31:2)");

namespace detail {
constexpr core::EncodeResult encoded(uint32_t dwords, const char* engine, const char* packet) {
  core::EncodeResult r;
  r.dwords = dwords;
  r.engine = engine;
  r.packet = packet;
  return r;
}
constexpr core::EncodeResult refuse(const char* engine, const char* packet, const char* field,
                                    uint64_t value, const char* why) {
  core::FieldWriter w({}, engine, packet);
  w.invalid(field, value, why);
  return w.result(0);
}
constexpr const char* name_or(uint32_t cls) {
  const char* n = class_name(cls);
  return n != nullptr ? n : "unknown class";
}
}  // namespace detail

// Writes a host semaphore into out[0 .. host_semaphore_dwords(s)). Rules: the class is a host
// class; the address fits SEM_ADDR_HI and is 4-byte aligned (8 with a 64-bit payload or a
// timestamp); a 32-bit payload fits 32 bits; RELEASE_TIMESTAMP and RELEASE_WFI only with RELEASE
// or REDUCTION, ACQUIRE_SWITCH_TSG only with acquires.
constexpr core::EncodeResult encode_host_semaphore(std::span<uint32_t> out, uint32_t host_class,
                                                   const HostSemaphore& s,
                                                   uint8_t subchannel = kSubchHost) {
  const char* cn = detail::name_or(host_class);
  if (class_kind(host_class) != ClassKind::kHost) {
    return detail::refuse(cn, "SEM_EXECUTE", "host_class", host_class,
                          "not a described host (GPFIFO) class");
  }
  if (subchannel >= kSubchannels) {
    return detail::refuse(cn, "SEM_EXECUTE", "subchannel", subchannel, "subchannels are 0..7");
  }
  const SemExecute& e = s.execute;
  const bool release =
      e.operation == SemOperation::RELEASE || e.operation == SemOperation::REDUCTION;
  const bool wide = e.payload_size == SemPayloadSize::PAYLOAD_SIZE_64BIT || e.release_timestamp;
  if (wide && (s.address & 7) != 0) {
    return detail::refuse(cn, "SEM_ADDR_LO", "address", s.address,
                          "64-bit payloads and timestamps need an 8-byte aligned address "
                          "(natural alignment, UNCONFIRMED)");
  }
  if (e.payload_size == SemPayloadSize::PAYLOAD_SIZE_32BIT && (s.payload >> 32) != 0) {
    return detail::refuse(cn, "SEM_PAYLOAD_HI", "payload", s.payload,
                          "PAYLOAD_SIZE_32BIT carries 32 bits");
  }
  if (!release && (e.release_timestamp || e.release_wfi)) {
    return detail::refuse(cn, "SEM_EXECUTE", "release_timestamp", 1,
                          "RELEASE_TIMESTAMP and RELEASE_WFI apply to RELEASE and REDUCTION");
  }
  if (release && e.acquire_switch_tsg) {
    return detail::refuse(cn, "SEM_EXECUTE", "acquire_switch_tsg", 1,
                          "ACQUIRE_SWITCH_TSG applies to acquires");
  }
  std::array<uint32_t, 8> b{};
  b[0] = method_header(SecOp::INC_METHOD, subchannel, NVC56F_SEM_ADDR_LO, 5);
  core::FieldWriter lo(std::span<uint32_t>(b).subspan(1, 1), cn, "SEM_ADDR_LO");
  lo.set(NVC56F_SEM_ADDR_LO_OFFSET, s.address & 0xFFFFFFFFu);
  if (!lo.ok()) return lo.result(0);
  core::FieldWriter hi(std::span<uint32_t>(b).subspan(2, 1), cn, "SEM_ADDR_HI");
  hi.set(sem_addr_hi_field(host_class), s.address >> 32);
  if (!hi.ok()) return hi.result(0);
  b[3] = static_cast<uint32_t>(s.payload);
  b[4] = static_cast<uint32_t>(s.payload >> 32);
  const core::EncodeResult x = encode_word(e, host_class, b[5]);
  if (!x) return x;
  uint32_t n = 6;
  if (s.non_stall_interrupt) {
    b[6] = method_header(SecOp::INC_METHOD, subchannel, NVC56F_NON_STALL_INTERRUPT, 1);
    b[7] = 0;  // HANDLE
    n = 8;
  }
  if (out.size() < n) return core::encode_no_space(cn, "SEM_EXECUTE", n, out.size());
  for (uint32_t i = 0; i < n; ++i) out[i] = b[i];
  return detail::encoded(n, cn, "SEM_EXECUTE");
}

// SEND_PCAS_A (31:0 = QMD address >> 8) then SEND_SIGNALING_PCAS2_B = `action`: the launch of a QMD
// in memory, 4 dwords (fact sheet §4.5 launch step 3, H§5 step 12). The QMD address must be
// 256-byte aligned and below 2^40.
inline constexpr core::BitField NVC6C0_SEND_PCAS_A_QMD_ADDRESS_SHIFTED8 =
    core::hex_field("qmd_address_shifted8", 0, 0, 31, "QMD_ADDRESS_SHIFTED8 31:0 = QMD VA >> 8");
constexpr core::EncodeResult encode_send_pcas(std::span<uint32_t> out, uint32_t compute_class,
                                              uint64_t qmd_address, PcasAction action,
                                              uint8_t subchannel = kSubchCompute) {
  const char* cn = detail::name_or(compute_class);
  if (class_kind(compute_class) != ClassKind::kCompute) {
    return detail::refuse(cn, "SEND_PCAS_A", "compute_class", compute_class,
                          "not a described compute class");
  }
  if (subchannel >= kSubchannels) {
    return detail::refuse(cn, "SEND_PCAS_A", "subchannel", subchannel, "subchannels are 0..7");
  }
  if ((qmd_address & 0xFF) != 0 || (qmd_address >> 40) != 0) {
    return detail::refuse(
        cn, "SEND_PCAS_A", "qmd_address", qmd_address,
        "a QMD must be 256-byte aligned and below 2^40 (address >> 8 in 32 bits)");
  }
  std::array<uint32_t, 4> b{};
  b[0] = method_header(SecOp::INC_METHOD, subchannel, NVC6C0_SEND_PCAS_A, 1);
  b[1] = static_cast<uint32_t>(qmd_address >> 8);
  b[2] = method_header(SecOp::INC_METHOD, subchannel, NVC6C0_SEND_SIGNALING_PCAS2_B, 1);
  const core::EncodeResult x = encode_word(SendSignalingPcas2B{action, 0, 0}, compute_class, b[3]);
  if (!x) return x;
  if (out.size() < 4) return core::encode_no_space(cn, "SEND_PCAS_A", 4, out.size());
  for (uint32_t i = 0; i < 4; ++i) out[i] = b[i];
  return detail::encoded(4, cn, "SEND_PCAS_A");
}

// QMD size a compute class takes: 64 dwords (V03_00) before Hopper, 96 (V04_00, V05_00) after.
constexpr uint32_t qmd_dwords_for_class(uint32_t compute_class) {
  return is_hopper_or_later_compute(compute_class) ? 96 : 64;
}

// The QMD handed over in the pushbuffer (cuda_ioctl_sniffer's launch, fact sheet §4.5):
// SET_INLINE_QMD_ADDRESS_A/B (where the QMD lives) then LOAD_INLINE_QMD_DATA(0 .. n-1), as one
// INC burst of 2 + n words at 0x318: 3 + n dwords. n must be the class's QMD size (64 or 96
// dwords; 96 sets INLINE_SIZE 384). The address must be 256-byte aligned.
constexpr core::EncodeResult encode_inline_qmd(std::span<uint32_t> out, uint32_t compute_class,
                                               uint64_t qmd_address, std::span<const uint32_t> qmd,
                                               uint8_t subchannel = kSubchCompute) {
  const char* cn = detail::name_or(compute_class);
  if (class_kind(compute_class) != ClassKind::kCompute) {
    return detail::refuse(cn, "SET_INLINE_QMD_ADDRESS_A", "compute_class", compute_class,
                          "not a described compute class");
  }
  if (subchannel >= kSubchannels) {
    return detail::refuse(cn, "SET_INLINE_QMD_ADDRESS_A", "subchannel", subchannel,
                          "subchannels are 0..7");
  }
  const uint32_t n = qmd_dwords_for_class(compute_class);
  if (qmd.size() != n) {
    return detail::refuse(
        cn, "LOAD_INLINE_QMD_DATA", "qmd_dwords", qmd.size(),
        "the QMD must have the class's size (64 dwords V03_00, 96 V04_00/V05_00)");
  }
  if ((qmd_address & 0xFF) != 0) {
    return detail::refuse(cn, "SET_INLINE_QMD_ADDRESS_A", "qmd_address", qmd_address,
                          "a QMD must be 256-byte aligned");
  }
  uint32_t a = 0;
  const SetInlineQmdAddressA sa{static_cast<uint32_t>(qmd_address >> 40),
                                n == 96 ? InlineSize::INLINE_384 : InlineSize::INLINE_256};
  if ((qmd_address >> 40) > 0xFFFFFFFFu) {
    return detail::refuse(cn, "SET_INLINE_QMD_ADDRESS_A", "qmd_address", qmd_address,
                          "the address does not fit QMD_ADDRESS_SHIFTED8_UPPER");
  }
  const core::EncodeResult x = encode_word(sa, compute_class, a);
  if (!x) return x;
  if (out.size() < 3 + n) {
    return core::encode_no_space(cn, "LOAD_INLINE_QMD_DATA", 3 + n, out.size());
  }
  out[0] = method_header(SecOp::INC_METHOD, subchannel, NVC6C0_SET_INLINE_QMD_ADDRESS_A, 2 + n);
  out[1] = a;
  out[2] = static_cast<uint32_t>(qmd_address >> 8);
  for (uint32_t i = 0; i < n; ++i) out[3 + i] = qmd[i];
  return detail::encoded(3 + n, cn, "LOAD_INLINE_QMD_DATA");
}

// Upper-address fields of the copy classes: 16:0 on C6B5/C7B5, 24:0 on C8B5 and later (H§3).
constexpr core::BitField copy_upper_field(uint32_t copy_class, const char* name) {
  return is_hopper_or_later_copy(copy_class)
             ? core::hex_field(name, 0, 0, 24, "address bits 56:32 (C8B5+: 24:0)")
             : core::hex_field(name, 0, 0, 16, "address bits 48:32 (C6B5, C7B5: 16:0)");
}

// tinygrad copies at most 2 GiB per LAUNCH_DMA (LINE_LENGTH_IN is 32 bits).
inline constexpr uint64_t kCopyMaxChunk = uint64_t{1} << 31;
inline constexpr uint32_t kCopyChunkDwords = 9;
constexpr uint64_t copy_dwords(uint64_t bytes) {
  return (bytes + kCopyMaxChunk - 1) / kCopyMaxChunk * kCopyChunkDwords;
}

// A linear copy of `bytes` from src to dst as tinygrad sends it (fact sheet §4.6), per chunk of at
// most kCopyMaxChunk: OFFSET_IN_UPPER..OFFSET_OUT_LOWER (INC of 4), LINE_LENGTH_IN, LAUNCH_DMA =
// NON_PIPELINED | SRC_PITCH | DST_PITCH (0x182): 9 dwords a chunk. bytes == 0 writes nothing.
constexpr core::EncodeResult encode_copy(std::span<uint32_t> out, uint32_t copy_class, uint64_t dst,
                                         uint64_t src, uint64_t bytes,
                                         uint8_t subchannel = kSubchCopy) {
  const char* cn = detail::name_or(copy_class);
  if (class_kind(copy_class) != ClassKind::kCopy) {
    return detail::refuse(cn, "LAUNCH_DMA", "copy_class", copy_class, "not a described copy class");
  }
  if (subchannel >= kSubchannels) {
    return detail::refuse(cn, "LAUNCH_DMA", "subchannel", subchannel, "subchannels are 0..7");
  }
  const core::BitField upper = copy_upper_field(copy_class, "upper");
  const uint64_t last = bytes == 0 ? 0 : bytes - 1;
  if (src + last < src || dst + last < dst || !core::field_fits(upper, (src + last) >> 32) ||
      !core::field_fits(upper, (dst + last) >> 32)) {
    return detail::refuse(cn, "OFFSET_IN_UPPER", "address", (src + last) > (dst + last) ? src : dst,
                          "the copy runs past the class's address range");
  }
  CopyLaunchDma l;
  l.data_transfer_type = DataTransferType::NON_PIPELINED;
  l.src_memory_layout = MemoryLayout::PITCH;
  l.dst_memory_layout = MemoryLayout::PITCH;
  uint32_t launch = 0;
  const core::EncodeResult x = encode_word(l, copy_class, launch);
  if (!x) return x;
  const uint64_t need = copy_dwords(bytes);
  if (need > out.size()) return core::encode_no_space(cn, "LAUNCH_DMA", need, out.size());
  uint32_t put = 0;
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t n = bytes - done < kCopyMaxChunk ? bytes - done : kCopyMaxChunk;
    const uint64_t s = src + done, d = dst + done;
    out[put++] = method_header(SecOp::INC_METHOD, subchannel, NVC6B5_OFFSET_IN_UPPER, 4);
    out[put++] = static_cast<uint32_t>(s >> 32);
    out[put++] = static_cast<uint32_t>(s);
    out[put++] = static_cast<uint32_t>(d >> 32);
    out[put++] = static_cast<uint32_t>(d);
    out[put++] = method_header(SecOp::INC_METHOD, subchannel, NVC6B5_LINE_LENGTH_IN, 1);
    out[put++] = static_cast<uint32_t>(n);
    out[put++] = method_header(SecOp::INC_METHOD, subchannel, NVC6B5_LAUNCH_DMA, 1);
    out[put++] = launch;
    done += n;
  }
  return detail::encoded(put, cn, "LAUNCH_DMA");
}

// A copy-engine semaphore release: SET_SEMAPHORE_A/B/PAYLOAD (+ PAYLOAD_UPPER), then LAUNCH_DMA
// with FLUSH_ENABLE and SEMAPHORE_TYPE (fact sheet §4.6: tinygrad's signal is LAUNCH_DMA 0x14 =
// FLUSH_ENABLE | RELEASE_SEMAPHORE_WITH_TIMESTAMP, a 16-byte record {payload @0, timestamp @8}).
// A 64-bit payload needs C7B5 or later (SET_SEMAPHORE_PAYLOAD_UPPER + SEMAPHORE_PAYLOAD_SIZE
// TWO_WORD, H§3 / H§5 step 16).
struct CopySemaphore {
  uint64_t address = 0;  // 4-byte aligned; 8 with a timestamp or a 64-bit payload (UNCONFIRMED)
  uint64_t payload = 0;
  bool timestamp = true;
  bool payload_64bit = false;
  bool operator==(const CopySemaphore&) const = default;
};
constexpr uint32_t copy_semaphore_dwords(const CopySemaphore& s) { return s.payload_64bit ? 7 : 6; }
constexpr core::EncodeResult encode_copy_semaphore(std::span<uint32_t> out, uint32_t copy_class,
                                                   const CopySemaphore& s,
                                                   uint8_t subchannel = kSubchCopy) {
  const char* cn = detail::name_or(copy_class);
  if (class_kind(copy_class) != ClassKind::kCopy) {
    return detail::refuse(cn, "SET_SEMAPHORE_A", "copy_class", copy_class,
                          "not a described copy class");
  }
  if (subchannel >= kSubchannels) {
    return detail::refuse(cn, "SET_SEMAPHORE_A", "subchannel", subchannel, "subchannels are 0..7");
  }
  if (s.payload_64bit && copy_class == AMPERE_DMA_COPY_A) {
    return detail::refuse(cn, "SET_SEMAPHORE_PAYLOAD_UPPER", "payload_64bit", 1,
                          "AMPERE_DMA_COPY_A has no SET_SEMAPHORE_PAYLOAD_UPPER");
  }
  if (!s.payload_64bit && (s.payload >> 32) != 0) {
    return detail::refuse(cn, "SET_SEMAPHORE_PAYLOAD", "payload", s.payload,
                          "a one-word payload carries 32 bits (set payload_64bit)");
  }
  const uint64_t align = (s.timestamp || s.payload_64bit) ? 8 : 4;
  if ((s.address & (align - 1)) != 0) {
    return detail::refuse(cn, "SET_SEMAPHORE_B", "address", s.address,
                          "the semaphore must be 4-byte aligned, 8 with a timestamp or a 64-bit "
                          "payload (natural alignment, UNCONFIRMED)");
  }
  std::array<uint32_t, 7> b{};
  core::FieldWriter a(std::span<uint32_t>(b).subspan(1, 1), cn, "SET_SEMAPHORE_A");
  a.set(copy_upper_field(copy_class, "upper"), s.address >> 32);
  if (!a.ok()) return a.result(0);
  const uint32_t words = s.payload_64bit ? 4 : 3;
  b[0] = method_header(SecOp::INC_METHOD, subchannel, NVC6B5_SET_SEMAPHORE_A, words);
  b[2] = static_cast<uint32_t>(s.address);
  b[3] = static_cast<uint32_t>(s.payload);
  if (s.payload_64bit) b[4] = static_cast<uint32_t>(s.payload >> 32);
  CopyLaunchDma l;
  l.flush_enable = true;
  l.semaphore_type = s.timestamp ? SemaphoreType::RELEASE_SEMAPHORE_WITH_TIMESTAMP
                                 : SemaphoreType::RELEASE_SEMAPHORE_NO_TIMESTAMP;
  l.semaphore_payload_size =
      s.payload_64bit ? SemaphorePayloadSize::TWO_WORD : SemaphorePayloadSize::ONE_WORD;
  b[1 + words] = method_header(SecOp::INC_METHOD, subchannel, NVC6B5_LAUNCH_DMA, 1);
  const core::EncodeResult x = encode_word(l, copy_class, b[2 + words]);
  if (!x) return x;
  const uint32_t n = 3 + words;
  if (out.size() < n) return core::encode_no_space(cn, "SET_SEMAPHORE_A", n, out.size());
  for (uint32_t i = 0; i < n; ++i) out[i] = b[i];
  return detail::encoded(n, cn, "LAUNCH_DMA");
}

// ---- GPFIFO entries (fact sheet §4.1; clc56f.h NVC56F_GP_ENTRY*, identical in C86F/C96F) -----

enum class GpFetch : uint8_t { UNCONDITIONAL = 0, CONDITIONAL = 1 };
enum class GpLevel : uint8_t { MAIN = 0, SUBROUTINE = 1 };
enum class GpSync : uint8_t { PROCEED = 0, WAIT = 1 };
inline constexpr core::EnumName kGpFetchNames[] = {{0, "UNCONDITIONAL"}, {1, "CONDITIONAL"}};
inline constexpr core::EnumName kGpLevelNames[] = {{0, "MAIN"}, {1, "SUBROUTINE"}};
inline constexpr core::EnumName kGpSyncNames[] = {{0, "PROCEED"}, {1, "WAIT"}};

// Rows over the entry read as two little-endian dwords (GP_ENTRY0, GP_ENTRY1). Bits 1 and 40
// (GP_ENTRY1 bit 8, PRIV on pre-Volta classes) are in no field.
inline constexpr core::BitField kGpEntryFields[] = {
    core::enum_field("fetch", 0, 0, 0, kGpFetchNames, "GP_ENTRY0_FETCH 0").quiet(),
    core::address_field("get", 0, 2, 39,
                        "GP_ENTRY0_GET 31:2 + GP_ENTRY1_GET_HI 7:0: pushbuffer VA bits 39:2"),
    core::enum_field("level", 0, 41, 41, kGpLevelNames, "GP_ENTRY1_LEVEL 9"),
    core::uint_field("length", 0, 42, 62, "GP_ENTRY1_LENGTH 30:10: dwords"),
    core::enum_field("sync", 0, 63, 63, kGpSyncNames, "GP_ENTRY1_SYNC 31").quiet(),
};
inline constexpr core::PacketLayout kGpEntryLayout{"GP_ENTRY", kGpEntryFields, 2, nullptr};

// One GPFIFO ring entry: run `length` dwords of pushbuffer at `address`. tinygrad and
// cuda_ioctl_sniffer set LEVEL = SUBROUTINE: `(va & ~3) | (ndwords << 42) | (1 << 41)`.
struct GpfifoEntry {
  uint64_t address = 0;  // 4-byte aligned, below 2^40
  uint32_t length = 0;   // dwords, 1 .. 2^21 - 1
  GpLevel level = GpLevel::SUBROUTINE;
  GpSync sync = GpSync::PROCEED;
  GpFetch fetch = GpFetch::UNCONDITIONAL;
  bool operator==(const GpfifoEntry&) const = default;
};

// The u64 entry. LENGTH 0 would make a control entry (GP_ENTRY1_OPCODE), which is not described:
// refused. Pushbuffers at or above 2^40 need a SET_PB_SEGMENT_EXTENDED_BASE control entry
// (H§3): refused.
constexpr core::EncodeResult encode_gpfifo_entry(const GpfifoEntry& e, uint64_t& out) {
  std::array<uint32_t, 2> w{};
  core::FieldWriter fw(w, "GPFIFO", "GP_ENTRY");
  fw.set(kGpEntryFields[0], detail::to_u64(e.fetch));
  fw.set(kGpEntryFields[1], e.address);
  fw.set(kGpEntryFields[2], detail::to_u64(e.level));
  fw.set(kGpEntryFields[3], e.length);
  fw.set(kGpEntryFields[4], detail::to_u64(e.sync));
  if (e.length == 0) fw.invalid("length", 0, "LENGTH 0 makes a control entry (not described)");
  if (fw.ok()) out = w[0] | (uint64_t{w[1]} << 32);
  return fw.result(2);
}
// The entry in `slot` (for the error message); refuses control entries (LENGTH 0), bits 1 and 40.
core::Result<GpfifoEntry> decode_gpfifo_entry(uint64_t entry, uint32_t slot = 0);
// "GP_ENTRY{get=0x10000, level=SUBROUTINE, length=12}"
std::string format_gpfifo_entry(uint64_t entry);

// ---- submission: USERD GP_PUT and the doorbell (fact sheet §4.2, H§3) -------------------------

// USERD (AmpereAControlGPFifo / Nvc86fControl / Nvc96fControl, 512 bytes at hUserdMemory +
// userdOffset): GPGet 0x88 (read-only for the CPU), GPPut 0x8C.
inline constexpr uint32_t kUserdBytes = 0x200;
inline constexpr uint32_t kUserdGpGetOffset = 0x88;
inline constexpr uint32_t kUserdGpPutOffset = 0x8C;
// The doorbell: the usermode page (TURING_USERMODE_A / HOPPER_USERMODE_A, 64 KiB mapping) at
// NVC361_NOTIFY_CHANNEL_PENDING takes the channel's work-submit token (clc361.h).
inline constexpr uint32_t kUsermodeBytes = 0x10000;
inline constexpr uint32_t NVC361_NOTIFY_CHANNEL_PENDING = 0x90;

namespace detail {
inline uint32_t& userd_word(void* userd, uint32_t offset) {
  return *reinterpret_cast<uint32_t*>(static_cast<std::byte*>(userd) + offset);
}
}  // namespace detail

// Hands ring entries [old GP_PUT, gp_put) to the GPU; no system call. Order (tinygrad, §4.2): the
// ring entries and the pushbuffers they point at are plain stores made before; GP_PUT is stored
// into USERD with release ordering; a full fence (x86: mfence) drains it to the device before the
// doorbell store of the work-submit token, which makes the host fetch. `doorbell` is the
// usermode mapping + NVC361_NOTIFY_CHANNEL_PENDING. (On Arm, whether the seq_cst fence orders the
// device-memory doorbell store is UNCONFIRMED.)
inline void publish_gp_put(void* userd, uint32_t* doorbell, uint32_t gp_put,
                           uint32_t work_submit_token) {
  std::atomic_ref<uint32_t>(detail::userd_word(userd, kUserdGpPutOffset))
      .store(gp_put, std::memory_order_release);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  *static_cast<volatile uint32_t*>(doorbell) = work_submit_token;
}
// Stores `entry` in ring[put % ring.size()] and publishes put + 1 (mod ring size). Returns the new
// GP_PUT. The caller makes sure the slot is free (GP_GET, or timeline waits as tinygrad does).
inline uint32_t submit_gpfifo(std::span<uint64_t> ring, uint32_t put, uint64_t entry, void* userd,
                              uint32_t* doorbell, uint32_t work_submit_token) {
  const auto n = static_cast<uint32_t>(ring.size());
  ring[put % n] = entry;
  const uint32_t next = (put + 1) % n;
  publish_gp_put(userd, doorbell, next, work_submit_token);
  return next;
}
// GP_PUT / GP_GET as the other side sees them (acquire loads): the simulator's host reads
// GP_PUT, the runtime reads GP_GET.
inline uint32_t read_gp_put(void* userd) {
  return std::atomic_ref<uint32_t>(detail::userd_word(userd, kUserdGpPutOffset))
      .load(std::memory_order_acquire);
}
inline uint32_t read_gp_get(void* userd) {
  return std::atomic_ref<uint32_t>(detail::userd_word(userd, kUserdGpGetOffset))
      .load(std::memory_order_acquire);
}

// ---- pushbuffer decoding -----------------------------------------------------------------------

// One method header and its data words.
struct PushbufferEntry {
  uint32_t offset = 0;  // dword offset of the header, `base` included
  MethodHeader header;
  std::span<const uint32_t> data;  // the data words; empty for IMMD and END_PB_SEGMENT

  uint32_t dwords() const { return 1 + static_cast<uint32_t>(data.size()); }
  // Method writes: the data words, 1 for IMMD_DATA_METHOD, 0 for END_PB_SEGMENT.
  uint32_t writes() const;
  // Byte address and value of write i, and the dword offset it came from.
  uint32_t method_of(uint32_t i) const;
  uint32_t value_of(uint32_t i) const;
  uint32_t offset_of(uint32_t i) const;
};

// Decodes the header at pb[offset] and checks its data words are inside pb. Errors
// (kInvalidInput, op "pushbuffer header at dword N"): SEC_OP not described, reserved bit 12,
// count that runs past the end, offset past the end. Allocation-free on success.
core::Result<PushbufferEntry> decode_entry(std::span<const uint32_t> pb, uint32_t offset,
                                           uint32_t base = 0);

// What the decoder knows about a channel: its host class, and the class bound to each subchannel
// (0 = none; SET_OBJECT in the stream updates it).
struct ChannelState {
  uint32_t host_class = 0;
  std::array<uint32_t, kSubchannels> subchannel_class{};
};

// One method write resolved against the class tables.
struct MethodWrite {
  uint32_t offset = 0;  // dword offset of the data word (IMMD: of the header), base included
  SecOp sec_op = SecOp::INC_METHOD;
  uint8_t subchannel = 0;
  uint16_t method = 0;  // byte address
  uint32_t data = 0;
  const ClassDesc* cls = nullptr;    // the class whose table holds the method
  const MethodDesc* desc = nullptr;  // nullptr: the table has no method at this address
  uint16_t index = 0;                // element of an array method

  // "HOPPER_COMPUTE_A.LOAD_INLINE_QMD_DATA(5)"; unknown: "HOPPER_COMPUTE_A.METHOD_0x1234".
  std::string name() const;
  // name() + "{field=value, ...}" (bool fields that are 0 left out); unknown: "{data=0x…}".
  std::string text() const;
  // The value of data-word field `field`, nullopt if the method has none by that name.
  std::optional<uint64_t> field(std::string_view field) const;
};

// Resolves write i of `e` in channel `st`: methods below 0x100 go to the host class, others to
// the subchannel's class; SET_OBJECT (method 0) binds the subchannel first. Errors name the dword
// offset: a SET_OBJECT of an unknown (or host) class, a method on a subchannel with nothing
// bound, data bits no field of a known method covers, an enum value outside its table.
core::Result<MethodWrite> resolve_write(ChannelState& st, const PushbufferEntry& e, uint32_t i);

// Walks `pb` from its start: fn(const MethodWrite&) for every write, in order; fn returns false
// to stop. Stops after END_PB_SEGMENT. Returns the first malformed header or write. No allocation
// on success.
template <class Fn>
core::Status walk_pushbuffer(std::span<const uint32_t> pb, ChannelState& st, Fn&& fn,
                             uint32_t base = 0) {
  for (uint32_t off = 0; off < pb.size();) {
    core::Result<PushbufferEntry> e = decode_entry(pb, off, base);
    if (!e.ok()) return std::move(e).error();
    if (e->header.sec_op == SecOp::END_PB_SEGMENT) break;
    for (uint32_t i = 0; i < e->writes(); ++i) {
      core::Result<MethodWrite> w = resolve_write(st, *e, i);
      if (!w.ok()) return std::move(w).error();
      if (!fn(*w)) return {};
    }
    off += e->dwords();
  }
  return {};
}
// Every write of `pb` (convenience for tools and tests).
core::Result<std::vector<MethodWrite>> decode_pushbuffer(std::span<const uint32_t> pb,
                                                         ChannelState& st, uint32_t base = 0);
// One line per write: "0x0010: subch 1 HOPPER_COMPUTE_A.SEND_PCAS_A{qmd_address_shifted8=0x10}",
// NON_INC/ONE_INC/IMMD writes marked " [NON_INC]" …, "0x0020: END_PB_SEGMENT"; the first problem
// ends the walk with "0x0014: error: <Error::message()>".
std::string disassemble_pushbuffer(std::span<const uint32_t> pb, ChannelState st,
                                   uint32_t base = 0);

// ---- QMD (fact sheet §5, H§1)
// --------------------------------------------------------------------

// V03_00: Ampere and Ada (C6C0, C7C0, C9C0), 64 dwords. V04_00: Hopper (CBC0), 96 dwords.
// V05_00: Blackwell (CDC0, CEC0), 96 dwords. Tables: open-gpu-doc clc9c0qmd.h, clcbc0qmd.h,
// clcec0qmd.h.
enum class QmdVersion : uint8_t { V03_00, V04_00, V05_00 };
const char* qmd_version_name(QmdVersion v);  // "V04_00"
constexpr uint32_t qmd_dwords(QmdVersion v) { return v == QmdVersion::V03_00 ? 64 : 96; }
// QMDs are handed over as address >> 8 (SEND_PCAS_A, DEPENDENT_QMD*_POINTER): 256-byte aligned.
inline constexpr uint32_t kQmdAlignment = 256;
constexpr std::optional<QmdVersion> qmd_version_of(uint32_t compute_class) {
  switch (compute_class) {
    case AMPERE_COMPUTE_A:
    case AMPERE_COMPUTE_B:
    case ADA_COMPUTE_A: return QmdVersion::V03_00;
    case HOPPER_COMPUTE_A: return QmdVersion::V04_00;
    case BLACKWELL_COMPUTE_A:
    case BLACKWELL_COMPUTE_B: return QmdVersion::V05_00;
    default: return std::nullopt;
  }
}
// The MIN/MAX/TARGET_SM_CONFIG_SHARED_MEM_SIZE code of a carveout: KiB / 4 + 1 (H§1.3).
constexpr uint8_t sm_config_shared_mem_code(uint32_t carveout_kib) {
  return static_cast<uint8_t>(carveout_kib / 4 + 1);
}

enum class QmdType : uint8_t {
  QUEUE = 0,
  GRID_NULL = 1,
  GRID_CTA = 2,  // a plain grid (V03_00: IS_QUEUE = 0)
  GRID_GPC_CGA = 3,
  GRID_GPU_CGA = 4,
  GRID_GPU_GPC_CGA = 5,
};
enum class ApiVisibleCallLimit : uint8_t { LIMIT_32 = 0, NO_CHECK = 1 };  // _32, NO_CHECK
enum class SamplerIndex : uint8_t { INDEPENDENTLY = 0, VIA_HEADER_INDEX = 1 };
enum class CwdMembarType : uint8_t { L1_NONE = 0, L1_SYSMEMBAR = 1, L1_MEMBAR = 3 };
enum class ProgramPrefetchType : uint8_t { PREFETCH_LAUNCH = 0, PREFTECH_POST = 1 };  // sic
enum class ReleaseStructureSize : uint8_t {
  SEMAPHORE_FOUR_WORDS = 0,  // payload, then a timestamp at +8 (UNCONFIRMED on Hopper, H§1.5)
  SEMAPHORE_ONE_WORD = 1,
  SEMAPHORE_TWO_WORDS = 2,
};
enum class ReleaseMembarType : uint8_t { FE_NONE = 0, FE_SYSMEMBAR = 1 };
enum class ReductionOp : uint8_t {
  RED_ADD,
  RED_MIN,
  RED_MAX,
  RED_INC,
  RED_DEC,
  RED_AND,
  RED_OR,
  RED_XOR
};
enum class ReductionFormat : uint8_t { UNSIGNED = 0, SIGNED = 1 };
enum class ReleaseTrapType : uint8_t {
  TRAP_NONE = 0,
  TRAP_UNCONDITIONAL = 1,
  TRAP_CONDITIONAL = 2,
  TRAP_CONDITIONAL_EXT = 3,
};
enum class DependentQmdAction : uint8_t {
  QMD_INCREMENT_PUT = 0,
  QMD_SCHEDULE = 1,
  QMD_INVALIDATE_COPY_SCHEDULE = 3,
  QMD_DECREMENT_DEPENDENCE = 4,
};

// Constant buffer slot i (CONSTANT_BUFFER_*(i)). V03_00 stores the address in bytes; V04_00 and
// V05_00 store address >> 6 (64-byte aligned). SIZE_SHIFTED4 holds size >> 4 in every version, as
// the header names it and NVK writes it (tinygrad writes the byte count on V03_00; which one the
// hardware means there is UNCONFIRMED, fact sheet §10 q7).
struct QmdConstantBuffer {
  bool valid = false;
  bool invalidate = false;
  uint64_t address = 0;
  uint32_t size = 0;  // bytes, a multiple of 16, below 2^17
  bool operator==(const QmdConstantBuffer&) const = default;
};
// Release semaphore slot i: when the grid completes, the SM writes `payload` (FOUR_WORDS: and a
// timestamp at +8) to `address` — the QMD form of a signal (fact sheet §5 note 2, H§1.5).
struct QmdRelease {
  bool enable = false;
  uint64_t address = 0;  // V03_00: 40 bits; V04_00/V05_00: 57 bits
  uint64_t payload = 0;
  ReleaseStructureSize structure_size = ReleaseStructureSize::SEMAPHORE_FOUR_WORDS;
  ReleaseMembarType membar_type = ReleaseMembarType::FE_NONE;
  bool reduction_enable = false;
  ReductionOp reduction_op = ReductionOp::RED_ADD;
  ReductionFormat reduction_format = ReductionFormat::UNSIGNED;
  ReleaseTrapType trap_type = ReleaseTrapType::TRAP_NONE;
  bool payload64b = false;  // 0: only 32 bits are guaranteed (UNCONFIRMED, fact sheet §10 q6)
  bool operator==(const QmdRelease&) const = default;
};
// Dependent QMD slot i: what to do with another QMD when this one completes (chaining).
// V03_00 has no pointer for slot 1.
struct QmdDependentQmd {
  bool enable = false;
  DependentQmdAction action = DependentQmdAction::QMD_INCREMENT_PUT;
  bool prefetch = false;
  uint64_t qmd_address = 0;  // 256-byte aligned, below 2^40 (POINTER = address >> 8)
  bool operator==(const QmdDependentQmd&) const = default;
};

// A dispatch, independent of the QMD version. Defaults are the values the fact sheet recommends
// for a plain grid (H§1.2, tinygrad's V3/V5 writer): GRID_CTA, group 0x3F, NO_CHECK,
// VIA_HEADER_INDEX, L1_SYSMEMBAR, the four texture/data cache invalidates.
struct QmdParams {
  QmdType qmd_type = QmdType::GRID_CTA;  // V03_00: only QUEUE or GRID_CTA (IS_QUEUE)
  uint8_t qmd_group_id = 0x3F;
  std::array<uint32_t, 3> grid = {1, 1, 1};   // CTAs: width (32 bits), height, depth (16 bits)
  std::array<uint16_t, 3> block = {1, 1, 1};  // CTA_THREAD_DIMENSION0..2 (V05_00: dim 2 8 bits)
  uint16_t register_count = 0;                // 9 bits
  uint8_t barrier_count = 0;                  // 5 bits
  uint64_t program_address = 0;               // code VA (V05_00: 16-byte aligned)
  uint64_t program_prefetch_address = 0;      // 256-byte aligned
  uint16_t program_prefetch_size = 0;         // 256-byte units, 9 bits
  ProgramPrefetchType program_prefetch_type = ProgramPrefetchType::PREFETCH_LAUNCH;
  uint32_t shared_memory_size = 0;  // bytes (V05_00: a multiple of 128)
  uint8_t min_sm_config_shared_mem_size = 0;
  uint8_t max_sm_config_shared_mem_size = 0;
  uint8_t target_sm_config_shared_mem_size = 0;
  bool shared_allocation_enable = false;
  uint32_t shader_local_memory_low_size = 0;   // bytes per thread (V05_00: multiple of 16)
  uint32_t shader_local_memory_high_size = 0;  // bytes per thread (V05_00: multiple of 16)
  uint8_t sass_version = 0;                    // e.g. 0x86, 0x90
  ApiVisibleCallLimit api_visible_call_limit = ApiVisibleCallLimit::NO_CHECK;
  SamplerIndex sampler_index = SamplerIndex::VIA_HEADER_INDEX;
  CwdMembarType cwd_membar_type = CwdMembarType::L1_SYSMEMBAR;
  bool invalidate_texture_header_cache = true;
  bool invalidate_texture_sampler_cache = true;
  bool invalidate_texture_data_cache = true;
  bool invalidate_shader_data_cache = true;
  bool invalidate_instruction_cache = false;
  bool invalidate_shader_constant_cache = false;
  bool sm_global_caching_enable = false;  // V03_00 only (tinygrad sets it there)
  std::array<QmdConstantBuffer, 8> constant_buffer{};
  std::array<QmdRelease, 3> release{};
  std::array<QmdDependentQmd, 2> dependent_qmd{};
  bool operator==(const QmdParams&) const = default;
};

// Which QmdParams member a QMD row holds (slot: constant buffer, release or dependent index).
enum class QmdKey : uint8_t {
  kNone,  // a field rawgpu does not set: 0 when encoding, refused non-zero by decode_qmd
  kMajorVersion,
  kMinorVersion,
  kQmdType,
  kQmdGroupId,
  kGrid,
  kBlock,
  kRegisterCount,
  kBarrierCount,
  kProgramAddress,
  kProgramPrefetchAddress,
  kProgramPrefetchSize,
  kProgramPrefetchType,
  kSharedMemorySize,
  kMinSmConfigSharedMemSize,
  kMaxSmConfigSharedMemSize,
  kTargetSmConfigSharedMemSize,
  kSharedAllocationEnable,
  kShaderLocalMemoryLowSize,
  kShaderLocalMemoryHighSize,
  kSassVersion,
  kApiVisibleCallLimit,
  kSamplerIndex,
  kCwdMembarType,
  kInvalidateTextureHeaderCache,
  kInvalidateTextureSamplerCache,
  kInvalidateTextureDataCache,
  kInvalidateShaderDataCache,
  kInvalidateInstructionCache,
  kInvalidateShaderConstantCache,
  kSmGlobalCachingEnable,
  kConstantBufferValid,
  kConstantBufferInvalidate,
  kConstantBufferAddress,
  kConstantBufferSize,
  kReleaseEnable,
  kReleaseAddress,
  kReleasePayload,
  kReleaseStructureSize,
  kReleaseMembarType,
  kReleaseReductionEnable,
  kReleaseReductionOp,
  kReleaseReductionFormat,
  kReleaseTrapType,
  kReleasePayload64b,
  kDependentQmdEnable,
  kDependentQmdAction,
  kDependentQmdPrefetch,
  kDependentQmdAddress,
};

// One QMD field as NVIDIA names and places it (`bits`: the raw stored value; dword = lo / 32 of
// the header's MW(hi:lo)), and the QmdParams member it carries: the row holds
// (member >> value_shift) — a "_SHIFTED6" address, or the upper half of a LOWER/UPPER pair.
struct QmdField {
  core::BitField bits;
  QmdKey key = QmdKey::kNone;
  uint8_t slot = 0;
  uint8_t value_shift = 0;
};

// Every field of a version, in bit order.
std::span<const QmdField> qmd_fields(QmdVersion v);
// The rows as a core::PacketLayout (fixed_dwords = qmd_dwords(v)), for find_field_problem and
// format_packet.
const core::PacketLayout& qmd_layout(QmdVersion v);

// Builds the QMD in out[0 .. qmd_dwords(v)) (all of it: unknown bits zero). Every member is
// checked against its rows (too wide, misaligned for a _SHIFTED field, a member the version does
// not have but is non-zero); on failure nothing is written. Allocation-free.
core::EncodeResult encode_qmd(std::span<uint32_t> out, QmdVersion v, const QmdParams& p);
// Patches one member in an encoded QMD (grid size, constant buffer address, release payload,
// dependent pointer …); checked like encode_qmd, nothing written on failure.
core::EncodeResult set_qmd_value(std::span<uint32_t> qmd, QmdVersion v, QmdKey key, uint8_t slot,
                                 uint64_t value);
// The dispatch a QMD describes. Refuses (kInvalidInput, op "QMD V04_00"): a short buffer, a
// QMD_MAJOR/MINOR_VERSION other than the version's, bits no field covers, enum values outside
// their tables, and non-zero fields QmdParams cannot hold (cluster shapes, TPC masks, queue
// fields …), naming the field.
core::Result<QmdParams> decode_qmd(std::span<const uint32_t> qmd, QmdVersion v);
// "QMD_V04_00{QMD_GROUP_ID=0x3f, QMD_TYPE=GRID_CTA, ...}": every non-zero field by NVIDIA's name,
// then any set bits no field covers as "reserved=[dword 5: 0x00000100]". Never fails.
std::string format_qmd(std::span<const uint32_t> qmd, QmdVersion v);

}  // namespace rawgpu::nv
