// Cubin loader (nv_ioctl/loader.h), NVRTC (nv_ioctl/nvrtc.h) and simulator cubins
// (sim::pack_nv_sim_code_object): real nvcc output (kernels/basic.cu -> basic_sm_86/90.cubin,
// tests/fixtures saxpy_sm<N>.cubin), NVRTC output compiled here, hand-corrupted cubins and a
// deterministic mutation mini-fuzz.
#include "nv_ioctl/loader.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/elf.h"
#include "kfd/hsaco.h"
#include "nv_ioctl/cubin.h"
#include "nv_ioctl/nvrtc.h"
#include "sim/code_object_pack.h"

using namespace rawgpu;
using nv::Cubin;
using nv::CubinKernel;

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string kernel_path(const std::string& name) {
  return std::string(RAWGPU_KERNEL_DIR) + "/" + name;
}

template <typename T>
T get(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

template <typename T>
void put(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

struct Layout {
  std::vector<std::pair<uint32_t, uint32_t>> args;  // offset, size
  uint32_t explicit_args_size = 0, param_offset = 0, param_size = 0, cbank0_size = 0;
  uint32_t shared_size = 0, static_shared = 0;
  bool operator==(const Layout&) const = default;
};

Layout layout_of(const CubinKernel& k) {
  Layout l;
  for (const queues::KernelArgInfo& a : k.args) l.args.emplace_back(a.offset, a.size);
  l.explicit_args_size = k.explicit_args_size;
  l.param_offset = k.param_offset;
  l.param_size = k.param_size;
  l.cbank0_size = k.cbank0_size;
  l.shared_size = k.shared_size;
  l.static_shared = k.static_shared_bytes;
  return l;
}

// The facts of kernels/basic.cu (= basic.cl = basic.c) that hold for every container.
void expect_basic_kernels(const Cubin& c, uint32_t sm) {
  const uint32_t param_offset = sm == 90 ? 0x210 : 0x160;
  EXPECT_EQ(c.sm, sm);
  ASSERT_EQ(c.kernels.size(), 5u);
  std::set<std::string> names;
  for (const CubinKernel& k : c.kernels) {
    SCOPED_TRACE(k.name);
    names.insert(k.name);
    EXPECT_GT(k.register_count, 0u);
    EXPECT_LE(k.register_count, 255u);
    EXPECT_GT(k.code_size, 0u);
    EXPECT_EQ(k.code_offset % 128, 0u);
    EXPECT_LE(k.code_offset + k.code_size, c.image.size());
    EXPECT_EQ(k.param_offset, param_offset);
    EXPECT_EQ(k.cbank0_size, k.param_offset + k.param_size);
    EXPECT_EQ(k.explicit_args_size, k.param_size);
    EXPECT_EQ(k.args.size(), k.params.size());
  }
  EXPECT_EQ(names, (std::set<std::string>{"saxpy", "reduce_sum", "fill_u32", "empty", "private_sum"}));

  const CubinKernel* s = c.kernel("saxpy");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->args.size(), 4u);
  const std::pair<uint32_t, uint32_t> saxpy[] = {{0, 8}, {8, 8}, {16, 4}, {20, 4}};  // y x a n
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(s->args[i].offset, saxpy[i].first) << i;
    EXPECT_EQ(s->args[i].size, saxpy[i].second) << i;
    EXPECT_EQ(s->params[i].ordinal, i);
  }
  EXPECT_EQ(s->explicit_args_size, 24u);
  EXPECT_EQ(s->cbank0_size, param_offset + 24);
  EXPECT_EQ(s->shared_size, 0u);

  const CubinKernel* r = c.kernel("reduce_sum");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->explicit_args_size, 20u);                        // in, out, n: no tail padding
  EXPECT_EQ(r->static_shared_bytes, 4096u);                     // float part[1024]
  EXPECT_EQ(r->shared_size, sm == 90 ? 4096u + 0x400 : 4096u);  // sm_90 includes the 1 KiB reserve
  EXPECT_EQ(r->num_barriers, 1u);

  const CubinKernel* f = c.kernel("fill_u32");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->args.size(), 3u);
  EXPECT_EQ(f->args[1].offset, 8u);
  EXPECT_EQ(f->args[2].offset, 12u);
  EXPECT_EQ(f->explicit_args_size, 16u);

  const CubinKernel* e = c.kernel("empty");
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(e->args.empty());
  EXPECT_EQ(e->cbank0_size, param_offset);  // the bare driver-reserved prefix

  EXPECT_EQ(c.image.size() % 4096, 0u);
  EXPECT_EQ(c.kernel("nope"), nullptr);
}

// Everything a parsed cubin promises, exercised (used by the mini-fuzz).
uint64_t walk(Cubin& c) {
  uint64_t h = c.image.size() + c.kernels.size();
  for (const CubinKernel& k : c.kernels) {
    if (k.code_offset + k.code_size > c.image.size() || k.code_size == 0) __builtin_trap();
    if (k.args.size() != k.params.size() || k.cbank0_size < k.param_offset + k.param_size)
      __builtin_trap();
    for (const queues::KernelArgInfo& a : k.args)
      if (a.offset + a.size > k.explicit_args_size) __builtin_trap();
    for (uint32_t e : k.exit_offsets)
      if (e >= k.text_size) __builtin_trap();
    std::vector<uint8_t> args(k.explicit_args_size, 0x5a), out(k.cbank0_size + 1);
    const core::Status s = nv::marshal_cbank0(k, {}, args, out);
    h += s.ok() ? out.size() : s.error().message().size();
    h += nv::launch_shared_bytes(k, 64);
  }
  for (const nv::CubinConstBank& b : c.banks)
    if (b.offset + b.size > c.image.size()) __builtin_trap();
  const core::Status r = nv::relocate(c.image, 0x7fff00000000ull, c.relocations);
  if (!r.ok()) __builtin_trap();  // parse_cubin only hands out relocations relocate() accepts
  return h;
}

