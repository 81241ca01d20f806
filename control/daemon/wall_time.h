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

#include "control/store/store_time.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::control {

// The store's TimeMs (control/store/store_time.h): one definition.
using WallTime = store::TimeMs;

inline WallTime wallNow() { return WallTime(std::chrono::milliseconds(wallClockMs())); }

inline int64_t unixSeconds(WallTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline int64_t unixMs(WallTime t) { return t.time_since_epoch().count(); }

inline WallTime fromUnixSeconds(int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

inline WallTime fromUnixMs(int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }

// The same wall clock in nanoseconds, for what the control plane hands to the
// dataplane (a policy swap's time, an events_lost event): the dataplane's
// per-frame path counts int64_t nanoseconds in `...Ns` fields (no chrono per
// packet, dataplane/forward/README.md), and unixNs() converts at that edge.
using WallTimeNs = std::chrono::sys_time<std::chrono::nanoseconds>;

inline WallTimeNs wallNowNs() { return WallTimeNs(std::chrono::nanoseconds(wallClockNs())); }

inline int64_t unixNs(WallTimeNs t) { return t.time_since_epoch().count(); }

}  // namespace portvakt::control
