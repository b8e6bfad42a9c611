// ELF64 reader: real objects compiled during the build (tests/fixtures/), hand-built files with
// one defect each, and a deterministic mini-fuzz over a real code object.
#include "core/elf.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/elf_walk.h"

// A function of this executable that the test finds in /proc/self/exe's .symtab.
extern "C" int rawgpu_elf_test_marker();
extern "C" int rawgpu_elf_test_marker() { return 42; }

namespace rawgpu::core {
namespace {

constexpr uint32_t kEfAmdgpuMachMask = 0x0ff;     // EF_AMDGPU_MACH
constexpr uint32_t kEfAmdgpuMachGfx90a = 0x03f;   // EF_AMDGPU_MACH_AMDGCN_GFX90A
constexpr uint32_t kEfAmdgpuMachGfx1030 = 0x036;  // EF_AMDGPU_MACH_AMDGCN_GFX1030
constexpr uint32_t kRAmdgpuAbs64 = 3;             // R_AMDGPU_ABS64
constexpr uint32_t kRAmdgpuRel64 = 5;             // R_AMDGPU_REL64
constexpr uint32_t kRAmdgpuRel32Lo = 10;          // R_AMDGPU_REL32_LO
constexpr uint32_t kRAmdgpuRel32Hi = 11;          // R_AMDGPU_REL32_HI
constexpr uint32_t kRAmdgpuRelative64 = 13;       // R_AMDGPU_RELATIVE64
constexpr uint8_t kAmdhsaCodeObjectV4 = 2;        // ELFABIVERSION_AMDGPU_HSA_V4

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<const ElfRelocation*> relocations_in(const ElfView& v, std::string_view section) {
  std::vector<const ElfRelocation*> out;
  for (const ElfRelocation& r : v.relocations()) {
    if (v.sections()[r.section].name == section) out.push_back(&r);
  }
  return out;
}

std::string_view symbol_name(const ElfView& v, const ElfRelocation& r) {
  const ElfSymbol* s = v.relocation_symbol(r);
  return s != nullptr ? s->name : std::string_view();
}

// ---------------------------------------------------------------------------------------------
// Real objects.

#define RAWGPU_NEED_FIXTURE(path) \
  if (std::string_view(path).empty()) GTEST_SKIP() << "fixture not built: " #path " is empty"

TEST(ElfAmdgcn, CodeObjectHeaderAndSections) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_CO);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  EXPECT_EQ(v.header().machine, kEmAmdgpu);
  EXPECT_EQ(v.header().machine, EM_AMDGPU);
  EXPECT_EQ(v.header().type, ET_DYN);
  EXPECT_EQ(v.header().os_abi, kElfOsAbiAmdgpuHsa);
  EXPECT_EQ(v.header().abi_version, kAmdhsaCodeObjectV4);
  EXPECT_EQ(v.header().flags & kEfAmdgpuMachMask, kEfAmdgpuMachGfx90a);

  const ElfSection* text = v.find_section(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->type, SHT_PROGBITS);
  EXPECT_TRUE(text->flags & SHF_EXECINSTR);
  EXPECT_EQ(text->data.size(), text->size);
  EXPECT_GT(text->size, 0u);
  const ElfSection* bss = v.find_section(".bss");
  ASSERT_NE(bss, nullptr);
  EXPECT_EQ(bss->type, SHT_NOBITS);
  EXPECT_TRUE(bss->data.empty());
  EXPECT_EQ(bss->size, 4u);  // `counter`
  EXPECT_EQ(v.find_section(".nope"), nullptr);

  // .text lies in an executable PT_LOAD segment.
  bool text_loaded = false;
  for (const ElfSegment& s : v.segments()) {
    if (s.type == PT_LOAD && (s.flags & PF_X) && s.offset <= text->offset &&
        text->offset + text->size <= s.offset + s.filesz) {
      text_loaded = true;
    }
  }
  EXPECT_TRUE(text_loaded);
}

TEST(ElfAmdgcn, KernelSymbolsAndDescriptors) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_CO);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();

  for (const char* kernel : {"vadd", "scale", "lookup"}) {
    SCOPED_TRACE(kernel);
    const ElfSymbol* fn = v.find_symbol(kernel);
    ASSERT_NE(fn, nullptr);
    EXPECT_EQ(fn->type, STT_FUNC);
    EXPECT_EQ(fn->bind, STB_GLOBAL);
    EXPECT_EQ(v.sections()[fn->shndx].name, ".text");
    EXPECT_GT(fn->size, 0u);

    const ElfSymbol* kd = v.find_symbol(std::string(kernel) + ".kd");
    ASSERT_NE(kd, nullptr);
    EXPECT_EQ(kd->type, STT_OBJECT);
    EXPECT_EQ(kd->size, 64u);  // sizeof(kernel_descriptor_t)
    const ElfSection& rodata = v.sections()[kd->shndx];
    EXPECT_EQ(rodata.name, ".rodata");

    // kernel_descriptor_t.kernel_code_entry_byte_offset (offset 16): entry - descriptor.
    ASSERT_TRUE(in_bounds(kd->value - rodata.addr, 64, rodata.data.size()));
    int64_t entry_offset = 0;
    std::memcpy(&entry_offset, rodata.data.data() + (kd->value - rodata.addr) + 16, 8);
    EXPECT_EQ(static_cast<int64_t>(fn->value - kd->value), entry_offset);
  }

  // Kernels and descriptors are exported through .dynsym too; file-scope data only in .symtab.
  std::vector<std::string_view> dyn;
  for (const ElfSymbol& s : v.symbols(SymbolTable::kDynsym)) {
    EXPECT_EQ(s.table, SymbolTable::kDynsym);
    dyn.push_back(s.name);
  }
  for (const char* name : {"vadd", "vadd.kd", "scale", "scale.kd", "lookup", "lookup.kd"}) {
    EXPECT_NE(std::find(dyn.begin(), dyn.end(), name), dyn.end()) << name;
  }
  const ElfSymbol* lut = v.find_symbol("lut");
  ASSERT_NE(lut, nullptr);
  EXPECT_EQ(lut->table, SymbolTable::kSymtab);
  EXPECT_EQ(lut->bind, STB_LOCAL);
  EXPECT_EQ(lut->visibility, STV_HIDDEN);
  EXPECT_EQ(lut->size, 16u);
  EXPECT_EQ(v.find_symbol("no_such_kernel"), nullptr);
}

