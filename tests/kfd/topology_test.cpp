// KFD topology reader over the checked-in fake tree tests/data/gpu-box (a CPU node, an RX 7900
// XTX = gfx1100 and an MI300X = gfx942 with 8 XCCs), with bad input layered on top by
// OverlaySys and failures injected by FaultSys.
#include "kfd/topology.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/sys.h"
#include "tests/data/overlay_sys.h"

namespace rawgpu::kfd {
namespace {

using core::ErrorKind;
using core::FaultRule;
using core::FaultSys;
using core::SysOp;
using testing::OverlaySys;

const std::string kRoot =
    std::string(RAWGPU_TEST_SOURCE_DIR) + "/data/gpu-box/sys/devices/virtual/kfd/kfd/topology";

std::string node_file(int n, const std::string& file) {
  return kRoot + "/nodes/" + std::to_string(n) + "/" + file;
}

TEST(Topology, ReadsRealisticTree) {
  auto t = read_topology(core::host_sys(), kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->generation_id, 3u);
  ASSERT_EQ(t->nodes.size(), 3u);
  EXPECT_TRUE(t->skipped.empty());

  const Node& cpu = t->nodes[0];
  EXPECT_EQ(cpu.index, 0u);
  EXPECT_FALSE(cpu.is_gpu());
  EXPECT_EQ(cpu.name, "");
  EXPECT_EQ(cpu.prop("cpu_cores_count"), 64u);
  EXPECT_EQ(cpu.gfx_name(), "");
  EXPECT_EQ(cpu.compute_units(), 0u);
  EXPECT_EQ(cpu.vram_bytes(), 0u);  // heap_type 0 (system) is not VRAM
  ASSERT_EQ(cpu.mem_banks.size(), 1u);
  EXPECT_EQ(cpu.mem_banks[0].size_in_bytes, 270274813952u);

  const Node& navi = t->nodes[1];
  EXPECT_EQ(navi.index, 1u);
  EXPECT_TRUE(navi.is_gpu());
  EXPECT_EQ(navi.gpu_id, 45423u);
  EXPECT_EQ(navi.name, "ip discovery");
  EXPECT_EQ(navi.gfx_target_version(), 110000u);
  EXPECT_EQ(navi.gfx_name(), "gfx1100");
  EXPECT_EQ(navi.compute_units(), 96u);  // 192 SIMDs / 2 per CU
  EXPECT_EQ(navi.num_xcc(), 1u);
  EXPECT_EQ(navi.wave_front_size(), 32u);
  EXPECT_EQ(navi.drm_render_minor(), 128u);
  EXPECT_EQ(navi.prop("unique_id"), 9221541227541419807ull);  // full 64 bits
  ASSERT_EQ(navi.mem_banks.size(), 1u);
  EXPECT_EQ(navi.mem_banks[0].heap_type, 1u);
  EXPECT_EQ(navi.mem_banks[0].width, 384u);
  EXPECT_EQ(navi.mem_banks[0].mem_clk_max, 2500u);
  EXPECT_EQ(navi.vram_bytes(), 25753026560u);

  const Node& mi300 = t->nodes[2];
  EXPECT_EQ(mi300.gpu_id, 7788u);
  EXPECT_EQ(mi300.gfx_name(), "gfx942");
  EXPECT_EQ(mi300.num_xcc(), 8u);
  EXPECT_EQ(mi300.compute_units(), 304u);  // 1216 SIMDs / 4 per CU, all XCCs together
  EXPECT_EQ(mi300.wave_front_size(), 64u);
  EXPECT_EQ(mi300.drm_render_minor(), 129u);
  EXPECT_EQ(mi300.vram_bytes(), 205822885888u);
  // Keys this code does not know about are kept.
  EXPECT_EQ(mi300.prop("cwsr_size"), 0x3a8000u);
  EXPECT_EQ(mi300.prop("ctl_stack_size"), 0x6000u);

  auto gpus = t->gpus();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0]->index, 1u);
  EXPECT_EQ(gpus[1]->index, 2u);
}

TEST(Topology, SortsNodesNumericallyAndIgnoresOtherEntries) {
  OverlaySys sys(core::host_sys());
  for (int n = 3; n <= 10; ++n) {
    sys.put(node_file(n, "gpu_id"), "0\n");
    sys.put(node_file(n, "name"), "\n");
    sys.put(node_file(n, "properties"), "cpu_cores_count " + std::to_string(n) + "\n");
  }
  sys.put(kRoot + "/nodes/not-a-node/gpu_id", "1\n");
  auto t = read_topology(sys, kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->nodes.size(), 11u);
  for (uint32_t i = 0; i < t->nodes.size(); ++i) EXPECT_EQ(t->nodes[i].index, i);
  EXPECT_EQ(t->nodes[10].prop("cpu_cores_count"), 10u);  // 10 comes after 9, not after 1
  EXPECT_TRUE(t->nodes[10].mem_banks.empty());           // no mem_banks dir: no banks
}