#ifdef RAWGPU_HAVE_NVCC
#define RAWGPU_NEED_NVCC() (void)0
#else
#define RAWGPU_NEED_NVCC() GTEST_SKIP() << "nvcc not found at configure time: no basic_sm_*.cubin"
#endif

// ---------------------------------------------------------------------------------------------
// Real cubins from nvcc.

class NvCubinReal : public testing::TestWithParam<uint32_t> {};

TEST_P(NvCubinReal, BasicKernels) {
  RAWGPU_NEED_NVCC();
  const uint32_t sm = GetParam();
  const std::vector<uint8_t> bytes =
      read_bytes(kernel_path("basic_sm_" + std::to_string(sm) + ".cubin"));
  ASSERT_FALSE(bytes.empty());
  core::Result<Cubin> c = nv::parse_cubin(bytes);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->simulated);
  EXPECT_EQ(c->os_abi, nv::kNvElfOsAbi41);
  EXPECT_EQ(c->e_flags, nv::kEfCudaNvcc13Bits | (sm << 8));
  expect_basic_kernels(*c, sm);
  for (const CubinKernel& k : c->kernels) {
    SCOPED_TRACE(k.name);
    EXPECT_FALSE(k.exit_offsets.empty());  // every kernel ends in EXIT
    EXPECT_GE(k.cuda_api_version, 120u);   // CUDA 12.x or later wrote it
    EXPECT_EQ(k.max_register_count, 0xffu);
    EXPECT_FALSE(k.info.empty());
  }
  // The image holds the code as the file does.
  core::Result<core::ElfView> elf = core::ElfView::parse(bytes);
  ASSERT_TRUE(elf.ok());
  const core::ElfSection* text = elf->find_section(".text.saxpy");
  ASSERT_NE(text, nullptr);
  const CubinKernel* s = c->kernel("saxpy");
  EXPECT_EQ(s->code_size, text->size);
  EXPECT_EQ(std::memcmp(c->image.data() + s->code_offset, text->data.data(), text->size), 0);
  // Only .rel[a].debug_frame in this module, which patches no loaded section.
  EXPECT_TRUE(c->relocations.empty());
  // Global .nv.info holds REGCOUNT, FRAME_SIZE and MIN_STACK_SIZE per kernel.
  size_t regcounts = 0;
  for (const nv::NvInfoRecord& r : c->info) regcounts += r.attribute == nv::EIATTR_REGCOUNT;
  EXPECT_EQ(regcounts, 5u);
  // private_sum keeps its array in local memory: the stack records say so.
  const CubinKernel* ps = c->kernel("private_sum");
  ASSERT_NE(ps, nullptr);
  EXPECT_GE(std::max(ps->min_stack_size, ps->frame_size), 256u);
  std::printf("[ info     ] sm_%u registers: saxpy %u reduce_sum %u fill_u32 %u empty %u\n", sm,
              s->register_count, c->kernel("reduce_sum")->register_count,
              c->kernel("fill_u32")->register_count, c->kernel("empty")->register_count);
}

INSTANTIATE_TEST_SUITE_P(NvCubin, NvCubinReal, testing::Values(86u, 90u),
                         [](const testing::TestParamInfo<uint32_t>& i) {
                           return "sm_" + std::to_string(i.param);
                         });

TEST(NvCubin, FixtureWithConstantAndDeviceVariables) {
  if (std::string_view(RAWGPU_FIXTURE_CUBIN).empty()) GTEST_SKIP() << "no cubin fixture (no nvcc)";
  const std::vector<uint8_t> bytes = read_bytes(RAWGPU_FIXTURE_CUBIN);
  core::Result<Cubin> c = nv::parse_cubin(bytes);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->sm, static_cast<uint32_t>(RAWGPU_FIXTURE_CUBIN_SM));
  const CubinKernel* s = c->kernel("saxpy");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->args.size(), 4u);
  EXPECT_EQ(s->args[0].offset, 0u);
  EXPECT_EQ(s->args[0].size, 8u);
  EXPECT_EQ(s->args[1].offset, 8u);
  EXPECT_EQ(s->args[2].offset, 16u);
  EXPECT_EQ(s->args[2].size, 4u);
  EXPECT_EQ(s->args[3].offset, 20u);
  const CubinKernel* f = c->kernel("fill");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->static_shared_bytes, 512u);  // float tile[128]
  EXPECT_EQ(f->num_barriers, 1u);

  // __constant__ coeffs -> .nv.constant3; &hits -> .nv.constant4 through one R_CUDA_64.
  const nv::CubinConstBank* b3 = nullptr;
  const nv::CubinConstBank* b4 = nullptr;
  for (const nv::CubinConstBank& b : c->banks) {
    if (b.bank == 3) b3 = &b;
    if (b.bank == 4) b4 = &b;
  }
  ASSERT_NE(b3, nullptr);
  ASSERT_NE(b4, nullptr);
  EXPECT_EQ(b3->size, 16u);
  EXPECT_EQ(b4->size, 8u);
  EXPECT_GT(c->global_size, 0u);
  ASSERT_EQ(c->relocations.size(), 1u);
  const nv::CubinRelocation& r = c->relocations[0];
  EXPECT_EQ(r.type, nv::R_CUDA_64);
  EXPECT_EQ(r.offset, b4->offset);
  EXPECT_EQ(r.symbol_value, c->global_offset);  // hits is the only .nv.global variable
  constexpr uint64_t kBase = 0x7000'0000'0000ull;
  ASSERT_TRUE(nv::relocate(c->image, kBase, c->relocations).ok());
  EXPECT_EQ(get<uint64_t>(c->image, b4->offset), kBase + c->global_offset);
  ASSERT_TRUE(nv::relocate(c->image, kBase, c->relocations).ok());  // idempotent
  EXPECT_EQ(get<uint64_t>(c->image, b4->offset), kBase + c->global_offset);
}

