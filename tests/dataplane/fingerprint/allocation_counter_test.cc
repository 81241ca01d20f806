// Counts heap allocations so a test can prove the unchanged per-frame path
// makes none. Replacing the global operator new affects the whole test
// binary, which is harmless: it only counts. (Named *_test.cc so the test
// glob picks it up; it holds no tests.)
#include <atomic>
#include <cstdlib>
#include <new>

#include "tests/dataplane/fingerprint/allocation_counter.h"

namespace {
std::atomic<uint64_t> gAllocations{0};
}

void* operator new(std::size_t n) {
  gAllocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace portvakt::fingerprint::testing {
uint64_t allocationCount() { return gAllocations.load(std::memory_order_relaxed); }
}  // namespace portvakt::fingerprint::testing
