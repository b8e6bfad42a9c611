#include "memory/va_allocator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

using rawgpu::memory::VaAllocator;

namespace {
constexpr uint64_t kBase = 0x100000000ull;
constexpr uint64_t kMiB = 1ull << 20;
}  // namespace

TEST(VaAllocator, RejectsBadSpans) {
  EXPECT_EQ(VaAllocator::create(kBase, 0).error().err(), EINVAL);
  EXPECT_EQ(VaAllocator::create(kBase + 1, kMiB).error().err(), EINVAL);
  EXPECT_EQ(VaAllocator::create(kBase, kMiB, 3000).error().err(), EINVAL);
  EXPECT_EQ(VaAllocator::create(~0ull << 20, 2 * kMiB).error().err(), EINVAL);
}

TEST(VaAllocator, AlignsRoundsAndStaysInside) {
  auto va = std::move(VaAllocator::create(kBase, 64 * kMiB)).value();
  auto a = va->alloc(100);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a % 4096, 0u);
  auto b = va->alloc(3 * kMiB, 2 * kMiB);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b % (2 * kMiB), 0u);
  EXPECT_GE(*b, kBase);
  EXPECT_LE(*b + 3 * kMiB, kBase + 64 * kMiB);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(va->live_ranges(), 2u);
  EXPECT_EQ(va->free_bytes(), 64 * kMiB - 4096 - 3 * kMiB);
  EXPECT_EQ(va->alloc(0).error().err(), EINVAL);
  EXPECT_EQ(va->alloc(4096, 3).error().err(), EINVAL);
}

TEST(VaAllocator, ExhaustionIsEnomemWithAHint) {
  auto va = std::move(VaAllocator::create(kBase, 4 * kMiB)).value();
  ASSERT_TRUE(va->alloc(4 * kMiB).ok());
  auto r = va->alloc(4096);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err(), ENOMEM);
  EXPECT_NE(r.error().message().find("exhausted"), std::string::npos);
  EXPECT_EQ(va->alloc(8 * kMiB).error().err(), ENOMEM);
}

TEST(VaAllocator, FreeCoalescesNeighbours) {
  auto va = std::move(VaAllocator::create(kBase, 16 * kMiB)).value();
  std::vector<uint64_t> r;
  for (int i = 0; i < 16; ++i) r.push_back(*va->alloc(kMiB));
  EXPECT_EQ(va->free_bytes(), 0u);
  // Free every other one: 8 holes of 1 MiB; a 2 MiB request cannot fit.
  for (int i = 0; i < 16; i += 2) ASSERT_TRUE(va->free(r[i]).ok());
  EXPECT_EQ(va->free_ranges(), 8u);
  EXPECT_EQ(va->alloc(2 * kMiB).error().err(), ENOMEM);
  // Free the rest: everything merges back into one range.
  for (int i = 1; i < 16; i += 2) ASSERT_TRUE(va->free(r[i]).ok());
  EXPECT_EQ(va->free_ranges(), 1u);
  EXPECT_EQ(va->largest_free(), 16 * kMiB);
  EXPECT_TRUE(va->alloc(16 * kMiB).ok());
}

TEST(VaAllocator, DoubleFreeAndInteriorPointersRejected) {
  auto va = std::move(VaAllocator::create(kBase, 16 * kMiB)).value();
  uint64_t a = *va->alloc(2 * kMiB);
  EXPECT_EQ(va->free(a + 4096).error().err(), EINVAL);
  ASSERT_TRUE(va->free(a).ok());
  EXPECT_EQ(va->free(a).error().err(), EINVAL);
}

TEST(VaAllocator, BestFitKeepsLargeHoles) {
  auto va = std::move(VaAllocator::create(kBase, 16 * kMiB)).value();
  uint64_t a = *va->alloc(kMiB), b = *va->alloc(kMiB), c = *va->alloc(4 * kMiB);
  (void)b;
  ASSERT_TRUE(va->free(a).ok());  // 1 MiB hole at the start, 10 MiB at the end
  ASSERT_TRUE(va->free(c).ok());  // (c coalesces with the tail)
  uint64_t d = *va->alloc(kMiB);
  EXPECT_EQ(d, a);  // the small hole is used, the big one stays whole
  EXPECT_EQ(va->largest_free(), 14 * kMiB);
}

TEST(VaAllocator, ReserveExactRanges) {
  auto va = std::move(VaAllocator::create(kBase, 16 * kMiB)).value();
  ASSERT_TRUE(va->reserve(kBase + 4 * kMiB, kMiB).ok());
  EXPECT_EQ(va->reserve(kBase + 4 * kMiB + 4096, 4096).error().err(), EEXIST);
  EXPECT_EQ(va->reserve(kBase + 3 * kMiB, 2 * kMiB).error().err(), EEXIST);
  EXPECT_EQ(va->reserve(kBase - 4096, 4096).error().err(), EINVAL);
  EXPECT_EQ(va->reserve(kBase + 15 * kMiB, 2 * kMiB).error().err(), EINVAL);
  EXPECT_EQ(va->reserve(kBase + 1, 4096).error().err(), EINVAL);
  ASSERT_TRUE(va->free(kBase + 4 * kMiB).ok());
  EXPECT_EQ(va->free_ranges(), 1u);
}

TEST(VaAllocator, RandomChurnKeepsInvariants) {
  auto va = std::move(VaAllocator::create(kBase, 256 * kMiB, 64 * 1024)).value();
  std::mt19937_64 rng(7);
  struct Live {
    uint64_t addr, size;
  };
  std::vector<Live> live;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 3) {
      uint64_t size = 1 + rng() % (4 * kMiB);
      uint64_t align = 1ull << (16 + rng() % 6);
      auto r = va->alloc(size, align);
      if (!r.ok()) {
        ASSERT_EQ(r.error().err(), ENOMEM);
        continue;
      }
      ASSERT_EQ(*r % align, 0u);
      ASSERT_GE(*r, kBase);
      ASSERT_LE(*r + size, kBase + 256 * kMiB);
      for (const Live& l : live) ASSERT_TRUE(*r + size <= l.addr || l.addr + l.size <= *r);
      live.push_back({*r, size});
    } else {
      size_t i = rng() % live.size();
      ASSERT_TRUE(va->free(live[i].addr).ok());
      live[i] = live.back();
      live.pop_back();
    }
  }
  for (const Live& l : live) ASSERT_TRUE(va->free(l.addr).ok());
  EXPECT_EQ(va->free_ranges(), 1u);
  EXPECT_EQ(va->free_bytes(), 256 * kMiB);
}
