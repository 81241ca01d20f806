#pragma once
// The daemon's times as std::chrono values of the project's one wall clock
// (policy/tables/wall_clock.h, system time): a WallTime is a point in Unix
// time with its unit in the type, so an interval (kDeviceFlushInterval) and a
// retention (kAlertRetention) compare and subtract without a factor of 1000
// written by hand. The daemon's parts (ApiHandler, PolicyManager,
// DevicePersister) take WallTime and durations; unixSeconds() and unixMs()
// convert only where a time is written to SQLite or JSON, fromUnixSeconds()
// and fromUnixMs() where one is read back.

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

inline WallTime fromUnixSeconds(int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

inline WallTime fromUnixMs(int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }

}  // namespace portvakt::control
