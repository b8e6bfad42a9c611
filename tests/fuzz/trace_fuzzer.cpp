// libFuzzer harness for the trace reader (tools/trace): open arbitrary bytes as a trace, read
// every record, decode it and walk its fields. The first input byte picks how the rest is used:
//   0     the rest is a whole trace file (header included)
//   1, 2  the rest is a body behind a valid plain (1) or zstd (2) header, so mutations reach the
//         record and chunk parsers instead of dying on the magic
// Built by the `fuzz` preset; run with tests/fuzz/run_fuzz.sh trace <build-dir> <seconds>.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "tools/trace/trace.h"

namespace {

namespace tr = rawgpu::trace;

uint64_t sum_field(const char*, std::string_view s) { return s.size() ? uint8_t(s.back()) : 0; }
uint64_t sum_field(const char*, std::span<const uint8_t> s) { return s.size() ? s.back() : 0; }
template <typename T>
uint64_t sum_field(const char*, T v) {
  return static_cast<uint64_t>(v);
}

uint64_t walk(const tr::Record& rec) {
  uint64_t h = 0;
  std::visit(
      [&](const auto& r) { r.fields([&](const char* n, const auto& v) { h += sum_field(n, v); }); },
      rec);
  if (const auto* io = std::get_if<tr::IoctlRecord>(&rec))
    for (const tr::IoctlBuffer& b : io->buffers)
      b.fields([&](const char* n, const auto& v) { h += sum_field(n, v); });
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> buf;
  std::span<const uint8_t> in(data + 1, size - 1);
  if (data[0] == 1 || data[0] == 2) {
    buf.assign(tr::kFileHeaderSize, 0);
    std::memcpy(buf.data(), tr::kMagic, 8);
    const uint16_t major = tr::kVersionMajor;
    const uint32_t hsize = tr::kFileHeaderSize, flags = data[0] == 2 ? tr::kFlagZstd : 0;
    std::memcpy(buf.data() + 8, &major, 2);
    std::memcpy(buf.data() + 12, &hsize, 4);
    std::memcpy(buf.data() + 16, &flags, 4);
    buf.insert(buf.end(), in.begin(), in.end());
    in = std::span<const uint8_t>(buf.data(), buf.size());
  }
  auto r = tr::TraceReader::open(in);
  if (!r.ok()) {
    volatile size_t n = r.error().message().size();  // errors must be printable
    (void)n;
    return 0;
  }
  volatile uint64_t h = 0;
  for (int i = 0; i < 1 << 16; ++i) {
    auto v = r->next();
    if (!v.ok()) {
      h = h + v.error().message().size();
      // An error is sticky.
      if (r->next().ok()) __builtin_trap();
      break;
    }
    if (!v->has_value()) break;
    auto rec = tr::decode(**v);
    h = h + (rec.ok() ? walk(*rec) : rec.error().message().size());
  }
  (void)h;
  return 0;
}
