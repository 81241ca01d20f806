#pragma once
// The policy's `retention` applied (issue 19, R9/R10): devices not seen for
// `retention.devices` are deleted from the store and forgotten in memory (the
// profiler's record, through `forgetInMemory`); policy history entries older
// than `retention.audit` are deleted, the running version never; so are
// 802.1X sessions that ended before it (the store's dot1x_sessions, at most
// kMaxDot1xSessionRows; open sessions stay). The daemon
// calls it hourly with the wall clock; tests call it with a clock they set.
//
// Thread-safety: the control thread (the store is thread-safe; forgetInMemory
// must be too: DataplaneRunner::forget queues).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "control/store/store.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::control {

// A busy clinic: 48 jacks, a session each per hour, kept 730 days would be
// 840 000 rows; the bound keeps the file small on a full audit retention.
inline constexpr int64_t kMaxDot1xSessionRows = 200'000;

struct RetentionOutcome {
  std::vector<std::string> forgottenDevices;  // MACs
  int64_t auditEntriesRemoved = 0;
  int64_t dot1xSessionsRemoved = 0;
};

store::Result<RetentionOutcome> applyRetention(store::Store& store, const tables::Retention& retention,
                                               std::chrono::system_clock::time_point now,
                                               const std::function<void(const tables::MacAddress&)>& forgetInMemory);

}  // namespace portvakt::control
