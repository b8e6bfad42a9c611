// Discovery over the checked-in fake machines:
//   tests/data/gpu-box     PCI (libpci reads its sysfs files): a host bridge, a virtual VGA
//                          1234:1111 (bochs-drm), an RX 7900 XTX 1002:744c (amdgpu) and its HDMI
//                          audio, an H200 10de:2335 (nvidia), an MI300X 1002:74a1 (amdgpu);
//                          KFD topology; /dev nodes as regular files; the open NVIDIA driver's
//                          procfs version; pci.ids with just those IDs
//   tests/data/adreno-box  a Qualcomm KGSL device and nothing else
// Bad input comes from OverlaySys (file contents), FaultSys (errnos) and, for what libpci reads
// itself, a copy of the tree in a temporary directory.
#include "devices/discover.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/sys.h"
#include "tests/data/overlay_sys.h"

namespace rawgpu::devices {
namespace {

namespace fs = std::filesystem;
using core::FaultRule;
using core::FaultSys;
using core::SysOp;
using testing::OverlaySys;

const std::string kData = std::string(RAWGPU_TEST_SOURCE_DIR) + "/data";
const std::string kBox = kData + "/gpu-box";

Paths box_paths(const std::string& box = kBox) {
  Paths p;
  p.sys = box + "/sys";
  p.dev = box + "/dev";
  p.proc = box + "/proc";
  p.pci_ids = kBox + "/pci.ids";
  return p;
}

bool any_warning_contains(const Discovery& d, const std::string& needle) {
  return std::any_of(d.warnings.begin(), d.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

std::string all_warnings(const Discovery& d) {
  std::string s;
  for (const auto& w : d.warnings) s += "\n  " + w;
  return s;
}

// A writable copy of gpu-box (for breaking files libpci reads itself), removed at the end.
struct TempBox {
  fs::path root;
  TempBox() {
    root = fs::temp_directory_path() /
           ("rawgpu_discover_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::copy(kBox, root, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  }
  ~TempBox() { fs::remove_all(root); }
  std::string pci(const std::string& addr) const {
    return (root / "sys/bus/pci/devices" / addr).string();
  }
};

FaultRule fault(SysOp op, const std::string& path_contains, int err, bool and_after = false) {
  FaultRule r;
  r.op = op;
  r.path_contains = path_contains;
  r.err = err;
  r.and_after = and_after;
  return r;
}

TEST(Discover, GpuBox) {
  Discovery d = discover(core::host_sys(), box_paths());
  EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);

  // GPUs in address order; the host bridge and the AMD HDMI audio function are not GPUs.
  ASSERT_EQ(d.gpus.size(), 3u);
  const PciGpu& navi = d.gpus[0];
  EXPECT_EQ(navi.address, "0000:03:00.0");
  EXPECT_EQ(navi.vendor_id, 0x1002);
  EXPECT_EQ(navi.device_id, 0x744c);
  EXPECT_EQ(navi.class_code, 0x030000u);
  EXPECT_EQ(navi.revision, 0xc8);
  EXPECT_EQ(navi.subsys_vendor_id, 0x1002);
  EXPECT_EQ(navi.subsys_device_id, 0x0e3b);
  EXPECT_EQ(navi.vendor_name, "Advanced Micro Devices, Inc. [AMD/ATI]");
  EXPECT_EQ(navi.device_name, "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]");
  EXPECT_EQ(navi.class_name, "VGA compatible controller");
  EXPECT_EQ(navi.driver, "amdgpu");

  const PciGpu& h200 = d.gpus[1];
  EXPECT_EQ(h200.address, "0000:41:00.0");
  EXPECT_EQ(h200.vendor_id, 0x10de);
  EXPECT_EQ(h200.device_id, 0x2335);
  EXPECT_EQ(h200.class_code, 0x030200u);
  EXPECT_EQ(h200.revision, 0xa1);
  EXPECT_EQ(h200.vendor_name, "NVIDIA Corporation");
  EXPECT_EQ(h200.device_name, "GH100 [H200 SXM 141GB]");
  EXPECT_EQ(h200.class_name, "3D controller");
  EXPECT_EQ(h200.driver, "nvidia");

  const PciGpu& mi300 = d.gpus[2];
  EXPECT_EQ(mi300.address, "0000:c1:00.0");
  EXPECT_EQ(mi300.class_code, 0x120000u);  // processing accelerator
  EXPECT_EQ(mi300.device_name, "Aqua Vanjaram [Instinct MI300X]");
  EXPECT_EQ(mi300.driver, "amdgpu");

  ASSERT_EQ(d.other_display.size(), 1u);
  const PciGpu& vga = d.other_display[0];
  EXPECT_EQ(vga.address, "0000:00:02.0");
  EXPECT_EQ(vga.vendor_id, 0x1234);
  EXPECT_EQ(vga.device_id, 0x1111);
  EXPECT_EQ(vga.revision, 0x02);  // no revision file: libpci falls back to the config space
  EXPECT_EQ(vga.device_name, "QEMU Virtual Video Controller");
  EXPECT_EQ(vga.driver, "bochs-drm");

  // Driver nodes: kfd, render nodes, NVIDIA; not card*, nvidia-modeset, nvidia-uvm-tools, null.
  std::vector<std::string> paths, kinds;
  for (const DriverNode& n : d.nodes) {
    paths.push_back(n.path.substr(kBox.size() + 5));  // strip "<box>/dev/"
    kinds.push_back(n.kind);
    EXPECT_TRUE(n.can_open) << n.path;
    EXPECT_EQ(n.open_errno, 0);
  }
  EXPECT_EQ(paths,
            (std::vector<std::string>{"kfd", "dri/renderD128", "dri/renderD129", "dri/renderD130",
                                      "nvidiactl", "nvidia-uvm", "nvidia0"}));
  EXPECT_EQ(kinds, (std::vector<std::string>{"kfd", "render", "render", "render", "nvidiactl",
                                             "nvidia-uvm", "nvidia"}));
  EXPECT_EQ(d.nodes[1].number, 128);
  EXPECT_EQ(d.nodes[0].number, -1);

  ASSERT_TRUE(d.nvidia.has_value());
  EXPECT_EQ(d.nvidia->version, "580.65.06");
  EXPECT_TRUE(d.nvidia->open_kernel_module);
  EXPECT_TRUE(d.nvidia->banner.starts_with("NVRM version: NVIDIA UNIX Open Kernel Module"));
  EXPECT_EQ(d.nvidia->banner.find('\n'), std::string::npos);

  ASSERT_TRUE(d.kfd.has_value());
  EXPECT_EQ(d.kfd->gpus().size(), 2u);
  // A fake tree: the render nodes come from the topology (libdrm only reads the real /dev).
  ASSERT_EQ(d.kfd_render_nodes.size(), 2u);
  EXPECT_EQ(d.kfd_render_nodes[0].node, 1u);
  EXPECT_EQ(d.kfd_render_nodes[0].pci.str(), "0000:03:00.0");
  EXPECT_EQ(d.kfd_render_nodes[0].render.path, kBox + "/dev/dri/renderD128");
  EXPECT_EQ(d.kfd_render_nodes[0].render.source, "topology");
  EXPECT_EQ(d.kfd_render_nodes[1].render.minor, 129u);
  EXPECT_FALSE(d.kgsl.has_value());

  EXPECT_EQ(real_device_names(d), (std::vector<std::string>{"amd:0", "amd:1", "nv:0"}));
}

TEST(Discover, RecordsEveryReadThroughSys) {
  core::RecordSys sys(core::host_sys());
  Discovery d = discover(sys, box_paths());
  bool listed_pci = false, read_link = false, opened_kfd = false, read_version = false;
  for (const auto& c : sys.calls()) {
    listed_pci |= c.op == SysOp::kListDir && c.path.ends_with("/bus/pci/devices");
    read_link |= c.op == SysOp::kReadLink && c.path.ends_with("0000:41:00.0/driver");
    opened_kfd |= c.op == SysOp::kOpen && c.path.ends_with("/dev/kfd");
    read_version |= c.op == SysOp::kReadFile && c.path.ends_with("/driver/nvidia/version");
  }
  EXPECT_TRUE(listed_pci && read_link && opened_kfd && read_version);
  // Every node that was opened was closed again.
  size_t opens = 0, closes = 0;
  for (const auto& c : sys.calls()) {
    opens += c.op == SysOp::kOpen && c.result >= 0;
    closes += c.op == SysOp::kClose;
  }
  EXPECT_EQ(opens, closes);
  EXPECT_EQ(opens, d.nodes.size());
}

TEST(Discover, MachineWithNothingIsEmptyAndQuiet) {
  // A root with no bus/pci at all: libpci's own scan would call its error handler ("Cannot open
  // .../devices") and exit(1); discover() lists the directory through Sys first and skips libpci.
  Paths p;
  p.sys = kData + "/no-such-machine/sys";
  p.dev = kData + "/no-such-machine/dev";
  p.proc = kData + "/no-such-machine/proc";
  Discovery d = discover(core::host_sys(), p);
  EXPECT_TRUE(d.gpus.empty());
  EXPECT_TRUE(d.other_display.empty());
  EXPECT_TRUE(d.nodes.empty());
  EXPECT_FALSE(d.nvidia.has_value());
  EXPECT_FALSE(d.kfd.has_value());
  EXPECT_FALSE(d.kgsl.has_value());
  EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);
  EXPECT_TRUE(real_device_names(d).empty());
}

TEST(Discover, EmptyPciDirectoryAndNoDriDirectory) {
  TempBox box;
  for (const auto& e : fs::directory_iterator(box.root / "sys/bus/pci/devices")) fs::remove_all(e);
  fs::remove_all(box.root / "dev/dri");
  Paths p = box_paths(box.root.string());
  Discovery d = discover(core::host_sys(), p);
  EXPECT_TRUE(d.gpus.empty());
  EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);
  EXPECT_EQ(d.nodes.size(), 4u);  // kfd, nvidiactl, nvidia-uvm, nvidia0
}

TEST(Discover, AdrenoBox) {
  Discovery d = discover(core::host_sys(), box_paths(kData + "/adreno-box"));
  EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);
  EXPECT_TRUE(d.gpus.empty());
  ASSERT_TRUE(d.kgsl.has_value());
  EXPECT_EQ(d.kgsl->gpu_model, "Adreno630v2");
  ASSERT_EQ(d.nodes.size(), 1u);
  EXPECT_EQ(d.nodes[0].kind, "kgsl");
  EXPECT_EQ(d.nodes[0].number, 0);
  EXPECT_EQ(real_device_names(d), (std::vector<std::string>{"qcom:0"}));
}

TEST(Discover, NodeThisUserCannotOpen) {
  // Tests run as root, so permissions cannot deny the open; inject EACCES instead.
  FaultSys sys(core::host_sys());
  sys.add(fault(SysOp::kOpen, "/dev/nvidia0", EACCES));
  Discovery d = discover(sys, box_paths());
  auto it = std::find_if(d.nodes.begin(), d.nodes.end(),
                         [](const DriverNode& n) { return n.kind == "nvidia"; });
  ASSERT_NE(it, d.nodes.end());
  EXPECT_FALSE(it->can_open);
  EXPECT_EQ(it->open_errno, EACCES);
  for (const DriverNode& n : d.nodes) {
    EXPECT_EQ(n.can_open, n.kind != "nvidia") << n.path;
  }
  // The device exists even though this user cannot open it.
  EXPECT_EQ(real_device_names(d), (std::vector<std::string>{"amd:0", "amd:1", "nv:0"}));
}

TEST(Discover, NodeVanishingBeforeItsOpenIsLeftOut) {
  FaultSys sys(core::host_sys());
  sys.add(fault(SysOp::kOpen, "/dev/kfd", ENOENT));
  Discovery d = discover(sys, box_paths());
  for (const DriverNode& n : d.nodes) EXPECT_NE(n.kind, "kfd");
  EXPECT_EQ(d.nodes.size(), 6u);
}

TEST(Discover, ProprietaryNvidiaDriver) {
  OverlaySys sys(core::host_sys());
  sys.put(
      kBox + "/proc/driver/nvidia/version",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n"
      "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14) \n");
  Discovery d = discover(sys, box_paths());
  ASSERT_TRUE(d.nvidia.has_value()) << all_warnings(d);
  EXPECT_EQ(d.nvidia->version, "535.104.05");
  EXPECT_FALSE(d.nvidia->open_kernel_module);
}

TEST(Discover, MalformedNvidiaVersionIsAWarning) {
  OverlaySys sys(core::host_sys());
  sys.put(kBox + "/proc/driver/nvidia/version", "garbage\n");
  Discovery d = discover(sys, box_paths());
  EXPECT_FALSE(d.nvidia.has_value());
  EXPECT_TRUE(any_warning_contains(d, "driver/nvidia/version")) << all_warnings(d);
  EXPECT_TRUE(any_warning_contains(d, "NVRM version")) << all_warnings(d);
  EXPECT_EQ(d.gpus.size(), 3u);  // the rest is unaffected
}

TEST(Discover, ParseNvidiaVersion) {
  const std::string what = "/proc/driver/nvidia/version";
  auto open = parse_nvidia_version(
      "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.65.06  Release Build  "
      "(dvs-builder@U16-I3-B03-4-3)  Tue Jul 15 05:19:18 UTC 2025\r\nGCC version: x\n",
      what);
  ASSERT_TRUE(open.ok()) << open.error().message();
  EXPECT_EQ(open->version, "580.65.06");
  EXPECT_TRUE(open->open_kernel_module);
  EXPECT_TRUE(open->banner.ends_with("2025"));

  auto prop = parse_nvidia_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54", what);
  ASSERT_TRUE(prop.ok()) << prop.error().message();
  EXPECT_EQ(prop->version, "550.54");
  EXPECT_FALSE(prop->open_kernel_module);

  const char* bad[] = {
      "",
      "\n",
      "garbage",
      "GCC version:  gcc version 12.2.0\nNVRM version: NVIDIA UNIX x86_64 Kernel Module  535.1\n",
      "NVRM version:",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.  Sat Aug 19 01:15:15 UTC 2023",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  .535  2023",
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535  12:00:00 2023",
      "nvrm version: NVIDIA UNIX x86_64 Kernel Module  535.104.05",
  };
  for (const char* text : bad) {
    auto r = parse_nvidia_version(text, what);
    ASSERT_FALSE(r.ok()) << "'" << text << "' parsed as " << r->version;
    EXPECT_EQ(r.error().kind(), core::ErrorKind::kInvalidInput);
    EXPECT_EQ(r.error().op(), what);
  }
}

TEST(Discover, GpuClassification) {
  EXPECT_TRUE(is_gpu_function(kPciVendorNvidia, 0x030200));  // 3D controller
  EXPECT_TRUE(is_gpu_function(kPciVendorNvidia, 0x030000));  // VGA
  EXPECT_TRUE(is_gpu_function(kPciVendorAmd, 0x038000));     // display controller (MI210)
  EXPECT_TRUE(is_gpu_function(kPciVendorAmd, 0x120000));     // processing accelerator (MI300X)
  EXPECT_TRUE(is_gpu_function(kPciVendorQualcomm, 0x038000));
  EXPECT_TRUE(is_gpu_function(kPciVendorQualcommLegacy, 0x030000));
  EXPECT_FALSE(is_gpu_function(kPciVendorAmd, 0x040300));     // HDMI audio
  EXPECT_FALSE(is_gpu_function(kPciVendorNvidia, 0x068000));  // NVSwitch-style bridge
  EXPECT_FALSE(is_gpu_function(kPciVendorAmd, 0x120100));     // SDXI, not a GPU
  EXPECT_FALSE(is_gpu_function(0x1234, 0x030000));            // other vendors' display
  EXPECT_FALSE(is_gpu_function(0x8086, 0x030000));
}

TEST(Discover, ReadFailuresBecomeWarnings) {
  // {rule, substring of the warning it must produce}
  std::vector<std::pair<FaultRule, std::string>> cases;
  cases.emplace_back(fault(SysOp::kReadFile, "/driver/nvidia/version", EIO),
                     "driver/nvidia/version");
  cases.emplace_back(fault(SysOp::kListDir, "/bus/pci/devices", EIO), "bus/pci/devices");
  cases.emplace_back(fault(SysOp::kReadLink, "0000:41:00.0/driver", EIO), "0000:41:00.0/driver");
  cases.emplace_back(fault(SysOp::kListDir, "/dev/dri", EACCES), "dev/dri");
  cases.emplace_back(fault(SysOp::kReadFile, "/nodes/1/properties", EIO), "KFD topology");
  cases.emplace_back(fault(SysOp::kListDir, "kfd/kfd/topology", EIO), "topology");
  cases.emplace_back(fault(SysOp::kReadFile, "/nodes/2/", EPERM, true),
                     "KFD topology node 2 skipped");
  for (const auto& [rule, expect] : cases) {
    FaultSys sys(core::host_sys());
    sys.add(rule);
    Discovery d = discover(sys, box_paths());
    EXPECT_GT(sys.injected(), 0u) << expect;
    EXPECT_TRUE(any_warning_contains(d, expect)) << expect << ":" << all_warnings(d);
  }
}

TEST(Discover, PartialFailuresKeepTheRest) {
  {
    FaultSys sys(core::host_sys());
    sys.add(fault(SysOp::kReadLink, "0000:41:00.0/driver", ENOENT));
    Discovery d = discover(sys, box_paths());
    ASSERT_EQ(d.gpus.size(), 3u);
    EXPECT_EQ(d.gpus[1].driver, "");  // ENOENT: no driver bound, not a warning
    EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);
  }
  {
    FaultSys sys(core::host_sys());
    sys.add(fault(SysOp::kReadFile, "/nodes/2/", EPERM, true));
    Discovery d = discover(sys, box_paths());
    ASSERT_TRUE(d.kfd.has_value());
    EXPECT_EQ(d.kfd->skipped.size(), 1u);
    EXPECT_EQ(real_device_names(d), (std::vector<std::string>{"amd:0", "nv:0"}));
  }
  {
    OverlaySys sys(core::host_sys());
    sys.put(kBox + "/sys/devices/virtual/kfd/kfd/topology/nodes/1/properties", "simd_count x\n");
    Discovery d = discover(sys, box_paths());
    EXPECT_FALSE(d.kfd.has_value());
    EXPECT_TRUE(any_warning_contains(d, "nodes/1/properties")) << all_warnings(d);
    EXPECT_EQ(real_device_names(d), (std::vector<std::string>{"nv:0"}));
  }
}

TEST(Discover, RandomFaultsNeverCrash) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    FaultSys sys(core::host_sys());
    sys.fail_randomly(0.2, seed, seed % 2 ? EIO : EPERM);
    Discovery d = discover(sys, box_paths());
    EXPECT_LE(d.gpus.size(), 3u);
    if (sys.injected() == 0) {
      EXPECT_TRUE(d.warnings.empty());
    }
  }
}

