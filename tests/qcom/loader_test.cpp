// The Adreno compiled-kernel library parser (qcom_kgsl/loader.h) and the simulator code objects
// packed in its layout. The fact sheet gives no real compiler output, so the fixtures below are
// synthetic libraries built in the documented layout (fact sheet §4.1), section table in id order
// so that tinygrad's fixed file positions (0x34, 0xAC, 0xB0, 0xC0, 0x100, 0x110) also hold.
#include "qcom_kgsl/loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace rawgpu::qcom {
namespace {

struct Fixture {
  std::vector<uint8_t> b;
  uint32_t desc = 0x200, image = 0x400, consts = 0x300, args = 0;
  void put(size_t at, uint32_t v) {
    if (b.size() < at + 4) b.resize(at + 4, 0);
    std::memcpy(b.data() + at, &v, 4);
  }
  uint32_t get(size_t at) const {
    uint32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
  }
  void section(uint32_t id, uint32_t off, uint32_t size) {
    const size_t e = 0x30 + id * 20;
    put(e, id);
    put(e + 4, off);
    put(e + 8, size);
    put(e + 12, size ? 1 : 0);
    put(e + 16, 0);
  }
};

// A library for "k" ("abc" by default): 2 buffers + 1 scalar + 1 texture, 2 constants, 300-byte
// image, prg_offset 0x20, fregs 5, hregs 3, brnchstck 4 (HW 2), pvtmem 64, shmem 2048, 1 sampler.
Fixture good(const std::string& name = "abc") {
  Fixture f;
  f.b.assign(0x400 + 300, 0);
  f.put(0x18, 12);
  for (uint32_t id = 0; id < 12; ++id) f.section(id, 0, 0);
  f.section(0, 0x1C0, 0x20);
  f.section(6, f.consts, 80);
  f.section(7, f.image, 300);
  f.section(10, f.image, 300);
  f.section(11, f.desc, 0x1F0);
  f.put(0x1C0 + 0x14, 5);
  f.put(0x1C0 + 0x18, 3);
  f.put(f.desc + 0xC4, 0x20);
  f.put(f.desc + 0xC8, 64);
  f.put(f.desc + 0xD8, 2048);
  f.put(f.desc + 0xDC, 1);
  f.put(f.desc + 0x108, 4);
  std::memcpy(f.b.data() + f.desc + 0x158, name.data(), name.size());
  f.args = (f.desc + 0x158 + static_cast<uint32_t>(name.size()) + 3) / 4 * 4 + 8;
  const uint32_t recs[4][2] = {{0, 0}, {2, 0}, {4, 0}, {0, 1}};  // {offset dwords, type}
  for (int i = 0; i < 4; ++i) {
    const uint32_t r = f.args + i * 32;
    f.put(r, 32);
    f.put(r + 12, recs[i][0]);
    f.put(r + 28, recs[i][1]);
  }
  f.put(f.args + 4 * 32, 0);
  // Constants: 0x3F800000 as 32-bit at dword 6 (byte 24), 0x1234 as 16-bit at half 20 (byte 40).
  f.put(f.consts, 0x3F800000);
  f.put(f.consts + 16, 6);
  f.put(f.consts + 24, 1);
  f.put(f.consts + 40, 0x1234);
  f.put(f.consts + 40 + 16, 20);
  f.put(f.consts + 40 + 24, 0);
  for (uint32_t i = 0; i < 300; ++i) f.b[f.image + i] = static_cast<uint8_t>(i);
  return f;
}

TEST(QcomLoader, ParsesASyntheticCompilerLibrary) {
  Fixture f = good();
  // tinygrad's fixed positions agree with the table.
  EXPECT_EQ(f.get(0x34), 0x1C0u);
  EXPECT_EQ(f.get(0xAC), f.consts);
  EXPECT_EQ(f.get(0xB0), 80u);
  EXPECT_EQ(f.get(0xC0), f.image);
  EXPECT_EQ(f.get(0x100), 300u);
  EXPECT_EQ(f.get(0x110), f.desc);
  core::Result<QcomProgram> p = parse_qcom_program(f.b);
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->kernels.size(), 1u);
  EXPECT_FALSE(p->simulated);
  const QcomKernel* k = p->find("abc");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->code.size(), 300u);
  EXPECT_EQ(k->code[299], static_cast<uint8_t>(299));
  EXPECT_EQ(k->instrlen, 3u);
  EXPECT_EQ(k->prg_offset, 0x20u);
  EXPECT_EQ(k->fregs, 5u);
  EXPECT_EQ(k->hregs, 3u);
  EXPECT_EQ(k->branchstack, 2u);
  EXPECT_EQ(k->pvtmem, 64u);
  EXPECT_EQ(k->shmem, 2048u);
  EXPECT_EQ(k->samplers, 1u);
  ASSERT_EQ(k->args.size(), 4u);
  EXPECT_EQ(k->args[1].offset, 8u);
  EXPECT_EQ(k->args[2].kind, ArgKind::kBufferOrValue);
  EXPECT_EQ(k->args[3].kind, ArgKind::kTexture);
  EXPECT_EQ(k->textures, 1u);
  ASSERT_EQ(k->consts.size(), 2u);
  EXPECT_EQ(k->consts[0].offset, 24u);
  EXPECT_EQ(k->consts[0].size, 4u);
  EXPECT_EQ(k->consts[1].offset, 40u);
  EXPECT_EQ(k->consts[1].size, 2u);
  EXPECT_FALSE(k->simulated);
}

TEST(QcomLoader, NameWhoseLengthIsAMultipleOfFour) {
  // tinygrad's formula leaves no NUL between such a name and the first argument record.
  Fixture f = good("abcd");
  core::Result<QcomProgram> p = parse_qcom_program(f.b);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->kernels[0].name, "abcd");
  EXPECT_EQ(p->kernels[0].args.size(), 4u);
}

