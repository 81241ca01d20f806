#pragma once
// Times the store's functions take: a point in Unix time with its unit in the
// type. The rows keep Unix ms (alerts, deliveries, API calls, 802.1X
// sessions) or Unix seconds (devices, policy history), as the record fields'
// names say; the conversion happens where a value is bound to SQL. The one
// definition of the control plane's millisecond time point: the daemon's
// WallTime (control/daemon/wall_time.h) and the alert feed's times are this
// type, so they pass to the store without a conversion.

#include <chrono>
#include <cstdint>

namespace portvakt::store {

using TimeMs = std::chrono::sys_time<std::chrono::milliseconds>;
using TimeS = std::chrono::sys_seconds;
// For callers that hold Unix ms as numbers (rows, JSON, CEF).
inline TimeMs atUnixMs(int64_t ms) { return TimeMs(std::chrono::milliseconds(ms)); }

}  // namespace portvakt::store
