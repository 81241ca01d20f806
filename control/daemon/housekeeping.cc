#include "control/daemon/housekeeping.h"

#include <map>
#include <string>
#include <utility>

#include "control/daemon/daemon_log.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/policy_manager.h"
#include "control/daemon/retention.h"
#include "control/metrics/metrics.h"
#include "control/store/store.h"

namespace portvakt::control {

void Housekeeping::turn() {
  log_.writeSummaries();
  if (wallNow() - lastAlertPrune_ >= kAlertPruneInterval) {
    pruneAlerts(wallNow());
    lastAlertPrune_ = wallNow();
  }
  if (wallNow() - lastDeviceFlush_ >= kDeviceFlushInterval) {
    flushDevices();
    lastDeviceFlush_ = wallNow();
    refreshDeviceMetrics();
  }
  refreshSpoolMetrics(wallNow());
}

void Housekeeping::flushDevices() {
  if (!dataplane_) return;
  if (auto written = devices_.flush(dataplane_->devices(), wallNow()); !written) {
    log_.limited("devices_not_saved", "", "devices not saved: " + written.error().message);
  }
}

void Housekeeping::pruneAlerts(WallTime now) {
  auto aged = store_.pruneAlerts(now - kAlertRetention);
  auto capped = store_.capAlerts(kMaxAlertRows);
  if (!aged || !capped) {
    log_.limited("alerts_not_pruned", "", "alert history not pruned: " + (!aged ? aged.error() : capped.error()).message);
  }
  // The policy's retention (docs/policy.md "retention"), on the same hourly beat.
  const tables::Retention retention = policies_.current()->control.retention;
  auto applied = applyRetention(store_, retention, now, [&](const tables::MacAddress& mac) {
    if (dataplane_) dataplane_->forget(mac);
  });
  if (!applied) {
    log_.limited("retention_not_applied", "", "retention not applied: " + applied.error().message);
  } else if (!applied->forgottenDevices.empty() || applied->auditEntriesRemoved > 0) {
    DaemonLog::line("retention: forgot " + std::to_string(applied->forgottenDevices.size()) + " devices not seen for " +
                    std::to_string(std::chrono::duration_cast<std::chrono::days>(retention.devices).count()) +
                    " days, removed " + std::to_string(applied->auditEntriesRemoved) +
                    " policy history entries older than " +
                    std::to_string(std::chrono::duration_cast<std::chrono::days>(retention.audit).count()) + " days");
  }
}

void Housekeeping::refreshDeviceMetrics() {
  if (dataplane_) {
    std::map<std::pair<std::string, std::string>, int64_t> byClassAndZone;
    for (const DeviceSnapshot& d : dataplane_->devices()) ++byClassAndZone[{d.deviceClass, d.zone}];
    metrics_.setDeviceCounts(byClassAndZone);
    dot1x_.updateMetrics();
  }
  if (auto rows = store_.deviceCount()) metrics_.setDeviceTable(-1, -1, *rows);
}

void Housekeeping::refreshSpoolMetrics(WallTime now) {
  if (auto spool = store_.spoolStats()) {
    // oldestPendingMs is 0 when nothing is pending.
    const WallTime oldestPending{std::chrono::milliseconds(spool->oldestPendingMs)};
    const std::chrono::duration<double> oldestPendingAge =
        spool->oldestPendingMs ? now - oldestPending : std::chrono::duration<double>::zero();
    metrics_.setAlertSpool(spool->pending, spool->rejected, oldestPendingAge.count());
  }
}

}  // namespace portvakt::control
