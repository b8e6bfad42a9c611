#include "kfd/packets.h"

#include <cinttypes>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace rawgpu::kfd {

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

// Calls f(std::type_identity<P>{}) with the struct of `id` (void for kAqlInvalid).
template <class F>
decltype(auto) with_packet_type(PacketId id, F&& f) {
  switch (id) {
    case PacketId::kPm4Nop: return f(std::type_identity<Pm4Nop>{});
    case PacketId::kPm4SetShReg: return f(std::type_identity<Pm4SetShReg>{});
    case PacketId::kPm4SetUconfigReg: return f(std::type_identity<Pm4SetUconfigReg>{});
    case PacketId::kPm4DispatchDirect: return f(std::type_identity<Pm4DispatchDirect>{});
    case PacketId::kPm4AcquireMem: return f(std::type_identity<Pm4AcquireMem>{});
    case PacketId::kPm4ReleaseMem: return f(std::type_identity<Pm4ReleaseMem>{});
    case PacketId::kPm4WaitRegMem: return f(std::type_identity<Pm4WaitRegMem>{});
    case PacketId::kPm4WaitRegMemReg: return f(std::type_identity<Pm4WaitRegMemReg>{});
    case PacketId::kPm4WriteData: return f(std::type_identity<Pm4WriteData>{});
    case PacketId::kPm4EventWrite: return f(std::type_identity<Pm4EventWrite>{});
    case PacketId::kPm4IndirectBuffer: return f(std::type_identity<Pm4IndirectBuffer>{});
    case PacketId::kPm4PredExec: return f(std::type_identity<Pm4PredExec>{});
    case PacketId::kSdmaNop: return f(std::type_identity<SdmaNop>{});
    case PacketId::kSdmaCopyLinear: return f(std::type_identity<SdmaCopyLinear>{});
    case PacketId::kSdmaWriteUntiled: return f(std::type_identity<SdmaWriteUntiled>{});
    case PacketId::kSdmaFence: return f(std::type_identity<SdmaFence>{});
    case PacketId::kSdmaTrap: return f(std::type_identity<SdmaTrap>{});
    case PacketId::kSdmaPollRegmem: return f(std::type_identity<SdmaPollRegmem>{});
    case PacketId::kSdmaTimestamp: return f(std::type_identity<SdmaTimestamp>{});
    case PacketId::kSdmaGcrReq: return f(std::type_identity<SdmaGcrReq>{});
    case PacketId::kAqlKernelDispatch: return f(std::type_identity<AqlKernelDispatch>{});
    case PacketId::kAqlBarrierAnd: return f(std::type_identity<AqlBarrierAnd>{});
    case PacketId::kAqlBarrierOr: return f(std::type_identity<AqlBarrierOr>{});
    case PacketId::kAqlPm4Ib: return f(std::type_identity<AqlPm4Ib>{});
    case PacketId::kAqlBarrierValue: return f(std::type_identity<AqlBarrierValue>{});
    case PacketId::kAqlInvalid: break;
  }
  return f(std::type_identity<void>{});
}

template <class P>
const core::PacketLayout& layout_for(GfxGen gfx, SdmaGen sdma) {
  using T = detail::PacketTraits<P>;
  if constexpr (std::is_same_v<typename T::Gen, GfxGen>) {
    switch (gfx) {
      case GfxGen::kGfx9: return detail::LayoutOf<P, GfxGen::kGfx9>::kLayout;
      case GfxGen::kGfx10: return detail::LayoutOf<P, GfxGen::kGfx10>::kLayout;
      case GfxGen::kGfx11: return detail::LayoutOf<P, GfxGen::kGfx11>::kLayout;
      case GfxGen::kGfx12: return detail::LayoutOf<P, GfxGen::kGfx12>::kLayout;
    }
    return detail::LayoutOf<P, GfxGen::kGfx11>::kLayout;
  } else if constexpr (std::is_same_v<typename T::Gen, SdmaGen>) {
    switch (sdma) {
      case SdmaGen::kSdma4: return detail::LayoutOf<P, SdmaGen::kSdma4>::kLayout;
      case SdmaGen::kSdma5: return detail::LayoutOf<P, SdmaGen::kSdma5>::kLayout;
      case SdmaGen::kSdma6: return detail::LayoutOf<P, SdmaGen::kSdma6>::kLayout;
    }
    return detail::LayoutOf<P, SdmaGen::kSdma6>::kLayout;
  } else {
    return detail::LayoutOf<P, NoGen::kAny>::kLayout;
  }
}

