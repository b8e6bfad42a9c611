#include "nv_ioctl/loader.h"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/elf.h"

namespace rawgpu::nv {
namespace {

using core::Error;

constexpr uint64_t kMaxImage = 1ull << 30;
constexpr uint64_t kSectionAlign = 128;  // nvidia.md §6.1 (tinygrad force_section_align)
constexpr uint64_t kMaxSectionAlign = 4096;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kMaxShared = 1ull << 24;  // far above any GPU's shared memory per CTA
constexpr uint64_t kNotInImage = ~uint64_t{0};

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string attr_label(uint8_t id) {
  const char* n = eiattr_name(id);
  return n ? std::string(n) : "EIATTR " + hex(id);
}

std::string fmt_label(uint8_t f) {
  switch (f) {
    case EIFMT_NVAL: return "EIFMT_NVAL";
    case EIFMT_BVAL: return "EIFMT_BVAL";
    case EIFMT_HVAL: return "EIFMT_HVAL";
    case EIFMT_SVAL: return "EIFMT_SVAL";
    default: return "format " + hex(f);
  }
}

std::string reloc_label(uint32_t type) {
  const char* n = r_cuda_name(type);
  return n ? std::string(n) + " (" + hex(type) + ")" : "type " + hex(type);
}

std::string section_where(const core::ElfSection& s) {
  return "cubin: section " + std::to_string(s.index) + " '" + std::string(s.name) + "'";
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void store(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

uint32_t shared_reserve(uint32_t sm) {
  if (auto f = sm_facts(sm)) return f->shared_reserve;
  return sm >= 90 ? 0x400 : 0;  // the sm_90 rule, assumed for later SMs (nvidia-hopper.md §4.3)
}

// Splits an .nv.info section into records; every record is bounds-checked.
core::Result<std::vector<NvInfoRecord>> read_records(const core::ElfSection& s) {
  std::vector<NvInfoRecord> out;
  std::span<const uint8_t> d = s.data;
  size_t off = 0;
  while (off < d.size()) {
    if (d.size() - off < sizeof(NvInfoHeader))
      return Error::invalid(section_where(s), "record at +" + hex(off) + " is truncated: " +
                                                  std::to_string(d.size() - off) +
                                                  " bytes left, a record header takes 4");
    const NvInfoHeader h = load<NvInfoHeader>(d.data() + off);
    NvInfoRecord r{h.format, h.attribute, h.value, {}};
    switch (h.format) {
      case EIFMT_NVAL:
      case EIFMT_BVAL:
      case EIFMT_HVAL: off += sizeof h; break;
      case EIFMT_SVAL:
        if (h.value > d.size() - off - sizeof h)
          return Error::invalid(section_where(s),
                                "record at +" + hex(off) + " (" + attr_label(h.attribute) +
                                    ") declares " + hex(h.value) + " bytes of data, only " +
                                    hex(d.size() - off - sizeof h) + " remain in the section");
        r.data.assign(d.begin() + static_cast<std::ptrdiff_t>(off + sizeof h),
                      d.begin() + static_cast<std::ptrdiff_t>(off + sizeof h + h.value));
        off += sizeof h + h.value;
        break;
      default:
        return Error::invalid(section_where(s), "record at +" + hex(off) + " (" +
                                                    attr_label(h.attribute) + ") has unknown " +
                                                    fmt_label(h.format) +
                                                    " (EIFMT_NVAL..EIFMT_SVAL are 1..4)");
    }
    out.push_back(std::move(r));
  }
  return out;
}

// A record the loader reads must have the layout it expects (size 0: any SVAL size that is a
// multiple of 4).
core::Status expect(const NvInfoRecord& r, uint8_t format, size_t size, const std::string& where) {
  bool ok = r.format == format;
  if (ok && format == EIFMT_SVAL) ok = size ? r.data.size() == size : r.data.size() % 4 == 0;
  if (ok) return {};
  std::string want = fmt_label(format);
  if (format == EIFMT_SVAL)
    want += size ? " with " + std::to_string(size) + " bytes" : " with 4*N bytes";
  std::string got = fmt_label(r.format);
  if (r.format == EIFMT_SVAL) got += " with " + std::to_string(r.data.size()) + " bytes";
  return Error::invalid(where,
                        attr_label(r.attribute) + " record is " + got + "; expected " + want);
}

struct Layout {
  std::vector<uint64_t> offset;  // per section: image offset or kNotInImage
  uint64_t end = 0;
};

bool in_image(const core::ElfSection& s) {
  if (s.type == SHT_PROGBITS && (s.flags & SHF_ALLOC)) return true;
  return s.type == SHT_NOBITS && s.name == ".nv.global";
}

core::Result<Layout> lay_out(const core::ElfView& elf) {
  Layout l;
  l.offset.assign(elf.sections().size(), kNotInImage);
  uint64_t cursor = 0;
  for (const core::ElfSection& s : elf.sections()) {
    if (!in_image(s)) continue;
    const uint64_t a = std::max<uint64_t>(s.addralign, kSectionAlign);
    if (a & (a - 1) || a > kMaxSectionAlign)
      return Error::invalid(section_where(s),
                            "sh_addralign " + hex(s.addralign) + " is not a power of two <= 4096");
    cursor = align_up(cursor, a);
    if (s.size > kMaxImage - cursor)
      return Error::invalid(section_where(s),
                            "size " + hex(s.size) + " makes the load image larger than 1 GiB");
    l.offset[s.index] = cursor;
    cursor += s.size;
  }
  l.end = cursor;
  return l;
}

// Offset of `value` (st_value / r_offset) inside section `s`. In a linked cubin (ET_EXEC) values
// are addresses; nvcc leaves every sh_addr at 0, so both readings agree there (mesa nv_cubin.c
// subtracts sh_addr the same way).
std::optional<uint64_t> offset_in(const core::ElfView& elf, const core::ElfSection& s,
                                  uint64_t value) {
  uint64_t off = value;
  if (elf.header().type != ET_REL && s.addr != 0) {
    if (value < s.addr) return std::nullopt;
    off = value - s.addr;
  }
  if (off > s.size) return std::nullopt;
  return off;
}

// Width and position of the field a relocation writes; nullopt for types rawgpu does not apply.
struct Field {
  uint32_t at;     // bytes after r_offset
  uint32_t width;  // bytes
};
std::optional<Field> reloc_field(uint32_t type) {
  switch (type) {
    case R_CUDA_32: return Field{0, 4};
    case R_CUDA_64: return Field{0, 8};
    case R_CUDA_ABS32_LO_32:
    case R_CUDA_ABS32_HI_32: return Field{4, 4};
    default: return std::nullopt;
  }
}

core::Status read_relocations(const core::ElfView& elf, const Layout& l, Cubin& c) {
  size_t n = 0;
  uint32_t prev_section = 0;
  for (const core::ElfRelocation& r : elf.relocations()) {
    n = r.section == prev_section ? n + 1 : 0;
    prev_section = r.section;
    if (r.target == 0 || l.offset[r.target] == kNotInImage) continue;  // .rel.debug_frame etc.
    if (r.type == R_CUDA_NONE) continue;
    const core::ElfSection& rs = elf.sections()[r.section];
    const std::string where = section_where(rs) + " entry " + std::to_string(n);
    const std::optional<Field> f = reloc_field(r.type);
    if (!f)
      return Error::unsupported(where,
                                reloc_label(r.type) +
                                    " is not supported; rawgpu applies R_CUDA_32, R_CUDA_64, "
                                    "R_CUDA_ABS32_LO_32 and R_CUDA_ABS32_HI_32");
    const core::ElfSection& target = elf.sections()[r.target];
    const std::optional<uint64_t> rel = offset_in(elf, target, r.offset);
    if (!rel || !core::in_bounds(*rel, uint64_t{f->at} + f->width, target.size))
      return Error::invalid(where, "r_offset " + hex(r.offset) + " (" + reloc_label(r.type) +
                                       ") lies outside its target '" + std::string(target.name) +
                                       "' (" + hex(target.size) + " bytes)");
    CubinRelocation out;
    out.offset = l.offset[r.target] + *rel;
    out.type = r.type;
    const core::ElfSymbol* sym = r.symbol ? elf.relocation_symbol(r) : nullptr;
    if (!sym) {
      out.absolute = true;
    } else if (!sym->defined()) {
      if (sym->bind != STB_WEAK)
        return Error::invalid(
            where, "relocation against undefined symbol '" + std::string(sym->name) + "'");
      out.absolute = true;  // an undefined weak symbol resolves to 0
    } else if (sym->shndx == SHN_ABS) {
      out.absolute = true;
      out.symbol_value = sym->value;
    } else {
      if (sym->shndx >= elf.sections().size() || l.offset[sym->shndx] == kNotInImage)
        return Error::invalid(where, "relocation against symbol '" + std::string(sym->name) +
                                         "' whose section is not part of the load image");
      const core::ElfSection& ss = elf.sections()[sym->shndx];
      const std::optional<uint64_t> so = offset_in(elf, ss, sym->value);
      if (!so)
        return Error::invalid(where, "symbol '" + std::string(sym->name) + "' value " +
                                         hex(sym->value) + " lies outside its section '" +
                                         std::string(ss.name) + "'");
      out.symbol_value = l.offset[sym->shndx] + *so;
    }
    if (r.has_addend) {
      out.addend = r.addend;
    } else {  // SHT_REL: the addend is what the field holds (sm_86 cubins use REL)
      const uint8_t* p = c.image.data() + out.offset + f->at;
      out.addend =
          f->width == 8 ? static_cast<int64_t>(load<uint64_t>(p)) : int64_t{load<uint32_t>(p)};
    }
    c.relocations.push_back(out);
  }
  return {};
}

// Global .nv.info: per-function records keyed by symbol index.
core::Status read_global_info(const core::ElfView& elf, Cubin& c,
                              const std::map<uint32_t, size_t>& by_symbol) {
  const core::ElfSection* s = elf.find_section(".nv.info");
  if (!s) return {};
  if (s->type != kShtNvInfo)
    return Error::invalid(section_where(*s),
                          "sh_type " + hex(s->type) + " is not SHT_LOPROC (0x70000000)");
  RAWGPU_ASSIGN(c.info, read_records(*s));
  const std::string where = section_where(*s);
  const size_t nsyms = elf.symbols(core::SymbolTable::kSymtab).size();
  for (const NvInfoRecord& r : c.info) {
    uint32_t CubinKernel::*field = nullptr;
    switch (r.attribute) {
      case EIATTR_REGCOUNT: field = &CubinKernel::register_count; break;
      case EIATTR_FRAME_SIZE: field = &CubinKernel::frame_size; break;
      case EIATTR_MIN_STACK_SIZE: field = &CubinKernel::min_stack_size; break;
      case EIATTR_MAX_STACK_SIZE: field = &CubinKernel::max_stack_size; break;
      default: continue;  // kept raw in c.info
    }
    RAWGPU_TRY(expect(r, EIFMT_SVAL, sizeof(EiattrSymbolValue), where));
    const EiattrSymbolValue v = load<EiattrSymbolValue>(r.data.data());
    if (v.symbol == 0 || v.symbol >= nsyms)
      return Error::invalid(where, attr_label(r.attribute) + " names symbol " +
                                       std::to_string(v.symbol) + ", but .symtab has " +
                                       std::to_string(nsyms) + " entries");
    auto it = by_symbol.find(v.symbol);
    if (it != by_symbol.end()) c.kernels[it->second].*field = v.value;  // else a device function
  }
  return {};
}

struct ParamCbank {
  bool present = false;
  EiattrParamCbank v{};
};

// .nv.info.<name>.
core::Status read_kernel_info(const core::ElfView& elf, const core::ElfSection& s, CubinKernel& k,
                              ParamCbank& pc, bool& have_param_size) {
  RAWGPU_ASSIGN(k.info, read_records(s));
  const std::string where = section_where(s);
  const size_t nsyms = elf.symbols(core::SymbolTable::kSymtab).size();
  for (const NvInfoRecord& r : k.info) {
    switch (r.attribute) {
      case EIATTR_KPARAM_INFO: {
        RAWGPU_TRY(expect(r, EIFMT_SVAL, sizeof(EiattrKparamInfo), where));
        const EiattrKparamInfo p = load<EiattrKparamInfo>(r.data.data());
        k.params.push_back({p.ordinal, p.offset, kparam_info_size(p.packed), p.packed});
        break;
      }
      case EIATTR_PARAM_CBANK: {
        RAWGPU_TRY(expect(r, EIFMT_SVAL, sizeof(EiattrParamCbank), where));
        pc.present = true;
        pc.v = load<EiattrParamCbank>(r.data.data());
        if (pc.v.symbol >= nsyms)
          return Error::invalid(where, "EIATTR_PARAM_CBANK names symbol " +
                                           std::to_string(pc.v.symbol) + ", but .symtab has " +
                                           std::to_string(nsyms) + " entries");
        break;
      }
      case EIATTR_CBANK_PARAM_SIZE:
        RAWGPU_TRY(expect(r, EIFMT_HVAL, 0, where));
        k.param_size = r.value;
        have_param_size = true;
        break;
      case EIATTR_MAXREG_COUNT:
        RAWGPU_TRY(expect(r, EIFMT_HVAL, 0, where));
        k.max_register_count = r.value;
        break;
      case EIATTR_NUM_BARRIERS:
        RAWGPU_TRY(expect(r, EIFMT_BVAL, 0, where));
        k.num_barriers = r.value & 0xff;
        break;
      case EIATTR_CTAIDZ_USED:
        RAWGPU_TRY(expect(r, EIFMT_NVAL, 0, where));
        k.ctaid_z_used = true;
        break;
      case EIATTR_CRS_STACK_SIZE:
      case EIATTR_CUDA_API_VERSION:
        RAWGPU_TRY(expect(r, EIFMT_SVAL, 4, where));
        (r.attribute == EIATTR_CRS_STACK_SIZE ? k.crs_stack_size : k.cuda_api_version) =
            load<uint32_t>(r.data.data());
        break;
      case EIATTR_MAX_THREADS:
      case EIATTR_REQNTID: {
        RAWGPU_TRY(expect(r, EIFMT_SVAL, sizeof(EiattrDim3), where));
        const EiattrDim3 d = load<EiattrDim3>(r.data.data());
        uint32_t* out = r.attribute == EIATTR_MAX_THREADS ? k.max_threads : k.req_threads;
        out[0] = d.x;
        out[1] = d.y;
        out[2] = d.z;
        break;
      }
      case EIATTR_EXIT_INSTR_OFFSETS:
        RAWGPU_TRY(expect(r, EIFMT_SVAL, 0, where));
        for (size_t i = 0; i < r.data.size(); i += 4) {
          const uint32_t off = load<uint32_t>(r.data.data() + i);
          if (off >= k.text_size)
            return Error::invalid(where, "EIATTR_EXIT_INSTR_OFFSETS entry " + hex(off) +
                                             " lies past the code of '" + k.name + "' (" +
                                             hex(k.text_size) + " bytes)");
          k.exit_offsets.push_back(off);
        }
        break;
      case EIATTR_FRAME_SIZE:
      case EIATTR_MIN_STACK_SIZE:
      case EIATTR_MAX_STACK_SIZE: {
        // Older toolkits put these per kernel: {u32 bytes} or {u32 symbol, u32 bytes}.
        uint32_t CubinKernel::*field = r.attribute == EIATTR_FRAME_SIZE ? &CubinKernel::frame_size
                                       : r.attribute == EIATTR_MIN_STACK_SIZE
                                           ? &CubinKernel::min_stack_size
                                           : &CubinKernel::max_stack_size;
        if (r.format == EIFMT_SVAL && r.data.size() == 4) {
          k.*field = load<uint32_t>(r.data.data());
        } else {
          RAWGPU_TRY(expect(r, EIFMT_SVAL, sizeof(EiattrSymbolValue), where));
          const EiattrSymbolValue v = load<EiattrSymbolValue>(r.data.data());
          if (v.symbol == k.symbol) k.*field = v.value;
        }
        break;
      }
      default: break;  // kept raw in k.info
    }
  }
  return {};
}

// Parameters, constant bank 0 and the neutral argument layout of one kernel.
core::Status finish_params(const core::ElfView& elf, const Layout& l, CubinKernel& k,
                           const ParamCbank& pc, bool have_param_size) {
  const std::string where = "cubin: kernel '" + k.name + "'";
  std::sort(k.params.begin(), k.params.end(),
            [](const CubinParam& a, const CubinParam& b) { return a.ordinal < b.ordinal; });
  for (size_t i = 0; i < k.params.size(); ++i)
    if (k.params[i].ordinal != i)
      return Error::invalid(where, "EIATTR_KPARAM_INFO ordinals are not 0.." +
                                       std::to_string(k.params.size() - 1) + " (found " +
                                       std::to_string(k.params[i].ordinal) + " at position " +
                                       std::to_string(i) + ")");
  uint32_t params_end = 0;
  for (const CubinParam& p : k.params) params_end = std::max(params_end, p.offset + p.size);
  if (pc.present) {
    if (have_param_size && pc.v.size != k.param_size)
      return Error::invalid(where, "EIATTR_PARAM_CBANK size " + hex(pc.v.size) +
                                       " != EIATTR_CBANK_PARAM_SIZE " + hex(k.param_size));
    k.param_size = pc.v.size;
  } else if (!have_param_size) {
    k.param_size = params_end;
  }
  for (const CubinParam& p : k.params)
    if (p.offset + p.size > k.param_size)
      return Error::invalid(where, "parameter " + std::to_string(p.ordinal) + " at " +
                                       hex(p.offset) + " (" + std::to_string(p.size) +
                                       " bytes) lies past the parameter area (" +
                                       hex(k.param_size) + " bytes)");

  const core::ElfSection* cb0 = elf.find_section(".nv.constant0." + k.name);
  if (cb0 && (cb0->type != SHT_PROGBITS || l.offset[cb0->index] == kNotInImage))
    return Error::invalid(section_where(*cb0), "is not an allocated SHT_PROGBITS section");
  if (pc.present) {
    const core::ElfSymbol& sym = elf.symbols(core::SymbolTable::kSymtab)[pc.v.symbol];
    if (sym.defined() && (!cb0 || sym.shndx != cb0->index))
      return Error::invalid(where, "EIATTR_PARAM_CBANK names symbol " +
                                       std::to_string(pc.v.symbol) +
                                       ", which is not in .nv.constant0." + k.name);
    k.param_offset = pc.v.offset;
  } else if (k.param_size == 0 && cb0) {
    k.param_offset = static_cast<uint32_t>(std::min<uint64_t>(cb0->size, 0xffff));
  } else if (auto f = sm_facts(k.sm)) {
    k.param_offset = f->param_offset;
  } else {
    return Error::invalid(where, "has no EIATTR_PARAM_CBANK, and the parameter offset of sm_" +
                                     std::to_string(k.sm) + " is unknown");
  }
  const uint64_t needed = uint64_t{k.param_offset} + k.param_size;
  if (needed > 0x10000)
    return Error::invalid(where, "parameter offset " + hex(k.param_offset) + " + size " +
                                     hex(k.param_size) + " exceeds the 64 KiB of a constant bank");
  if (cb0) {
    if (cb0->size < needed)
      return Error::invalid(section_where(*cb0),
                            "size " + hex(cb0->size) + " is smaller than parameter offset " +
                                hex(k.param_offset) + " + size " + hex(k.param_size));
    if (cb0->size > 0x10000)
      return Error::invalid(section_where(*cb0),
                            "size " + hex(cb0->size) + " exceeds the 64 KiB of a constant bank");
    k.cbank0_size = static_cast<uint32_t>(cb0->size);
  } else {
    k.cbank0_size = static_cast<uint32_t>(needed);
  }
  k.explicit_args_size = k.param_size;
  for (const CubinParam& p : k.params)
    k.args.push_back({"", p.offset, p.size, queues::KernelArgInfo::Kind::kValue});
  return {};
}

// Constant-bank sections: ".nv.constant<N>" (module) or ".nv.constant<N>.<kernel>".
struct BankName {
  uint32_t bank;
  std::string_view kernel;  // empty: module-wide
};
std::optional<BankName> bank_name(std::string_view name) {
  constexpr std::string_view kPrefix = ".nv.constant";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  uint32_t bank = 0;
  size_t digits = 0;
  while (digits < name.size() && digits < 3 && name[digits] >= '0' && name[digits] <= '9')
    bank = bank * 10 + static_cast<uint32_t>(name[digits++] - '0');
  if (digits == 0) return std::nullopt;
  name.remove_prefix(digits);
  if (name.empty()) return BankName{bank, {}};
  if (name.front() != '.' || name.size() == 1) return std::nullopt;
  return BankName{bank, name.substr(1)};
}

core::Status check_simulated(const core::ElfView& elf, Cubin& c) {
  size_t stubs = 0;
  for (const CubinKernel& k : c.kernels) {
    if (k.code_size < sizeof(SimNvEntryStub) ||
        std::memcmp(c.image.data() + k.code_offset, kSimNvEntryMagic, sizeof kSimNvEntryMagic) != 0)
      continue;
    ++stubs;
    const SimNvEntryStub st = load<SimNvEntryStub>(c.image.data() + k.code_offset);
    const std::string where = "cubin: simulator stub of '" + k.name + "'";
    if (std::memchr(st.symbol, 0, sizeof st.symbol) == nullptr)
      return Error::invalid(where, "host symbol is not NUL-terminated");
    if (st.param_offset != k.param_offset || st.param_size != k.param_size)
      return Error::invalid(where, "parameter area " + hex(st.param_offset) + "+" +
                                       hex(st.param_size) + " disagrees with .nv.info.<kernel> (" +
                                       hex(k.param_offset) + "+" + hex(k.param_size) + ")");
  }
  if (stubs == 0) return {};
  if (stubs != c.kernels.size())
    return Error::invalid("cubin", "some kernels are simulator stubs and some are SASS");
  const core::ElfSection* blob = elf.find_section(kSimNvBlobSection);
  if (!blob || !in_image(*blob) || blob->size < sizeof(SimNvBlobHeader) ||
      std::memcmp(blob->data.data(), kSimNvBlobMagic, sizeof kSimNvBlobMagic) != 0)
    return Error::invalid(
        "cubin", std::string("simulator stubs without a valid ") + kSimNvBlobSection + " section");
  const SimNvBlobHeader h = load<SimNvBlobHeader>(blob->data.data());
  if (h.so_size > blob->size - sizeof h)
    return Error::invalid(section_where(*blob),
                          "host object size " + hex(h.so_size) + " runs past the section");
  c.simulated = true;
  return {};
}

}  // namespace

const CubinKernel* Cubin::kernel(std::string_view name) const {
  for (const CubinKernel& k : kernels)
    if (k.name == name) return &k;
  return nullptr;
}

core::Result<Cubin> parse_cubin(std::span<const uint8_t> bytes) {
  core::Result<core::ElfView> parsed = core::ElfView::parse(bytes);
  if (!parsed.ok()) return std::move(parsed).error().context("cubin");
  const core::ElfView& elf = *parsed;
  const core::ElfHeader& h = elf.header();
  if (h.machine != kEmCuda)
    return Error::invalid("cubin", "e_machine " + std::to_string(h.machine) +
                                       " is not EM_CUDA (190); this is not a cubin");
  Cubin c;
  c.e_flags = h.flags;
  c.os_abi = h.os_abi;
  c.abi_version = h.abi_version;
  c.sm = cubin_sm_from_e_flags(h.flags, h.os_abi);
  if (c.sm < 10)
    return Error::invalid("cubin", "e_flags " + hex(h.flags) + " (EI_OSABI " + hex(h.os_abi) +
                                       ") carries no SM version");

  RAWGPU_ASSIGN(Layout l, lay_out(elf));
  c.image.assign(align_up(l.end, kPage) + kPage, 0);
  for (const core::ElfSection& s : elf.sections())
    if (l.offset[s.index] != kNotInImage && !s.data.empty())
      std::memcpy(c.image.data() + l.offset[s.index], s.data.data(), s.data.size());
  if (const core::ElfSection* g = elf.find_section(".nv.global");
      g && l.offset[g->index] != kNotInImage) {
    c.global_offset = l.offset[g->index];
    c.global_size = g->size;
  }
  if (const core::ElfSection* g = elf.find_section(".nv.global.init");
      g && l.offset[g->index] != kNotInImage) {
    c.global_init_offset = l.offset[g->index];
    c.global_init_size = g->size;
  }

  // Kernels: global STT_FUNC symbols defined in their own .text.<name>.
  std::map<uint32_t, size_t> by_symbol;
  for (const core::ElfSymbol& sym : elf.symbols(core::SymbolTable::kSymtab)) {
    if (sym.type != STT_FUNC || (sym.bind != STB_GLOBAL && sym.bind != STB_WEAK) ||
        !sym.defined() || sym.shndx >= elf.sections().size())
      continue;
    const core::ElfSection& text = elf.sections()[sym.shndx];
    if (text.name.size() != 6 + sym.name.size() || !text.name.starts_with(".text.") ||
        !text.name.ends_with(sym.name))
      continue;
    const std::string where = "cubin: kernel '" + std::string(sym.name) + "'";
    if (l.offset[text.index] == kNotInImage || !(text.flags & SHF_EXECINSTR))
      return Error::invalid(where, "its section '" + std::string(text.name) +
                                       "' is not an allocated executable SHT_PROGBITS section");
    const std::optional<uint64_t> off = offset_in(elf, text, sym.value);
    if (!off || sym.size == 0 || sym.size > text.size - *off)
      return Error::invalid(where, "code [" + hex(sym.value) + ", +" + hex(sym.size) +
                                       ") is empty or lies outside '" + std::string(text.name) +
                                       "' (" + hex(text.size) + " bytes)");
    CubinKernel k;
    k.name = std::string(sym.name);
    k.sm = c.sm;
    k.symbol = sym.index;
    k.text_offset = l.offset[text.index];
    k.text_size = text.size;
    k.code_offset = k.text_offset + *off;
    k.code_size = sym.size;
    by_symbol[sym.index] = c.kernels.size();
    c.kernels.push_back(std::move(k));
  }
  if (c.kernels.empty())
    return Error::invalid("cubin",
                          "no kernels: no global STT_FUNC symbol in a .text.<name> section");

  RAWGPU_TRY(read_global_info(elf, c, by_symbol));
  for (CubinKernel& k : c.kernels) {
    const std::string where = "cubin: kernel '" + k.name + "'";
    const core::ElfSection* info = elf.find_section(".nv.info." + k.name);
    if (!info) return Error::invalid(where, "has no .nv.info." + k.name + " section");
    if (info->type != kShtNvInfo)
      return Error::invalid(section_where(*info),
                            "sh_type " + hex(info->type) + " is not SHT_LOPROC (0x70000000)");
    ParamCbank pc;
    bool have_param_size = false;
    RAWGPU_TRY(read_kernel_info(elf, *info, k, pc, have_param_size));
    if (k.register_count == 0)
      return Error::invalid(where, "has no EIATTR_REGCOUNT record in .nv.info");
    RAWGPU_TRY(finish_params(elf, l, k, pc, have_param_size));
    if (const core::ElfSection* sh = elf.find_section(".nv.shared." + k.name)) {
      if (sh->type != SHT_NOBITS || sh->size > kMaxShared)
        return Error::invalid(section_where(*sh), "is not SHT_NOBITS or is larger than 16 MiB");
      k.shared_size = static_cast<uint32_t>(sh->size);
      const uint32_t reserve = shared_reserve(c.sm);
      k.static_shared_bytes = k.shared_size > reserve ? k.shared_size - reserve : 0;
    }
  }

  for (const core::ElfSection& s : elf.sections()) {
    const std::optional<BankName> b = bank_name(s.name);
    if (!b || l.offset[s.index] == kNotInImage) continue;
    CubinConstBank bank{b->bank, l.offset[s.index], s.size, std::string(s.name)};
    if (b->kernel.empty()) {
      c.banks.push_back(std::move(bank));
    } else if (b->bank != 0) {
      for (CubinKernel& k : c.kernels)
        if (k.name == b->kernel) k.banks.push_back(bank);
    }
  }

  RAWGPU_TRY(read_relocations(elf, l, c));
  RAWGPU_TRY(check_simulated(elf, c));
  return c;
}

core::Status check_target(const Cubin& cubin, uint32_t device_sm) {
  const bool ok = cubin.sm / 10 == device_sm / 10 && cubin.sm % 10 <= device_sm % 10;
  if (ok) return {};
  return Error::unsupported("load cubin", "built for sm_" + std::to_string(cubin.sm) +
                                              ", device is sm_" + std::to_string(device_sm) +
                                              "; rebuild with -arch=sm_" +
                                              std::to_string(device_sm));
}

std::optional<uint32_t> sm_from_name(std::string_view name) {
  if (!name.starts_with("sm_")) return std::nullopt;
  name.remove_prefix(3);
  if (!name.empty() && (name.back() == 'a' || name.back() == 'f')) name.remove_suffix(1);
  if (name.size() < 2 || name.size() > 3) return std::nullopt;
  uint32_t v = 0;
  for (char ch : name) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(ch - '0');
  }
  return v;
}

core::Status relocate(std::span<uint8_t> image, uint64_t base,
                      std::span<const CubinRelocation> relocations) {
  for (const CubinRelocation& r : relocations) {
    const std::optional<Field> f = reloc_field(r.type);
    if (!f)
      return Error::unsupported("cubin relocation", reloc_label(r.type) + " is not supported");
    if (r.offset > image.size() || !core::in_bounds(r.offset + f->at, f->width, image.size()))
      return Error::invalid("cubin relocation", reloc_label(r.type) + " at " + hex(r.offset) +
                                                    " lies outside the image (" +
                                                    hex(image.size()) + " bytes)");
    const uint64_t s = r.absolute ? r.symbol_value : base + r.symbol_value;
    const uint64_t v = s + static_cast<uint64_t>(r.addend);
    uint8_t* p = image.data() + r.offset + f->at;
    switch (r.type) {
      case R_CUDA_64: store<uint64_t>(p, v); break;
      case R_CUDA_ABS32_HI_32: store<uint32_t>(p, static_cast<uint32_t>(v >> 32)); break;
      default: store<uint32_t>(p, static_cast<uint32_t>(v)); break;  // R_CUDA_32, _ABS32_LO_32
    }
  }
  return {};
}

core::Status marshal_cbank0(const CubinKernel& k, const Cbank0Launch& launch,
                            std::span<const uint8_t> args, std::span<uint8_t> out) {
  // The op string is built only on failure: the launch path allocates nothing.
  const auto op = [&k] { return "marshal cbank0 '" + k.name + "'"; };
  if (k.sm >= 100)
    return Error::unsupported(op(), "constant bank 0 layout of sm_" + std::to_string(k.sm) +
                                      " (Blackwell and later) is not implemented");
  if (k.param_offset < kCbank0DriverWordsEnd)
    return Error::invalid(
        op(), "parameters start at " + hex(k.param_offset) + ", inside the driver words [0, 0x118)");
  if (uint64_t{k.param_offset} + k.param_size > k.cbank0_size)
    return Error::invalid(op(), "parameter area " + hex(k.param_offset) + "+" + hex(k.param_size) +
                                  " lies past constant bank 0 (" + hex(k.cbank0_size) + " bytes)");
  if (out.size() < k.cbank0_size)
    return Error::invalid(op(), "output holds " + hex(out.size()) + " bytes, constant bank 0 needs " +
                                  hex(k.cbank0_size));
  if (args.size() != k.explicit_args_size)
    return Error::invalid(op(), "the kernel takes " + std::to_string(k.explicit_args_size) +
                                  " bytes of arguments (" + std::to_string(k.params.size()) +
                                  " parameters), got " + std::to_string(args.size()));
  uint8_t* b = out.data();
  std::memset(b, 0, k.cbank0_size);
  const uint32_t dims[6] = {launch.block.x, launch.block.y, launch.block.z,
                            launch.grid.x,  launch.grid.y,  launch.grid.z};
  std::memcpy(b + kCbank0BlockDim, dims, sizeof dims);
  store<uint64_t>(b + kCbank0SharedWindow, launch.shared_window);
  store<uint64_t>(b + kCbank0LocalWindow, launch.local_window);
  store<uint32_t>(b + kCbank0StackPointer, launch.stack_pointer);
  store<uint32_t>(b + kCbank0DynamicSmem, launch.dynamic_shared_bytes);
  store<uint64_t>(b + kCbank0GridId, launch.grid_id);
  store<uint32_t>(b + kCbank0SmCount, launch.sm_count);
  store<uint32_t>(b + kCbank0TotalSmem, launch_shared_bytes(k, launch.dynamic_shared_bytes));
  for (const CubinParam& p : k.params) {
    if (uint64_t{p.offset} + p.size > k.param_size)
      return Error::invalid(
          op(), "parameter " + std::to_string(p.ordinal) + " lies past the parameter area");
    std::memcpy(b + k.param_offset + p.offset, args.data() + p.offset, p.size);
  }
  return {};
}

uint32_t launch_shared_bytes(const CubinKernel& k, uint32_t dynamic_bytes) {
  const uint64_t reserve = shared_reserve(k.sm);
  const uint64_t bytes =
      reserve ? align_up(std::max<uint64_t>(k.shared_size, reserve) + dynamic_bytes, 256)
              : align_up(0x400 + uint64_t{k.shared_size} + dynamic_bytes, 128);
  return static_cast<uint32_t>(std::min<uint64_t>(bytes, 0xffffffffu));
}

}  // namespace rawgpu::nv
