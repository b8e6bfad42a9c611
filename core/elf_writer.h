// rawgpu — a small ELF64 little-endian writer, for the code objects rawgpu makes itself
// (simulator code objects in the AMDHSA and cubin containers) and for tests that need
// hand-shaped ELF files. Reading is core/elf.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rawgpu::core {

class ElfWriter {
 public:
  ElfWriter(uint16_t e_type, uint16_t e_machine, uint8_t osabi, uint8_t abi_version,
            uint32_t e_flags);

  // Adds a section and returns its index. Sections with SHF_ALLOC are given addresses (in the
  // order added, aligned to `addralign`) and covered by PT_LOAD segments: one per run of
  // sections with the same R/W/X permissions. SHT_NOBITS sections take address space only.
  uint16_t add_section(const std::string& name, uint32_t type, uint64_t flags,
                       std::span<const uint8_t> data, uint64_t addralign = 1, uint64_t entsize = 0,
                       uint32_t link = 0, uint32_t info = 0);
  // Adds a symbol to .symtab; `section` is an index from add_section (0 = undefined). `value`
  // is relative to the section start (made absolute at finish()).
  void add_symbol(const std::string& name, uint16_t section, uint64_t value, uint64_t size,
                  uint8_t type, uint8_t bind);
  // Appends an ELF note (namesz/descsz/type, 4-byte padded) to the SHT_NOTE section `section`
  // (created, allocated, on first use) and adds a PT_NOTE segment for it.
  void add_note(const std::string& section, const std::string& name, uint32_t type,
                std::span<const uint8_t> desc);

  // Address a section will have (valid after finish()).
  uint64_t section_addr(uint16_t index) const;

  // Lays out the file: header, allocated sections from a page-aligned base of 0, program
  // headers, .symtab/.strtab/.shstrtab and the section header table.
  std::vector<uint8_t> finish();

 private:
  struct Section {
    std::string name;
    uint32_t type;
    uint64_t flags;
    std::vector<uint8_t> data;
    uint64_t addralign, entsize;
    uint32_t link, info;
    uint64_t addr = 0, offset = 0;
  };
  struct Symbol {
    std::string name;
    uint16_t section;
    uint64_t value, size;
    uint8_t type, bind;
  };
  uint16_t e_type_, e_machine_;
  uint8_t osabi_, abi_version_;
  uint32_t e_flags_;
  std::vector<Section> sections_;  // [0] is the null section
  std::vector<Symbol> symbols_;
  std::vector<uint16_t> note_sections_;
};

}  // namespace rawgpu::core
