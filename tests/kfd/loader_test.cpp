#include "kfd/loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "core/elf.h"
#include "kfd/packets.h"
#include "sim/code_object_pack.h"

using namespace rawgpu;
using queues::KernelArgInfo;

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string kernel_path(const std::string& name) { return std::string(RAWGPU_KERNEL_DIR) + "/" + name; }

}  // namespace

#ifdef RAWGPU_HAVE_AMDGPU_CLANG
class RealCodeObject : public testing::TestWithParam<const char*> {};

TEST_P(RealCodeObject, ParsesClangOutput) {
  const std::string gfx = GetParam();
  auto bytes = read_bytes(kernel_path("saxpy_" + gfx + "_v5.co"));
  ASSERT_FALSE(bytes.empty());
  auto co = kfd::parse_code_object(bytes);
  ASSERT_TRUE(co.ok()) << co.error().message();
  EXPECT_EQ(co->target.name, gfx);
  EXPECT_EQ(co->code_object_version, 5u);
  EXPECT_FALSE(co->simulated);
  ASSERT_EQ(co->kernels.size(), 5u);

  const kfd::HsaKernel* k = co->kernel("saxpy");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->symbol, "saxpy.kd");
  ASSERT_GE(k->args.size(), 4u);
  EXPECT_EQ(k->args[0].name, "y");
  EXPECT_EQ(k->args[0].kind, KernelArgInfo::Kind::kPointer);
  EXPECT_EQ(k->args[0].offset, 0u);
  EXPECT_EQ(k->args[1].offset, 8u);
  EXPECT_EQ(k->args[2].name, "a");
  EXPECT_EQ(k->args[2].kind, KernelArgInfo::Kind::kValue);
  EXPECT_EQ(k->args[2].offset, 16u);
  EXPECT_EQ(k->args[3].offset, 20u);
  EXPECT_EQ(k->explicit_args_size, 24u);
  EXPECT_EQ(k->hidden.block_count[0], 24);  // COV5: hidden block right after the explicit args
  EXPECT_EQ(k->hidden.group_size[0], 36);
  EXPECT_EQ(k->kd.kernarg_size, k->kernarg_size);
  EXPECT_EQ(k->entry_offset % 256, 0u);
  EXPECT_EQ(k->kd_offset % 64, 0u);
  EXPECT_EQ(k->wavefront_size, gfx.starts_with("gfx9") ? 64u : 32u);
  EXPECT_TRUE(k->kd.kernel_code_properties & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_KERNARG_SEGMENT_PTR);
  EXPECT_EQ(co->image.size() % 4096, 0u);

  const kfd::HsaKernel* r = co->kernel("reduce_sum");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->args[2].name, "n");
  EXPECT_EQ(r->explicit_args_size, 20u);
  EXPECT_EQ(r->group_segment_fixed_size, 4096u);  // __local float part[1024]
  const kfd::HsaKernel* e = co->kernel("empty");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->explicit_args_size, 0u);
  EXPECT_EQ(k->private_segment_fixed_size, 0u);

  // private_sum keeps its volatile array in scratch: a private segment, SCRATCH_EN, and on
  // targets without architected flat scratch the V# user SGPRs (fact sheet §8.3).
  const kfd::HsaKernel* p = co->kernel("private_sum");
  ASSERT_NE(p, nullptr);
  EXPECT_GE(p->private_segment_fixed_size, 256u);
  EXPECT_EQ(p->kd.private_segment_fixed_size, p->private_segment_fixed_size);
  EXPECT_TRUE(p->kd.compute_pgm_rsrc2 & kfd::COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT);
  const bool vsharp = p->kd.kernel_code_properties & kfd::KERNEL_CODE_PROPERTY_ENABLE_SGPR_PRIVATE_SEGMENT_BUFFER;
  EXPECT_EQ(vsharp, !kfd::architected_flat_scratch(co->target.gfx_target_version)) << gfx;
}

