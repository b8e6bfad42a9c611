// rawgpu — bit-field descriptions of hardware command packets (STYLE rule 5).
//
// A packet is described once, as a list of BitField rows {name, dword, lo, hi, kind, doc}. The
// same rows drive the encoder (set_field / FieldWriter: checks that every value fits, never
// truncates), the validator (find_field_problem: reserved bits set, enum values out of table) and
// the printer (format_packet: "NAME{field=value, ...}" with enum names). Backends (kfd/packets.h
// for AMD PM4/SDMA/AQL; NVIDIA methods/QMD and Adreno packets later) build their tables from the
// factories below.
//
// Bit numbering: a field covers bits [lo, hi] counted from bit 0 of packet dword `dword`; hi may
// reach 63, so one field can run on into dword+1 (a 64-bit address, or GCR_REQ's base_va[47:7]
// that starts at bit 7 of one dword and ends in the next). Little-endian dwords, as the GPU reads
// them.
//
// Value mapping: the value a caller passes (and the decoder returns) relates to the stored bits as
//   stored = (value - bias) >> shift     (kSigned: two's complement of `value`, no bias/shift)
// `shift` makes "address bits in place" fields: an address_field with lo = 2 stores addr[63:2] in
// bits [63:2] and requires addr % 4 == 0; `bias` makes "count minus one" fields (bias 1) and
// register offsets (bias = window base). A value fits when value >= bias, its low `shift` bits are
// zero and the stored value fits hi-lo+1 bits.
//
// Everything used on the encode path is constexpr, allocation-free and always inlined (so a row
// with constant dword/lo/hi folds into a mask); text and error helpers live in bits.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace rawgpu::core {

enum class FieldKind : uint8_t {
  kUint,     // unsigned, printed in decimal
  kHex,      // unsigned, printed as 0x…; `names` (optional) annotate known values
  kBool,     // one bit, printed 0/1
  kEnum,     // the value must be one of `names` (the validator rejects others); printed by name
  kAddress,  // a GPU virtual address (may cross into the next dword), printed as 0x…
  kSigned,   // two's complement, printed in signed decimal
};

// One named value of a kEnum field (or an annotation of a kHex field).
struct EnumName {
  uint64_t value;
  const char* name;
};

// BitField::flags
inline constexpr uint8_t kFieldHidden =
    1;  // structural (type, opcode, count): validated, not printed
inline constexpr uint8_t kFieldSummary = 2;  // tail field printed as "name=<N dwords>"
inline constexpr uint8_t kFieldQuiet = 4;    // a sub-option: compact output omits it when 0

struct BitField {
  const char* name = "";  // printed name; the encoder struct member has the same name
  uint16_t dword = 0;     // dword index from the start of the packet (0 = header)
  uint8_t lo = 0;         // first bit, counted from bit 0 of `dword`
  uint8_t hi = 0;         // last bit (<= 63; > 31 continues in dword+1)
  FieldKind kind = FieldKind::kUint;
  uint8_t shift = 0;  // stored = (value - bias) >> shift; the low `shift` bits must be zero
  uint8_t flags = 0;  // kFieldHidden, kFieldSummary, kFieldQuiet
  uint32_t bias = 0;
  std::span<const EnumName> names = {};  // kEnum: the allowed values; kHex: annotations
  const char* doc = "";                  // hardware name, meaning, and the public source

  constexpr BitField hidden() const {
    BitField f = *this;
    f.flags |= kFieldHidden;
    return f;
  }
  constexpr BitField summary() const {
    BitField f = *this;
    f.flags |= kFieldSummary;
    return f;
  }
  constexpr BitField quiet() const {
    BitField f = *this;
    f.flags |= kFieldQuiet;
    return f;
  }
  constexpr BitField with_bias(uint32_t b) const {
    BitField f = *this;
    f.bias = b;
    return f;
  }
  constexpr BitField with_names(std::span<const EnumName> n) const {
    BitField f = *this;
    f.names = n;
    return f;
  }
};

