// libFuzzer harness for the trace decoder (tools/trace/decode.*) and the three packet
// disassemblers it drives. The first input byte picks how the rest is used:
//   0     a whole trace file: TraceReader + Decoder (text and JSON of every record)
//   1     a body behind a valid plain header (mutations reach the records, not the magic)
//   2     KFD command dwords: byte 1 picks the engine (bits 1:0: PM4, SDMA, AQL) and the GFX
//         generation (bits 3:2); kfd::disassemble over the rest
//   3     NVIDIA: byte 1 picks the channel's host class and the subchannel preset; the rest is a
//         pushbuffer (nv::disassemble_pushbuffer), GPFIFO entries (nv::decode_gpfifo_entry) and a
//         QMD of every version (decode_qmd, format_qmd)
//   4     Adreno PM4 dwords: byte 1 bit 0 picks a6xx/a7xx; qcom::disassemble
// Seeds: tests/fuzz/decode_seeds (traces written by tests/tools/decode_test.cpp and the command
// streams inside them). Built by the `fuzz` preset; run with tests/fuzz/run_fuzz.sh decode.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "kfd/packets.h"
#include "nv_ioctl/classes.h"
#include "nv_ioctl/packets.h"
#include "qcom_kgsl/packets.h"
#include "tools/trace/decode.h"
#include "tools/trace/trace.h"

namespace {

namespace tr = rawgpu::trace;

void decode_trace(std::span<const uint8_t> in) {
  auto r = tr::TraceReader::open(in);
  if (!r.ok()) {
    volatile size_t n = r.error().message().size();
    (void)n;
    return;
  }
  tr::Decoder dec(r->header(), tr::DecodeOptions{.max_detail_lines = 256});
  for (int i = 0; i < 4096; ++i) {
    auto v = r->next();
    if (!v.ok() || !v->has_value()) break;
    auto d = dec.decode(**v);
    if (!d.ok()) {
      volatile size_t n = d.error().message().size();
      (void)n;
      continue;
    }
    volatile size_t n = dec.json(*d).size() + d->summary.size();
    (void)n;
  }
}

std::vector<uint32_t> words_of(std::span<const uint8_t> b) {
  std::vector<uint32_t> w(b.size() / 4);
  if (!w.empty()) std::memcpy(w.data(), b.data(), w.size() * 4);
  return w;
}

void kfd_packets(uint8_t sel, std::span<const uint8_t> b) {
  namespace kfd = rawgpu::kfd;
  const std::vector<uint32_t> w = words_of(b);
  kfd::PacketFormat f;
  f.engine = (sel & 3) == 1 ? kfd::Engine::kSdma : (sel & 3) == 2 ? kfd::Engine::kAql : kfd::Engine::kPm4;
  f.gfx = static_cast<kfd::GfxGen>((sel >> 2) & 3);
  f.sdma = kfd::default_sdma_gen(f.gfx);
  volatile size_t n = kfd::disassemble(w, f).size();
  (void)n;
}

void nv_packets(uint8_t sel, std::span<const uint8_t> b) {
  namespace nv = rawgpu::nv;
  const std::vector<uint32_t> w = words_of(b);
  static constexpr uint32_t kHosts[] = {0, nv::VOLTA_CHANNEL_GPFIFO_A, nv::TURING_CHANNEL_GPFIFO_A,
                                        nv::AMPERE_CHANNEL_GPFIFO_A, nv::HOPPER_CHANNEL_GPFIFO_A,
                                        nv::BLACKWELL_CHANNEL_GPFIFO_A,
                                        nv::BLACKWELL_CHANNEL_GPFIFO_B, 0x1234};
  static constexpr uint32_t kCompute[] = {nv::AMPERE_COMPUTE_A, nv::HOPPER_COMPUTE_A,
                                          nv::BLACKWELL_COMPUTE_B, 0};
  nv::ChannelState st;
  st.host_class = kHosts[sel & 7];
  st.subchannel_class[1] = kCompute[(sel >> 3) & 3];
  volatile size_t n = nv::disassemble_pushbuffer(w, st).size();
  for (size_t i = 0; i + 8 <= b.size() && i < 64 * 8; i += 8) {
    uint64_t e;
    std::memcpy(&e, b.data() + i, 8);
    n = n + nv::decode_gpfifo_entry(e).ok() + nv::format_gpfifo_entry(e).size();
  }
  for (nv::QmdVersion v : {nv::QmdVersion::V03_00, nv::QmdVersion::V04_00, nv::QmdVersion::V05_00}) {
    n = n + nv::decode_qmd(w, v).ok();
    if (w.size() >= nv::qmd_dwords(v)) n = n + nv::format_qmd(w, v).size();
  }
  (void)n;
}

void adreno_packets(uint8_t sel, std::span<const uint8_t> b) {
  namespace qcom = rawgpu::qcom;
  const std::vector<uint32_t> w = words_of(b);
  auto r = qcom::disassemble(w, (sel & 1) ? qcom::AdrenoGen::kA7xx : qcom::AdrenoGen::kA6xx);
  volatile size_t n = r.ok() ? r->size() : r.error().message().size();
  (void)n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0]) {
    case 0: decode_trace(in); break;
    case 1: {
      std::vector<uint8_t> buf(tr::kFileHeaderSize, 0);
      std::memcpy(buf.data(), tr::kMagic, 8);
      const uint16_t major = tr::kVersionMajor, minor = tr::kVersionMinor;
      const uint32_t hsize = tr::kFileHeaderSize;
      std::memcpy(buf.data() + 8, &major, 2);
      std::memcpy(buf.data() + 10, &minor, 2);
      std::memcpy(buf.data() + 12, &hsize, 4);
      buf.insert(buf.end(), in.begin(), in.end());
      decode_trace(buf);
      break;
    }
    case 2:
    case 3:
    case 4:
      if (in.empty()) return 0;
      if (data[0] == 2) kfd_packets(in[0], in.subspan(1));
      if (data[0] == 3) nv_packets(in[0], in.subspan(1));
      if (data[0] == 4) adreno_packets(in[0], in.subspan(1));
      break;
    default: break;
  }
  return 0;
}
