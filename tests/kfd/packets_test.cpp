// Tests of kfd/packets: exact dwords worked out by hand from shared/abi/amd-kfd.md §6, round
// trips of every packet on every generation whose layout differs, rejection of malformed
// packets, disassembly text, and the allocation-free encode path.
#include "kfd/packets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <vector>

// ---- allocation counter: the encode path must not allocate ----
// Replaces the global operator new/delete of this test binary; they forward to malloc/free and
// count only while g_count_allocations is set on this thread. Not under AddressSanitizer: its
// runtime interposes every new/delete variant, and replacing only some of them would pair its
// allocations with our free() (and replacing all would hide its new/delete mismatch checks from
// the other tests in this binary).
#if defined(__SANITIZE_ADDRESS__)
#define RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS
#define RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS 1
#endif

namespace {
thread_local bool g_count_allocations = false;
std::atomic<int> g_allocations{0};
constexpr bool kCountsAllocations = RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS != 0;
}  // namespace

#if RAWGPU_PACKETS_TEST_COUNTS_ALLOCATIONS
// noinline: GCC would otherwise inline the pair into callers and flag new + free as mismatched.
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (g_count_allocations) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

using namespace rawgpu::kfd;  // NOLINT
using rawgpu::core::EncodeFail;
using rawgpu::core::EncodeResult;
using rawgpu::core::Error;
using rawgpu::core::Result;

constexpr GfxGen kGfxGens[] = {GfxGen::kGfx9, GfxGen::kGfx10, GfxGen::kGfx11, GfxGen::kGfx12};
constexpr SdmaGen kSdmaGens[] = {SdmaGen::kSdma4, SdmaGen::kSdma5, SdmaGen::kSdma6};

PacketFormat pm4(GfxGen g) { return {Engine::kPm4, g, default_sdma_gen(g)}; }
PacketFormat sdma(SdmaGen g) { return {Engine::kSdma, GfxGen::kGfx11, g}; }
constexpr PacketFormat kAql{Engine::kAql};

std::string why(const EncodeResult& r) { return r.ok() ? "" : to_error(r).message(); }

// The tests call the encoders through this out-of-line wrapper: one instantiation per packet type
// instead of a whole packet inlined at every call site, which keeps this file quick to compile.
template <class P, class G>
[[gnu::noinline]] EncodeResult try_encode(std::span<uint32_t> out, const P& p, G gen) {
  return encode(out, p, gen);
}

template <class P, class G>
std::vector<uint32_t> enc(const P& p, G gen) {
  std::vector<uint32_t> out(64, 0xCDCDCDCD);
  EncodeResult r = try_encode(out, p, gen);
  EXPECT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(r.dwords, packet_dwords(p, gen));
  out.resize(r.dwords);
  return out;
}

AqlPacket enc_aql(const auto& p) {
  AqlPacket pkt{};
  EncodeResult r = build_aql(pkt, p);
  EXPECT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(r.dwords, kAqlPacketDwords);
  return pkt;
}

// Encodes, decodes with `fmt`, and hands the struct read back to `check` (spans inside it point
// into the encoded buffer, alive during the call).
template <class P, class G, class F>
void round_trip(const P& p, G gen, const PacketFormat& fmt, F&& check) {
  std::vector<uint32_t> buf(64, 0);
  EncodeResult r = try_encode(buf, p, gen);
  ASSERT_TRUE(r.ok()) << why(r);
  buf.resize(r.dwords);
  Result<DecodedPacket> d = decode(buf, 0, fmt);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->dwords(), r.dwords);
  EXPECT_EQ(d->id, detail::PacketTraits<P>::kId);
  std::optional<P> back = d->template as<P>();
  ASSERT_TRUE(back.has_value());
  check(*back);
}

template <class P, class G>
void round_trip_eq(const P& p, G gen, const PacketFormat& fmt) {
  round_trip(p, gen, fmt, [&](const P& back) { EXPECT_TRUE(back == p); });
}

template <class P>
void aql_round_trip(const P& p) {
  AqlPacket pkt = enc_aql(p);
  Result<DecodedPacket> d = decode_aql(pkt, 0);
  ASSERT_TRUE(d.ok()) << d.error().message();
  std::optional<P> back = d->template as<P>();
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(*back == p);
}

bool same(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

// The error of decoding `buf` at `offset`; fails the test when it decodes.
Error decode_error(std::span<const uint32_t> buf, uint32_t offset, const PacketFormat& fmt) {
  Result<DecodedPacket> d = decode(buf, offset, fmt);
  EXPECT_FALSE(d.ok()) << "decoded as " << d->text();
  return d.ok() ? Error() : d.error();
}

// ---------------------------------------------------------------------------------------------
// Generations

TEST(KfdPackets, GenerationsFromTargetVersion) {
  EXPECT_EQ(*gfx_gen_of(90010), GfxGen::kGfx9);  // gfx90a
  EXPECT_EQ(*gfx_gen_of(90402), GfxGen::kGfx9);  // gfx942
  EXPECT_EQ(*gfx_gen_of(90500), GfxGen::kGfx9);  // gfx950
  EXPECT_EQ(*gfx_gen_of(100300), GfxGen::kGfx10);
  EXPECT_EQ(*gfx_gen_of(110501), GfxGen::kGfx11);
  EXPECT_EQ(*gfx_gen_of(120001), GfxGen::kGfx12);
  Result<GfxGen> old = gfx_gen_of(80002);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().op(), "gfx_target_version 80002");
  EXPECT_FALSE(gfx_gen_of(130000).ok());
  EXPECT_EQ(*sdma_gen_of_ip(4), SdmaGen::kSdma4);
  EXPECT_EQ(*sdma_gen_of_ip(5), SdmaGen::kSdma5);
  EXPECT_EQ(*sdma_gen_of_ip(7), SdmaGen::kSdma6);
  EXPECT_FALSE(sdma_gen_of_ip(3).ok());
  EXPECT_EQ(default_sdma_gen(GfxGen::kGfx9), SdmaGen::kSdma4);
  EXPECT_EQ(default_sdma_gen(GfxGen::kGfx12), SdmaGen::kSdma6);
}

