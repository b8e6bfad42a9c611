// Touches everything an ElfView hands out and checks the view's promises: every span and name
// lies inside the input, every index it reports is in range. A broken promise traps (a finding
// for libFuzzer, a crash for the unit test); reads outside the input are ASan findings.
// Shared by the libFuzzer harness (elf_fuzzer.cpp) and the mini-fuzz in tests/core/elf_test.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/elf.h"

namespace rawgpu::fuzz {

inline void invariant(bool ok) {
  if (!ok) __builtin_trap();
}

inline bool inside(std::span<const uint8_t> all, const uint8_t* p, uint64_t n) {
  if (n == 0) return true;
  const uint8_t* begin = all.data();
  return p >= begin && p <= begin + all.size() &&
         n <= static_cast<uint64_t>(begin + all.size() - p);
}

inline uint64_t touch(std::span<const uint8_t> all, std::span<const uint8_t> s) {
  invariant(inside(all, s.data(), s.size()));
  uint64_t h = s.size();
  for (uint8_t b : s) h = h * 31 + b;
  return h;
}

inline uint64_t touch(std::span<const uint8_t> all, std::string_view s) {
  invariant(inside(all, reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  uint64_t h = s.size();
  for (char c : s) h = h * 31 + static_cast<uint8_t>(c);
  return h;
}

// Returns a hash of what it read (so the reads are not optimized away).
inline uint64_t walk_elf(const core::ElfView& v) {
  const std::span<const uint8_t> all = v.bytes();
  const core::ElfHeader& h = v.header();
  const uint64_t nsec = v.sections().size();
  invariant(nsec == h.shnum && v.segments().size() == h.phnum);
  invariant(h.shstrndx == 0 || h.shstrndx < nsec);
  uint64_t acc = h.type + h.machine + h.flags + h.os_abi + h.abi_version;
  for (const core::ElfSection& s : v.sections()) {
    acc += touch(all, s.name) + touch(all, s.data);
    invariant(s.data.empty() || s.data.size() == s.size);
    invariant(s.index == 0 || s.type == 0 /* SHT_NULL */ || s.link < nsec);
    const core::ElfSection* f = v.find_section(s.name);
    invariant(s.index == 0 || (f != nullptr && f->index <= s.index));
  }
  for (const core::ElfSegment& s : v.segments()) {
    acc += touch(all, s.data) + s.type;
    invariant(s.data.size() == s.filesz);
  }
  for (const core::ElfSymbol& s : v.symbols()) {
    acc += touch(all, s.name) + s.value + s.size + s.type + s.bind + s.visibility;
    invariant(s.shndx < nsec || s.shndx >= 0xff00);
    if (s.index != 0) invariant(v.find_symbol(s.name) != nullptr);
  }
  acc +=
      v.symbols(core::SymbolTable::kSymtab).size() + v.symbols(core::SymbolTable::kDynsym).size();
  for (const core::ElfNote& n : v.notes()) {
    acc += touch(all, n.name) + touch(all, n.desc) + n.type;
    invariant(n.section == core::kNoIndex || n.section < nsec);
    invariant(n.segment == core::kNoIndex || n.segment < v.segments().size());
    invariant(v.find_note(n.name, n.type) != nullptr);
  }
  for (const core::ElfRelocation& r : v.relocations()) {
    invariant(r.section < nsec && r.target < nsec && r.symtab < nsec);
    acc += r.offset + r.type + static_cast<uint64_t>(r.addend);
    if (const core::ElfSymbol* s = v.relocation_symbol(r))
      acc += touch(all, s->name);
    else
      invariant(r.symbol == 0);
    acc += touch(all, v.sections()[r.section].name) + touch(all, v.sections()[r.target].name) +
           touch(all, v.sections()[r.symtab].name);
  }
  return acc;
}

}  // namespace rawgpu::fuzz