INSTANTIATE_TEST_SUITE_P(Targets, RealCodeObject,
                         testing::Values("gfx90a", "gfx942", "gfx1030", "gfx1100", "gfx1201"));

TEST(CodeObject, Version4) {
  auto co = kfd::parse_code_object(read_bytes(kernel_path("saxpy_gfx1100_v4.co")));
  ASSERT_TRUE(co.ok()) << co.error().message();
  EXPECT_EQ(co->code_object_version, 4u);
  EXPECT_NE(co->kernel("saxpy"), nullptr);
}

TEST(CodeObject, CorruptMetadataIsAnError) {
  auto bytes = read_bytes(kernel_path("saxpy_gfx1100_v5.co"));
  auto elf = core::ElfView::parse(bytes);
  ASSERT_TRUE(elf.ok());
  const core::ElfNote* note = elf->find_note("AMDGPU", kfd::kNtAmdgpuMetadata);
  ASSERT_NE(note, nullptr);
  const size_t desc_off = static_cast<size_t>(note->desc.data() - bytes.data());
  const size_t desc_len = note->desc.size();
  // Every single-byte corruption of the metadata either still parses or fails cleanly.
  std::mt19937 rng(1);
  int failures = 0;
  for (int i = 0; i < 400; ++i) {
    auto copy = bytes;
    copy[desc_off + rng() % desc_len] = static_cast<uint8_t>(rng());
    auto co = kfd::parse_code_object(copy);
    if (!co.ok()) {
      ++failures;
      EXPECT_FALSE(co.error().message().empty());
    }
  }
  EXPECT_GT(failures, 0);
  // Truncating the map is always an error.
  auto cut = bytes;
  std::memset(cut.data() + desc_off, 0x80, 1);  // an empty fixmap: no amdhsa.kernels
  auto co = kfd::parse_code_object(cut);
  ASSERT_FALSE(co.ok());
  EXPECT_NE(co.error().message().find("amdhsa.kernels"), std::string::npos) << co.error().message();
}
#endif  // RAWGPU_HAVE_AMDGPU_CLANG

TEST(CodeObject, RejectsNonAmdgpuObjects) {
  std::vector<uint8_t> self = read_bytes("/proc/self/exe");
  auto co = kfd::parse_code_object(self);
  ASSERT_FALSE(co.ok());
  EXPECT_NE(co.error().message().find("EM_AMDGPU"), std::string::npos);
  EXPECT_FALSE(kfd::parse_code_object({}).ok());
  std::vector<uint8_t> junk(100, 0x7f);
  EXPECT_FALSE(kfd::parse_code_object(junk).ok());
}

