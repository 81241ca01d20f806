// The daemon's alert feed is rebuilt when a push changes what it is built
// from (sinks, routes, maintenance windows) and only then: a push that
// changes a flow keeps the running feed, with its retry backoff.
#include "control/daemon/alert_feed.h"

#include <gtest/gtest.h>

#include "control/daemon/daemon_log.h"
#include "control/metrics/metrics.h"
#include "control/store/store.h"
#include "tests/control/daemon/daemon_test_policy.h"
#include "tests/control/store/with_store.h"

namespace portvakt::control {
namespace {

class AlertFeedTest : public testing::WithStore {
 protected:
  void SetUp() override {
    WithStore::SetUp();
    if (HasFatalFailure()) return;
    feed_ = std::make_unique<AlertFeed>(*store_, log_);
    base_.sinkPath = dir_.file("alerts.jsonl");
  }
  Metrics metrics_{"daemon-test"};
  DaemonLog log_{metrics_};
  std::unique_ptr<AlertFeed> feed_;
  testing::DaemonTestPolicy base_;
};

TEST_F(AlertFeedTest, AFlowChangeKeepsTheRunningFeed) {
  feed_->build(*base_.compile());
  ASSERT_TRUE(feed_->running());
  ASSERT_EQ(feed_->builds(), 1);
  testing::DaemonTestPolicy flowChanged = base_;
  flowChanged.flowProto = "tcp";
  ASSERT_NE(base_.compile()->contentHash, flowChanged.compile()->contentHash);
  EXPECT_FALSE(feed_->follow(*flowChanged.compile()));
  EXPECT_EQ(feed_->builds(), 1);
  EXPECT_TRUE(feed_->running());
}

TEST_F(AlertFeedTest, SinksRoutesAndMaintenanceChangesRebuildIt) {
  feed_->build(*base_.compile());
  testing::DaemonTestPolicy changed = base_;
  changed.sinkPath = dir_.file("other-alerts.jsonl");
  EXPECT_TRUE(feed_->follow(*changed.compile()));
  EXPECT_EQ(feed_->builds(), 2);
  EXPECT_FALSE(feed_->follow(*changed.compile()));  // the same again: nothing to rebuild
  changed.routedEvent = "link_down";
  EXPECT_TRUE(feed_->follow(*changed.compile()));
  changed.maintenanceFrom = "20:00";
  EXPECT_TRUE(feed_->follow(*changed.compile()));
  EXPECT_EQ(feed_->builds(), 4);
  EXPECT_TRUE(feed_->running());
}

// What is raised around a rebuild is recorded: the spool is the store's, not the feed's.
TEST_F(AlertFeedTest, EventsAroundARebuildAreRecorded) {
  feed_->build(*base_.compile());
  feed_->raise(tables::EventType::kDeviceNew, "eth1", "02:00:00:00:00:01", "before");
  testing::DaemonTestPolicy changed = base_;
  changed.sinkPath = dir_.file("other-alerts.jsonl");
  ASSERT_TRUE(feed_->follow(*changed.compile()));
  feed_->raise(tables::EventType::kDeviceNew, "eth2", "02:00:00:00:00:02", "after");
  feed_->stop();
  auto recorded = store_->recentAlerts(10);
  ASSERT_TRUE(recorded) << recorded.error().message;
  EXPECT_EQ(recorded->size(), 2u);
}

}  // namespace
}  // namespace portvakt::control