// An AQL slot nobody published: only its type is read.
constexpr core::BitField kAqlInvalidFields[] = {
    core::uint_field("type", 0, 0, 7, "HSA_PACKET_HEADER_TYPE = INVALID").hidden()};
constexpr core::PacketLayout kAqlInvalidLayout{"INVALID", kAqlInvalidFields, kAqlPacketDwords,
                                               nullptr};

// What is left to check once the size is known: the fixed words, the reserved bits and enum
// values, and the packet's rules. Returns the hint of the first problem, or "".
template <class P>
std::string check_packet(std::span<const uint32_t> raw, const core::PacketLayout& layout,
                         GfxGen gfx, SdmaGen sdma) {
  using T = detail::PacketTraits<P>;
  if (std::optional<core::FieldProblem> pr = core::find_field_problem(layout, raw)) {
    return core::describe(*pr);
  }
  P p{};
  detail::ReadVisitor rv{raw, layout.fixed_dwords};
  detail::FixedCheckVisitor fv{raw};
  detail::Rule rule;
  auto run = [&](auto gen) {
    T::visit(p, gen, rv);
    T::visit(std::as_const(p), gen, fv);
    rule = T::check(p, gen);
  };
  if constexpr (std::is_same_v<typename T::Gen, GfxGen>) {
    run(gfx);
  } else if constexpr (std::is_same_v<typename T::Gen, SdmaGen>) {
    run(sdma);
  } else {
    run(NoGen::kAny);
  }
  if (fv.name != nullptr) {
    return std::string(fv.name) + "=" + hex(fv.actual) + " where " + T::kName + " has " +
           hex(fv.expected);
  }
  if (rule.why != nullptr) return std::string(rule.field) + "=" + hex(rule.value) + ": " + rule.why;
  return {};
}

uint32_t min_tail(PacketId id) {
  return with_packet_type(id, [](auto t) -> uint32_t {
    using P = typename decltype(t)::type;
    if constexpr (std::is_void_v<P>) {
      return 0;
    } else {
      return detail::PacketTraits<P>::kMinTail;
    }
  });
}

// Finishes a decode once id and size are known (size <= what the buffer holds).
Result<DecodedPacket> finish(PacketId id, std::span<const uint32_t> buf, uint32_t offset,
                             uint32_t size, GfxGen gfx, SdmaGen sdma, uint32_t base) {
  DecodedPacket d;
  d.id = id;
  d.engine = packet_engine(id);
  d.layout = &packet_layout(id, gfx, sdma);
  d.offset = base + offset;
  d.raw = buf.subspan(offset, size);
  d.gfx = gfx;
  d.sdma = sdma;
  if (id == PacketId::kAqlInvalid) return d;
  std::string problem = with_packet_type(id, [&](auto t) -> std::string {
    using P = typename decltype(t)::type;
    if constexpr (std::is_void_v<P>) {
      return {};
    } else {
      return check_packet<P>(d.raw, *d.layout, gfx, sdma);
    }
  });
  if (!problem.empty()) {
    return Error::invalid(std::string(engine_name(d.engine)) + " " + d.layout->name + " at dword " +
                              std::to_string(d.offset),
                          std::move(problem));
  }
  return d;
}

std::string at_dword(const char* engine, const char* name, uint32_t at) {
  return std::string(engine) + " " + (name != nullptr ? name : "packet") + " at dword " +
         std::to_string(at);
}

std::string past_end(uint64_t need, size_t left, size_t total) {
  return "the packet needs " + std::to_string(need) + " dwords, " + std::to_string(left) +
         " are left in the buffer (" + std::to_string(total) + " dwords)";
}

const char* sdma_op_name(uint32_t op) {
  switch (op) {
    case 4: return "INDIRECT";
    case 7: return "SEM";
    case 9: return "COND_EXE";
    case 10: return "ATOMIC";
    case 11: return "CONST_FILL";
    case 12: return "PTEPDE";
    case 14: return "SRBM_WRITE";
    case 15: return "PRE_EXE";
    case 16: return "GPUVM_INV";
    case 32: return "DUMMY_TRAP";
    default: return nullptr;
  }
}

}  // namespace

// ---- generations ----

Result<GfxGen> gfx_gen_of(uint32_t v) {
  if (v >= 90000 && v < 100000) return GfxGen::kGfx9;
  if (v >= 100000 && v < 110000) return GfxGen::kGfx10;
  if (v >= 110000 && v < 120000) return GfxGen::kGfx11;
  if (v >= 120000 && v < 130000) return GfxGen::kGfx12;
  return Error::unsupported("gfx_target_version " + std::to_string(v),
                            "only gfx9 (90000..99999) through gfx12 have packet descriptions");
}

