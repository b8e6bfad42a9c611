#include "core/elf.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace rawgpu::core {
namespace {

static_assert(sizeof(Elf64_Ehdr) == 64 && sizeof(Elf64_Shdr) == 64 && sizeof(Elf64_Phdr) == 56);
static_assert(sizeof(Elf64_Sym) == 24 && sizeof(Elf64_Rel) == 16 && sizeof(Elf64_Rela) == 24);
static_assert(sizeof(Elf64_Nhdr) == 12);

constexpr uint64_t kMaxFileSize = uint64_t{1} << 32;  // ElfFile::load refuses bigger files

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string range(uint64_t off, uint64_t size) {
  // [off, off + size) printed without overflowing: the end may not fit in 64 bits.
  if (size > UINT64_MAX - off) return "[" + hex(off) + "," + hex(off) + "+" + hex(size) + ")";
  return "[" + hex(off) + "," + hex(off + size) + ")";
}

// Copies a T out of `bytes` at `off`. The caller has checked in_bounds(off, sizeof(T), size).
template <typename T>
T read_at(std::span<const uint8_t> bytes, uint64_t off) {
  T v;
  std::memcpy(&v, bytes.data() + off, sizeof(T));
  return v;
}

uint64_t align_up(uint64_t v, uint64_t align) {
  // align is 4 or 8 and v is at most a file size, so this cannot overflow.
  return (v + align - 1) & ~(align - 1);
}

Error invalid(std::string where, std::string what) {
  return Error::invalid(std::move(where), std::move(what));
}

const char* segment_type_name(uint32_t type) {
  switch (type) {
    case PT_NULL: return "PT_NULL";
    case PT_LOAD: return "PT_LOAD";
    case PT_DYNAMIC: return "PT_DYNAMIC";
    case PT_INTERP: return "PT_INTERP";
    case PT_NOTE: return "PT_NOTE";
    case PT_PHDR: return "PT_PHDR";
    case PT_TLS: return "PT_TLS";
    case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
    case PT_GNU_STACK: return "PT_GNU_STACK";
    case PT_GNU_RELRO: return "PT_GNU_RELRO";
    default: return "PT_???";
  }
}

std::string where_segment(uint32_t index, uint32_t type) {
  return "elf: segment " + std::to_string(index) + " (" + segment_type_name(type) + ")";
}

}  // namespace

Result<ElfView> ElfView::parse(std::span<const uint8_t> bytes) {
  ElfView v;
  v.bytes_ = bytes;
  RAWGPU_TRY(v.parse_header());
  RAWGPU_TRY(v.parse_sections());
  RAWGPU_TRY(v.parse_segments());
  RAWGPU_TRY(v.parse_symbols());
  RAWGPU_TRY(v.parse_relocations());
  RAWGPU_TRY(v.parse_notes());
  return v;
}

