// Adreno PM4 packets and the a6xx dispatch sequence (qcom_kgsl/packets.h, a6xx.h).
#include "qcom_kgsl/packets.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "qcom_kgsl/a6xx.h"

namespace rawgpu::qcom {
namespace {

// Header vectors quoted by the fact sheet §2.1 (computed there with KGSL's and tinygrad's parity).
TEST(QcomPackets, HeaderVectorsFromTheFactSheet) {
  EXPECT_EQ(pkt7_header(CP_WAIT_FOR_IDLE, 0), 0x70268000u);
  EXPECT_EQ(pkt7_header(CP_EXEC_CS, 4), 0x70B30004u);
  EXPECT_EQ(pkt7_header(CP_SET_MARKER, 1), 0x70E50001u);
  EXPECT_EQ(pkt7_header(CP_LOAD_STATE6_FRAG, 3), 0x70348003u);
  EXPECT_EQ(pkt7_header(CP_EVENT_WRITE, 4), 0x70460004u);
  EXPECT_EQ(pkt7_header(CP_WAIT_REG_MEM, 6), 0x70BC8006u);
  EXPECT_EQ(pkt4_header(0xB990, 12), 0x40B9908Cu);
  EXPECT_EQ(pkt4_header(0xA9B0, 10), 0x40A9B08Au);
  EXPECT_EQ(pkt4_header(0xB983, 5), 0x48B98385u);
}

TEST(QcomPackets, ParityIsOddParityOverTheField) {
  std::mt19937 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const uint32_t v = rng();
    EXPECT_EQ(pm4_parity(v), (__builtin_popcount(v) % 2 == 0) ? 1u : 0u) << v;
  }
}

template <class P>
std::vector<uint32_t> enc(const P& p, AdrenoGen g = AdrenoGen::kA6xx) {
  std::array<uint32_t, 64> buf{};
  core::EncodeResult r = encode(buf, p, g);
  EXPECT_TRUE(r.ok()) << core::to_error(r).message();
  return std::vector<uint32_t>(buf.begin(), buf.begin() + r.dwords);
}

// Decoded tail spans point into the encoded words: keep them alive for the whole test binary.
std::vector<std::vector<uint32_t>> g_keep;

template <class P>
P roundtrip(const P& p, AdrenoGen g = AdrenoGen::kA6xx) {
  g_keep.push_back(enc(p, g));
  const std::span<const uint32_t> w(g_keep.back().data(), g_keep.back().size());
  core::Result<Pm4Packet> d = decode_packet(w, 0, g);
  EXPECT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->words.size(), w.size());
  core::Result<P> back = decode_as<P>(w);
  EXPECT_TRUE(back.ok()) << back.error().message();
  return *back;
}