TEST(Topology, NodeDeniedByDeviceCgroupIsSkipped) {
  // The kernel answers EPERM for every file of a GPU node the device cgroup hides.
  FaultSys sys(core::host_sys());
  sys.add(FaultRule{
      .op = SysOp::kReadFile, .path_contains = "/nodes/2/", .and_after = true, .err = EPERM});
  auto t = read_topology(sys, kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  ASSERT_EQ(t->nodes.size(), 2u);
  EXPECT_EQ(t->nodes[1].index, 1u);
  ASSERT_EQ(t->skipped.size(), 1u);
  EXPECT_EQ(t->skipped[0].index, 2u);
  EXPECT_EQ(t->skipped[0].err, EPERM);
  EXPECT_NE(t->skipped[0].reason.find("nodes/2/gpu_id"), std::string::npos) << t->skipped[0].reason;
  EXPECT_NE(t->skipped[0].reason.find("EPERM"), std::string::npos);
  EXPECT_EQ(t->gpus().size(), 1u);
}

TEST(Topology, EpermOnPropertiesOrBankListingAlsoSkips) {
  {
    FaultSys sys(core::host_sys());
    sys.add(
        FaultRule{.op = SysOp::kReadFile, .path_contains = "/nodes/1/properties", .err = EPERM});
    auto t = read_topology(sys, kRoot);
    ASSERT_TRUE(t.ok()) << t.error().message();
    ASSERT_EQ(t->skipped.size(), 1u);
    EXPECT_EQ(t->skipped[0].index, 1u);
    EXPECT_EQ(t->nodes.size(), 2u);
  }
  {
    FaultSys sys(core::host_sys());
    sys.add(FaultRule{.op = SysOp::kListDir, .path_contains = "/nodes/2/mem_banks", .err = EPERM});
    auto t = read_topology(sys, kRoot);
    ASSERT_TRUE(t.ok()) << t.error().message();
    ASSERT_EQ(t->skipped.size(), 1u);
    EXPECT_EQ(t->skipped[0].index, 2u);
  }
}

TEST(Topology, OtherReadFailuresAreErrorsNamingTheFile) {
  FaultSys sys(core::host_sys());
  sys.add(FaultRule{.op = SysOp::kReadFile, .path_contains = "/nodes/1/properties", .err = EIO});
  auto t = read_topology(sys, kRoot);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind(), ErrorKind::kSys);
  EXPECT_EQ(t.error().err(), EIO);
  EXPECT_NE(t.error().op().find("nodes/1/properties"), std::string::npos) << t.error().message();
}

TEST(Topology, MalformedPropertiesLineIsAnError) {
  OverlaySys sys(core::host_sys());
  sys.put(node_file(1, "properties"), "simd_count 192\nthis_line_has_no_value\nsimd_per_cu 2\n");
  auto t = read_topology(sys, kRoot);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(t.error().op().find("nodes/1/properties"), std::string::npos) << t.error().message();
  EXPECT_NE(t.error().message().find("line 2"), std::string::npos) << t.error().message();
}

TEST(Topology, NonNumericPropertyValueIsAnError) {
  OverlaySys sys(core::host_sys());
  sys.put(node_file(2, "properties"), "simd_count 1216\nnum_xcc eight\n");
  auto t = read_topology(sys, kRoot);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(t.error().op().find("nodes/2/properties"), std::string::npos);
  EXPECT_NE(t.error().message().find("num_xcc"), std::string::npos) << t.error().message();
}

TEST(Topology, MissingGpuIdIsAnErrorNamingTheFile) {
  OverlaySys sys(core::host_sys());
  sys.remove(node_file(1, "gpu_id"));
  auto t = read_topology(sys, kRoot);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind(), ErrorKind::kSys);
  EXPECT_EQ(t.error().err(), ENOENT);
  EXPECT_NE(t.error().op().find("nodes/1/gpu_id"), std::string::npos) << t.error().message();
}

