#pragma once
// Writes what the profiler knows about devices into the store, so `portvakt
// devices` and a restarted daemon still know them (issue: "restarts with its
// last policy, its devices and every undelivered alert").
//
// Only rows that changed since the last flush are written, all in one
// transaction (one fsync): a clinic's hundred devices cost one small write
// every flush interval, not one per frame. last_seen is kept to the second.
//
// Thread-safety: the control thread only.

#include <map>
#include <string>
#include <vector>

#include "control/daemon/dataplane_runner.h"
#include "control/store/store.h"

namespace portvakt::control {

class DevicePersister {
 public:
  explicit DevicePersister(store::Store& store) : store_(store) {}
  // Returns how many rows were written, or the store's error.
  store::Result<size_t> flush(const std::vector<DeviceSnapshot>& devices);

 private:
  store::Store& store_;
  std::map<std::string, store::DeviceRecord> written_;  // by MAC, as last written
};

}  // namespace portvakt::control
