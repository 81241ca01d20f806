#pragma once
// The policy's `retention` applied (issue 19, R9/R10): devices not seen for
// `retention.devices` are deleted from the store and forgotten in memory (the
// profiler's record, through `forgetInMemory`); policy history entries older
// than `retention.audit` are deleted, the running version never. The daemon
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

struct RetentionOutcome {
  std::vector<std::string> forgottenDevices;  // MACs
  int64_t auditEntriesRemoved = 0;
};

store::Result<RetentionOutcome> applyRetention(store::Store& store, const tables::Retention& retention,
                                               std::chrono::system_clock::time_point now,
                                               const std::function<void(const tables::MacAddress&)>& forgetInMemory);

}  // namespace portvakt::control