TEST(Topology, BadNumberFilesAreErrors) {
  const struct {
    std::string file;
    std::string text;
  } cases[] = {
      {node_file(1, "gpu_id"), "abc\n"},
      {node_file(1, "gpu_id"), "\n"},
      {node_file(1, "gpu_id"), "-5\n"},
      {node_file(1, "gpu_id"), "4294967296\n"},  // gpu_id is 32-bit
      {node_file(1, "gpu_id"), "12 34\n"},
      {kRoot + "/generation_id", "three\n"},
      {kRoot + "/generation_id", "99999999999999999999999\n"},
  };
  for (const auto& c : cases) {
    OverlaySys sys(core::host_sys());
    sys.put(c.file, c.text);
    auto t = read_topology(sys, kRoot);
    ASSERT_FALSE(t.ok()) << c.file << " = '" << c.text << "'";
    EXPECT_EQ(t.error().kind(), ErrorKind::kInvalidInput) << t.error().message();
    EXPECT_NE(t.error().op().find(c.file), std::string::npos) << t.error().message();
  }
}

TEST(Topology, BadMemBanksAreErrors) {
  const std::string bank = node_file(1, "mem_banks/0/properties");
  const std::string cases[] = {
      "size_in_bytes 100\nflags 0\n",                      // no heap_type
      "heap_type 1\nflags 0\n",                            // no size_in_bytes
      "heap_type 1\nsize_in_bytes 1\nwidth 4294967296\n",  // width is 32-bit
      "heap_type 1\nsize_in_bytes lots\n",
      "heap_type\n",
  };
  for (const std::string& text : cases) {
    OverlaySys sys(core::host_sys());
    sys.put(bank, text);
    auto t = read_topology(sys, kRoot);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(t.error().op().find("mem_banks/0/properties"), std::string::npos)
        << t.error().message();
  }
}

TEST(Topology, MissingTreeOrGenerationIdIsAnError) {
  auto t = read_topology(core::host_sys(), kRoot + "/does-not-exist");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().err(), ENOENT);
  EXPECT_NE(t.error().op().find("generation_id"), std::string::npos);

  OverlaySys sys(core::host_sys());
  sys.remove(kRoot + "/nodes");
  auto u = read_topology(sys, kRoot);
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().op().find("/nodes"), std::string::npos) << u.error().message();
}

TEST(Topology, RetriesWhenGenerationChangesDuringTheScan) {
  OverlaySys overlay(core::host_sys());
  // Before/after of the first scan differ (hot-plug); the second scan is stable.
  overlay.put_sequence(kRoot + "/generation_id", {"3\n", "4\n", "4\n", "4\n"});
  core::RecordSys sys(overlay);
  auto t = read_topology(sys, kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->generation_id, 4u);
  EXPECT_EQ(t->nodes.size(), 3u);
  int generation_reads = 0;
  for (const auto& c : sys.calls())
    if (c.op == SysOp::kReadFile && c.path.ends_with("/generation_id")) ++generation_reads;
  EXPECT_EQ(generation_reads, 4);
}

TEST(Topology, NodeVanishingDuringAChangeIsRetried) {
  OverlaySys overlay(core::host_sys());
  overlay.put_sequence(kRoot + "/generation_id", {"3\n", "4\n", "4\n", "4\n"});
  FaultSys sys(overlay);
  // Node 2 disappears mid-scan once (ENOENT), and generation_id says the topology changed.
  sys.add(FaultRule{.op = SysOp::kReadFile, .path_contains = "/nodes/2/gpu_id", .err = ENOENT});
  auto t = read_topology(sys, kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->generation_id, 4u);
  EXPECT_EQ(t->nodes.size(), 3u);
}

TEST(Topology, GivesUpWhenGenerationKeepsChanging) {
  OverlaySys sys(core::host_sys());
  sys.put_sequence(kRoot + "/generation_id", {"1\n", "2\n", "3\n", "4\n", "5\n", "6\n", "7\n"});
  auto t = read_topology(sys, kRoot);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().err(), EAGAIN);
  EXPECT_NE(t.error().message().find("changed"), std::string::npos) << t.error().message();
}

TEST(Topology, GfxNames) {
  EXPECT_EQ(gfx_name_of(90010), "gfx90a");
  EXPECT_EQ(gfx_name_of(90402), "gfx942");
  EXPECT_EQ(gfx_name_of(90500), "gfx950");
  EXPECT_EQ(gfx_name_of(100300), "gfx1030");
  EXPECT_EQ(gfx_name_of(110000), "gfx1100");
  EXPECT_EQ(gfx_name_of(110501), "gfx1151");
  EXPECT_EQ(gfx_name_of(120000), "gfx1200");
  EXPECT_EQ(gfx_name_of(120001), "gfx1201");
  EXPECT_EQ(gfx_name_of(90012), "gfx90c");
  EXPECT_EQ(gfx_name_of(0), "");  // CPU nodes
}

