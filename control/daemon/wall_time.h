#pragma once
// The daemon's times as std::chrono values of the project's one wall clock
// (policy/tables/wall_clock.h, system time): a WallTime is a point in Unix
// time with its unit in the type, so an interval (kDeviceFlushInterval) and a
// retention (kAlertRetention) compare and subtract without a factor of 1000
// written by hand. The parts the daemon hands times to (ApiHandler,
// PolicyManager, DevicePersister, the store) take Unix seconds or
// milliseconds as int64_t: unixSeconds() and unixMs() convert at that edge.

#include <chrono>
#include <cstdint>

#include "policy/tables/wall_clock.h"

namespace portvakt::control {

using WallTime = std::chrono::sys_time<std::chrono::milliseconds>;

inline WallTime wallNow() { return WallTime(std::chrono::milliseconds(wallClockMs())); }

inline int64_t unixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline int64_t unixMs(WallTime t) { return t.time_since_epoch().count(); }

}  // namespace portvakt::control
