#include "core/elf_writer.h"

#include <elf.h>

#include <algorithm>
#include <cstring>

namespace rawgpu::core {
namespace {

uint64_t align_up(uint64_t x, uint64_t a) { return a <= 1 ? x : (x + a - 1) / a * a; }

template <typename T>
void put(std::vector<uint8_t>& out, uint64_t off, const T& v) {
  if (out.size() < off + sizeof(T)) out.resize(off + sizeof(T));
  std::memcpy(out.data() + off, &v, sizeof(T));
}

uint32_t add_string(std::vector<uint8_t>& tab, const std::string& s) {
  if (s.empty()) return 0;
  uint32_t off = static_cast<uint32_t>(tab.size());
  tab.insert(tab.end(), s.begin(), s.end());
  tab.push_back(0);
  return off;
}

uint32_t perm_of(uint64_t flags) {
  uint32_t p = PF_R;
  if (flags & SHF_WRITE) p |= PF_W;
  if (flags & SHF_EXECINSTR) p |= PF_X;
  return p;
}

}  // namespace

ElfWriter::ElfWriter(uint16_t e_type, uint16_t e_machine, uint8_t osabi, uint8_t abi_version,
                     uint32_t e_flags)
    : e_type_(e_type), e_machine_(e_machine), osabi_(osabi), abi_version_(abi_version),
      e_flags_(e_flags) {
  sections_.push_back(Section{"", SHT_NULL, 0, {}, 0, 0, 0, 0});
}

uint16_t ElfWriter::add_section(const std::string& name, uint32_t type, uint64_t flags,
                                std::span<const uint8_t> data, uint64_t addralign,
                                uint64_t entsize, uint32_t link, uint32_t info) {
  sections_.push_back(Section{name, type, flags, std::vector<uint8_t>(data.begin(), data.end()),
                              addralign ? addralign : 1, entsize, link, info});
  return static_cast<uint16_t>(sections_.size() - 1);
}

void ElfWriter::add_symbol(const std::string& name, uint16_t section, uint64_t value,
                           uint64_t size, uint8_t type, uint8_t bind) {
  symbols_.push_back(Symbol{name, section, value, size, type, bind});
}

void ElfWriter::add_note(const std::string& section, const std::string& name, uint32_t type,
                         std::span<const uint8_t> desc) {
  uint16_t idx = 0;
  for (uint16_t i = 1; i < sections_.size(); ++i)
    if (sections_[i].name == section && sections_[i].type == SHT_NOTE) idx = i;
  if (!idx) {
    idx = add_section(section, SHT_NOTE, SHF_ALLOC, {}, 4);
    note_sections_.push_back(idx);
  }
  std::vector<uint8_t>& d = sections_[idx].data;
  const uint32_t namesz = static_cast<uint32_t>(name.size() + 1);
  const uint32_t descsz = static_cast<uint32_t>(desc.size());
  uint64_t off = d.size();
  put(d, off, namesz);
  put(d, off + 4, descsz);
  put(d, off + 8, type);
  d.insert(d.end(), name.begin(), name.end());
  d.push_back(0);
  d.resize(align_up(d.size(), 4), 0);
  d.insert(d.end(), desc.begin(), desc.end());
  d.resize(align_up(d.size(), 4), 0);
}

uint64_t ElfWriter::section_addr(uint16_t index) const {
  return index < sections_.size() ? sections_[index].addr : 0;
}

std::vector<uint8_t> ElfWriter::finish() {
  // Symbol and string tables go last (not allocated).
  std::vector<uint8_t> strtab{0}, shstrtab{0}, symtab(sizeof(Elf64_Sym), 0);
  const uint16_t nalloc_end = static_cast<uint16_t>(sections_.size());

  // Program headers: one PT_LOAD per permission run of allocated sections, one PT_NOTE each.
  struct Seg {
    uint32_t type, flags;
    uint64_t first, last;  // section indices
  };
  std::vector<Seg> segs;
  for (uint16_t i = 1; i < nalloc_end; ++i) {
    if (!(sections_[i].flags & SHF_ALLOC)) continue;
    uint32_t p = perm_of(sections_[i].flags);
    if (!segs.empty() && segs.back().flags == p && segs.back().last + 1 == i)
      segs.back().last = i;
    else
      segs.push_back({PT_LOAD, p, i, i});
  }
  for (uint16_t n : note_sections_) segs.push_back({PT_NOTE, PF_R, n, n});

  // Allocated sections: file offset == address (a page apart per segment), after the headers.
  uint64_t cursor = sizeof(Elf64_Ehdr) + segs.size() * sizeof(Elf64_Phdr);
  uint32_t prev_perm = 0;
  for (uint16_t i = 1; i < nalloc_end; ++i) {
    Section& s = sections_[i];
    if (!(s.flags & SHF_ALLOC)) continue;
    if (prev_perm && perm_of(s.flags) != prev_perm) cursor = align_up(cursor, 4096);
    prev_perm = perm_of(s.flags);
    cursor = align_up(cursor, s.addralign);
    s.addr = s.offset = cursor;
    if (s.type != SHT_NOBITS) cursor += s.data.size();
  }
  for (uint16_t i = 1; i < nalloc_end; ++i) {
    Section& s = sections_[i];
    if (s.flags & SHF_ALLOC) continue;
    cursor = align_up(cursor, s.addralign);
    s.offset = cursor;
    cursor += s.data.size();
  }

  // .symtab: locals first (sh_info = first global).
  std::vector<Symbol> syms = symbols_;
  std::stable_sort(syms.begin(), syms.end(),
                   [](const Symbol& a, const Symbol& b) { return (a.bind == STB_LOCAL) > (b.bind == STB_LOCAL); });
  uint32_t first_global = 1;
  for (const Symbol& s : syms) {
    Elf64_Sym e{};
    e.st_name = add_string(strtab, s.name);
    e.st_info = static_cast<unsigned char>(ELF64_ST_INFO(s.bind, s.type));
    e.st_shndx = s.section;
    e.st_value = s.value + (s.section && s.section < sections_.size() ? sections_[s.section].addr : 0);
    e.st_size = s.size;
    put(symtab, symtab.size(), e);
    if (s.bind == STB_LOCAL) ++first_global;
  }
  const uint16_t strtab_idx = static_cast<uint16_t>(sections_.size() + 1);
  sections_.push_back(Section{".symtab", SHT_SYMTAB, 0, symtab, 8, sizeof(Elf64_Sym), strtab_idx, first_global});
  sections_.push_back(Section{".strtab", SHT_STRTAB, 0, strtab, 1, 0, 0, 0});
  sections_.push_back(Section{".shstrtab", SHT_STRTAB, 0, {}, 1, 0, 0, 0});
  std::vector<uint32_t> name_off(sections_.size(), 0);
  for (size_t i = 1; i < sections_.size(); ++i) name_off[i] = add_string(shstrtab, sections_[i].name);
  sections_.back().data = shstrtab;
  for (size_t i = nalloc_end; i < sections_.size(); ++i) {
    cursor = align_up(cursor, sections_[i].addralign);
    sections_[i].offset = cursor;
    cursor += sections_[i].data.size();
  }
  const uint64_t shoff = align_up(cursor, 8);

  std::vector<uint8_t> out(shoff + sections_.size() * sizeof(Elf64_Shdr), 0);
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = osabi_;
  eh.e_ident[EI_ABIVERSION] = abi_version_;
  eh.e_type = e_type_;
  eh.e_machine = e_machine_;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = segs.empty() ? 0 : sizeof(Elf64_Ehdr);
  eh.e_shoff = shoff;
  eh.e_flags = e_flags_;
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = static_cast<uint16_t>(segs.size());
  eh.e_shentsize = sizeof(Elf64_Shdr);
  eh.e_shnum = static_cast<uint16_t>(sections_.size());
  eh.e_shstrndx = static_cast<uint16_t>(sections_.size() - 1);
  put(out, 0, eh);

  for (size_t i = 0; i < segs.size(); ++i) {
    const Section& a = sections_[segs[i].first];
    const Section& b = sections_[segs[i].last];
    Elf64_Phdr ph{};
    ph.p_type = segs[i].type;
    ph.p_flags = segs[i].flags;
    ph.p_offset = a.offset;
    ph.p_vaddr = ph.p_paddr = a.addr;
    ph.p_filesz = (b.offset + (b.type == SHT_NOBITS ? 0 : b.data.size())) - a.offset;
    ph.p_memsz = (b.addr + b.data.size()) - a.addr;
    ph.p_align = segs[i].type == PT_LOAD ? 4096 : 4;
    put(out, sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), ph);
  }
  for (size_t i = 0; i < sections_.size(); ++i) {
    const Section& s = sections_[i];
    if (i && s.type != SHT_NOBITS && !s.data.empty())
      std::memcpy(out.data() + s.offset, s.data.data(), s.data.size());
    Elf64_Shdr sh{};
    sh.sh_name = name_off[i];
    sh.sh_type = s.type;
    sh.sh_flags = s.flags;
    sh.sh_addr = s.addr;
    sh.sh_offset = i ? s.offset : 0;
    sh.sh_size = s.data.size();
    sh.sh_link = s.link;
    sh.sh_info = s.info;
    sh.sh_addralign = s.addralign;
    sh.sh_entsize = s.entsize;
    put(out, shoff + i * sizeof(Elf64_Shdr), sh);
  }
  return out;
}

}  // namespace rawgpu::core
