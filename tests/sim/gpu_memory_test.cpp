#include "sim/gpu_memory.h"

#include <sys/mman.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

using namespace rawgpu::sim;

TEST(SimBo, SharedBetweenSimulatorAndProcessMapping) {
  auto bo = std::move(Bo::create(10000, "vram")).value();
  EXPECT_EQ(bo->size(), 12288u);
  EXPECT_EQ(bo->data()[100], 0);
  // The process maps the object at an address it reserved, as KFD user space does.
  void* va = ::mmap(nullptr, 12288, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(va, MAP_FAILED);
  auto m = bo->map_into(va, 12288, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
  ASSERT_EQ(m.addr, va);
  static_cast<uint8_t*>(va)[5000] = 0xab;
  EXPECT_EQ(bo->data()[5000], 0xab);  // the "GPU" sees the CPU's store
  bo->data()[7] = 0x11;
  EXPECT_EQ(static_cast<uint8_t*>(va)[7], 0x11);
  EXPECT_EQ(bo->map_into(nullptr, 8192, PROT_READ, MAP_SHARED, 8192).err, EINVAL);
  EXPECT_EQ(bo->map_into(nullptr, 4096, PROT_READ, MAP_SHARED, 100).err, EINVAL);
  ::munmap(va, 12288);
}

TEST(SimPageTable, TranslateAndFaults) {
  auto bo = std::move(Bo::create(3 * 4096, "buf")).value();
  auto ro = std::move(Bo::create(4096, "ro")).value();
  PageTable pt;
  ASSERT_TRUE(pt.map(0x10000, bo, 0, 3 * 4096, kRead | kWrite).ok());
  ASSERT_TRUE(pt.map(0x20000, ro, 0, 4096, kRead | kExecute).ok());
  EXPECT_EQ(pt.map(0x11000, bo, 0, 4096, kRead).error().err(), EEXIST);
  EXPECT_EQ(pt.map(0x0f000, bo, 0, 8192, kRead).error().err(), EEXIST);
  EXPECT_EQ(pt.map(0x30001, bo, 0, 4096, kRead).error().err(), EINVAL);
  EXPECT_EQ(pt.map(0x30000, bo, 0, 5 * 4096, kRead).error().err(), EINVAL);

  GpuFault f;
  uint8_t* p = pt.translate(0x10010, 64, kWrite, &f);
  ASSERT_EQ(p, bo->data() + 0x10);
  EXPECT_EQ(pt.translate(0x12ff0, 16, kRead, &f), bo->data() + 0x2ff0);
  // Crossing the end of the mapping faults, naming the first byte past it.
  EXPECT_EQ(pt.translate(0x12ff0, 32, kRead, &f), nullptr);
  EXPECT_TRUE(f.not_present);
  EXPECT_EQ(f.va, 0x13000u);
  EXPECT_EQ(pt.translate(0x5000, 4, kRead, &f), nullptr);
  EXPECT_TRUE(f.not_present);
  EXPECT_EQ(f.va, 0x5000u);
  EXPECT_EQ(pt.translate(0x20000, 4, kWrite, &f), nullptr);
  EXPECT_TRUE(f.read_only);
  EXPECT_EQ(pt.translate(0x10000, 4, kExecute, &f), nullptr);
  EXPECT_TRUE(f.no_execute);
  EXPECT_NE(pt.translate(0x20000, 4, kExecute, &f), nullptr);

  EXPECT_EQ(pt.exact(0x10000, 3 * 4096), bo);
  EXPECT_EQ(pt.exact(0x10000, 4096), nullptr);
  EXPECT_TRUE(pt.maps(ro.get()));
  ASSERT_TRUE(pt.unmap(0x20000).ok());
  EXPECT_FALSE(pt.maps(ro.get()));
  EXPECT_EQ(pt.unmap(0x20000).error().err(), EINVAL);
  EXPECT_EQ(pt.translate(0x20000, 4, kRead, &f), nullptr);
  EXPECT_EQ(pt.mappings(), 1u);
}

TEST(SimPageTable, ConcurrentTranslateWhileMapping) {
  auto bo = std::move(Bo::create(4096, "b")).value();
  PageTable pt;
  ASSERT_TRUE(pt.map(0x1000, bo, 0, 4096, kRead | kWrite).ok());
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    GpuFault f;
    while (!stop) ASSERT_NE(pt.translate(0x1000, 8, kRead, &f), nullptr);
  });
  for (int i = 0; i < 2000; ++i) {
    uint64_t va = 0x100000 + uint64_t(i) * 4096;
    ASSERT_TRUE(pt.map(va, bo, 0, 4096, kRead).ok());
    ASSERT_TRUE(pt.unmap(va).ok());
  }
  stop = true;
  reader.join();
}
