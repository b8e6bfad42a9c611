// Global operator new/delete that count the allocations of the thread that armed the counter
// (the hot-path test; the simulator's own threads do not count).
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

thread_local bool g_count_allocs = false;
std::atomic<uint64_t> g_allocs{0};

void* operator new(size_t n) {
  if (g_count_allocs) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
