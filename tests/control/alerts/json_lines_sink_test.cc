// ECS JSON lines to a real file, through logrotate-style renames and deletes.

#include "control/alerts/json_lines_sink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::readLines;
using portvakt::testing::TempDir;

Alert sample(const std::string& event, int i) {
  Alert a;
  a.event = event;
  a.time = store::atUnixMs(1700000000000 + i * 1000);
  a.lastTime = a.time + std::chrono::milliseconds(500);
  a.id = makeAlertId("vc-karlstad", event, "eth7", "02:00:00:00:00:0b", a.time, std::chrono::minutes(5));
  a.severity = tables::Severity::kWarning;
  a.site = "vc-karlstad";
  a.port = "eth7";
  a.vlan = 20;
  a.deviceMac = "02:00:00:00:00:0b";
  a.count = 3;
  a.maintenanceWindow = "sunday-night";
  a.evidence = {{"claimed_mac_owner", "eklient-0042"}, {"seq", std::to_string(i)}};
  return a;
}

// Requirements: R7
TEST(JsonLinesSinkTest, WritesEcsShapedDocuments) {
  TempDir dir;
  std::string path = dir.file("alerts.jsonl");
  JsonLinesSink sink("log", path, SinkOptions{"clinic-switch-1", 1000, 1000, true});
  ASSERT_EQ(sink.deliver(sample("mac_spoof_suspect", 0)).outcome, DeliveryOutcome::kAcked);
  auto lines = readLines(path);
  ASSERT_EQ(lines.size(), 1u);
  auto doc = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(doc["event"]["kind"], "alert");
  EXPECT_EQ(doc["event"]["action"], "mac_spoof_suspect");
  EXPECT_EQ(doc["event"]["severity"], 4);
  EXPECT_EQ(doc["event"]["id"], sample("mac_spoof_suspect", 0).id);
  EXPECT_EQ(doc["@timestamp"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(doc["event"]["end"], "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(doc["source"]["mac"], "02-00-00-00-00-0B");  // ECS / RFC 7042 form
  EXPECT_EQ(doc["observer"]["ingress"]["interface"]["name"], "eth7");
  EXPECT_EQ(doc["observer"]["ingress"]["vlan"]["id"], "20");
  EXPECT_EQ(doc["observer"]["hostname"], "clinic-switch-1");
  EXPECT_EQ(doc["log"]["level"], "warning");
  EXPECT_EQ(doc["labels"]["site"], "vc-karlstad");
  EXPECT_EQ(doc["labels"]["maintenance_window"], "sunday-night");
  EXPECT_EQ(doc["portvakt"]["count"], 3);
  EXPECT_EQ(doc["portvakt"]["evidence"]["claimed_mac_owner"], "eklient-0042");
}

TEST(JsonLinesSinkTest, FollowsLogrotateRenameAndDelete) {
  TempDir dir;
  std::string path = dir.file("alerts.jsonl");
  JsonLinesSink sink("log", path, {});
  ASSERT_EQ(sink.deliver(sample("link_down", 1)).outcome, DeliveryOutcome::kAcked);
  ASSERT_EQ(sink.deliver(sample("link_down", 2)).outcome, DeliveryOutcome::kAcked);
  // logrotate "create": rename away; the next line must go to a new file at the path.
  std::filesystem::rename(path, path + ".1");
  ASSERT_EQ(sink.deliver(sample("link_down", 3)).outcome, DeliveryOutcome::kAcked);
  EXPECT_EQ(readLines(path + ".1").size(), 2u);
  auto fresh = readLines(path);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(fresh[0])["portvakt"]["evidence"]["seq"], "3");
  // Deleted outright (rotate with no keep).
  std::filesystem::remove(path);
  ASSERT_EQ(sink.deliver(sample("link_down", 4)).outcome, DeliveryOutcome::kAcked);
  EXPECT_EQ(readLines(path).size(), 1u);
  // copytruncate: O_APPEND writes land at the new end, no hole of zeros.
  std::filesystem::resize_file(path, 0);
  ASSERT_EQ(sink.deliver(sample("link_down", 5)).outcome, DeliveryOutcome::kAcked);
  auto after = readLines(path);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0][0], '{');
  // Explicit reopen (postrotate SIGHUP) works too.
  sink.reopen();
  ASSERT_EQ(sink.deliver(sample("link_down", 6)).outcome, DeliveryOutcome::kAcked);
  EXPECT_EQ(readLines(path).size(), 2u);
}

TEST(JsonLinesSinkTest, UnwritablePathIsRetry) {
  TempDir dir;
  std::string notADir = dir.file("plain");
  { std::ofstream f(notADir); }
  JsonLinesSink sink("log", notADir + "/alerts.jsonl", {});
  auto r = sink.deliver(sample("link_down", 1));
  EXPECT_EQ(r.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(r.error.find("Not a directory"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace portvakt::alerts
