// Tests of nv_ioctl/packets: method-header dwords worked out by hand from shared/abi/nvidia.md
// §4.3, tinygrad's semaphore/launch/copy words (§4.4–§4.6), a round trip of every row of every
// class table and of every QMD field of V03_00/V04_00/V05_00, the Hopper worked example of
// nvidia-hopper.md §1.8 bit for bit, rejection of malformed streams with their dword offsets,
// disassembly text, GP_PUT/doorbell publication, and an allocation-free launch.
#include "nv_ioctl/packets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <string>
#include <vector>

// ---- allocation counter: the encode path must not allocate ----
// Replaces the global operator new/delete for this test binary (only this file in nv_test may);
// they forward to malloc/free and count only while g_nv_count_allocations is set on this thread.
namespace {
thread_local bool g_nv_count_allocations = false;
std::atomic<int> g_nv_allocations{0};
}  // namespace

// noinline: GCC would otherwise inline the pair into callers and flag new + free as mismatched.
// Every unaligned form is replaced so that each allocation and its release meet in malloc/free
// (std::stable_sort's temporary buffer pairs the nothrow new with the plain delete).
namespace {
void* counted_malloc(std::size_t n) {
  if (g_nv_count_allocations) g_nv_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace
[[gnu::noinline]] void* operator new(std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) {
  if (void* p = counted_malloc(n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_malloc(n);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace rawgpu::nv;  // NOLINT
using rawgpu::core::BitField;
using rawgpu::core::EncodeFail;
using rawgpu::core::EncodeResult;
using rawgpu::core::Error;
using rawgpu::core::FieldKind;
using rawgpu::core::Result;

std::string why(const EncodeResult& r) { return r.ok() ? "" : to_error(r).message(); }

constexpr uint32_t kHostClasses[] = {AMPERE_CHANNEL_GPFIFO_A, HOPPER_CHANNEL_GPFIFO_A,
                                     BLACKWELL_CHANNEL_GPFIFO_A};
constexpr uint32_t kComputeClasses[] = {AMPERE_COMPUTE_A, AMPERE_COMPUTE_B,    ADA_COMPUTE_A,
                                        HOPPER_COMPUTE_A, BLACKWELL_COMPUTE_A, BLACKWELL_COMPUTE_B};
constexpr uint32_t kCopyClasses[] = {AMPERE_DMA_COPY_A, AMPERE_DMA_COPY_B, HOPPER_DMA_COPY_A,
                                     BLACKWELL_DMA_COPY_A, BLACKWELL_DMA_COPY_B};
constexpr QmdVersion kVersions[] = {QmdVersion::V03_00, QmdVersion::V04_00, QmdVersion::V05_00};

// The largest value field `f` accepts (an enum's largest named value).
uint64_t max_value(const BitField& f) {
  if (f.kind == FieldKind::kEnum) {
    uint64_t m = 0;
    for (const auto& n : f.names) m = std::max(m, n.value);
    return m;
  }
  return rawgpu::core::field_decode(f, rawgpu::core::field_raw_max(f));
}

// ---------------------------------------------------------------------------------------------
// Method headers

TEST(NvMethod, HeaderDwordsWorkedOutByHand) {
  // SEC_OP[31:29] | COUNT[28:16] | SUBCH[15:13] | ADDR[11:0] = byte offset >> 2 (§4.3).
  struct Case {
    MethodHeader h;
    uint32_t word;
  };
  const Case cases[] = {
      // tinygrad nvmethod(1, SEND_PCAS_A, 1) = (2<<28) | (1<<16) | (1<<13) | (0x2B4>>2)
      {{SecOp::INC_METHOD, 1, NVC6C0_SEND_PCAS_A, 1}, 0x200120AD},
      // the 5-word host semaphore burst at 0x5C on subchannel 0
      {{SecOp::INC_METHOD, 0, NVC56F_SEM_ADDR_LO, 5}, 0x20050017},
      // cuda_ioctl_sniffer's NON_INC LOAD_INLINE_DATA (0x6000_0000 | ...), 3 words, subch 1
      {{SecOp::NON_INC_METHOD, 1, NVC6C0_LOAD_INLINE_DATA, 3}, 0x6003206D},
      // IMMD: copy LAUNCH_DMA = 0x182 on subchannel 4, data in 28:16
      {{SecOp::IMMD_DATA_METHOD, 4, NVC6B5_LAUNCH_DMA, 0x182}, 0x818280C0},
      {{SecOp::ONE_INC, 2, 0x0790, 2}, 0xA00241E4},
      {{SecOp::END_PB_SEGMENT, 0, 0, 0}, 0xE0000000},
      // the inline V04 QMD burst: SET_INLINE_QMD_ADDRESS_A/B + 96 LOAD_INLINE_QMD_DATA
      {{SecOp::INC_METHOD, 1, NVC6C0_SET_INLINE_QMD_ADDRESS_A, 98}, 0x206220C6},
      // the largest method address and count
      {{SecOp::INC_METHOD, 7, 0x3FFC, 0x1FFF}, 0x3FFFEFFF},
  };
  for (const Case& c : cases) {
    uint32_t w = 0;
    EncodeResult r = encode_method_header(c.h, w);
    ASSERT_TRUE(r.ok()) << why(r);
    EXPECT_EQ(w, c.word) << std::hex << c.word;
    EXPECT_EQ(method_header(c.h.sec_op, c.h.subchannel, c.h.method, c.h.count), c.word);
    Result<MethodHeader> d = decode_method_header(c.word, 0);
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(*d, c.h);
  }
}

TEST(NvMethod, HeaderEncoderRefusesWhatDoesNotFit) {
  uint32_t w = 0xCDCDCDCD;
  EXPECT_EQ(encode_method_header({SecOp::INC_METHOD, 8, 0x100, 1}, w).fail,
            EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_method_header({SecOp::INC_METHOD, 0, 0x4000, 1}, w).fail,
            EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_method_header({SecOp::INC_METHOD, 0, 0x2B6, 1}, w).fail,
            EncodeFail::kDoesNotFit);  // not a multiple of 4
  EXPECT_EQ(encode_method_header({SecOp::INC_METHOD, 0, 0x100, 0x2000}, w).fail,
            EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_method_header({SecOp::GRP0_USE_TERT, 0, 0x100, 1}, w).fail,
            EncodeFail::kInvalid);
  EXPECT_EQ(encode_method_header({SecOp::END_PB_SEGMENT, 1, 0, 0}, w).fail, EncodeFail::kInvalid);
  EXPECT_EQ(w, 0xCDCDCDCD);
  const EncodeResult r = encode_method_header({SecOp::INC_METHOD, 0, 0x2B6, 1}, w);
  EXPECT_EQ(why(r),
            "encode pushbuffer method header: invalid input: value 0x2b6 does not fit field "
            "method (dword 0 bits 11:0, must be a multiple of 4)");
}

TEST(NvMethod, PushbufferWriterIsAllOrNothing) {
  std::array<uint32_t, 6> buf{};
  Pushbuffer pb(buf);
  EXPECT_TRUE(pb.inc(1, NVC6C0_SEND_PCAS_A, {0x100}));
  EXPECT_TRUE(pb.immd(1, NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 0x1011));
  EXPECT_EQ(pb.size(), 3u);
  // 1 + 3 dwords do not fit in the 3 left: refused, nothing written, and every later append too.
  const std::array<uint32_t, 3> words{1, 2, 3};
  EXPECT_FALSE(pb.non_inc(1, NVC6C0_LOAD_INLINE_DATA, words));
  EXPECT_FALSE(pb.inc(1, NVC6C0_SEND_PCAS_A, {0x200}));
  EXPECT_FALSE(pb.ok());
  EXPECT_EQ(pb.size(), 3u);
  EXPECT_EQ(buf[3], 0u);
  EXPECT_EQ(pb.result().fail, EncodeFail::kNoSpace);
  EXPECT_EQ(pb.result().dwords, 0u);
  pb.reset();
  EXPECT_FALSE(pb.immd(1, 0x100, 0x2000));  // immediate data is 13 bits
  pb.reset();
  EXPECT_FALSE(pb.inc(1, 0x100, std::span<const uint32_t>{}));  // at least one word
  EXPECT_EQ(pb.result().fail, EncodeFail::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// Host semaphores, launches, copies: the words tinygrad writes

TEST(NvMethod, HostSemaphoreAcquireAndReleaseAsTinygradWritesThem) {
  std::array<uint32_t, 16> out{};
  EncodeResult r = encode_host_semaphore(out, HOPPER_CHANNEL_GPFIFO_A,
                                         host_semaphore_acquire(0x12'3456'7890, 0x1'0000'0005));
  ASSERT_TRUE(r.ok()) << why(r);
  ASSERT_EQ(r.dwords, 6u);
  const uint32_t acquire[] = {0x20050017, 0x34567890, 0x12, 0x00000005, 0x1, 0x01000003};
  EXPECT_TRUE(std::equal(std::begin(acquire), std::end(acquire), out.begin()));

  r = encode_host_semaphore(out, HOPPER_CHANNEL_GPFIFO_A,
                            host_semaphore_release(0x12'3456'7890, 42));
  ASSERT_TRUE(r.ok()) << why(r);
  ASSERT_EQ(r.dwords, 8u);
  // RELEASE | RELEASE_WFI | 64BIT | RELEASE_TIMESTAMP = 0x03100001, then NON_STALL_INTERRUPT
  // (0x20).
  const uint32_t release[] = {0x20050017, 0x34567890, 0x12, 42, 0, 0x03100001, 0x20010008, 0};
  EXPECT_TRUE(std::equal(std::begin(release), std::end(release), out.begin()));

  // tinygrad's write: RELEASE | WFI, 32-bit (0x00100001).
  HostSemaphore write{0x1000, 7, {}, false};
  write.execute.operation = SemOperation::RELEASE;
  write.execute.release_wfi = true;
  r = encode_host_semaphore(out, AMPERE_CHANNEL_GPFIFO_A, write);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[5], 0x00100001u);
}

TEST(NvMethod, HostSemaphoreRulesRefuseAndWriteNothing) {
  std::array<uint32_t, 8> out;
  out.fill(0xCDCDCDCD);
  auto refuse = [&](uint32_t cls, const HostSemaphore& s, EncodeFail f) {
    const EncodeResult r = encode_host_semaphore(out, cls, s);
    EXPECT_EQ(r.fail, f) << why(r);
    EXPECT_EQ(r.dwords, 0u);
    EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](uint32_t d) { return d == 0xCDCDCDCD; }));
    return why(r);
  };
  // C56F's SEM_ADDR_HI is 7:0: a 2^40 address does not fit; C86F's 24:0 takes it.
  const HostSemaphore high = host_semaphore_acquire(uint64_t{1} << 40, 1);
  EXPECT_EQ(refuse(AMPERE_CHANNEL_GPFIFO_A, high, EncodeFail::kDoesNotFit),
            "encode AMPERE_CHANNEL_GPFIFO_A SEM_ADDR_HI: invalid input: value 0x100 does not fit "
            "field offset (dword 0 bits 7:0)");
  std::array<uint32_t, 8> ok{};
  EXPECT_TRUE(encode_host_semaphore(ok, HOPPER_CHANNEL_GPFIFO_A, high).ok());
  EXPECT_EQ(ok[2], 0x100u);
  refuse(HOPPER_CHANNEL_GPFIFO_A, host_semaphore_acquire(uint64_t{1} << 57, 1),
         EncodeFail::kDoesNotFit);
  refuse(HOPPER_CHANNEL_GPFIFO_A, host_semaphore_acquire(0x1002, 1), EncodeFail::kInvalid);
  HostSemaphore s32{0x1004, uint64_t{1} << 32, {}, false};
  refuse(HOPPER_CHANNEL_GPFIFO_A, s32, EncodeFail::kInvalid);  // 32-bit payload too wide
  s32.payload = 1;
  s32.address = 0x1006;  // not 4-byte aligned
  refuse(HOPPER_CHANNEL_GPFIFO_A, s32, EncodeFail::kDoesNotFit);
  HostSemaphore ts = host_semaphore_acquire(0x1000, 1);
  ts.execute.release_timestamp = true;
  refuse(HOPPER_CHANNEL_GPFIFO_A, ts, EncodeFail::kInvalid);
  HostSemaphore sw = host_semaphore_release(0x1000, 1);
  sw.execute.acquire_switch_tsg = true;
  refuse(HOPPER_CHANNEL_GPFIFO_A, sw, EncodeFail::kInvalid);
  refuse(HOPPER_COMPUTE_A, host_semaphore_acquire(0x1000, 1), EncodeFail::kInvalid);
  std::array<uint32_t, 5> small{};
  EXPECT_EQ(
      encode_host_semaphore(small, HOPPER_CHANNEL_GPFIFO_A, host_semaphore_acquire(0x1000, 1)).fail,
      EncodeFail::kNoSpace);
}

TEST(NvMethod, SendPcasAndInlineQmd) {
  std::array<uint32_t, 128> out{};
  EncodeResult r =
      encode_send_pcas(out, HOPPER_COMPUTE_A, 0x12'3456'7800, PcasAction::INVALIDATE_COPY_SCHEDULE);
  ASSERT_TRUE(r.ok()) << why(r);
  const uint32_t nvk[] = {0x200120AD, 0x12345678, 0x200120B0, 3};
  EXPECT_TRUE(std::equal(std::begin(nvk), std::end(nvk), out.begin()));
  r = encode_send_pcas(out, AMPERE_COMPUTE_B, 0x1000, PcasAction::PREFETCH_SCHEDULE);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[1], 0x10u);
  EXPECT_EQ(out[3], 9u);  // tinygrad
  EXPECT_EQ(encode_send_pcas(out, HOPPER_COMPUTE_A, 0x1080, PcasAction::SCHEDULE).fail,
            EncodeFail::kInvalid);  // not 256-byte aligned
  EXPECT_EQ(encode_send_pcas(out, HOPPER_COMPUTE_A, uint64_t{1} << 40, PcasAction::SCHEDULE).fail,
            EncodeFail::kInvalid);  // address >> 8 must fit 32 bits
  // AMPERE_COMPUTE_A (clc6c0.h) has no action 0xC.
  EXPECT_EQ(encode_send_pcas(out, AMPERE_COMPUTE_A, 0x1000, PcasAction::INCREMENT_DEPENDENCE).fail,
            EncodeFail::kInvalid);
  EXPECT_TRUE(
      encode_send_pcas(out, AMPERE_COMPUTE_B, 0x1000, PcasAction::INCREMENT_DEPENDENCE).ok());

  std::array<uint32_t, 96> qmd{};
  for (uint32_t i = 0; i < qmd.size(); ++i) qmd[i] = 0x1000 + i;
  r = encode_inline_qmd(out, HOPPER_COMPUTE_A, 0x1234'5678'9A00, qmd);
  ASSERT_TRUE(r.ok()) << why(r);
  ASSERT_EQ(r.dwords, 99u);
  EXPECT_EQ(out[0], 0x206220C6u);
  EXPECT_EQ(out[1], 0x40000012u);  // SHIFTED8_UPPER = addr >> 40, INLINE_SIZE 384 (bit 30)
  EXPECT_EQ(out[2], 0x3456789Au);  // addr >> 8, low 32 bits
  EXPECT_EQ(out[3], 0x1000u);
  EXPECT_EQ(out[98], 0x105Fu);
  // C7C0 takes a 64-dword V03_00 QMD and has no INLINE_SIZE.
  r = encode_inline_qmd(out, AMPERE_COMPUTE_B, 0x1000, std::span(qmd).first(64));
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[0], method_header(SecOp::INC_METHOD, 1, NVC6C0_SET_INLINE_QMD_ADDRESS_A, 66));
  EXPECT_EQ(out[1], 0u);
  EXPECT_EQ(encode_inline_qmd(out, HOPPER_COMPUTE_A, 0x1000, std::span(qmd).first(64)).fail,
            EncodeFail::kInvalid);
  // CBC0's upper field is 8:0: an address at 2^49 does not fit.
  EXPECT_EQ(encode_inline_qmd(out, HOPPER_COMPUTE_A, uint64_t{1} << 49, qmd).fail,
            EncodeFail::kDoesNotFit);
}

TEST(NvMethod, CopyAndCopySemaphoreAsTinygradWritesThem) {
  std::array<uint32_t, 32> out{};
  EncodeResult r = encode_copy(out, HOPPER_DMA_COPY_A, 0x7'0000'1000, 0x5'0000'2000, 0x300);
  ASSERT_TRUE(r.ok()) << why(r);
  ASSERT_EQ(r.dwords, 9u);
  const uint32_t copy[] = {0x20048100, 0x5,   0x2000,     0x7,  0x1000,
                           0x20018106, 0x300, 0x200180C0, 0x182};
  EXPECT_TRUE(std::equal(std::begin(copy), std::end(copy), out.begin()));
  // 5 GiB: chunks of 2, 2 and 1 GiB.
  std::vector<uint32_t> big(copy_dwords(uint64_t{5} << 30));
  ASSERT_EQ(big.size(), 27u);
  r = encode_copy(big, AMPERE_DMA_COPY_B, 0x100'0000'0000, 0x200'0000'0000, uint64_t{5} << 30);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(big[6], 0x80000000u);
  EXPECT_EQ(big[9 + 2], 0x80000000u);  // second chunk's source, low word
  EXPECT_EQ(big[18 + 6], 0x40000000u);
  // AMPERE_DMA_COPY_B's upper fields are 16:0: 2^49 is out of range; C8B5 (24:0) takes it.
  EXPECT_EQ(encode_copy(out, AMPERE_DMA_COPY_B, uint64_t{1} << 49, 0, 16).fail,
            EncodeFail::kInvalid);
  EXPECT_TRUE(encode_copy(out, HOPPER_DMA_COPY_A, uint64_t{1} << 49, 0, 16).ok());
  EXPECT_EQ(encode_copy(out, HOPPER_DMA_COPY_A, 0, 0, 0).dwords, 0u);

  r = encode_copy_semaphore(out, HOPPER_DMA_COPY_A, {0x3'0000'0040, 9, true, false});
  ASSERT_TRUE(r.ok()) << why(r);
  const uint32_t sig[] = {0x20038090, 0x3, 0x40, 9, 0x200180C0, 0x14};
  ASSERT_EQ(r.dwords, 6u);
  EXPECT_TRUE(std::equal(std::begin(sig), std::end(sig), out.begin()));
  r = encode_copy_semaphore(out, HOPPER_DMA_COPY_A, {0x3'0000'0040, 0x1'0000'0009, true, true});
  ASSERT_TRUE(r.ok()) << why(r);
  const uint32_t sig64[] = {0x20048090, 0x3, 0x40, 9, 1, 0x200180C0, 0x08000014};
  ASSERT_EQ(r.dwords, 7u);
  EXPECT_TRUE(std::equal(std::begin(sig64), std::end(sig64), out.begin()));
  EXPECT_EQ(encode_copy_semaphore(out, AMPERE_DMA_COPY_A, {0x40, 1, true, true}).fail,
            EncodeFail::kInvalid);  // no SET_SEMAPHORE_PAYLOAD_UPPER on C6B5
  EXPECT_EQ(
      encode_copy_semaphore(out, AMPERE_DMA_COPY_A, {0x40, uint64_t{1} << 32, true, false}).fail,
      EncodeFail::kInvalid);
  EXPECT_EQ(encode_copy_semaphore(out, HOPPER_DMA_COPY_A, {0x44, 1, true, false}).fail,
            EncodeFail::kInvalid);  // a timestamped record is 8-byte aligned
  r = encode_copy_semaphore(out, AMPERE_DMA_COPY_A, {0x44, 1, false, false});
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[5], 0x0Cu);  // FLUSH_ENABLE | RELEASE_ONE_WORD_SEMAPHORE
}