TEST(QcomPackets, RoundTripEveryDescribedOpcode) {
  EXPECT_EQ(roundtrip(CpSetMarker{.mode = RM6_COMPUTE}), CpSetMarker{.mode = RM6_COMPUTE});
  EXPECT_EQ(roundtrip(CpWaitForIdle{}), CpWaitForIdle{});
  EXPECT_EQ(roundtrip(CpWaitForMe{}), CpWaitForMe{});
  EXPECT_EQ(roundtrip(CpWaitMemWrites{}), CpWaitMemWrites{});
  const CpWaitRegMem w{.function = WaitFunction::kEqual, .signed_compare = true,
                       .poll = PollSpace::kMemory, .write_memory = false,
                       .poll_addr = 0x1'2345'6780, .ref = 7, .mask = 0xFF, .delay = 16};
  EXPECT_EQ(roundtrip(w), w);
  const CpWaitMemGte g{.addr = 0xABC0, .ref = 9};
  EXPECT_EQ(roundtrip(g), g);
  const CpRegToMem r{.reg = 0x980, .cnt = 2, .b64 = true, .dest = 0x5000};
  EXPECT_EQ(roundtrip(r), r);
  const CpIndirectBuffer ib{.ib_base = 0x7'0000'1000, .size_dwords = 0xFFFFF};
  EXPECT_EQ(roundtrip(ib), ib);
  const CpExecCs ex{.ngroups_x = 4, .ngroups_y = 5, .ngroups_z = 6};
  EXPECT_EQ(roundtrip(ex), ex);
  const CpExecCsIndirect ei{.addr = 0x100, .local_size_x = 1024, .local_size_y = 2, .local_size_z = 1};
  EXPECT_EQ(roundtrip(ei), ei);
  EXPECT_EQ(roundtrip(CpRunOpencl{}), CpRunOpencl{});
  const CpEventWrite ts{.event = Event::CACHE_FLUSH_TS, .timestamp = true, .addr = 0x2000, .value = 3};
  EXPECT_EQ(roundtrip(ts), ts);
  const CpEventWrite inv{.event = Event::CACHE_INVALIDATE};
  EXPECT_EQ(roundtrip(inv), inv);
  const CpEventWrite7 e7{.event = Event::RB_DONE_TS, .write_src = WriteSrc::kAlwaysOn,
                         .write_enabled = true, .addr = 0x3000};
  EXPECT_EQ(roundtrip(e7, AdrenoGen::kA7xx), e7);
  const CpEventWrite7 e7v{.event = CACHE_CLEAN, .write_src = WriteSrc::kUser32B,
                          .write_enabled = true, .addr = 0x3000, .value = 42};
  EXPECT_EQ(roundtrip(e7v, AdrenoGen::kA7xx), e7v);
  const CpThreadControl tc{.thread = 1, .sync_threads = true};
  EXPECT_EQ(roundtrip(tc, AdrenoGen::kA7xx), tc);

  const CpLoadState6Frag ls{.dst_off = 0, .state_type = StateType::ST6_CONSTANTS,
                            .state_src = StateSrc::SS6_INDIRECT,
                            .state_block = StateBlock::SB6_CS_SHADER, .num_unit = 256,
                            .ext_src_addr = 0x4000};
  const CpLoadState6Frag lsb = roundtrip(ls);
  EXPECT_EQ(lsb.num_unit, 256u);
  EXPECT_EQ(lsb.ext_src_addr, 0x4000u);
  EXPECT_EQ(lsb.state_type, StateType::ST6_CONSTANTS);
  const uint32_t inline_data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const CpLoadState6Geom dl{.state_type = StateType::ST6_CONSTANTS, .state_src = StateSrc::SS6_DIRECT,
                            .state_block = StateBlock::SB6_CS_SHADER, .num_unit = 2,
                            .data = inline_data};
  const CpLoadState6Geom dlb = roundtrip(dl);
  ASSERT_EQ(dlb.data.size(), 8u);
  EXPECT_EQ(dlb.data[7], 8u);

  const uint32_t mw_data[3] = {0xA, 0xB, 0xC};
  const CpMemWrite mw{.addr = 0x9000, .data = mw_data};
  const CpMemWrite mwb = roundtrip(mw);
  EXPECT_EQ(mwb.addr, 0x9000u);
  ASSERT_EQ(mwb.data.size(), 3u);
  EXPECT_EQ(mwb.data[2], 0xCu);
  const uint32_t nop_data[2] = {0xDEAD, 0xBEEF};
  const CpNop nb = roundtrip(CpNop{.payload = nop_data});
  EXPECT_EQ(nb.payload.size(), 2u);
}

