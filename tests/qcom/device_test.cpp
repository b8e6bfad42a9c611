// The compute-dispatch API on Qualcomm KGSL: every test runs on the simulated A630 and A660 and,
// when /dev/kgsl-3d0 exists, on the real qcom:0 (skipped otherwise, and skipped there too when the
// build has no real Adreno kernels: the Qualcomm compiler is not redistributable).
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "core/sys.h"
#include "devices/registry.h"
#include "tests/common/device_conformance.h"
#include "qcom_kgsl/abi.h"
#include "qcom_kgsl/describe.h"
#include "qcom_kgsl/device.h"
#include "sim/qcom/machine.h"

using namespace rawgpu;
using namespace std::chrono_literals;
using queues::Buffer;
using queues::Device;
using queues::KernelArgs;
using queues::MemoryKind;

namespace {

using namespace rawgpu::testing_conformance;

// Simulator code objects on the simulator; real hardware would need the Qualcomm compiler's
// libraries (none are built).
std::vector<uint8_t> kernels_for(const Device& dev) {
  const auto& p = dev.properties();
  if (!p.simulated) return {};
  return read_bytes(kernel_dir() + "/sim_basic_" + p.arch + ".co");
}

// Qualcomm: a 16 KiB command ring (~25 wraps for 10,000 dispatches); a stuck context shows its
// CP_WAIT_REG_MEM.
constexpr ConformanceCase kCases[] = {
    {"sim-qcom:0", nullptr, 16 * 1024, {"CP_WAIT_REG_MEM", nullptr}, kernels_for},
    {"sim-qcom:1", nullptr, 16 * 1024, {"CP_WAIT_REG_MEM", nullptr}, kernels_for},
    {"qcom:0", "/dev/kgsl-3d0", 16 * 1024, {"CP_WAIT_REG_MEM", nullptr}, kernels_for},
};
INSTANTIATE_TEST_SUITE_P(Devices, DeviceConformance, testing::ValuesIn(kCases), case_name);

class QcomDevice : public DeviceConformance {};
INSTANTIATE_TEST_SUITE_P(Devices, QcomDevice, testing::ValuesIn(kCases), case_name);

TEST_P(QcomDevice, Properties) {
  const auto& p = dev_->properties();
  EXPECT_EQ(p.backend, "kgsl");
  EXPECT_TRUE(p.arch.starts_with("a6")) << p.arch;
  EXPECT_GT(p.compute_units, 0u);
  EXPECT_EQ(p.timestamp_hz, 1'000'000'000u);
  EXPECT_FALSE(p.marketing_name.empty());
}

TEST_P(QcomDevice, CodeObjectForAnotherChipIsRefused) {
  const auto& p = dev_->properties();
  const std::string other = p.arch == "a630" ? "a660" : "a630";
  auto bytes = read_bytes(kernel_dir() + "/sim_basic_" + other + ".co");
  ASSERT_FALSE(bytes.empty());
  auto r = dev_->load(bytes, "saxpy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);
  std::string upper = other;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(r.error().message().find("built for " + upper), std::string::npos) << r.error().message();
  auto missing = dev_->load(code_, "no_such_kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("saxpy"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Faults: only on the simulator.

class SimQcomFaults : public testing::Test {
 protected:
  void SetUp() override {
    auto m = sim::qcom::Machine::create({.profiles = {"a630"}});
    ASSERT_TRUE(m.ok()) << m.error().message();
    machine_ = std::move(m).value();
    code_ = read_bytes(kernel_dir() + "/sim_basic_a630.co");
  }
  std::unique_ptr<Device> open(core::Sys& sys) {
    qcom::OpenOptions o;
    o.name = *core::parse_device_name("sim-qcom:0");
    o.simulated = true;
    auto d = qcom::open_device(sys, o);
    EXPECT_TRUE(d.ok()) << d.error().message();
    return d.ok() ? std::move(d).value() : nullptr;
  }
  std::unique_ptr<sim::qcom::Machine> machine_;
  std::vector<uint8_t> code_;
};

TEST_F(SimQcomFaults, AllocationFailureIsReportedAndRecovers) {
  core::FaultSys faults(machine_->sys());
  auto dev = open(faults);
  ASSERT_TRUE(dev);
  faults.add({.op = core::SysOp::kIoctl, .request = qcom::IOCTL_KGSL_GPUOBJ_ALLOC, .nth = 1,
              .err = ENOMEM});
  auto b = dev->alloc(1 << 20, MemoryKind::kDevice);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().err(), ENOMEM);
  EXPECT_NE(b.error().message().find("IOCTL_KGSL_GPUOBJ_ALLOC"), std::string::npos) << b.error().message();
  EXPECT_TRUE(dev->alloc(1 << 20, MemoryKind::kDevice).ok());
  auto big = dev->alloc(1ull << 40, MemoryKind::kDevice);  // KGSL refuses sizes over 4 GiB
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().err(), EINVAL);
  // A failing submission names the ioctl.
  auto q = dev->create_compute_queue().value();
  auto s = dev->create_signal(0).value();
  ASSERT_OK(q->signal(*s, 1));
  faults.add({.op = core::SysOp::kIoctl, .request = qcom::IOCTL_KGSL_GPU_COMMAND, .nth = 1, .err = EINVAL});
  auto r = q->submit();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("IOCTL_KGSL_GPU_COMMAND"), std::string::npos) << r.error().message();
}

TEST_F(SimQcomFaults, OutOfBoundsKernelFaultsAndTheProcessKeepsWorking) {
  auto dev = open(machine_->sys());
  ASSERT_TRUE(dev);
  auto fill = dev->load(code_, "fill_u32").value();
  auto small = dev->alloc(4096, MemoryKind::kDevice).value();
  auto q = dev->create_compute_queue().value();
  auto done = dev->create_signal(0).value();
  KernelArgs args;
  args.ptr(*small).u32(1).u32(1 << 20);
  ASSERT_OK(q->exec(*fill, args, {(1 << 20) / 256}, {256}));
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 5s);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind(), core::ErrorKind::kGpuFault) << w.error().message();
  bool logged = false;
  for (const std::string& line : machine_->kernel_log()) logged = logged || line.find("fault") != std::string::npos;
  EXPECT_TRUE(logged) << "the kernel log reports the page fault";
  q.reset();  // the invalidated context goes; a new queue (context) works
  auto q2 = dev->create_compute_queue().value();
  auto saxpy = dev->load(code_, "saxpy").value();
  auto y = dev->alloc(1024 * 4, MemoryKind::kDeviceMapped).value();
  auto x = dev->alloc(1024 * 4, MemoryKind::kDeviceMapped).value();
  std::fill_n(static_cast<float*>(x->cpu_ptr()), 1024, 2.0f);
  std::fill_n(static_cast<float*>(y->cpu_ptr()), 1024, 1.0f);
  KernelArgs a2;
  a2.ptr(*y).ptr(*x).f32(4.0f).u32(1024);
  auto done2 = dev->create_signal(0).value();
  ASSERT_OK(q2->exec(*saxpy, a2, {4}, {256}));
  ASSERT_OK(q2->signal(*done2, 1));
  ASSERT_OK(q2->submit());
  auto w2 = done2->wait(1, 5s);
  ASSERT_TRUE(w2.ok()) << w2.error().message();
  EXPECT_EQ(static_cast<float*>(y->cpu_ptr())[1023], 9.0f);
}

