// The 802.1X session table: transitions per port and MAC, the end of every
// session when hostapd dies, and the bound against made-up MACs.
#include "control/dot1x/session_table.h"

#include <gtest/gtest.h>

namespace portvakt::dot1x {
namespace {

const auto kPc = *tables::MacAddress::parse("02:00:00:d1:00:01");
const auto kPhone = *tables::MacAddress::parse("02:00:00:d1:00:02");

HostapdEvent event(HostapdEventKind kind, const tables::MacAddress& mac) {
  HostapdEvent e;
  e.kind = kind;
  e.mac = mac;
  e.level = 3;
  return e;
}

WallTime at(int seconds) { return WallTime{} + std::chrono::seconds(1000000 + seconds); }

TEST(SessionTable, StartedThenAuthorised) {
  SessionTable table;
  auto started = table.apply("p1", event(HostapdEventKind::kEapStarted, kPc), at(0));
  ASSERT_TRUE(started);
  EXPECT_EQ(started->previous, SessionState::kNone);
  EXPECT_EQ(started->session.state, SessionState::kStarted);
  auto success = table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(1));
  ASSERT_TRUE(success);
  EXPECT_EQ(success->session.state, SessionState::kAuthorised);
  EXPECT_EQ(success->session.since, at(1));
  EXPECT_EQ(success->session.lastAuthenticated, at(1));
  // AP-STA-CONNECTED confirms; no second change.
  EXPECT_FALSE(table.apply("p1", event(HostapdEventKind::kStationConnected, kPc), at(1)));
  table.setIdentity("p1", kPc, "EK-0001");
  EXPECT_EQ(table.find("p1", kPc)->identity, "EK-0001");
}

// Requirements: R1a
TEST(SessionTable, TwoStationsOnOnePortAreSeparate) {
  SessionTable table;
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(0));
  (void)table.apply("p1", event(HostapdEventKind::kEapFailure, kPhone), at(1));
  EXPECT_EQ(table.find("p1", kPc)->state, SessionState::kAuthorised);
  EXPECT_EQ(table.find("p1", kPhone)->state, SessionState::kFailed);
  EXPECT_EQ(table.find("p1", kPhone)->failures, 1u);
  // The same MAC on another port is another session.
  EXPECT_FALSE(table.find("p2", kPc));
}

TEST(SessionTable, ReauthenticationKeepsThePortAuthorisedUntilRefused) {
  SessionTable table;
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(0));
  EXPECT_FALSE(table.apply("p1", event(HostapdEventKind::kEapStarted, kPc), at(3600)));
  EXPECT_EQ(table.find("p1", kPc)->state, SessionState::kAuthorised);
  EXPECT_EQ(table.find("p1", kPc)->since, at(0));
  auto refused = table.apply("p1", event(HostapdEventKind::kEapFailure, kPc), at(3601));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->previous, SessionState::kAuthorised);
  EXPECT_EQ(refused->session.state, SessionState::kFailed);
}

TEST(SessionTable, FailuresCountEachTime) {
  SessionTable table;
  for (int i = 0; i < 3; ++i) {
    (void)table.apply("p1", event(HostapdEventKind::kEapStarted, kPc), at(i * 60));
    auto failed = table.apply("p1", event(HostapdEventKind::kEapFailure, kPc), at(i * 60 + 1));
    ASSERT_TRUE(failed);  // every failure is reported, also a repeated one
  }
  EXPECT_EQ(table.find("p1", kPc)->failures, 3u);
}

TEST(SessionTable, DisconnectEndsAndUnknownDisconnectIsIgnored) {
  SessionTable table;
  EXPECT_FALSE(table.apply("p1", event(HostapdEventKind::kStationDisconnected, kPc), at(0)));
  EXPECT_EQ(table.size(), 0u);
  (void)table.apply("p1", event(HostapdEventKind::kStationConnected, kPc), at(1));
  auto ended = table.apply("p1", event(HostapdEventKind::kStationDisconnected, kPc), at(2));
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->session.state, SessionState::kEnded);
  EXPECT_EQ(ended->session.endReason, "disconnected");
  EXPECT_FALSE(table.apply("p1", event(HostapdEventKind::kStationDisconnected, kPc), at(3)));
}