// Every description is well formed on every generation: fields inside the fixed part, no two
// fields share a bit, names unique.
TEST(KfdPackets, EveryLayoutIsWellFormed) {
  for (int i = 0; i <= static_cast<int>(PacketId::kAqlBarrierValue); ++i) {
    const auto id = static_cast<PacketId>(i);
    for (GfxGen g : kGfxGens) {
      for (SdmaGen s : kSdmaGens) {
        const rawgpu::core::PacketLayout& l = packet_layout(id, g, s);
        SCOPED_TRACE(std::string(l.name) + " " + gfx_gen_name(g) + " " + sdma_gen_name(s));
        ASSERT_GT(l.fields.size(), 0u);
        for (size_t a = 0; a < l.fields.size(); ++a) {
          const rawgpu::core::BitField& f = l.fields[a];
          EXPECT_TRUE(rawgpu::core::field_well_formed(f)) << f.name;
          EXPECT_LE(rawgpu::core::field_end_dword(f), l.fixed_dwords) << f.name;
          for (size_t b = a + 1; b < l.fields.size(); ++b) {
            const rawgpu::core::BitField& o = l.fields[b];
            EXPECT_STRNE(f.name, o.name);
            for (uint32_t dw = 0; dw < l.fixed_dwords; ++dw) {
              EXPECT_EQ(rawgpu::core::covered_bits(std::span(&f, 1), dw) &
                            rawgpu::core::covered_bits(std::span(&o, 1), dw),
                        0u)
                  << f.name << " overlaps " << o.name << " in dword " << dw;
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(packet_engine(PacketId::kPm4ReleaseMem), Engine::kPm4);
  EXPECT_EQ(packet_engine(PacketId::kSdmaFence), Engine::kSdma);
  EXPECT_EQ(packet_engine(PacketId::kAqlInvalid), Engine::kAql);
}

// ---------------------------------------------------------------------------------------------
// Exact dwords, worked out by hand from the fact sheet

TEST(KfdPackets, SetShRegHeaderCountsValues) {
  // (3 << 30) | (count << 16) | (0x76 << 8), count = dwords after the header - 1 = values.
  const uint32_t v1[1] = {7};
  const uint32_t v2[2] = {0x12345678, 0x9ABC};
  const uint32_t v16[16] = {};
  EXPECT_EQ(enc(Pm4SetShReg{.reg = regCOMPUTE_PGM_RSRC1, .values = v1}, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0017600, 0x212, 7}));
  EXPECT_EQ(enc(Pm4SetShReg{.reg = regCOMPUTE_PGM_LO, .values = v2}, GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0027600, 0x20C, 0x12345678, 0x9ABC}));
  EXPECT_EQ(enc(Pm4SetShReg{.reg = regCOMPUTE_USER_DATA_0, .values = v16}, GfxGen::kGfx12)[0],
            0xC0107600u);
  EXPECT_EQ(enc(Pm4SetUconfigReg{.reg = regGRBM_GFX_INDEX, .values = v1}, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0017900, 0x200, 7}));
}

TEST(KfdPackets, ReleaseMemSignalAsTinygradWritesIt) {
  // gfx10+: EVENT_TYPE 0x14 | EVENT_INDEX 5 << 8 | GLM_WB 12 | GLM_INV 13 | GLV_INV 14 |
  // GL1_INV 15 | GL2_INV 20 | GL2_WB 21 | SEQ 22 = 0x0070F514; DATA_SEL 1 << 29.
  const Pm4ReleaseMem signal11{.gcr = {.glm_wb = true,
                                       .glm_inv = true,
                                       .glv_inv = true,
                                       .gl1_inv = true,
                                       .gl2_inv = true,
                                       .gl2_wb = true,
                                       .seq = true},
                               .data_sel = DataSel::kSend32BitLow,
                               .addr = 0x7F12'3456'7890,
                               .data = 42};
  EXPECT_EQ(
      enc(signal11, GfxGen::kGfx11),
      (std::vector<uint32_t>{0xC0064900, 0x0070F514, 0x20000000, 0x34567890, 0x7F12, 42, 0, 0}));
  // gfx9: EOP_TC_WB 15 | EOP_TC_NC 19.
  const Pm4ReleaseMem signal9{.gfx9_cache = {.tc_wb = true, .tc_nc = true},
                              .data_sel = DataSel::kSend32BitLow,
                              .addr = 0x1000,
                              .data = 1};
  EXPECT_EQ(enc(signal9, GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0064900, 0x00088514, 0x20000000, 0x1000, 0, 1, 0, 0}));
  // Timeline mailbox write with interrupt: INT_SEL 2 << 24, ctxid = event id.
  const Pm4ReleaseMem mailbox{.int_sel = IntSel::kSendInterruptAfterWriteConfirm,
                              .data_sel = DataSel::kSend32BitLow,
                              .addr = 0x2000,
                              .data = 12,
                              .int_ctxid = 12};
  EXPECT_EQ(enc(mailbox, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0064900, 0x514, 0x22000000, 0x2000, 0, 12, 0, 12}));
  // Timestamp: DATA_SEL 3 (GPU clock counter) to signal + 8.
  EXPECT_EQ(enc(Pm4ReleaseMem{.data_sel = DataSel::kSendGpuClockCounter, .addr = 0x2008},
                GfxGen::kGfx12)[2],
            0x60000000u);
}

TEST(KfdPackets, WaitRegMemMemoryAndHdpFlushForms) {
  // FUNCTION GEQ 5 | MEM_SPACE 1 << 4 = 0x15.
  EXPECT_EQ(enc(Pm4WaitRegMem{.addr = 0x1'0000'1000, .reference = 9}, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0053C00, 0x15, 0x1000, 0x1, 9, 0xFFFFFFFF, 4}));
  // tinygrad memory_barrier: GEQ | OPERATION 1 << 6 = 0x45, REQ 0xE26, DONE 0xE27.
  EXPECT_EQ(enc(Pm4WaitRegMemReg{.operation = WaitRegMemOperation::kWriteWait,
                                 .reg1 = 0xE26,
                                 .reg2 = 0xE27,
                                 .reference = 0xFFFFFFFF},
                GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0053C00, 0x45, 0xE26, 0xE27, 0xFFFFFFFF, 0xFFFFFFFF, 4}));
}

TEST(KfdPackets, AcquireMemFormsPerGeneration) {
  // gfx10+: GCR_CNTL GLI_INV 1 | GLM_WB 4 | GLM_INV 5 | GLK_WB 6 | GLK_INV 7 | GLV_INV 8 |
  // GL1_INV 9 | GL2_INV 14 | GL2_WB 15 = 0xC3F1 (tinygrad's full barrier).
  const GcrCntl all{.gli_inv = 1,
                    .glm_wb = true,
                    .glm_inv = true,
                    .glk_wb = true,
                    .glk_inv = true,
                    .glv_inv = true,
                    .gl1_inv = true,
                    .gl2_inv = true,
                    .gl2_wb = true};
  EXPECT_EQ(enc(Pm4AcquireMem{.gcr_cntl = all}, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0065800, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 0, 0xC3F1}));
  GcrCntl exec = all;  // tinygrad exec(): without GLI and GL2
  exec.gli_inv = 0;
  exec.gl2_inv = exec.gl2_wb = false;
  EXPECT_EQ(enc(Pm4AcquireMem{.gcr_cntl = exec}, GfxGen::kGfx10).back(), 0x3F0u);
  // gfx9: CP_COHER_CNTL SH_ICACHE 29 | SH_KCACHE 27 | TC 23 | TCL1 22 | TC_WB 18 = 0x28C40000,
  // poll 0x0A, one dword shorter.
  EXPECT_EQ(enc(Pm4AcquireMem{.poll_interval = 0x0A,
                              .coher_cntl = {.tc_wb = true,
                                             .tcl1 = true,
                                             .tc = true,
                                             .sh_kcache = true,
                                             .sh_icache = true}},
                GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0055800, 0x28C40000, 0xFFFFFFFF, 0xFFFFFFFF, 0, 0, 0x0A}));
}

TEST(KfdPackets, DispatchEventIbAndPredExec) {
  // DISPATCH_INITIATOR: COMPUTE_SHADER_EN 0 | FORCE_START_AT_000 2 | CS_W32_EN 15.
  EXPECT_EQ(
      enc(Pm4DispatchDirect{.dim_x = 4, .dim_y = 2, .dim_z = 1, .initiator = {.cs_w32_en = true}},
          GfxGen::kGfx11),
      (std::vector<uint32_t>{0xC0031500, 4, 2, 1, 0x8005}));
  EXPECT_EQ(enc(Pm4DispatchDirect{.dim_x = 8}, GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0031500, 8, 1, 1, 0x5}));
  // EVENT_WRITE CS_PARTIAL_FLUSH (7) | EVENT_INDEX 4 << 8.
  EXPECT_EQ(enc(Pm4EventWrite{}, GfxGen::kGfx11), (std::vector<uint32_t>{0xC0004600, 0x407}));
  // INDIRECT_BUFFER: size | VALID (1 << 23).
  EXPECT_EQ(enc(Pm4IndirectBuffer{.ib_base = 0x8'0000'1000, .ib_size = 10}, GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0023F00, 0x1000, 0x8, 0x0080000A}));
  // PRED_EXEC: (xcc_mask << 24) | dwords.
  EXPECT_EQ(enc(Pm4PredExec{.exec_count = 8, .device_select = 1}, GfxGen::kGfx9),
            (std::vector<uint32_t>{0xC0002300, 0x01000008}));
  const uint32_t payload[3] = {0, 0, 0};
  EXPECT_EQ(enc(Pm4Nop{.payload = payload}, GfxGen::kGfx11)[0], 0xC0021000u);
  const uint32_t data[2] = {5, 6};
  EXPECT_EQ(enc(Pm4WriteData{.wr_confirm = true, .dst_addr = 0x3000, .data = data}, GfxGen::kGfx11),
            (std::vector<uint32_t>{0xC0043700, 0x00100500, 0x3000, 0, 5, 6}));
}

