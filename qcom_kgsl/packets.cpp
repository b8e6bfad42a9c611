#include "qcom_kgsl/packets.h"

#include <cinttypes>
#include <cstdio>

#include "qcom_kgsl/a6xx.h"

namespace rawgpu::qcom {

namespace {

template <class P>
const char* validate_as(std::span<const uint32_t> words) {
  P p{};
  detail::UnpackVisitor v{words, 1 + P::kFixed};
  P::visit(p, v);
  if (p.payload_dwords() != words.size() - 1) return "the payload length disagrees with its fields";
  return p.check();
}

template <class P>
constexpr OpcodeInfo row() {
  return OpcodeInfo{P::kOpcode, P::kGens, P::kName, &layout<P>(), &validate_as<P>};
}
constexpr OpcodeInfo named(uint8_t op, uint8_t gens, const char* name) {
  return OpcodeInfo{op, gens, name, nullptr, nullptr};
}

// The opcode table (fact sheet §2.2). Rows with a layout are validated field by field; the named
// rows are opcodes whose payload the sheet does not give (accepted, printed as a dword count).
constexpr OpcodeInfo kOpcodes[] = {
    row<CpNop>(),
    row<CpWaitMemWrites>(),
    row<CpWaitForMe>(),
    row<CpWaitMemGte>(),
    named(CP_WAIT_TIMESTAMP, kGenA7xx, "CP_WAIT_TIMESTAMP"),
    named(CP_GLOBAL_TIMESTAMP, kGenA7xx, "CP_GLOBAL_TIMESTAMP"),
    named(CP_LOCAL_TIMESTAMP, kGenA7xx, "CP_LOCAL_TIMESTAMP"),
    row<CpThreadControl>(),
    named(CP_MODIFY_TIMESTAMP, kGenA7xx, "CP_MODIFY_TIMESTAMP"),
    named(CP_RESET_CONTEXT_STATE, kGenA7xx, "CP_RESET_CONTEXT_STATE"),
    named(CP_REG_RMW, kGenAll, "CP_REG_RMW"),
    row<CpWaitForIdle>(),
    row<CpRunOpencl>(),
    row<CpLoadState6Geom>(),
    row<CpExecCs>(),
    row<CpLoadState6Frag>(),
    row<CpLoadState6>(),
    named(CP_CCHE_INVALIDATE, kGenA7xx, "CP_CCHE_INVALIDATE"),
    row<CpWaitRegMem>(),
    row<CpMemWrite>(),
    row<CpRegToMem>(),
    row<CpIndirectBuffer>(),
    row<CpExecCsIndirect>(),
    named(CP_MEM_TO_REG, kGenAll, "CP_MEM_TO_REG"),
    named(CP_SET_DRAW_STATE, kGenAll, "CP_SET_DRAW_STATE"),
    row<CpEventWrite>(),
    row<CpEventWrite7>(),
    row<CpSetMarker>(),
    named(CP_MEM_TO_MEM, kGenAll, "CP_MEM_TO_MEM"),
};

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08" PRIx32, v);
  return b;
}
std::string hexn(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%" PRIx32, v);
  return b;
}

}  // namespace

const OpcodeInfo* find_opcode(uint8_t opcode, AdrenoGen gen) {
  for (const OpcodeInfo& o : kOpcodes) {
    if (o.opcode == opcode && (o.gens & gen_bit(gen)) != 0) return &o;
  }
  return nullptr;
}

