#include "kfd/loader.h"

#include <elf.h>

#ifndef MSGPACK_NO_BOOST
#define MSGPACK_NO_BOOST 1
#endif
#include <msgpack.hpp>

#include <cstring>

#include "core/elf.h"

namespace rawgpu::kfd {
namespace {

using core::Error;

constexpr uint64_t kMaxImage = 1ull << 30;

const msgpack::object* map_get(const msgpack::object& m, std::string_view key) {
  if (m.type != msgpack::type::MAP) return nullptr;
  for (uint32_t i = 0; i < m.via.map.size; ++i) {
    const msgpack::object& k = m.via.map.ptr[i].key;
    if (k.type == msgpack::type::STR && std::string_view(k.via.str.ptr, k.via.str.size) == key)
      return &m.via.map.ptr[i].val;
  }
  return nullptr;
}

bool get_u32(const msgpack::object& m, std::string_view key, uint32_t& out) {
  const msgpack::object* v = map_get(m, key);
  if (!v) return false;
  if (v->type != msgpack::type::POSITIVE_INTEGER || v->via.u64 > 0xffffffffu) return false;
  out = static_cast<uint32_t>(v->via.u64);
  return true;
}

bool get_str(const msgpack::object& m, std::string_view key, std::string& out) {
  const msgpack::object* v = map_get(m, key);
  if (!v || v->type != msgpack::type::STR) return false;
  out.assign(v->via.str.ptr, v->via.str.size);
  return true;
}

// Other hidden arguments (printf, hostcall, heap, …) are left zero, as the ABI allows.
void read_hidden(HiddenArgs& h, std::string_view kind, int32_t offset) {
  struct Row {
    const char* name;
    int32_t* slot;
  } rows[] = {
      {"hidden_block_count_x", &h.block_count[0]}, {"hidden_block_count_y", &h.block_count[1]},
      {"hidden_block_count_z", &h.block_count[2]}, {"hidden_group_size_x", &h.group_size[0]},
      {"hidden_group_size_y", &h.group_size[1]},   {"hidden_group_size_z", &h.group_size[2]},
      {"hidden_remainder_x", &h.remainder[0]},     {"hidden_remainder_y", &h.remainder[1]},
      {"hidden_remainder_z", &h.remainder[2]},     {"hidden_global_offset_x", &h.global_offset[0]},
      {"hidden_global_offset_y", &h.global_offset[1]},
      {"hidden_global_offset_z", &h.global_offset[2]},
      {"hidden_grid_dims", &h.grid_dims},          {"hidden_dynamic_lds_size", &h.dynamic_lds_size},
      {"hidden_queue_ptr", &h.queue_ptr},          {"hidden_private_base", &h.private_base},
      {"hidden_shared_base", &h.shared_base},
  };
  for (Row& r : rows) {
    if (kind == r.name) {
      *r.slot = offset;
      return;
    }
  }
}

core::Result<std::vector<HsaKernel>> parse_metadata(std::span<const uint8_t> desc) {
  const std::string op = "code object: AMDGPU metadata note";
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(reinterpret_cast<const char*>(desc.data()), desc.size(), nullptr, nullptr,
                         msgpack::unpack_limit(4096, 4096, 1u << 20, 1u << 20, 1024, 32));
  } catch (const std::exception& e) {
    return Error::invalid(op, std::string("msgpack does not parse: ") + e.what());
  }
  const msgpack::object& root = oh.get();
  if (root.type != msgpack::type::MAP) return Error::invalid(op, "top level is not a map");
  const msgpack::object* kernels = map_get(root, "amdhsa.kernels");
  if (!kernels || kernels->type != msgpack::type::ARRAY)
    return Error::invalid(op, "no amdhsa.kernels array");
  std::vector<HsaKernel> out;
  for (uint32_t i = 0; i < kernels->via.array.size; ++i) {
    const msgpack::object& k = kernels->via.array.ptr[i];
    HsaKernel hk;
    const std::string where = op + ", kernel " + std::to_string(i);
    if (!get_str(k, ".name", hk.name) || !get_str(k, ".symbol", hk.symbol))
      return Error::invalid(where, "missing .name or .symbol");
    if (!get_u32(k, ".kernarg_segment_size", hk.kernarg_size))
      return Error::invalid(where, "missing .kernarg_segment_size");
    get_u32(k, ".kernarg_segment_align", hk.kernarg_align);
    get_u32(k, ".group_segment_fixed_size", hk.group_segment_fixed_size);
    get_u32(k, ".private_segment_fixed_size", hk.private_segment_fixed_size);
    get_u32(k, ".wavefront_size", hk.wavefront_size);
    get_u32(k, ".max_flat_workgroup_size", hk.max_flat_workgroup_size);
    get_u32(k, ".sgpr_count", hk.sgpr_count);
    get_u32(k, ".vgpr_count", hk.vgpr_count);
    if (hk.kernarg_align == 0 || (hk.kernarg_align & (hk.kernarg_align - 1)) || hk.kernarg_align > 4096)
      return Error::invalid(where, ".kernarg_segment_align is not a power of two <= 4096");
    if (hk.max_flat_workgroup_size == 0 || hk.max_flat_workgroup_size > 1024)
      return Error::invalid(where, ".max_flat_workgroup_size out of range");
    if (const msgpack::object* args = map_get(k, ".args")) {
      if (args->type != msgpack::type::ARRAY) return Error::invalid(where, ".args is not an array");
      for (uint32_t a = 0; a < args->via.array.size; ++a) {
        const msgpack::object& arg = args->via.array.ptr[a];
        queues::KernelArgInfo info;
        std::string kind;
        if (!get_u32(arg, ".offset", info.offset) || !get_u32(arg, ".size", info.size) ||
            !get_str(arg, ".value_kind", kind))
          return Error::invalid(where, "argument " + std::to_string(a) +
                                           " lacks .offset, .size or .value_kind");
        if (uint64_t{info.offset} + info.size > hk.kernarg_size)
          return Error::invalid(where, "argument " + std::to_string(a) +
                                           " lies past .kernarg_segment_size");
        get_str(arg, ".name", info.name);
        if (kind.starts_with("hidden_")) {
          info.kind = queues::KernelArgInfo::Kind::kHidden;
          if (info.name.empty()) info.name = kind;
          read_hidden(hk.hidden, kind, static_cast<int32_t>(info.offset));
        } else {
          info.kind = kind == "global_buffer" || kind == "dynamic_shared_pointer"
                          ? queues::KernelArgInfo::Kind::kPointer
                          : queues::KernelArgInfo::Kind::kValue;
          hk.explicit_args_size = std::max(hk.explicit_args_size, info.offset + info.size);
        }
        hk.args.push_back(std::move(info));
      }
    }
    out.push_back(std::move(hk));
  }
  return out;
}

}  // namespace

