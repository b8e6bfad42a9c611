// rawgpu — ELF64 reader for code objects: AMDHSA code objects, NVIDIA cubins, host shared objects.
//
// Two layers:
//   ElfView  parses a byte span it does NOT own. Every section name, symbol name, note name and
//            data/desc span it hands out points into that span, so the bytes must outlive the
//            view (and every ElfSection/ElfSymbol/ElfNote copied out of it).
//   ElfFile  owns the bytes (a heap std::vector<uint8_t>) plus an ElfView over them. Moving an
//            ElfFile moves the vector, whose heap buffer does not move, so the view stays valid.
//            ElfFile is move-only; a moved-from ElfFile may only be destroyed or assigned to.
//
// Input is untrusted. parse() validates everything up front, so once it succeeds every accessor
// below is infallible and every span lies inside the input. Malformed input yields
// Error::invalid with op "elf: <where>" and a hint naming what is wrong, e.g.
//   "elf: section headers: invalid input: e_shoff 0x1068 + e_shnum*e_shentsize (14*64) past end
//    of file (size 0x1000)"
//   "elf: section 7 '.text': invalid input: data [0x900,0xe80) past end of file (size 0xa00)"
// Never a crash, never an out-of-bounds read: all structs are memcpy'd from range-checked offsets.
//
// What parse() accepts and checks:
//   - ELFCLASS64, ELFDATA2LSB, EI_VERSION/e_version == EV_CURRENT; any e_type/e_machine/OS ABI.
//   - e_ehsize == 64; e_shentsize == 64 when there are sections; e_phentsize == 56 when there
//     are segments; section and program header tables inside the file.
//   - Extended numbering (e_shnum == 0 with sh_size of section 0, e_shstrndx == SHN_XINDEX with
//     sh_link of section 0, e_phnum == PN_XNUM with sh_info of section 0) and SHN_XINDEX
//     symbols through SHT_SYMTAB_SHNDX.
//   - Section data inside the file (except SHT_NOBITS and SHT_NULL, whose data is empty);
//     segment file data inside the file.
//   - sh_link of every section (but SHT_NULL ones) is a section index; sh_info is one for
//     SHT_REL/SHT_RELA and for sections flagged SHF_INFO_LINK (elsewhere it is opaque: cubins
//     store symbol indices there).
//   - Names: string tables used for names (section names, symbol names) are SHT_STRTAB and end
//     in NUL; every name offset lies inside its table (offset 0 of an empty table: "").
//   - Symbol tables: at most one SHT_SYMTAB and one SHT_DYNSYM, entsize 24, size a multiple of
//     24, sh_link a string table.
//   - Relocations: SHT_REL entsize 16, SHT_RELA entsize 24, sh_link 0 or the SHT_SYMTAB /
//     SHT_DYNSYM section, every symbol index inside that table. r_info is split the generic
//     ELF64 way (symbol = high 32 bits, type = low 32 bits).
//   - Notes: SHT_NOTE sections and PT_NOTE segments; each note's name and desc inside the
//     section/segment; entries padded to 4 bytes (8 when the section/segment alignment is 8, as
//     in .note.gnu.property); a non-empty name ends in NUL.
// What it does not check: anything a loader decides (overlapping segments, p_filesz > p_memsz,
// symbol values inside their section, relocation offsets inside their target).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace rawgpu::core {

// ELF values that glibc's <elf.h> does not (or not always) name. Everything else: use <elf.h>.
inline constexpr uint16_t kEmCuda = 190;           // e_machine EM_CUDA (cubins)
inline constexpr uint16_t kEmAmdgpu = 224;         // e_machine EM_AMDGPU
inline constexpr uint8_t kElfOsAbiAmdgpuHsa = 64;  // EI_OSABI ELFOSABI_AMDGPU_HSA
inline constexpr uint32_t kNtAmdgpuMetadata = 32;  // NT_AMDGPU_METADATA (msgpack), name "AMDGPU"
inline constexpr uint32_t kNoIndex = 0xffffffffu;  // "none" for the index fields below

// True when [off, off + size) lies inside [0, total). Cannot overflow.
constexpr bool in_bounds(uint64_t off, uint64_t size, uint64_t total) {
  return off <= total && size <= total - off;
}

