// The compute-dispatch API on AMD: every test runs on the simulated gfx1100 and gfx942 and, when
// /dev/kfd exists, on the real amd:0 (skipped cleanly otherwise).
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <thread>

#include "core/sys.h"
#include "devices/registry.h"
#include "tests/common/device_conformance.h"
#include "kfd/abi.h"
#include "kfd/device.h"
#include "sim/amd/machine.h"

using namespace rawgpu;
using namespace std::chrono_literals;
using queues::Buffer;
using queues::Device;
using queues::KernelArgs;
using queues::MemoryKind;

namespace {

using rawgpu::testing_conformance::ConformanceCase;
using rawgpu::testing_conformance::DeviceConformance;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The built-in kernels for this device: simulator code objects on the simulator, clang's
// AMDGPU code objects on real hardware.
std::vector<uint8_t> kernels_for(const Device& dev) {
  const auto& p = dev.properties();
  const std::string dir = RAWGPU_KERNEL_DIR;
  return read_bytes(p.simulated ? dir + "/sim_basic_" + p.arch + ".co"
                                : dir + "/saxpy_" + p.arch + "_v5.co");
}

class AmdDevice : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const std::string name = GetParam();
    if (name == "amd:0" && ::access("/dev/kfd", F_OK) != 0) GTEST_SKIP() << "no /dev/kfd";
    auto d = rawgpu::open(name);
    ASSERT_TRUE(d.ok()) << d.error().message();
    dev_ = std::move(d).value();
    code_ = kernels_for(*dev_);
    if (code_.empty()) GTEST_SKIP() << "no built-in kernels for " << dev_->properties().arch;
  }
  std::unique_ptr<queues::Program> program(const char* name) {
    auto p = dev_->load(code_, name);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? std::move(p).value() : nullptr;
  }
  std::unique_ptr<Buffer> buffer(uint64_t n, MemoryKind kind) {
    auto b = dev_->alloc(n, kind);
    EXPECT_TRUE(b.ok()) << b.error().message();
    return b.ok() ? std::move(b).value() : nullptr;
  }
  std::unique_ptr<Device> dev_;
  std::vector<uint8_t> code_;
};

TEST_P(AmdDevice, Properties) {
  const auto& p = dev_->properties();
  EXPECT_EQ(p.backend, "kfd");
  EXPECT_TRUE(p.arch.starts_with("gfx"));
  EXPECT_GT(p.compute_units, 0u);
  EXPECT_GT(p.memory_bytes, 1ull << 30);
  EXPECT_EQ(p.timestamp_hz, 100'000'000u);
}

TEST_P(AmdDevice, SaxpyOnPm4AndAql) {
  auto prog = program("saxpy");
  ASSERT_TRUE(prog);
  EXPECT_EQ(prog->info().explicit_args_size, 24u);
  const uint32_t n = 1'000'003;
  for (const char* format : {"pm4", "aql"}) {
    auto x = buffer(n * 4ull, MemoryKind::kDeviceMapped);
    auto y = buffer(n * 4ull, MemoryKind::kDeviceMapped);
    auto q = dev_->create_compute_queue({.format = format});
    ASSERT_TRUE(q.ok()) << q.error().message();
    auto done = dev_->create_signal(0).value();
    auto* xs = static_cast<float*>(x->cpu_ptr());
    auto* ys = static_cast<float*>(y->cpu_ptr());
    for (uint32_t i = 0; i < n; ++i) {
      xs[i] = static_cast<float>(i);
      ys[i] = 1.0f;
    }
    KernelArgs args;
    args.ptr(*y).ptr(*x).f32(3.0f).u32(n);
    ASSERT_TRUE((*q)->exec(*prog, args, {(n + 255) / 256}, {256}).ok());
    ASSERT_TRUE((*q)->signal(*done, 1).ok());
    ASSERT_TRUE((*q)->submit().ok());
    auto w = done->wait(1, 20s);
    ASSERT_TRUE(w.ok()) << w.error().message();
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; ++i) bad += ys[i] != 3.0f * static_cast<float>(i) + 1.0f;
    EXPECT_EQ(bad, 0u) << format;
  }
}