// Dword values the fact sheet precomputes (§2.3) and tinygrad's commands (§3.2).
TEST(QcomPackets, ExactDwords) {
  EXPECT_EQ(enc(CpLoadState6Frag{.state_type = StateType::ST6_CONSTANTS, .num_unit = 256,
                                 .ext_src_addr = 0x1000})[1],
            0x40364000u);
  EXPECT_EQ(enc(CpLoadState6Frag{.state_type = StateType::ST6_SHADER, .num_unit = 3,
                                 .ext_src_addr = 0x1000})[1],
            0x00360000u | 3u << 22);
  EXPECT_EQ(enc(CpLoadState6Frag{.state_type = StateType::ST6_SHADER,
                                 .state_block = StateBlock::SB6_CS_TEX, .num_unit = 2,
                                 .ext_src_addr = 0x1000})[1],
            0x00160000u | 2u << 22);
  EXPECT_EQ(enc(CpLoadState6Frag{.state_type = StateType::ST6_CONSTANTS,
                                 .state_block = StateBlock::SB6_CS_TEX, .num_unit = 1,
                                 .ext_src_addr = 0x1000})[1],
            0x00164000u | 1u << 22);
  EXPECT_EQ(enc(CpLoadState6Frag{.state_type = StateType::ST6_UAV, .num_unit = 4,
                                 .ext_src_addr = 0x1000})[1],
            0x0036C000u | 4u << 22);
  // tinygrad timestamp: CP_REG_TO_MEM 0x40080980.
  EXPECT_EQ(enc(CpRegToMem{.reg = 0x980, .cnt = 2, .b64 = true, .dest = 0x10})[1], 0x40080980u);
  // tinygrad wait: CP_WAIT_REG_MEM 0x15 (GE, poll memory), delay 32.
  const std::vector<uint32_t> w = enc(CpWaitRegMem{.poll_addr = 0x1'0000'0040, .ref = 5});
  EXPECT_EQ(w, (std::vector<uint32_t>{0x70BC8006u, 0x15, 0x40, 0x1, 5, 0xFFFFFFFF, 32}));
  EXPECT_EQ(enc(CpSetMarker{}), (std::vector<uint32_t>{0x70E50001u, 8}));
  EXPECT_EQ(enc(CpEventWrite{.event = Event::CACHE_FLUSH_TS, .addr = 0x1000, .value = 7}),
            (std::vector<uint32_t>{0x70460004u, 4, 0x1000, 0, 7}));
  EXPECT_EQ(enc(CpEventWrite{.event = Event::CACHE_INVALIDATE}),
            (std::vector<uint32_t>{pkt7_header(CP_EVENT_WRITE, 1), 49}));
}

TEST(QcomPackets, EncoderRefusesBadValuesAndWritesNothing) {
  std::array<uint32_t, 16> buf{};
  buf.fill(0x55);
  // Misaligned address, too-large field, timestamp on a non-TS event, wrong generation.
  EXPECT_FALSE(encode(buf, CpMemWrite{.addr = 0x1002, .data = std::span<const uint32_t>(buf.data(), 1)}).ok());
  EXPECT_FALSE(encode(buf, CpIndirectBuffer{.ib_base = 0x1000, .size_dwords = 0x100000}).ok());
  EXPECT_FALSE(encode(buf, CpEventWrite{.event = Event::CACHE_INVALIDATE, .timestamp = true}).ok());
  const core::EncodeResult a = encode(buf, CpEventWrite{.event = Event::CACHE_INVALIDATE, .addr = 0x1000});
  EXPECT_FALSE(a.ok());  // the address is not part of the 1-dword form
  const core::EncodeResult g = encode(buf, CpEventWrite{}, AdrenoGen::kA7xx);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(core::to_error(g).message().find("a7xx"), std::string::npos);
  EXPECT_FALSE(encode(buf, CpThreadControl{}, AdrenoGen::kA6xx).ok());
  EXPECT_FALSE(encode(buf, CpExecCsIndirect{.local_size_x = 1025}).ok());
  EXPECT_FALSE(encode(buf, CpLoadState6Frag{.state_src = StateSrc::SS6_DIRECT, .num_unit = 1}).ok());
  EXPECT_FALSE(encode(std::span<uint32_t>(buf.data(), 3), CpExecCs{}).ok());  // no space
  for (uint32_t v : buf) EXPECT_EQ(v, 0x55u);

  Pm4Writer w(buf);
  EXPECT_FALSE(w.pkt4(0x3FFFF, {1, 2}));  // register range past 18 bits
  EXPECT_FALSE(w.ok());
  Pm4Writer w2(buf);
  EXPECT_FALSE(w2.pkt4(0x100, std::span<const uint32_t>()));
}