Status ElfView::parse_header() {
  const uint64_t size = bytes_.size();
  const char* where = "elf: header";
  if (size == 0) return invalid(where, "empty file");
  if (size < SELFMAG || std::memcmp(bytes_.data(), ELFMAG, SELFMAG) != 0) {
    return invalid(where, "bad magic: not an ELF file");
  }
  if (size < EI_NIDENT) {
    return invalid(where, "truncated: " + std::to_string(size) + " bytes, e_ident needs " +
                              std::to_string(EI_NIDENT));
  }
  const uint8_t* ident = bytes_.data();
  if (ident[EI_CLASS] != ELFCLASS64) {
    return invalid(where, ident[EI_CLASS] == ELFCLASS32
                              ? "ELFCLASS32 not supported: only 64-bit ELF is read"
                              : "bad EI_CLASS " + std::to_string(ident[EI_CLASS]));
  }
  if (ident[EI_DATA] != ELFDATA2LSB) {
    return invalid(where, ident[EI_DATA] == ELFDATA2MSB
                              ? "big-endian (ELFDATA2MSB) not supported: only little-endian ELF"
                              : "bad EI_DATA " + std::to_string(ident[EI_DATA]));
  }
  if (ident[EI_VERSION] != EV_CURRENT) {
    return invalid(where, "bad EI_VERSION " + std::to_string(ident[EI_VERSION]));
  }
  if (size < sizeof(Elf64_Ehdr)) {
    return invalid(where,
                   "truncated: " + std::to_string(size) + " bytes, the ELF64 header needs 64");
  }
  const auto eh = read_at<Elf64_Ehdr>(bytes_, 0);
  if (eh.e_version != EV_CURRENT)
    return invalid(where, "bad e_version " + std::to_string(eh.e_version));
  if (eh.e_ehsize != sizeof(Elf64_Ehdr)) {
    return invalid(where, "e_ehsize " + std::to_string(eh.e_ehsize) + ", expected 64");
  }
  header_.type = eh.e_type;
  header_.machine = eh.e_machine;
  header_.version = eh.e_version;
  header_.entry = eh.e_entry;
  header_.phoff = eh.e_phoff;
  header_.shoff = eh.e_shoff;
  header_.flags = eh.e_flags;
  header_.os_abi = ident[EI_OSABI];
  header_.abi_version = ident[EI_ABIVERSION];
  header_.shnum = eh.e_shnum;
  header_.phnum = eh.e_phnum;
  header_.shstrndx = eh.e_shstrndx;
  return {};
}

std::optional<std::string_view> ElfView::string_at(uint32_t strtab, uint64_t offset) const {
  std::span<const uint8_t> d = sections_[strtab].data;
  if (offset == 0 && d.empty()) return std::string_view();
  if (offset >= d.size()) return std::nullopt;
  const void* nul = std::memchr(d.data() + offset, 0, d.size() - offset);
  if (nul == nullptr) return std::nullopt;
  const char* begin = reinterpret_cast<const char*>(d.data() + offset);
  return std::string_view(begin, static_cast<const char*>(nul) - begin);
}

std::string ElfView::where_section(uint32_t index) const {
  std::string s = "elf: section " + std::to_string(index);
  if (index < sections_.size() && !sections_[index].name.empty()) {
    s += " '";
    s += sections_[index].name;
    s += "'";
  }
  return s;
}

