#include "core/bits.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace rawgpu::core {

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

std::string list_names(std::span<const EnumName> names) {
  std::string s;
  for (const EnumName& n : names) {
    if (!s.empty()) s += ", ";
    s += n.name;
  }
  return s;
}

}  // namespace

std::optional<FieldProblem> find_field_problem(const PacketLayout& layout,
                                               std::span<const uint32_t> packet) {
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(layout.fixed_dwords, packet.size()));
  constexpr uint32_t kStackDwords = 128;  // every described packet (QMDs are 96 dwords)
  if (n <= kStackDwords) {
    // One pass over the fields builds every dword's covered mask (QMDs: ~200 fields x 96 dwords
    // would otherwise be walked per dword, on the simulator's launch path).
    uint32_t covered[kStackDwords] = {};
    for (const BitField& f : layout.fields) {
      for (uint32_t bit = f.dword * 32u + f.lo, end = f.dword * 32u + f.hi; bit <= end;) {
        const uint32_t w = bit / 32, o = bit % 32;
        if (w >= n) break;
        const uint32_t take = std::min(32u - o, end - bit + 1);
        covered[w] |= (take == 32 ? ~0u : ((1u << take) - 1u)) << o;
        bit += take;
      }
    }
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t extra = packet[i] & ~covered[i];
      if (extra != 0) return FieldProblem{FieldProblem::Kind::kReservedBits, i, extra, nullptr, 0};
    }
  } else {
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t extra = packet[i] & ~covered_bits(layout.fields, i);
      if (extra != 0) return FieldProblem{FieldProblem::Kind::kReservedBits, i, extra, nullptr, 0};
    }
  }
  for (const BitField& f : layout.fields) {
    if (f.kind != FieldKind::kEnum || packet.size() < field_end_dword(f)) continue;
    const uint64_t v = get_field(packet, f);
    if (enum_name(f.names, v) == nullptr) {
      return FieldProblem{FieldProblem::Kind::kBadEnum, f.dword, 0, &f, v};
    }
  }
  if (layout.tail != nullptr) {
    BitField t = *layout.tail;
    t.dword = 0;
    const uint32_t tail_mask = covered_bits(std::span<const BitField>(&t, 1), 0);
    for (size_t i = layout.fixed_dwords; i < packet.size(); ++i) {
      const uint32_t extra = packet[i] & ~tail_mask;
      if (extra != 0) {
        return FieldProblem{FieldProblem::Kind::kReservedBits, static_cast<uint32_t>(i), extra,
                            nullptr, 0};
      }
    }
  }
  return std::nullopt;
}

std::string describe(const FieldProblem& p) {
  switch (p.kind) {
    case FieldProblem::Kind::kReservedBits:
      return "reserved bits " + hex32(p.bits) + " of dword " + std::to_string(p.dword) +
             " are set (no field covers them)";
    case FieldProblem::Kind::kBadEnum:
      return std::string(p.field->name) + "=" + std::to_string(p.value) +
             " is not a valid value (" + list_names(p.field->names) + ")";
  }
  return "malformed";
}

const char* enum_name(std::span<const EnumName> names, uint64_t value) {
  for (const EnumName& n : names) {
    if (n.value == value) return n.name;
  }
  return nullptr;
}

std::string format_value(const BitField& f, uint64_t value) {
  switch (f.kind) {
    case FieldKind::kUint:
    case FieldKind::kBool: return std::to_string(value);
    case FieldKind::kSigned: return std::to_string(static_cast<int64_t>(value));
    case FieldKind::kEnum: {
      const char* n = enum_name(f.names, value);
      return n != nullptr ? std::string(n) : std::string("???") + "(" + std::to_string(value) + ")";
    }
    case FieldKind::kHex: {
      const char* n = enum_name(f.names, value);
      return n != nullptr ? std::string(n) : hex(value);
    }
    case FieldKind::kAddress: return hex(value);
  }
  return hex(value);
}

std::string format_packet(const PacketLayout& layout, std::span<const uint32_t> packet,
                          bool compact) {
  std::string s = layout.name;
  s += '{';
  bool first = true;
  auto sep = [&] {
    if (!first) s += ", ";
    first = false;
  };
  for (const BitField& f : layout.fields) {
    if ((f.flags & kFieldHidden) != 0 || packet.size() < field_end_dword(f)) continue;
    const uint64_t v = get_field(packet, f);
    if (compact && v == 0 && (f.kind == FieldKind::kBool || (f.flags & kFieldQuiet) != 0)) continue;
    sep();
    s += f.name;
    s += '=';
    s += format_value(f, v);
  }
  const size_t n = packet.size() > layout.fixed_dwords ? packet.size() - layout.fixed_dwords : 0;
  const bool summary = layout.tail != nullptr && (layout.tail->flags & kFieldSummary) != 0;
  if (layout.tail != nullptr && (layout.tail->flags & kFieldHidden) == 0 && !(summary && n == 0)) {
    sep();
    s += layout.tail->name;
    if (summary) {
      s += "=<" + std::to_string(n) + (n == 1 ? " dword>" : " dwords>");
    } else {
      constexpr size_t kShown = 8;
      BitField t = *layout.tail;
      t.dword = 0;
      s += "=[";
      for (size_t i = 0; i < n && i < kShown; ++i) {
        if (i != 0) s += ", ";
        s += format_value(t, get_field(packet.subspan(layout.fixed_dwords + i, 1), t));
      }
      if (n > kShown) s += ", ... (+" + std::to_string(n - kShown) + ")";
      s += ']';
    }
  }
  s += '}';
  return s;
}

Error to_error(const EncodeResult& r) {
  std::string op = "encode ";
  op += r.engine;
  op += ' ';
  op += r.packet;
  std::string hint;
  switch (r.fail) {
    case EncodeFail::kNone: return Error::internal(op, "to_error called on a successful encode");
    case EncodeFail::kNoSpace:
      hint = "needs " + std::to_string(r.value) + " dwords, the destination has " +
             std::to_string(r.limit);
      break;
    case EncodeFail::kDoesNotFit: {
      const BitField& f = r.field;
      hint = std::string("value ") + hex(r.value) + " does not fit field " + f.name + " (dword " +
             std::to_string(f.dword) + " bits " + std::to_string(f.hi) + ":" + std::to_string(f.lo);
      if (f.kind == FieldKind::kSigned) {
        hint += ", signed";
      } else {
        if (f.shift != 0)
          hint += ", must be a multiple of " + std::to_string(uint64_t{1} << f.shift);
        if (f.bias != 0) hint += ", stored as value - " + hex(f.bias);
      }
      hint += ")";
      break;
    }
    case EncodeFail::kNotInGeneration:
      hint = std::string(r.field.name) + "=" + hex(r.value) + " cannot be encoded: " + r.why;
      break;
    case EncodeFail::kInvalid:
      hint = std::string(r.field.name) + "=" + hex(r.value) + ": " + r.why;
      break;
  }
  return Error::invalid(std::move(op), std::move(hint));
}

}  // namespace rawgpu::core