TEST(ElfAmdgcn, MetadataNote) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_CO);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  const ElfNote* md = v.find_note("AMDGPU", kNtAmdgpuMetadata);
  ASSERT_NE(md, nullptr);
  ASSERT_FALSE(md->desc.empty());
  // A msgpack map (fixmap 0x80-0x8f or map16/map32) whose keys include "amdhsa.kernels".
  const uint8_t first = md->desc[0];
  EXPECT_TRUE((first & 0xf0) == 0x80 || first == 0xde || first == 0xdf) << int(first);
  const std::string_view desc(reinterpret_cast<const char*>(md->desc.data()), md->desc.size());
  EXPECT_NE(desc.find("amdhsa.kernels"), std::string_view::npos);
  EXPECT_NE(desc.find("vadd.kd"), std::string_view::npos);
  // Found in the .note section and in the PT_NOTE segment, listed once.
  ASSERT_NE(md->section, kNoIndex);
  EXPECT_EQ(v.sections()[md->section].type, SHT_NOTE);
  ASSERT_NE(md->segment, kNoIndex);
  EXPECT_EQ(v.segments()[md->segment].type, PT_NOTE);
  EXPECT_EQ(std::count_if(v.notes().begin(), v.notes().end(),
                          [](const ElfNote& n) { return n.name == "AMDGPU"; }),
            1);
}

TEST(ElfAmdgcn, DynamicRelocationForDataPointer) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_CO);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  // `__global float* lut_ptr = lut;` is the only address stored in data: one RELATIVE64 in
  // .rela.dyn, at lut_ptr, with addend = address of lut.
  std::vector<const ElfRelocation*> dyn = relocations_in(v, ".rela.dyn");
  ASSERT_EQ(dyn.size(), 1u);
  const ElfRelocation& r = *dyn[0];
  EXPECT_EQ(v.relocations().size(), 1u);
  EXPECT_EQ(r.type, kRAmdgpuRelative64);
  EXPECT_TRUE(r.has_addend);
  EXPECT_EQ(r.symbol, 0u);
  EXPECT_EQ(v.relocation_symbol(r), nullptr);
  EXPECT_EQ(r.target, 0u);
  EXPECT_EQ(v.sections()[r.symtab].name, ".dynsym");
  const ElfSymbol* lut = v.find_symbol("lut");
  const ElfSymbol* lut_ptr = v.find_symbol("lut_ptr");
  ASSERT_NE(lut, nullptr);
  ASSERT_NE(lut_ptr, nullptr);
  EXPECT_EQ(r.offset, lut_ptr->value);
  EXPECT_EQ(static_cast<uint64_t>(r.addend), lut->value);
}

TEST(ElfAmdgcn, RelocatableObjectRelocations) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_OBJ);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_OBJ);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  EXPECT_EQ(v.header().type, ET_REL);
  EXPECT_EQ(v.header().machine, kEmAmdgpu);
  EXPECT_TRUE(v.segments().empty());

  // Kernel code reaches program-scope data PC-relatively: REL32_LO/HI pairs against .text.
  std::vector<const ElfRelocation*> text = relocations_in(v, ".rela.text");
  ASSERT_FALSE(text.empty());
  for (const ElfRelocation* r : text) {
    EXPECT_EQ(v.sections()[r->target].name, ".text");
    EXPECT_EQ(v.sections()[r->symtab].name, ".symtab");
    EXPECT_TRUE(r->type == kRAmdgpuRel32Lo || r->type == kRAmdgpuRel32Hi) << r->type;
    const std::string_view sym = symbol_name(v, *r);
    EXPECT_TRUE(sym == "lut_ptr" || sym == "counter") << sym;
  }
  // Each kernel descriptor's entry offset (descriptor + 16) is a REL64 against its kernel.
  std::vector<const ElfRelocation*> rodata = relocations_in(v, ".rela.rodata");
  ASSERT_EQ(rodata.size(), 3u);
  for (const ElfRelocation* r : rodata) {
    EXPECT_EQ(v.sections()[r->target].name, ".rodata");
    EXPECT_EQ(r->type, kRAmdgpuRel64);
    const std::string kd = std::string(symbol_name(v, *r)) + ".kd";
    const ElfSymbol* desc = v.find_symbol(kd);
    ASSERT_NE(desc, nullptr) << kd;
    EXPECT_EQ(r->offset, desc->value + 16);
  }
  // The data pointer is an ABS64 against lut.
  std::vector<const ElfRelocation*> data = relocations_in(v, ".rela.data");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0]->type, kRAmdgpuAbs64);
  EXPECT_EQ(symbol_name(v, *data[0]), "lut");
  EXPECT_NE(v.find_note("AMDGPU", kNtAmdgpuMetadata), nullptr);
}