TEST(Topology, NodeAccessorsFallBack) {
  Node n;
  EXPECT_EQ(n.num_xcc(), 1u);        // older kernels do not print num_xcc
  EXPECT_EQ(n.compute_units(), 0u);  // no simd_per_cu: no division by zero
  EXPECT_EQ(n.prop("missing", 7), 7u);
  n.props["num_xcc"] = 0;
  EXPECT_EQ(n.num_xcc(), 1u);
  n.mem_banks.push_back({.heap_type = 1, .size_in_bytes = 100});
  n.mem_banks.push_back({.heap_type = 2, .size_in_bytes = 20});
  n.mem_banks.push_back({.heap_type = 0, .size_in_bytes = 5000});
  EXPECT_EQ(n.vram_bytes(), 120u);
}

// ---- render node -----------------------------------------------------------------------------

TEST(RenderNode, PciLocationFromTheTopology) {
  auto t = read_topology(core::host_sys(), kRoot);
  ASSERT_TRUE(t.ok()) << t.error().message();
  auto gpus = t->gpus();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(pci_location(*gpus[0]).str(), "0000:03:00.0");  // location_id 768
  EXPECT_EQ(pci_location(*gpus[1]).str(), "0000:c1:00.0");  // location_id 49408
  Node n;
  n.props = {{"location_id", (0x41u << 8) | (0x1Au << 3) | 5}, {"domain", 2}};
  EXPECT_EQ(pci_location(n), (PciLocation{.domain = 2, .bus = 0x41, .device = 0x1A, .function = 5}));
}

// Any Sys but the host's (here the simulator's tree read through a recorder) takes the topology.
TEST(RenderNode, OtherSysesUseTheTopologyMinor) {
  auto t = read_topology(core::host_sys(), kRoot);
  ASSERT_TRUE(t.ok());
  core::RecordSys rec(core::host_sys());
  auto r = find_render_node(rec, *t->gpus()[1], "/somewhere/dev");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "/somewhere/dev/dri/renderD129");
  EXPECT_EQ(r->minor, 129u);
  EXPECT_EQ(r->source, "topology");
  EXPECT_TRUE(rec.calls().empty());  // nothing read, nothing opened
  // The host Sys with another device root is a fake tree too.
  auto h = find_render_node(core::host_sys(), *t->gpus()[0], "/tmp/fake-dev");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->source, "topology");
}

// On the host, libdrm names the node; a PCI location libdrm does not list falls back to the
// topology (always the case without /dev/dri).
TEST(RenderNode, HostUsesLibdrmAndFallsBackWhenItListsNothing) {
  Node ghost;
  ghost.index = 7;
  ghost.props = {{"location_id", 0xFFFF}, {"domain", 0xFFFF}, {"drm_render_minor", 200}};
  auto missing = find_render_node_libdrm(pci_location(ghost));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound) << missing.error().message();
  auto r = find_render_node(core::host_sys(), ghost, "/dev");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->source, "topology");
  EXPECT_EQ(r->path, "/dev/dri/renderD200");
}

// With a real DRM device: libdrm's answer wins, and a topology that disagrees is an error naming
// both. Skipped cleanly without /dev/dri.
TEST(RenderNode, LibdrmAgreesWithTheTopologyOrSaysBoth) {
  std::optional<RenderNode> any;
  PciLocation loc;
  for (uint32_t bus = 0; bus < 256 && !any; ++bus) {
    for (uint32_t dev = 0; dev < 32 && !any; ++dev) {
      loc = {.domain = 0, .bus = bus, .device = dev, .function = 0};
      if (auto r = find_render_node_libdrm(loc); r.ok()) any = *r;
    }
  }
  if (!any) GTEST_SKIP() << "libdrm lists no PCI render node here (no /dev/dri)";
  Node n;
  n.index = 1;
  n.props = {{"location_id", (loc.bus << 8) | (loc.device << 3)}, {"domain", 0}, {"drm_render_minor", any->minor}};
  auto ok = find_render_node(core::host_sys(), n, "/dev");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->source, "libdrm");
  EXPECT_EQ(ok->path, any->path);
  n.props["drm_render_minor"] = any->minor + 1;
  auto bad = find_render_node(core::host_sys(), n, "/dev");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message().find(any->path), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("drm_render_minor is " + std::to_string(any->minor + 1)),
            std::string::npos);
}

}  // namespace
}  // namespace rawgpu::kfd