// ---------------------------------------------------------------------------------------------
// Simulator cubins.

TEST(NvCubin, SimCubinLoadsLikeARealOne) {
  for (uint32_t sm : {86u, 90u}) {
    SCOPED_TRACE(sm);
    const std::vector<uint8_t> bytes =
        read_bytes(kernel_path("sim_basic_sm_" + std::to_string(sm) + ".co"));
    ASSERT_FALSE(bytes.empty());
    core::Result<Cubin> c = nv::parse_cubin(bytes);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_TRUE(c->simulated);
    EXPECT_EQ(c->e_flags, nv::kEfCudaNvcc13Bits | (sm << 8));
    expect_basic_kernels(*c, sm);
    for (const CubinKernel& k : c->kernels) EXPECT_EQ(k.register_count, nv::kSimNvRegisterCount);

    // One R_CUDA_64 per stub; after relocation blob_va is the GPU address of the host object.
    ASSERT_EQ(c->relocations.size(), 5u);
    constexpr uint64_t kBase = 0x10'0000'0000ull;
    ASSERT_TRUE(nv::relocate(c->image, kBase, c->relocations).ok());
    const CubinKernel* s = c->kernel("saxpy");
    nv::SimNvEntryStub stub;
    std::memcpy(&stub, c->image.data() + s->code_offset, sizeof stub);
    EXPECT_EQ(std::memcmp(stub.magic, nv::kSimNvEntryMagic, 8), 0);
    EXPECT_STREQ(stub.symbol, "rg_sim_kernel_saxpy");
    EXPECT_EQ(stub.param_offset, s->param_offset);
    EXPECT_EQ(stub.param_size, 24u);
    EXPECT_EQ(c->kernel("reduce_sum")->num_barriers, 1u);
    ASSERT_GE(stub.blob_va, kBase);
    const uint64_t blob = stub.blob_va - kBase;
    ASSERT_LE(blob + sizeof(nv::SimNvBlobHeader), c->image.size());
    nv::SimNvBlobHeader h;
    std::memcpy(&h, c->image.data() + blob, sizeof h);
    EXPECT_EQ(std::memcmp(h.magic, nv::kSimNvBlobMagic, 8), 0);
    ASSERT_LE(blob + sizeof h + h.so_size, c->image.size());
    EXPECT_EQ(kfd::sim_hash(c->image.data() + blob + sizeof h, h.so_size), h.so_hash);
    nv::SimNvEntryStub stub2;
    std::memcpy(&stub2, c->image.data() + c->kernel("empty")->code_offset, sizeof stub2);
    EXPECT_EQ(stub2.blob_va, stub.blob_va);
    EXPECT_STREQ(stub2.symbol, "rg_sim_kernel_empty");
  }
}

TEST(NvCubin, SimCubinHasTheArgumentLayoutOfTheRealOne) {
  RAWGPU_NEED_NVCC();
  for (uint32_t sm : {86u, 90u}) {
    SCOPED_TRACE(sm);
    core::Result<Cubin> real =
        nv::parse_cubin(read_bytes(kernel_path("basic_sm_" + std::to_string(sm) + ".cubin")));
    core::Result<Cubin> sim =
        nv::parse_cubin(read_bytes(kernel_path("sim_basic_sm_" + std::to_string(sm) + ".co")));
    ASSERT_TRUE(real.ok()) << real.error().message();
    ASSERT_TRUE(sim.ok()) << sim.error().message();
    ASSERT_EQ(real->kernels.size(), sim->kernels.size());
    for (const CubinKernel& k : real->kernels) {
      SCOPED_TRACE(k.name);
      const CubinKernel* s = sim->kernel(k.name);
      ASSERT_NE(s, nullptr);
      EXPECT_TRUE(layout_of(k) == layout_of(*s));
      EXPECT_EQ(nv::launch_shared_bytes(k, 256), nv::launch_shared_bytes(*s, 256));
    }
  }
}

TEST(NvCubin, PackerRefusesUnknownTargets) {
  const std::vector<uint8_t> so = read_bytes(kernel_path("sim_basic_host.so"));
  ASSERT_FALSE(so.empty());
  for (const char* bad : {"sm_75", "sm_100", "sm90", "gfx1100", ""}) {
    core::Result<std::vector<uint8_t>> r = sim::pack_nv_sim_code_object(so, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported) << bad;
  }
  core::Result<std::vector<uint8_t>> ok = sim::pack_nv_sim_code_object(so, "sm_90");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(*ok, read_bytes(kernel_path("sim_basic_sm_90.co")));  // deterministic
  std::vector<uint8_t> junk(64, 0);
  EXPECT_FALSE(sim::pack_nv_sim_code_object(junk, "sm_90").ok());
}