Status ElfView::parse_sections() {
  const uint64_t size = bytes_.size();
  const char* where = "elf: section headers";
  const auto eh = read_at<Elf64_Ehdr>(bytes_, 0);
  if (eh.e_shoff == 0) {
    if (eh.e_shnum != 0) {
      return invalid(where, "e_shnum " + std::to_string(eh.e_shnum) + " but e_shoff is 0");
    }
    if (eh.e_shstrndx != SHN_UNDEF) {
      return invalid(where, "e_shstrndx " + std::to_string(eh.e_shstrndx) + " but no sections");
    }
    if (eh.e_phnum == PN_XNUM) return invalid(where, "e_phnum PN_XNUM but no section 0");
    header_.shnum = 0;
    header_.shstrndx = 0;
    return {};
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr)) {
    return invalid(where, "e_shentsize " + std::to_string(eh.e_shentsize) +
                              ", expected 64 (sizeof Elf64_Shdr)");
  }
  if (!in_bounds(eh.e_shoff, sizeof(Elf64_Shdr), size)) {
    return invalid(where, "e_shoff " + hex(eh.e_shoff) + " + e_shnum*e_shentsize (" +
                              std::to_string(eh.e_shnum) + "*64) past end of file (size " +
                              hex(size) + ")");
  }
  // Extended numbering lives in section 0.
  const auto sh0 = read_at<Elf64_Shdr>(bytes_, eh.e_shoff);
  uint64_t shnum = eh.e_shnum;
  if (shnum == 0) shnum = sh0.sh_size;
  uint64_t shstrndx = eh.e_shstrndx;
  if (shstrndx == SHN_XINDEX) shstrndx = sh0.sh_link;
  if (eh.e_phnum == PN_XNUM) header_.phnum = sh0.sh_info;
  if (shnum > (size - eh.e_shoff) / sizeof(Elf64_Shdr)) {
    return invalid(where, "e_shoff " + hex(eh.e_shoff) + " + e_shnum*e_shentsize (" +
                              std::to_string(shnum) + "*64) past end of file (size " + hex(size) +
                              ")");
  }
  if (shnum == 0) {
    if (shstrndx != SHN_UNDEF) {
      return invalid(where, "e_shstrndx " + std::to_string(shstrndx) + " but no sections");
    }
    header_.shnum = 0;
    header_.shstrndx = 0;
    return {};
  }
  if (shstrndx >= shnum) {
    return invalid(where, "e_shstrndx " + std::to_string(shstrndx) + " out of range (" +
                              std::to_string(shnum) + " sections)");
  }
  header_.shnum = static_cast<uint32_t>(shnum);
  header_.shstrndx = static_cast<uint32_t>(shstrndx);

  sections_.resize(shnum);
  for (uint32_t i = 0; i < shnum; ++i) {
    const auto sh = read_at<Elf64_Shdr>(bytes_, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr));
    ElfSection& s = sections_[i];
    s.index = i;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.addr = sh.sh_addr;
    s.offset = sh.sh_offset;
    s.size = sh.sh_size;
    s.link = sh.sh_link;
    s.info = sh.sh_info;
    s.addralign = sh.sh_addralign;
    s.entsize = sh.sh_entsize;
  }

  // Section names first, so that later errors can name the section.
  if (shstrndx != SHN_UNDEF) {
    ElfSection& st = sections_[shstrndx];
    if (st.type != SHT_STRTAB) {
      return invalid(
          where_section(header_.shstrndx),
          "e_shstrndx names a section of type " + std::to_string(st.type) + ", not SHT_STRTAB");
    }
    if (!in_bounds(st.offset, st.size, size)) {
      return invalid(where_section(header_.shstrndx),
                     "section-name string table data " + range(st.offset, st.size) +
                         " past end of file (size " + hex(size) + ")");
    }
    st.data = bytes_.subspan(st.offset, st.size);
    if (!st.data.empty() && st.data.back() != 0) {
      return invalid(where_section(header_.shstrndx),
                     "section-name string table not NUL-terminated");
    }
    for (uint32_t i = 0; i < shnum; ++i) {
      const auto sh = read_at<Elf64_Shdr>(bytes_, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr));
      if (i == 0 && sh.sh_name == 0) continue;
      std::optional<std::string_view> name = string_at(header_.shstrndx, sh.sh_name);
      if (!name) {
        return invalid(where_section(i), "name offset " + hex(sh.sh_name) +
                                             " outside the section-name string table (size " +
                                             hex(st.data.size()) + ")");
      }
      sections_[i].name = *name;
    }
  }

  // Data ranges. Section 0 holds extended-numbering values, never data.
  for (uint32_t i = 1; i < shnum; ++i) {
    ElfSection& s = sections_[i];
    if (s.type == SHT_NOBITS || s.type == SHT_NULL) continue;
    if (!in_bounds(s.offset, s.size, size)) {
      return invalid(where_section(i), "data " + range(s.offset, s.size) +
                                           " past end of file (size " + hex(size) + ")");
    }
    s.data = bytes_.subspan(s.offset, s.size);
  }

  // Links. sh_info is a section index only where the gABI says so.
  for (uint32_t i = 1; i < shnum; ++i) {
    const ElfSection& s = sections_[i];
    if (s.type == SHT_NULL) continue;  // an inactive header: its other fields mean nothing
    if (s.link >= shnum) {
      return invalid(where_section(i), "sh_link " + std::to_string(s.link) + " out of range (" +
                                           std::to_string(shnum) + " sections)");
    }
    const bool info_is_index = s.type == SHT_REL || s.type == SHT_RELA || (s.flags & SHF_INFO_LINK);
    if (info_is_index && s.info >= shnum) {
      return invalid(where_section(i), "sh_info " + std::to_string(s.info) + " out of range (" +
                                           std::to_string(shnum) + " sections)");
    }
  }
  return {};
}