TEST(NvMethod, TypedDataWordsRoundTripOnEveryClass) {
  // tinygrad's barrier: INVALIDATE_SHADER_CACHES_NO_WFI = 0x1011.
  uint32_t w = 0;
  ASSERT_TRUE(encode_word(InvalidateShaderCachesNoWfi{true, true, true}, HOPPER_COMPUTE_A, w).ok());
  EXPECT_EQ(w, 0x1011u);
  // SEM_EXECUTE: every member at a non-default value.
  const SemExecute sem{SemOperation::REDUCTION,
                       false,
                       true,
                       SemPayloadSize::PAYLOAD_SIZE_64BIT,
                       true,
                       SemReduction::DEC,
                       SemReductionFormat::UNSIGNED};
  for (uint32_t cls : kHostClasses) {
    ASSERT_TRUE(encode_word(sem, cls, w).ok());
    EXPECT_EQ(w, 6u | (1u << 20) | (1u << 24) | (1u << 25) | (7u << 27) | (1u << 31));
    EXPECT_EQ(decode_word<SemExecute>(w, cls), sem);
  }
  // LAUNCH_DMA: the members each copy class has, set to their largest values.
  for (uint32_t cls : kCopyClasses) {
    CopyLaunchDma l;
    l.data_transfer_type =
        cls == BLACKWELL_DMA_COPY_B ? DataTransferType::PREFETCH : DataTransferType::NON_PIPELINED;
    l.flush_enable = true;
    l.semaphore_type = SemaphoreType::RELEASE_CONDITIONAL_INTR_SEMAPHORE;
    l.interrupt_type = InterruptType::NON_BLOCKING;
    l.src_memory_layout = l.dst_memory_layout = MemoryLayout::PITCH;
    l.multi_line_enable = l.remap_enable = true;
    l.force_rmwdisable = cls != BLACKWELL_DMA_COPY_A && cls != BLACKWELL_DMA_COPY_B;
    l.src_type = l.dst_type = AddressType::PHYSICAL;
    l.semaphore_reduction =
        cls == AMPERE_DMA_COPY_A ? SemaphoreReduction::FADD : SemaphoreReduction::FMAX;
    l.semaphore_reduction_sign = SemaphoreReductionSign::UNSIGNED;
    l.semaphore_reduction_enable = true;
    l.copy_type = is_hopper_or_later_copy(cls) ? CopyType::NONPROT2NONPROT : CopyType::DEFAULT;
    l.vprmode = 1;
    l.memory_scrub_enable = is_hopper_or_later_copy(cls);
    l.flush_type = FlushType::GL;
    l.disable_plc = true;
    l.semaphore_payload_size =
        cls == AMPERE_DMA_COPY_A ? SemaphorePayloadSize::ONE_WORD : SemaphorePayloadSize::TWO_WORD;
    const EncodeResult r = encode_word(l, cls, w);
    ASSERT_TRUE(r.ok()) << class_name(cls) << ": " << why(r);
    EXPECT_EQ(decode_word<CopyLaunchDma>(w, cls), l) << class_name(cls);
  }
  // Members a class lacks must stay 0.
  CopyLaunchDma scrub;
  scrub.memory_scrub_enable = true;
  EncodeResult r = encode_word(scrub, AMPERE_DMA_COPY_B, w);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  EXPECT_EQ(why(r),
            "encode AMPERE_DMA_COPY_B LAUNCH_DMA: invalid input: memory_scrub_enable=0x1 cannot be "
            "encoded: MEMORY_SCRUB_ENABLE exists on HOPPER_DMA_COPY_A and later");
  EXPECT_EQ(encode_word(SendSignalingPcas2B{PcasAction::SCHEDULE, 1, 0}, AMPERE_COMPUTE_A, w).fail,
            EncodeFail::kNotInGeneration);
  const SendSignalingPcas2B pcas{PcasAction::INCREMENT_CWD_REF_COUNTER, 63, 1023};
  ASSERT_TRUE(encode_word(pcas, ADA_COMPUTE_A, w).ok());
  EXPECT_EQ(w, 0xDu | (63u << 8) | (1023u << 14));
  EXPECT_EQ(decode_word<SendSignalingPcas2B>(w, ADA_COMPUTE_A), pcas);
  EXPECT_EQ(encode_word(SetInlineQmdAddressA{1, InlineSize::INLINE_384}, AMPERE_COMPUTE_B, w).fail,
            EncodeFail::kNotInGeneration);
  ASSERT_TRUE(encode_word(SetObject{HOPPER_DMA_COPY_A, 0x1F}, HOPPER_CHANNEL_GPFIFO_A, w).ok());
  EXPECT_EQ(w, 0x001FC8B5u);
}