TEST(QcomPackets, MalformedStreamsNameTheDword) {
  std::array<uint32_t, 64> buf{};
  Pm4Writer w(buf);
  w.pkt7(CpSetMarker{});
  w.pkt4(a6xx::SP_UPDATE_CNTL, {0x60});
  w.pkt7(CpExecCs{.ngroups_x = 2});
  ASSERT_TRUE(w.ok());
  std::vector<uint32_t> s(w.written().begin(), w.written().end());
  ASSERT_TRUE(disassemble(s).ok());

  auto err = [](const std::vector<uint32_t>& v) {
    core::Result<std::string> r = disassemble(v);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message();
  };
  std::vector<uint32_t> bad = s;
  bad[4] ^= 1u << 23;  // opcode parity of CP_EXEC_CS (at dword 4)
  EXPECT_NE(err(bad).find("dword 4"), std::string::npos);
  EXPECT_NE(err(bad).find("parity"), std::string::npos);
  bad = s;
  bad[2] ^= 1u << 7;  // cnt parity of the type-4 packet
  EXPECT_NE(err(bad).find("dword 2"), std::string::npos);
  bad = s;
  bad[2] ^= 1u << 27;  // reg parity
  EXPECT_NE(err(bad).find("reg"), std::string::npos);
  bad = s;
  bad.resize(bad.size() - 1);  // count past the end
  EXPECT_NE(err(bad).find("past the end"), std::string::npos);
  bad = s;
  bad.push_back(pkt7_header(0x7E, 0));  // unknown opcode
  EXPECT_NE(err(bad).find("unknown opcode"), std::string::npos);
  EXPECT_NE(err(bad).find("dword 9"), std::string::npos);
  bad = s;
  bad.push_back(0x30000000);  // type 3
  EXPECT_NE(err(bad).find("packet type 3"), std::string::npos);
  bad = s;
  bad[5] = 1;  // CP_EXEC_CS dword 1 must be 0
  EXPECT_NE(err(bad).find("reserved bits"), std::string::npos);
  bad = s;
  bad.push_back(pkt7_header(CP_EVENT_WRITE, 1));  // CACHE_FLUSH_TS without its address
  bad.push_back(4);
  EXPECT_NE(err(bad).find("payload"), std::string::npos);
  bad = s;
  bad.push_back(pkt7_header(CP_WAIT_REG_MEM, 6));  // bad FUNCTION 7
  for (uint32_t v : {7u | 1u << 4, 0x40u, 0u, 0u, 0xFFFFFFFFu, 1u}) bad.push_back(v);
  EXPECT_NE(err(bad).find("function=7"), std::string::npos);
}

TEST(QcomPackets, DisassemblyText) {
  std::array<uint32_t, 64> buf{};
  Pm4Writer w(buf);
  w.pkt7(CpSetMarker{});
  w.pkt4(a6xx::SP_CS_CONFIG, {0x100 | 2u << 22});
  w.pkt7(CpExecCs{.ngroups_x = 4, .ngroups_y = 1, .ngroups_z = 1});
  w.pkt4(0x1234, {7});
  ASSERT_TRUE(w.ok());
  core::Result<std::string> d = disassemble(w.written());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d,
            "0x0000: CP_SET_MARKER{mode=RM6_COMPUTE}\n"
            "0x0002: REG SP_CS_CONFIG (0xa9bb) = 0x00800100 {enabled=1, ntex=0, nsamp=0, nuav=2}\n"
            "0x0004: CP_EXEC_CS{ngroups_x=4, ngroups_y=1, ngroups_z=1}\n"
            "0x0009: REG 0x1234 = 0x00000007\n");
}

