#include "nv_ioctl/status.h"

#include <charconv>

namespace rawgpu::nv {
namespace {

struct StatusInfo {
  uint32_t value;
  std::string_view name;
  std::string_view hint;
};

constexpr StatusInfo kStatusInfo[] = {
#define RAWGPU_NV_STATUS_INFO(NAME, VALUE, HINT) StatusInfo{VALUE, #NAME, HINT},
    RAWGPU_NV_STATUS_CODES(RAWGPU_NV_STATUS_INFO)
#undef RAWGPU_NV_STATUS_INFO
};

const StatusInfo* find(uint32_t status) {
  for (const StatusInfo& s : kStatusInfo)
    if (s.value == status) return &s;
  return nullptr;
}

void append_hex(std::string& out, uint32_t v) {
  char buf[12];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out += "0x";
  out.append(buf, r.ptr);
}

}  // namespace

std::string_view nv_status_name(uint32_t status) {
  const StatusInfo* s = find(status);
  return s != nullptr ? s->name : std::string_view{};
}

std::string_view nv_status_hint(uint32_t status) {
  const StatusInfo* s = find(status);
  return s != nullptr ? s->hint : std::string_view{};
}

std::string nv_status_string(uint32_t status) {
  std::string out;
  const StatusInfo* s = find(status);
  if (s != nullptr) {
    out += s->name;
    out += " (";
    append_hex(out, status);
    out += ')';
  } else {
    out += "NV_STATUS ";
    append_hex(out, status);
    out += " (unknown)";
  }
  return out;
}

core::Error nv_status_error(std::string op, uint32_t status, std::string_view detail) {
  const StatusInfo* s = find(status);
  std::string name;
  std::string hint;
  if (s != nullptr) {
    name = s->name;
    hint = s->hint;
  } else {
    name = "NV_STATUS ";
    append_hex(name, status);
    hint = "a status this rawgpu does not know (see nvstatuscodes.h of the running driver)";
  }
  if (!detail.empty()) {
    if (!hint.empty()) hint += "; ";
    hint += detail;
  }
  return core::Error::driver(std::move(op), status, std::move(name), std::move(hint));
}

}  // namespace rawgpu::nv
