#pragma once
// Writes what the profiler knows about devices into the store, so `portvakt
// devices` and a restarted daemon still know them (issue: "restarts with its
// last policy, its devices and every undelivered alert").
//
// Only rows that changed since the last flush are written, all in one
// transaction (one fsync): a clinic's hundred devices cost one small write
// every flush interval, not one per frame. last_seen is kept to the second.
//
// Bounds (issue 14: a MAC flood made a row, and an entry here, per MAC, for
// ever). What was last written is remembered only for devices in the current
// snapshot, which is the profiler's table (at most maxDevices): a device that
// left it is written again if it comes back. After each write the store's
// devices table is pruned: rows without a class not seen for
// unclassifiedRetentionSeconds go, then the least recently seen beyond maxRows.
//
// Thread-safety: the control thread only.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/daemon/dataplane_runner.h"
#include "control/daemon/wall_time.h"
#include "control/store/store.h"

namespace portvakt::control {

struct DevicePersisterOptions {
  // Why 15 min: a quarantined laptop that went away is of no interest after
  // a restart, and a flood's MACs leave the table within this time.
  std::chrono::seconds unclassifiedRetention = std::chrono::minutes(15);
  // Twice the profiler's table (4096): room for every live device plus the
  // classified ones that went quiet; a clinic has a few hundred.
  int64_t maxRows = 8192;
};

class DevicePersister {
 public:
  explicit DevicePersister(store::Store& store, DevicePersisterOptions options = {}) : store_(store), options_(options) {}
  // Writes what changed and prunes (by the wall clock's `now`). Returns how
  // many rows were written, or the store's error.
  store::Result<size_t> flush(const std::vector<DeviceSnapshot>& devices, WallTime now);
  size_t remembered() const { return written_.size(); }
  int64_t pruned() const { return pruned_; }  // rows deleted by pruning since start

 private:
  store::Store& store_;
  DevicePersisterOptions options_;
  std::unordered_map<std::string, store::DeviceRecord> written_;  // by MAC, as last written
  int64_t pruned_ = 0;
};

}  // namespace portvakt::control