// The §3.2 sequence for a known input, word by word (A630: no LPAC copies).
TEST(QcomDispatch, A630SequenceWordByWord) {
  a6xx::DispatchParams p;
  p.shader_iova = 0x1'0000'0080;
  p.instrlen = 3;
  p.prg_offset = 0x10;
  p.full_regs = 4;
  p.half_regs = 2;
  p.branchstack = 1;
  p.consts_iova = 0x2000;
  p.pvt_mem_iova = 0x8'0000;
  p.pvt_mem_per_item = 100;  // -> 512 B per item
  p.hw_stack_offset = a6xx::tg_hw_stack_offset(100);
  p.shared_bytes = 2048;
  p.local_size = {8, 4, 2};
  p.groups = {3, 2, 1};
  p.uav_iova = 0x3000;
  p.uav_count = 2;
  std::array<uint32_t, 256> buf{};
  const core::EncodeResult r = a6xx::encode_dispatch(buf, p, a6xx::kA630);
  ASSERT_TRUE(r.ok()) << core::to_error(r).message();
  EXPECT_EQ(r.dwords, a6xx::dispatch_dwords(p, a6xx::kA630));
  const std::vector<uint32_t> got(buf.begin(), buf.begin() + r.dwords);
  const uint32_t ndr0 = 3u | (8u - 1) << 2 | (4u - 1) << 12 | (2u - 1) << 22;
  const uint32_t cntl0 = 2u << 1 | 4u << 7 | 1u << 14;  // THREAD64
  const uint32_t cntl1 = 1u | 2u << 5;                   // (2048-1)/1024 = 1, CONSTLEN_256
  const uint32_t stack = 512 * 128 * 16;                 // round_up(next_pow2(512)*2048, 4096)
  std::vector<uint32_t> want = {
      0x70E50001u, 8,                                     // 1. CP_SET_MARKER RM6_COMPUTE
      pkt4_header(0xBB08, 1), 0x60, pkt4_header(0xBB08, 1), 0,  // 2.
      pkt4_header(0xA9BA, 1), 0x80, pkt4_header(0xAA00, 1), 0x40,  // 3.
      pkt4_header(0xAB00, 1), 0x2,                        // 4. ISAMMODE_CL
      pkt4_header(0xAE0F, 1), 0x20, pkt4_header(0xB309, 1), 0x1, pkt4_header(0xB600, 1), 0,
      0x70268000u,                                        // 5. CP_WAIT_FOR_IDLE
      0x40B9908Cu, ndr0, 24, 0, 8, 0, 2, 0, 0x00CCC0CF, 0xFC, 3, 2, 1,  // 6.
      0x40A9B08Au, cntl0, cntl1, 0, 0x10, 0x80, 0x1, 1, 0x8'0000, 0, 256,  // 7.
      0x70348003u, 0x40364000u, 0x2000, 0,                 // 9. constants
      0x70348003u, 0x00360000u | 3u << 22, 0x80, 0x1,      // 10. shader
      0x48B98385u, 0xFCFCFCFC, 0xFCFCFCFC, 0xFCFCFCFC, 0xFC, 0x100,  // 11.
      pkt4_header(0xA9BD, 1), stack, pkt4_header(0xA9BC, 1), 3,   // 12.
      0x70348003u, 0x0036C000u | 2u << 22, 0x3000, 0,      // 15. UAVs
      pkt4_header(0xA9F2, 2), 0x3000, 0,
      pkt4_header(0xA9BB, 1), 0x100u | 2u << 22,           // 16.
      0x70B30004u, 0, 3, 2, 1,                             // 17. CP_EXEC_CS
  };
  EXPECT_EQ(got, want);
  // The stream decodes cleanly.
  EXPECT_TRUE(disassemble(got).ok()) << disassemble(got).error().message();
}

TEST(QcomDispatch, A660WritesTheLpacCopiesAndRunOpencl) {
  a6xx::DispatchParams p;
  p.shader_iova = 0x10000;
  p.instrlen = 1;
  p.launch = a6xx::Launch::kRunOpencl;
  p.sampler_count = 1;
  p.sampler_iova = 0x5000;
  p.border_color_iova = 0x6000;
  std::array<uint32_t, 256> buf{};
  const core::EncodeResult r = a6xx::encode_dispatch(buf, p, a6xx::kA660);
  ASSERT_TRUE(r.ok()) << core::to_error(r).message();
  const std::span<const uint32_t> s(buf.data(), r.dwords);
  core::Result<std::string> d = disassemble(s);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_NE(d->find("REG SP_CS_WIE_CNTL_0 (0xa9c2) = 0x00ccc0cf"), std::string::npos) << *d;
  EXPECT_NE(d->find("REG HLSQ_CS_CTRL_REG1 (0xb9d0)"), std::string::npos);
  EXPECT_NE(d->find("REG TPL1_CS_BORDER_COLOR_BASE (0xb180) = 0x00006000"), std::string::npos);
  EXPECT_NE(d->find("CP_RUN_OPENCL{}"), std::string::npos);
  EXPECT_EQ(s.back(), 0u);  // CP_RUN_OPENCL's one zero dword
}

