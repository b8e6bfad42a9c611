// rawgpu — the compute-dispatch API's conformance tests, written once and run on every backend's
// devices (each test binary includes this header in exactly one file and instantiates
// DeviceConformance with its cases). The same categories as the AMD issue: copies of every size at
// unaligned offsets, saxpy, local/private memory, a reduction, argument checks, ordering across
// compute and copy queues, many queues from many threads, ring wrap, buffers released, host
// pointers, and a stuck queue that times out with its decoded commands.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "devices/registry.h"

#define ASSERT_OK(expr)                                  \
  do {                                                   \
    auto&& ok_r_ = (expr);                               \
    ASSERT_TRUE(ok_r_.ok()) << ok_r_.error().message();  \
  } while (0)

namespace rawgpu::testing_conformance {

using namespace std::chrono_literals;
using queues::Buffer;
using queues::Device;
using queues::KernelArgs;
using queues::MemoryKind;

// RAWGPU_KERNEL_DIR from the environment wins (a packed real-hardware check runs elsewhere).
inline std::string kernel_dir() {
  const char* env = std::getenv("RAWGPU_KERNEL_DIR");
  return env && *env ? env : RAWGPU_KERNEL_DIR;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One device to run the suite on.
struct ConformanceCase {
  const char* device;            // "sim-nv:0", "nv:0"
  const char* node;              // skip the real device when this node is absent; nullptr: none
  uint32_t small_ring_bytes;     // a ring the 10,000-dispatch test wraps many times
  std::array<const char*, 2> stuck_on;  // decoded names the stuck-queue timeout must show
  // The built-in kernels for the opened device (empty: the case is skipped).
  std::vector<uint8_t> (*kernels)(const Device& dev);
};

inline void PrintTo(const ConformanceCase& c, std::ostream* os) { *os << c.device; }

inline std::string case_name(const ::testing::TestParamInfo<ConformanceCase>& info) {
  std::string s = info.param.device;
  for (char& c : s)
    if (c == ':' || c == '-') c = '_';
  return s;
}

class DeviceConformance : public ::testing::TestWithParam<ConformanceCase> {
 protected:
  void SetUp() override {
    const ConformanceCase& c = GetParam();
    if (c.node && ::access(c.node, F_OK) != 0) GTEST_SKIP() << "no " << c.node;
    auto d = rawgpu::open(c.device);
    ASSERT_TRUE(d.ok()) << d.error().message();
    dev_ = std::move(d).value();
    code_ = c.kernels(*dev_);
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

TEST_P(DeviceConformance, CopiesOfEverySizeAtUnalignedOffsets) {
  auto q = dev_->create_copy_queue().value();
  auto done = dev_->create_signal(0).value();
  uint64_t v = 0;
  for (uint64_t n : {1ull, 3ull, 7ull, 4095ull, 4097ull, 65537ull, (1ull << 20) + 13, 256ull << 20}) {
    const uint64_t so = n % 5 + 1, mo = n % 3 + 2, doff = n % 7 + 3;
    auto src = buffer(n + so, MemoryKind::kHost);
    auto mid = buffer(n + mo, MemoryKind::kDevice);
    auto dst = buffer(n + doff, MemoryKind::kHost);
    ASSERT_TRUE(src && mid && dst);
    auto* s = static_cast<uint8_t*>(src->cpu_ptr());
    for (uint64_t i = 0; i < n + so; ++i) s[i] = static_cast<uint8_t>(i * 131 + n);
    std::memset(dst->cpu_ptr(), 0xEE, n + doff);
    ASSERT_OK(q->copy(*mid, mo, *src, so, n));
    ASSERT_OK(q->copy(*dst, doff, *mid, mo, n));
    ASSERT_OK(q->signal(*done, ++v));
    ASSERT_OK(q->submit());
    auto w = done->wait(v, 20s);
    ASSERT_TRUE(w.ok()) << w.error().message();
    auto* d = static_cast<uint8_t*>(dst->cpu_ptr());
    EXPECT_EQ(std::memcmp(d + doff, s + so, n), 0) << n << " bytes";
    for (uint64_t i = 0; i < doff; ++i) ASSERT_EQ(d[i], 0xEE) << "copy wrote before its range";
  }
  auto a = buffer(4096, MemoryKind::kHost);
  auto b = buffer(4096, MemoryKind::kDevice);
  auto bad = q->copy(*a, 1, *b, 0, 4096);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), core::ErrorKind::kInvalidInput);
  EXPECT_NE(bad.error().message().find("outside"), std::string::npos) << bad.error().message();
}

TEST_P(DeviceConformance, Saxpy) {
  auto prog = program("saxpy");
  ASSERT_TRUE(prog);
  EXPECT_EQ(prog->info().explicit_args_size, 24u);
  const uint32_t n = 1'000'003;
  auto x = buffer(n * 4ull, MemoryKind::kDeviceMapped);
  auto y = buffer(n * 4ull, MemoryKind::kDeviceMapped);
  auto q = dev_->create_compute_queue().value();
  auto done = dev_->create_signal(0).value();
  auto* xs = static_cast<float*>(x->cpu_ptr());
  auto* ys = static_cast<float*>(y->cpu_ptr());
  for (uint32_t i = 0; i < n; ++i) {
    xs[i] = static_cast<float>(i);
    ys[i] = 1.0f;
  }
  KernelArgs args;
  args.ptr(*y).ptr(*x).f32(3.0f).u32(n);
  ASSERT_OK(q->exec(*prog, args, {(n + 255) / 256}, {256}));
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 20s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  uint32_t bad = 0;
  for (uint32_t i = 0; i < n; ++i) bad += ys[i] != 3.0f * static_cast<float>(i) + 1.0f;
  EXPECT_EQ(bad, 0u);
}

// A kernel with a per-thread array in local memory (nvcc: the stack; the simulator: `private`):
// the device's local memory buffer and the QMD's per-thread size carry it.
TEST_P(DeviceConformance, LocalMemory) {
  auto priv = program("private_sum");
  ASSERT_TRUE(priv);
  EXPECT_GE(priv->info().private_segment_size, 256u);
  const uint32_t n = 100'003, block = 256;
  auto out = buffer(n * 4ull, MemoryKind::kDeviceMapped);
  auto q = dev_->create_compute_queue().value();
  auto done = dev_->create_signal(0).value();
  KernelArgs a;
  a.ptr(*out).u32(n);
  ASSERT_OK(q->exec(*priv, a, {(n + block - 1) / block}, {block}));
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 30s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const auto* o = static_cast<const uint32_t*>(out->cpu_ptr());
  uint32_t bad = 0;
  for (uint32_t i = 0; i < n; ++i) bad += o[i] != 64 * i + 6048;
  EXPECT_EQ(bad, 0u);
}

TEST_P(DeviceConformance, Reduction) {
  auto prog = program("reduce_sum");
  ASSERT_TRUE(prog);
  const uint32_t n = 1'000'003, block = 256, groups = (n + block - 1) / block;
  auto in = buffer(n * 4ull, MemoryKind::kDeviceMapped);
  auto out = buffer(groups * 4ull, MemoryKind::kDeviceMapped);
  auto q = dev_->create_compute_queue().value();
  auto done = dev_->create_signal(0).value();
  auto* v = static_cast<float*>(in->cpu_ptr());
  double want = 0;
  for (uint32_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(i % 100) * 0.25f;
    want += v[i];
  }
  KernelArgs args;
  args.ptr(*in).ptr(*out).u32(n);
  ASSERT_OK(q->exec(*prog, args, {groups}, {block}));
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 20s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  auto* parts = static_cast<float*>(out->cpu_ptr());
  double got = 0;
  for (uint32_t g = 0; g < groups; ++g) got += parts[g];
  EXPECT_NEAR(got, want, want * 1e-5);
}

TEST_P(DeviceConformance, ArgumentsAreChecked) {
  auto prog = program("saxpy");
  ASSERT_TRUE(prog);
  auto q = dev_->create_compute_queue().value();
  KernelArgs args;
  args.u32(1);
  auto r = q->exec(*prog, args, {1}, {64});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("24"), std::string::npos) << r.error().message();
  KernelArgs ok;
  ok.u64(0).u64(0).f32(0).u32(0);
  EXPECT_FALSE(q->exec(*prog, ok, {1}, {2048}).ok());
  EXPECT_FALSE(q->exec(*prog, ok, {0}, {64}).ok());
  EXPECT_FALSE(dev_->create_compute_queue({.format = "no-such-format"}).ok());
}

// Timestamps and signals order work across a compute and a copy queue.
TEST_P(DeviceConformance, OrderingAcrossComputeAndCopyQueues) {
  auto fill = program("fill_u32");
  ASSERT_TRUE(fill);
  const uint32_t n = 1 << 16;
  auto buf = buffer(n * 4ull, MemoryKind::kDevice);
  auto host = buffer(n * 4ull, MemoryKind::kHost);
  auto cq = dev_->create_compute_queue().value();
  auto xq = dev_->create_copy_queue().value();
  auto s1 = dev_->create_signal(0).value();
  auto s2 = dev_->create_signal(0).value();
  ASSERT_OK(xq->wait(*s1, 1));
  ASSERT_OK(xq->copy(*host, 0, *buf, 0, n * 4ull));
  ASSERT_OK(xq->timestamp(*s2));
  ASSERT_OK(xq->signal(*s2, 1));
  ASSERT_OK(xq->submit());
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(s2->value(), 0u);  // still waiting on the compute queue
  KernelArgs args;
  args.ptr(*buf).u32(7).u32(n);
  ASSERT_OK(cq->exec(*fill, args, {n / 256}, {256}));
  ASSERT_OK(cq->timestamp(*s1));
  ASSERT_OK(cq->signal(*s1, 1));
  ASSERT_OK(cq->submit());
  auto w = s2->wait(1, 20s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  auto* h = static_cast<uint32_t*>(host->cpu_ptr());
  EXPECT_EQ(std::count(h, h + n, 7u), static_cast<long>(n));
  EXPECT_GT(s1->timestamp_ns(), 0u);
  EXPECT_GE(s2->timestamp_ns(), s1->timestamp_ns());
}

TEST_P(DeviceConformance, EightQueuesFourThreads) {
  auto fill = program("fill_u32");
  ASSERT_TRUE(fill);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto cq = dev_->create_compute_queue();
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

// 10,000 launches through a small ring (the case says how small): it wraps many times.
TEST_P(DeviceConformance, TenThousandDispatchesWrapTheRing) {
  auto fill = program("fill_u32");
  ASSERT_TRUE(fill);
  auto q = dev_->create_compute_queue({.ring_bytes = GetParam().small_ring_bytes}).value();
  auto buf = buffer(1024 * 4, MemoryKind::kDeviceMapped);
  auto done = dev_->create_signal(0).value();
  for (uint32_t i = 0; i < 10000; ++i) {
    KernelArgs args;
    args.ptr(*buf, (i % 1024) * 4ull).u32(i).u32(1);
    auto r = q->exec(*fill, args, {1}, {1});
    ASSERT_TRUE(r.ok()) << r.error().message();
    if (i % 8 == 7) {
      ASSERT_OK(q->submit());
    }
  }
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 60s);
  ASSERT_TRUE(w.ok()) << w.error().message();
  const auto* v = static_cast<const uint32_t*>(buf->cpu_ptr());
  for (uint32_t s = 0; s < 1024; ++s) {
    const uint32_t last = s + 1024 * ((10000 - 1 - s) / 1024);
    ASSERT_EQ(v[s], last) << "slot " << s;
  }
}

TEST_P(DeviceConformance, HostPointersCanBeMapped) {
  const size_t n = 1 << 16;
  void* mem = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  std::memset(mem, 0x5A, n);
  {
    auto hb = dev_->map_host(mem, n);
    ASSERT_TRUE(hb.ok()) << hb.error().message();
    EXPECT_EQ((*hb)->cpu_ptr(), mem);
    auto dst = buffer(n, MemoryKind::kHost);
    auto q = dev_->create_copy_queue().value();
    auto done = dev_->create_signal(0).value();
    ASSERT_OK(q->copy(*dst, 0, **hb, 0, n));
    ASSERT_OK(q->signal(*done, 1));
    ASSERT_OK(q->submit());
    ASSERT_OK(done->wait(1, 20s));
    EXPECT_EQ(std::memcmp(dst->cpu_ptr(), mem, n), 0);
    EXPECT_FALSE(dev_->map_host(static_cast<uint8_t*>(mem) + 1, 4096).ok());
  }
  ::munmap(mem, n);
}

// A queue that never completes: the wait times out naming the queue and the decoded command it is
// stuck on; it recovers once the signal arrives.
TEST_P(DeviceConformance, StuckQueueTimesOutWithDecodedCommands) {
  auto q = dev_->create_compute_queue().value();
  auto gate = dev_->create_signal(0).value();
  auto done = dev_->create_signal(0).value();
  ASSERT_OK(q->wait(*gate, 1));
  ASSERT_OK(q->signal(*done, 1));
  ASSERT_OK(q->submit());
  auto w = done->wait(1, 100ms);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().kind(), core::ErrorKind::kTimeout);
  const std::string m = w.error().message();
  EXPECT_NE(m.find("after 100 ms"), std::string::npos) << m;
  for (const char* want : GetParam().stuck_on) {
    if (want) {
      EXPECT_NE(m.find(want), std::string::npos) << m;
    }
  }
  EXPECT_NE(m.find(q->name()), std::string::npos) << m;
  gate->set(1);
  auto w2 = done->wait(1, 20s);
  EXPECT_TRUE(w2.ok()) << w2.error().message();
}

TEST_P(DeviceConformance, BuffersAreReleased) {
  for (int i = 0; i < 200; ++i) {
    auto b = dev_->alloc(3 << 20, i % 2 ? MemoryKind::kDeviceMapped : MemoryKind::kHost);
    ASSERT_TRUE(b.ok()) << i << ": " << b.error().message();
    static_cast<uint8_t*>((*b)->cpu_ptr())[0] = 1;
  }
  std::vector<std::unique_ptr<queues::Signal>> sigs;
  for (int i = 0; i < 100; ++i) sigs.push_back(dev_->create_signal(i).value());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sigs[i]->value(), static_cast<uint64_t>(i));
}

}  // namespace rawgpu::testing_conformance