// ---------------------------------------------------------------------------------------------
// Target checks, relocation, constant bank 0.

TEST(NvLoader, RefusesACubinForAnotherSm) {
  core::Result<Cubin> c = nv::parse_cubin(read_bytes(kernel_path("sim_basic_sm_86.co")));
  ASSERT_TRUE(c.ok()) << c.error().message();
  core::Status s = nv::check_target(*c, 90);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_EQ(s.error().op(), "load cubin");
  EXPECT_EQ(s.error().hint(), "built for sm_86, device is sm_90; rebuild with -arch=sm_90");
  EXPECT_TRUE(nv::check_target(*c, 86).ok());
  EXPECT_TRUE(nv::check_target(*c, 89).ok());  // same major, newer minor: SASS runs
  Cubin c90;
  c90.sm = 90;
  EXPECT_FALSE(nv::check_target(c90, 86).ok());
  EXPECT_TRUE(nv::check_target(c90, 90).ok());
  EXPECT_FALSE(nv::check_target(c90, 100).ok());
  Cubin c89;
  c89.sm = 89;
  EXPECT_FALSE(nv::check_target(c89, 86).ok());  // older minor cannot run newer SASS
}

TEST(NvLoader, SmNames) {
  EXPECT_EQ(nv::sm_from_name("sm_90"), 90u);
  EXPECT_EQ(nv::sm_from_name("sm_90a"), 90u);
  EXPECT_EQ(nv::sm_from_name("sm_86"), 86u);
  EXPECT_EQ(nv::sm_from_name("sm_100"), 100u);
  for (const char* bad : {"compute_90", "sm_", "sm_9", "sm_9x", "90", "sm_1000"})
    EXPECT_FALSE(nv::sm_from_name(bad).has_value()) << bad;
  static_assert(nv::sm_from_gr_sm_version(0x900) == 90);
  static_assert(nv::sm_from_gr_sm_version(0x806) == 86);
  static_assert(nv::cubin_sm_from_e_flags(0x06005a04, 0x41) == 90);
  static_assert(nv::cubin_sm_from_e_flags(0x06005604, 0x41) == 86);
  static_assert(std::string_view(nv::eiattr_name(0x17)) == "EIATTR_KPARAM_INFO");
  static_assert(std::string_view(nv::eiattr_name(0x4c)) == "EIATTR_NUM_BARRIERS");
  static_assert(nv::eiattr_name(0x5f) == nullptr);
  static_assert(std::string_view(nv::r_cuda_name(0x39)) == "R_CUDA_ABS32_HI_32");
  static_assert(nv::kparam_info_size(0x0021f000) == 8 && nv::kparam_info_size(0x0501f000) == 320);
  static_assert(nv::kparam_info_packed(4) == 0x0011f000);
}

TEST(NvLoader, RelocateAppliesKnownTypesAndRejectsOthers) {
  std::vector<uint8_t> image(64, 0xee);
  const std::vector<nv::CubinRelocation> r = {
      {0, nv::R_CUDA_64, 0x100, false, 8},
      {8, nv::R_CUDA_32, 0x20, false, 0},
      {16, nv::R_CUDA_ABS32_LO_32, 0x40, false, 0x150},
      {24, nv::R_CUDA_ABS32_HI_32, 0x40, false, 0x150},
      {32, nv::R_CUDA_64, 0x1234, true, 1},
  };
  constexpr uint64_t kBase = 0x7123'4567'8000ull;
  ASSERT_TRUE(nv::relocate(image, kBase, r).ok());
  EXPECT_EQ(get<uint64_t>(image, 0), kBase + 0x108);
  EXPECT_EQ(get<uint32_t>(image, 8), static_cast<uint32_t>(kBase + 0x20));
  EXPECT_EQ(get<uint32_t>(image, 16), 0xeeeeeeeeu);  // the instruction's low word is untouched
  EXPECT_EQ(get<uint32_t>(image, 20), static_cast<uint32_t>(kBase + 0x190));
  EXPECT_EQ(get<uint32_t>(image, 28), static_cast<uint32_t>((kBase + 0x190) >> 32));
  EXPECT_EQ(get<uint64_t>(image, 32), 0x1235u);
  const std::vector<nv::CubinRelocation> bad = {{0, nv::R_CUDA_ABS32_20, 0, false, 0}};
  core::Status s = nv::relocate(image, 0, bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("R_CUDA_ABS32_20"), std::string::npos) << s.error().message();
  const std::vector<nv::CubinRelocation> unnamed = {{0, 0x77, 0, false, 0}};
  s = nv::relocate(image, 0, unnamed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("0x77"), std::string::npos) << s.error().message();
  const std::vector<nv::CubinRelocation> oob = {{60, nv::R_CUDA_ABS32_LO_32, 0, false, 0},
                                                {~0ull - 2, nv::R_CUDA_64, 0, false, 0}};
  EXPECT_FALSE(nv::relocate(image, 0, std::span(oob).first(1)).ok());
  EXPECT_FALSE(nv::relocate(image, 0, std::span(oob).subspan(1)).ok());
}