// ---------------------------------------------------------------------------------------------
// Class tables

TEST(NvPackets, ClassTablesAreWellFormed) {
  std::set<uint32_t> ids;
  for (const ClassDesc& c : known_classes()) {
    SCOPED_TRACE(c.name);
    ids.insert(c.id);
    EXPECT_STREQ(class_name(c.id), c.name);
    EXPECT_EQ(class_kind(c.id), c.kind);
    EXPECT_EQ(find_class(c.id), &c);
    ASSERT_FALSE(c.methods.empty());
    std::set<std::string> names;
    uint32_t next = 0;
    for (const MethodDesc& m : c.methods) {
      SCOPED_TRACE(m.name);
      EXPECT_TRUE(names.insert(m.name).second);
      EXPECT_GE(m.address, next);  // sorted, no overlap
      EXPECT_EQ(m.address % 4, 0);
      EXPECT_GE(m.count, 1);
      next = m.address + 4u * m.count;
      EXPECT_LE(next, 0x4000u);
      if (c.kind == ClassKind::kHost) {
        EXPECT_LT(m.address, kHostMethodLimit);
      } else {
        EXPECT_TRUE(m.address == 0 || m.address >= kHostMethodLimit);
      }
      ASSERT_FALSE(m.fields.empty());
      uint32_t covered = 0;
      for (const BitField& f : m.fields) {
        EXPECT_TRUE(rawgpu::core::field_well_formed(f)) << f.name;
        EXPECT_EQ(f.dword, 0) << f.name;
        EXPECT_LE(f.hi, 31) << f.name;
        const uint32_t bits = rawgpu::core::covered_bits(std::span(&f, 1), 0);
        EXPECT_EQ(covered & bits, 0u) << f.name << " overlaps";
        covered |= bits;
      }
      uint16_t index = 0xFFFF;
      EXPECT_EQ(find_method(c, m.address + 4u * (m.count - 1u), &index), &m);
      EXPECT_EQ(index, m.count - 1);
      EXPECT_EQ(find_method(c, m.name), &m);
    }
  }
  EXPECT_EQ(ids.size(), std::size(kClassNames));
  for (uint32_t cls : kComputeClasses) ASSERT_TRUE(qmd_version_of(cls).has_value());
  EXPECT_EQ(qmd_version_of(HOPPER_COMPUTE_A), QmdVersion::V04_00);
  EXPECT_EQ(qmd_version_of(ADA_COMPUTE_A), QmdVersion::V03_00);
  EXPECT_EQ(qmd_version_of(BLACKWELL_COMPUTE_B), QmdVersion::V05_00);
  EXPECT_FALSE(qmd_version_of(HOPPER_DMA_COPY_A).has_value());
  // The compute LOAD_INLINE_QMD_DATA array matches the QMD size; C8B5 widened SET_SEMAPHORE_A.
  EXPECT_EQ(find_method(*find_class(HOPPER_COMPUTE_A), "LOAD_INLINE_QMD_DATA")->count, 96);
  EXPECT_EQ(find_method(*find_class(AMPERE_COMPUTE_B), "LOAD_INLINE_QMD_DATA")->count, 64);
  EXPECT_EQ(find_method(*find_class(HOPPER_DMA_COPY_A), "SET_SEMAPHORE_A")->fields[0].hi, 24);
  EXPECT_EQ(find_method(*find_class(AMPERE_DMA_COPY_B), "SET_SEMAPHORE_A")->fields[0].hi, 16);
  EXPECT_EQ(find_method(*find_class(AMPERE_DMA_COPY_A), "SET_SEMAPHORE_PAYLOAD_UPPER"), nullptr);
  EXPECT_EQ(find_method(*find_class(HOPPER_COMPUTE_A), 0x2B6u), nullptr);
}

// Every row of every class: each field alone at its largest value, then all fields at once,
// encoded with encode_method, walked back, checked by field name; one uncovered bit is refused.
TEST(NvMethod, EveryTableRowRoundTrips) {
  size_t rows = 0, fields = 0;
  for (const ClassDesc& c : known_classes()) {
    const uint32_t host = c.kind == ClassKind::kHost ? c.id : HOPPER_CHANNEL_GPFIFO_A;
    const uint8_t subch = c.kind == ClassKind::kCopy ? kSubchCopy : kSubchCompute;
    for (const MethodDesc& m : c.methods) {
      ++rows;
      for (uint16_t index : {uint16_t{0}, static_cast<uint16_t>(m.count - 1)}) {
        const uint32_t method = m.address + 4u * index;
        std::vector<std::vector<std::pair<const BitField*, uint64_t>>> cases;
        std::vector<std::pair<const BitField*, uint64_t>> all;
        for (const BitField& f : m.fields) {
          uint64_t v = max_value(f);
          if (m.address == 0 && f.lo == 0)
            v = c.kind == ClassKind::kCompute ? c.id : HOPPER_DMA_COPY_A;
          cases.push_back({{&f, v}});
          all.push_back({&f, v});
          ++fields;
        }
        cases.push_back(all);
        for (const auto& fs : cases) {
          std::array<uint32_t, 1> word{};
          // Every case starts from a valid word: SET_OBJECT names a class it can bind, enum
          // fields without a 0 value hold their first value; the case sets its fields on top.
          if (m.address == 0) {
            ASSERT_TRUE(rawgpu::core::set_field(word, m.fields[0], all[0].second));
          }
          for (const BitField& f : m.fields) {
            if (f.kind == FieldKind::kEnum && !rawgpu::core::enum_name(f.names, 0)) {
              ASSERT_TRUE(rawgpu::core::set_field(word, f, f.names[0].value));
            }
          }
          for (const auto& [f, v] : fs)
            ASSERT_TRUE(rawgpu::core::set_field(word, *f, v)) << f->name;
          std::array<uint32_t, 2> pb{};
          const uint32_t cls = method < kHostMethodLimit && method != 0 ? host : c.id;
          EncodeResult r = encode_method(pb, cls, subch, method, word[0]);
          ASSERT_TRUE(r.ok()) << c.name << "." << m.name << ": " << why(r);
          ChannelState st{host, {}};
          st.subchannel_class[subch] = c.kind == ClassKind::kHost ? HOPPER_COMPUTE_A : c.id;
          Result<std::vector<MethodWrite>> d = decode_pushbuffer(pb, st);
          ASSERT_TRUE(d.ok()) << c.name << "." << m.name << ": " << d.error().message();
          ASSERT_EQ(d->size(), 1u);
          const MethodWrite& mw = d->front();
          EXPECT_EQ(mw.data, word[0]);
          if (m.address == 0) continue;  // SET_OBJECT: described by the class it binds
          EXPECT_EQ(mw.desc, &m) << c.name << "." << m.name;
          EXPECT_EQ(mw.index, index);
          for (const auto& [f, v] : fs) {
            EXPECT_EQ(mw.field(f->name), v) << c.name << "." << m.name << "." << f->name;
          }
          EXPECT_NE(mw.text().find(m.name), std::string::npos);
        }
        // A bit no field covers.
        const uint32_t covered = rawgpu::core::covered_bits(m.fields, 0);
        if (covered != 0xFFFFFFFFu) {
          const uint32_t bit = ~covered & (0u - ~covered);
          std::array<uint32_t, 2> pb{};
          const uint32_t cls = method < kHostMethodLimit && method != 0 ? host : c.id;
          EXPECT_EQ(encode_method(pb, cls, subch, method, bit).fail, EncodeFail::kInvalid)
              << c.name << "." << m.name;
          pb = {method_header(SecOp::INC_METHOD, subch, method, 1), bit};
          ChannelState st{host, {}};
          st.subchannel_class[subch] = c.kind == ClassKind::kHost ? HOPPER_COMPUTE_A : c.id;
          if (m.address == 0) st.subchannel_class[subch] = 0;
          Result<std::vector<MethodWrite>> d = decode_pushbuffer(pb, st);
          EXPECT_FALSE(d.ok()) << c.name << "." << m.name;
        }
      }
    }
  }
  EXPECT_GT(rows, 300u);
  EXPECT_GT(fields, 500u);
}