Status ElfView::parse_segments() {
  const uint64_t size = bytes_.size();
  const char* where = "elf: program headers";
  const auto eh = read_at<Elf64_Ehdr>(bytes_, 0);
  const uint64_t phnum = header_.phnum;
  if (phnum == 0) return {};
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return invalid(where, "e_phentsize " + std::to_string(eh.e_phentsize) +
                              ", expected 56 (sizeof Elf64_Phdr)");
  }
  if (eh.e_phoff > size || phnum > (size - eh.e_phoff) / sizeof(Elf64_Phdr)) {
    return invalid(where, "e_phoff " + hex(eh.e_phoff) + " + e_phnum*e_phentsize (" +
                              std::to_string(phnum) + "*56) past end of file (size " + hex(size) +
                              ")");
  }
  segments_.resize(phnum);
  for (uint32_t i = 0; i < phnum; ++i) {
    const auto ph = read_at<Elf64_Phdr>(bytes_, eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr));
    ElfSegment& s = segments_[i];
    s.index = i;
    s.type = ph.p_type;
    s.flags = ph.p_flags;
    s.offset = ph.p_offset;
    s.vaddr = ph.p_vaddr;
    s.paddr = ph.p_paddr;
    s.filesz = ph.p_filesz;
    s.memsz = ph.p_memsz;
    s.align = ph.p_align;
    if (!in_bounds(s.offset, s.filesz, size)) {
      return invalid(where_segment(i, s.type), "file data " + range(s.offset, s.filesz) +
                                                   " past end of file (size " + hex(size) + ")");
    }
    s.data = bytes_.subspan(s.offset, s.filesz);
  }
  return {};
}