TEST(QcomDispatch, RefusesBadInputs) {
  std::array<uint32_t, 256> buf{};
  a6xx::DispatchParams ok;
  ok.shader_iova = 0x10000;
  ok.instrlen = 1;
  ASSERT_TRUE(a6xx::encode_dispatch(buf, ok, a6xx::kA630).ok());
  auto fails = [&](a6xx::DispatchParams p, const a6xx::ChipInfo& c, const char* what) {
    const core::EncodeResult r = a6xx::encode_dispatch(buf, p, c);
    EXPECT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.dwords, 0u);
    if (!r.ok()) {
      EXPECT_NE(core::to_error(r).message().find(what), std::string::npos)
          << core::to_error(r).message();
    }
  };
  fails(ok, a6xx::kA730, "a7xx");
  a6xx::DispatchParams p = ok;
  p.shader_iova = 0x10040;
  fails(p, a6xx::kA630, "128-byte");
  p = ok;
  p.local_size = {1025, 1, 1};
  fails(p, a6xx::kA630, "1..1024");
  p = ok;
  p.full_regs = 64;  // does not fit FULLREGFOOTPRINT (6 bits)
  p.local_size = {1, 1, 1};
  fails(p, a6xx::kA630, "fullregfootprint");
  p = ok;
  p.full_regs = 48;
  p.local_size = {256, 1, 1};  // 12288 / (48*128) = 2 -> 256 threads max
  ASSERT_TRUE(a6xx::encode_dispatch(buf, p, a6xx::kA630).ok());
  p.local_size = {384, 1, 1};
  fails(p, a6xx::kA630, "register footprint");
  p = ok;
  p.groups = {0, 1, 1};
  fails(p, a6xx::kA630, "work-group");
  p = ok;
  p.uav_count = 128;  // NUAV is 7 bits
  p.uav_iova = 0x1000;
  fails(p, a6xx::kA630, "nuav");
}

TEST(QcomDispatch, ChipsAndHelpers) {
  EXPECT_STREQ(a6xx::chip_from_id(0x06030001)->name, "A630");
  EXPECT_STREQ(a6xx::chip_from_id(0x06060000)->name, "A660");
  EXPECT_TRUE(a6xx::chip_from_id(0x06030500)->has_lpac);
  EXPECT_EQ(a6xx::chip_from_id(0x07030001)->gen, AdrenoGen::kA7xx);
  EXPECT_FALSE(a6xx::chip_from_id(0x43050A01).has_value());
  EXPECT_EQ(a6xx::shared_size_field(0), 1u);
  EXPECT_EQ(a6xx::shared_size_field(4096), 3u);
  EXPECT_EQ(a6xx::pvt_mem_per_sp(100, a6xx::kA630) >> 12, 256u);  // tinygrad's ceil(p/512)*256
  EXPECT_EQ(a6xx::max_threads(4, 2, a6xx::kA630), 1024u);
  EXPECT_EQ(a6xx::max_threads(48, 0, a6xx::kA630), 256u);
  EXPECT_STREQ(a6xx::find_register(0xB990, AdrenoGen::kA6xx)->old_name, "HLSQ_CS_NDRANGE_0");
  EXPECT_STREQ(a6xx::find_register(0xA9D4, AdrenoGen::kA7xx)->name, "SP_CS_NDRANGE_0");
  EXPECT_EQ(a6xx::find_register(0xB990, AdrenoGen::kA7xx), nullptr);
}

}  // namespace
}  // namespace rawgpu::qcom