TEST(KfdPackets, AqlDispatchAndVendorPackets) {
  // header 0x1500 | KERNEL_DISPATCH (barrier, system acquire, system release), setup dims 3.
  AqlPacket d = enc_aql(AqlKernelDispatch{.workgroup_size_x = 64,
                                          .workgroup_size_y = 2,
                                          .workgroup_size_z = 1,
                                          .grid_size_x = 4096,
                                          .grid_size_y = 2,
                                          .grid_size_z = 1,
                                          .private_segment_size = 16,
                                          .group_segment_size = 512,
                                          .kernel_object = 0x7F00'0000'1000,
                                          .kernarg_address = 0x7F00'0000'2000,
                                          .completion_signal = 0x7F00'0000'3000});
  EXPECT_EQ(d, (AqlPacket{0x00031502, 0x00020040, 1, 4096, 2, 1, 16, 512, 0x1000, 0x7F00, 0x2000,
                          0x7F00, 0, 0, 0x3000, 0x7F00}));
  AqlPacket b = enc_aql(AqlBarrierAnd{.dep_signal = {0x100, 0, 0, 0, 0x500}});
  EXPECT_EQ(b[0], 0x1503u);
  EXPECT_EQ(b[2], 0x100u);
  EXPECT_EQ(b[10], 0x500u);
  // tinygrad's PM4-on-AQL packet: VENDOR (0) | AmdFormat 1 << 16, INDIRECT_BUFFER, 10.
  AqlPacket ib = enc_aql(AqlPm4Ib{.ib_base = 0x1'2345'6788, .ib_size = 20});
  EXPECT_EQ(ib, (AqlPacket{0x00011500, 0xC0023F00, 0x23456788, 0x1, 0x00800014, 10, 0, 0, 0, 0, 0,
                           0, 0, 0, 0, 0}));
  AqlPacket bv = enc_aql(AqlBarrierValue{.header = {.barrier = false,
                                                    .acquire_fence_scope = FenceScope::kAgent,
                                                    .release_fence_scope = FenceScope::kNone},
                                         .signal = 0x40,
                                         .value = 1,
                                         .cond = BarrierValueCond::kGreaterEqual});
  EXPECT_EQ(bv[0], 0x00020200u);
  EXPECT_EQ(bv[8], 3u);
  EXPECT_EQ(bv[6], 0xFFFFFFFFu);
}