Status ElfView::parse_symbols() {
  const uint32_t shnum = header_.shnum;
  uint64_t total = 0;
  for (uint32_t i = 1; i < shnum; ++i) {
    const ElfSection& s = sections_[i];
    if (s.type != SHT_SYMTAB && s.type != SHT_DYNSYM) continue;
    TableRange& t = s.type == SHT_SYMTAB ? symtab_ : dynsym_;
    if (t.section != 0) {
      return invalid(where_section(i),
                     std::string("second ") + (s.type == SHT_SYMTAB ? "SHT_SYMTAB" : "SHT_DYNSYM") +
                         " section (the first is section " + std::to_string(t.section) + ")");
    }
    if (s.entsize != sizeof(Elf64_Sym)) {
      return invalid(where_section(i), "symbol table sh_entsize " + std::to_string(s.entsize) +
                                           ", expected 24 (sizeof Elf64_Sym)");
    }
    if (s.size % sizeof(Elf64_Sym) != 0) {
      return invalid(where_section(i),
                     "symbol table size " + hex(s.size) + " is not a multiple of 24");
    }
    const ElfSection& str = sections_[s.link];
    if (s.link == 0 || str.type != SHT_STRTAB) {
      return invalid(where_section(i),
                     "sh_link " + std::to_string(s.link) + " is not a string table (SHT_STRTAB)");
    }
    if (!str.data.empty() && str.data.back() != 0) {
      return invalid(where_section(s.link), "string table not NUL-terminated");
    }
    t.section = i;
    t.count = static_cast<uint32_t>(s.size / sizeof(Elf64_Sym));
    total += t.count;
  }
  symbols_.reserve(total);

  for (TableRange* t : {&symtab_, &dynsym_}) {
    if (t->section == 0) continue;
    const ElfSection& s = sections_[t->section];
    const SymbolTable table = t == &symtab_ ? SymbolTable::kSymtab : SymbolTable::kDynsym;
    // SHT_SYMTAB_SHNDX: extended section indices, looked up only when a symbol needs one.
    const ElfSection* xindex = nullptr;
    bool xindex_searched = false;
    t->begin = static_cast<uint32_t>(symbols_.size());
    for (uint32_t k = 0; k < t->count; ++k) {
      const auto es = read_at<Elf64_Sym>(s.data, uint64_t{k} * sizeof(Elf64_Sym));
      ElfSymbol sym;
      sym.table = table;
      sym.index = k;
      sym.value = es.st_value;
      sym.size = es.st_size;
      sym.type = ELF64_ST_TYPE(es.st_info);
      sym.bind = ELF64_ST_BIND(es.st_info);
      sym.visibility = ELF64_ST_VISIBILITY(es.st_other);
      std::optional<std::string_view> name = string_at(s.link, es.st_name);
      if (!name) {
        return invalid(where_section(t->section),
                       "symbol " + std::to_string(k) + " name offset " + hex(es.st_name) +
                           " outside " +
                           (sections_[s.link].name.empty() ? "its string table"
                                                           : std::string(sections_[s.link].name)) +
                           " (size " + hex(sections_[s.link].size) + ")");
      }
      sym.name = *name;
      uint32_t shndx = es.st_shndx;
      if (shndx == SHN_XINDEX) {
        if (!xindex_searched) {
          xindex_searched = true;
          for (const ElfSection& x : sections_) {
            if (x.type == SHT_SYMTAB_SHNDX && x.link == t->section) {
              xindex = &x;
              break;
            }
          }
        }
        if (xindex == nullptr || !in_bounds(uint64_t{k} * 4, 4, xindex->data.size())) {
          return invalid(where_section(t->section),
                         "symbol " + std::to_string(k) + " '" + std::string(sym.name) +
                             "' has st_shndx SHN_XINDEX but no SHT_SYMTAB_SHNDX entry for it");
        }
        shndx = read_at<uint32_t>(xindex->data, uint64_t{k} * 4);
        if (shndx >= shnum) {
          return invalid(where_section(t->section),
                         "symbol " + std::to_string(k) + " '" + std::string(sym.name) +
                             "' extended section index " + std::to_string(shndx) +
                             " out of range (" + std::to_string(shnum) + " sections)");
        }
      } else if (shndx < SHN_LORESERVE && shndx >= shnum) {
        return invalid(where_section(t->section), "symbol " + std::to_string(k) + " '" +
                                                      std::string(sym.name) + "' st_shndx " +
                                                      std::to_string(shndx) + " out of range (" +
                                                      std::to_string(shnum) + " sections)");
      }
      sym.shndx = shndx;
      symbols_.push_back(sym);
    }
  }
  return {};
}

Status ElfView::parse_relocations() {
  const uint32_t shnum = header_.shnum;
  uint64_t total = 0;
  for (uint32_t i = 1; i < shnum; ++i) {
    const ElfSection& s = sections_[i];
    if (s.type != SHT_REL && s.type != SHT_RELA) continue;
    const uint64_t want = s.type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    if (s.size == 0) continue;
    if (s.entsize != want) {
      return invalid(where_section(i),
                     "relocation sh_entsize " + std::to_string(s.entsize) + ", expected " +
                         std::to_string(want) +
                         (s.type == SHT_RELA ? " (sizeof Elf64_Rela)" : " (sizeof Elf64_Rel)"));
    }
    if (s.size % want != 0) {
      return invalid(where_section(i), "relocation section size " + hex(s.size) +
                                           " is not a multiple of " + std::to_string(want));
    }
    if (s.link != 0 && table_for_section(s.link) == nullptr) {
      return invalid(where_section(i), "sh_link " + std::to_string(s.link) +
                                           " is not a symbol table (SHT_SYMTAB/SHT_DYNSYM)");
    }
    total += s.size / want;
  }
  relocations_.reserve(total);

  for (uint32_t i = 1; i < shnum; ++i) {
    const ElfSection& s = sections_[i];
    if ((s.type != SHT_REL && s.type != SHT_RELA) || s.size == 0) continue;
    const bool rela = s.type == SHT_RELA;
    const uint64_t entsize = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    const TableRange* table = s.link != 0 ? table_for_section(s.link) : nullptr;
    const uint32_t nsyms = table != nullptr ? table->count : 0;
    const uint64_t count = s.size / entsize;
    for (uint64_t k = 0; k < count; ++k) {
      ElfRelocation r;
      uint64_t info = 0;
      if (rela) {
        const auto e = read_at<Elf64_Rela>(s.data, k * entsize);
        r.offset = e.r_offset;
        info = e.r_info;
        r.addend = e.r_addend;
        r.has_addend = true;
      } else {
        const auto e = read_at<Elf64_Rel>(s.data, k * entsize);
        r.offset = e.r_offset;
        info = e.r_info;
      }
      r.type = static_cast<uint32_t>(ELF64_R_TYPE(info));
      r.symbol = static_cast<uint32_t>(ELF64_R_SYM(info));
      r.section = i;
      r.target = s.info;
      r.symtab = s.link;
      if (r.symbol != 0 && r.symbol >= nsyms) {
        return invalid(where_section(i), "relocation " + std::to_string(k) + " symbol index " +
                                             std::to_string(r.symbol) + " out of range (" +
                                             std::to_string(nsyms) + " symbols)");
      }
      relocations_.push_back(r);
    }
  }
  return {};
}

