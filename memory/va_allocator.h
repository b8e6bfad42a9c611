// rawgpu — GPU virtual-address range allocator (DESIGN.md, memory/).
//
// Hands out aligned ranges of a fixed span [base, base + size): we choose GPU virtual addresses
// ourselves inside the driver's apertures (KFD process apertures, UVM external ranges). Best fit
// over a size-ordered free list, neighbours coalesced on free, so fragmentation stays bounded
// by what the caller's lifetimes force. Not a hot path (one call per buffer); thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "core/error.h"

namespace rawgpu::memory {

class VaAllocator {
 public:
  // Manages [base, base + size). base and size must be multiples of `granule` (a power of two,
  // at least 4 KiB): every range handed out is a whole number of granules.
  // EINVAL when the span is empty, misaligned or wraps around.
  static core::Result<std::unique_ptr<VaAllocator>> create(uint64_t base, uint64_t size,
                                                           uint64_t granule = 4096);
  VaAllocator(const VaAllocator&) = delete;
  VaAllocator& operator=(const VaAllocator&) = delete;

  // A range of `size` bytes (rounded up to the granule) whose start is a multiple of `align`
  // (a power of two; rounded up to the granule). Fails with ENOMEM ("GPU VA space exhausted")
  // when no free range fits, EINVAL for size 0 or a bad alignment.
  core::Result<uint64_t> alloc(uint64_t size, uint64_t align = 0);
  // Reserves exactly [addr, addr + size), e.g. an address the kernel chose. EEXIST if any part
  // is taken, EINVAL if outside the span or misaligned.
  core::Status reserve(uint64_t addr, uint64_t size);
  // Frees a range returned by alloc/reserve. EINVAL for an address that is not the start of a
  // live range (double free, interior pointer).
  core::Status free(uint64_t addr);

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  uint64_t granule() const { return granule_; }
  uint64_t free_bytes() const;
  uint64_t largest_free() const;
  size_t free_ranges() const;  // number of free fragments
  size_t live_ranges() const;

 private:
  VaAllocator(uint64_t base, uint64_t size, uint64_t granule);
  void insert_free(uint64_t addr, uint64_t size);
  void erase_free(std::map<uint64_t, uint64_t>::iterator it);
  void carve(std::map<uint64_t, uint64_t>::iterator it, uint64_t start, uint64_t size);

  uint64_t base_ = 0, size_ = 0, granule_ = 4096;
  mutable std::mutex mu_;
  std::map<uint64_t, uint64_t> free_by_addr_;        // start -> size
  std::multimap<uint64_t, uint64_t> free_by_size_;   // size -> start
  std::map<uint64_t, uint64_t> live_;                // start -> size
};

}  // namespace rawgpu::memory