TEST(NvLoader, MarshalCbank0) {
  for (uint32_t sm : {86u, 90u}) {
    SCOPED_TRACE(sm);
    core::Result<Cubin> c =
        nv::parse_cubin(read_bytes(kernel_path("sim_basic_sm_" + std::to_string(sm) + ".co")));
    ASSERT_TRUE(c.ok()) << c.error().message();
    const CubinKernel& k = *c->kernel("saxpy");
    auto args = std::make_unique<queues::KernelArgs>();
    args->u64(0x7000'0000'1000ull).u64(0x7000'0000'2000ull).f32(2.5f).u32(1000);
    nv::Cbank0Launch l;
    l.grid = {4, 2, 1};
    l.block = {256, 1, 1};
    l.shared_window = 0x7294'0000'0000ull;
    l.local_window = 0x7293'0000'0000ull;
    l.dynamic_shared_bytes = 128;
    l.grid_id = 7;
    l.sm_count = 132;
    std::vector<uint8_t> out(k.cbank0_size + 16, 0xcc);
    ASSERT_TRUE(nv::marshal_cbank0(k, l, args->bytes(), out).ok());
    EXPECT_EQ(get<uint32_t>(out, 0x00), 256u);
    EXPECT_EQ(get<uint32_t>(out, 0x04), 1u);
    EXPECT_EQ(get<uint32_t>(out, 0x08), 1u);
    EXPECT_EQ(get<uint32_t>(out, 0x0c), 4u);
    EXPECT_EQ(get<uint32_t>(out, 0x10), 2u);
    EXPECT_EQ(get<uint32_t>(out, 0x14), 1u);
    EXPECT_EQ(get<uint64_t>(out, 0x18), 0x7294'0000'0000ull);
    EXPECT_EQ(get<uint64_t>(out, 0x20), 0x7293'0000'0000ull);
    EXPECT_EQ(get<uint32_t>(out, 0x28), 0xfffdc0u);
    EXPECT_EQ(get<uint32_t>(out, 0x2c), 128u);
    EXPECT_EQ(get<uint64_t>(out, 0x30), 7u);
    EXPECT_EQ(get<uint32_t>(out, 0x10c), 132u);
    EXPECT_EQ(get<uint32_t>(out, 0x114), nv::launch_shared_bytes(k, 128));
    EXPECT_EQ(get<uint64_t>(out, nv::sm_facts(sm)->global_descriptor), 0u);
    const uint32_t p = sm == 90 ? 0x210 : 0x160;
    EXPECT_EQ(get<uint64_t>(out, p + 0), 0x7000'0000'1000ull);
    EXPECT_EQ(get<uint64_t>(out, p + 8), 0x7000'0000'2000ull);
    EXPECT_EQ(get<float>(out, p + 16), 2.5f);
    EXPECT_EQ(get<uint32_t>(out, p + 20), 1000u);
    EXPECT_EQ(out[k.cbank0_size], 0xcc);  // nothing written past cbank0_size

    // Wrong argument bytes, a short buffer, an SM with another layout.
    core::Status s = nv::marshal_cbank0(k, l, args->bytes().first(20), out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message().find("takes 24 bytes"), std::string::npos) << s.error().message();
    EXPECT_FALSE(
        nv::marshal_cbank0(k, l, args->bytes(), std::span(out).first(k.cbank0_size - 1)).ok());
    CubinKernel blackwell = k;
    blackwell.sm = 100;
    s = nv::marshal_cbank0(blackwell, l, args->bytes(), out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind(), core::ErrorKind::kUnsupported);
    // reduce_sum's 20 argument bytes (no tail padding) fit as queues::KernelArgs packs them.
    args->clear();
    args->u64(1).u64(2).u32(3);
    EXPECT_TRUE(nv::marshal_cbank0(*c->kernel("reduce_sum"), l, args->bytes(), out).ok());
    EXPECT_TRUE(nv::marshal_cbank0(*c->kernel("empty"), l, {}, out).ok());
  }
}

TEST(NvLoader, LaunchSharedBytes) {
  CubinKernel k;
  k.sm = 90;
  EXPECT_EQ(nv::launch_shared_bytes(k, 0), 0x400u);  // the reserve alone
  k.shared_size = 0x1400;
  EXPECT_EQ(nv::launch_shared_bytes(k, 0), 0x1400u);
  EXPECT_EQ(nv::launch_shared_bytes(k, 4), 0x1500u);
  k.sm = 86;
  k.shared_size = 0x1000;
  EXPECT_EQ(nv::launch_shared_bytes(k, 0), 0x1400u);  // tinygrad's 1 KiB on top
  EXPECT_EQ(nv::launch_shared_bytes(k, 1), 0x1480u);
}

// ---------------------------------------------------------------------------------------------
// Malformed input.

// The file offset and size of a section of `bytes`.
std::pair<size_t, size_t> section_span(const std::vector<uint8_t>& bytes, std::string_view name) {
  core::Result<core::ElfView> v = core::ElfView::parse(bytes);
  if (!v.ok()) return {0, 0};
  const core::ElfSection* s = v->find_section(name);
  return s ? std::pair<size_t, size_t>{s->offset, s->size} : std::pair<size_t, size_t>{0, 0};
}

// The file offset of the first record with `attribute` in section `name`.
size_t record_at(const std::vector<uint8_t>& bytes, std::string_view name, uint8_t attribute) {
  auto [off, size] = section_span(bytes, name);
  for (size_t at = off; at + 4 <= off + size;) {
    if (bytes[at + 1] == attribute) return at;
    at += 4 + (bytes[at] == nv::EIFMT_SVAL ? get<uint16_t>(bytes, at + 2) : 0);
  }
  ADD_FAILURE() << "no record " << int{attribute} << " in " << name;
  return 0;
}