// A kernel that keeps an array in private memory (scratch): the queue sets scratch up on first
// use (and after a kernel without it), on PM4 and AQL, and the results are right.
TEST_P(AmdDevice, PrivateMemoryOnPm4AndAql) {
  auto priv = program("private_sum");
  auto fill = program("fill_u32");
  ASSERT_TRUE(priv && fill);
  EXPECT_GE(priv->info().private_segment_size, 256u);
  EXPECT_EQ(fill->info().private_segment_size, 0u);
  const uint32_t n = 100'003, block = 256;
  for (const char* format : {"pm4", "aql"}) {
    SCOPED_TRACE(format);
    auto out = buffer(n * 4ull, MemoryKind::kDeviceMapped);
    auto q = dev_->create_compute_queue({.format = format}).value();
    auto done = dev_->create_signal(0).value();
    KernelArgs fa;
    fa.ptr(*out).u32(0xDEAD).u32(n);
    ASSERT_TRUE(q->exec(*fill, fa, {(n + block - 1) / block}, {block}).ok());
    KernelArgs pa;
    pa.ptr(*out).u32(n);
    for (int round = 0; round < 2; ++round) {
      auto r = q->exec(*priv, pa, {(n + block - 1) / block}, {block});
      ASSERT_TRUE(r.ok()) << r.error().message();
    }
    ASSERT_TRUE(q->exec(*fill, fa, {1}, {1}).ok());  // out[0] again, after the scratch kernel
    ASSERT_TRUE(q->signal(*done, 1).ok());
    ASSERT_TRUE(q->submit().ok());
    auto w = done->wait(1, 30s);
    ASSERT_TRUE(w.ok()) << w.error().message();
    const auto* o = static_cast<const uint32_t*>(out->cpu_ptr());
    EXPECT_EQ(o[0], 0xDEADu);
    uint32_t bad = 0;
    for (uint32_t i = 1; i < n; ++i) bad += o[i] != 64 * i + 6048;
    EXPECT_EQ(bad, 0u);
  }
}

TEST_P(AmdDevice, ArgumentsAreChecked) {
  auto prog = program("saxpy");
  auto q = dev_->create_compute_queue().value();
  KernelArgs args;
  args.u32(1);
  auto r = q->exec(*prog, args, {1}, {64});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("takes 24 bytes of arguments, got 4"), std::string::npos);
  KernelArgs ok;
  ok.u64(0).u64(0).f32(0).u32(0);
  EXPECT_FALSE(q->exec(*prog, ok, {1}, {2048}).ok());  // block larger than the kernel allows
  EXPECT_FALSE(q->exec(*prog, ok, {0}, {64}).ok());
}