TEST(ElfAmdgcn, Gfx1030CodeObject) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO_GFX1030);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_AMDGCN_CO_GFX1030);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->view().header().flags & kEfAmdgpuMachMask, kEfAmdgpuMachGfx1030);
  EXPECT_NE(f->view().find_symbol("vadd.kd"), nullptr);
}

TEST(ElfCubin, KernelsSectionsAndSymbols) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_CUBIN);
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_CUBIN);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  EXPECT_EQ(v.header().machine, kEmCuda);
  EXPECT_EQ(v.header().machine, EM_CUDA);
  // The SM number sits in e_flags: bits 0-7 in older cubins, bits 8-15 since CUDA 12.x's ABI 8.
  const uint32_t flags = v.header().flags;
  EXPECT_TRUE((flags & 0xff) == RAWGPU_FIXTURE_CUBIN_SM ||
              ((flags >> 8) & 0xff) == RAWGPU_FIXTURE_CUBIN_SM)
      << std::hex << flags;

  EXPECT_NE(v.find_section(".nv.info"), nullptr);
  for (const char* kernel : {"saxpy", "fill"}) {
    SCOPED_TRACE(kernel);
    const ElfSection* text = v.find_section(std::string(".text.") + kernel);
    ASSERT_NE(text, nullptr);
    EXPECT_TRUE(text->flags & SHF_EXECINSTR);
    EXPECT_FALSE(text->data.empty());
    EXPECT_NE(v.find_section(std::string(".nv.info.") + kernel), nullptr);
    const ElfSymbol* sym = v.find_symbol(kernel);
    ASSERT_NE(sym, nullptr);
    EXPECT_EQ(sym->type, STT_FUNC);
    EXPECT_EQ(sym->bind, STB_GLOBAL);
    EXPECT_EQ(sym->shndx, text->index);
    EXPECT_EQ(sym->size, text->size);
  }
  // Device variables: __constant__ in a constant bank, __device__ in .nv.global (NOBITS).
  const ElfSymbol* coeffs = v.find_symbol("coeffs");
  ASSERT_NE(coeffs, nullptr);
  EXPECT_EQ(coeffs->size, 16u);
  EXPECT_EQ(v.sections()[coeffs->shndx].name.substr(0, 12), ".nv.constant");
  const ElfSymbol* hits = v.find_symbol("hits");
  ASSERT_NE(hits, nullptr);
  const ElfSection& global = v.sections()[hits->shndx];
  EXPECT_EQ(global.name, ".nv.global");
  EXPECT_EQ(global.type, SHT_NOBITS);
  EXPECT_TRUE(global.data.empty());
  // Every SHT_NOTE section with content yields notes.
  for (const ElfSection& s : v.sections()) {
    if (s.type != SHT_NOTE || s.size == 0) continue;
    EXPECT_TRUE(std::any_of(v.notes().begin(), v.notes().end(), [&](const ElfNote& n) {
      return n.section == s.index;
    })) << s.name;
  }
}

TEST(ElfHostSo, DynamicSymbolsAndRelocations) {
  Result<ElfFile> f = ElfFile::load(RAWGPU_FIXTURE_HOST_SO);
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  EXPECT_EQ(v.header().type, ET_DYN);
#if defined(__x86_64__)
  EXPECT_EQ(v.header().machine, EM_X86_64);
#elif defined(__aarch64__)
  EXPECT_EQ(v.header().machine, EM_AARCH64);
#endif
  ASSERT_NE(v.find_section(".dynsym"), nullptr);
  auto dynsym = [&](std::string_view name) -> const ElfSymbol* {
    for (const ElfSymbol& s : v.symbols(SymbolTable::kDynsym)) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (const char* fn : {"rawgpu_fixture_add", "rawgpu_fixture_length"}) {
    const ElfSymbol* s = dynsym(fn);
    ASSERT_NE(s, nullptr) << fn;
    EXPECT_EQ(s->type, STT_FUNC);
    EXPECT_EQ(s->bind, STB_GLOBAL);
    EXPECT_TRUE(s->defined());
    EXPECT_TRUE(v.sections()[s->shndx].flags & SHF_EXECINSTR);
  }
  const ElfSymbol* counter = dynsym("rawgpu_fixture_counter");
  ASSERT_NE(counter, nullptr);
  EXPECT_EQ(counter->type, STT_OBJECT);
  EXPECT_EQ(counter->size, 4u);
  const ElfSymbol* strlen_sym = dynsym("strlen");
  ASSERT_NE(strlen_sym, nullptr);
  EXPECT_FALSE(strlen_sym->defined());

  // The exported (preemptible) counter's address is stored in data, and strlen is imported:
  // both need dynamic relocations against .dynsym.
  bool counter_reloc = false;
  bool strlen_reloc = false;
  for (const ElfRelocation& r : v.relocations()) {
    const ElfSymbol* s = v.relocation_symbol(r);
    if (s == nullptr) continue;
    EXPECT_EQ(s->table, SymbolTable::kDynsym);
    counter_reloc |= s->name == "rawgpu_fixture_counter";
    strlen_reloc |= s->name == "strlen";
  }
  EXPECT_TRUE(counter_reloc);
  EXPECT_TRUE(strlen_reloc);
}

TEST(ElfHostSo, OwnExecutableNotesListedOnce) {
  Result<ElfFile> f = ElfFile::load("/proc/self/exe");
  ASSERT_TRUE(f.ok()) << f.error().message();
  const ElfView& v = f->view();
  const ElfSymbol* marker = v.find_symbol("rawgpu_elf_test_marker");
  ASSERT_NE(marker, nullptr);
  EXPECT_EQ(marker->type, STT_FUNC);
  EXPECT_EQ(rawgpu_elf_test_marker(), 42);
  const ElfSection* build_id = v.find_section(".note.gnu.build-id");
  if (build_id == nullptr) GTEST_SKIP() << "linked without --build-id";
  const ElfNote* n = v.find_note("GNU", NT_GNU_BUILD_ID);
  ASSERT_NE(n, nullptr);
  EXPECT_GE(n->desc.size(), 8u);
  EXPECT_EQ(n->section, build_id->index);
  EXPECT_NE(n->segment, kNoIndex);  // also covered by a PT_NOTE segment
  for (size_t i = 1; i < v.notes().size(); ++i) {
    EXPECT_LT(v.notes()[i - 1].offset, v.notes()[i].offset);
  }
}

TEST(ElfFileTest, LoadErrors) {
  Result<ElfFile> missing = ElfFile::load("/nonexistent/rawgpu.co");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kSys);
  EXPECT_EQ(missing.error().err(), ENOENT);
  EXPECT_NE(missing.error().message().find("/nonexistent/rawgpu.co"), std::string::npos);

  Result<ElfFile> dir = ElfFile::load("/");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.error().message().find("not a regular file"), std::string::npos);

  Result<ElfFile> text = ElfFile::load("/proc/self/cmdline");  // a regular file, not an ELF
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().kind(), ErrorKind::kInvalidInput);
}