struct ElfHeader {
  uint16_t type = 0;        // e_type: ET_REL, ET_EXEC, ET_DYN, ...
  uint16_t machine = 0;     // e_machine: EM_X86_64, kEmAmdgpu, kEmCuda, ...
  uint32_t version = 0;     // e_version
  uint64_t entry = 0;       // e_entry
  uint64_t phoff = 0;       // e_phoff
  uint64_t shoff = 0;       // e_shoff
  uint32_t flags = 0;       // e_flags (AMDGPU: EF_AMDGPU_MACH_* | xnack/sramecc; cubin: SM arch)
  uint8_t os_abi = 0;       // e_ident[EI_OSABI] (AMDHSA: kElfOsAbiAmdgpuHsa)
  uint8_t abi_version = 0;  // e_ident[EI_ABIVERSION] (AMDHSA: code object version - 2)
  uint32_t shnum = 0;       // number of sections, extended numbering resolved
  uint32_t phnum = 0;       // number of program headers, PN_XNUM resolved
  uint32_t shstrndx = 0;    // section-name string table index, SHN_XINDEX resolved (0: none)
};

struct ElfSection {
  uint32_t index = 0;             // position in the section header table
  std::string_view name;          // from the section-name string table; empty when there is none
  uint32_t type = 0;              // sh_type
  uint64_t flags = 0;             // sh_flags
  uint64_t addr = 0;              // sh_addr
  uint64_t offset = 0;            // sh_offset
  uint64_t size = 0;              // sh_size
  uint32_t link = 0;              // sh_link (a valid section index)
  uint32_t info = 0;              // sh_info (a valid section index for REL/RELA and SHF_INFO_LINK)
  uint64_t addralign = 0;         // sh_addralign
  uint64_t entsize = 0;           // sh_entsize
  std::span<const uint8_t> data;  // file bytes; empty for SHT_NOBITS and SHT_NULL
};

struct ElfSegment {
  uint32_t index = 0;             // position in the program header table
  uint32_t type = 0;              // p_type: PT_LOAD, PT_DYNAMIC, PT_NOTE, ...
  uint32_t flags = 0;             // p_flags: PF_R | PF_W | PF_X
  uint64_t offset = 0;            // p_offset
  uint64_t vaddr = 0;             // p_vaddr
  uint64_t paddr = 0;             // p_paddr
  uint64_t filesz = 0;            // p_filesz
  uint64_t memsz = 0;             // p_memsz
  uint64_t align = 0;             // p_align
  std::span<const uint8_t> data;  // the p_filesz file bytes at p_offset
};

enum class SymbolTable : uint8_t {
  kSymtab,
  kDynsym
};  // SHT_SYMTAB (.symtab), SHT_DYNSYM (.dynsym)

struct ElfSymbol {
  SymbolTable table = SymbolTable::kSymtab;
  uint32_t index = 0;  // index inside its table (entry 0 is the null symbol)
  std::string_view name;
  uint64_t value = 0;      // st_value
  uint64_t size = 0;       // st_size
  uint8_t type = 0;        // ELF64_ST_TYPE: STT_NOTYPE, STT_OBJECT, STT_FUNC, ...
  uint8_t bind = 0;        // ELF64_ST_BIND: STB_LOCAL, STB_GLOBAL, STB_WEAK
  uint8_t visibility = 0;  // ELF64_ST_VISIBILITY: STV_DEFAULT, STV_HIDDEN, STV_PROTECTED
  uint32_t shndx = 0;      // st_shndx, SHN_XINDEX resolved; SHN_UNDEF/SHN_ABS/SHN_COMMON as is

  bool defined() const { return shndx != 0; }  // shndx != SHN_UNDEF
};

struct ElfNote {
  std::string_view name;          // the n_namesz - 1 name bytes ("AMDGPU", "GNU", "NVIDIA Corp")
  uint32_t type = 0;              // n_type (meaning depends on name)
  std::span<const uint8_t> desc;  // n_descsz bytes (AMDGPU metadata: msgpack)
  uint64_t offset = 0;            // file offset of the note header
  uint32_t section = kNoIndex;    // SHT_NOTE section holding it, or kNoIndex
  uint32_t segment = kNoIndex;    // PT_NOTE segment holding it, or kNoIndex
};