Status ElfView::walk_notes(std::span<const uint8_t> data, uint64_t file_offset, uint64_t align,
                           uint32_t section, uint32_t segment) {
  auto where = [&] {
    return section != kNoIndex ? where_section(section)
                               : where_segment(segment, segments_[segment].type);
  };
  uint64_t pos = 0;
  while (pos < data.size()) {
    const uint64_t left = data.size() - pos;
    if (left < sizeof(Elf64_Nhdr)) {
      return invalid(where(), "truncated note header at " + hex(file_offset + pos) + " (" +
                                  std::to_string(left) + " bytes left, 12 needed)");
    }
    const auto nh = read_at<Elf64_Nhdr>(data, pos);
    const uint64_t name_off = pos + sizeof(Elf64_Nhdr);
    if (!in_bounds(name_off, nh.n_namesz, data.size())) {
      return invalid(where(), "note at " + hex(file_offset + pos) + ": name size " +
                                  hex(nh.n_namesz) + " past end");
    }
    if (nh.n_namesz != 0 && data[name_off + nh.n_namesz - 1] != 0) {
      return invalid(where(), "note at " + hex(file_offset + pos) + ": name not NUL-terminated");
    }
    // The desc starts on the next alignment boundary; the padding after the last desc of a
    // section may be missing.
    const uint64_t desc_off = align_up(name_off + nh.n_namesz, align);
    if (nh.n_descsz != 0 && !in_bounds(desc_off, nh.n_descsz, data.size())) {
      return invalid(where(), "note at " + hex(file_offset + pos) + ": desc size " +
                                  hex(nh.n_descsz) + " past end");
    }
    ElfNote n;
    if (nh.n_namesz != 0) {
      n.name =
          std::string_view(reinterpret_cast<const char*>(data.data() + name_off), nh.n_namesz - 1);
    }
    n.type = nh.n_type;
    if (nh.n_descsz != 0) n.desc = data.subspan(desc_off, nh.n_descsz);
    n.offset = file_offset + pos;
    n.section = section;
    n.segment = segment;
    notes_.push_back(n);
    pos = nh.n_descsz != 0 ? align_up(desc_off + nh.n_descsz, align) : desc_off;
  }
  return {};
}

