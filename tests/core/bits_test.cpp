#include "core/bits.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace {

using rawgpu::core::address_field;
using rawgpu::core::BitField;
using rawgpu::core::bool_field;
using rawgpu::core::EncodeFail;
using rawgpu::core::EncodeResult;
using rawgpu::core::enum_field;
using rawgpu::core::EnumName;
using rawgpu::core::FieldKind;
using rawgpu::core::FieldProblem;
using rawgpu::core::FieldWriter;
using rawgpu::core::hex_field;
using rawgpu::core::PacketLayout;
using rawgpu::core::signed_field;
using rawgpu::core::uint_field;

constexpr EnumName kColors[] = {{0, "RED"}, {1, "GREEN"}, {5, "BLUE"}};

// A made-up 4-dword packet: header (hidden op + flag + enum), a signed field, a 64-bit address
// in dwords 2-3 aligned to 4, and a count-minus-one field.
constexpr BitField kOp = uint_field("op", 0, 0, 7, "opcode").hidden();
constexpr BitField kFlag = bool_field("flag", 0, 8, "a flag");
constexpr BitField kColor = enum_field("color", 0, 12, 14, kColors, "an enum");
constexpr BitField kCount = uint_field("count", 0, 16, 23, "count - 1").with_bias(1);
constexpr BitField kDelta = signed_field("delta", 1, 0, 11, "signed");
constexpr BitField kQuiet = uint_field("level", 1, 16, 17, "sub-option").quiet();
constexpr BitField kAddr = address_field("addr", 2, 2, 63, "4-byte aligned");
constexpr BitField kFields[] = {kOp, kFlag, kColor, kCount, kDelta, kQuiet, kAddr};
constexpr BitField kTail = hex_field("values", 0, 0, 31, "data");
constexpr PacketLayout kLayout{"TEST", kFields, 4, &kTail};

TEST(Bits, SetGetWithinOneDword) {
  std::array<uint32_t, 4> p{};
  ASSERT_TRUE(set_field(p, kOp, 0xAB));
  ASSERT_TRUE(set_field(p, kFlag, 1));
  ASSERT_TRUE(set_field(p, kColor, 5));
  EXPECT_EQ(p[0], 0x5000u | 0x100u | 0xABu);
  EXPECT_EQ(get_field(p, kOp), 0xABu);
  EXPECT_EQ(get_field(p, kFlag), 1u);
  EXPECT_EQ(get_field(p, kColor), 5u);
  // Replacing a field leaves its neighbours alone.
  ASSERT_TRUE(set_field(p, kColor, 1));
  EXPECT_EQ(p[0], 0x1000u | 0x100u | 0xABu);
}

TEST(Bits, ValuesThatDoNotFitAreRefusedNotTruncated) {
  std::array<uint32_t, 4> p{};
  p[0] = 0x12345678;
  EXPECT_FALSE(set_field(p, kOp, 0x100));  // 9 bits into 8
  EXPECT_FALSE(set_field(p, kFlag, 2));
  EXPECT_FALSE(set_field(p, kColor, 8));
  EXPECT_EQ(p[0], 0x12345678u) << "a refused value must leave the packet unchanged";
  EXPECT_TRUE(rawgpu::core::field_fits(kOp, 0xFF));
  EXPECT_FALSE(rawgpu::core::field_fits(kOp, 0x1FF));
}

TEST(Bits, BiasStoresValueMinusBiasAndRefusesValuesBelowIt) {
  std::array<uint32_t, 4> p{};
  EXPECT_FALSE(set_field(p, kCount, 0)) << "count-minus-one cannot hold 0";
  ASSERT_TRUE(set_field(p, kCount, 1));
  EXPECT_EQ(p[0] >> 16, 0u);
  ASSERT_TRUE(set_field(p, kCount, 256));
  EXPECT_EQ((p[0] >> 16) & 0xFF, 0xFFu);
  EXPECT_EQ(get_field(p, kCount), 256u);
  EXPECT_FALSE(set_field(p, kCount, 257));
}

TEST(Bits, SignedFieldsRangeCheckAndSignExtend) {
  std::array<uint32_t, 4> p{};
  ASSERT_TRUE(set_field(p, kDelta, static_cast<uint64_t>(int64_t{-3})));
  EXPECT_EQ(p[1], 0xFFDu);
  EXPECT_EQ(static_cast<int64_t>(get_field(p, kDelta)), -3);
  EXPECT_TRUE(set_field(p, kDelta, static_cast<uint64_t>(int64_t{-2048})));
  EXPECT_TRUE(set_field(p, kDelta, 2047));
  EXPECT_FALSE(set_field(p, kDelta, 2048));
  EXPECT_FALSE(set_field(p, kDelta, static_cast<uint64_t>(int64_t{-2049})));
}