// ---------------------------------------------------------------------------------------------
// A small, valid, hand-built ELF: each malformed-input test breaks exactly one thing in it.
//   [0] null  [1] .shstrtab  [2] .strtab  [3] .symtab (null, "kern" FUNC in .text)
//   [4] .text  [5] .note ("AMDGPU", 32, 8-byte desc)  [6] .rela.text (1 entry -> symbol 1)
//   [7] .bss (NOBITS)
//   program headers: PT_LOAD over .text, PT_NOTE over .note

class MiniElf {
 public:
  static constexpr uint32_t kShstrtab = 1, kStrtab = 2, kSymtab = 3, kText = 4, kNote = 5,
                            kRela = 6, kBss = 7, kShnum = 8;

  explicit MiniElf(uint64_t note_align = 4) {
    bytes_.resize(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr));
    static constexpr char kNames[] =
        "\0.shstrtab\0.strtab\0.symtab\0.text\0.note\0.rela.text\0.bss";
    const std::string shstr(kNames, sizeof kNames);  // ends in the literal's NUL
    const std::string str("\0kern\0", 6);
    Elf64_Shdr sh[kShnum] = {};

    // Zero-filled header with the fields every section sets; the rest are set one by one.
    auto section = [&](const char* n, uint32_t type, uint64_t flags, uint64_t offset, uint64_t size,
                       uint64_t align) {
      Elf64_Shdr s = {};
      s.sh_name = static_cast<uint32_t>(shstr.find(n));
      s.sh_type = type;
      s.sh_flags = flags;
      s.sh_offset = offset;
      s.sh_size = size;
      s.sh_addralign = align;
      return s;
    };

