#include "devices/registry.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using rawgpu::core::ErrorKind;
using rawgpu::core::host_sys;
using rawgpu::devices::Paths;

namespace {

// An empty machine, or one with NVIDIA nodes (regular files stand in for device nodes).
struct Tree {
  fs::path root;
  Paths paths;
  explicit Tree(bool with_nvidia) {
    root = fs::temp_directory_path() /
           ("rawgpu_registry_" + std::to_string(::getpid()) + (with_nvidia ? "_nv" : "_empty"));
    fs::remove_all(root);
    for (const char* d : {"sys", "dev", "proc"}) fs::create_directories(root / d);
    if (with_nvidia) {
      for (const char* n : {"nvidiactl", "nvidia0", "nvidia1", "nvidia-uvm"})
        std::ofstream(root / "dev" / n) << "";
    }
    paths.sys = (root / "sys").string();
    paths.dev = (root / "dev").string();
    paths.proc = (root / "proc").string();
  }
  ~Tree() { fs::remove_all(root); }
};

}  // namespace

TEST(Registry, BadNameListsSpellingsAndDevices) {
  Tree t(true);
  auto r = rawgpu::devices::open("cuda:0", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidInput);
  const std::string m = r.error().message();
  EXPECT_NE(m.find("expected amd:N, nv:N"), std::string::npos) << m;
  EXPECT_NE(m.find("devices available: nv:0, nv:1, sim-amd:0, sim-amd:1"), std::string::npos) << m;
}

TEST(Registry, MissingDeviceIsNotFound) {
  Tree t(true);
  auto r = rawgpu::devices::open("amd:0", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find("open amd:0: not found: no such device; devices available: "
                                     "nv:0, nv:1, sim-amd:0"),
            std::string::npos)
      << r.error().message();
}

// The nodes exist but are not the driver (regular files here): the NVIDIA backend's open fails
// with the reason, naming the device and the node.
TEST(Registry, PresentDeviceThatFailsToOpenSaysWhy) {
  Tree t(true);
  auto r = rawgpu::devices::open("nv", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  const std::string m = r.error().message();
  EXPECT_NE(m.find("open nv:0"), std::string::npos) << m;
  EXPECT_NE(m.find("not an NVIDIA device node"), std::string::npos) << m;
}

// The same for a KGSL node that is not the driver.
TEST(Registry, PresentKgslNodeThatFailsToOpenSaysWhy) {
  Tree t(true);
  std::ofstream(t.root / "dev" / "kgsl-3d0") << "";
  auto r = rawgpu::devices::open("qcom:0", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  const std::string m = r.error().message();
  EXPECT_NE(m.find("open qcom:0"), std::string::npos) << m;
  EXPECT_NE(m.find("IOCTL_KGSL_DEVICE_GETPROPERTY"), std::string::npos) << m;
}

TEST(Registry, EmptyMachine) {
  Tree t(false);
  EXPECT_EQ(rawgpu::devices::available(host_sys(), t.paths), rawgpu::devices::simulated_devices());
  auto r = rawgpu::devices::open("sim-qcom:7", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("sim-qcom:7"), std::string::npos);
  EXPECT_NE(r.error().message().find("devices available:"), std::string::npos);
}

TEST(Registry, DefaultComesFromEnvironment) {
  Tree t(true);
  ::setenv("RAWGPU_DEVICE", "nv:1", 1);
  EXPECT_EQ(rawgpu::devices::default_device_name(host_sys(), t.paths), "nv:1");
  auto r = rawgpu::devices::open("", host_sys(), t.paths);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("open nv:1"), std::string::npos) << r.error().message();
  ::unsetenv("RAWGPU_DEVICE");
  EXPECT_EQ(rawgpu::devices::default_device_name(host_sys(), t.paths), "nv:0");
}