const HsaKernel* HsaCodeObject::kernel(std::string_view name) const {
  for (const HsaKernel& k : kernels)
    if (k.name == name) return &k;
  return nullptr;
}

core::Result<HsaCodeObject> parse_code_object(std::span<const uint8_t> bytes) {
  RAWGPU_ASSIGN(core::ElfView elf, core::ElfView::parse(bytes));
  const core::ElfHeader& h = elf.header();
  const std::string op = "code object";
  if (h.machine != kEmAmdgpu)
    return Error::invalid(op, "e_machine " + std::to_string(h.machine) + " is not EM_AMDGPU (224)");
  if (h.os_abi != kElfOsAbiAmdgpuHsa)
    return Error::invalid(op, "EI_OSABI " + std::to_string(h.os_abi) +
                                  " is not ELFOSABI_AMDGPU_HSA (64)");
  HsaCodeObject co;
  switch (h.abi_version) {
    case kAbiVersionV4: co.code_object_version = 4; break;
    case kAbiVersionV5: co.code_object_version = 5; break;
    case kAbiVersionV6: co.code_object_version = 6; break;
    default:
      return Error::unsupported(op, "code object ABI version " + std::to_string(h.abi_version) +
                                        " (only v4, v5, v6 are supported; rebuild with a newer clang)");
  }
  if (h.type != ET_DYN)
    return Error::invalid(op, "not a linked code object (e_type " + std::to_string(h.type) +
                                  "); link it with ld.lld -shared");
  co.e_flags = h.flags;
  auto target = gfx_target_by_mach(static_cast<uint8_t>(h.flags & kEfAmdgpuMachMask));
  if (!target) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%02x", h.flags & kEfAmdgpuMachMask);
    return Error::unsupported(op, std::string("unknown EF_AMDGPU_MACH ") + buf);
  }
  co.target = *target;

  uint64_t end = 0;
  for (const core::ElfSegment& s : elf.segments()) {
    if (s.type != PT_LOAD) continue;
    if (s.memsz < s.filesz || s.vaddr > kMaxImage || s.memsz > kMaxImage - s.vaddr)
      return Error::invalid(op, "PT_LOAD segment " + std::to_string(s.index) + " has a bad size");
    end = std::max(end, s.vaddr + s.memsz);
  }
  if (end == 0) return Error::invalid(op, "no PT_LOAD segment");
  co.image.assign((end + 4095) & ~uint64_t{4095}, 0);
  for (const core::ElfSegment& s : elf.segments()) {
    if (s.type != PT_LOAD || s.data.empty()) continue;
    std::memcpy(co.image.data() + s.vaddr, s.data.data(), s.data.size());
  }

  for (const core::ElfRelocation& r : elf.relocations()) {
    if (r.type == R_AMDGPU_NONE) continue;
    uint64_t sval = 0;
    if (r.symbol) {
      const core::ElfSymbol* sym = elf.relocation_symbol(r);
      if (!sym) return Error::invalid(op, "relocation names a symbol that does not exist");
      sval = sym->value;
    }
    if (!core::in_bounds(r.offset, 8, co.image.size()) &&
        !core::in_bounds(r.offset, 4, co.image.size()))
      return Error::invalid(op, "relocation offset outside the loaded image");
    co.relocations.push_back({r.offset, r.type, sval, r.addend});
  }

  const core::ElfNote* note = elf.find_note("AMDGPU", kNtAmdgpuMetadata);
  if (!note) return Error::invalid(op, "no AMDGPU metadata note (NT_AMDGPU_METADATA)");
  RAWGPU_ASSIGN(co.kernels, parse_metadata(note->desc));
  if (co.kernels.empty()) return Error::invalid(op, "metadata lists no kernels");

  for (HsaKernel& k : co.kernels) {
    const core::ElfSymbol* kd = elf.find_symbol(k.symbol);
    if (!kd) return Error::invalid(op, "kernel descriptor symbol '" + k.symbol + "' not found");
    if (kd->value % 64 || !core::in_bounds(kd->value, sizeof(kernel_descriptor_t), co.image.size()))
      return Error::invalid(op, "kernel descriptor '" + k.symbol +
                                    "' is misaligned or outside the image");
    k.kd_offset = kd->value;
    std::memcpy(&k.kd, co.image.data() + kd->value, sizeof k.kd);
    const int64_t entry = static_cast<int64_t>(kd->value) + k.kd.kernel_code_entry_byte_offset;
    if (entry < 0 || static_cast<uint64_t>(entry) % kKernelEntryAlign ||
        !core::in_bounds(static_cast<uint64_t>(entry), 4, co.image.size()))
      return Error::invalid(op, "kernel '" + k.name +
                                    "': entry point is outside the image or not 256-byte aligned");
    k.entry_offset = static_cast<uint64_t>(entry);
    if (k.kd.kernarg_size != k.kernarg_size && k.kd.kernarg_size != 0)
      return Error::invalid(op, "kernel '" + k.name + "': descriptor kernarg_size " +
                                    std::to_string(k.kd.kernarg_size) + " != metadata " +
                                    std::to_string(k.kernarg_size));
    if (k.kd.compute_pgm_rsrc2 & COMPUTE_PGM_RSRC2_GRANULATED_LDS_SIZE_MASK)
      return Error::invalid(op, "kernel '" + k.name +
                                    "': GRANULATED_LDS_SIZE must be 0 in the descriptor");
  }
  if (const core::ElfSection* text = elf.find_section(".text");
      text && text->data.size() >= sizeof(SimBlobHeader) &&
      std::memcmp(text->data.data(), kSimBlobMagic, sizeof kSimBlobMagic) == 0)
    co.simulated = true;
  return co;
}

