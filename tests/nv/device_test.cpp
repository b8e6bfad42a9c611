// The compute-dispatch API on NVIDIA: every test runs on the simulated GH100 (sm_90, QMD V04) and
// GA102 (sm_86, QMD V03) and, when /dev/nvidiactl exists, on the real nv:0 (skipped otherwise).
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
#include "nv_ioctl/describe.h"
#include "nv_ioctl/device.h"
#include "nv_ioctl/nvrtc.h"
#include "sim/nv/machine.h"

using namespace rawgpu;
using namespace std::chrono_literals;
using queues::Buffer;
using queues::Device;
using queues::KernelArgs;
using queues::MemoryKind;

namespace {

using namespace rawgpu::testing_conformance;

// Simulator cubins on the simulator, nvcc's cubins on real hardware.
std::vector<uint8_t> kernels_for(const Device& dev) {
  const auto& p = dev.properties();
  const std::string dir = kernel_dir();
  return read_bytes(p.simulated ? dir + "/sim_basic_" + p.arch + ".co"
                                : dir + "/basic_" + p.arch + ".cubin");
}

// NVIDIA: a 16-entry GPFIFO ring; a stuck channel shows its semaphore acquire.
constexpr ConformanceCase kCases[] = {
    {"sim-nv:0", nullptr, 16 * 8, {"SEM_EXECUTE", "ACQ_CIRC_GEQ"}, kernels_for},
    {"sim-nv:1", nullptr, 16 * 8, {"SEM_EXECUTE", "ACQ_CIRC_GEQ"}, kernels_for},
    {"nv:0", "/dev/nvidiactl", 16 * 8, {"SEM_EXECUTE", "ACQ_CIRC_GEQ"}, kernels_for},
};
INSTANTIATE_TEST_SUITE_P(Devices, DeviceConformance, testing::ValuesIn(kCases), case_name);

class NvDevice : public DeviceConformance {};
INSTANTIATE_TEST_SUITE_P(Devices, NvDevice, testing::ValuesIn(kCases), case_name);

TEST_P(NvDevice, Properties) {
  const auto& p = dev_->properties();
  EXPECT_EQ(p.backend, "nv");
  EXPECT_TRUE(p.arch.starts_with("sm_"));
  EXPECT_GT(p.compute_units, 0u);
  EXPECT_EQ(p.simd_width, 32u);
  EXPECT_EQ(p.timestamp_hz, 1'000'000'000u);
}

TEST_P(NvDevice, CubinForAnotherSmIsRefused) {
  const auto& p = dev_->properties();
  const std::string other = p.arch == "sm_90" ? "sm_86" : "sm_90";
  const std::string dir = kernel_dir();
  auto bytes = read_bytes(p.simulated ? dir + "/sim_basic_" + other + ".co"
                                      : dir + "/basic_" + other + ".cubin");
  ASSERT_FALSE(bytes.empty());
  auto r = dev_->load(bytes, "saxpy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(r.error().message().find(other), std::string::npos) << r.error().message();
  auto missing = dev_->load(code_, "no_such_kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("saxpy"), std::string::npos);
}

// Real SASS from nvcc and from NVRTC loads (image, relocations, QMD template) on every device;
// it runs only on real hardware (the simulator refuses to execute SASS).
TEST_P(NvDevice, RealCubinsFromNvccAndNvrtcLoad) {
  const std::string arch = dev_->properties().arch;
#ifdef RAWGPU_HAVE_NVCC
  auto nvcc = read_bytes(kernel_dir() + "/basic_" + arch + ".cubin");
  ASSERT_FALSE(nvcc.empty());
  auto p = dev_->load(nvcc, "saxpy");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ((*p)->info().explicit_args_size, 24u);
  EXPECT_EQ((*p)->info().arch, arch);
#endif
  auto rtc = nv::Nvrtc::shared();
  if (!rtc.ok()) GTEST_SKIP() << rtc.error().message();
  auto cubin = (*rtc)->compile(
      "extern \"C\" __global__ void scale(float* v, float a, unsigned n) {\n"
      "  unsigned i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) v[i] *= a; }\n",
      "scale.cu", arch);
  ASSERT_TRUE(cubin.ok()) << cubin.error().message();
  auto q = dev_->load(*cubin, "scale");
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ((*q)->info().explicit_args_size, 16u);
  if (dev_->properties().simulated) return;  // the simulator runs only simulator kernels
  // On the GPU: run the NVRTC kernel.
  const uint32_t n = 4096;
  auto v = buffer(n * 4, MemoryKind::kDeviceMapped);
  auto* f = static_cast<float*>(v->cpu_ptr());
  for (uint32_t i = 0; i < n; ++i) f[i] = static_cast<float>(i);
  auto cq = dev_->create_compute_queue().value();
  auto done = dev_->create_signal(0).value();
  KernelArgs a;
  a.ptr(*v).f32(0.5f).u32(n);
  ASSERT_OK(cq->exec(**q, a, {n / 128}, {128}));
  ASSERT_OK(cq->signal(*done, 1));
  ASSERT_OK(cq->submit());
  auto w = done->wait(1, 10s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(f[4095], 2047.5f);
}

// Video memory page sizes by size: 2 MiB from 8 MiB, 64 KiB from 256 KiB.
TEST_P(NvDevice, PageSizesFollowTheSize) {
  auto big = dev_->alloc(16 << 20, MemoryKind::kDevice);
  ASSERT_TRUE(big.ok()) << big.error().message();
  EXPECT_EQ((*big)->gpu_addr() % (2 << 20), 0u);
  auto mid = dev_->alloc(1 << 20, MemoryKind::kDevice);
  ASSERT_TRUE(mid.ok()) << mid.error().message();
  EXPECT_EQ((*mid)->gpu_addr() % (64 << 10), 0u);
  auto odd = dev_->alloc(300 << 10, MemoryKind::kDeviceMapped);
  ASSERT_TRUE(odd.ok()) << odd.error().message();
  EXPECT_EQ((*odd)->size(), 320u << 10);
}

// ---------------------------------------------------------------------------------------------
// Faults: only on the simulator.

class SimNvFaults : public testing::Test {
 protected:
  void SetUp() override {
    auto m = sim::nv::Machine::create({.profiles = {"GH100"}});
    ASSERT_TRUE(m.ok()) << m.error().message();
    machine_ = std::move(m).value();
    code_ = read_bytes(kernel_dir() + "/sim_basic_sm_90.co");
  }
  std::unique_ptr<Device> open(core::Sys& sys) {
    nv::OpenOptions o;
    o.name = *core::parse_device_name("sim-nv:0");
    o.simulated = true;
    auto d = nv::open_device(sys, o);
    EXPECT_TRUE(d.ok()) << d.error().message();
    return d.ok() ? std::move(d).value() : nullptr;
  }
  std::unique_ptr<sim::nv::Machine> machine_;
  std::vector<uint8_t> code_;
};

TEST_F(SimNvFaults, AllocationFailureIsReportedAndRecovers) {
  core::FaultSys faults(machine_->sys());
  auto dev = open(faults);
  ASSERT_TRUE(dev);
  faults.add({.op = core::SysOp::kIoctl, .request = nv::NvIoctlRow<nv::NvIoctl::RM_ALLOC>::request,
              .nth = 1, .err = ENOMEM});
  auto b = dev->alloc(1 << 20, MemoryKind::kDevice);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().err(), ENOMEM);
  EXPECT_NE(b.error().message().find("NV_ESC_RM_ALLOC"), std::string::npos) << b.error().message();
  EXPECT_TRUE(dev->alloc(1 << 20, MemoryKind::kDevice).ok());
  // More than the GPU has is refused by RM itself.
  auto big = dev->alloc(1ull << 50, MemoryKind::kDevice);
  ASSERT_FALSE(big.ok());
  // A failing UVM mapping undoes the allocation.
  faults.add({.op = core::SysOp::kIoctl,
              .request = nv::NvIoctlRow<nv::NvIoctl::UVM_MAP_EXTERNAL_ALLOCATION>::request, .nth = 1,
              .err = EFAULT});
  auto m = dev->alloc(1 << 20, MemoryKind::kDeviceMapped);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().err(), EFAULT);
  const size_t live = machine_->rm_object_count();
  EXPECT_TRUE(dev->alloc(1 << 20, MemoryKind::kDeviceMapped).ok());
  EXPECT_EQ(machine_->rm_object_count(), live);  // that buffer is freed again
}

TEST_F(SimNvFaults, OutOfBoundsKernelFaultsAndTheProcessKeepsWorking) {
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
  EXPECT_NE(w.error().message().find("Xid 31"), std::string::npos) << w.error().message();
  char want[32];
  std::snprintf(want, sizeof want, "0x%llx", static_cast<unsigned long long>(small->gpu_addr() + 4096));
  bool logged = false;
  for (const std::string& line : machine_->kernel_log()) logged = logged || line.find(want) != std::string::npos;
  EXPECT_TRUE(logged) << "the Xid line names the faulting address " << want;
  q.reset();  // the faulted channel goes; a new one works
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

TEST_F(SimNvFaults, MissingDeviceNodesSayWhatIsMissing) {
  sim::SimSys empty;
  nv::OpenOptions o;
  o.name = *core::parse_device_name("nv:0");
  auto d = nv::open_device(empty, o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().err(), ENOENT);
  EXPECT_NE(d.error().message().find("/dev/nvidiactl"), std::string::npos);
}

TEST_F(SimNvFaults, EverythingIsFreedWithTheDevice) {
  {
    auto dev = open(machine_->sys());
    ASSERT_TRUE(dev);
    auto q = dev->create_compute_queue().value();
    auto x = dev->create_copy_queue().value();
    auto b = dev->alloc(1 << 20, MemoryKind::kDeviceMapped).value();
    auto p = dev->load(code_, "saxpy").value();
    EXPECT_GT(machine_->rm_object_count(), 0u);
  }
  EXPECT_EQ(machine_->rm_object_count(), 0u);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
void arm_alloc_counter(bool on);
uint64_t counted_allocs();

namespace {

TEST(NvHotPath, EnqueueAndSubmitAllocateNothing) {
  auto dev = rawgpu::open("sim-nv:0").value();
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
  for (int i = 0; i < 2000; ++i) {
    ok = ok && q->exec(*fill, args, {1}, {16}).ok();
    if (i % 100 == 99) ok = ok && q->barrier().ok() && q->timestamp(*sig).ok() && q->submit().ok();
    if (i % 500 == 0) ok = ok && xq->copy(*buf, 0, *buf, 2048, 1024).ok() && xq->submit().ok();
  }
  ok = ok && q->signal(*sig, 1).ok() && q->submit().ok();
  arm_alloc_counter(false);
  EXPECT_TRUE(ok);
  EXPECT_EQ(counted_allocs(), 0u) << "the hot path allocated";
  ASSERT_OK(sig->wait(1, 20s));
}

}  // namespace