Result<SdmaGen> sdma_gen_of_ip(uint32_t major) {
  if (major == 4) return SdmaGen::kSdma4;
  if (major == 5) return SdmaGen::kSdma5;
  if (major >= 6) return SdmaGen::kSdma6;
  return Error::unsupported("SDMA IP " + std::to_string(major) + ".x",
                            "only SDMA 4.x and later have packet descriptions");
}

const char* gfx_gen_name(GfxGen g) {
  switch (g) {
    case GfxGen::kGfx9: return "gfx9";
    case GfxGen::kGfx10: return "gfx10";
    case GfxGen::kGfx11: return "gfx11";
    case GfxGen::kGfx12: return "gfx12";
  }
  return "gfx?";
}

const char* sdma_gen_name(SdmaGen g) {
  switch (g) {
    case SdmaGen::kSdma4: return "SDMA 4.x";
    case SdmaGen::kSdma5: return "SDMA 5.x";
    case SdmaGen::kSdma6: return "SDMA 6.x";
  }
  return "SDMA ?";
}

const char* engine_name(Engine e) {
  switch (e) {
    case Engine::kPm4: return "PM4";
    case Engine::kSdma: return "SDMA";
    case Engine::kAql: return "AQL";
  }
  return "?";
}

const core::PacketLayout& packet_layout(PacketId id, GfxGen gfx, SdmaGen sdma) {
  return *with_packet_type(id, [&](auto t) -> const core::PacketLayout* {
    using P = typename decltype(t)::type;
    if constexpr (std::is_void_v<P>) {
      return &kAqlInvalidLayout;
    } else {
      return &layout_for<P>(gfx, sdma);
    }
  });
}

Engine packet_engine(PacketId id) {
  return with_packet_type(id, [](auto t) -> Engine {
    using P = typename decltype(t)::type;
    if constexpr (std::is_void_v<P>) {
      return Engine::kAql;
    } else {
      return detail::PacketTraits<P>::kEngine;
    }
  });
}

// ---- DecodedPacket ----

std::optional<uint64_t> DecodedPacket::field(std::string_view name) const {
  for (const core::BitField& f : layout->fields) {
    if (name == f.name && raw.size() >= core::field_end_dword(f)) return core::get_field(raw, f);
  }
  return std::nullopt;
}

std::vector<core::FieldValue> DecodedPacket::fields() const {
  std::vector<core::FieldValue> out;
  out.reserve(layout->fields.size());
  for (const core::BitField& f : layout->fields) {
    if (raw.size() >= core::field_end_dword(f)) out.push_back({&f, core::get_field(raw, f)});
  }
  return out;
}

std::string DecodedPacket::text() const { return core::format_packet(*layout, raw); }

// ---- decoders ----