TEST(NvMethod, EncodeMethodAndAddressPairsFollowTheTables) {
  std::array<uint32_t, 4> out{};
  EncodeResult r = encode_address_pair(out, HOPPER_COMPUTE_A, 1, NVC6C0_SET_SHADER_LOCAL_MEMORY_A,
                                       0x1FF'FFFF'1234'5000);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[0], method_header(SecOp::INC_METHOD, 1, NVC6C0_SET_SHADER_LOCAL_MEMORY_A, 2));
  EXPECT_EQ(out[1], 0x1FFFFFFu);
  EXPECT_EQ(out[2], 0x12345000u);
  // Before Hopper ADDRESS_UPPER is 16:0.
  r = encode_address_pair(out, AMPERE_COMPUTE_B, 1, NVC6C0_SET_SHADER_LOCAL_MEMORY_A,
                          0x1FF'FFFF'1234'5000);
  EXPECT_EQ(r.fail, EncodeFail::kDoesNotFit);
  EXPECT_EQ(
      why(r),
      "encode AMPERE_COMPUTE_B SET_SHADER_LOCAL_MEMORY_A: invalid input: value 0x1ffffff does "
      "not fit field address_upper (dword 0 bits 16:0)");
  ASSERT_TRUE(encode_address_pair(out, HOPPER_COMPUTE_A, 1,
                                  NVC6C0_SET_SHADER_SHARED_MEMORY_WINDOW_A, 0x7294'0000'0000)
                  .ok());
  EXPECT_EQ(out[1], 0x7294u);
  ASSERT_TRUE(
      encode_address_pair(out, HOPPER_DMA_COPY_A, 4, NVC6B5_OFFSET_OUT_UPPER, 0x12'0000'0040).ok());
  // Not upper/lower pairs: SEM_ADDR_LO/HI (lower first), SET_INLINE_QMD_ADDRESS_A (two fields).
  EXPECT_EQ(encode_address_pair(out, HOPPER_CHANNEL_GPFIFO_A, 0, NVC56F_SEM_ADDR_LO, 0x1000).fail,
            EncodeFail::kInvalid);
  EXPECT_EQ(
      encode_address_pair(out, HOPPER_COMPUTE_A, 1, NVC6C0_SET_INLINE_QMD_ADDRESS_A, 0x1000).fail,
      EncodeFail::kInvalid);

  ASSERT_TRUE(
      encode_method(out, HOPPER_COMPUTE_A, 1, NVC6C0_SET_SHADER_LOCAL_MEMORY_NON_THROTTLED_C, 0xFF)
          .ok());
  EXPECT_EQ(out[1], 0xFFu);
  r = encode_method(out, HOPPER_COMPUTE_A, 1, NVC6C0_SEND_SIGNALING_PCAS2_B, 0x5);
  EXPECT_EQ(why(r),
            "encode HOPPER_COMPUTE_A SEND_SIGNALING_PCAS2_B: invalid input: pcas_action=0x5: the "
            "value is not one the field defines");
  r = encode_method(out, HOPPER_COMPUTE_A, 1, NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 0x1012);
  EXPECT_EQ(r.fail, EncodeFail::kInvalid);  // bit 1 is in no field
  EXPECT_EQ(encode_method(out, HOPPER_COMPUTE_A, 1, 0x3000, 0).fail, EncodeFail::kInvalid);
  EXPECT_EQ(encode_method(out, HOPPER_COMPUTE_A, 1, NVC56F_SEM_EXECUTE, 0).fail,
            EncodeFail::kInvalid);  // a host method: pass the host class
  EXPECT_EQ(encode_method(out, 0x1234, 1, 0x100, 0).fail, EncodeFail::kInvalid);
  r = encode_set_object(out, 4, HOPPER_DMA_COPY_A);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(out[0], 0x20018000u);
  EXPECT_EQ(out[1], 0xC8B5u);
  EXPECT_EQ(encode_set_object(out, 1, HOPPER_CHANNEL_GPFIFO_A).fail, EncodeFail::kInvalid);
}

// ---------------------------------------------------------------------------------------------
// GPFIFO entries and submission

TEST(NvPackets, GpfifoEntryAsTinygradWritesIt) {
  const uint64_t va = 0x12'3456'7890;
  uint64_t e = 0;
  EncodeResult r = encode_gpfifo_entry({va, 12}, e);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(e, (va & ~uint64_t{3}) | (uint64_t{12} << 42) | (uint64_t{1} << 41));  // tinygrad
  // cuda_ioctl_sniffer: va | (bytes << 40) | 0x20000000000 with bytes = 4 * dwords.
  EXPECT_EQ(e, va | (uint64_t{48} << 40) | 0x20000000000);
  Result<GpfifoEntry> d = decode_gpfifo_entry(e, 3);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(*d, (GpfifoEntry{va, 12}));
  EXPECT_EQ(format_gpfifo_entry(e), "GP_ENTRY{get=0x1234567890, level=SUBROUTINE, length=12}");
  const GpfifoEntry all{0xFF'FFFF'FFFC, (1u << 21) - 1, GpLevel::MAIN, GpSync::WAIT,
                        GpFetch::CONDITIONAL};
  ASSERT_TRUE(encode_gpfifo_entry(all, e).ok());
  EXPECT_EQ(e, 0xFFFFFCFFFFFFFFFDull);
  EXPECT_EQ(*decode_gpfifo_entry(e), all);

  uint64_t keep = 0x5A5A;
  EXPECT_EQ(encode_gpfifo_entry({0x1002, 1}, keep).fail, EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_gpfifo_entry({uint64_t{1} << 40, 1}, keep).fail, EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_gpfifo_entry({0x1000, 1u << 21}, keep).fail, EncodeFail::kDoesNotFit);
  EXPECT_EQ(encode_gpfifo_entry({0x1000, 0}, keep).fail, EncodeFail::kInvalid);
  EXPECT_EQ(keep, 0x5A5Au);
  Result<GpfifoEntry> bad = decode_gpfifo_entry(uint64_t{3} << 32, 7);  // LENGTH 0, OPCODE 3
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "GPFIFO entry 7: invalid input: LENGTH 0: a control entry (GP_ENTRY1_OPCODE 3), which "
            "is not described (entry 0x300000000)");
  bad = decode_gpfifo_entry((uint64_t{1} << 42) | (uint64_t{1} << 40), 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "GPFIFO entry 1: invalid input: reserved bits 0x00000100 of dword 1 are set (no field "
            "covers them) (entry 0x50000000000)");
  EXPECT_FALSE(decode_gpfifo_entry((uint64_t{1} << 42) | 2).ok());  // bit 1
}

TEST(NvPackets, SubmitWritesTheRingThenGpPutThenTheDoorbell) {
  alignas(64) std::array<uint32_t, kUserdBytes / 4> userd{};
  alignas(64) std::array<uint32_t, kUsermodeBytes / 4> usermode{};
  std::array<uint64_t, 4> ring{};
  uint32_t* doorbell = &usermode[NVC361_NOTIFY_CHANNEL_PENDING / 4];
  uint64_t e = 0;
  ASSERT_TRUE(encode_gpfifo_entry({0x1000, 8}, e).ok());
  uint32_t put = 3;
  put = submit_gpfifo(ring, put, e, userd.data(), doorbell, 0xABCD);
  EXPECT_EQ(put, 0u);  // wrapped
  EXPECT_EQ(ring[3], e);
  EXPECT_EQ(userd[kUserdGpPutOffset / 4], 0u);
  EXPECT_EQ(usermode[0x90 / 4], 0xABCDu);
  put = submit_gpfifo(ring, put, e + 4, userd.data(), doorbell, 0xABCE);
  EXPECT_EQ(put, 1u);
  EXPECT_EQ(read_gp_put(userd.data()), 1u);
  EXPECT_EQ(userd[0x8C / 4], 1u);
  EXPECT_EQ(*doorbell, 0xABCEu);
  userd[0x88 / 4] = 1;  // the GPU's GP_GET
  EXPECT_EQ(read_gp_get(userd.data()), 1u);
}

// ---------------------------------------------------------------------------------------------
// Decoding

std::string decode_error(std::span<const uint32_t> pb, ChannelState st, uint32_t base = 0) {
  Result<std::vector<MethodWrite>> d = decode_pushbuffer(pb, st, base);
  return d.ok() ? "" : d.error().message();
}

TEST(NvPackets, MalformedStreamsAreRejectedWithTheirOffset) {
  const ChannelState st{HOPPER_CHANNEL_GPFIFO_A, {0, HOPPER_COMPUTE_A}};
  // count 5 with 3 data words left
  const uint32_t past[] = {method_header(SecOp::INC_METHOD, 1, NVC6C0_SEND_PCAS_A, 1),
                           0x10,
                           method_header(SecOp::INC_METHOD, 0, NVC56F_SEM_ADDR_LO, 5),
                           1,
                           2,
                           3};
  EXPECT_EQ(decode_error(past, st, 0x100),
            "pushbuffer header at dword 258: invalid input: count 5 runs past the end of the "
            "pushbuffer: 3 data dwords are left (header 0x20050017)");
  const uint32_t grp0[] = {0x00000000};
  EXPECT_EQ(decode_error(grp0, st),
            "pushbuffer header at dword 0: invalid input: SEC_OP GRP0_USE_TERT (0) is not "
            "described (header 0x00000000)");
  const uint32_t grp2[] = {0x40010100 | 0x2B4 >> 2};
  EXPECT_NE(decode_error(grp2, st).find("SEC_OP GRP2_USE_TERT (2) is not described"),
            std::string::npos);
  const uint32_t res6[] = {0xC0010000};
  EXPECT_NE(decode_error(res6, st).find("SEC_OP RESERVED6 (6)"), std::string::npos);
  const uint32_t bit12[] = {method_header(SecOp::INC_METHOD, 1, NVC6C0_SEND_PCAS_A, 1) | 0x1000,
                            0x10};
  EXPECT_EQ(decode_error(bit12, st),
            "pushbuffer header at dword 0: invalid input: reserved bit 12 is set (header "
            "0x200130ad)");
  const uint32_t end[] = {0xE0000001};
  EXPECT_NE(decode_error(end, st).find("END_PB_SEGMENT with other bits set"), std::string::npos);
  // A method on a subchannel with nothing bound, at the data word's offset.
  const uint32_t unbound[] = {method_header(SecOp::NON_INC_METHOD, 3, NVC6C0_LOAD_INLINE_DATA, 2),
                              1, 2};
  EXPECT_EQ(decode_error(unbound, st, 0x20),
            "pushbuffer method 0x1b4 at dword 33: invalid input: subchannel 3 has no class bound "
            "(SET_OBJECT first)");
  const uint32_t setobj[] = {method_header(SecOp::INC_METHOD, 2, 0, 1), 0x1234};
  EXPECT_EQ(decode_error(setobj, st),
            "pushbuffer method 0x0 at dword 1: invalid input: SET_OBJECT of class 0x1234 on "
            "subchannel 2: not a described compute or copy class");
  // SEM_EXECUTE with OPERATION 7 (not in the table) and with bit 13 (in no field).
  const uint32_t op7[] = {method_header(SecOp::INC_METHOD, 0, NVC56F_SEM_EXECUTE, 1), 7};
  EXPECT_EQ(decode_error(op7, st),
            "pushbuffer HOPPER_CHANNEL_GPFIFO_A.SEM_EXECUTE at dword 1: invalid input: operation=7 "
            "is not a valid value (ACQUIRE, RELEASE, ACQ_STRICT_GEQ, ACQ_CIRC_GEQ, ACQ_AND, "
            "ACQ_NOR, REDUCTION) (data 0x00000007)");
  const uint32_t bit13[] = {method_header(SecOp::INC_METHOD, 0, NVC56F_SEM_EXECUTE, 1), 1u << 13};
  EXPECT_EQ(decode_error(bit13, st),
            "pushbuffer HOPPER_CHANNEL_GPFIFO_A.SEM_EXECUTE at dword 1: invalid input: reserved "
            "bits 0x00002000 of dword 0 are set (no field covers them) (data 0x00002000)");
  // Host methods need the channel's host class.
  const uint32_t wfi[] = {method_header(SecOp::INC_METHOD, 0, NVC56F_WFI, 1), 1};
  EXPECT_NE(decode_error(wfi, ChannelState{}).find("no host class"), std::string::npos);
  EXPECT_EQ(decode_error(wfi, st), "");
  // decode_entry past the end.
  EXPECT_FALSE(decode_entry(wfi, 2).ok());
}

TEST(NvPackets, DisassemblesALaunchStream) {
  std::array<uint32_t, 64> buf{};
  Pushbuffer pb(buf);
  pb.append(encode_set_object(pb.free_space(), kSubchCompute, HOPPER_COMPUTE_A));
  pb.append(encode_host_semaphore(pb.free_space(), HOPPER_CHANNEL_GPFIFO_A,
                                  host_semaphore_acquire(0x10'0000'1000, 5)));
  pb.append(encode_send_pcas(pb.free_space(), HOPPER_COMPUTE_A, 0x1000'2000,
                             PcasAction::INVALIDATE_COPY_SCHEDULE));
  pb.append(encode_host_semaphore(pb.free_space(), HOPPER_CHANNEL_GPFIFO_A,
                                  host_semaphore_release(0x10'0000'1000, 6)));
  pb.immd(kSubchCompute, NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 0x1011);
  const std::array<uint32_t, 2> inl{0xA, 0xB};
  pb.non_inc(kSubchCompute, NVC6C0_LOAD_INLINE_DATA, inl);
  pb.inc(kSubchCompute, 0x3000, {7});
  pb.end_pb_segment();
  ASSERT_TRUE(pb.ok()) << why(pb.result());
  ASSERT_EQ(pb.size(), 27u);
  const ChannelState st{HOPPER_CHANNEL_GPFIFO_A, {}};
  EXPECT_EQ(
      disassemble_pushbuffer(pb.written(), st),
      "0x0001: subch 1 HOPPER_COMPUTE_A.SET_OBJECT{class_id=HOPPER_COMPUTE_A, engine_id=0x0}\n"
      "0x0003: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_ADDR_LO{offset=0x1000}\n"
      "0x0004: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_ADDR_HI{offset=0x10}\n"
      "0x0005: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_PAYLOAD_LO{payload=0x5}\n"
      "0x0006: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_PAYLOAD_HI{payload=0x0}\n"
      "0x0007: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_EXECUTE{operation=ACQ_CIRC_GEQ, "
      "payload_size=64BIT}\n"
      "0x0009: subch 1 HOPPER_COMPUTE_A.SEND_PCAS_A{qmd_address_shifted8=0x100020}\n"
      "0x000b: subch 1 HOPPER_COMPUTE_A.SEND_SIGNALING_PCAS2_B{pcas_action=INVALIDATE_COPY_"
      "SCHEDULE}\n"
      "0x000d: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_ADDR_LO{offset=0x1000}\n"
      "0x000e: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_ADDR_HI{offset=0x10}\n"
      "0x000f: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_PAYLOAD_LO{payload=0x6}\n"
      "0x0010: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_PAYLOAD_HI{payload=0x0}\n"
      "0x0011: subch 0 HOPPER_CHANNEL_GPFIFO_A.SEM_EXECUTE{operation=RELEASE, release_wfi=1, "
      "payload_size=64BIT, release_timestamp=1}\n"
      "0x0013: subch 0 HOPPER_CHANNEL_GPFIFO_A.NON_STALL_INTERRUPT{handle=0x0}\n"
      "0x0014: subch 1 HOPPER_COMPUTE_A.INVALIDATE_SHADER_CACHES_NO_WFI{instruction=1, "
      "global_data=1, constant=1} [IMMD]\n"
      "0x0016: subch 1 HOPPER_COMPUTE_A.LOAD_INLINE_DATA{v=0xa} [NON_INC]\n"
      "0x0017: subch 1 HOPPER_COMPUTE_A.LOAD_INLINE_DATA{v=0xb} [NON_INC]\n"
      "0x0019: subch 1 HOPPER_COMPUTE_A.METHOD_0x3000{data=0x7}\n"
      "0x001a: END_PB_SEGMENT\n");
  // The walk gives the same writes; a malformed word ends the text with the error.
  ChannelState st2 = st;
  Result<std::vector<MethodWrite>> w = decode_pushbuffer(pb.written(), st2);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w->size(), 18u);
  EXPECT_EQ(st2.subchannel_class[1], HOPPER_COMPUTE_A);
  EXPECT_EQ((*w)[6].name(), "HOPPER_COMPUTE_A.SEND_PCAS_A");
  EXPECT_EQ((*w)[6].field("qmd_address_shifted8"), 0x100020u);
  buf[26] = 0;
  const std::string text = disassemble_pushbuffer(std::span(buf).first(27), st);
  EXPECT_EQ(text.substr(text.find("0x001a:")),
            "0x001a: error: pushbuffer header at dword 26: invalid input: SEC_OP GRP0_USE_TERT (0) "
            "is not described (header 0x00000000)\n");
  // Array methods print their index; copy SET_OBJECT is described by the host class.
  std::array<uint32_t, 16> cb{};
  Pushbuffer copy(cb);
  copy.append(encode_set_object(copy.free_space(), kSubchCopy, HOPPER_DMA_COPY_A));
  copy.inc(kSubchCopy, NVC6B5_LAUNCH_DMA, {0x182});
  copy.inc(kSubchCompute, NVC6C0_LOAD_INLINE_QMD_DATA(95), {0x42});
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(
      disassemble_pushbuffer(copy.written(), {HOPPER_CHANNEL_GPFIFO_A, {0, ADA_COMPUTE_A}}, 0x40),
      "0x0041: subch 4 HOPPER_CHANNEL_GPFIFO_A.SET_OBJECT{nvclass=HOPPER_DMA_COPY_A, "
      "engine=0x0}\n"
      "0x0043: subch 4 HOPPER_DMA_COPY_A.LAUNCH_DMA{data_transfer_type=NON_PIPELINED, "
      "src_memory_layout=PITCH, dst_memory_layout=PITCH}\n"
      "0x0045: subch 1 ADA_COMPUTE_A.METHOD_0x049c{data=0x42}\n");
}

