#include "memory/va_allocator.h"

#include <cerrno>
#include <cstdio>

namespace rawgpu::memory {
namespace {

bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }
uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }
std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

core::Result<std::unique_ptr<VaAllocator>> VaAllocator::create(uint64_t base, uint64_t size,
                                                               uint64_t granule) {
  const std::string op = "VA range [" + hex(base) + ", +" + hex(size) + ")";
  if (!is_pow2(granule) || granule < 4096)
    return core::Error::sys(op, EINVAL, "granule must be a power of two >= 4 KiB");
  if (size == 0 || base % granule || size % granule)
    return core::Error::sys(op, EINVAL, "span must be non-empty and granule-aligned");
  if (base + size < base) return core::Error::sys(op, EINVAL, "span wraps around");
  return std::unique_ptr<VaAllocator>(new VaAllocator(base, size, granule));
}

VaAllocator::VaAllocator(uint64_t base, uint64_t size, uint64_t granule)
    : base_(base), size_(size), granule_(granule) {
  insert_free(base, size);
}

void VaAllocator::insert_free(uint64_t addr, uint64_t size) {
  free_by_addr_.emplace(addr, size);
  free_by_size_.emplace(size, addr);
}

void VaAllocator::erase_free(std::map<uint64_t, uint64_t>::iterator it) {
  auto [lo, hi] = free_by_size_.equal_range(it->second);
  for (auto s = lo; s != hi; ++s) {
    if (s->second == it->first) {
      free_by_size_.erase(s);
      break;
    }
  }
  free_by_addr_.erase(it);
}

// Takes [start, start+size) out of the free range `it`, keeping what is left on either side.
void VaAllocator::carve(std::map<uint64_t, uint64_t>::iterator it, uint64_t start, uint64_t size) {
  const uint64_t fstart = it->first, fend = it->first + it->second;
  erase_free(it);
  if (start > fstart) insert_free(fstart, start - fstart);
  if (start + size < fend) insert_free(start + size, fend - (start + size));
  live_.emplace(start, size);
}

core::Result<uint64_t> VaAllocator::alloc(uint64_t size, uint64_t align) {
  if (size == 0) return core::Error::sys("VA alloc of 0 bytes", EINVAL, "size must be > 0");
  if (align == 0) align = granule_;
  if (!is_pow2(align))
    return core::Error::sys("VA alloc alignment " + hex(align), EINVAL,
                            "alignment must be a power of two");
  if (align < granule_) align = granule_;
  if (size > size_) {
    return core::Error::sys("VA alloc of " + hex(size) + " bytes", ENOMEM,
                            "larger than the whole GPU VA span");
  }
  size = align_up(size, granule_);
  std::lock_guard lk(mu_);
  // Best fit: the smallest free range that holds `size` bytes at an `align`-ed start.
  for (auto s = free_by_size_.lower_bound(size); s != free_by_size_.end(); ++s) {
    const uint64_t fstart = s->second, fsize = s->first;
    const uint64_t start = align_up(fstart, align);
    if (start < fstart || start - fstart > fsize || fsize - (start - fstart) < size) continue;
    carve(free_by_addr_.find(fstart), start, size);
    return start;
  }
  uint64_t free_total = 0;
  for (const auto& [a, n] : free_by_addr_) free_total += n;
  return core::Error::sys("VA alloc of " + hex(size) + " bytes aligned to " + hex(align), ENOMEM,
                          "GPU VA space exhausted or too fragmented (" + hex(free_total) +
                              " bytes free in " + std::to_string(free_by_addr_.size()) +
                              " pieces); free buffers or use a smaller allocation");
}

core::Status VaAllocator::reserve(uint64_t addr, uint64_t size) {
  const std::string op = "VA reserve [" + hex(addr) + ", +" + hex(size) + ")";
  if (size == 0 || addr % granule_ || addr < base_ || addr - base_ > size_ ||
      size > size_ - (addr - base_))
    return core::Error::sys(op, EINVAL, "range is empty, misaligned or outside the VA span");
  size = (size + granule_ - 1) & ~(granule_ - 1);
  std::lock_guard lk(mu_);
  auto it = free_by_addr_.upper_bound(addr);
  if (it == free_by_addr_.begin()) return core::Error::sys(op, EEXIST, "range is already in use");
  --it;
  if (it->first + it->second < addr + size)
    return core::Error::sys(op, EEXIST, "range is already in use");
  carve(it, addr, size);
  return {};
}

core::Status VaAllocator::free(uint64_t addr) {
  std::lock_guard lk(mu_);
  auto live = live_.find(addr);
  if (live == live_.end())
    return core::Error::sys("VA free " + hex(addr), EINVAL,
                            "not the start of a live range (double free?)");
  uint64_t start = addr, size = live->second;
  live_.erase(live);
  // Coalesce with the free neighbours on both sides.
  auto next = free_by_addr_.lower_bound(start);
  if (next != free_by_addr_.end() && next->first == start + size) {
    size += next->second;
    erase_free(next);
  }
  auto prev = free_by_addr_.lower_bound(start);
  if (prev != free_by_addr_.begin()) {
    --prev;
    if (prev->first + prev->second == start) {
      start = prev->first;
      size += prev->second;
      erase_free(prev);
    }
  }
  insert_free(start, size);
  return {};
}

uint64_t VaAllocator::free_bytes() const {
  std::lock_guard lk(mu_);
  uint64_t n = 0;
  for (const auto& [a, s] : free_by_addr_) n += s;
  return n;
}

uint64_t VaAllocator::largest_free() const {
  std::lock_guard lk(mu_);
  return free_by_size_.empty() ? 0 : free_by_size_.rbegin()->first;
}

size_t VaAllocator::free_ranges() const {
  std::lock_guard lk(mu_);
  return free_by_addr_.size();
}

size_t VaAllocator::live_ranges() const {
  std::lock_guard lk(mu_);
  return live_.size();
}

}  // namespace rawgpu::memory