// portvaktd deauthenticates a station for a reason of its own (link down,
// MAC ageing, a policy change): the disconnect that follows carries it, once.
TEST(SessionTable, DeauthenticationByPortvaktdEndsWithItsReason) {
  SessionTable table;
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(0));
  table.noteEndReason("p1", kPc, "link down");
  table.noteEndReason("p1", kPhone, "link down");  // no entry: nothing is made
  EXPECT_FALSE(table.find("p1", kPhone));
  auto ended = table.apply("p1", event(HostapdEventKind::kStationDisconnected, kPc), at(5));
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->session.state, SessionState::kEnded);
  EXPECT_EQ(ended->session.endReason, "link down");
  // The next session's end is hostapd's own again.
  (void)table.apply("p1", event(HostapdEventKind::kEapStarted, kPc), at(10));
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(11));
  auto again = table.apply("p1", event(HostapdEventKind::kStationDisconnected, kPc), at(12));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->session.endReason, "disconnected");
}

// Requirements: R1a
TEST(SessionTable, HostapdRestartEndsStartedAndAuthorisedSessionsOfThatPortOnly) {
  SessionTable table;
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(0));
  (void)table.apply("p1", event(HostapdEventKind::kEapStarted, kPhone), at(0));
  const auto failedMac = *tables::MacAddress::parse("02:00:00:d1:00:03");
  (void)table.apply("p1", event(HostapdEventKind::kEapFailure, failedMac), at(0));
  (void)table.apply("p2", event(HostapdEventKind::kEapSuccess, kPc), at(0));

  auto ended = table.endPort("p1", "hostapd restarted", at(5));
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& change : ended) {
    EXPECT_EQ(change.session.state, SessionState::kEnded);
    EXPECT_EQ(change.session.endReason, "hostapd restarted");
  }
  EXPECT_EQ(table.find("p1", failedMac)->state, SessionState::kFailed);
  EXPECT_EQ(table.find("p2", kPc)->state, SessionState::kAuthorised);
  auto wanted = table.awaitingReauthentication("p1");
  EXPECT_EQ(wanted.size(), 2u);
  EXPECT_TRUE(table.awaitingReauthentication("p2").empty());

  // The station authenticates again: no longer awaited.
  (void)table.apply("p1", event(HostapdEventKind::kEapStarted, kPc), at(6));
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(7));
  EXPECT_EQ(table.find("p1", kPc)->state, SessionState::kAuthorised);
  EXPECT_EQ(table.find("p1", kPc)->endReason, "");
  EXPECT_EQ(table.awaitingReauthentication("p1").size(), 1u);
}

// Requirements: R1a
TEST(SessionTable, FloodOfMadeUpMacsNeverEvictsAnAuthorisedSession) {
  SessionTable table;
  (void)table.apply("p1", event(HostapdEventKind::kEapSuccess, kPc), at(0));
  for (uint32_t i = 0; i < 3 * kMaxSessionsPerPort; ++i) {
    tables::MacAddress mac;
    mac.bytes = {0x02, 0xee, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 1};
    (void)table.apply("p1", event(HostapdEventKind::kEapStarted, mac), at(1 + static_cast<int>(i)));
  }
  EXPECT_EQ(table.size(), kMaxSessionsPerPort);
  ASSERT_TRUE(table.find("p1", kPc));
  EXPECT_EQ(table.find("p1", kPc)->state, SessionState::kAuthorised);
}

TEST(SessionTable, OtherEventsChangeNothing) {
  SessionTable table;
  HostapdEvent other;
  other.kind = HostapdEventKind::kOther;
  EXPECT_FALSE(table.apply("p1", other, at(0)));
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace portvakt::dot1x
