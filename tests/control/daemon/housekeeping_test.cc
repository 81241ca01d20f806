// The control loop's periodic work against a real SQLite store: the alert
// history keeps 90 days (kAlertRetention, a std::chrono duration: no factor
// of 1000 to get wrong) and is pruned at the first turn, then hourly.
#include "control/daemon/housekeeping.h"

#include <gtest/gtest.h>

#include "control/daemon/daemon_log.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/policy_manager.h"
#include "control/metrics/metrics.h"
#include "control/store/store.h"
#include "tests/control/daemon/daemon_test_policy.h"
#include "tests/control/store/with_store.h"
#include "tests/control/daemon/status_text.h"

namespace portvakt::control {
namespace {

store::AlertRecord alertAt(const std::string& id, WallTime when) {
  store::AlertRecord a;
  a.id = id;
  a.timeMs = unixMs(when);
  a.lastTimeMs = a.timeMs;
  a.event = "device_new";
  a.severity = "info";
  a.site = "daemon-test";
  return a;
}

// The housekeeping's collaborators: a real store holding the test site's
// policy, metrics, the daemon's log, and 802.1X admission without a dataplane.
class HousekeepingTest : public testing::WithStore {
 protected:
  void SetUp() override {
    WithStore::SetUp();
    if (HasFatalFailure()) return;
    testing::DaemonTestPolicy policy;
    policy.sinkPath = dir_.file("alerts.jsonl");
    policies_ = std::make_unique<PolicyManager>(store_.get());
    ASSERT_FALSE(errorOf(policies_->push({"daemon-test.yaml", {{"daemon-test.yaml", policy.text()}}}, 0, "", wallNow())));
    dot1x_ = std::make_unique<Dot1xAdmission>(
        Dot1xOptions{}, nullptr, &metrics_, [](auto, auto&, auto&, auto&) {}, store_.get());
  }
  Housekeeping housekeeping(WallTime now) {
    return Housekeeping(*store_, *policies_, metrics_, nullptr, *dot1x_, log_, now);
  }
  Metrics metrics_{"daemon-test"};
  DaemonLog log_{metrics_};
  std::unique_ptr<PolicyManager> policies_;
  std::unique_ptr<Dot1xAdmission> dot1x_;
};

TEST_F(HousekeepingTest, AlertsOlderThanTheRetentionGoAtTheFirstTurnThenHourly) {
  store::Store& db = *store_;

  const WallTime now = wallNow();
  // No sinks: their deliveries are finished, so retention may take them.
  ASSERT_TRUE(db.spoolAlert(alertAt("old", now - kAlertRetention - std::chrono::hours(1)), {}, store::atUnixMs(0)));
  ASSERT_TRUE(db.spoolAlert(alertAt("recent", now - kAlertRetention + std::chrono::hours(1)), {}, store::atUnixMs(0)));

  Housekeeping keeper = housekeeping(now);
  keeper.turn();
  auto kept = db.recentAlerts(10);
  ASSERT_TRUE(kept) << kept.error().message;
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->front().id, "recent");

  // Within the hour nothing more is pruned.
  ASSERT_TRUE(db.spoolAlert(alertAt("old-too", now - kAlertRetention - std::chrono::hours(2)), {}, store::atUnixMs(0)));
  keeper.turn();
  kept = db.recentAlerts(10);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->size(), 2u);
}

// The delivery lag gauge is in seconds (the spool keeps milliseconds).
TEST_F(HousekeepingTest, TheDeliveryLagGaugeIsTheOldestPendingAlertsAgeInSeconds) {
  store::Store& db = *store_;
  // Pending for the sink "log" since two hours (nothing delivers it here).
  ASSERT_TRUE(db.spoolAlert(alertAt("waiting", wallNow() - std::chrono::hours(2)), {"log"}, store::atUnixMs(0)));

  housekeeping(wallNow()).turn();
  const std::string exposition = metrics_.exposition();
  const std::string name = "portvakt_alert_delivery_lag_seconds{site=\"daemon-test\"} ";
  const size_t at = exposition.find(name);
  ASSERT_NE(at, std::string::npos) << exposition;
  const double lag = std::stod(exposition.substr(at + name.size()));
  EXPECT_GE(lag, 7200.0);
  EXPECT_LT(lag, 7200.0 + 600.0);  // generous: a slow machine, not a speed bound
}

}  // namespace
}  // namespace portvakt::control