TEST(Discover, JunkEntryInPciDirectoryIsSkipped) {
  OverlaySys sys(core::host_sys());
  sys.put(kBox + "/sys/bus/pci/devices/not-a-device/vendor", "0x10de\n");
  sys.put(kBox + "/sys/bus/pci/devices/0000:zz:00.0/vendor", "0x10de\n");
  Discovery d = discover(sys, box_paths());
  EXPECT_EQ(d.gpus.size(), 3u);
  EXPECT_TRUE(any_warning_contains(d, "not-a-device: not a PCI address")) << all_warnings(d);
  EXPECT_TRUE(any_warning_contains(d, "0000:zz:00.0: not a PCI address")) << all_warnings(d);
}

TEST(Discover, LibpciFatalErrorSkipsOnlyThatFunction) {
  // libpci treats a missing `class` file as fatal (sysfs_get_value(..., mandatory)); its
  // default handler would exit(1).
  TempBox box;
  fs::remove(box.pci("0000:41:00.0") + "/class");
  Discovery d = discover(core::host_sys(), box_paths(box.root.string()));
  ASSERT_EQ(d.gpus.size(), 2u);
  EXPECT_EQ(d.gpus[0].address, "0000:03:00.0");
  EXPECT_EQ(d.gpus[1].address, "0000:c1:00.0");
  EXPECT_TRUE(any_warning_contains(d, "PCI 0000:41:00.0: libpci: Cannot open")) << all_warnings(d);
}