TEST(Bits, AddressFieldsSpanTwoDwordsAndRequireAlignment) {
  std::array<uint32_t, 4> p{};
  ASSERT_TRUE(set_field(p, kAddr, 0x123456789ABCull));
  EXPECT_EQ(p[2], 0x56789ABCu);
  EXPECT_EQ(p[3], 0x1234u);
  EXPECT_EQ(get_field(p, kAddr), 0x123456789ABCull);
  EXPECT_FALSE(set_field(p, kAddr, 0x1002)) << "not 4-byte aligned";
  EXPECT_EQ(p[2], 0x56789ABCu);
  // A field that starts mid-dword and ends in the next one: [47:7] of dwords 1-2.
  constexpr BitField kVa = address_field("base_va", 1, 7, 47, "128-byte aligned 48-bit VA");
  std::array<uint32_t, 3> q{0, 0x7F, 0xFFFF0000};
  ASSERT_TRUE(set_field(q, kVa, 0x8000'1234'5680ull));
  EXPECT_EQ(q[1], 0x12345680u | 0x7Fu) << "bits below lo keep their value";
  EXPECT_EQ(q[2], 0xFFFF8000u) << "bits above hi keep their value";
  EXPECT_EQ(get_field(q, kVa), 0x8000'1234'5680ull);
  EXPECT_FALSE(set_field(q, kVa, uint64_t{1} << 48)) << "49 bits";
}

TEST(Bits, SetRefusesFieldsPastTheSpan) {
  std::array<uint32_t, 3> p{};
  EXPECT_FALSE(set_field(p, kAddr, 0));  // needs dwords 2 and 3
  EXPECT_EQ(rawgpu::core::field_end_dword(kAddr), 4u);
}

TEST(Bits, CoveredBitsCrossDwords) {
  EXPECT_EQ(rawgpu::core::covered_bits(kFields, 0), 0x00FF71FFu);
  EXPECT_EQ(rawgpu::core::covered_bits(kFields, 1), 0x00030FFFu);
  EXPECT_EQ(rawgpu::core::covered_bits(kFields, 2), 0xFFFFFFFCu);
  EXPECT_EQ(rawgpu::core::covered_bits(kFields, 3), 0xFFFFFFFFu);
  EXPECT_EQ(rawgpu::core::covered_bits(kFields, 4), 0u);
}

TEST(Bits, FindsReservedBitsInFixedPartAndTail) {
  std::array<uint32_t, 6> p{0x01, 0, 0, 0, 0x5, 0x6};
  EXPECT_FALSE(find_field_problem(kLayout, p).has_value());
  p[1] = 0x00001000;  // bit 12 of dword 1: between delta and level
  auto pr = find_field_problem(kLayout, p);
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(pr->kind, FieldProblem::Kind::kReservedBits);
  EXPECT_EQ(pr->dword, 1u);
  EXPECT_EQ(pr->bits, 0x1000u);
  EXPECT_EQ(describe(*pr), "reserved bits 0x00001000 of dword 1 are set (no field covers them)");
  p[1] = 0;
  p[2] = 0x2;  // misaligned address: bit 1 is not part of addr
  pr = find_field_problem(kLayout, p);
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(pr->dword, 2u);
  EXPECT_EQ(pr->bits, 0x2u);
  p[2] = 0;
  // A tail field narrower than a dword rejects the bits above it.
  static constexpr BitField kByteTail = uint_field("bytes", 0, 0, 7, "one byte per dword");
  static constexpr PacketLayout kBytes{"BYTES", kFields, 4, &kByteTail};
  p[5] = 0x100;
  pr = find_field_problem(kBytes, p);
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(pr->dword, 5u);
  EXPECT_EQ(pr->bits, 0x100u);
}

TEST(Bits, FindsEnumValuesOutsideTheTable) {
  std::array<uint32_t, 4> p{};
  p[0] = 3u << 12;  // color 3 is not in the table
  auto pr = find_field_problem(kLayout, p);
  ASSERT_TRUE(pr.has_value());
  EXPECT_EQ(pr->kind, FieldProblem::Kind::kBadEnum);
  EXPECT_EQ(pr->value, 3u);
  EXPECT_EQ(describe(*pr), "color=3 is not a valid value (RED, GREEN, BLUE)");
}

TEST(Bits, FormatsValuesByKind) {
  EXPECT_EQ(format_value(kOp, 12), "12");
  EXPECT_EQ(format_value(kColor, 5), "BLUE");
  EXPECT_EQ(format_value(kColor, 7), std::string("???") + "(7)");
  EXPECT_EQ(format_value(kDelta, static_cast<uint64_t>(int64_t{-5})), "-5");
  EXPECT_EQ(format_value(kAddr, 0x1000), "0x1000");
  static constexpr EnumName kRegs[] = {{0x2E0C, "COMPUTE_PGM_LO"}};
  static constexpr BitField kReg = hex_field("reg", 1, 0, 15, "annotated").with_names(kRegs);
  EXPECT_EQ(format_value(kReg, 0x2E0C), "COMPUTE_PGM_LO");
  EXPECT_EQ(format_value(kReg, 0x2E0E), "0x2e0e") << "unknown annotations print as hex";
}