void expect_error(const std::vector<uint8_t>& bytes, const std::string& needle) {
  core::Result<Cubin> c = nv::parse_cubin(bytes);
  ASSERT_FALSE(c.ok()) << "expected an error mentioning: " << needle;
  EXPECT_NE(c.error().message().find(needle), std::string::npos) << c.error().message();
}

std::vector<uint8_t> seed_cubin() {
  std::vector<uint8_t> b = read_bytes(kernel_path("basic_sm_90.cubin"));
  return b.empty() ? read_bytes(kernel_path("sim_basic_sm_90.co")) : b;
}

TEST(NvLoader, RejectsNonCubins) {
  core::Result<Cubin> c = nv::parse_cubin(read_bytes("/proc/self/exe"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("EM_CUDA"), std::string::npos) << c.error().message();
  c = nv::parse_cubin({});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().op().rfind("cubin: elf", 0), 0u) << c.error().message();
  std::vector<uint8_t> junk(100, 0x7f);
  EXPECT_FALSE(nv::parse_cubin(junk).ok());
  // An AMDHSA simulator code object is an ELF, but not a cubin.
  EXPECT_FALSE(nv::parse_cubin(read_bytes(kernel_path("sim_basic_gfx1100.co"))).ok());
}

TEST(NvLoader, MalformedRecordsAreNamed) {
  const std::vector<uint8_t> seed = seed_cubin();
  ASSERT_FALSE(seed.empty());
  ASSERT_TRUE(nv::parse_cubin(seed).ok());
  {  // An SVAL record whose size runs past its section.
    std::vector<uint8_t> b = seed;
    put<uint16_t>(b, record_at(b, ".nv.info.saxpy", nv::EIATTR_KPARAM_INFO) + 2, 0x4000);
    expect_error(b, "section");
    expect_error(b, ".nv.info.saxpy");
    expect_error(b, "declares 0x4000 bytes");
  }
  {  // An unknown record format.
    std::vector<uint8_t> b = seed;
    b[record_at(b, ".nv.info.saxpy", nv::EIATTR_KPARAM_INFO)] = 9;
    expect_error(b, "unknown format 0x9");
  }
  {  // A parameter outside the parameter area.
    std::vector<uint8_t> b = seed;
    put<uint16_t>(b, record_at(b, ".nv.info.saxpy", nv::EIATTR_KPARAM_INFO) + 4 + 6, 0x40);
    expect_error(b, "lies past the parameter area");
  }
  {  // KPARAM_INFO with the wrong size.
    std::vector<uint8_t> b = seed;
    b[record_at(b, ".nv.info.saxpy", nv::EIATTR_CBANK_PARAM_SIZE)] = nv::EIFMT_BVAL;
    expect_error(b, "EIATTR_CBANK_PARAM_SIZE record is EIFMT_BVAL; expected EIFMT_HVAL");
  }
  {  // No EIATTR_REGCOUNT for a kernel.
    std::vector<uint8_t> b = seed;
    auto [off, size] = section_span(b, ".nv.info");
    for (size_t at = off; at + 4 <= off + size; at += 4 + get<uint16_t>(b, at + 2))
      if (b[at + 1] == nv::EIATTR_REGCOUNT) b[at + 1] = 0x77;
    expect_error(b, "has no EIATTR_REGCOUNT");
  }
  {  // PARAM_CBANK disagreeing with CBANK_PARAM_SIZE.
    std::vector<uint8_t> b = seed;
    put<uint16_t>(b, record_at(b, ".nv.info.saxpy", nv::EIATTR_PARAM_CBANK) + 4 + 6, 0x20);
    expect_error(b, "!= EIATTR_CBANK_PARAM_SIZE");
  }
  {  // A parameter offset past .nv.constant0.<k>.
    std::vector<uint8_t> b = seed;
    const size_t at = record_at(b, ".nv.info.saxpy", nv::EIATTR_PARAM_CBANK) + 4 + 4;
    put<uint16_t>(b, at, 0x4000);
    expect_error(b, "is smaller than parameter offset 0x4000");
  }
  {  // No SM in e_flags.
    std::vector<uint8_t> b = seed;
    put<uint32_t>(b, offsetof(Elf64_Ehdr, e_flags), 0x06000004);
    expect_error(b, "carries no SM version");
  }
  {  // A missing .nv.info.<kernel>.
    std::vector<uint8_t> b = seed;
    auto [off, size] = section_span(b, ".shstrtab");
    const std::string needle = ".nv.info.saxpy";
    auto it = std::search(b.begin() + static_cast<std::ptrdiff_t>(off),
                          b.begin() + static_cast<std::ptrdiff_t>(off + size), needle.begin(),
                          needle.end());
    ASSERT_NE(it, b.begin() + static_cast<std::ptrdiff_t>(off + size));
    *(it + 9) = 'X';  // ".nv.info.Xaxpy"
    expect_error(b, "has no .nv.info.saxpy section");
  }
}

