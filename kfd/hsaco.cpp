#include "kfd/hsaco.h"

#include <cstring>

namespace rawgpu::kfd {
namespace {

// shared/abi/amd-kfd.md §8.1 (EF_AMDGPU_MACH_*) and §1.4 (gfx_target_version).
constexpr GfxTarget kTargets[] = {
    {"gfx90a", 90010, 0x3f},   {"gfx940", 90400, 0x40},   {"gfx941", 90401, 0x4b},
    {"gfx942", 90402, 0x4c},   {"gfx950", 90500, 0x4f},   {"gfx1030", 100300, 0x36},
    {"gfx1100", 110000, 0x41}, {"gfx1101", 110001, 0x46}, {"gfx1102", 110002, 0x47},
    {"gfx1103", 110003, 0x44}, {"gfx1150", 110500, 0x43}, {"gfx1151", 110501, 0x4a},
    {"gfx1152", 110502, 0x55}, {"gfx1200", 120000, 0x48}, {"gfx1201", 120001, 0x4e},
};

}  // namespace

std::optional<GfxTarget> gfx_target_by_name(std::string_view name) {
  for (const GfxTarget& t : kTargets)
    if (name == t.name) return t;
  return std::nullopt;
}
std::optional<GfxTarget> gfx_target_by_version(uint32_t v) {
  for (const GfxTarget& t : kTargets)
    if (v == t.gfx_target_version) return t;
  return std::nullopt;
}
std::optional<GfxTarget> gfx_target_by_mach(uint8_t mach) {
  for (const GfxTarget& t : kTargets)
    if (mach == t.mach) return t;
  return std::nullopt;
}

uint64_t sim_hash(const uint8_t* data, size_t n) {
  // 64-bit multiply-xorshift over 8-byte words; not cryptographic, only a cache key.
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  for (; i < n; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  h ^= h >> 29;
  return h * 0xc4ceb9fe1a85ec53ull;
}

}  // namespace rawgpu::kfd