TEST(Bits, FormatsPacketsCompactAndFull) {
  std::array<uint32_t, 6> p{};
  ASSERT_TRUE(set_field(p, kOp, 9));
  ASSERT_TRUE(set_field(p, kColor, 1));
  ASSERT_TRUE(set_field(p, kCount, 3));
  ASSERT_TRUE(set_field(p, kAddr, 0x40));
  p[4] = 0xA;
  p[5] = 0xB;
  EXPECT_EQ(format_packet(kLayout, p),
            "TEST{color=GREEN, count=3, delta=0, addr=0x40, values=[0xa, 0xb]}");
  EXPECT_EQ(format_packet(kLayout, p, /*compact=*/false),
            "TEST{flag=0, color=GREEN, count=3, delta=0, level=0, addr=0x40, values=[0xa, 0xb]}");
  ASSERT_TRUE(set_field(p, kQuiet, 2));
  ASSERT_TRUE(set_field(p, kFlag, 1));
  EXPECT_EQ(format_packet(kLayout, p),
            "TEST{flag=1, color=GREEN, count=3, delta=0, level=2, addr=0x40, values=[0xa, 0xb]}");
}

TEST(Bits, FormatsLongAndSummaryTails) {
  std::array<uint32_t, 14> p{};
  for (uint32_t i = 0; i < 10; ++i) p[4 + i] = i;
  EXPECT_EQ(format_packet(kLayout, p),
            "TEST{color=RED, count=1, delta=0, addr=0x0, "
            "values=[0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, ... (+2)]}");
  static constexpr BitField kPayload = hex_field("payload", 0, 0, 31, "skipped").summary();
  static constexpr PacketLayout kNop{"NOP", kFields, 4, &kPayload};
  EXPECT_EQ(format_packet(kNop, p),
            "NOP{color=RED, count=1, delta=0, addr=0x0, payload=<10 dwords>}");
  EXPECT_EQ(format_packet(kNop, std::span(p).first(4)),
            "NOP{color=RED, count=1, delta=0, addr=0x0}");
}

TEST(Bits, FieldWriterRecordsTheFirstFailure) {
  std::array<uint32_t, 4> p{};
  FieldWriter w(p, "TEST", "PKT");
  w.set(kOp, 1);
  w.set(kColor, 9);   // does not fit 3 bits
  w.set(kOp, 0x1FF);  // second failure: ignored
  EncodeResult r = w.result(4);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.dwords, 0u);
  EXPECT_EQ(r.fail, EncodeFail::kDoesNotFit);
  EXPECT_STREQ(r.field.name, "color");
  EXPECT_EQ(r.value, 9u);
  EXPECT_EQ(
      to_error(r).message(),
      "encode TEST PKT: invalid input: value 0x9 does not fit field color (dword 0 bits 14:12)");
}

TEST(Bits, EncodeErrorsNameTheRule) {
  std::array<uint32_t, 4> p{};
  {
    FieldWriter w(p, "TEST", "PKT");
    w.set(kAddr, 0x1001);
    EXPECT_EQ(to_error(w.result(4)).hint(),
              "value 0x1001 does not fit field addr (dword 2 bits 63:2, must be a multiple of 4)");
  }
  {
    FieldWriter w(p, "TEST", "PKT");
    w.set(kCount, 0);
    EXPECT_EQ(to_error(w.result(4)).hint(),
              "value 0x0 does not fit field count (dword 0 bits 23:16, stored as value - 0x1)");
  }
  {
    FieldWriter w(p, "TEST", "PKT");
    w.absent("gl2_inv", 1, "the field exists on gfx10+ only");
    w.absent("other", 0, "ignored: zero is fine");
    EncodeResult r = w.result(4);
    EXPECT_EQ(r.fail, EncodeFail::kNotInGeneration);
    EXPECT_EQ(to_error(r).hint(), "gl2_inv=0x1 cannot be encoded: the field exists on gfx10+ only");
  }
  {
    FieldWriter w(p, "TEST", "PKT");
    w.absent("zero", 0, "not recorded");
    w.invalid("addr", 0x1004, "64-bit data needs an 8-byte aligned address");
    EXPECT_EQ(to_error(w.result(4)).hint(),
              "addr=0x1004: 64-bit data needs an 8-byte aligned address");
  }
  EXPECT_EQ(to_error(rawgpu::core::encode_no_space("TEST", "PKT", 8, 3)).message(),
            "encode TEST PKT: invalid input: needs 8 dwords, the destination has 3");
}

TEST(Bits, IsUsableAtCompileTime) {
  constexpr auto packet = [] {
    std::array<uint32_t, 4> p{};
    FieldWriter w(p, "TEST", "PKT");
    w.set(kOp, 0x42);
    w.set(kAddr, 0xABCD'0000'1000ull);
    return p;
  }();
  static_assert(packet[0] == 0x42 && packet[2] == 0x1000 && packet[3] == 0xABCD);
  static_assert(get_field(std::span<const uint32_t>(packet), kAddr) == 0xABCD'0000'1000ull);
  static_assert(rawgpu::core::field_well_formed(kAddr));
  static_assert(!rawgpu::core::field_well_formed(BitField{"bad", 0, 9, 3, FieldKind::kUint}));
  EXPECT_EQ(packet[0], 0x42u);
}

}  // namespace
