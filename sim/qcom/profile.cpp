// The simulated Adreno profiles (profile.h). Chip ids, generation, SP count, fibers and gmem are
// qcom_kgsl/a6xx.h's ChipInfo rows (fact sheet §5).
#include "sim/qcom/profile.h"

#include <algorithm>
#include <cctype>

namespace rawgpu::sim::qcom {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

// gpu_model follows KGSL's "Adreno%d%d%dv%d" of core/major/minor and patch + 1 (the sheet's
// example "Adreno730v3" is chip 0x07030002).
constexpr Profile kProfiles[] = {
    {"a630", rawgpu::qcom::a6xx::kA630, "Adreno630v2", 15, 2, false, 4 * kGiB, 0x016dd, 0x016dd},
    {"a660", rawgpu::qcom::a6xx::kA660, "Adreno660v2", 16, 4, true, 4 * kGiB, 0x01740, 0x01740},
};

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const Profile* find_profile(std::string_view name) {
  for (const Profile& p : kProfiles)
    if (iequal(p.name, name)) return &p;
  return nullptr;
}

std::string profile_names() {
  std::string s;
  for (const Profile& p : kProfiles) {
    if (!s.empty()) s += ", ";
    s += p.name;
  }
  return s;
}

}  // namespace rawgpu::sim::qcom