    sh[kShstrtab] =
        section(".shstrtab", SHT_STRTAB, 0, append(shstr.data(), shstr.size(), 1), shstr.size(), 1);
    sh[kStrtab] =
        section(".strtab", SHT_STRTAB, 0, append(str.data(), str.size(), 1), str.size(), 1);
    const uint8_t code[16] = {0xbf, 0x81, 0, 0};  // content is irrelevant
    sh[kText] = section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
                        append(code, sizeof code, 16), sizeof code, 16);
    sh[kText].sh_addr = 0x1000;

    Elf64_Sym syms[2] = {};
    syms[1].st_name = 1;
    syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    syms[1].st_other = STV_PROTECTED;
    syms[1].st_shndx = kText;
    syms[1].st_value = 0x1000;
    syms[1].st_size = 16;
    sh[kSymtab] = section(".symtab", SHT_SYMTAB, 0, append(syms, sizeof syms, 8), sizeof syms, 8);
    sh[kSymtab].sh_link = kStrtab;
    sh[kSymtab].sh_info = 1;
    sh[kSymtab].sh_entsize = sizeof(Elf64_Sym);

    // Note: 12-byte header, "AMDGPU\0" padded to the alignment, 8-byte desc.
    std::vector<uint8_t> note(12);
    const uint32_t nh[3] = {7, 8, kNtAmdgpuMetadata};
    std::memcpy(note.data(), nh, 12);
    note.insert(note.end(), {'A', 'M', 'D', 'G', 'P', 'U', 0});
    while (note.size() % note_align != 0) note.push_back(0);
    for (uint8_t b = 0x81; b < 0x89; ++b) note.push_back(b);
    note_offset_ = append(note.data(), note.size(), note_align);
    sh[kNote] = section(".note", SHT_NOTE, SHF_ALLOC, note_offset_, note.size(), note_align);

    Elf64_Rela rela = {};
    rela.r_offset = 4;
    rela.r_info = ELF64_R_INFO(1, 5);
    rela.r_addend = -8;
    sh[kRela] = section(".rela.text", SHT_RELA, SHF_INFO_LINK, append(&rela, sizeof rela, 8),
                        sizeof rela, 8);
    sh[kRela].sh_link = kSymtab;
    sh[kRela].sh_info = kText;
    sh[kRela].sh_entsize = sizeof(Elf64_Rela);
    // NOBITS: the offset is never checked, so an absurd one must be accepted.
    sh[kBss] = section(".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0xffffffffffffff00ull, 0x100, 8);
    sh[kBss].sh_addr = 0x2000;

    const uint64_t shoff = append(sh, sizeof sh, 8);

    Elf64_Ehdr eh = {};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = kElfOsAbiAmdgpuHsa;
    eh.e_ident[EI_ABIVERSION] = 2;
    eh.e_type = ET_DYN;
    eh.e_machine = kEmAmdgpu;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_shoff = shoff;
    eh.e_flags = 0x53f;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 2;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = kShnum;
    eh.e_shstrndx = kShstrtab;
    std::memcpy(bytes_.data(), &eh, sizeof eh);

    Elf64_Phdr ph[2] = {};
    ph[0].p_type = PT_LOAD;
    ph[0].p_flags = PF_R | PF_X;
    ph[0].p_offset = sh[kText].sh_offset;
    ph[0].p_vaddr = ph[0].p_paddr = 0x1000;
    ph[0].p_filesz = ph[0].p_memsz = 16;
    ph[0].p_align = 0x1000;
    ph[1].p_type = PT_NOTE;
    ph[1].p_flags = PF_R;
    ph[1].p_offset = note_offset_;
    ph[1].p_filesz = ph[1].p_memsz = note.size();
    ph[1].p_align = note_align;
    std::memcpy(bytes_.data() + sizeof eh, ph, sizeof ph);
  }

  std::vector<uint8_t>& bytes() { return bytes_; }
  uint64_t note_offset() const { return note_offset_; }

  void ehdr(const std::function<void(Elf64_Ehdr&)>& edit) { patch<Elf64_Ehdr>(0, edit); }
  void shdr(uint32_t i, const std::function<void(Elf64_Shdr&)>& edit) {
    patch<Elf64_Shdr>(get<Elf64_Ehdr>(0).e_shoff + i * sizeof(Elf64_Shdr), edit);
  }
  void phdr(uint32_t i, const std::function<void(Elf64_Phdr&)>& edit) {
    patch<Elf64_Phdr>(get<Elf64_Ehdr>(0).e_phoff + i * sizeof(Elf64_Phdr), edit);
  }
  void sym(uint32_t i, const std::function<void(Elf64_Sym&)>& edit) {
    patch<Elf64_Sym>(section_offset(kSymtab) + i * sizeof(Elf64_Sym), edit);
  }
  void rela(const std::function<void(Elf64_Rela&)>& edit) {
    patch<Elf64_Rela>(section_offset(kRela), edit);
  }
  void note_header(const std::function<void(Elf64_Nhdr&)>& edit) {
    patch<Elf64_Nhdr>(note_offset_, edit);
  }
  uint64_t section_offset(uint32_t i) {
    return get<Elf64_Shdr>(get<Elf64_Ehdr>(0).e_shoff + i * sizeof(Elf64_Shdr)).sh_offset;
  }

  template <typename T>
  T get(uint64_t off) const {
    T v;
    std::memcpy(&v, bytes_.data() + off, sizeof v);
    return v;
  }

 private:
  uint64_t append(const void* p, size_t n, uint64_t align) {
    while (bytes_.size() % align != 0) bytes_.push_back(0);
    const uint64_t off = bytes_.size();
    bytes_.insert(bytes_.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    return off;
  }
  template <typename T>
  void patch(uint64_t off, const std::function<void(T&)>& edit) {
    T v = get<T>(off);
    edit(v);
    std::memcpy(bytes_.data() + off, &v, sizeof v);
  }

  std::vector<uint8_t> bytes_;
  uint64_t note_offset_ = 0;
};

// Parses and expects an invalid-input error whose message contains every `needle`.
void expect_invalid(std::span<const uint8_t> bytes,
                    std::initializer_list<std::string_view> needles) {
  Result<ElfView> v = ElfView::parse(bytes);
  ASSERT_FALSE(v.ok()) << "parsed, expected an error containing '" << *needles.begin() << "'";
  EXPECT_EQ(v.error().kind(), ErrorKind::kInvalidInput);
  const std::string msg = v.error().message();
  for (std::string_view n : needles) {
    EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
  }
  EXPECT_EQ(msg.rfind("elf: ", 0), 0u) << msg;
}

TEST(ElfMini, ValidFileParses) {
  MiniElf m;
  Result<ElfView> r = ElfView::parse(m.bytes());
  ASSERT_TRUE(r.ok()) << r.error().message();
  const ElfView& v = *r;
  EXPECT_EQ(v.header().shnum, MiniElf::kShnum);
  EXPECT_EQ(v.header().phnum, 2u);
  EXPECT_EQ(v.sections()[MiniElf::kText].name, ".text");
  EXPECT_TRUE(v.sections()[MiniElf::kBss].data.empty());  // NOBITS: offset never checked
  const ElfSymbol* kern = v.find_symbol("kern");
  ASSERT_NE(kern, nullptr);
  EXPECT_EQ(kern->type, STT_FUNC);
  EXPECT_EQ(kern->visibility, STV_PROTECTED);
  EXPECT_EQ(kern->shndx, MiniElf::kText);
  ASSERT_EQ(v.relocations().size(), 1u);
  EXPECT_EQ(v.relocations()[0].type, 5u);
  EXPECT_EQ(v.relocations()[0].addend, -8);
  EXPECT_EQ(v.relocations()[0].target, MiniElf::kText);
  EXPECT_EQ(v.relocation_symbol(v.relocations()[0]), kern);
  ASSERT_EQ(v.notes().size(), 1u);  // in .note and in PT_NOTE: listed once
  const ElfNote& n = v.notes()[0];
  EXPECT_EQ(n.name, "AMDGPU");
  EXPECT_EQ(n.type, kNtAmdgpuMetadata);
  EXPECT_EQ(n.section, MiniElf::kNote);
  EXPECT_EQ(n.segment, 1u);
  ASSERT_EQ(n.desc.size(), 8u);
  EXPECT_EQ(n.desc[0], 0x81);
  EXPECT_EQ(n.desc.data(), m.bytes().data() + m.note_offset() + 20);  // 12 + 7 -> 20
}

