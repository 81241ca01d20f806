// The alert type's formatting, and storm control end to end through the store.

#include "control/alerts/alert.h"

#include <gtest/gtest.h>

#include "control/alerts/alert_service.h"
#include "control/alerts/json_lines_sink.h"
#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::TempDir;

TEST(AlertTest, IdIsStableWithinABucketAndDistinctAcrossFields) {
  auto id = makeAlertId("s", "arp_spoof", "eth1", "02:00:00:00:00:01", store::atUnixMs(1000), std::chrono::minutes(5));
  EXPECT_EQ(id.size(), 4u + 24u);
  EXPECT_EQ(id.rfind("pva-", 0), 0u);
  // The id of a stored alert does not change with this build: the bucket goes
  // into the hash as its number of milliseconds ("300000"), as it always did.
  EXPECT_EQ(id, "pva-eab8966709461fdbdd6a4dc2");
  EXPECT_EQ(id,
            makeAlertId("s", "arp_spoof", "eth1", "02:00:00:00:00:01", store::atUnixMs(299999), std::chrono::minutes(5)));
  EXPECT_NE(id,
            makeAlertId("s", "arp_spoof", "eth1", "02:00:00:00:00:01", store::atUnixMs(300000), std::chrono::minutes(5)));
  EXPECT_NE(id,
            makeAlertId("s", "arp_spoof", "eth2", "02:00:00:00:00:01", store::atUnixMs(1000), std::chrono::minutes(5)));
  EXPECT_NE(id,
            makeAlertId("t", "arp_spoof", "eth1", "02:00:00:00:00:01", store::atUnixMs(1000), std::chrono::minutes(5)));
  // Field boundaries are part of the hash: "ab"+"c" is not "a"+"bc".
  EXPECT_NE(makeAlertId("ab", "c", "", "", store::atUnixMs(0), std::chrono::milliseconds(1)),
            makeAlertId("a", "bc", "", "", store::atUnixMs(0), std::chrono::milliseconds(1)));
}

TEST(AlertTest, EvidenceIsMetadataOnly) {
  std::vector<Evidence> in = {{"server_ip", "192.0.2.1"},
                              {"Bad Key", "x"},
                              {"payload", std::string(5000, 'A')},
                              {"ctl", "a\nb\x01"},
                              {"utf8", std::string(127, 'x') + "\xc3\xa5"}};
  for (int i = 0; i < 30; ++i) in.push_back({"k" + std::to_string(i), "v"});
  auto out = sanitizeEvidence(in);
  EXPECT_EQ(out.size(), kMaxEvidenceItems);
  EXPECT_EQ(out[0].key, "server_ip");
  EXPECT_EQ(out[1].key, "payload");
  EXPECT_EQ(out[1].value.size(), kMaxEvidenceValue);
  EXPECT_EQ(out[2].value, "a?b?");
  EXPECT_EQ(out[3].value, std::string(127, 'x'));  // not cut inside "å"
}

TEST(AlertTest, RecordRoundTrip) {
  Alert a;
  a.id = "pva-1";
  a.time = store::atUnixMs(5);
  a.lastTime = store::atUnixMs(9);
  a.event = "vlan_hopping";
  a.severity = tables::Severity::kCritical;
  a.site = "s";
  a.port = "eth2";
  a.vlan = 1;
  a.deviceMac = "02:00:00:00:00:02";
  a.evidence = {{"outer_vlan", "1"}, {"inner_vlan", "10"}};
  a.count = 4;
  a.maintenanceWindow = "w";
  auto b = fromRecord(toRecord(a));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, a.id);
  EXPECT_EQ(b->severity, a.severity);
  ASSERT_EQ(b->evidence.size(), 2u);
  EXPECT_EQ(b->evidence[0].key, "outer_vlan");  // order kept
  EXPECT_EQ(b->count, 4);
  auto rec = toRecord(a);
  rec.severity = "bogus";
  EXPECT_FALSE(fromRecord(rec));
}

tables::CompiledPolicy policyWith(std::vector<tables::AlertRoute> routes) {
  tables::CompiledPolicy p;
  p.name = "vc-karlstad";
  p.control.alerts = std::move(routes);
  return p;
}