Result<DecodedPacket> decode_pm4(std::span<const uint32_t> buf, uint32_t offset, GfxGen gen,
                                 uint32_t base) {
  const uint32_t at = base + offset;
  if (offset >= buf.size()) {
    return Error::invalid(
        at_dword("PM4", nullptr, at),
        "the offset is past the end of the buffer (" + std::to_string(buf.size()) + " dwords)");
  }
  const uint32_t h = buf[offset];
  if ((h >> 30) != 3) {
    return Error::invalid(at_dword("PM4", nullptr, at), "type-" + std::to_string(h >> 30) +
                                                            " packet (header " + hex32(h) +
                                                            "); only type-3 packets are described");
  }
  const uint32_t opcode = (h >> 8) & 0xFF;
  const uint32_t count = (h >> 16) & 0x3FFF;
  const uint64_t size = uint64_t{count} + 2;
  PacketId id;
  switch (opcode) {
    case IT_NOP: id = PacketId::kPm4Nop; break;
    case IT_SET_SH_REG: id = PacketId::kPm4SetShReg; break;
    case IT_SET_UCONFIG_REG: id = PacketId::kPm4SetUconfigReg; break;
    case IT_DISPATCH_DIRECT: id = PacketId::kPm4DispatchDirect; break;
    case IT_ACQUIRE_MEM: id = PacketId::kPm4AcquireMem; break;
    case IT_RELEASE_MEM: id = PacketId::kPm4ReleaseMem; break;
    case IT_WAIT_REG_MEM: id = PacketId::kPm4WaitRegMem; break;
    case IT_WRITE_DATA: id = PacketId::kPm4WriteData; break;
    case IT_EVENT_WRITE: id = PacketId::kPm4EventWrite; break;
    case IT_INDIRECT_BUFFER: id = PacketId::kPm4IndirectBuffer; break;
    case IT_PRED_EXEC: id = PacketId::kPm4PredExec; break;
    case IT_COPY_DATA:
      return Error::invalid(at_dword("PM4", "COPY_DATA", at),
                            "opcode 0x40 (COPY_DATA) is not described (header " + hex32(h) + ")");
    default:
      return Error::invalid(at_dword("PM4", nullptr, at),
                            "unknown opcode " + hex(opcode) + " (header " + hex32(h) + ")");
  }
  const char* name = packet_layout(id, gen).name;
  const size_t left = buf.size() - offset;
  if (size > left) {
    return Error::invalid(at_dword("PM4", name, at), "count " + std::to_string(count) +
                                                         " runs past the end of the buffer: " +
                                                         past_end(size, left, buf.size()));
  }
  if (id == PacketId::kPm4WaitRegMem) {
    const uint32_t mem_space = (buf[offset + 1] >> 4) & 3;
    if (mem_space == 0) id = PacketId::kPm4WaitRegMemReg;
    if (mem_space > 1) {
      return Error::invalid(
          at_dword("PM4", name, at),
          "mem_space=" + std::to_string(mem_space) + " is not a valid value (REGISTER, MEMORY)");
    }
  }
  const core::PacketLayout& layout = packet_layout(id, gen);
  if (layout.tail == nullptr && size != layout.fixed_dwords) {
    return Error::invalid(at_dword("PM4", name, at),
                          "count " + std::to_string(count) + " does not match the packet: " + name +
                              " on " + gfx_gen_name(gen) + " has " +
                              std::to_string(layout.fixed_dwords) + " dwords (count " +
                              std::to_string(layout.fixed_dwords - 2) + ")");
  }
  if (layout.tail != nullptr && size < layout.fixed_dwords + min_tail(id)) {
    const uint32_t need = layout.fixed_dwords + min_tail(id);
    return Error::invalid(at_dword("PM4", name, at),
                          "count " + std::to_string(count) + " is too small: " + name +
                              " needs at least " + std::to_string(need) + " dwords (count " +
                              std::to_string(need - 2) + ")");
  }
  return finish(id, buf, offset, static_cast<uint32_t>(size), gen, default_sdma_gen(gen), base);
}

Result<DecodedPacket> decode_sdma(std::span<const uint32_t> buf, uint32_t offset, SdmaGen gen,
                                  uint32_t base) {
  const uint32_t at = base + offset;
  if (offset >= buf.size()) {
    return Error::invalid(
        at_dword("SDMA", nullptr, at),
        "the offset is past the end of the buffer (" + std::to_string(buf.size()) + " dwords)");
  }
  const size_t left = buf.size() - offset;
  const uint32_t h = buf[offset];
  const uint32_t op = h & 0xFF;
  const uint32_t sub_op = (h >> 8) & 0xFF;
  PacketId id;
  uint32_t expected_sub_op = 0;
  switch (op) {
    case SDMA_OP_NOP: id = PacketId::kSdmaNop; break;
    case SDMA_OP_COPY: id = PacketId::kSdmaCopyLinear; break;
    case SDMA_OP_WRITE: id = PacketId::kSdmaWriteUntiled; break;
    case SDMA_OP_FENCE: id = PacketId::kSdmaFence; break;
    case SDMA_OP_TRAP: id = PacketId::kSdmaTrap; break;
    case SDMA_OP_POLL_REGMEM: id = PacketId::kSdmaPollRegmem; break;
    case SDMA_OP_TIMESTAMP: id = PacketId::kSdmaTimestamp; break;
    case SDMA_OP_GCR_REQ: id = PacketId::kSdmaGcrReq; break;
    default: {
      const char* n = sdma_op_name(op);
      return Error::invalid(
          at_dword("SDMA", n, at),
          n != nullptr ? "op " + std::to_string(op) + " (" + n + ") is not described (header " +
                             hex32(h) + ")"
                       : "unknown op " + std::to_string(op) + " (header " + hex32(h) + ")");
    }
  }
  const core::PacketLayout& layout = packet_layout(id, GfxGen::kGfx11, gen);
  const char* name = layout.name;
  if (id == PacketId::kSdmaGcrReq && !detail::PacketTraits<SdmaGcrReq>::exists(gen)) {
    return Error::invalid(at_dword("SDMA", name, at),
                          std::string("GCR_REQ does not exist on ") + sdma_gen_name(gen));
  }
  if (id != PacketId::kSdmaTimestamp && sub_op != expected_sub_op) {
    return Error::invalid(at_dword("SDMA", name, at),
                          "sub_op " + std::to_string(sub_op) + " of op " + std::to_string(op) +
                              " is not described (only " + name + ", sub_op 0)");
  }
  uint64_t size = layout.fixed_dwords;
  if (id == PacketId::kSdmaNop) size = 1 + ((h >> 16) & 0x3FFF);
  if (id == PacketId::kSdmaWriteUntiled) {
    if (left < layout.fixed_dwords) {
      return Error::invalid(at_dword("SDMA", name, at),
                            "truncated: " + past_end(layout.fixed_dwords, left, buf.size()));
    }
    size = layout.fixed_dwords + (buf[offset + 3] & 0xFFFFF) + 1;
  }
  if (size > left) {
    return Error::invalid(at_dword("SDMA", name, at),
                          (id == PacketId::kSdmaNop || id == PacketId::kSdmaWriteUntiled
                               ? "count runs past the end of the buffer: "
                               : "truncated: ") +
                              past_end(size, left, buf.size()));
  }
  return finish(id, buf, offset, static_cast<uint32_t>(size), GfxGen::kGfx11, gen, base);
}