// ---------------------------------------------------------------------------------------------
// QMD

TEST(NvQmd, TablesAreWellFormedAndCoverTheirSize) {
  for (QmdVersion v : kVersions) {
    SCOPED_TRACE(qmd_version_name(v));
    const std::span<const QmdField> rows = qmd_fields(v);
    const rawgpu::core::PacketLayout& layout = qmd_layout(v);
    EXPECT_EQ(layout.fixed_dwords, qmd_dwords(v));
    ASSERT_EQ(layout.fields.size(), rows.size());
    std::set<std::string> names;
    uint32_t last = 0;
    std::vector<uint32_t> covered(qmd_dwords(v), 0);
    for (size_t i = 0; i < rows.size(); ++i) {
      const BitField& f = rows[i].bits;
      EXPECT_TRUE(names.insert(f.name).second) << f.name;
      EXPECT_TRUE(rawgpu::core::field_well_formed(f)) << f.name;
      EXPECT_LE(f.hi, 31) << f.name;
      EXPECT_LT(f.dword, qmd_dwords(v)) << f.name;
      const uint32_t at = f.dword * 32u + f.lo;
      EXPECT_TRUE(i == 0 || at > last) << f.name << " out of bit order";
      last = at;
      const uint32_t bits = rawgpu::core::covered_bits(std::span(&f, 1), f.dword);
      EXPECT_EQ(covered[f.dword] & bits, 0u) << f.name << " overlaps";
      covered[f.dword] |= bits;
      EXPECT_EQ(layout.fields[i].name, f.name);
    }
  }
  EXPECT_EQ(qmd_dwords(QmdVersion::V03_00), 64u);  // 256 bytes (§5)
  EXPECT_EQ(qmd_dwords(QmdVersion::V04_00), 96u);  // 384 bytes (H§1.1)
  EXPECT_EQ(qmd_dwords(QmdVersion::V05_00), 96u);  // 384 bytes (§5)
}

const QmdField* row(QmdVersion v, std::string_view name) {
  for (const QmdField& f : qmd_fields(v)) {
    if (name == f.bits.name) return &f;
  }
  return nullptr;
}
// MW(hi:lo) of a row.
std::pair<uint32_t, uint32_t> mw(QmdVersion v, std::string_view name) {
  const QmdField* f = row(v, name);
  if (f == nullptr) return {0, 0};
  return {f->bits.dword * 32u + f->bits.hi, f->bits.dword * 32u + f->bits.lo};
}
using MW = std::pair<uint32_t, uint32_t>;

