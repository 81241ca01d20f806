#pragma once
// The clock the daemon's times share: system time in ns, the clock libpcap
// stamps frames with, so a policy's install time, a device's last-seen time
// and a frame's timestamp compare directly.

#include <chrono>
#include <cstdint>

namespace portvakt::control {

inline int64_t wallClockNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace portvakt::control
