// rawgpu — files built into the `rawgpu` command: the built-in kernels (kernels/basic.c as
// simulator code objects, kernels/basic.cl as AMDGPU code objects when clang could build them),
// named "<arch>" for real code objects and "sim-<arch>" for simulator ones.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace rawgpu::tools {

struct Embedded {
  const char* name;
  const unsigned char* data;
  size_t size;
};

std::span<const Embedded> embedded_files();

// The built-in kernels' code object for `arch` ("gfx1100"); empty when none was built.
inline std::span<const unsigned char> builtin_kernels(std::string_view arch, bool simulated) {
  for (const Embedded& e : embedded_files()) {
    std::string_view n = e.name;
    if (simulated ? (n.starts_with("sim-") && n.substr(4) == arch) : n == arch) return {e.data, e.size};
  }
  return {};
}

}  // namespace rawgpu::tools
