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
#include "tests/control/store/temp_dir.h"

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

TEST(HousekeepingTest, AlertsOlderThanTheRetentionGoAtTheFirstTurnThenHourly) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto opened = store::Store::open(dir.file("portvakt.db"));
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = **opened;
  testing::DaemonTestPolicy policy;
  policy.sinkPath = dir.file("alerts.jsonl");
  PolicyManager policies(&db);
  ASSERT_FALSE(policies.push({"daemon-test.yaml", {{"daemon-test.yaml", policy.text()}}}, 0, "", unixSeconds(wallNow())));
  Metrics metrics("daemon-test");
  DaemonLog log(metrics);
  Dot1xAdmission dot1x(
      {}, nullptr, &metrics, [](auto, auto&, auto&, auto&) {}, &db);

  const WallTime now = wallNow();
  // No sinks: their deliveries are finished, so retention may take them.
  ASSERT_TRUE(db.spoolAlert(alertAt("old", now - kAlertRetention - std::chrono::hours(1)), {}, 0));
  ASSERT_TRUE(db.spoolAlert(alertAt("recent", now - kAlertRetention + std::chrono::hours(1)), {}, 0));

  Housekeeping housekeeping(db, policies, metrics, nullptr, dot1x, log, now);
  housekeeping.turn();
  auto kept = db.recentAlerts(10);
  ASSERT_TRUE(kept) << kept.error().message;
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ(kept->front().id, "recent");

  // Within the hour nothing more is pruned.
  ASSERT_TRUE(db.spoolAlert(alertAt("old-too", now - kAlertRetention - std::chrono::hours(2)), {}, 0));
  housekeeping.turn();
  kept = db.recentAlerts(10);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->size(), 2u);
}

// The delivery lag gauge is in seconds (the spool keeps milliseconds).
TEST(HousekeepingTest, TheDeliveryLagGaugeIsTheOldestPendingAlertsAgeInSeconds) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto opened = store::Store::open(dir.file("portvakt.db"));
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = **opened;
  testing::DaemonTestPolicy policy;
  policy.sinkPath = dir.file("alerts.jsonl");
  PolicyManager policies(&db);
  ASSERT_FALSE(policies.push({"daemon-test.yaml", {{"daemon-test.yaml", policy.text()}}}, 0, "", unixSeconds(wallNow())));
  Metrics metrics("daemon-test");
  DaemonLog log(metrics);
  Dot1xAdmission dot1x(
      {}, nullptr, &metrics, [](auto, auto&, auto&, auto&) {}, &db);
  // Pending for the sink "log" since two hours (nothing delivers it here).
  ASSERT_TRUE(db.spoolAlert(alertAt("waiting", wallNow() - std::chrono::hours(2)), {"log"}, 0));

  Housekeeping(db, policies, metrics, nullptr, dot1x, log, wallNow()).turn();
  const std::string exposition = metrics.exposition();
  const std::string name = "portvakt_alert_delivery_lag_seconds{site=\"daemon-test\"} ";
  const size_t at = exposition.find(name);
  ASSERT_NE(at, std::string::npos) << exposition;
  const double lag = std::stod(exposition.substr(at + name.size()));
  EXPECT_GE(lag, 7200.0);
  EXPECT_LT(lag, 7200.0 + 600.0);  // generous: a slow machine, not a speed bound
}

}  // namespace
}  // namespace portvakt::control