// 8 queues driven from 4 host threads at once.
TEST_P(AmdDevice, EightQueuesFourThreads) {
  auto fill = program("fill_u32");
  ASSERT_TRUE(fill);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto cq = dev_->create_compute_queue({.format = t % 2 ? "aql" : "pm4"});
      auto xq = dev_->create_copy_queue();
      auto dbuf = dev_->alloc(4096 * 4, MemoryKind::kDevice);
      auto hbuf = dev_->alloc(4096 * 4, MemoryKind::kHost);
      auto sig = dev_->create_signal(0);
      if (!cq || !xq || !dbuf || !hbuf || !sig) {
        ++failures;
        return;
      }
      for (uint32_t i = 1; i <= 50; ++i) {
        KernelArgs args;
        args.ptr(**dbuf).u32(i * 10 + t).u32(4096);
        bool ok = (*cq)->exec(*fill, args, {16}, {256}).ok() && (*cq)->signal(**sig, 2 * i - 1).ok() &&
                  (*cq)->submit().ok() && (*xq)->wait(**sig, 2 * i - 1).ok() &&
                  (*xq)->copy(**hbuf, 0, **dbuf, 0, 4096 * 4).ok() && (*xq)->signal(**sig, 2 * i).ok() &&
                  (*xq)->submit().ok() && (*sig)->wait(2 * i, 20s).ok();
        const auto* h = static_cast<const uint32_t*>((*hbuf)->cpu_ptr());
        if (!ok || h[0] != i * 10 + t || h[4095] != i * 10 + t) {
          ++failures;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// 10,000 dispatches through a 4 KiB ring: it wraps hundreds of times.
TEST_P(AmdDevice, TenThousandDispatchesWrapTheRing) {
  auto fill = program("fill_u32");
  for (const char* format : {"pm4", "aql"}) {
    auto q = dev_->create_compute_queue({.format = format, .ring_bytes = 4096}).value();
    SCOPED_TRACE(format);
    auto buf = buffer(1024 * 4, MemoryKind::kDeviceMapped);
    auto done = dev_->create_signal(0).value();
    for (uint32_t i = 0; i < 10000; ++i) {
      KernelArgs args;
      args.ptr(*buf, (i % 1024) * 4ull).u32(i).u32(1);
      auto r = q->exec(*fill, args, {1}, {1});
      ASSERT_TRUE(r.ok()) << r.error().message();
      if (i % 8 == 7) {
        ASSERT_TRUE(q->submit().ok());
      }
    }
    ASSERT_TRUE(q->signal(*done, 1).ok());
    ASSERT_TRUE(q->submit().ok());
    auto w = done->wait(1, 60s);
    ASSERT_TRUE(w.ok()) << w.error().message();
    const auto* v = static_cast<const uint32_t*>(buf->cpu_ptr());
    for (uint32_t s = 0; s < 1024; ++s) {
      const uint32_t last = s + 1024 * ((10000 - 1 - s) / 1024);
      ASSERT_EQ(v[s], last) << format << " slot " << s;
    }
  }
}

TEST_P(AmdDevice, CodeObjectForAnotherTargetIsRefused) {
  const auto& p = dev_->properties();
  const std::string other = p.arch == "gfx1100" ? "gfx942" : "gfx1100";
  const std::string dir = RAWGPU_KERNEL_DIR;
  auto bytes = read_bytes(p.simulated ? dir + "/sim_basic_" + other + ".co"
                                      : dir + "/saxpy_" + other + "_v5.co");
  ASSERT_FALSE(bytes.empty());
  auto r = dev_->load(bytes, "saxpy");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), core::ErrorKind::kUnsupported);
  EXPECT_NE(r.error().message().find("built for " + other), std::string::npos) << r.error().message();
  auto missing = dev_->load(code_, "no_such_kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("saxpy"), std::string::npos);  // lists what exists
}

TEST_P(AmdDevice, HostPointersCanBeMapped) {
  const size_t n = 1 << 16;
  void* mem = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  std::memset(mem, 0x5A, n);
  {
    auto hb = dev_->map_host(mem, n);
    ASSERT_TRUE(hb.ok()) << hb.error().message();
    EXPECT_EQ((*hb)->gpu_addr(), reinterpret_cast<uint64_t>(mem));
    auto dst = buffer(n, MemoryKind::kHost);
    auto q = dev_->create_copy_queue().value();
    auto done = dev_->create_signal(0).value();
    ASSERT_TRUE(q->copy(*dst, 0, **hb, 0, n).ok());
    ASSERT_TRUE(q->signal(*done, 1).ok());
    ASSERT_TRUE(q->submit().ok());
    ASSERT_TRUE(done->wait(1, 20s).ok());
    EXPECT_EQ(std::memcmp(dst->cpu_ptr(), mem, n), 0);
    EXPECT_FALSE(dev_->map_host(static_cast<uint8_t*>(mem) + 1, 4096).ok());
  }
  ::munmap(mem, n);
}

// A queue that never completes: the wait ends in a timeout that shows the stuck packet; the
// queue recovers once the signal arrives.
TEST_P(AmdDevice, StuckQueueTimesOutWithDecodedPackets) {
  for (const char* format : {"pm4", "aql"}) {
    auto q = dev_->create_compute_queue({.format = format}).value();
    auto gate = dev_->create_signal(0).value();
    auto done = dev_->create_signal(0).value();
    ASSERT_TRUE(q->wait(*gate, 1).ok());
    ASSERT_TRUE(q->signal(*done, 1).ok());
    ASSERT_TRUE(q->submit().ok());
    auto w = done->wait(1, 100ms);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().kind(), core::ErrorKind::kTimeout);
    const std::string m = w.error().message();
    EXPECT_NE(m.find("after 100 ms"), std::string::npos) << m;
    EXPECT_NE(m.find("WAIT_REG_MEM"), std::string::npos) << m;
    EXPECT_NE(m.find(q->name()), std::string::npos) << m;
    gate->set(1);
    auto w2 = done->wait(1, 20s);
    EXPECT_TRUE(w2.ok()) << w2.error().message();
  }
}

INSTANTIATE_TEST_SUITE_P(Devices, AmdDevice, testing::Values("sim-amd:0", "sim-amd:1", "amd:0"),
                         [](const auto& param_info) {
                           std::string s = param_info.param;
                           for (char& c : s)
                             if (c == ':' || c == '-') c = '_';
                           return s;
                         });

// The shared conformance suite (default PM4 queues; the AmdDevice tests above also run AQL): a
// 4 KiB ring; a stuck queue shows its WAIT_REG_MEM.
constexpr ConformanceCase kConformance[] = {
    {"sim-amd:0", nullptr, 4096, {"WAIT_REG_MEM", nullptr}, kernels_for},
    {"sim-amd:1", nullptr, 4096, {"WAIT_REG_MEM", nullptr}, kernels_for},
    {"amd:0", "/dev/kfd", 4096, {"WAIT_REG_MEM", nullptr}, kernels_for},
};
INSTANTIATE_TEST_SUITE_P(Devices, DeviceConformance, testing::ValuesIn(kConformance),
                         rawgpu::testing_conformance::case_name);

// ---------------------------------------------------------------------------------------------
// Faults: only on the simulator, where they can be provoked safely.

class SimAmdFaults : public testing::Test {
 protected:
  void SetUp() override {
    machine_ = std::move(sim::amd::Machine::create({.profiles = {"gfx1100"}})).value();
    code_ = read_bytes(std::string(RAWGPU_KERNEL_DIR) + "/sim_basic_gfx1100.co");
  }
  std::unique_ptr<Device> open(core::Sys& sys) {
    kfd::OpenOptions o;
    o.name = *core::parse_device_name("sim-amd:0");
    o.simulated = true;
    auto d = kfd::open_device(sys, o);
    EXPECT_TRUE(d.ok()) << d.error().message();
    return d.ok() ? std::move(d).value() : nullptr;
  }
  std::unique_ptr<sim::amd::Machine> machine_;
  std::vector<uint8_t> code_;
};

TEST_F(SimAmdFaults, AllocationFailureIsReportedAndRecovers) {
  core::FaultSys faults(machine_->sys());
  auto dev = open(faults);
  ASSERT_TRUE(dev);
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_ALLOC_MEMORY_OF_GPU, .nth = 1,
              .err = ENOMEM});
  auto b = dev->alloc(1 << 20, MemoryKind::kDevice);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().err(), ENOMEM);
  EXPECT_NE(b.error().message().find("AMDKFD_IOC_ALLOC_MEMORY_OF_GPU"), std::string::npos)
      << b.error().message();
  EXPECT_TRUE(dev->alloc(1 << 20, MemoryKind::kDevice).ok());
  // The simulated GPU has 24 GiB: 32 GiB is refused by the driver itself.
  auto big = dev->alloc(32ull << 30, MemoryKind::kDevice);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().err(), ENOMEM);
  // A failing map undoes the allocation (no leaked BO: the same VA is free again).
  faults.add({.op = core::SysOp::kIoctl, .request = AMDKFD_IOC_MAP_MEMORY_TO_GPU, .nth = 1, .err = EFAULT});
  auto m = dev->alloc(1 << 20, MemoryKind::kDeviceMapped);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().err(), EFAULT);
  EXPECT_TRUE(dev->alloc(1 << 20, MemoryKind::kDeviceMapped).ok());
}

