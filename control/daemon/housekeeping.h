#pragma once
// The control loop's periodic work, one turn() per turn of the loop (at
// least every kApiTurn, daemon.h):
//   - the rate-limited log's summaries (DaemonLog::writeSummaries);
//   - every kAlertPruneInterval (and at the first turn): alert history
//     retention (older than kAlertRetention, beyond kMaxAlertRows) and the
//     policy's own retention of devices and the policy history;
//   - every kDeviceFlushInterval: the dataplane's devices to the store
//     (DevicePersister) and the device and 802.1X gauges;
//   - every turn: the alert spool gauges.
// flushDevices() is also the daemon's last write at stop.
//
// Threads: the control thread only. It shares the store with the event pump
// and the HTTPS workers (the store serializes its transactions) and logs
// failures through the rate-limited log.

#include <chrono>
#include <cstdint>

#include "control/daemon/device_persister.h"
#include "control/daemon/wall_time.h"

namespace portvakt::store {
class Store;
}

namespace portvakt::control {

class DaemonLog;
class DataplaneRunner;
class Dot1xAdmission;
class Metrics;
class PolicyManager;

// How stale the stored device table may be after a kill -9 (a clean stop
// flushes): short enough that a restart finds the devices of the last minute.
inline constexpr std::chrono::seconds kDeviceFlushInterval{5};
// Alert history retention (docs/operations.md, "Bounds"): alerts whose
// deliveries are finished go after 90 days, and beyond 100 000 rows the
// oldest finished ones go; checked hourly.
inline constexpr std::chrono::days kAlertRetention{90};
inline constexpr int64_t kMaxAlertRows = 100'000;
inline constexpr std::chrono::hours kAlertPruneInterval{1};

class Housekeeping {
 public:
  // `dataplane` is null when the daemon does not forward (no devices to
  // flush); `startedAt` starts the device flush interval.
  Housekeeping(store::Store& store, const PolicyManager& policies, Metrics& metrics, DataplaneRunner* dataplane,
               Dot1xAdmission& dot1x, DaemonLog& log, WallTime startedAt)
      : store_(store),
        policies_(policies),
        metrics_(metrics),
        dataplane_(dataplane),
        dot1x_(dot1x),
        log_(log),
        devices_(store),
        lastDeviceFlush_(startedAt) {}

  void turn();
  // Writes the dataplane's devices that changed since the last flush.
  void flushDevices();

 private:
  void pruneAlerts(WallTime now);
  void refreshDeviceMetrics();
  void refreshSpoolMetrics(WallTime now);

  store::Store& store_;
  const PolicyManager& policies_;
  Metrics& metrics_;
  DataplaneRunner* dataplane_;
  Dot1xAdmission& dot1x_;
  DaemonLog& log_;
  DevicePersister devices_;
  WallTime lastDeviceFlush_;
  WallTime lastAlertPrune_{};  // the epoch: the first turn prunes
};

}  // namespace portvakt::control