// The positions the fact sheet lists (§5 table, H§1.2–§1.7), checked against the header rows.
TEST(NvQmd, RowsAgreeWithTheFactSheet) {
  constexpr auto V3 = QmdVersion::V03_00;
  constexpr auto V4 = QmdVersion::V04_00;
  constexpr auto V5 = QmdVersion::V05_00;
  EXPECT_EQ(mw(V3, "QMD_MAJOR_VERSION"), MW(583, 580));
  EXPECT_EQ(mw(V4, "QMD_MAJOR_VERSION"), MW(583, 580));
  EXPECT_EQ(mw(V5, "QMD_MAJOR_VERSION"), MW(471, 468));
  EXPECT_EQ(mw(V5, "QMD_TYPE"), MW(153, 151));
  EXPECT_EQ(mw(V4, "QMD_TYPE"), MW(25, 23));
  EXPECT_EQ(mw(V3, "QMD_GROUP_ID"), MW(133, 128));
  EXPECT_EQ(mw(V5, "QMD_GROUP_ID"), MW(149, 144));
  EXPECT_EQ(mw(V3, "SM_GLOBAL_CACHING_ENABLE"), MW(134, 134));
  EXPECT_EQ(row(V4, "SM_GLOBAL_CACHING_ENABLE"), nullptr);
  EXPECT_EQ(mw(V3, "INVALIDATE_SHADER_DATA_CACHE"), MW(189, 189));
  EXPECT_EQ(mw(V5, "INVALIDATE_TEXTURE_HEADER_CACHE"), MW(472, 472));
  EXPECT_EQ(mw(V4, "INVALIDATE_TEXTURE_HEADER_CACHE"), MW(602, 602));
  EXPECT_EQ(mw(V3, "CWD_MEMBAR_TYPE"), MW(369, 368));
  EXPECT_EQ(mw(V4, "CWD_MEMBAR_TYPE"), MW(1137, 1136));
  EXPECT_EQ(mw(V5, "CWD_MEMBAR_TYPE"), MW(625, 624));
  EXPECT_EQ(mw(V3, "API_VISIBLE_CALL_LIMIT"), MW(378, 378));
  EXPECT_EQ(mw(V5, "SAMPLER_INDEX"), MW(457, 457));
  EXPECT_EQ(mw(V3, "SASS_VERSION"), MW(1663, 1656));
  EXPECT_EQ(mw(V4, "SASS_VERSION"), MW(543, 536));
  EXPECT_EQ(mw(V5, "SASS_VERSION"), MW(455, 448));
  EXPECT_EQ(mw(V3, "PROGRAM_ADDRESS_UPPER"), MW(1584, 1568));
  EXPECT_EQ(mw(V4, "PROGRAM_ADDRESS_UPPER"), MW(1272, 1248));
  EXPECT_EQ(mw(V5, "PROGRAM_ADDRESS_UPPER_SHIFTED4"), MW(1076, 1056));
  EXPECT_EQ(mw(V3, "PROGRAM_PREFETCH_ADDR_UPPER_SHIFTED"), MW(1640, 1632));
  EXPECT_EQ(mw(V5, "PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED"), MW(1919, 1888));
  EXPECT_EQ(mw(V3, "PROGRAM_PREFETCH_SIZE"), MW(1649, 1641));
  EXPECT_EQ(mw(V4, "PROGRAM_PREFETCH_SIZE"), MW(1401, 1393));
  EXPECT_EQ(mw(V3, "REGISTER_COUNT_V"), MW(656, 648));
  EXPECT_EQ(mw(V5, "REGISTER_COUNT"), MW(1136, 1128));
  EXPECT_EQ(mw(V3, "BARRIER_COUNT"), MW(767, 763));
  EXPECT_EQ(mw(V4, "BARRIER_COUNT"), MW(1215, 1211));
  EXPECT_EQ(mw(V3, "SHARED_MEMORY_SIZE"), MW(561, 544));
  EXPECT_EQ(mw(V4, "SHARED_MEMORY_SIZE"), MW(601, 584));
  EXPECT_EQ(mw(V5, "SHARED_MEMORY_SIZE_SHIFTED7"), MW(1162, 1152));
  EXPECT_EQ(mw(V3, "MIN_SM_CONFIG_SHARED_MEM_SIZE"), MW(567, 562));
  EXPECT_EQ(mw(V3, "TARGET_SM_CONFIG_SHARED_MEM_SIZE"), MW(662, 657));
  EXPECT_EQ(mw(V4, "MAX_SM_CONFIG_SHARED_MEM_SIZE"), MW(619, 614));
  EXPECT_EQ(mw(V5, "TARGET_SM_CONFIG_SHARED_MEM_SIZE"), MW(1180, 1175));
  EXPECT_EQ(mw(V3, "SHADER_LOCAL_MEMORY_HIGH_SIZE"), MW(1623, 1600));
  EXPECT_EQ(mw(V4, "SHADER_LOCAL_MEMORY_HIGH_SIZE"), MW(567, 544));
  EXPECT_EQ(mw(V5, "SHADER_LOCAL_MEMORY_HIGH_SIZE_SHIFTED4"), MW(1215, 1200));
  EXPECT_EQ(mw(V3, "CTA_RASTER_WIDTH"), MW(415, 384));
  EXPECT_EQ(mw(V3, "CTA_RASTER_DEPTH"), MW(463, 448));
  EXPECT_EQ(mw(V4, "GRID_HEIGHT"), MW(1071, 1056));
  EXPECT_EQ(mw(V5, "GRID_WIDTH"), MW(1279, 1248));
  EXPECT_EQ(mw(V3, "CTA_THREAD_DIMENSION2"), MW(639, 624));
  EXPECT_EQ(mw(V4, "CTA_THREAD_DIMENSION0"), MW(1167, 1152));
  EXPECT_EQ(mw(V5, "CTA_THREAD_DIMENSION2"), MW(1127, 1120));
  EXPECT_EQ(mw(V3, "CONSTANT_BUFFER_VALID(7)"), MW(647, 647));
  EXPECT_EQ(mw(V3, "CONSTANT_BUFFER_INVALIDATE(1)"), MW(1074 + 64, 1074 + 64));
  EXPECT_EQ(mw(V3, "CONSTANT_BUFFER_ADDR_UPPER(2)"), MW(1072 + 128, 1056 + 128));
  EXPECT_EQ(mw(V3, "CONSTANT_BUFFER_SIZE_SHIFTED4(3)"), MW(1087 + 192, 1075 + 192));
  EXPECT_EQ(mw(V4, "CONSTANT_BUFFER_VALID(5)"), MW(436, 436));
  EXPECT_EQ(mw(V4, "CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(1)"), MW(1567 + 64, 1536 + 64));
  EXPECT_EQ(mw(V4, "CONSTANT_BUFFER_SIZE_SHIFTED4(7)"), MW(1599 + 448, 1587 + 448));
  EXPECT_EQ(mw(V5, "CONSTANT_BUFFER_VALID(2)"), MW(1864, 1864));
  EXPECT_EQ(mw(V5, "CONSTANT_BUFFER_INVALIDATE(0)"), MW(1859, 1859));
  EXPECT_EQ(mw(V5, "CONSTANT_BUFFER_ADDR_UPPER_SHIFTED6(0)"), MW(1394, 1376));
  EXPECT_EQ(mw(V3, "RELEASE0_ENABLE"), MW(823, 823));
  EXPECT_EQ(mw(V3, "RELEASE1_ENABLE"), MW(951, 951));
  EXPECT_EQ(mw(V3, "RELEASE0_ADDRESS_UPPER"), MW(807, 800));
  EXPECT_EQ(mw(V3, "RELEASE1_PAYLOAD_UPPER"), MW(1023, 992));
  EXPECT_EQ(mw(V3, "RELEASE0_STRUCTURE_SIZE"), MW(831, 830));
  EXPECT_EQ(mw(V3, "RELEASE0_PAYLOAD64B"), MW(829, 829));
  EXPECT_EQ(mw(V3, "RELEASE0_MEMBAR_TYPE"), MW(819, 819));
  EXPECT_EQ(mw(V4, "RELEASE_ENABLE(0)"), MW(320, 320));
  EXPECT_EQ(mw(V4, "RELEASE_ENABLE(2)"), MW(352, 352));
  EXPECT_EQ(mw(V4, "RELEASE_PAYLOAD64B(1)"), MW(348, 348));
  EXPECT_EQ(mw(V4, "RELEASE_REDUCTION_FORMAT(0)"), MW(329, 328));
  EXPECT_EQ(mw(V4, "RELEASE_SEMAPHORE0_ADDR_UPPER"), MW(696, 672));
  EXPECT_EQ(mw(V4, "RELEASE_SEMAPHORE2_PAYLOAD_LOWER"), MW(991, 960));
  EXPECT_EQ(mw(V5, "RELEASE_ENABLE(0)"), MW(288, 288));
  EXPECT_EQ(mw(V5, "RELEASE_ENABLE(1)"), MW(304, 304));
  EXPECT_EQ(mw(V5, "RELEASE_STRUCTURE_SIZE(0)"), MW(290, 289));
  EXPECT_EQ(mw(V5, "RELEASE_PAYLOAD64B(0)"), MW(300, 300));
  EXPECT_EQ(mw(V5, "RELEASE_SEMAPHORE0_ADDR_LOWER"), MW(511, 480));
  EXPECT_EQ(mw(V5, "RELEASE_SEMAPHORE1_ADDR_UPPER"), MW(824, 800));
  EXPECT_EQ(mw(V5, "RELEASE_SEMAPHORE0_PAYLOAD_UPPER"), MW(607, 576));
  EXPECT_EQ(mw(V3, "DEPENDENT_QMD0_ENABLE"), MW(512, 512));
  EXPECT_EQ(mw(V3, "DEPENDENT_QMD0_ACTION"), MW(515, 513));
  EXPECT_EQ(mw(V3, "DEPENDENT_QMD0_POINTER"), MW(511, 480));
  EXPECT_EQ(mw(V4, "DEPENDENT_QMD_ENABLE(0)"), MW(368, 368));
  EXPECT_EQ(mw(V4, "DEPENDENT_QMD_PREFETCH(1)"), MW(377, 377));
  EXPECT_EQ(mw(V4, "DEPENDENT_QMD0_POINTER"), MW(479, 448));
  EXPECT_EQ(mw(V5, "DEPENDENT_QMD0_ENABLE"), MW(336, 336));
  EXPECT_EQ(mw(V5, "DEPENDENT_QMD0_PREFETCH"), MW(340, 340));
  EXPECT_EQ(mw(V5, "DEPENDENT_QMD1_POINTER"), MW(447, 416));
  EXPECT_EQ(mw(V4, "GPC_CGA_WIDTH"), MW(2149, 2144));
  EXPECT_EQ(mw(V4, "SYNC_DOMAIN_ID"), MW(1149, 1148));
  EXPECT_EQ(mw(V4, "TPC_DISABLE_MASK(0)"), MW(2463, 2432));
  EXPECT_EQ(mw(V4, "OUTER_STICKY_OVERFLOW"), MW(3071, 3071));
  EXPECT_EQ(mw(V5, "QMD_MINOR_VERSION"), MW(467, 464));
  EXPECT_EQ(mw(V5, "TPC_DISABLE_MASK(0)"), MW(2271, 2240));
  EXPECT_EQ(mw(V3, "QMD_VERSION"), MW(579, 576));
}

// nvidia-hopper.md §1.8: k_add on sm_90, every dword.
QmdParams hopper_example() {
  QmdParams p;  // GRID_CTA, group 0x3F, NO_CHECK, VIA_HEADER_INDEX, L1_SYSMEMBAR, 4 invalidates
  p.grid = {4096, 1, 1};
  p.block = {256, 1, 1};
  p.register_count = 18;
  p.barrier_count = 1;
  p.program_address = 0x20'0000'1000;
  p.program_prefetch_address = 0x20'0000'1000;
  p.program_prefetch_size = 0x280 >> 8;
  p.shared_memory_size = 0x400;
  p.min_sm_config_shared_mem_size = sm_config_shared_mem_code(8);     // 3
  p.max_sm_config_shared_mem_size = sm_config_shared_mem_code(228);   // 58
  p.target_sm_config_shared_mem_size = sm_config_shared_mem_code(8);  // 3
  p.shader_local_memory_high_size = 0x240;
  p.sass_version = 0x90;
  p.constant_buffer[0] = {true, true, 0x10'0000'2000, 0x240};
  p.release[0].enable = true;
  p.release[0].address = 0x10'0000'0040;
  p.release[0].payload = 7;
  p.release[0].membar_type = ReleaseMembarType::FE_SYSMEMBAR;
  return p;
}

TEST(NvQmd, HopperWorkedExampleIsBitExact) {
  std::array<uint32_t, 96> want{};
  want[0] = 0x013F0000;
  want[10] = 0x00000009;
  want[13] = 0x00000009;
  want[16] = 0x90000000;
  want[17] = 0x03000240;
  want[18] = 0x3C040040;
  want[19] = 0x00003E83;
  want[20] = 0x00000040;
  want[21] = 0x00000010;
  want[22] = 0x00000007;
  want[32] = 0x00001000;
  want[33] = 0x00000001;
  want[34] = 0x00000001;
  want[35] = 0x00010000;
  want[36] = 0x00010100;
  want[37] = 0x08120001;
  want[38] = 0x00001000;
  want[39] = 0x00000020;
  want[42] = 0x20000010;
  want[43] = 0x00040000;
  want[48] = 0x40000080;
  want[49] = 0x01200000;
  std::array<uint32_t, 96> qmd;
  qmd.fill(0xCDCDCDCD);
  const EncodeResult r = encode_qmd(qmd, QmdVersion::V04_00, hopper_example());
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(r.dwords, 96u);
  for (size_t i = 0; i < 96; ++i) EXPECT_EQ(qmd[i], want[i]) << "dword " << i;
  Result<QmdParams> back = decode_qmd(qmd, QmdVersion::V04_00);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, hopper_example());
  EXPECT_EQ(format_qmd(qmd, QmdVersion::V04_00),
            "QMD_V04_00{QMD_GROUP_ID=0x3f, QMD_TYPE=GRID_CTA, RELEASE_ENABLE(0)=1, "
            "RELEASE_MEMBAR_TYPE(0)=FE_SYSMEMBAR, CONSTANT_BUFFER_VALID(0)=1, "
            "CONSTANT_BUFFER_INVALIDATE(0)=1, SASS_VERSION=0x90, "
            "SHADER_LOCAL_MEMORY_HIGH_SIZE=576, API_VISIBLE_CALL_LIMIT=NO_CHECK, "
            "SAMPLER_INDEX=VIA_HEADER_INDEX, QMD_MAJOR_VERSION=0x4, SHARED_MEMORY_SIZE=1024, "
            "INVALIDATE_TEXTURE_HEADER_CACHE=1, INVALIDATE_TEXTURE_SAMPLER_CACHE=1, "
            "INVALIDATE_TEXTURE_DATA_CACHE=1, INVALIDATE_SHADER_DATA_CACHE=1, "
            "MIN_SM_CONFIG_SHARED_MEM_SIZE=3, MAX_SM_CONFIG_SHARED_MEM_SIZE=58, "
            "TARGET_SM_CONFIG_SHARED_MEM_SIZE=3, RELEASE_SEMAPHORE0_ADDR_LOWER=0x40, "
            "RELEASE_SEMAPHORE0_ADDR_UPPER=0x10, RELEASE_SEMAPHORE0_PAYLOAD_LOWER=7, "
            "GRID_WIDTH=4096, GRID_HEIGHT=1, GRID_DEPTH=1, CWD_MEMBAR_TYPE=L1_SYSMEMBAR, "
            "CTA_THREAD_DIMENSION0=256, CTA_THREAD_DIMENSION1=1, CTA_THREAD_DIMENSION2=1, "
            "REGISTER_COUNT=18, BARRIER_COUNT=1, PROGRAM_ADDRESS_LOWER=0x1000, "
            "PROGRAM_ADDRESS_UPPER=0x20, PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED=0x20000010, "
            "PROGRAM_PREFETCH_SIZE=2, CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0)=0x40000080, "
            "CONSTANT_BUFFER_SIZE_SHIFTED4(0)=36}");
}