core::Result<Pm4Packet> decode_packet(std::span<const uint32_t> stream, uint32_t at,
                                      AdrenoGen gen) {
  const std::string op = std::string("Adreno PM4 at dword ") + std::to_string(at);
  if (at >= stream.size()) return core::Error::invalid(op, "offset past the end of the stream");
  const uint32_t h = stream[at];
  const uint32_t type = h >> 28;
  Pm4Packet p;
  p.offset = at;
  const size_t left = stream.size() - at - 1;
  if (type == 4) {
    const uint32_t reg = (h >> 8) & kPkt4MaxReg, cnt = h & kPkt4MaxCount;
    const std::string what = "type-4 header " + hex32(h) + " (reg " + hexn(reg) + ", cnt " +
                             std::to_string(cnt) + ")";
    if ((h & (1u << 26)) != 0) return core::Error::invalid(op, what + ": reserved bit 26 is set");
    if (((h >> 27) & 1) != pm4_parity(reg)) {
      return core::Error::invalid(op, what + ": bad parity bit for reg (bit 27)");
    }
    if (((h >> 7) & 1) != pm4_parity(cnt)) {
      return core::Error::invalid(op, what + ": bad parity bit for cnt (bit 7)");
    }
    if (cnt == 0) return core::Error::invalid(op, what + ": writes no register");
    if (cnt > left) {
      return core::Error::invalid(op, what + ": count runs past the end of the stream (" +
                                          std::to_string(left) + " dwords left)");
    }
    if (reg + cnt - 1 > kPkt4MaxReg) return core::Error::invalid(op, what + ": register range past 0x3FFFF");
    p.type = 4;
    p.reg = reg;
    p.words = stream.subspan(at, 1 + cnt);
    return p;
  }
  if (type == 7) {
    const uint32_t opc = (h >> 16) & kPkt7MaxOpcode, cnt = h & kPkt7MaxCount;
    const OpcodeInfo* info = find_opcode(static_cast<uint8_t>(opc), gen);
    const std::string what = "type-7 header " + hex32(h) + " (" +
                             (info != nullptr ? std::string(info->name) : "opcode " + hexn(opc)) +
                             ", cnt " + std::to_string(cnt) + ")";
    if ((h & 0x0F000000u) != 0) return core::Error::invalid(op, what + ": reserved bits 27:24 are set");
    if (((h >> 23) & 1) != pm4_parity(opc)) {
      return core::Error::invalid(op, what + ": bad parity bit for the opcode (bit 23)");
    }
    if (((h >> 15) & 1) != pm4_parity(cnt)) {
      return core::Error::invalid(op, what + ": bad parity bit for cnt (bit 15)");
    }
    if (info == nullptr) {
      return core::Error::invalid(op, what + ": unknown opcode on " + std::string(gen_name(gen)));
    }
    if (cnt > left) {
      return core::Error::invalid(op, what + ": count runs past the end of the stream (" +
                                          std::to_string(left) + " dwords left)");
    }
    p.type = 7;
    p.opcode = static_cast<uint8_t>(opc);
    p.op = info;
    p.words = stream.subspan(at, 1 + cnt);
    if (info->layout != nullptr) {
      const core::PacketLayout& l = *info->layout;
      const bool has_tail = l.tail != nullptr;
      // Fixed-size packets of one form must be exactly that long; tails need the fixed part.
      if (has_tail && cnt + 1 < l.fixed_dwords) {
        return core::Error::invalid(op, what + ": needs at least " +
                                            std::to_string(l.fixed_dwords - 1) + " payload dwords");
      }
      if (!has_tail && cnt + 1 > l.fixed_dwords) {
        return core::Error::invalid(op, what + ": at most " + std::to_string(l.fixed_dwords - 1) +
                                            " payload dwords");
      }
      if (auto prob = core::find_field_problem(l, p.words)) {
        return core::Error::invalid(op, what + ": " + core::describe(*prob));
      }
      if (const char* why = info->validate(p.words); why != nullptr) {
        return core::Error::invalid(op, what + ": " + why);
      }
    }
    return p;
  }
  return core::Error::invalid(op, "header " + hex32(h) + ": packet type " + std::to_string(type) +
                                      " (only type-4 and type-7 are used on a5xx+)");
}

std::string format_pm4_packet(const Pm4Packet& p, AdrenoGen gen) {
  if (p.type == 7) {
    if (p.op != nullptr && p.op->layout != nullptr) return core::format_packet(*p.op->layout, p.words);
    const size_t n = p.words.size() - 1;
    return std::string(p.op != nullptr ? p.op->name : "CP_???") + "{<" + std::to_string(n) +
           (n == 1 ? " dword>}" : " dwords>}");
  }
  std::string s;
  for (size_t i = 1; i < p.words.size(); ++i) {
    const uint32_t reg = p.reg + static_cast<uint32_t>(i - 1);
    const uint32_t v = p.words[i];
    if (i > 1) s += '\n';
    const a6xx::RegisterInfo* r = a6xx::find_register(reg, gen);
    s += "REG ";
    if (r != nullptr) {
      s += r->name;
      s += " (" + hexn(reg) + ")";
    } else {
      s += hexn(reg);
    }
    s += " = " + hex32(v);
    if (r != nullptr && !(r->fields.size() == 1 && r->fields[0].lo == 0 && r->fields[0].hi == 31)) {
      const core::PacketLayout l{"", r->fields, 1, nullptr};
      const uint32_t one[1] = {v};
      std::string f = core::format_packet(l, one);  // "{a=1, ...}"
      s += " " + f;
      const uint32_t extra = v & ~core::covered_bits(r->fields, 0);
      if (extra != 0) s += " unknown_bits=" + hex32(extra);
    }
  }
  return s;
}

core::Result<std::string> disassemble(std::span<const uint32_t> stream, AdrenoGen gen) {
  std::string out;
  core::Result<void> r = walk_stream(stream, gen, [&](const Pm4Packet& p) {
    char pre[16];
    std::snprintf(pre, sizeof pre, "0x%04" PRIx32 ": ", p.offset);
    if (p.type == 4) {
      // One line per register, each with the dword offset of its value.
      const std::string body = format_pm4_packet(p, gen);
      size_t start = 0;
      uint32_t k = 0;
      while (start <= body.size()) {
        const size_t nl = body.find('\n', start);
        std::snprintf(pre, sizeof pre, "0x%04" PRIx32 ": ", p.offset + (k == 0 ? 0 : k + 1));
        out += pre;
        out += body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        out += '\n';
        if (nl == std::string::npos) break;
        start = nl + 1;
        ++k;
      }
    } else {
      out += pre;
      out += format_pm4_packet(p, gen);
      out += '\n';
    }
    return true;
  });
  if (!r) return std::move(r).error();
  return out;
}

}  // namespace rawgpu::qcom