// Factories. `lo`/`hi` as in BitField.
constexpr BitField uint_field(const char* name, uint16_t dword, uint8_t lo, uint8_t hi,
                              const char* doc) {
  return BitField{name, dword, lo, hi, FieldKind::kUint, 0, 0, 0, {}, doc};
}
constexpr BitField hex_field(const char* name, uint16_t dword, uint8_t lo, uint8_t hi,
                             const char* doc) {
  return BitField{name, dword, lo, hi, FieldKind::kHex, 0, 0, 0, {}, doc};
}
constexpr BitField bool_field(const char* name, uint16_t dword, uint8_t bit, const char* doc) {
  return BitField{name, dword, bit, bit, FieldKind::kBool, 0, 0, 0, {}, doc};
}
constexpr BitField enum_field(const char* name, uint16_t dword, uint8_t lo, uint8_t hi,
                              std::span<const EnumName> names, const char* doc) {
  return BitField{name, dword, lo, hi, FieldKind::kEnum, 0, 0, 0, names, doc};
}
constexpr BitField signed_field(const char* name, uint16_t dword, uint8_t lo, uint8_t hi,
                                const char* doc) {
  return BitField{name, dword, lo, hi, FieldKind::kSigned, 0, 0, 0, {}, doc};
}
// Address bits in place: bits [hi:lo] of the value land in bits [hi:lo] (of dword, dword+1), and
// the value's bits below `lo` must be zero (alignment 1 << lo).
constexpr BitField address_field(const char* name, uint16_t dword, uint8_t lo, uint8_t hi,
                                 const char* doc) {
  return BitField{name, dword, lo, hi, FieldKind::kAddress, lo, 0, 0, {}, doc};
}

// ---- get / set -------------------------------------------------------------------------------

constexpr uint32_t field_width(const BitField& f) {
  return static_cast<uint32_t>(f.hi - f.lo) + 1u;
}
// Largest stored (raw) value.
constexpr uint64_t field_raw_max(const BitField& f) {
  return field_width(f) >= 64 ? ~uint64_t{0} : (uint64_t{1} << field_width(f)) - 1;
}
// Dwords from the packet start a packet must have for `f` to be inside it.
constexpr uint32_t field_end_dword(const BitField& f) { return f.dword + (f.hi >= 32 ? 2u : 1u); }
// A row is well formed: lo <= hi <= 63, shift only on unsigned kinds.
constexpr bool field_well_formed(const BitField& f) {
  return f.lo <= f.hi && f.hi <= 63 && f.shift < 64 &&
         (f.kind != FieldKind::kSigned || (f.shift == 0 && f.bias == 0)) &&
         (f.kind != FieldKind::kBool || f.lo == f.hi);
}

// Stored bits for `value`, or false when it does not fit (too wide, below bias, misaligned).
[[gnu::always_inline]] constexpr bool field_encode(const BitField& f, uint64_t value,
                                                   uint64_t& raw) {
  if (f.kind == FieldKind::kSigned) {
    const uint32_t w = field_width(f);
    if (w < 64) {
      const int64_t v = static_cast<int64_t>(value);
      const int64_t lim = int64_t{1} << (w - 1);
      if (v < -lim || v >= lim) return false;
    }
    raw = value & field_raw_max(f);
    return true;
  }
  if (value < f.bias) return false;
  uint64_t v = value - f.bias;
  if (f.shift != 0) {
    if ((v & ((uint64_t{1} << f.shift) - 1)) != 0) return false;
    v >>= f.shift;
  }
  if (v > field_raw_max(f)) return false;
  raw = v;
  return true;
}
// Value for stored bits `raw` (sign-extended for kSigned).
[[gnu::always_inline]] constexpr uint64_t field_decode(const BitField& f, uint64_t raw) {
  if (f.kind == FieldKind::kSigned) {
    const uint32_t w = field_width(f);
    if (w < 64 && ((raw >> (w - 1)) & 1) != 0) raw |= ~field_raw_max(f);
    return raw;
  }
  return (raw << f.shift) + f.bias;
}
// True when `value` can be stored in `f`.
constexpr bool field_fits(const BitField& f, uint64_t value) {
  uint64_t raw = 0;
  return field_encode(f, value, raw);
}