// The same launch in tinygrad's V03_00 layout (nvidia.md §5): spot checks of the dwords TG writes.
TEST(NvQmd, AmpereV3LaunchPutsFieldsWhereTinygradDoes) {
  QmdParams p = hopper_example();
  p.sass_version = 0x86;
  p.max_sm_config_shared_mem_size = 0x1A;
  p.sm_global_caching_enable = true;
  p.constant_buffer[0].address = 0x10'0000'2040;  // bytes: no 64-byte rule on V03_00
  std::array<uint32_t, 64> qmd{};
  const EncodeResult r = encode_qmd(qmd, QmdVersion::V03_00, p);
  ASSERT_TRUE(r.ok()) << why(r);
  EXPECT_EQ(qmd[4], 0x3Fu | (1u << 6));  // QMD_GROUP_ID, SM_GLOBAL_CACHING_ENABLE
  EXPECT_EQ(qmd[5], 0xFu << 26);         // INVALIDATE_TEXTURE_HEADER .. SHADER_DATA (186..189)
  EXPECT_EQ(qmd[12], 4096u);             // CTA_RASTER_WIDTH (TG: dwords 12/13/14)
  EXPECT_EQ(qmd[13], 1u);
  EXPECT_EQ(qmd[14], 1u);
  EXPECT_EQ(qmd[18] >> 4 & 0xF, 3u);                    // QMD_MAJOR_VERSION
  EXPECT_EQ(qmd[18] >> 16, 256u);                       // CTA_THREAD_DIMENSION0
  EXPECT_EQ(qmd[20] & 1, 1u);                           // CONSTANT_BUFFER_VALID(0)
  EXPECT_EQ(qmd[24], 0x40u);                            // RELEASE0_ADDRESS_LOWER
  EXPECT_EQ(qmd[25], 0x10u | (1u << 23) | (1u << 19));  // ADDRESS_UPPER, ENABLE, MEMBAR_TYPE
  EXPECT_EQ(qmd[26], 7u);                               // RELEASE0_PAYLOAD_LOWER
  EXPECT_EQ(qmd[32], 0x2040u);                          // CONSTANT_BUFFER_ADDR_LOWER(0)
  EXPECT_EQ(qmd[33], 0x10u | (1u << 18) | ((0x240u >> 4) << 19));
  EXPECT_EQ(qmd[48], 0x1000u);      // PROGRAM_ADDRESS_LOWER
  EXPECT_EQ(qmd[49], 0x20u);        // PROGRAM_ADDRESS_UPPER
  EXPECT_EQ(qmd[51] >> 24, 0x86u);  // SASS_VERSION
  EXPECT_EQ(qmd[8], 0x20000010u);   // PROGRAM_PREFETCH_ADDR_LOWER_SHIFTED
  Result<QmdParams> back = decode_qmd(qmd, QmdVersion::V03_00);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, p);
}

// A value that exercises every bit of member (key, slot) in version v.
uint64_t member_max(QmdVersion v, QmdKey key, uint8_t slot) {
  uint32_t lo = 64, end = 0;
  for (const QmdField& f : qmd_fields(v)) {
    if (f.key != key || f.slot != slot) continue;
    if (f.bits.kind == FieldKind::kEnum) return max_value(f.bits);
    lo = std::min<uint32_t>(lo, f.value_shift);
    end = std::max<uint32_t>(end, f.value_shift + rawgpu::core::field_width(f.bits));
  }
  const uint64_t top = end >= 64 ? ~uint64_t{0} : (uint64_t{1} << end) - 1;
  return top & ~((uint64_t{1} << lo) - 1);
}

TEST(NvQmd, EveryMappedFieldRoundTripsOnEveryVersion) {
  for (QmdVersion v : kVersions) {
    SCOPED_TRACE(qmd_version_name(v));
    const uint32_t n = qmd_dwords(v);
    std::vector<uint32_t> base(n);
    ASSERT_TRUE(encode_qmd(base, v, QmdParams{}).ok());
    std::vector<uint32_t> all = base;
    size_t members = 0;
    std::set<std::pair<QmdKey, uint8_t>> seen;
    for (const QmdField& f : qmd_fields(v)) {
      if (f.key == QmdKey::kNone || f.key == QmdKey::kMajorVersion ||
          f.key == QmdKey::kMinorVersion || !seen.insert({f.key, f.slot}).second) {
        continue;
      }
      ++members;
      const uint64_t value = f.key == QmdKey::kQmdType && v == QmdVersion::V03_00
                                 ? uint64_t{0}  // IS_QUEUE: QUEUE
                                 : member_max(v, f.key, f.slot);
      // One member at its largest value on top of the default QMD …
      std::vector<uint32_t> one = base;
      EncodeResult r = set_qmd_value(one, v, f.key, f.slot, value);
      ASSERT_TRUE(r.ok()) << f.bits.name << ": " << why(r);
      Result<QmdParams> p1 = decode_qmd(one, v);
      ASSERT_TRUE(p1.ok()) << f.bits.name << ": " << p1.error().message();
      // … re-encodes to the same dwords (so the member came back with the same value) …
      std::vector<uint32_t> again(n);
      r = encode_qmd(again, v, *p1);
      ASSERT_TRUE(r.ok()) << f.bits.name << ": " << why(r);
      EXPECT_EQ(again, one) << f.bits.name;
      // The member's rows hold its bits: every row of it is non-zero.
      for (const QmdField& g : qmd_fields(v)) {
        if (g.key == f.key && g.slot == f.slot) {
          EXPECT_NE(rawgpu::core::get_raw(one, g.bits), 0u) << g.bits.name;
        }
      }
      // … and every member at once.
      ASSERT_TRUE(set_qmd_value(all, v, f.key, f.slot, value).ok()) << f.bits.name;
    }
    Result<QmdParams> p = decode_qmd(all, v);
    ASSERT_TRUE(p.ok()) << p.error().message();
    std::vector<uint32_t> again(n);
    ASSERT_TRUE(encode_qmd(again, v, *p).ok());
    EXPECT_EQ(again, all);
    Result<QmdParams> p2 = decode_qmd(again, v);
    ASSERT_TRUE(p2.ok());
    EXPECT_EQ(*p2, *p);
    EXPECT_GE(members, 75u);
  }
}

TEST(NvQmd, EveryMemberRoundTripsThroughQmdParams) {
  // Distinct, valid values in every member the neutral struct has; each version keeps what it
  // can hold and gives it back unchanged.
  QmdParams p;
  p.qmd_type = QmdType::GRID_CTA;
  p.qmd_group_id = 0x2A;
  p.grid = {0x12345, 0x1234, 0x234};
  p.block = {0x321, 0x21, 0x3};
  p.register_count = 0x1FF;
  p.barrier_count = 0x1F;
  p.program_address = 0x1'2345'6780;
  p.program_prefetch_address = 0x1'2345'6700;
  p.program_prefetch_size = 0x1FF;
  p.program_prefetch_type = ProgramPrefetchType::PREFTECH_POST;
  p.shared_memory_size = 0x3'0000 - 0x80;
  p.min_sm_config_shared_mem_size = 9;
  p.max_sm_config_shared_mem_size = 58;
  p.target_sm_config_shared_mem_size = 17;
  p.shared_allocation_enable = true;
  p.shader_local_memory_low_size = 0x1230;
  p.shader_local_memory_high_size = 0x640;
  p.sass_version = 0x90;
  p.api_visible_call_limit = ApiVisibleCallLimit::LIMIT_32;
  p.sampler_index = SamplerIndex::INDEPENDENTLY;
  p.cwd_membar_type = CwdMembarType::L1_MEMBAR;
  p.invalidate_instruction_cache = true;
  p.invalidate_shader_constant_cache = true;
  p.invalidate_texture_sampler_cache = false;
  for (uint8_t i = 0; i < 8; ++i) {
    p.constant_buffer[i] = {i % 2 == 0, i % 3 == 0, uint64_t{0x10'0000'0000} + 0x1000u * i,
                            0x100u * (i + 1)};
  }
  for (uint8_t i = 0; i < 3; ++i) {
    QmdRelease& r = p.release[i];
    r.enable = true;
    r.address = 0x20'0000'0000 + 0x10u * i;
    r.payload = 0x1'0000'0000 + i;
    r.structure_size = ReleaseStructureSize::SEMAPHORE_ONE_WORD;
    r.membar_type = ReleaseMembarType::FE_SYSMEMBAR;
    r.reduction_enable = i == 1;
    r.reduction_op = ReductionOp::RED_XOR;
    r.reduction_format = ReductionFormat::SIGNED;
    r.trap_type = ReleaseTrapType::TRAP_CONDITIONAL;
    r.payload64b = true;
  }
  p.dependent_qmd[0] = {true, DependentQmdAction::QMD_SCHEDULE, true, 0x12'3456'7800};
  p.dependent_qmd[1] = {true, DependentQmdAction::QMD_DECREMENT_DEPENDENCE, false, 0};
  for (QmdVersion v : kVersions) {
    SCOPED_TRACE(qmd_version_name(v));
    std::vector<uint32_t> qmd(qmd_dwords(v));
    const EncodeResult r = encode_qmd(qmd, v, p);
    ASSERT_TRUE(r.ok()) << why(r);
    Result<QmdParams> back = decode_qmd(qmd, v);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, p);
  }
  // V03_00 has IS_QUEUE, SM_GLOBAL_CACHING_ENABLE and no pointer for dependent QMD 1.
  QmdParams q3 = p;
  q3.qmd_type = QmdType::QUEUE;
  q3.sm_global_caching_enable = true;
  std::vector<uint32_t> qmd(64);
  ASSERT_TRUE(encode_qmd(qmd, QmdVersion::V03_00, q3).ok());
  EXPECT_EQ(*decode_qmd(qmd, QmdVersion::V03_00), q3);
  q3.dependent_qmd[1].qmd_address = 0x1000;
  EncodeResult r = encode_qmd(qmd, QmdVersion::V03_00, q3);
  EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
  EXPECT_EQ(why(r),
            "encode QMD V03_00: invalid input: dependent_qmd[].qmd_address=0x1000 cannot be "
            "encoded: the QMD version has no field for this member");
}

