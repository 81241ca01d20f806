#pragma once
// The one wall clock of the project: system time (CLOCK_REALTIME, which
// std::chrono::system_clock reads on Linux), the clock libpcap and the kernel
// stamp captured frames with. A policy's install time, a device's last-seen
// time, an alert's time and a frame's timestamp therefore compare directly.
// In portvakt:: (not a module's namespace) and beside the compiled tables, like
// expected.h, because every module links the tables: the dataplane and control
// both call it unqualified.
//
// Tests and the offline pipeline pass times in instead of reading this clock.

#include <chrono>
#include <cstdint>

namespace portvakt {

inline int64_t wallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace portvakt