// Stored bits of `f` in `packet`. Precondition: packet.size() >= field_end_dword(f).
[[gnu::always_inline]] constexpr uint64_t get_raw(std::span<const uint32_t> packet,
                                                  const BitField& f) {
  uint64_t cur = packet[f.dword];
  if (f.hi >= 32) cur |= uint64_t{packet[f.dword + 1u]} << 32;
  return (cur >> f.lo) & field_raw_max(f);
}
// Replaces the stored bits of `f` (raw must be <= field_raw_max). Same precondition.
[[gnu::always_inline]] constexpr void put_raw(std::span<uint32_t> packet, const BitField& f,
                                              uint64_t raw) {
  const uint64_t mask = field_raw_max(f) << f.lo;
  if (f.hi >= 32) {
    uint64_t cur = packet[f.dword] | (uint64_t{packet[f.dword + 1u]} << 32);
    cur = (cur & ~mask) | ((raw << f.lo) & mask);
    packet[f.dword] = static_cast<uint32_t>(cur);
    packet[f.dword + 1u] = static_cast<uint32_t>(cur >> 32);
  } else {
    const uint32_t m = static_cast<uint32_t>(mask);
    packet[f.dword] = (packet[f.dword] & ~m) | (static_cast<uint32_t>(raw << f.lo) & m);
  }
}

// The value of `f` in `packet` (see "Value mapping"). Same precondition as get_raw.
[[gnu::always_inline]] constexpr uint64_t get_field(std::span<const uint32_t> packet,
                                                    const BitField& f) {
  return field_decode(f, get_raw(packet, f));
}
// Stores `value` into `f`. Returns false, leaving `packet` unchanged, when the value does not fit
// or the packet is too short for the field. Never truncates.
[[gnu::always_inline]] constexpr bool set_field(std::span<uint32_t> packet, const BitField& f,
                                                uint64_t value) {
  uint64_t raw = 0;
  if (packet.size() < field_end_dword(f) || !field_encode(f, value, raw)) return false;
  put_raw(packet, f, raw);
  return true;
}

// Bits of packet dword `dword` that some field in `fields` covers.
constexpr uint32_t covered_bits(std::span<const BitField> fields, uint32_t dword) {
  uint32_t m = 0;
  const uint64_t d0 = uint64_t{dword} * 32, d1 = d0 + 31;
  for (const BitField& f : fields) {
    const uint64_t a = uint64_t{f.dword} * 32 + f.lo, b = uint64_t{f.dword} * 32 + f.hi;
    if (b < d0 || a > d1) continue;
    const uint32_t lo = static_cast<uint32_t>((a > d0 ? a : d0) - d0);
    const uint32_t hi = static_cast<uint32_t>((b < d1 ? b : d1) - d0);
    m |= (hi - lo == 31 ? ~0u : ((1u << (hi - lo + 1)) - 1)) << lo;
  }
  return m;
}

// ---- packet layouts --------------------------------------------------------------------------

// A packet: a fixed part of `fixed_dwords` dwords described by `fields` (dword 0 = header), then
// optionally a tail of repeated dwords, each described by `tail` (its `dword` is ignored; lo/hi
// apply to every tail dword): SET_SH_REG values, WRITE_DATA data, NOP payload.
struct PacketLayout {
  const char* name = "";
  std::span<const BitField> fields = {};
  uint32_t fixed_dwords = 0;
  const BitField* tail = nullptr;
};

struct FieldValue {
  const BitField* field;
  uint64_t value;
};

// What is wrong with a packet's bits.
struct FieldProblem {
  enum class Kind : uint8_t {
    kReservedBits,  // bits no field covers are set: `dword`, `bits`
    kBadEnum,       // a kEnum field holds a value not in its table: `field`, `value`
  };
  Kind kind = Kind::kReservedBits;
  uint32_t dword = 0;  // packet-relative
  uint32_t bits = 0;
  const BitField* field = nullptr;
  uint64_t value = 0;
};

// The first problem in `packet` read with `layout` (fixed part, then tail dwords), or nullopt.
// Precondition: packet.size() >= layout.fixed_dwords. Allocates nothing.
std::optional<FieldProblem> find_field_problem(const PacketLayout& layout,
                                               std::span<const uint32_t> packet);
// "reserved bits 0x00000300 of dword 1 are set (no field covers them)",
// "data_sel=7 is not a valid value (NONE, SEND_32_BIT_LOW, ...)".
std::string describe(const FieldProblem& p);