TEST_F(SimAmdFaults, QueueCreationFailureLeaksNothing) {
  core::FaultSys faults(machine_->sys());
  auto dev = open(faults);
  ASSERT_TRUE(dev);
  faults.add({.op = core::SysOp::kIoctl, .request = kfd::AMDKFD_IOC_CREATE_QUEUE_V117, .nth = 1,
              .err = EINVAL});
  auto q = dev->create_compute_queue();
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("AMDKFD_IOC_CREATE_QUEUE"), std::string::npos);
  EXPECT_TRUE(dev->create_compute_queue().ok());
}

TEST_F(SimAmdFaults, OutOfBoundsKernelFaultsAndTheProcessKeepsWorking) {
  auto dev = open(machine_->sys());
  ASSERT_TRUE(dev);
  auto fill = dev->load(code_, "fill_u32").value();
  auto small = dev->alloc(4096, MemoryKind::kDevice).value();
  auto q = dev->create_compute_queue().value();
  auto done = dev->create_signal(0).value();
  KernelArgs args;
  args.ptr(*small).u32(1).u32(1 << 20);  // 4 MiB of writes into a 4 KiB buffer
  ASSERT_TRUE(q->exec(*fill, args, {(1 << 20) / 256}, {256}).ok());
  ASSERT_TRUE(q->signal(*done, 1).ok());
  ASSERT_TRUE(q->submit().ok());
  auto w = done->wait(1, 5s);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind(), core::ErrorKind::kGpuFault) << w.error().message();
  char want[32];
  std::snprintf(want, sizeof want, "0x%llx", static_cast<unsigned long long>(small->gpu_addr() + 4096));
  EXPECT_NE(w.error().message().find(want), std::string::npos) << w.error().message();
  // A new queue on the same device works.
  auto q2 = dev->create_compute_queue().value();
  auto saxpy = dev->load(code_, "saxpy").value();
  auto y = dev->alloc(1024 * 4, MemoryKind::kDeviceMapped).value();
  auto x = dev->alloc(1024 * 4, MemoryKind::kDeviceMapped).value();
  std::fill_n(static_cast<float*>(x->cpu_ptr()), 1024, 2.0f);
  std::fill_n(static_cast<float*>(y->cpu_ptr()), 1024, 1.0f);
  KernelArgs a2;
  a2.ptr(*y).ptr(*x).f32(4.0f).u32(1024);
  auto done2 = dev->create_signal(0).value();
  ASSERT_TRUE(q2->exec(*saxpy, a2, {4}, {256}).ok());
  ASSERT_TRUE(q2->signal(*done2, 1).ok());
  ASSERT_TRUE(q2->submit().ok());
  auto w2 = done2->wait(1, 5s);
  ASSERT_TRUE(w2.ok()) << w2.error().message();
  EXPECT_EQ(static_cast<float*>(y->cpu_ptr())[1023], 9.0f);
}

