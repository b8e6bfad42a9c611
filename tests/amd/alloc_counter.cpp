// Global operator new/delete that count the allocations of the thread that armed the counter
// (the hot-path test; the simulator's own threads do not count). Every unaligned form is
// replaced, so that each new pairs with the matching delete (ASan checks the pairing).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {
thread_local bool g_count_allocs = false;
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// Arms (or disarms) counting for the calling thread; resets the count when arming.
void arm_alloc_counter(bool on) {
  if (on) g_allocs = 0;
  g_count_allocs = on;
}
uint64_t counted_allocs() { return g_allocs.load(); }

namespace {
void* counted_alloc(size_t n) {
  if (g_count_allocs) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