TEST(ElfMini, EightByteAlignedNotes) {
  MiniElf m(8);
  Result<ElfView> v = ElfView::parse(m.bytes());
  ASSERT_TRUE(v.ok()) << v.error().message();
  ASSERT_EQ(v->notes().size(), 1u);
  EXPECT_EQ(v->notes()[0].desc.data(), m.bytes().data() + m.note_offset() + 24);  // 12 + 7 -> 24
  EXPECT_EQ(v->notes()[0].desc[7], 0x88);
}

TEST(ElfMini, ExtendedNumbering) {
  MiniElf m;
  m.shdr(0, [](Elf64_Shdr& s) {
    s.sh_size = MiniElf::kShnum;
    s.sh_link = MiniElf::kShstrtab;
    s.sh_info = 2;
  });
  m.ehdr([](Elf64_Ehdr& e) {
    e.e_shnum = 0;
    e.e_shstrndx = SHN_XINDEX;
    e.e_phnum = PN_XNUM;
  });
  Result<ElfView> v = ElfView::parse(m.bytes());
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->header().shnum, MiniElf::kShnum);
  EXPECT_EQ(v->header().shstrndx, MiniElf::kShstrtab);
  EXPECT_EQ(v->header().phnum, 2u);
  EXPECT_NE(v->find_section(".text"), nullptr);
}

TEST(ElfMalformed, HeaderAndIdentification) {
  expect_invalid({}, {"empty file"});
  MiniElf m;
  std::vector<uint8_t>& b = m.bytes();
  expect_invalid(std::span(b).first(3), {"bad magic"});
  expect_invalid(std::span(b).first(12), {"truncated", "e_ident"});
  expect_invalid(std::span(b).first(40), {"truncated", "ELF64 header needs 64"});
  {
    std::vector<uint8_t> c = b;
    c[1] = 'X';
    expect_invalid(c, {"bad magic"});
  }
  {
    std::vector<uint8_t> c = b;
    c[EI_CLASS] = ELFCLASS32;
    expect_invalid(c, {"ELFCLASS32"});
    c[EI_CLASS] = 7;
    expect_invalid(c, {"EI_CLASS 7"});
  }
  {
    std::vector<uint8_t> c = b;
    c[EI_DATA] = ELFDATA2MSB;
    expect_invalid(c, {"big-endian"});
    c[EI_DATA] = 0;
    expect_invalid(c, {"EI_DATA 0"});
  }
  {
    std::vector<uint8_t> c = b;
    c[EI_VERSION] = 2;
    expect_invalid(c, {"EI_VERSION"});
  }
  MiniElf v;
  v.ehdr([](Elf64_Ehdr& e) { e.e_version = 9; });
  expect_invalid(v.bytes(), {"e_version 9"});
  MiniElf eh;
  eh.ehdr([](Elf64_Ehdr& e) { e.e_ehsize = 52; });
  expect_invalid(eh.bytes(), {"e_ehsize 52"});
}

TEST(ElfMalformed, SectionHeaderTable) {
  {
    MiniElf m;
    const uint64_t size = m.bytes().size();
    m.ehdr([&](Elf64_Ehdr& e) { e.e_shoff = size - 10; });
    expect_invalid(m.bytes(), {"elf: section headers", "e_shoff", "past end of file"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shoff = 0xffffffffffffff00ull; });
    expect_invalid(m.bytes(), {"e_shoff 0xffffffffffffff00", "past end of file"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shnum = 0xfff0; });
    expect_invalid(m.bytes(), {"65520*64", "past end of file"});
  }
  {
    MiniElf m;  // extended numbering with an absurd count: capped by the file size
    m.shdr(0, [](Elf64_Shdr& s) { s.sh_size = 0x4000000000000000ull; });
    m.ehdr([](Elf64_Ehdr& e) { e.e_shnum = 0; });
    expect_invalid(m.bytes(), {"past end of file"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shentsize = 40; });
    expect_invalid(m.bytes(), {"e_shentsize 40"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shoff = 0; });
    expect_invalid(m.bytes(), {"e_shoff is 0"});
  }
}