TEST_F(SimAmdFaults, MissingDeviceNodesSayWhatIsMissing) {
  sim::SimSys empty;
  kfd::OpenOptions o;
  o.name = *core::parse_device_name("amd:0");
  auto d = kfd::open_device(empty, o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().err(), ENOENT);
  EXPECT_NE(d.error().message().find("/dev/kfd"), std::string::npos);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Allocation counter for the hot-path test (tests/amd/alloc_counter.cpp; counts while armed).
void arm_alloc_counter(bool on);
uint64_t counted_allocs();

namespace {

TEST(AmdHotPath, EnqueueAndSubmitAllocateNothing) {
  auto dev = rawgpu::open("sim-amd:0").value();
  auto code = kernels_for(*dev);
  auto fill = dev->load(code, "fill_u32").value();
  auto buf = dev->alloc(4096, MemoryKind::kDevice).value();
  auto sig = dev->create_signal(0).value();
  for (const char* format : {"pm4", "aql"}) {
    auto q = dev->create_compute_queue({.format = format}).value();
    auto xq = dev->create_copy_queue().value();
    KernelArgs args;
    args.ptr(*buf).u32(1).u32(16);
    // Warm up (first use builds the dispatch template).
    ASSERT_TRUE(q->exec(*fill, args, {1}, {16}).ok());
    ASSERT_TRUE(q->submit().ok());
    arm_alloc_counter(true);
    bool ok = true;
    for (int i = 0; i < 2000; ++i) {
      ok = ok && q->exec(*fill, args, {1}, {16}).ok();
      if (i % 100 == 99) ok = ok && q->barrier().ok() && q->timestamp(*sig).ok() && q->submit().ok();
      if (i % 500 == 0) ok = ok && xq->copy(*buf, 0, *buf, 2048, 1024).ok() && xq->submit().ok();
    }
    ok = ok && q->signal(*sig, 1 + (format[0] == 'a')).ok() && q->submit().ok();
    arm_alloc_counter(false);
    EXPECT_TRUE(ok);
    EXPECT_EQ(counted_allocs(), 0u) << format << ": the hot path allocated";
    ASSERT_TRUE(sig->wait(1 + (format[0] == 'a'), 20s).ok());
  }
}

// The bring-up talks to KFD in the order of the fact sheet (§0) and maps what it must.
TEST(AmdBringUp, FollowsTheKfdSequence) {
  auto machine = std::move(sim::amd::Machine::create({.profiles = {"gfx1100"}})).value();
  core::RecordSys rec(machine->sys());
  kfd::OpenOptions o;
  o.name = *core::parse_device_name("sim-amd:0");
  o.simulated = true;
  auto dev = kfd::open_device(rec, o);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  std::vector<unsigned long> order;
  bool mmio_mapped = false, mmio_alloc = false;
  for (const core::SysCall& c : rec.calls()) {
    if (c.op == core::SysOp::kIoctl) {
      order.push_back(c.request);
      if (c.request == AMDKFD_IOC_ALLOC_MEMORY_OF_GPU && c.arg_in.size() == 40) {
        uint32_t flags;
        std::memcpy(&flags, c.arg_in.data() + 36, 4);
        mmio_alloc = mmio_alloc || (flags & KFD_IOC_ALLOC_MEM_FLAGS_MMIO_REMAP);
      }
    }
    if (c.op == core::SysOp::kMmap && c.result >= 0 && (static_cast<uint64_t>(c.result) >> 62) == 0 &&
        c.len == 4096 && c.fd >= 0)
      mmio_mapped = true;
  }
  auto pos = [&](unsigned long r) { return std::find(order.begin(), order.end(), r) - order.begin(); };
  EXPECT_LT(pos(AMDKFD_IOC_GET_VERSION), pos(AMDKFD_IOC_ACQUIRE_VM));
  EXPECT_LT(pos(AMDKFD_IOC_ACQUIRE_VM), pos(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU));
  EXPECT_LT(pos(AMDKFD_IOC_ALLOC_MEMORY_OF_GPU), pos(AMDKFD_IOC_CREATE_EVENT));
  EXPECT_LT(pos(AMDKFD_IOC_CREATE_EVENT), static_cast<long>(order.size()));
  EXPECT_TRUE(mmio_alloc);
  EXPECT_TRUE(mmio_mapped);
}

}  // namespace