struct ElfRelocation {
  uint64_t offset = 0;      // r_offset (section offset in ET_REL, virtual address otherwise)
  uint32_t type = 0;        // ELF64_R_TYPE(r_info): R_X86_64_*, R_AMDGPU_*, ...
  uint32_t symbol = 0;      // ELF64_R_SYM(r_info): index into the table of `symtab`
  int64_t addend = 0;       // r_addend (0 for SHT_REL: the addend lives in the target bytes)
  bool has_addend = false;  // true for SHT_RELA
  uint32_t section = 0;     // the SHT_REL/SHT_RELA section this entry comes from
  uint32_t target = 0;      // sh_info: section the entry applies to (0: none, e.g. .rela.dyn)
  uint32_t symtab = 0;      // sh_link: symbol table section (0: none)
};

class ElfView {
 public:
  ElfView() = default;

  // Parses and validates `bytes` (see the file comment for every check). The view keeps
  // pointers into `bytes`; the caller keeps them alive. Errors: Error::invalid, op "elf: ...".
  static Result<ElfView> parse(std::span<const uint8_t> bytes);

  const ElfHeader& header() const { return header_; }
  std::span<const uint8_t> bytes() const { return bytes_; }

  // All section headers, in table order: sections()[i].index == i (entry 0 is the null one).
  std::span<const ElfSection> sections() const { return sections_; }
  // All program headers, in table order.
  std::span<const ElfSegment> segments() const { return segments_; }
  // .symtab entries then .dynsym entries, each including its null entry 0.
  std::span<const ElfSymbol> symbols() const { return symbols_; }
  // The entries of one table (empty when the file has no such table).
  std::span<const ElfSymbol> symbols(SymbolTable table) const;
  // Notes of every SHT_NOTE section and every PT_NOTE segment, sorted by file offset. A note
  // found in both has both `section` and `segment` set; none is listed twice.
  std::span<const ElfNote> notes() const { return notes_; }
  // Entries of every SHT_REL and SHT_RELA section, section by section, in file order.
  std::span<const ElfRelocation> relocations() const { return relocations_; }

  // First section named `name`, or nullptr.
  const ElfSection* find_section(std::string_view name) const;
  // A symbol named `name`: the first defined one (.symtab before .dynsym), else the first
  // undefined one, else nullptr.
  const ElfSymbol* find_symbol(std::string_view name) const;
  // First note with this name and type, or nullptr.
  const ElfNote* find_note(std::string_view name, uint32_t type) const;
  // The symbol a relocation refers to, or nullptr when it has none (symtab 0 or symbol 0).
  const ElfSymbol* relocation_symbol(const ElfRelocation& rel) const;

 private:
  struct TableRange {
    uint32_t section = 0;  // 0: no such table
    uint32_t begin = 0;    // first entry in symbols_
    uint32_t count = 0;
  };

  Status parse_header();
  Status parse_sections();
  Status parse_segments();
  Status parse_symbols();
  Status parse_relocations();
  Status parse_notes();
  Status walk_notes(std::span<const uint8_t> data, uint64_t file_offset, uint64_t align,
                    uint32_t section, uint32_t segment);
  // The NUL-terminated string at `offset` of string-table section `strtab` (already checked to
  // be SHT_STRTAB ending in NUL), or nullopt when `offset` lies outside it.
  std::optional<std::string_view> string_at(uint32_t strtab, uint64_t offset) const;
  std::string where_section(uint32_t index) const;  // "elf: section 7 '.text'"
  const TableRange* table_for_section(uint32_t section) const;

  std::span<const uint8_t> bytes_;
  ElfHeader header_;
  std::vector<ElfSection> sections_;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSymbol> symbols_;
  std::vector<ElfNote> notes_;
  std::vector<ElfRelocation> relocations_;
  TableRange symtab_;
  TableRange dynsym_;
};

class ElfFile {
 public:
  // Reads the regular file at `path` and parses it. Errors: Error::sys for open/read failures
  // (op "elf: open <path>" / "elf: read <path>"), Error::invalid when it is not a regular file
  // or parse() rejects it (op prefixed with the path).
  static Result<ElfFile> load(const std::string& path);
  // Takes ownership of `bytes` and parses them.
  static Result<ElfFile> parse(std::vector<uint8_t> bytes);

  ElfFile(ElfFile&&) noexcept = default;
  ElfFile& operator=(ElfFile&&) noexcept = default;
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const ElfView& view() const { return view_; }
  const ElfView* operator->() const { return &view_; }

 private:
  ElfFile() = default;

  std::vector<uint8_t> bytes_;  // heap buffer: stays put when the vector is moved
  ElfView view_;
};

}  // namespace rawgpu::core