TEST_F(SimQcomFaults, MissingDeviceNodeSaysWhatIsMissing) {
  sim::SimSys empty;
  qcom::OpenOptions o;
  o.name = *core::parse_device_name("qcom:0");
  auto d = qcom::open_device(empty, o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().err(), ENOENT);
  EXPECT_NE(d.error().message().find("/dev/kgsl-3d0"), std::string::npos);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
void arm_alloc_counter(bool on);
uint64_t counted_allocs();

namespace {

TEST(QcomHotPath, EnqueueAllocatesNothing) {
  auto dev = rawgpu::open("sim-qcom:0").value();
  auto code = kernels_for(*dev);
  auto fill = dev->load(code, "fill_u32").value();
  auto buf = dev->alloc(4096, MemoryKind::kDevice).value();
  auto sig = dev->create_signal(0).value();
  auto q = dev->create_compute_queue().value();
  auto xq = dev->create_copy_queue().value();
  KernelArgs args;
  args.ptr(*buf).u32(1).u32(16);
  ASSERT_OK(q->exec(*fill, args, {1}, {16}));
  ASSERT_OK(q->submit());
  arm_alloc_counter(true);
  bool ok = true;
  // Enqueueing allocates nothing; submit() is an ioctl, and the simulated kernel behind it
  // allocates like a kernel would, so it runs with the counter off.
  for (int i = 0; i < 2000; ++i) {
    ok = ok && q->exec(*fill, args, {1}, {16}).ok();
    if (i % 100 == 99) {
      ok = ok && q->barrier().ok() && q->timestamp(*sig).ok();
      arm_alloc_counter(false);
      ok = ok && q->submit().ok();
      arm_alloc_counter(true);
    }
    if (i % 500 == 0) ok = ok && xq->copy(*buf, 0, *buf, 2048, 1024).ok() && xq->submit().ok();
  }
  ok = ok && q->signal(*sig, 1).ok();
  arm_alloc_counter(false);
  ok = ok && q->submit().ok();
  EXPECT_TRUE(ok);
  EXPECT_EQ(counted_allocs(), 0u) << "the hot path allocated";
  ASSERT_OK(sig->wait(1, 20s));
}

}  // namespace