// Requirements: R7
TEST(StormTest, TenThousandIdenticalEventsBecomeOneAlertWithACount) {
  TempDir dir;
  auto store = store::Store::open(dir.file("a.db"));
  ASSERT_TRUE(store) << store.error().message;
  std::string log = dir.file("alerts.jsonl");
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::make_unique<JsonLinesSink>("log", log, SinkOptions{}));
  store::TimeMs now = store::atUnixMs(1700000000000);
  AlertServiceOptions o;
  o.clock = [&] { return now; };
  o.groupWait = std::chrono::milliseconds(1000);
  auto svc = AlertService::create(
      **store, policyWith({{tables::EventType::kArpSpoof, tables::Severity::kCritical, {"log"}}}), std::move(sinks), o);
  ASSERT_TRUE(svc) << svc.error().message;
  std::string id;
  for (int i = 0; i < 10000; ++i) {
    Event e{tables::EventType::kArpSpoof, "eth4", 10, "02:00:00:00:00:66", {{"claimed_ip", "10.0.10.1"}}, {}};
    auto r = (*svc)->raise(e);
    ASSERT_TRUE(r) << r.error().message;
    if (i == 0) {
      EXPECT_TRUE(r->spooled);
      id = r->alertId;
    } else {
      ASSERT_TRUE(r->folded);
      ASSERT_EQ(r->alertId, id);
    }
  }
  EXPECT_EQ((*svc)->deliverNow(), 0);  // group wait: nothing sent yet
  now += std::chrono::seconds(1);
  EXPECT_EQ((*svc)->deliverNow(), 1);
  auto lines = portvakt::testing::readLines(log);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"count\":10000"), std::string::npos) << lines[0];
  EXPECT_EQ((*store)->alert(id)->count, 10000);
  EXPECT_EQ((*store)->recentAlerts(100)->size(), 1u);
}

TEST(StormTest, FloodOfDistinctDevicesIsRateLimitedIntoOneStormAlert) {
  TempDir dir;
  auto store = store::Store::open(dir.file("a.db"));
  ASSERT_TRUE(store);
  store::TimeMs now = store::atUnixMs(1700000000000);
  AlertServiceOptions o;
  o.clock = [&] { return now; };
  o.storm.burst = 5;
  o.storm.ratePerSecond = 1;
  auto svc = AlertService::create(
      **store, policyWith({{tables::EventType::kDeviceUnknown, tables::Severity::kWarning, {}}}), {}, o);
  ASSERT_TRUE(svc);
  int spooled = 0;
  for (int i = 0; i < 1000; ++i) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "02:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    auto r = (*svc)->raise(Event{tables::EventType::kDeviceUnknown, "eth9", -1, mac, {}, {}});
    ASSERT_TRUE(r);
    spooled += r->spooled;
  }
  EXPECT_EQ(spooled, 6);  // the burst of 5, then one storm alert
  ASSERT_TRUE((*svc)->flushFolds());
  auto alerts = (*store)->recentAlerts(100);
  ASSERT_TRUE(alerts);
  ASSERT_EQ(alerts->size(), 6u);
  int64_t total = 0;
  bool sawStorm = false;
  for (const auto& a : *alerts) {
    total += a.count;
    if (a.evidenceJson.find("rate_limited") != std::string::npos) {
      sawStorm = true;
      EXPECT_EQ(a.count, 995);
      EXPECT_TRUE(a.device.empty());
    }
  }
  EXPECT_TRUE(sawStorm);
  EXPECT_EQ(total, 1000);  // every event is counted somewhere
  // The bucket refills: two seconds later one more device is its own alert.
  now += std::chrono::seconds(2);
  auto r = (*svc)->raise(Event{tables::EventType::kDeviceUnknown, "eth9", -1, "02:00:00:00:ff:ff", {}, {}});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->spooled);
}

// A store write that no caller can take (the folded counts written at stop())
// is logged with what failed and counted, not dropped.
TEST(AlertServiceTest, AFailedFoldFlushIsLoggedAndCounted) {
  TempDir dir;
  ASSERT_TRUE(store::Store::open(dir.file("a.db")));  // creates the schema
  store::OpenOptions readOnly;
  readOnly.readOnly = true;
  auto store = store::Store::open(dir.file("a.db"), readOnly);
  ASSERT_TRUE(store) << store.error().message;
  store::TimeMs now = store::atUnixMs(1700000000000);
  AlertServiceOptions o;
  o.clock = [&] { return now; };
  auto svc =
      AlertService::create(**store, policyWith({{tables::EventType::kArpSpoof, tables::Severity::kCritical, {}}}), {}, o);
  ASSERT_TRUE(svc) << svc.error().message;
  Event e{tables::EventType::kArpSpoof, "eth4", 10, "02:00:00:00:00:66", {}, {}};
  EXPECT_FALSE((*svc)->raise(e)) << "the read-only store refuses the spool write; raise() reports it";
  auto folded = (*svc)->raise(e);
  ASSERT_TRUE(folded);
  ASSERT_TRUE(folded->folded);
  EXPECT_EQ((*svc)->unreportedStoreErrors(), 0u);
  ::testing::internal::CaptureStderr();
  (*svc)->stop();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ((*svc)->unreportedStoreErrors(), 1u);
  EXPECT_NE(log.find("portvaktd: alert feed: could not write folded alert counts at stop"), std::string::npos) << log;
}