TEST(KfdPackets, SdmaPacketsAsTinygradWritesThem) {
  // COPY_LINEAR: op 1, COUNT = bytes - 1, PARAMETER 0, src, dst.
  EXPECT_EQ(
      enc(SdmaCopyLinear{.src = 0x1'0000'2000, .dst = 0x3000, .bytes = 4096}, SdmaGen::kSdma6),
      (std::vector<uint32_t>{0x1, 4095, 0, 0x2000, 0x1, 0x3000, 0}));
  // FENCE with MTYPE 3 (UC) on gfx10+; nothing on gfx9.
  EXPECT_EQ(enc(SdmaFence{.addr = 0x4000, .data = 7, .mtype = 3}, SdmaGen::kSdma5),
            (std::vector<uint32_t>{0x00030005, 0x4000, 0, 7}));
  EXPECT_EQ(enc(SdmaFence{.addr = 0x4000, .data = 7}, SdmaGen::kSdma4),
            (std::vector<uint32_t>{0x5, 0x4000, 0, 7}));
  EXPECT_EQ(enc(SdmaTrap{.int_context = 12}, SdmaGen::kSdma6), (std::vector<uint32_t>{6, 12}));
  // POLL_REGMEM: FUNC GEQ 5 << 28 | MEM_POLL 1 << 31; DW5 interval 4 | retry 0xFFF << 16.
  EXPECT_EQ(enc(SdmaPollRegmem{.addr = 0x5000, .reference = 3}, SdmaGen::kSdma6),
            (std::vector<uint32_t>{0xD0000008, 0x5000, 0, 3, 0xFFFFFFFF, 0x0FFF0004}));
  // TIMESTAMP GET_GLOBAL: op 13 | sub_op 2 << 8.
  EXPECT_EQ(enc(SdmaTimestamp{.addr = 0x6008}, SdmaGen::kSdma4),
            (std::vector<uint32_t>{0x20D, 0x6008, 0}));
  // WRITE_UNTILED one dword: DW3 = N - 1 = 0.
  const uint32_t one[1] = {0xABCD};
  EXPECT_EQ(enc(SdmaWriteUntiled{.dst = 0x7000, .data = one}, SdmaGen::kSdma6),
            (std::vector<uint32_t>{0x2, 0x7000, 0, 0, 0xABCD}));
  // NOP: the 1-dword NOP is 0; COUNT[29:16] = payload dwords.
  EXPECT_EQ(enc(SdmaNop{}, SdmaGen::kSdma6), (std::vector<uint32_t>{0}));
  const uint32_t two[2] = {0, 0};
  EXPECT_EQ(enc(SdmaNop{.payload = two}, SdmaGen::kSdma6), (std::vector<uint32_t>{0x20000, 0, 0}));
  // GCR_REQ: base_va[31:7] in dw1, base_va[47:32] | gcr[15:0] << 16 in dw2,
  // gcr[18:16] | limit_va[31:7] in dw3, limit_va[47:32] | vmid << 24 in dw4.
  EXPECT_EQ(enc(SdmaGcrReq{.base_va = 0x1234'5678'9A80,
                           .limit_va = 0x1234'5678'FF80,
                           .gcr_control = {.gl2_inv = true, .gl2_wb = true, .seq = 1},
                           .vmid = 3},
                SdmaGen::kSdma5),
            (std::vector<uint32_t>{0x11, 0x56789A80, 0xC0001234, 0x5678FF81, 0x03001234}));
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(KfdPackets, Pm4RoundTripsOnEveryGeneration) {
  const uint32_t values[4] = {1, 2, 3, 0xFFFFFFFF};
  for (GfxGen g : kGfxGens) {
    SCOPED_TRACE(gfx_gen_name(g));
    const bool gfx9 = g == GfxGen::kGfx9;
    round_trip(Pm4Nop{.payload = values}, g, pm4(g),
               [&](const Pm4Nop& b) { EXPECT_TRUE(same(b.payload, values)); });
    round_trip(Pm4SetShReg{.reg = regCOMPUTE_USER_DATA_0, .values = values}, g, pm4(g),
               [&](const Pm4SetShReg& b) {
                 EXPECT_EQ(b.reg, regCOMPUTE_USER_DATA_0);
                 EXPECT_TRUE(same(b.values, values));
               });
    round_trip(Pm4SetUconfigReg{.reg = 0xC3FF, .values = std::span(values, 1)}, g, pm4(g),
               [&](const Pm4SetUconfigReg& b) {
                 EXPECT_EQ(b.reg, 0xC3FFu);
                 EXPECT_TRUE(same(b.values, std::span(values, 1)));
               });
    round_trip_eq(Pm4DispatchDirect{.dim_x = 0xFFFFFFFF,
                                    .dim_y = 3,
                                    .dim_z = 2,
                                    .initiator = {.partial_tg_en = true,
                                                  .use_thread_dimensions = true,
                                                  .order_mode = true,
                                                  .cs_w32_en = !gfx9}},
                  g, pm4(g));
    Pm4AcquireMem acq{
        .coher_size = 0x1'2345'6789, .coher_base = 0x7F00'0000'0000, .poll_interval = 0xFFFF};
    if (gfx9) {
      acq.coher_cntl = {true, true, true, true, true, true, true,
                        true, true, true, true, true, true};
    } else {
      acq.gcr_cntl = {3, 2, true, true, true, true, true, true, true, 3, true, true, true, 2, true};
    }
    round_trip_eq(acq, g, pm4(g));
    Pm4ReleaseMem rm{.event_type = EventType::BOTTOM_OF_PIPE_TS,
                     .event_index = ReleaseMemEventIndex::kShaderDone,
                     .execute = true,
                     .int_sel = IntSel::kConditionallySendIntCtxid64,
                     .data_sel = DataSel::kSend64BitData,
                     .addr = 0xFFFF'FFFF'FFFF'FFF8,
                     .data = 0x1122'3344'5566'7788,
                     .int_ctxid = 0xFFFFFFFF};
    if (gfx9) {
      rm.gfx9_cache = {true, true, true, true, true, true, true};
    } else {
      rm.gcr = {true, true, true, true, true, 3, true, true, true, true};
      rm.cache_policy = 3;
      rm.dst_sel = DstSel::kQueueWritePointerPollMaskBit;
    }
    round_trip_eq(rm, g, pm4(g));
    round_trip_eq(Pm4WaitRegMem{.function = CompareFunc::kNotEqual,
                                .operation = WaitRegMemOperation::kWaitPreemptable,
                                .addr = 0xFFFF'FFFF'FFFF'FFFC,
                                .reference = 0x80000000,
                                .mask = 0xFF,
                                .poll_interval = 0xFFFF},
                  g, pm4(g));
    round_trip_eq(Pm4WaitRegMemReg{.function = CompareFunc::kAlways,
                                   .operation = WaitRegMemOperation::kWriteWait,
                                   .reg1 = 0xFFFFFFFF,
                                   .reg2 = 1,
                                   .reference = 2,
                                   .mask = 3,
                                   .poll_interval = 0},
                  g, pm4(g));
    round_trip(Pm4WriteData{.dst_sel = WriteDataDstSel::kTcL2,
                            .wr_one_addr = true,
                            .resume_vf = true,
                            .wr_confirm = true,
                            .cache_policy = 3,
                            .dst_addr = 0xFFFF'0000'0004,
                            .data = values},
               g, pm4(g), [&](const Pm4WriteData& b) {
                 EXPECT_EQ(b.dst_sel, WriteDataDstSel::kTcL2);
                 EXPECT_TRUE(b.wr_one_addr && b.resume_vf && b.wr_confirm);
                 EXPECT_EQ(b.cache_policy, 3);
                 EXPECT_EQ(b.dst_addr, 0xFFFF'0000'0004ull);
                 EXPECT_TRUE(same(b.data, values));
               });
    round_trip_eq(Pm4EventWrite{.event_type = static_cast<EventType>(0x3F), .event_index = 15}, g,
                  pm4(g));
    round_trip_eq(Pm4IndirectBuffer{.ib_base = 0xFFFF'FFFF'FFFF'FFFC,
                                    .ib_size = 0xFFFFF,
                                    .chain = true,
                                    .pre_enb = true,
                                    .valid = false,
                                    .cache_policy = 3,
                                    .pre_resume = true},
                  g, pm4(g));
    round_trip_eq(Pm4PredExec{.exec_count = 0x3FFF, .device_select = 0xFF}, g, pm4(g));
  }
}

TEST(KfdPackets, SdmaRoundTripsOnEveryGeneration) {
  const uint32_t data[3] = {7, 8, 0xFFFFFFFF};
  for (SdmaGen g : kSdmaGens) {
    SCOPED_TRACE(sdma_gen_name(g));
    const bool v5 = g != SdmaGen::kSdma4, v6 = g == SdmaGen::kSdma6;
    round_trip(SdmaNop{}, g, sdma(g), [](const SdmaNop& b) { EXPECT_TRUE(b.payload.empty()); });
    round_trip(SdmaNop{.payload = data}, g, sdma(g),
               [&](const SdmaNop& b) { EXPECT_TRUE(same(b.payload, data)); });
    round_trip_eq(SdmaCopyLinear{.src = 0xFFFF'FFFF'FFFF'FFFF,
                                 .dst = 1,
                                 .bytes = static_cast<uint32_t>(sdma_copy_max_bytes(g)),
                                 .encrypt = true,
                                 .tmz = true,
                                 .cpv = v6,
                                 .backwards = v5,
                                 .dst_sw = 3,
                                 .src_sw = 2,
                                 .dst_cache_policy = uint8_t(v6 ? 7 : 0),
                                 .src_cache_policy = uint8_t(v6 ? 5 : 0)},
                  g, sdma(g));
    round_trip(SdmaWriteUntiled{.dst = 0xFFFF'FFFF'FFFF'FFFC, .sw = 3, .data = data}, g, sdma(g),
               [&](const SdmaWriteUntiled& b) {
                 EXPECT_EQ(b.dst, 0xFFFF'FFFF'FFFF'FFFCull);
                 EXPECT_EQ(b.sw, 3);
                 EXPECT_TRUE(same(b.data, data));
               });
    SdmaFence fence{.addr = 0x1234'5678'9ABC, .data = 0xFFFFFFFF};
    if (v5) {
      fence.mtype = 7;
      fence.gcc = fence.sys = fence.snp = fence.gpa = true;
      fence.l2_policy = 3;
    }
    if (v6) fence.llc_policy = fence.cpv = true;
    round_trip_eq(fence, g, sdma(g));
    round_trip_eq(SdmaTrap{.int_context = 0x0FFFFFFF}, g, sdma(g));
    round_trip_eq(SdmaPollRegmem{.func = CompareFunc::kGreater,
                                 .addr = 0x8'0000'0010,
                                 .reference = 1,
                                 .mask = 2,
                                 .interval = 0xFFFF,
                                 .retry_count = 0},
                  g, sdma(g));
    // HDP-flush variant: register poll, the address dwords are kept raw.
    round_trip_eq(SdmaPollRegmem{.func = CompareFunc::kEqual,
                                 .mem_poll = false,
                                 .hdp_flush = true,
                                 .addr = 0x0000'3898'0000'389B},
                  g, sdma(g));
    round_trip_eq(SdmaTimestamp{.sub_op = SdmaTimestampOp::kGet, .addr = 0xFFFF'FFFF'FFFF'FFF8}, g,
                  sdma(g));
    round_trip_eq(SdmaTimestamp{.addr = 0x10}, g, sdma(g));
    if (v5) {
      round_trip_eq(SdmaGcrReq{.base_va = 0xFFFF'FFFF'FF80,
                               .limit_va = 0x80,
                               .gcr_control = {3, 2, true, true, true, true, true, true, true, 3,
                                               true, true, true, 3, true},
                               .vmid = 15},
                    g, sdma(g));
    }
  }
}

TEST(KfdPackets, AqlRoundTrips) {
  aql_round_trip(AqlKernelDispatch{.header = {.barrier = false,
                                              .acquire_fence_scope = FenceScope::kAgent,
                                              .release_fence_scope = FenceScope::kNone},
                                   .dimensions = 1,
                                   .workgroup_size_x = 0xFFFF,
                                   .workgroup_size_y = 0xFFFF,
                                   .workgroup_size_z = 0xFFFF,
                                   .grid_size_x = 0xFFFFFFFF,
                                   .grid_size_y = 5,
                                   .grid_size_z = 6,
                                   .private_segment_size = 7,
                                   .group_segment_size = 65536,
                                   .kernel_object = 0xFFFF'FFFF'FFFF'FFC0,
                                   .kernarg_address = 0x10,
                                   .completion_signal = 0x7F00'0000'0040});
  aql_round_trip(
      AqlBarrierAnd{.dep_signal = {1, 2, 3, 4, 0xFFFF'FFFF'FFFF'FFFF}, .completion_signal = 9});
  aql_round_trip(AqlBarrierOr{.header = {.acquire_fence_scope = FenceScope::kNone},
                              .dep_signal = {0, 0, 7, 0, 0}});
  aql_round_trip(
      AqlPm4Ib{.ib_base = 0xFFFF'FFFF'FFFF'FFFC, .ib_size = 0xFFFFF, .completion_signal = 64});
  aql_round_trip(AqlBarrierValue{.signal = 0x40,
                                 .value = 0xFFFF'FFFF'FFFF'FFFF,
                                 .mask = 0,
                                 .cond = BarrierValueCond::kNotEqual,
                                 .completion_signal = 3});
}

TEST(KfdPackets, DecoderPrintsTheStructMemberNames) {
  std::vector<uint32_t> buf =
      enc(Pm4ReleaseMem{.int_sel = IntSel::kSendInterruptOnly, .addr = 0x40, .int_ctxid = 5},
          GfxGen::kGfx11);
  Result<DecodedPacket> d = decode_pm4(buf, 0, GfxGen::kGfx11);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_STREQ(d->name(), "RELEASE_MEM");
  EXPECT_EQ(d->field("event_type"), 0x14u);
  EXPECT_EQ(d->field("int_sel"), 1u);
  EXPECT_EQ(d->field("addr"), 0x40u);
  EXPECT_EQ(d->field("int_ctxid"), 5u);
  EXPECT_EQ(d->field("count"), 6u) << "hidden header fields are readable";
  EXPECT_FALSE(d->field("no_such_field").has_value());
  EXPECT_FALSE(d->as<Pm4AcquireMem>().has_value()) << "another packet's struct";
  size_t named = 0;
  for (const rawgpu::core::FieldValue& fv : d->fields()) named += fv.field->name[0] != '\0';
  EXPECT_EQ(named, d->layout->fields.size());
  EXPECT_EQ(d->text(),
            "RELEASE_MEM{event_type=CACHE_FLUSH_AND_INV_TS_EVENT, event_index=END_OF_PIPE, "
            "int_sel=SEND_INTERRUPT_ONLY, data_sel=NONE, addr=0x40, data=0x0, int_ctxid=5}");
}

// A packet someone else wrote: the compute SHADER_TYPE and PREDICATE header bits are accepted and
// printed (the encoders leave them 0).
TEST(KfdPackets, DecoderAcceptsShaderTypeAndPredicateBits) {
  const std::vector<uint32_t> buf{0xC0004603, 0x407};  // EVENT_WRITE | SHADER_TYPE | PREDICATE
  Result<DecodedPacket> d = decode_pm4(buf, 0, GfxGen::kGfx9);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->text(),
            "EVENT_WRITE{predicate=1, shader_type=1, event_type=CS_PARTIAL_FLUSH, event_index=4}");
  EXPECT_EQ(d->as<Pm4EventWrite>()->event_type, EventType::CS_PARTIAL_FLUSH);
}

// ---------------------------------------------------------------------------------------------
// Encoder refusals

TEST(KfdPackets, EncoderRefusesAndWritesNothing) {
  std::array<uint32_t, 8> ring;
  ring.fill(0xCDCDCDCD);
  const std::array<uint32_t, 8> untouched = ring;
  // Too small a destination.
  EncodeResult r = try_encode(std::span(ring).first(7), Pm4ReleaseMem{}, GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kNoSpace);
  EXPECT_EQ(to_error(r).message(),
            "encode PM4 RELEASE_MEM: invalid input: needs 8 dwords, the destination has 7");
  // gfx10+ fields on gfx9 and the reverse.
  r = try_encode(ring, Pm4ReleaseMem{.gcr = {.gl2_inv = true}}, GfxGen::kGfx9);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  EXPECT_EQ(to_error(r).hint(), "gl2_inv=0x1 cannot be encoded: the field exists on gfx10+ only");
  r = try_encode(ring, Pm4ReleaseMem{.gfx9_cache = {.tc_wb = true}}, GfxGen::kGfx12);
  EXPECT_EQ(to_error(r).hint(), "tc_wb=0x1 cannot be encoded: the field exists on gfx9 only");
  r = try_encode(ring, Pm4DispatchDirect{.initiator = {.cs_w32_en = true}}, GfxGen::kGfx9);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  r = try_encode(ring, Pm4AcquireMem{.coher_cntl = {.tc = true}}, GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  r = try_encode(ring, Pm4ReleaseMem{.dst_sel = DstSel::kTcL2}, GfxGen::kGfx9);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  // Values that do not fit, misaligned addresses, broken rules.
  r = try_encode(ring, Pm4EventWrite{.event_type = static_cast<EventType>(0x40)}, GfxGen::kGfx11);
  EXPECT_EQ(to_error(r).hint(), "value 0x40 does not fit field event_type (dword 1 bits 5:0)");
  r = try_encode(ring, Pm4WaitRegMem{.addr = 0x1002}, GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kDoesNotFit);
  r = try_encode(ring, Pm4ReleaseMem{.data_sel = DataSel::kSend64BitData, .addr = 0x1004},
                 GfxGen::kGfx11);
  EXPECT_EQ(to_error(r).hint(), "addr=0x1004: 64-bit data needs an 8-byte aligned address");
  const uint32_t two[2] = {1, 2};
  r = try_encode(ring, Pm4SetShReg{.reg = 0x2FFF, .values = two}, GfxGen::kGfx11);
  EXPECT_EQ(to_error(r).hint(), "reg=0x2fff: the registers run past the SH window end 0x3000");
  r = try_encode(ring, Pm4SetShReg{.reg = 0x2BFF, .values = two}, GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kDoesNotFit) << "below the SH base";
  r = try_encode(ring, Pm4SetShReg{.reg = regCOMPUTE_PGM_LO}, GfxGen::kGfx11);
  EXPECT_EQ(to_error(r).hint(), "values=0x0: the packet needs at least one dword here");
  r = try_encode(ring, Pm4WaitRegMem{.operation = WaitRegMemOperation::kWriteWait}, GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kInvalid);
  r = try_encode(ring,
                 Pm4WriteData{.dst_sel = WriteDataDstSel::kMemory, .dst_addr = 2, .data = two},
                 GfxGen::kGfx11);
  EXPECT_EQ(r.fail, EncodeFail::kInvalid);
  EXPECT_EQ(ring, untouched);
  // AQL: a failed encode_aql leaves the slot as it was (INVALID).
  std::array<uint32_t, 16> slot{};
  invalidate_aql_slot(slot);
  r = encode_aql(slot, AqlKernelDispatch{.dimensions = 0});
  EXPECT_EQ(to_error(r).hint(), "dimensions=0x0: setup dimensions must be 1, 2 or 3");
  EXPECT_EQ(slot[0], kAqlInvalidSlotDword0);
  EXPECT_EQ(slot[1], 0u);
}

TEST(KfdPackets, SdmaCopiesAreSplitAndOversizedPacketsRefused) {
  std::array<uint32_t, 64> ring{};
  // One COPY_LINEAR holds 4 MiB on SDMA 4.x/5.x, 1 GiB on 6.x.
  EXPECT_TRUE(try_encode(ring, SdmaCopyLinear{.bytes = 4u << 20}, SdmaGen::kSdma5).ok());
  EncodeResult r = try_encode(ring, SdmaCopyLinear{.bytes = (4u << 20) + 1}, SdmaGen::kSdma5);
  EXPECT_EQ(r.fail, EncodeFail::kDoesNotFit);
  EXPECT_EQ(to_error(r).message(),
            "encode SDMA COPY_LINEAR: invalid input: value 0x400001 does not fit field bytes "
            "(dword 1 bits 21:0, stored as value - 0x1)");
  EXPECT_TRUE(try_encode(ring, SdmaCopyLinear{.bytes = (4u << 20) + 1}, SdmaGen::kSdma6).ok());
  EXPECT_FALSE(try_encode(ring, SdmaCopyLinear{.bytes = (1u << 30) + 1}, SdmaGen::kSdma6).ok());
  EXPECT_FALSE(try_encode(ring, SdmaCopyLinear{.bytes = 0}, SdmaGen::kSdma6).ok())
      << "COUNT = bytes-1";
  // The splitter: 10 MiB on SDMA 4.x is 4 + 4 + 2 MiB.
  const uint64_t ten = 10u << 20;
  EXPECT_EQ(sdma_copy_dwords(ten, SdmaGen::kSdma4), 21u);
  r = encode_sdma_copy(ring, 0x10'0000'0000, 0x20'0000'0000, ten, SdmaGen::kSdma4);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(r.dwords, 21u);
  uint64_t total = 0;
  for (uint32_t off = 0; off < r.dwords; off += 7) {
    Result<DecodedPacket> d = decode_sdma(std::span(ring).first(r.dwords), off, SdmaGen::kSdma4);
    ASSERT_TRUE(d.ok()) << d.error().message();
    const SdmaCopyLinear c = *d->as<SdmaCopyLinear>();
    EXPECT_EQ(c.src, 0x20'0000'0000 + total);
    EXPECT_EQ(c.dst, 0x10'0000'0000 + total);
    total += c.bytes;
  }
  EXPECT_EQ(total, ten);
  EXPECT_EQ(sdma_copy_dwords(ten, SdmaGen::kSdma6), 7u);
  EXPECT_EQ(encode_sdma_copy(ring, 0, 0, 0, SdmaGen::kSdma6).dwords, 0u);
  EXPECT_EQ(encode_sdma_copy(ring, 0, 0, 3 * 4096, SdmaGen::kSdma6, 4096).dwords, 21u);
  r = encode_sdma_copy(ring, 0, 0, 100, SdmaGen::kSdma5, 8u << 20);
  EXPECT_EQ(r.fail, EncodeFail::kInvalid) << "a chunk larger than the field";
  r = encode_sdma_copy(std::span(ring).first(20), 0, 0, ten, SdmaGen::kSdma4);
  EXPECT_EQ(r.fail, EncodeFail::kNoSpace);
  // GCR_REQ and version-gated header bits.
  r = try_encode(ring, SdmaGcrReq{}, SdmaGen::kSdma4);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  EXPECT_EQ(try_encode(ring, SdmaFence{.mtype = 3}, SdmaGen::kSdma4).fail,
            EncodeFail::kNotInGeneration);
  EXPECT_EQ(try_encode(ring, SdmaFence{.cpv = true}, SdmaGen::kSdma5).fail,
            EncodeFail::kNotInGeneration);
  EXPECT_EQ(try_encode(ring, SdmaCopyLinear{.bytes = 1, .backwards = true}, SdmaGen::kSdma4).fail,
            EncodeFail::kNotInGeneration);
  EXPECT_EQ(try_encode(ring, SdmaFence{.addr = 0x1001}, SdmaGen::kSdma6).fail,
            EncodeFail::kDoesNotFit);
  EXPECT_EQ(try_encode(ring, SdmaTimestamp{.addr = 0x1004}, SdmaGen::kSdma6).fail,
            EncodeFail::kDoesNotFit);
  EXPECT_EQ(try_encode(ring, SdmaPollRegmem{.addr = 0x1002}, SdmaGen::kSdma6).fail,
            EncodeFail::kInvalid);
  EXPECT_EQ(try_encode(ring, SdmaGcrReq{.base_va = 0x40}, SdmaGen::kSdma6).fail,
            EncodeFail::kDoesNotFit);
}

// ---------------------------------------------------------------------------------------------
// Decoder refusals: every error names the packet, its dword offset and the problem

TEST(KfdPackets, Pm4MalformedPacketsAreRejected) {
  // The fact sheet's example: count 300 at dword 12 of a 20-dword buffer.
  std::vector<uint32_t> buf(20, 0);
  buf[12] = 0xC12C4900;  // RELEASE_MEM, count 300
  Error e = decode_error(buf, 12, pm4(GfxGen::kGfx11));
  EXPECT_EQ(e.op(), "PM4 RELEASE_MEM at dword 12");
  EXPECT_EQ(e.hint(),
            "count 300 runs past the end of the buffer: the packet needs 302 dwords, 8 are left "
            "in the buffer (20 dwords)");
  // Truncated: a whole RELEASE_MEM with its last dword cut off.
  std::vector<uint32_t> rm = enc(Pm4ReleaseMem{}, GfxGen::kGfx11);
  e = decode_error(std::span(rm).first(7), 0, pm4(GfxGen::kGfx11));
  EXPECT_EQ(e.hint(),
            "count 6 runs past the end of the buffer: the packet needs 8 dwords, 7 are left in the "
            "buffer (7 dwords)");
  // Wrong count for a fixed-size packet.
  std::vector<uint32_t> short_rm = rm;
  short_rm[0] = 0xC0054900;
  e = decode_error(short_rm, 0, pm4(GfxGen::kGfx11));
  EXPECT_EQ(e.hint(),
            "count 5 does not match the packet: RELEASE_MEM on gfx11 has 8 dwords (count 6)");
  // The gfx10+ ACQUIRE_MEM form is one dword too long for gfx9.
  std::vector<uint32_t> acq = enc(Pm4AcquireMem{}, GfxGen::kGfx11);
  e = decode_error(acq, 0, pm4(GfxGen::kGfx9));
  EXPECT_EQ(e.op(), "PM4 ACQUIRE_MEM at dword 0");
  EXPECT_EQ(e.hint(),
            "count 6 does not match the packet: ACQUIRE_MEM on gfx9 has 7 dwords (count 5)");
  // Unknown opcode, a described-elsewhere opcode, other packet types.
  const std::vector<uint32_t> unknown{0xC000EE00, 0};
  e = decode_error(unknown, 0, pm4(GfxGen::kGfx11));
  EXPECT_EQ(e.op(), "PM4 packet at dword 0");
  EXPECT_EQ(e.hint(), "unknown opcode 0xee (header 0xc000ee00)");
  const std::vector<uint32_t> copy_data{0xC0044000, 0, 0, 0, 0, 0};
  EXPECT_EQ(decode_error(copy_data, 0, pm4(GfxGen::kGfx11)).hint(),
            "opcode 0x40 (COPY_DATA) is not described (header 0xc0044000)");
  const std::vector<uint32_t> type2{0x80000000};
  EXPECT_EQ(decode_error(type2, 0, pm4(GfxGen::kGfx11)).hint(),
            "type-2 packet (header 0x80000000); only type-3 packets are described");
  // Reserved bits: bit 7 of RELEASE_MEM dword 1; a gfx10+ GCR bit read as gfx9.
  std::vector<uint32_t> bad = rm;
  bad[1] |= 0x80;
  e = decode_error(bad, 0, pm4(GfxGen::kGfx11));
  EXPECT_EQ(e.op(), "PM4 RELEASE_MEM at dword 0");
  EXPECT_EQ(e.hint(), "reserved bits 0x00000080 of dword 1 are set (no field covers them)");
  std::vector<uint32_t> gcr = enc(Pm4ReleaseMem{.gcr = {.glv_inv = true}}, GfxGen::kGfx11);
  EXPECT_EQ(decode_error(gcr, 0, pm4(GfxGen::kGfx9)).hint(),
            "reserved bits 0x00004000 of dword 1 are set (no field covers them)");
  bad = enc(Pm4AcquireMem{}, GfxGen::kGfx11);
  bad[1] = 1;  // CP_COHER_CNTL must be 0 on gfx10+
  EXPECT_EQ(decode_error(bad, 0, pm4(GfxGen::kGfx11)).hint(),
            "reserved bits 0x00000001 of dword 1 are set (no field covers them)");
  // An enum value outside its table.
  bad = rm;
  bad[2] |= 7u << 29;
  EXPECT_EQ(decode_error(bad, 0, pm4(GfxGen::kGfx11)).hint(),
            "data_sel=7 is not a valid value (NONE, SEND_32_BIT_LOW, SEND_64_BIT_DATA, "
            "SEND_GPU_CLOCK_COUNTER, SEND_CP_PERFCOUNTER_HI_LO, STORE_GDS_DATA_TO_MEMORY)");
  // A rule between fields.
  bad = enc(Pm4ReleaseMem{.data_sel = DataSel::kSend32BitLow, .addr = 0x1004}, GfxGen::kGfx11);
  bad[2] = 2u << 29;  // now 64-bit data to a 4-byte aligned address
  EXPECT_EQ(decode_error(bad, 0, pm4(GfxGen::kGfx11)).hint(),
            "addr=0x1004: 64-bit data needs an 8-byte aligned address");
  // Too few dwords for a packet with a tail; registers past the SH window.
  const std::vector<uint32_t> empty_sh{0xC0007600, 0x20C};
  EXPECT_EQ(decode_error(empty_sh, 0, pm4(GfxGen::kGfx11)).hint(),
            "count 0 is too small: SET_SH_REG needs at least 3 dwords (count 1)");
  const std::vector<uint32_t> past_sh{0xC0017600, 0x400, 0};
  EXPECT_EQ(decode_error(past_sh, 0, pm4(GfxGen::kGfx11)).hint(),
            "reg=0x3000: the registers run past the SH window end 0x3000");
  // WAIT_REG_MEM: an undefined MEM_SPACE; write-then-wait in the memory form.
  std::vector<uint32_t> wrm = enc(Pm4WaitRegMem{}, GfxGen::kGfx11);
  wrm[1] = 0x25;
  EXPECT_EQ(decode_error(wrm, 0, pm4(GfxGen::kGfx11)).hint(),
            "mem_space=2 is not a valid value (REGISTER, MEMORY)");
  wrm[1] = 0x55;
  EXPECT_EQ(decode_error(wrm, 0, pm4(GfxGen::kGfx11)).hint(),
            "operation=0x1: WR_WAIT_WR_REG writes a register: use the register form");
  // Offsets are reported with the caller's base.
  Result<DecodedPacket> based = decode_pm4(type2, 0, GfxGen::kGfx11, 0x100);
  ASSERT_FALSE(based.ok());
  EXPECT_EQ(based.error().op(), "PM4 packet at dword 256");
  EXPECT_FALSE(decode_pm4(rm, 8, GfxGen::kGfx11).ok()) << "offset past the end";
}

TEST(KfdPackets, SdmaMalformedPacketsAreRejected) {
  const std::vector<uint32_t> unknown{99};
  Error e = decode_error(unknown, 0, sdma(SdmaGen::kSdma6));
  EXPECT_EQ(e.op(), "SDMA packet at dword 0");
  EXPECT_EQ(e.hint(), "unknown op 99 (header 0x00000063)");
  const std::vector<uint32_t> fill{11, 0, 0, 0, 0};
  e = decode_error(fill, 0, sdma(SdmaGen::kSdma6));
  EXPECT_EQ(e.op(), "SDMA CONST_FILL at dword 0");
  EXPECT_EQ(e.hint(), "op 11 (CONST_FILL) is not described (header 0x0000000b)");
  std::vector<uint32_t> copy = enc(SdmaCopyLinear{.bytes = 64}, SdmaGen::kSdma6);
  std::vector<uint32_t> buf{0, 0, 0};
  buf.insert(buf.end(), copy.begin(), copy.begin() + 5);
  e = decode_error(buf, 3, sdma(SdmaGen::kSdma6));
  EXPECT_EQ(e.op(), "SDMA COPY_LINEAR at dword 3");
  EXPECT_EQ(e.hint(), "truncated: the packet needs 7 dwords, 5 are left in the buffer (8 dwords)");
  std::vector<uint32_t> tiled = copy;
  tiled[0] |= 4u << 8;
  EXPECT_EQ(decode_error(tiled, 0, sdma(SdmaGen::kSdma6)).hint(),
            "sub_op 4 of op 1 is not described (only COPY_LINEAR, sub_op 0)");
  std::vector<uint32_t> broadcast = copy;
  broadcast[0] |= 1u << 27;
  EXPECT_EQ(decode_error(broadcast, 0, sdma(SdmaGen::kSdma6)).hint(),
            "reserved bits 0x08000000 of dword 0 are set (no field covers them)");
  // COUNT wider than SDMA 5.x's 22 bits.
  std::vector<uint32_t> big = copy;
  big[1] = 1u << 22;
  EXPECT_EQ(decode_error(big, 0, sdma(SdmaGen::kSdma5)).hint(),
            "reserved bits 0x00400000 of dword 1 are set (no field covers them)");
  EXPECT_TRUE(decode_sdma(big, 0, SdmaGen::kSdma6).ok());
  // GCR_REQ does not exist on SDMA 4.x; 6.x bits on 5.x.
  std::vector<uint32_t> gcr = enc(SdmaGcrReq{}, SdmaGen::kSdma6);
  e = decode_error(gcr, 0, sdma(SdmaGen::kSdma4));
  EXPECT_EQ(e.op(), "SDMA GCR_REQ at dword 0");
  EXPECT_EQ(e.hint(), "GCR_REQ does not exist on SDMA 4.x");
  std::vector<uint32_t> fence = enc(SdmaFence{.cpv = true}, SdmaGen::kSdma6);
  EXPECT_FALSE(decode_sdma(fence, 0, SdmaGen::kSdma5).ok());
  fence = enc(SdmaFence{.addr = 0x1000}, SdmaGen::kSdma6);
  fence[1] |= 2;
  EXPECT_EQ(decode_error(fence, 0, sdma(SdmaGen::kSdma6)).hint(),
            "reserved bits 0x00000002 of dword 1 are set (no field covers them)");
  // NOP and WRITE counts past the end; TIMESTAMP SET is not described.
  const std::vector<uint32_t> nop{0x00050000, 0, 0};
  EXPECT_EQ(decode_error(nop, 0, sdma(SdmaGen::kSdma6)).hint(),
            "count runs past the end of the buffer: the packet needs 6 dwords, 3 are left in the "
            "buffer (3 dwords)");
  const std::vector<uint32_t> write{2, 0x1000, 0, 4, 1, 2};
  EXPECT_EQ(decode_error(write, 0, sdma(SdmaGen::kSdma6)).op(), "SDMA WRITE_UNTILED at dword 0");
  const std::vector<uint32_t> ts_set{13, 0, 0};
  EXPECT_EQ(decode_error(ts_set, 0, sdma(SdmaGen::kSdma6)).hint(),
            "sub_op=0 is not a valid value (GET, GET_GLOBAL)");
}

TEST(KfdPackets, AqlMalformedPacketsAreRejected) {
  AqlPacket d = enc_aql(AqlKernelDispatch{});
  Error e = decode_error(std::span(d).first(15), 0, kAql);
  EXPECT_EQ(e.op(), "AQL packet at dword 0");
  EXPECT_EQ(e.hint(),
            "truncated: the packet needs 16 dwords, 15 are left in the buffer (15 dwords)");
  AqlPacket t = d;
  t[0] = (t[0] & ~0xFFu) | 7;
  EXPECT_EQ(decode_error(t, 0, kAql).hint(), "unknown packet type 7 (header 0x00031507)");
  t[0] = (t[0] & ~0xFFu) | HSA_PACKET_TYPE_AGENT_DISPATCH;
  EXPECT_EQ(decode_error(t, 0, kAql).op(), "AQL AGENT_DISPATCH at dword 0");
  t = d;
  t[2] |= 0x10000;  // reserved u16 after workgroup_size_z
  EXPECT_EQ(decode_error(t, 0, kAql).hint(),
            "reserved bits 0x00010000 of dword 2 are set (no field covers them)");
  t = d;
  t[0] &= ~(3u << 16);  // dimensions 0
  EXPECT_EQ(decode_error(t, 0, kAql).hint(), "dimensions=0x0: setup dimensions must be 1, 2 or 3");
  t = d;
  t[0] |= 3u << 9;  // acquire fence scope 3
  EXPECT_EQ(decode_error(t, 0, kAql).hint(),
            "acquire_fence_scope=3 is not a valid value (NONE, AGENT, SYSTEM)");
  AqlPacket ib = enc_aql(AqlPm4Ib{.ib_base = 0x1000, .ib_size = 4});
  ib[1] = 0xC0033F00;  // INDIRECT_BUFFER with the wrong count
  e = decode_error(ib, 0, kAql);
  EXPECT_EQ(e.op(), "AQL PM4_IB at dword 0");
  EXPECT_EQ(e.hint(), "ib_header=0xc0033f00 where PM4_IB has 0xc0023f00");
  ib = enc_aql(AqlPm4Ib{.ib_base = 0x1000, .ib_size = 4});
  ib[5] = 9;
  EXPECT_EQ(decode_error(ib, 0, kAql).hint(), "dw_cnt_remain=0x9 where PM4_IB has 0xa");
  ib[0] = (ib[0] & 0xFF00FFFF) | (3u << 16);
  EXPECT_EQ(decode_error(ib, 0, kAql).op(), "AQL VENDOR_SPECIFIC at dword 0");
  // An unpublished slot decodes as INVALID without reading the rest.
  AqlPacket slot{};
  slot.fill(0xDEADBEEF);
  slot[0] = kAqlInvalidSlotDword0;
  Result<DecodedPacket> inv = decode_aql(slot, 0);
  ASSERT_TRUE(inv.ok()) << inv.error().message();
  EXPECT_EQ(inv->id, PacketId::kAqlInvalid);
  EXPECT_EQ(inv->text(), "INVALID{}");
}

// ---------------------------------------------------------------------------------------------
// Disassembly

TEST(KfdPackets, DisassemblesAPm4DispatchStream) {
  std::vector<uint32_t> q(64, 0);
  uint32_t put = 0;
  auto add = [&](const auto& p) {
    EncodeResult r = try_encode(std::span(q).subspan(put), p, GfxGen::kGfx11);
    ASSERT_TRUE(r.ok()) << why(r);
    put += r.dwords;
  };
  const uint32_t pgm[2] = {0x7F0000, 0};
  add(Pm4AcquireMem{.gcr_cntl = {.glm_wb = true, .glm_inv = true, .glv_inv = true}});
  add(Pm4SetShReg{.reg = regCOMPUTE_PGM_LO, .values = pgm});
  add(Pm4DispatchDirect{.dim_x = 16, .initiator = {.cs_w32_en = true}});
  add(Pm4EventWrite{});
  add(Pm4ReleaseMem{
      .gcr = {.gl2_wb = true}, .data_sel = DataSel::kSend32BitLow, .addr = 0x1000, .data = 1});
  q.resize(put);
  EXPECT_EQ(disassemble(q, pm4(GfxGen::kGfx11), 0x10),
            "0x0010: PM4 ACQUIRE_MEM{coher_size=0xffffffffffffffff, coher_base=0x0, "
            "poll_interval=0, glm_wb=1, glm_inv=1, glv_inv=1}\n"
            "0x0018: PM4 SET_SH_REG{reg=COMPUTE_PGM_LO, values=[0x7f0000, 0x0]}\n"
            "0x001c: PM4 DISPATCH_DIRECT{dim_x=16, dim_y=1, dim_z=1, compute_shader_en=1, "
            "force_start_at_000=1, cs_w32_en=1}\n"
            "0x0021: PM4 EVENT_WRITE{event_type=CS_PARTIAL_FLUSH, event_index=4}\n"
            "0x0023: PM4 RELEASE_MEM{event_type=CACHE_FLUSH_AND_INV_TS_EVENT, "
            "event_index=END_OF_PIPE, gl2_wb=1, int_sel=NONE, data_sel=SEND_32_BIT_LOW, "
            "addr=0x1000, data=0x1}\n");
  // A malformed packet ends the walk with its error.
  q.push_back(0xC000EE00);
  const std::string text = disassemble(q, pm4(GfxGen::kGfx11));
  EXPECT_NE(text.find("0x0013: PM4 RELEASE_MEM{"), std::string::npos);
  EXPECT_EQ(text.substr(text.find("0x001b:")),
            "0x001b: error: PM4 packet at dword 27: invalid input: unknown opcode 0xee (header "
            "0xc000ee00)\n");
}

TEST(KfdPackets, DisassemblesSdmaAndAqlStreams) {
  std::vector<uint32_t> q(32, 0);
  uint32_t put = 0;
  auto add = [&](const auto& p) {
    EncodeResult r = try_encode(std::span(q).subspan(put), p, SdmaGen::kSdma6);
    ASSERT_TRUE(r.ok()) << why(r);
    put += r.dwords;
  };
  add(SdmaCopyLinear{.src = 0x2000, .dst = 0x3000, .bytes = 256});
  add(SdmaFence{.addr = 0x1000, .data = 5, .mtype = 3});
  add(SdmaTrap{.int_context = 7});
  fill_sdma_nops(std::span(q).subspan(put, 3));  // padding before the wrap
  put += 3;
  add(SdmaPollRegmem{.addr = 0x1000, .reference = 5});
  add(SdmaTimestamp{.addr = 0x1008});
  q.resize(put);
  EXPECT_EQ(disassemble(q, sdma(SdmaGen::kSdma6)),
            "0x0000: SDMA COPY_LINEAR{bytes=256, src=0x2000, dst=0x3000}\n"
            "0x0007: SDMA FENCE{mtype=3, addr=0x1000, data=0x5}\n"
            "0x000b: SDMA TRAP{int_context=7}\n"
            "0x000d: SDMA NOP{} x3\n"
            "0x0010: SDMA POLL_REGMEM{func=GEQ, mem_poll=1, addr=0x1000, reference=0x5, "
            "mask=0xffffffff, interval=4, retry_count=0xfff}\n"
            "0x0016: SDMA TIMESTAMP{sub_op=GET_GLOBAL, addr=0x1008}\n");
  std::array<uint32_t, 32> ring{};
  ring[16] = kAqlInvalidSlotDword0;
  ASSERT_TRUE(encode_aql(std::span(ring).first<16>(),
                         AqlBarrierAnd{.dep_signal = {0x40}, .completion_signal = 0x80})
                  .ok());
  EXPECT_EQ(disassemble(ring, kAql),
            "0x0000: AQL BARRIER_AND{barrier=1, acquire_fence_scope=SYSTEM, "
            "release_fence_scope=SYSTEM, dep_signal[0]=0x40, dep_signal[1]=0x0, "
            "dep_signal[2]=0x0, dep_signal[3]=0x0, dep_signal[4]=0x0, completion_signal=0x80}\n"
            "0x0010: AQL INVALID{}\n");
}

// ---------------------------------------------------------------------------------------------
// The hot path allocates nothing

TEST(KfdPackets, DispatchSequenceEncodesWithoutAllocating) {
  std::array<uint32_t, 512> ring{};
  std::array<uint32_t, 64> sdma_ring{};
  std::array<uint32_t, 32> aql_ring{};
  const uint32_t pgm[2] = {0x1234, 0};
  const uint32_t rsrc[2] = {0x00AC0081, 0x8C};
  const uint32_t user_data[4] = {0x1000, 0x7F, 0x2000, 0x7F};
  const uint32_t zeros3[3] = {0, 0, 0};
  const uint32_t start_and_block[8] = {0, 0, 0, 64, 1, 1, 0, 0};
  const uint32_t tmpring[1] = {0x400};
  uint32_t put = 0;
  bool ok = true;
  if (kCountsAllocations) {  // the counter counts (a direct call: a new-expression may be elided)
    g_allocations = 0;
    g_count_allocations = true;
    ::operator delete(::operator new(16));
    g_count_allocations = false;
    ASSERT_EQ(g_allocations.load(), 1);
  }
  g_allocations = 0;
  g_count_allocations = true;
  auto add = [&](const auto& p) {
    EncodeResult r = try_encode(std::span(ring).subspan(put), p, GfxGen::kGfx11);
    ok = ok && r.ok();
    put += r.dwords;
  };
  // tinygrad's exec(): barrier, program, resources, user data, dispatch, flush; then a signal.
  add(Pm4WaitRegMemReg{.operation = WaitRegMemOperation::kWriteWait,
                       .reg1 = 0xE26,
                       .reg2 = 0xE27,
                       .reference = 0xFFFFFFFF});
  add(Pm4AcquireMem{.gcr_cntl = {.glm_wb = true,
                                 .glm_inv = true,
                                 .glk_wb = true,
                                 .glk_inv = true,
                                 .glv_inv = true,
                                 .gl1_inv = true}});
  add(Pm4SetShReg{.reg = regCOMPUTE_PGM_LO, .values = pgm});
  add(Pm4SetShReg{.reg = regCOMPUTE_PGM_RSRC1, .values = rsrc});
  add(Pm4SetShReg{.reg = regCOMPUTE_TMPRING_SIZE, .values = tmpring});
  add(Pm4SetShReg{.reg = regCOMPUTE_RESTART_X, .values = zeros3});
  add(Pm4SetShReg{.reg = regCOMPUTE_USER_DATA_0, .values = user_data});
  add(Pm4SetShReg{.reg = regCOMPUTE_START_X, .values = start_and_block});
  add(Pm4DispatchDirect{.dim_x = 64, .initiator = {.cs_w32_en = true}});
  add(Pm4EventWrite{});
  add(Pm4ReleaseMem{.gcr = {.glm_wb = true,
                            .glm_inv = true,
                            .glv_inv = true,
                            .gl1_inv = true,
                            .gl2_inv = true,
                            .gl2_wb = true,
                            .seq = true},
                    .data_sel = DataSel::kSend32BitLow,
                    .addr = 0x1000,
                    .data = 1});
  add(Pm4WaitRegMem{.addr = 0x1000, .reference = 1});
  const EncodeResult copy = encode_sdma_copy(sdma_ring, 0x1000, 0x2000, 1 << 20, SdmaGen::kSdma6);
  const EncodeResult fence =
      try_encode(std::span(sdma_ring).subspan(copy.dwords),
                 SdmaFence{.addr = 0x1000, .data = 2, .mtype = 3}, SdmaGen::kSdma6);
  const EncodeResult aql = encode_aql(std::span(aql_ring).first<16>(),
                                      AqlKernelDispatch{.grid_size_x = 64, .kernel_object = 0x40});
  // Decoding a valid packet allocates nothing either (the simulator's command processor).
  Result<DecodedPacket> d = decode_pm4(std::span(ring).first(put), 0, GfxGen::kGfx11);
  const bool decoded = d.ok();
  g_count_allocations = false;
  EXPECT_TRUE(ok && copy.ok() && fence.ok() && aql.ok() && decoded);
  if (kCountsAllocations) {
    EXPECT_EQ(g_allocations.load(), 0);
  } else {
    std::printf("note: allocation counting is off under AddressSanitizer\n");
  }
  EXPECT_EQ(put, 7u + 8u + 4u + 4u + 3u + 5u + 6u + 10u + 5u + 2u + 8u + 7u);
  // And the sequence reads back as packets end to end.
  const std::string text = disassemble(std::span(ring).first(put), pm4(GfxGen::kGfx11));
  EXPECT_EQ(text.find("error"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 12);
}

TEST(KfdPackets, EncodersRunAtCompileTime) {
  constexpr auto words = [] {
    std::array<uint32_t, 8> out{};
    (void)encode(out, Pm4ReleaseMem{.data_sel = DataSel::kSend32BitLow, .addr = 0x40, .data = 9},
                 GfxGen::kGfx11);
    return out;
  }();
  static_assert(words[0] == 0xC0064900 && words[1] == 0x514 && words[2] == 0x20000000 &&
                words[3] == 0x40 && words[5] == 9);
  static_assert(packet_dwords(Pm4AcquireMem{}, GfxGen::kGfx9) == 7);
  static_assert(packet_dwords(Pm4AcquireMem{}, GfxGen::kGfx10) == 8);
  EXPECT_EQ(words[0], 0xC0064900u);
}

}  // namespace