void expect_error(const Fixture& f, const char* what) {
  core::Result<QcomProgram> p = parse_qcom_program(f.b);
  ASSERT_FALSE(p.ok()) << what;
  EXPECT_NE(p.error().message().find(what), std::string::npos) << p.error().message();
}

TEST(QcomLoader, MalformedLibrariesGivePreciseErrors) {
  { Fixture f = good(); f.b.resize(40); expect_error(f, "less than the 48-byte header"); }
  { Fixture f = good(); f.put(0x18, 0); expect_error(f, "num_sections 0"); }
  { Fixture f = good(); f.put(0x18, 60); f.b.resize(0x200); expect_error(f, "section table"); }
  { Fixture f = good(); f.put(0x30 + 11 * 20, 99); expect_error(f, "section 11 (IMAGE_DESC) is missing"); }
  { Fixture f = good(); f.section(10, f.image, 0); expect_error(f, "no machine code"); }
  { Fixture f = good(); f.section(10, f.image, 301); expect_error(f, "machine code"); }
  { Fixture f = good(); f.section(0, 0x10000, 0x20); expect_error(f, "register descriptor"); }
  { Fixture f = good(); f.put(f.desc + 0xC4, 300); expect_error(f, "prg_offset"); }
  { Fixture f = good(); f.b[f.desc + 0x158] = 0; expect_error(f, "kernel name"); }
  { Fixture f = good(); f.put(f.args + 32, 12); expect_error(f, "has length 12"); }
  { Fixture f = good(); f.put(f.args + 64 + 28, 7); expect_error(f, "has type 7"); }
  { Fixture f = good(); f.put(f.args + 12, 600); expect_error(f, "constant file"); }
  {
    Fixture f = good();  // image moved before the descriptor, then the record list truncated
    f.section(7, 0x1E0, 0x20);
    f.section(10, 0x1E0, 0x20);
    f.put(f.desc + 0xC4, 0);
    f.put(f.args + 4 * 32, 32);
    f.b.resize(f.args + 4 * 32 + 8);
    expect_error(f, "runs past the end of the file");
  }
  { Fixture f = good(); f.section(6, f.consts, 50); expect_error(f, "not a multiple of the 40-byte record"); }
  { Fixture f = good(); f.put(f.consts + 24, 2); expect_error(f, "is32 2"); }
  { Fixture f = good(); f.put(f.consts + 16, 600); expect_error(f, "outside the 2048-byte constant file"); }
  { Fixture f = good(); f.put(f.desc + 0xDC, 100); expect_error(f, "samp_cnt 100"); }
  { Fixture f = good(); f.section(11, 0xFFFFFF00, 0x1F0); expect_error(f, "image descriptor"); }
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(QcomLoader, BuiltSimCodeObjects) {
  for (const char* chip : {"a630", "a660"}) {
    const std::vector<uint8_t> co =
        read_file(std::string(RAWGPU_KERNEL_DIR) + "/sim_basic_" + chip + ".co");
    ASSERT_FALSE(co.empty()) << chip;
    core::Result<QcomProgram> p = parse_qcom_program(co);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_TRUE(p->simulated);
    const QcomKernel* k = p->find("saxpy");
    ASSERT_NE(k, nullptr);
    EXPECT_TRUE(k->simulated);
    EXPECT_EQ(k->sim_symbol, "rg_sim_kernel_saxpy");
    ASSERT_EQ(k->args.size(), 4u);  // ptr y; ptr x; f32 a; u32 n
    EXPECT_EQ(k->args[0].kind, ArgKind::kBuffer);
    EXPECT_EQ(k->args[0].offset, 0u);
    EXPECT_EQ(k->args[1].offset, 8u);
    EXPECT_EQ(k->args[2].kind, ArgKind::kValue);
    EXPECT_EQ(k->args[2].offset, 16u);
    EXPECT_EQ(k->args[2].size, 4u);
    EXPECT_EQ(k->args[3].offset, 20u);
    EXPECT_EQ(k->sim_param_size, 24u);
    EXPECT_EQ(k->code_offset % 128, 0u);
    EXPECT_EQ(k->instrlen, (k->code.size() + 127) / 128);
    const QcomKernel* r = p->find("reduce_sum");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->shmem, 4096u);
    const QcomKernel* pv = p->find("private_sum");
    ASSERT_NE(pv, nullptr);
    EXPECT_EQ(pv->pvtmem, 256u);
    ASSERT_NE(p->find("empty"), nullptr);
    EXPECT_TRUE(p->find("empty")->args.empty());
    // The stub and blob sit at the start of the image.
    SimQcomEntryStub s;
    std::memcpy(&s, k->code.data(), sizeof s);
    SimQcomBlobHeader b;
    std::memcpy(&b, k->code.data() + s.blob_offset, sizeof b);
    EXPECT_EQ(std::memcmp(b.magic, kSimQcomBlobMagic, 8), 0);
    EXPECT_EQ(sizeof s + sizeof b + b.so_size, k->code.size());

    // Corruptions of the sim object are refused.
    std::vector<uint8_t> bad = co;
    bad[k->code_offset + sizeof(SimQcomEntryStub)] ^= 0xFF;  // blob magic
    EXPECT_FALSE(parse_qcom_program(bad).ok());
    bad = co;
    uint32_t huge = 0x7FFFFFF0;
    std::memcpy(bad.data() + k->code_offset + 12, &huge, 4);  // next_library
    core::Result<QcomProgram> e = parse_qcom_program(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message().find("next_library"), std::string::npos);
  }
}

}  // namespace
}  // namespace rawgpu::qcom
