// libFuzzer harness for the ELF64 reader (core/elf.*): parse arbitrary bytes, and when they
// parse, walk everything the view hands out and check its promises (elf_walk.h).
// Built by the `fuzz` preset; run with tests/fuzz/run_fuzz.sh elf <build-dir> <seconds>.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/elf.h"
#include "tests/fuzz/elf_walk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rawgpu::core::Result<rawgpu::core::ElfView> v =
      rawgpu::core::ElfView::parse(std::span<const uint8_t>(data, size));
  if (!v.ok()) {
    // Errors must be printable.
    volatile size_t n = v.error().message().size();
    (void)n;
    return 0;
  }
  volatile uint64_t h = rawgpu::fuzz::walk_elf(*v);
  (void)h;
  return 0;
}