TEST(Discover, LibpciReadsWhatTheFilesSay) {
  // Proof that the PCI data comes from the files: change them and see the change.
  TempBox box;
  std::ofstream(box.pci("0000:41:00.0") + "/device") << "0x2330\n";
  std::ofstream(box.pci("0000:41:00.0") + "/class") << "0x030000\n";
  std::ofstream(box.pci("0000:41:00.0") + "/revision") << "0x07\n";
  fs::remove(box.pci("0000:41:00.0") + "/subsystem_vendor");  // falls back to config space
  Discovery d = discover(core::host_sys(), box_paths(box.root.string()));
  ASSERT_EQ(d.gpus.size(), 3u);
  EXPECT_EQ(d.gpus[1].device_id, 0x2330);
  EXPECT_EQ(d.gpus[1].class_code, 0x030000u);
  EXPECT_EQ(d.gpus[1].revision, 0x07);
  EXPECT_EQ(d.gpus[1].subsys_vendor_id, 0x10de);
  EXPECT_EQ(d.gpus[1].subsys_device_id, 0x18be);
  EXPECT_EQ(d.gpus[1].device_name, "");  // not in the test database
  EXPECT_EQ(d.gpus[1].vendor_name, "NVIDIA Corporation");
  EXPECT_TRUE(d.warnings.empty()) << all_warnings(d);
}

