#pragma once
// Heap allocations made by this process so far, counted by the replacement
// global operator new in allocation_counter_test.cc. It lives in its own file
// so no test body is inlined next to it (GCC 12 then warns, falsely, that
// free() is called on memory from a mismatched allocator).

#include <cstdint>

namespace portvakt::fingerprint::testing {
uint64_t allocationCount();
}
