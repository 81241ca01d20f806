// The policy's retention against a real SQLite store, with a clock the test
// sets: devices not seen for the period go from the store and, through the
// callback, from memory; audit entries older than theirs go, the running
// version never, and version numbers are not reused.

#include "control/daemon/retention.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/control/store/temp_dir.h"

namespace portvakt::control {
namespace {

using std::chrono::days;
using std::chrono::hours;
using Clock = std::chrono::system_clock;

constexpr int64_t kDay = 86400;
const Clock::time_point kNow = Clock::time_point{std::chrono::seconds{1'800'000'000}};
const int64_t kNowSeconds = 1'800'000'000;

store::DeviceRecord device(const std::string& mac, const std::string& cls, int64_t lastSeen) {
  store::DeviceRecord d;
  d.mac = mac;
  d.port = "eth3";
  d.deviceClass = cls;
  d.zone = cls.empty() ? "quarantine" : "region";
  d.firstSeen = lastSeen - kDay;
  d.lastSeen = lastSeen;
  return d;
}

store::PolicyRecord version(int64_t unixTime) {
  store::PolicyRecord p;
  p.hash = "sha256:" + std::to_string(unixTime);
  p.name = "vc-karlstad";
  p.unixTime = unixTime;
  return p;
}

// Requirements: R10
TEST(Retention, DevicesNotSeenForThePeriodAreForgottenInTheStoreAndInMemory) {
  portvakt::testing::TempDir dir;
  auto opened = store::Store::open(dir.path() + "/portvakt.db");
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = **opened;
  ASSERT_TRUE(
      db.upsertDevices({device("3c:52:82:1a:2b:3c", "eklient", kNowSeconds - 31 * kDay),  // classified, gone a month
                        device("80:5e:c0:00:00:05", "ip-phone", kNowSeconds - 29 * kDay),
                        device("a4:83:e7:00:00:01", "", kNowSeconds - 40 * kDay),
                        device("98:fa:9b:44:01:10", "eklient", kNowSeconds - 60)}));
  tables::Retention retention;
  retention.devices = days{30};
  std::vector<tables::MacAddress> forgotten;
  auto outcome = applyRetention(db, retention, kNow, [&](const tables::MacAddress& m) { forgotten.push_back(m); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->forgottenDevices, (std::vector<std::string>{"3c:52:82:1a:2b:3c", "a4:83:e7:00:00:01"}));
  ASSERT_EQ(forgotten.size(), 2u);
  EXPECT_EQ(forgotten[0].toString(), "3c:52:82:1a:2b:3c");
  auto left = db.devices();
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].mac, "80:5e:c0:00:00:05");
  EXPECT_EQ((*left)[1].mac, "98:fa:9b:44:01:10");

  // A day later the phone has passed 30 days too; nothing else changes.
  auto later = applyRetention(db, retention, kNow + days{1} + hours{1}, nullptr);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->forgottenDevices, (std::vector<std::string>{"80:5e:c0:00:00:05"}));
  EXPECT_EQ(db.devices()->size(), 1u);
}

// Requirements: R9, R10
TEST(Retention, AuditEntriesOlderThanThePeriodGoButNeverTheRunningVersion) {
  portvakt::testing::TempDir dir;
  auto opened = store::Store::open(dir.path() + "/portvakt.db");
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = **opened;
  for (int64_t age : {800, 750, 100, 10}) ASSERT_TRUE(db.appendPolicy(version(kNowSeconds - age * kDay)));
  tables::Retention retention;  // the default: 730 days of audit
  auto outcome = applyRetention(db, retention, kNow, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->auditEntriesRemoved, 2);
  auto history = db.policyHistory();
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 3);
  EXPECT_EQ((*history)[1].version, 4);

  // Ten years on, only the running version (the last) is left, and the next
  // push is version 5, not a reused number.
  auto decade = applyRetention(db, retention, kNow + days{3650}, nullptr);
  ASSERT_TRUE(decade);
  EXPECT_EQ(decade->auditEntriesRemoved, 1);
  ASSERT_EQ(db.policyHistory()->size(), 1u);
  EXPECT_EQ(db.policyHistory()->front().version, 4);
  auto next = db.appendPolicy(version(kNowSeconds + 3650 * kDay));
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 5);
}

// The 802.1X audit trail follows `retention.audit`: ended sessions older than
// it go, a session still authorised stays however old.
// Requirements: R9, R10
TEST(Retention, Dot1xSessionsEndedBeforeTheAuditPeriodGo) {
  portvakt::testing::TempDir dir;
  auto opened = store::Store::open(dir.path() + "/portvakt.db");
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& db = **opened;
  const int64_t ms = 1000;
  auto at = [&](int64_t daysAgo) { return (kNowSeconds - daysAgo * kDay) * ms; };
  ASSERT_TRUE(db.openDot1xSession({0, "eth3", "02:00:00:d1:00:01", "EK-0001", at(800), at(800), 0, ""}));
  ASSERT_TRUE(db.endDot1xSession("eth3", "02:00:00:d1:00:01", store::atUnixMs(at(799)), "link down"));
  ASSERT_TRUE(db.openDot1xSession({0, "eth3", "02:00:00:d1:00:01", "EK-0001", at(10), at(10), 0, ""}));
  ASSERT_TRUE(db.endDot1xSession("eth3", "02:00:00:d1:00:01", store::atUnixMs(at(9)), "MAC aged out"));
  ASSERT_TRUE(db.openDot1xSession({0, "eth4", "02:00:00:d1:00:02", "EK-0002", at(900), at(1), 0, ""}));
  tables::Retention retention;  // 730 days
  auto outcome = applyRetention(db, retention, kNow, nullptr);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->dot1xSessionsRemoved, 1);
  auto left = db.dot1xSessions("", 10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ((*left)[0].identity, "EK-0002") << "still authorised: kept";
  EXPECT_EQ((*left)[1].endReason, "MAC aged out");
}

}  // namespace
}  // namespace portvakt::control