// A route's severity is its own, info included (the default warning is for
// events no route names); two routes for one event keep the higher.
TEST(AlertServiceTest, ARoutesSeverityIsItsOwnAndTheHighestOfTwoWins) {
  TempDir dir;
  auto store = store::Store::open(dir.file("a.db"));
  ASSERT_TRUE(store) << store.error().message;
  store::TimeMs now = store::atUnixMs(1700000000000);
  AlertServiceOptions o;
  o.clock = [&] { return now; };
  auto svc = AlertService::create(**store,
                                  policyWith({{tables::EventType::kDeviceMoved, tables::Severity::kInfo, {}},
                                              {tables::EventType::kArpSpoof, tables::Severity::kInfo, {}},
                                              {tables::EventType::kArpSpoof, tables::Severity::kCritical, {}}}),
                                  {}, o);
  ASSERT_TRUE(svc) << svc.error().message;
  auto severityOf = [&](tables::EventType type) {
    Event e{type, "eth4", 10, "02:00:00:00:00:66", {}, {}};
    auto raised = (*svc)->raise(e);
    EXPECT_TRUE(raised) << raised.error().message;
    auto alert = (*store)->alert(raised->alertId);
    return alert ? alert->severity : std::string("(none)");
  };
  EXPECT_EQ(severityOf(tables::EventType::kDeviceMoved), "info");
  EXPECT_EQ(severityOf(tables::EventType::kArpSpoof), "critical");
  EXPECT_EQ(severityOf(tables::EventType::kMacFlapping), "warning") << "no route names it";
}

// Requirements: R8
TEST(AlertServiceTest, MaintenanceWindowSuppressesOnlyWhatItNames) {
  TempDir dir;
  auto store = store::Store::open(dir.file("a.db"));
  ASSERT_TRUE(store);
  std::string log = dir.file("alerts.jsonl");
  std::vector<std::unique_ptr<Sink>> sinks;
  sinks.push_back(std::make_unique<JsonLinesSink>("log", log, SinkOptions{}));
  auto policy = policyWith({{tables::EventType::kLinkDown, tables::Severity::kWarning, {"log"}},
                            {tables::EventType::kRogueDhcp, tables::Severity::kCritical, {"log"}}});
  tables::MaintenanceWindow w;
  w.name = "sunday-night";
  w.weekdays = 1 << 6;
  w.startMinute = 60;
  w.endMinute = 240;
  w.timezone = "Europe/Stockholm";
  w.suppress = {tables::EventType::kLinkDown};
  policy.control.maintenance = {w};
  store::TimeMs now = store::atUnixMs(1736643600000);  // 2025-01-12 01:00 UTC = Sunday 02:00 CET
  AlertServiceOptions o;
  o.clock = [&] { return now; };
  o.groupWait = std::chrono::milliseconds(0);
  auto svc = AlertService::create(**store, policy, std::move(sinks), o);
  ASSERT_TRUE(svc) << svc.error().message;
  auto down = (*svc)->raise(Event{tables::EventType::kLinkDown, "eth1", -1, "", {}, {}});
  ASSERT_TRUE(down);
  EXPECT_TRUE(down->suppressed);
  EXPECT_EQ(down->window, "sunday-night");
  auto rogue = (*svc)->raise(Event{tables::EventType::kRogueDhcp, "eth2", 30, "02:00:00:00:00:99", {}, {}});
  ASSERT_TRUE(rogue);
  EXPECT_FALSE(rogue->suppressed);
  EXPECT_EQ((*svc)->deliverNow(), 1);
  auto lines = portvakt::testing::readLines(log);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("rogue_dhcp"), std::string::npos);
  EXPECT_NE(lines[0].find("\"maintenance_window\":\"sunday-night\""), std::string::npos);
  auto kept = (*store)->alert(down->alertId);  // in the history, marked
  ASSERT_TRUE(kept);
  EXPECT_TRUE(kept->suppressed);
  // After the window the same event pages.
  now += std::chrono::hours(4);
  auto later = (*svc)->raise(Event{tables::EventType::kLinkDown, "eth1", -1, "", {}, {}});
  ASSERT_TRUE(later);
  EXPECT_FALSE(later->suppressed);
  EXPECT_EQ((*svc)->deliverNow(), 1);
}

}  // namespace
}  // namespace portvakt::alerts