TEST(NvLoader, UnknownRelocationTypeIsRefused) {
  std::vector<uint8_t> b = read_bytes(kernel_path("sim_basic_sm_90.co"));
  auto [off, size] = section_span(b, ".rela.text.saxpy");
  ASSERT_EQ(size, 24u);
  put<uint32_t>(b, off + 8, nv::R_CUDA_ABS32_20);  // ELF64_R_TYPE: the low half of r_info
  core::Result<Cubin> c = nv::parse_cubin(b);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(c.error().message().find("R_CUDA_ABS32_20 (0x2a) is not supported"), std::string::npos)
      << c.error().message();
  EXPECT_NE(c.error().message().find(".rela.text.saxpy"), std::string::npos) << c.error().message();
  put<uint32_t>(b, off + 8, nv::R_CUDA_64);
  put<uint64_t>(b, off, 0x10000000);  // r_offset far outside .text.saxpy
  expect_error(b, "lies outside its target '.text.saxpy'");
}

// Deterministic mini-fuzz: every byte of the file (but those of section `skip`, e.g. the host
// object inside a simulator cubin, which nothing parses) replaced by its complement and by 0xff,
// then random multi-byte edits and truncations. Each input must parse or fail with a message,
// and every parsed cubin keeps its promises (walk()).
void mini_fuzz(const std::vector<uint8_t>& original, int random_rounds,
               std::string_view skip = {}) {
  ASSERT_FALSE(original.empty());
  uint64_t sink = 0;
  size_t parsed = 0;
  auto one = [&](const std::vector<uint8_t>& b) {
    core::Result<Cubin> c = nv::parse_cubin(b);
    if (c.ok()) {
      ++parsed;
      sink += walk(*c);
    } else {
      if (c.error().message().empty()) __builtin_trap();
      sink += c.error().message().size();
    }
  };
  const auto [skip_off, skip_size] =
      skip.empty() ? std::pair<size_t, size_t>{0, 0} : section_span(original, skip);
  std::vector<uint8_t> b = original;
  for (size_t i = 0; i < original.size(); ++i) {
    if (i >= skip_off && i < skip_off + skip_size) continue;
    for (uint8_t value : {static_cast<uint8_t>(~original[i]), uint8_t{0xff}}) {
      b[i] = value;
      one(b);
    }
    b[i] = original[i];
  }
  std::mt19937_64 rng(0x6e76637562696eull);  // fixed seed: the same inputs every run
  const uint8_t interesting[] = {0x00, 0x01, 0x04, 0x17, 0x7f, 0x80, 0xff, 0x2f, 0x0a, 0x19};
  for (int round = 0; round < random_rounds; ++round) {
    b = original;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % b.size();
      b[at] = (rng() & 1) ? interesting[rng() % sizeof interesting] : static_cast<uint8_t>(rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    one(b);
  }
  EXPECT_NE(sink, 0u);
  EXPECT_GT(parsed, 0u);  // many edits touch bytes nobody reads
}

TEST(NvLoader, MutatedRealCubinNeverCrashes) {
  RAWGPU_NEED_NVCC();
  mini_fuzz(read_bytes(kernel_path("basic_sm_90.cubin")), 3000);
  mini_fuzz(read_bytes(kernel_path("basic_sm_86.cubin")), 1000);
}

TEST(NvLoader, MutatedSimCubinNeverCrashes) {
  mini_fuzz(read_bytes(kernel_path("sim_basic_sm_86.co")), 2000, nv::kSimNvBlobSection);
}

TEST(NvLoader, MutatedCubinWithRelocationsNeverCrashes) {
  if (std::string_view(RAWGPU_FIXTURE_CUBIN).empty()) GTEST_SKIP() << "no cubin fixture (no nvcc)";
  mini_fuzz(read_bytes(RAWGPU_FIXTURE_CUBIN), 2000);
}

// ---------------------------------------------------------------------------------------------
// NVRTC.

constexpr const char* kNvrtcSource = R"(
__device__ int d_counter;
__device__ int d_table[4] = {11, 22, 33, 44};
__constant__ float c_scale[4];
extern "C" __global__ void axpy(float* y, const float* x, float a, unsigned n) {
  unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    y[i] = a * x[i] * c_scale[i & 3] + y[i] + d_table[i & 3];
    atomicAdd(&d_counter, 1);
  }
}
extern "C" __global__ void __launch_bounds__(256) tile(float* y) {
  __shared__ float t[256];
  t[threadIdx.x] = y[threadIdx.x];
  __syncthreads();
  y[threadIdx.x] = t[255 - threadIdx.x];
}
)";

#define RAWGPU_NEED_NVRTC(nvrtc)                              \
  core::Result<const nv::Nvrtc*> nvrtc = nv::Nvrtc::shared(); \
  if (!nvrtc.ok()) GTEST_SKIP() << "NVRTC not available: " << nvrtc.error().message()