Result<DecodedPacket> decode_aql(std::span<const uint32_t> buf, uint32_t offset, uint32_t base) {
  const uint32_t at = base + offset;
  if (offset >= buf.size() || buf.size() - offset < kAqlPacketDwords) {
    return Error::invalid(
        at_dword("AQL", nullptr, at),
        "truncated: " +
            past_end(kAqlPacketDwords, offset < buf.size() ? buf.size() - offset : 0, buf.size()));
  }
  const uint32_t h = buf[offset];
  PacketId id;
  switch (h & 0xFF) {
    case HSA_PACKET_TYPE_INVALID: id = PacketId::kAqlInvalid; break;
    case HSA_PACKET_TYPE_KERNEL_DISPATCH: id = PacketId::kAqlKernelDispatch; break;
    case HSA_PACKET_TYPE_BARRIER_AND: id = PacketId::kAqlBarrierAnd; break;
    case HSA_PACKET_TYPE_BARRIER_OR: id = PacketId::kAqlBarrierOr; break;
    case HSA_PACKET_TYPE_AGENT_DISPATCH:
      return Error::invalid(at_dword("AQL", "AGENT_DISPATCH", at),
                            "agent dispatch packets are not described (header " + hex32(h) + ")");
    case HSA_PACKET_TYPE_VENDOR_SPECIFIC: {
      const uint32_t format = (h >> 16) & 0xFF;
      if (format == AMD_AQL_FORMAT_PM4_IB) {
        id = PacketId::kAqlPm4Ib;
      } else if (format == AMD_AQL_FORMAT_BARRIER_VALUE) {
        id = PacketId::kAqlBarrierValue;
      } else {
        return Error::invalid(
            at_dword("AQL", "VENDOR_SPECIFIC", at),
            "unknown AmdFormat " + std::to_string(format) + " (header " + hex32(h) + ")");
      }
      break;
    }
    default:
      return Error::invalid(
          at_dword("AQL", nullptr, at),
          "unknown packet type " + std::to_string(h & 0xFF) + " (header " + hex32(h) + ")");
  }
  return finish(id, buf, offset, kAqlPacketDwords, GfxGen::kGfx11, SdmaGen::kSdma6, base);
}

Result<DecodedPacket> decode(std::span<const uint32_t> buf, uint32_t offset,
                             const PacketFormat& format, uint32_t base) {
  switch (format.engine) {
    case Engine::kPm4: return decode_pm4(buf, offset, format.gfx, base);
    case Engine::kSdma: return decode_sdma(buf, offset, format.sdma, base);
    case Engine::kAql: return decode_aql(buf, offset, base);
  }
  return Error::internal("decode", "unknown engine");
}

std::string disassemble(std::span<const uint32_t> buf, const PacketFormat& format, uint32_t base) {
  std::string out;
  char pos[24];
  for (uint32_t off = 0; off < buf.size();) {
    std::snprintf(pos, sizeof pos, "0x%04" PRIx32 ": ", base + off);
    Result<DecodedPacket> d = decode(buf, off, format, base);
    if (!d.ok()) {
      out += pos;
      out += "error: ";
      out += d.error().message();
      out += '\n';
      break;
    }
    uint32_t step = d->dwords();
    out += pos;
    out += engine_name(format.engine);
    out += ' ';
    out += d->text();
    if (d->id == PacketId::kSdmaNop && d->raw[0] == 0) {
      uint32_t run = 1;
      while (off + run < buf.size() && buf[off + run] == 0) ++run;
      if (run > 1) out += " x" + std::to_string(run);
      step = run;
    }
    out += '\n';
    off += step;
  }
  return out;
}

}  // namespace rawgpu::kfd