Status ElfView::parse_notes() {
  for (uint32_t i = 1; i < header_.shnum; ++i) {
    const ElfSection& s = sections_[i];
    if (s.type != SHT_NOTE) continue;
    RAWGPU_TRY(walk_notes(s.data, s.offset, s.addralign == 8 ? 8 : 4, i, kNoIndex));
  }
  for (uint32_t i = 0; i < segments_.size(); ++i) {
    const ElfSegment& s = segments_[i];
    if (s.type != PT_NOTE) continue;
    RAWGPU_TRY(walk_notes(s.data, s.offset, s.align == 8 ? 8 : 4, kNoIndex, i));
  }
  // A PT_NOTE segment usually covers the same bytes as SHT_NOTE sections: list each note (by
  // file offset) once, keeping the first walk's view of it and both places it was found in.
  std::stable_sort(notes_.begin(), notes_.end(),
                   [](const ElfNote& a, const ElfNote& b) { return a.offset < b.offset; });
  size_t out = 0;
  for (size_t k = 0; k < notes_.size(); ++k) {
    if (out != 0 && notes_[out - 1].offset == notes_[k].offset) {
      ElfNote& kept = notes_[out - 1];
      if (kept.section == kNoIndex) kept.section = notes_[k].section;
      if (kept.segment == kNoIndex) kept.segment = notes_[k].segment;
      continue;
    }
    notes_[out++] = notes_[k];
  }
  notes_.resize(out);
  return {};
}

const ElfView::TableRange* ElfView::table_for_section(uint32_t section) const {
  if (section == 0) return nullptr;
  if (symtab_.section == section) return &symtab_;
  if (dynsym_.section == section) return &dynsym_;
  return nullptr;
}

std::span<const ElfSymbol> ElfView::symbols(SymbolTable table) const {
  const TableRange& t = table == SymbolTable::kSymtab ? symtab_ : dynsym_;
  return std::span<const ElfSymbol>(symbols_).subspan(t.begin, t.count);
}

const ElfSection* ElfView::find_section(std::string_view name) const {
  for (const ElfSection& s : sections_) {
    if (s.index != 0 && s.name == name) return &s;
  }
  return nullptr;
}

const ElfSymbol* ElfView::find_symbol(std::string_view name) const {
  const ElfSymbol* undefined = nullptr;
  for (const ElfSymbol& s : symbols_) {
    if (s.index == 0 || s.name != name) continue;
    if (s.defined()) return &s;
    if (undefined == nullptr) undefined = &s;
  }
  return undefined;
}

const ElfNote* ElfView::find_note(std::string_view name, uint32_t type) const {
  for (const ElfNote& n : notes_) {
    if (n.type == type && n.name == name) return &n;
  }
  return nullptr;
}

const ElfSymbol* ElfView::relocation_symbol(const ElfRelocation& rel) const {
  if (rel.symbol == 0) return nullptr;
  const TableRange* t = table_for_section(rel.symtab);
  if (t == nullptr || rel.symbol >= t->count) return nullptr;
  return &symbols_[t->begin + rel.symbol];
}

Result<ElfFile> ElfFile::parse(std::vector<uint8_t> bytes) {
  ElfFile f;
  f.bytes_ = std::move(bytes);
  Result<ElfView> v = ElfView::parse(f.bytes_);
  if (!v.ok()) return std::move(v).error();
  f.view_ = std::move(v).value();
  return f;
}

Result<ElfFile> ElfFile::load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::sys("elf: open " + path, errno, "check the code object path");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::sys("elf: fstat " + path, errno);
  if (!S_ISREG(st.st_mode)) return Error::invalid("elf: " + path, "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > kMaxFileSize) {
    return Error::invalid("elf: " + path, "file of " + std::to_string(size) +
                                              " bytes is larger than the 4 GiB accepted");
  }
  std::vector<uint8_t> bytes(size);
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes.data() + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::sys("elf: read " + path, errno);
    }
    if (n == 0) {
      return Error::invalid("elf: read " + path, "file shrank while reading (" +
                                                     std::to_string(done) + " of " +
                                                     std::to_string(size) + " bytes)");
    }
    done += static_cast<uint64_t>(n);
  }
  Result<ElfFile> f = parse(std::move(bytes));
  if (!f.ok()) {
    Error e = std::move(f).error();
    e.context(path);
    return e;
  }
  return f;
}

}  // namespace rawgpu::core