core::Status relocate(std::span<uint8_t> image, uint64_t base,
                      std::span<const HsaRelocation> relocations) {
  for (const HsaRelocation& r : relocations) {
    const uint64_t s = r.symbol_value ? base + r.symbol_value : 0;
    const uint64_t p = base + r.offset;
    uint64_t v64 = 0;
    size_t width = 8;
    switch (r.type) {
      case R_AMDGPU_ABS64: v64 = s + static_cast<uint64_t>(r.addend); break;
      case R_AMDGPU_RELATIVE64: v64 = base + static_cast<uint64_t>(r.addend); break;
      case R_AMDGPU_REL64: v64 = s + static_cast<uint64_t>(r.addend) - p; break;
      case R_AMDGPU_REL32: v64 = s + static_cast<uint64_t>(r.addend) - p; width = 4; break;
      case R_AMDGPU_ABS32:
      case R_AMDGPU_ABS32_LO: v64 = s + static_cast<uint64_t>(r.addend); width = 4; break;
      case R_AMDGPU_ABS32_HI: v64 = (s + static_cast<uint64_t>(r.addend)) >> 32; width = 4; break;
      default:
        return Error::unsupported("code object relocation",
                                  "relocation type " + std::to_string(r.type) + " is not supported");
    }
    if (!core::in_bounds(r.offset, width, image.size()))
      return Error::invalid("code object relocation", "offset outside the image");
    if (width == 8) {
      std::memcpy(image.data() + r.offset, &v64, 8);
    } else {
      uint32_t v32 = static_cast<uint32_t>(v64);
      std::memcpy(image.data() + r.offset, &v32, 4);
    }
  }
  return {};
}

}  // namespace rawgpu::kfd