TEST(Nvrtc, CompilesRealSassAndTheLoaderReadsIt) {
  RAWGPU_NEED_NVRTC(nvrtc);
  std::printf("[ info     ] NVRTC %d.%d from %s\n", (*nvrtc)->major(), (*nvrtc)->minor(),
              (*nvrtc)->path().c_str());
  EXPECT_GE((*nvrtc)->major(), 11);
  for (uint32_t sm : {86u, 90u}) {
    SCOPED_TRACE(sm);
    core::Result<std::vector<uint8_t>> bin =
        nv::compile_cuda(kNvrtcSource, "axpy.cu", "sm_" + std::to_string(sm), {});
    ASSERT_TRUE(bin.ok()) << bin.error().message();
    core::Result<Cubin> c = nv::parse_cubin(*bin);
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->sm, sm);
    EXPECT_FALSE(c->simulated);
    EXPECT_TRUE(nv::check_target(*c, sm).ok());
    const CubinKernel* k = c->kernel("axpy");
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(k->args.size(), 4u);
    EXPECT_EQ(k->args[2].offset, 16u);
    EXPECT_EQ(k->args[3].offset, 20u);
    EXPECT_EQ(k->param_offset, sm == 90 ? 0x210u : 0x160u);
    EXPECT_GT(k->register_count, 0u);
    const CubinKernel* t = c->kernel("tile");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->static_shared_bytes, 1024u);
    EXPECT_EQ(t->max_threads[0], 256u);  // EIATTR_MAX_THREADS from __launch_bounds__
    EXPECT_EQ(t->max_threads[1], 1u);
    EXPECT_EQ(t->num_barriers, 1u);
    // &d_counter (.nv.global) and &d_table (.nv.global.init) reach .nv.constant4 through
    // R_CUDA_64: RELA on sm_90, REL on sm_86.
    ASSERT_GT(c->global_size, 0u);
    ASSERT_EQ(c->global_init_size, 16u);
    EXPECT_EQ(get<uint32_t>(c->image, c->global_init_offset + 8), 33u);
    ASSERT_EQ(c->relocations.size(), 2u);
    const nv::CubinConstBank* b4 = nullptr;
    for (const nv::CubinConstBank& b : c->banks)
      if (b.bank == 4) b4 = &b;
    ASSERT_NE(b4, nullptr);
    std::set<uint64_t> targets;
    for (const nv::CubinRelocation& r : c->relocations) {
      EXPECT_EQ(r.type, nv::R_CUDA_64);
      EXPECT_EQ(r.addend, 0);
      EXPECT_FALSE(r.absolute);
      EXPECT_GE(r.offset, b4->offset);
      EXPECT_LE(r.offset + 8, b4->offset + b4->size);
      targets.insert(r.symbol_value);
    }
    EXPECT_EQ(targets, (std::set<uint64_t>{c->global_offset, c->global_init_offset}));
    constexpr uint64_t kBase = 0x20'0000'0000ull;
    ASSERT_TRUE(nv::relocate(c->image, kBase, c->relocations).ok());
    std::set<uint64_t> written;
    for (const nv::CubinRelocation& r : c->relocations)
      written.insert(get<uint64_t>(c->image, r.offset));
    EXPECT_EQ(written,
              (std::set<uint64_t>{kBase + c->global_offset, kBase + c->global_init_offset}));
  }
}

TEST(Nvrtc, CompileErrorsCarryTheLog) {
  RAWGPU_NEED_NVRTC(nvrtc);
  core::Result<std::vector<uint8_t>> bin = nv::compile_cuda(
      "__global__ void broken(int* p) { p[0] = undeclared_name; }", "broken.cu", "sm_90");
  ASSERT_FALSE(bin.ok());
  EXPECT_EQ(bin.error().kind(), core::ErrorKind::kInvalidInput);
  EXPECT_EQ(bin.error().status_name(), "NVRTC_ERROR_COMPILATION");
  EXPECT_NE(bin.error().hint().find("undeclared_name"), std::string::npos) << bin.error().hint();
  EXPECT_NE(bin.error().op().find("broken.cu"), std::string::npos);
  // Only real architectures make cubins.
  bin = nv::compile_cuda("__global__ void k() {}", "k.cu", "compute_90");
  ASSERT_FALSE(bin.ok());
  EXPECT_EQ(bin.error().kind(), core::ErrorKind::kInvalidInput);
  // An option NVRTC does not know.
  const std::vector<std::string> opts = {"--no-such-option"};
  bin = nv::compile_cuda("__global__ void k() {}", "k.cu", "sm_90", opts);
  ASSERT_FALSE(bin.ok());
  EXPECT_FALSE(bin.error().status_name().empty());
}

TEST(Nvrtc, AbsentLibraryIsUnsupported) {
  const std::vector<std::string> none = {"/nonexistent/libnvrtc.so",
                                         "libnvrtc-does-not-exist.so.99"};
  core::Result<std::unique_ptr<nv::Nvrtc>> r = nv::Nvrtc::load(none);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(r.error().message().find("RAWGPU_NVRTC"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("/nonexistent/libnvrtc.so"), std::string::npos);
  // A library that loads but is not NVRTC.
  const std::vector<std::string> libc = {"libc.so.6"};
  r = nv::Nvrtc::load(libc);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no nvrtcVersion"), std::string::npos) << r.error().message();
}

TEST(Nvrtc, SearchOrder) {
  const char* old = std::getenv("RAWGPU_NVRTC");
  const std::string saved = old ? old : "";
  setenv("RAWGPU_NVRTC", "/opt/x/libnvrtc.so", 1);
  EXPECT_EQ(nv::Nvrtc::default_candidates(), std::vector<std::string>{"/opt/x/libnvrtc.so"});
  unsetenv("RAWGPU_NVRTC");
  const std::vector<std::string> c = nv::Nvrtc::default_candidates();
  ASSERT_GE(c.size(), 4u);
  EXPECT_EQ(c[0], "libnvrtc.so");
  EXPECT_EQ(c.back(), "/usr/local/cuda/lib64/libnvrtc.so");
  if (old) setenv("RAWGPU_NVRTC", saved.c_str(), 1);
}

}  // namespace