TEST(ElfMalformed, SectionData) {
  {
    MiniElf m;
    const uint64_t size = m.bytes().size();
    m.shdr(MiniElf::kText, [&](Elf64_Shdr& s) { s.sh_offset = size - 8; });
    expect_invalid(m.bytes(), {"elf: section 4 '.text'", "data [", "past end of file"});
  }
  {
    MiniElf m;  // offset + size wraps around 2^64
    m.shdr(MiniElf::kText, [](Elf64_Shdr& s) {
      s.sh_offset = 0xffffffffffffff00ull;
      s.sh_size = 0x200;
    });
    expect_invalid(m.bytes(), {"'.text'", "0xffffffffffffff00", "past end of file"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kText, [](Elf64_Shdr& s) { s.sh_size = 0xffffffffffffffffull; });
    expect_invalid(m.bytes(), {"'.text'", "past end of file"});
  }
}

TEST(ElfMalformed, SectionNames) {
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shstrndx = 99; });
    expect_invalid(m.bytes(), {"e_shstrndx 99 out of range"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_shstrndx = MiniElf::kText; });
    expect_invalid(m.bytes(), {"not SHT_STRTAB"});
  }
  {
    MiniElf m;  // SHN_XINDEX but section 0 points nowhere
    m.shdr(0, [](Elf64_Shdr& s) { s.sh_link = 1000; });
    m.ehdr([](Elf64_Ehdr& e) { e.e_shstrndx = SHN_XINDEX; });
    expect_invalid(m.bytes(), {"e_shstrndx 1000 out of range"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kShstrtab, [](Elf64_Shdr& s) { s.sh_offset = 0xfffffffffffffff0ull; });
    expect_invalid(m.bytes(), {"section-name string table data", "past end of file"});
  }
  {
    MiniElf m;  // drop the final NUL of .shstrtab
    m.shdr(MiniElf::kShstrtab, [](Elf64_Shdr& s) { s.sh_size -= 1; });
    expect_invalid(m.bytes(), {"section-name string table not NUL-terminated"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kText, [](Elf64_Shdr& s) { s.sh_name = 0x7000; });
    expect_invalid(m.bytes(), {"elf: section 4", "name offset 0x7000"});
  }
}

TEST(ElfMalformed, Links) {
  {
    MiniElf m;
    m.shdr(MiniElf::kSymtab, [](Elf64_Shdr& s) { s.sh_link = 50; });
    expect_invalid(m.bytes(), {"'.symtab'", "sh_link 50 out of range"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kSymtab, [](Elf64_Shdr& s) { s.sh_link = MiniElf::kText; });
    expect_invalid(m.bytes(), {"'.symtab'", "not a string table"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kRela, [](Elf64_Shdr& s) { s.sh_info = 77; });
    expect_invalid(m.bytes(), {"'.rela.text'", "sh_info 77 out of range"});
  }
  {
    MiniElf m;  // SHF_INFO_LINK makes sh_info a section index on any section
    m.shdr(MiniElf::kText, [](Elf64_Shdr& s) {
      s.sh_flags |= SHF_INFO_LINK;
      s.sh_info = 8;
    });
    expect_invalid(m.bytes(), {"'.text'", "sh_info 8 out of range"});
  }
  {
    MiniElf m;  // without SHF_INFO_LINK, sh_info is opaque (cubins keep symbol indices there)
    m.shdr(MiniElf::kText, [](Elf64_Shdr& s) { s.sh_info = 1234; });
    EXPECT_TRUE(ElfView::parse(m.bytes()).ok());
  }
}

TEST(ElfMalformed, Symbols) {
  {
    MiniElf m;
    m.sym(1, [](Elf64_Sym& s) { s.st_name = 0x1000; });
    expect_invalid(m.bytes(), {"'.symtab'", "symbol 1 name offset 0x1000 outside .strtab"});
  }
  {
    MiniElf m;  // unterminated string table
    m.shdr(MiniElf::kStrtab, [](Elf64_Shdr& s) { s.sh_size -= 1; });
    expect_invalid(m.bytes(), {"'.strtab'", "not NUL-terminated"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kSymtab, [](Elf64_Shdr& s) { s.sh_entsize = 16; });
    expect_invalid(m.bytes(), {"symbol table sh_entsize 16"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kSymtab, [](Elf64_Shdr& s) { s.sh_size -= 4; });
    expect_invalid(m.bytes(), {"not a multiple of 24"});
  }
  {
    MiniElf m;
    m.sym(1, [](Elf64_Sym& s) { s.st_shndx = 40; });
    expect_invalid(m.bytes(), {"symbol 1 'kern' st_shndx 40 out of range"});
  }
  {
    MiniElf m;
    m.sym(1, [](Elf64_Sym& s) { s.st_shndx = SHN_XINDEX; });
    expect_invalid(m.bytes(), {"SHN_XINDEX", "no SHT_SYMTAB_SHNDX"});
  }
  {
    MiniElf m;  // SHN_ABS and friends are kept as they are
    m.sym(1, [](Elf64_Sym& s) { s.st_shndx = SHN_ABS; });
    Result<ElfView> v = ElfView::parse(m.bytes());
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(v->find_symbol("kern")->shndx, SHN_ABS);
  }
  {
    MiniElf m;  // a second SHT_SYMTAB
    const Elf64_Shdr symtab =
        m.get<Elf64_Shdr>(m.get<Elf64_Ehdr>(0).e_shoff + MiniElf::kSymtab * sizeof(Elf64_Shdr));
    m.shdr(MiniElf::kBss, [&](Elf64_Shdr& s) { s = symtab; });
    expect_invalid(m.bytes(), {"second SHT_SYMTAB", "first is section 3"});
  }
}

TEST(ElfMalformed, Relocations) {
  {
    MiniElf m;
    m.shdr(MiniElf::kRela, [](Elf64_Shdr& s) { s.sh_entsize = 16; });
    expect_invalid(m.bytes(), {"'.rela.text'", "relocation sh_entsize 16, expected 24"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kRela, [](Elf64_Shdr& s) { s.sh_size = 20; });
    expect_invalid(m.bytes(), {"not a multiple of 24"});
  }
  {
    MiniElf m;
    m.rela([](Elf64_Rela& r) { r.r_info = ELF64_R_INFO(7, 5); });
    expect_invalid(m.bytes(), {"relocation 0 symbol index 7 out of range (2 symbols)"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kRela, [](Elf64_Shdr& s) { s.sh_link = MiniElf::kText; });
    expect_invalid(m.bytes(), {"sh_link 4 is not a symbol table"});
  }
  {
    MiniElf m;  // no symbol table: only symbol 0 is allowed
    m.shdr(MiniElf::kRela, [](Elf64_Shdr& s) { s.sh_link = 0; });
    expect_invalid(m.bytes(), {"symbol index 1 out of range (0 symbols)"});
  }
}

TEST(ElfMalformed, Notes) {
  {
    MiniElf m;
    m.note_header([](Elf64_Nhdr& n) { n.n_descsz = 0x1000; });
    expect_invalid(m.bytes(), {"'.note'", "desc size 0x1000 past end"});
  }
  {
    MiniElf m;  // 0xffffffff: name_off + namesz must not wrap
    m.note_header([](Elf64_Nhdr& n) { n.n_namesz = 0xffffffff; });
    expect_invalid(m.bytes(), {"name size 0xffffffff past end"});
  }
  {
    MiniElf m;
    m.note_header([](Elf64_Nhdr& n) { n.n_namesz = 6; });  // "AMDGPU" without its NUL
    expect_invalid(m.bytes(), {"name not NUL-terminated"});
  }
  {
    MiniElf m;
    m.shdr(MiniElf::kNote, [](Elf64_Shdr& s) { s.sh_size += 5; });  // 5 stray bytes after it
    expect_invalid(m.bytes(), {"truncated note header", "5 bytes left"});
  }
  {
    MiniElf m;  // the PT_NOTE segment is walked too
    m.shdr(MiniElf::kNote, [](Elf64_Shdr& s) { s.sh_type = SHT_PROGBITS; });
    m.note_header([](Elf64_Nhdr& n) { n.n_descsz = 0x1000; });
    expect_invalid(m.bytes(), {"elf: segment 1 (PT_NOTE)", "desc size"});
  }
}

TEST(ElfMalformed, ProgramHeaders) {
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_phoff = 0xffffffffffffff00ull; });
    expect_invalid(m.bytes(), {"elf: program headers", "e_phoff", "past end of file"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_phentsize = 32; });
    expect_invalid(m.bytes(), {"e_phentsize 32"});
  }
  {
    MiniElf m;
    m.phdr(0, [](Elf64_Phdr& p) { p.p_filesz = 0xffffffffffffffffull; });
    expect_invalid(m.bytes(), {"elf: segment 0 (PT_LOAD)", "past end of file"});
  }
  {
    MiniElf m;
    m.ehdr([](Elf64_Ehdr& e) { e.e_phnum = PN_XNUM; });  // section 0's sh_info (0): no segments
    Result<ElfView> v = ElfView::parse(m.bytes());
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_TRUE(v->segments().empty());
  }
}

TEST(ElfFileTest, MoveKeepsViewsValid) {
  MiniElf m;
  std::vector<uint8_t> bytes = m.bytes();
  const uint8_t* buffer = bytes.data();
  Result<ElfFile> r = ElfFile::parse(std::move(bytes));
  ASSERT_TRUE(r.ok()) << r.error().message();
  ElfFile a = std::move(r).value();
  ElfFile b = std::move(a);
  ElfFile c = ElfFile::parse(MiniElf().bytes()).value();
  c = std::move(b);
  EXPECT_EQ(c->bytes().data(), buffer);
  EXPECT_EQ(c->find_section(".text")->data.data(), buffer + m.section_offset(MiniElf::kText));
  EXPECT_EQ(c->find_symbol("kern")->name, "kern");

  Result<ElfFile> bad = ElfFile::parse({0x7f, 'E', 'L', 'F'});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("truncated"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Deterministic mini-fuzz: every single-byte corruption of the file, then random multi-byte
// mutations and truncations. Each input must parse or fail cleanly; parsed views are walked
// and their promises checked (tests/fuzz/elf_walk.h).

uint64_t parse_and_walk(std::span<const uint8_t> bytes) {
  Result<ElfView> v = ElfView::parse(bytes);
  if (!v.ok()) return v.error().message().size();
  return fuzz::walk_elf(*v);
}

void mini_fuzz(const std::vector<uint8_t>& original, int random_rounds) {
  ASSERT_FALSE(original.empty());
  uint64_t sink = 0;
  std::vector<uint8_t> b = original;
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t value : {static_cast<uint8_t>(~original[i]), uint8_t{0xff}}) {
      b[i] = value;
      sink += parse_and_walk(b);
    }
    b[i] = original[i];
  }
  std::mt19937_64 rng(0x7261776770755f65ull);  // fixed seed: same inputs every run
  const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x08, 0x18};
  for (int round = 0; round < random_rounds; ++round) {
    b = original;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % b.size();
      b[at] = (rng() & 1) ? interesting[rng() % sizeof interesting] : static_cast<uint8_t>(rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    sink += parse_and_walk(b);
  }
  EXPECT_NE(sink, 0u);
}

TEST(ElfFuzz, MutatedMiniElfNeverCrashes) { mini_fuzz(MiniElf().bytes(), 3000); }

TEST(ElfFuzz, MutatedCodeObjectNeverCrashes) {
  RAWGPU_NEED_FIXTURE(RAWGPU_FIXTURE_AMDGCN_CO);
  mini_fuzz(read_bytes(RAWGPU_FIXTURE_AMDGCN_CO), 4000);
}

}  // namespace
}  // namespace rawgpu::core