// Name of `value` in `names`, or nullptr.
const char* enum_name(std::span<const EnumName> names, uint64_t value);
// A value as the printer shows it: decimal, 0x…, enum name, or for an unknown enum value three
// question marks and the number in parentheses.
std::string format_value(const BitField& f, uint64_t value);
// "NAME{field=value, ...}": the fixed fields in table order (hidden ones skipped; when `compact`,
// kBool and kFieldQuiet fields that are 0 too), then the tail as "name=[v0, v1, ...]" (at most 8
// values, then "... (+N)"), or "name=<N dwords>" for a kFieldSummary tail (omitted when empty).
std::string format_packet(const PacketLayout& layout, std::span<const uint32_t> packet,
                          bool compact = true);

// ---- encoding --------------------------------------------------------------------------------

enum class EncodeFail : uint8_t {
  kNone,
  kNoSpace,          // the destination span is too short (value = dwords needed, limit = have)
  kDoesNotFit,       // a value does not fit its field (field, value)
  kNotInGeneration,  // the field or packet does not exist on this generation; value != 0
  kInvalid,          // a rule between fields is broken (why)
};

// Outcome of an encoder: the dwords written, or why nothing usable was written. Allocation-free;
// turn a failure into an Error with to_error().
struct [[nodiscard]] EncodeResult {
  uint32_t dwords = 0;  // dwords written (0 on failure)
  EncodeFail fail = EncodeFail::kNone;
  const char* engine = "";  // "PM4", "SDMA", "AQL"
  const char* packet = "";  // "RELEASE_MEM"
  BitField field{};         // kDoesNotFit: the field; kNotInGeneration/kInvalid: its name
  uint64_t value = 0;
  uint64_t limit = 0;
  const char* why = "";  // kInvalid / kNotInGeneration: the rule, one sentence

  constexpr bool ok() const { return fail == EncodeFail::kNone; }
  constexpr explicit operator bool() const { return ok(); }
};

constexpr EncodeResult encode_no_space(const char* engine, const char* packet, uint64_t need,
                                       uint64_t have) {
  EncodeResult r;
  r.fail = EncodeFail::kNoSpace;
  r.engine = engine;
  r.packet = packet;
  r.value = need;
  r.limit = have;
  return r;
}

// kInvalidInput Error, op "encode PM4 RELEASE_MEM", hint naming the field, value and rule.
Error to_error(const EncodeResult& r);

// Builds one packet in a span the caller zero-fills or owns (typically a local std::array, so the
// destination ring is written once, dword by dword, and never read). Records the first failure.
class FieldWriter {
 public:
  constexpr FieldWriter(std::span<uint32_t> packet, const char* engine, const char* name)
      : p_(packet) {
    r_.engine = engine;
    r_.packet = name;
  }

  // Stores `value` in `f`, or records kDoesNotFit (or kNoSpace when f lies past the span).
  [[gnu::always_inline]] constexpr void set(const BitField& f, uint64_t value) {
    uint64_t raw = 0;
    if (p_.size() >= field_end_dword(f) && field_encode(f, value, raw)) {
      put_raw(p_, f, raw);
    } else if (ok()) {
      r_.fail = EncodeFail::kDoesNotFit;
      r_.field = f;
      r_.value = value;
    }
  }
  // A member that has no field on this generation: only 0 is accepted.
  [[gnu::always_inline]] constexpr void absent(const char* field, uint64_t value, const char* why) {
    if (value != 0 && ok()) {
      r_.fail = EncodeFail::kNotInGeneration;
      r_.field.name = field;
      r_.value = value;
      r_.why = why;
    }
  }
  // Records a broken rule (if none was recorded yet).
  [[gnu::always_inline]] constexpr void invalid(const char* field, uint64_t value,
                                                const char* why) {
    if (ok()) {
      r_.fail = EncodeFail::kInvalid;
      r_.field.name = field;
      r_.value = value;
      r_.why = why;
    }
  }
  constexpr bool ok() const { return r_.fail == EncodeFail::kNone; }
  // Success with `dwords`, or the recorded failure.
  constexpr EncodeResult result(uint32_t dwords) const {
    EncodeResult r = r_;
    r.dwords = ok() ? dwords : 0;
    return r;
  }

 private:
  std::span<uint32_t> p_;
  EncodeResult r_;
};

}  // namespace rawgpu::core