TEST(SimCodeObject, PackedObjectLoadsLikeARealOne) {
  for (const char* gfx : {"gfx1100", "gfx942"}) {
    auto bytes = read_bytes(kernel_path(std::string("sim_basic_") + gfx + ".co"));
    ASSERT_FALSE(bytes.empty()) << gfx;
    auto co = kfd::parse_code_object(bytes);
    ASSERT_TRUE(co.ok()) << co.error().message();
    EXPECT_TRUE(co->simulated);
    EXPECT_EQ(co->target.name, std::string(gfx));
    EXPECT_EQ(co->code_object_version, 5u);
    const kfd::HsaKernel* k = co->kernel("saxpy");
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(k->args.size(), 4u + 10u);  // explicit + hidden
    EXPECT_EQ(k->args[2].name, "a");
    EXPECT_EQ(k->args[2].offset, 16u);
    EXPECT_EQ(k->explicit_args_size, 24u);
    EXPECT_EQ(k->hidden.block_count[0], 24);
    EXPECT_EQ(k->hidden.group_size[0], 36);
    EXPECT_EQ(k->hidden.grid_dims, 24 + 64);
    EXPECT_EQ(co->kernel("reduce_sum")->group_segment_fixed_size, 4096u);
    const kfd::HsaKernel* p = co->kernel("private_sum");  // `; private 256`
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->private_segment_fixed_size, 256u);
    EXPECT_EQ(p->kd.private_segment_fixed_size, 256u);
    EXPECT_TRUE(p->kd.compute_pgm_rsrc2 & kfd::COMPUTE_PGM_RSRC2_ENABLE_PRIVATE_SEGMENT);
    EXPECT_EQ(k->kd.private_segment_fixed_size, 0u);
    // The entry stub names the host function and points back at the blob and descriptor.
    kfd::SimEntryStub stub;
    std::memcpy(&stub, co->image.data() + k->entry_offset, sizeof stub);
    EXPECT_EQ(std::memcmp(stub.magic, kfd::kSimEntryMagic, 8), 0);
    EXPECT_STREQ(stub.symbol, "rg_sim_kernel_saxpy");
    EXPECT_EQ(static_cast<int64_t>(k->entry_offset) + stub.kd_offset, static_cast<int64_t>(k->kd_offset));
    kfd::SimBlobHeader blob;
    std::memcpy(&blob, co->image.data() + k->entry_offset + stub.blob_offset, sizeof blob);
    EXPECT_EQ(std::memcmp(blob.magic, kfd::kSimBlobMagic, 8), 0);
    const uint8_t* so = co->image.data() + k->entry_offset + stub.blob_offset + sizeof blob;
    EXPECT_EQ(kfd::sim_hash(so, blob.so_size), blob.so_hash);
  }
}

TEST(SimCodeObject, DeclParsing) {
  auto d = sim::parse_sim_kernel_decl("k(ptr a; u32 n; f64 s; lds 256)");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->name, "k");
  EXPECT_EQ(d->offsets, (std::vector<uint32_t>{0, 8, 16}));
  EXPECT_EQ(d->explicit_size, 24u);
  EXPECT_EQ(d->lds, 256u);
  EXPECT_EQ(d->private_bytes, 0u);
  auto pd = sim::parse_sim_kernel_decl("k(ptr a; private 1024)");
  ASSERT_TRUE(pd.ok()) << pd.error().message();
  EXPECT_EQ(pd->private_bytes, 1024u);
  EXPECT_EQ(pd->explicit_size, 8u);
  EXPECT_TRUE(sim::parse_sim_kernel_decl("empty()").ok());
  for (const char* bad : {"noparen", "k(ptr)", "k(float x)", "1k()", "k(u32 1x)", "k(lds x)", "k(ptr a",
                          "k(private 1k)"})
    EXPECT_FALSE(sim::parse_sim_kernel_decl(bad).ok()) << bad;
}

TEST(Relocate, AppliesKnownTypesAndRejectsOthers) {
  std::vector<uint8_t> image(64, 0);
  std::vector<kfd::HsaRelocation> r = {
      {0, kfd::R_AMDGPU_ABS64, 0x100, 8},
      {8, kfd::R_AMDGPU_RELATIVE64, 0, 0x40},
      {16, kfd::R_AMDGPU_REL64, 0x20, 0},
      {24, kfd::R_AMDGPU_ABS32_HI, 0x10, 0},
  };
  ASSERT_TRUE(kfd::relocate(image, 0x7000000000, r).ok());
  uint64_t v[3];
  std::memcpy(v, image.data(), 24);
  EXPECT_EQ(v[0], 0x7000000108u);
  EXPECT_EQ(v[1], 0x7000000040u);
  EXPECT_EQ(v[2], uint64_t(0x20 - 16));
  uint32_t hi;
  std::memcpy(&hi, image.data() + 24, 4);
  EXPECT_EQ(hi, 0x70u);
  std::vector<kfd::HsaRelocation> bad = {{0, 99, 0, 0}};
  auto s = kfd::relocate(image, 0, bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("99"), std::string::npos);
  std::vector<kfd::HsaRelocation> oob = {{60, kfd::R_AMDGPU_ABS64, 0, 0}};
  EXPECT_FALSE(kfd::relocate(image, 0, oob).ok());
}