TEST(NvQmd, EncoderRefusesWhatDoesNotFitAndWritesNothing) {
  auto refuse = [](QmdVersion v, const QmdParams& p, EncodeFail f) {
    std::vector<uint32_t> qmd(qmd_dwords(v), 0xCDCDCDCD);
    const EncodeResult r = encode_qmd(qmd, v, p);
    EXPECT_EQ(r.fail, f) << why(r);
    EXPECT_TRUE(std::all_of(qmd.begin(), qmd.end(), [](uint32_t d) { return d == 0xCDCDCDCD; }));
    return why(r);
  };
  QmdParams p;
  p.constant_buffer[0].address = 0x1000'0020;  // V04_00: address >> 6
  EXPECT_EQ(refuse(QmdVersion::V04_00, p, EncodeFail::kInvalid),
            "encode QMD V04_00: invalid input: CONSTANT_BUFFER_ADDR_LOWER_SHIFTED6(0)=0x10000020: "
            "the field holds value >> 6: the value must be a multiple of 64");
  std::vector<uint32_t> ok(64);
  EXPECT_TRUE(encode_qmd(ok, QmdVersion::V03_00, p).ok());  // bytes on V03_00
  p = {};
  p.constant_buffer[2].size = 0x108;
  refuse(QmdVersion::V05_00, p, EncodeFail::kInvalid);  // SIZE_SHIFTED4
  p.constant_buffer[2].size = 0x2'0000;
  refuse(QmdVersion::V04_00, p, EncodeFail::kDoesNotFit);  // 13 bits of size >> 4
  p = {};
  p.grid[1] = 0x10000;
  EXPECT_EQ(refuse(QmdVersion::V04_00, p, EncodeFail::kDoesNotFit),
            "encode QMD V04_00: invalid input: value 0x10000 does not fit field GRID_HEIGHT "
            "(dword 33 bits 15:0)");
  p = {};
  p.block[2] = 256;  // 8 bits on V05_00, 16 before
  refuse(QmdVersion::V05_00, p, EncodeFail::kDoesNotFit);
  p = {};
  p.shared_memory_size = 0x440;  // V05_00: SHIFTED7
  refuse(QmdVersion::V05_00, p, EncodeFail::kInvalid);
  p = {};
  p.program_address = 0x1008;  // V05_00: SHIFTED4
  refuse(QmdVersion::V05_00, p, EncodeFail::kInvalid);
  p = {};
  p.qmd_type = QmdType::GRID_GPC_CGA;
  EXPECT_EQ(refuse(QmdVersion::V03_00, p, EncodeFail::kNotInGeneration),
            "encode QMD V03_00: invalid input: qmd_type=0x3 cannot be encoded: V03_00 has only "
            "IS_QUEUE: QUEUE or GRID_CTA");
  p = {};
  p.sm_global_caching_enable = true;
  refuse(QmdVersion::V04_00, p, EncodeFail::kNotInGeneration);
  p = {};
  p.release[1].address = uint64_t{1} << 40;  // V03_00: 8-bit upper
  refuse(QmdVersion::V03_00, p, EncodeFail::kDoesNotFit);
  EXPECT_TRUE(encode_qmd(ok, QmdVersion::V03_00, QmdParams{}).ok());
  std::vector<uint32_t> big(96);
  EXPECT_TRUE(encode_qmd(big, QmdVersion::V04_00, p).ok());  // 57 bits on V04_00
  p = {};
  p.dependent_qmd[0].qmd_address = 0x1080;
  refuse(QmdVersion::V04_00, p, EncodeFail::kInvalid);
  p.dependent_qmd[0].qmd_address = uint64_t{1} << 40;
  refuse(QmdVersion::V04_00, p, EncodeFail::kDoesNotFit);
  std::vector<uint32_t> small(95);
  EXPECT_EQ(encode_qmd(small, QmdVersion::V04_00, QmdParams{}).fail, EncodeFail::kNoSpace);
}

TEST(NvQmd, EveryUnmappedFieldIsPrintedAndRefusedByName) {
  size_t unmapped = 0;
  for (QmdVersion v : kVersions) {
    SCOPED_TRACE(qmd_version_name(v));
    std::vector<uint32_t> base(qmd_dwords(v));
    ASSERT_TRUE(encode_qmd(base, v, QmdParams{}).ok());
    for (const QmdField& f : qmd_fields(v)) {
      if (f.key != QmdKey::kNone) continue;
      ++unmapped;
      std::vector<uint32_t> qmd = base;
      ASSERT_TRUE(rawgpu::core::set_field(qmd, f.bits, max_value(f.bits)));
      Result<QmdParams> d = decode_qmd(qmd, v);
      ASSERT_FALSE(d.ok()) << f.bits.name;
      EXPECT_NE(d.error().message().find(std::string(f.bits.name) + "="), std::string::npos)
          << d.error().message();
      EXPECT_NE(format_qmd(qmd, v).find(std::string(f.bits.name) + "="), std::string::npos);
    }
  }
  EXPECT_GT(unmapped, 200u);
}

TEST(NvQmd, DecoderRejectsOtherVersionsReservedBitsAndBadEnums) {
  std::vector<uint32_t> v3(96);
  ASSERT_TRUE(encode_qmd(v3, QmdVersion::V03_00, QmdParams{}).ok());
  Result<QmdParams> d = decode_qmd(v3, QmdVersion::V04_00);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "QMD V04_00: invalid input: QMD_MAJOR_VERSION=3 where V04_00 has 4 (a QMD of another "
            "version?)");
  std::vector<uint32_t> v4(96);
  ASSERT_TRUE(encode_qmd(v4, QmdVersion::V04_00, QmdParams{}).ok());
  v4[0] |= 1u << 26;  // between QMD_TYPE 25:23 and ARRIVE_AT_LATCH_VALID 28
  d = decode_qmd(v4, QmdVersion::V04_00);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "QMD V04_00: invalid input: reserved bits 0x04000000 of dword 0 are set (no field "
            "covers them)");
  EXPECT_NE(format_qmd(v4, QmdVersion::V04_00).find("reserved=[dword 0: 0x04000000]}"),
            std::string::npos);
  v4[0] = (v4[0] & ~(1u << 26)) | (7u << 23);  // QMD_TYPE 7
  d = decode_qmd(v4, QmdVersion::V04_00);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("QMD_TYPE=7 is not a valid value"), std::string::npos);
  EXPECT_NE(format_qmd(v4, QmdVersion::V04_00)
                .find("QMD_TYPE=??"
                      "?(7)"),
            std::string::npos);
  d = decode_qmd(std::span(v4).first(64), QmdVersion::V05_00);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "QMD V05_00: invalid input: a V05_00 QMD has 96 dwords, the buffer has 64");
}

TEST(NvQmd, SetValuePatchesOneMemberOrNothing) {
  std::array<uint32_t, 96> qmd{};
  ASSERT_TRUE(encode_qmd(qmd, QmdVersion::V04_00, hopper_example()).ok());
  ASSERT_TRUE(set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kGrid, 0, 77).ok());
  ASSERT_TRUE(
      set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kConstantBufferAddress, 0, 0x7'0000'0040)
          .ok());
  ASSERT_TRUE(
      set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kReleasePayload, 0, 0x1'0000'0008).ok());
  ASSERT_TRUE(
      set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kDependentQmdAddress, 0, 0x1234'5600).ok());
  QmdParams want = hopper_example();
  want.grid[0] = 77;
  want.constant_buffer[0].address = 0x7'0000'0040;
  want.release[0].payload = 0x1'0000'0008;
  want.dependent_qmd[0].qmd_address = 0x1234'5600;
  EXPECT_EQ(*decode_qmd(qmd, QmdVersion::V04_00), want);
  EXPECT_EQ(qmd[14], 0x123456u);  // DEPENDENT_QMD0_POINTER
  const std::array<uint32_t, 96> before = qmd;
  EXPECT_EQ(
      set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kConstantBufferAddress, 0, 0x7'0000'0041).fail,
      EncodeFail::kInvalid);
  EXPECT_EQ(set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kSmGlobalCachingEnable, 0, 1).fail,
            EncodeFail::kNotInGeneration);
  EXPECT_EQ(set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kGrid, 3, 1).fail, EncodeFail::kInvalid);
  EXPECT_EQ(set_qmd_value(qmd, QmdVersion::V04_00, QmdKey::kMajorVersion, 0, 3).fail,
            EncodeFail::kInvalid);
  EXPECT_EQ(qmd, before);
}

// ---------------------------------------------------------------------------------------------
// The hot path allocates nothing

TEST(NvPackets, LaunchEncodesWithoutAllocating) {
  alignas(64) std::array<uint32_t, 256> pbuf{};
  alignas(256) std::array<uint32_t, 96> qmd{};
  std::array<uint64_t, 8> ring{};
  alignas(64) std::array<uint32_t, kUserdBytes / 4> userd{};
  uint32_t doorbell = 0;
  const QmdParams params = hopper_example();
  g_nv_allocations = 0;
  g_nv_count_allocations = true;
  Pushbuffer pb(pbuf);
  pb.append(encode_host_semaphore(pb.free_space(), HOPPER_CHANNEL_GPFIFO_A,
                                  host_semaphore_acquire(0x10'0000'0000, 41)));
  const EncodeResult q = encode_qmd(qmd, QmdVersion::V04_00, params);
  pb.append(encode_send_pcas(pb.free_space(), HOPPER_COMPUTE_A, 0x10'0000'0100,
                             PcasAction::INVALIDATE_COPY_SCHEDULE));
  pb.append(encode_inline_qmd(pb.free_space(), HOPPER_COMPUTE_A, 0x10'0000'0100, qmd));
  pb.immd(kSubchCompute, NVC6C0_INVALIDATE_SHADER_CACHES_NO_WFI, 0x1011);
  pb.append(encode_host_semaphore(pb.free_space(), HOPPER_CHANNEL_GPFIFO_A,
                                  host_semaphore_release(0x10'0000'0000, 0x1'0000'002A)));
  pb.append(encode_copy(pb.free_space(), HOPPER_DMA_COPY_A, 0x2000, 0x1000, 4096));
  pb.append(encode_copy_semaphore(pb.free_space(), HOPPER_DMA_COPY_A,
                                  {0x10'0000'0010, 0x1'0000'002A, true, true}));
  uint64_t entry = 0;
  const EncodeResult g = encode_gpfifo_entry({0x40'0000, pb.size()}, entry);
  const uint32_t put = submit_gpfifo(ring, 0, entry, userd.data(), &doorbell, 0x77);
  g_nv_count_allocations = false;
  EXPECT_EQ(g_nv_allocations.load(), 0);
  ASSERT_TRUE(q.ok()) << why(q);
  ASSERT_TRUE(pb.ok()) << why(pb.result());
  ASSERT_TRUE(g.ok()) << why(g);
  EXPECT_EQ(pb.size(), 6u + 4u + 99u + 1u + 8u + 9u + 7u);
  EXPECT_EQ(put, 1u);
  EXPECT_EQ(doorbell, 0x77u);
  // The release carries the 64-bit payload and asks for the timestamp.
  EXPECT_EQ(pbuf[110 + 3], 0x2Au);
  EXPECT_EQ(pbuf[110 + 4], 0x1u);
  EXPECT_EQ(pbuf[110 + 5], 0x03100001u);
  // The decoder agrees with the encoder on the whole stream.
  ChannelState st{HOPPER_CHANNEL_GPFIFO_A, {0, HOPPER_COMPUTE_A, 0, 0, HOPPER_DMA_COPY_A}};
  Result<std::vector<MethodWrite>> w = decode_pushbuffer(pb.written(), st);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w->size(), 5u + 2u + 98u + 1u + 6u + 6u + 5u);
}

TEST(NvPackets, EncodersRunAtCompileTime) {
  constexpr auto header = [] {
    uint32_t w = 0;
    return encode_method_header({SecOp::INC_METHOD, 1, NVC6C0_SEND_PCAS_A, 1}, w).ok() ? w : 0u;
  }();
  static_assert(header == 0x200120AD);
  constexpr auto sem = [] {
    std::array<uint32_t, 8> out{};
    (void)encode_host_semaphore(out, HOPPER_CHANNEL_GPFIFO_A, host_semaphore_release(0x1000, 1));
    return out;
  }();
  static_assert(sem[0] == 0x20050017 && sem[5] == 0x03100001 && sem[6] == 0x20010008);
  constexpr auto entry = [] {
    uint64_t e = 0;
    return encode_gpfifo_entry({0x1000, 4}, e).ok() ? e : 0;
  }();
  static_assert(entry == (0x1000 | (uint64_t{4} << 42) | (uint64_t{1} << 41)));
  constexpr auto pb = [] {
    std::array<uint32_t, 8> out{};
    Pushbuffer p(out);
    p.inc(4, NVC6B5_LAUNCH_DMA, {0x182});
    p.end_pb_segment();
    return out;
  }();
  static_assert(pb[0] == 0x200180C0 && pb[1] == 0x182 && pb[2] == 0xE0000000);
  SUCCEED();
}

}  // namespace