TEST(Discover, MissingPciIdsDatabaseIsAWarning) {
  Paths p = box_paths();
  p.pci_ids = kData + "/no-such-pci.ids";
  Discovery d = discover(core::host_sys(), p);
  ASSERT_EQ(d.gpus.size(), 3u);
  EXPECT_EQ(d.gpus[0].vendor_name, "");
  EXPECT_EQ(d.gpus[0].device_name, "");
  EXPECT_TRUE(any_warning_contains(d, "no-such-pci.ids could not be read")) << all_warnings(d);
}

TEST(Discover, MalformedPciIdsDatabaseIsAWarning) {
  TempBox box;
  const std::string ids = (box.root / "bad.ids").string();
  std::ofstream(ids) << "10de  NVIDIA Corporation\n\tthis is not an id line\nzzzz\n";
  Paths p = box_paths();
  p.pci_ids = ids;
  Discovery d = discover(core::host_sys(), p);
  ASSERT_EQ(d.gpus.size(), 3u);
  for (const PciGpu& g : d.gpus) EXPECT_EQ(g.device_name, "") << g.address;
  EXPECT_TRUE(
      any_warning_contains(d, "PCI ID database: libpci: Parse error at " + ids + ", line 2"))
      << all_warnings(d);
}

}  // namespace
}  // namespace rawgpu::devices
