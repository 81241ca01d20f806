// DeviceProfiler: first placement, hysteresis (PacketFence #5596), pins first
// (#7384), spoof suspicion, moves, MAC-flood bound, randomized MACs, policy
// swap, ignored uplink frames, and no allocation on the unchanged path.
#include "dataplane/fingerprint/device_profiler.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/dataplane/fingerprint/allocation_counter.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/fingerprint/profiler_frames.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = kNsPerSecond;

const Bytes kWin10(kWindows10.begin(), kWindows10.end());
const Bytes kLinux(kDebianLinux.begin(), kDebianLinux.end());
const Bytes kXbox = {1, 3, 6, 15};  // stands for "another OS" in the flapping tests

std::vector<DeviceEvent> drain(DeviceProfiler& p) {
  std::vector<DeviceEvent> out;
  DeviceEvent e;
  while (p.popEvent(e)) out.push_back(e);
  return out;
}

std::vector<DeviceEventKind> kinds(const std::vector<DeviceEvent>& events) {
  std::vector<DeviceEventKind> out;
  for (const DeviceEvent& e : events) out.push_back(e.kind);
  return out;
}

std::shared_ptr<const FingerprintDb> smallDb() {
  auto db = std::make_shared<FingerprintDb>();
  auto r = db->addFingerbankText(
      "[class 1]\ndescription=Windows\nmembers=100-199\n[class 5]\ndescription=Linux\nmembers=500-599\n"
      "[os 100]\ndescription=Microsoft Windows 10/11\nfingerprints=1,3,6,15,31,33,43,44,46,47,119,121,249,252\n"
      "[os 505]\ndescription=Ubuntu/Debian 5/Knoppix 6\nfingerprints=1,28,2,3,15,6,119,12,44,47,26,121,42\n",
      "test.conf");
  EXPECT_TRUE(r) << r.error().toString();
  return db;
}

TEST(DeviceProfiler, EklientIsPlacedAtItsFirstDhcp) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const DeviceRecord* r = p.observe(*dhcpFrame("3c:52:82:1a:2b:3c", "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->committed.className, "eklient");
  EXPECT_EQ(r->zone, kRegion);
  EXPECT_EQ(r->spoofReasons, 0u) << r->spoofDetail.view();
  EXPECT_TRUE(r->inventoried);
  EXPECT_FALSE(r->randomized);
  auto events = drain(p);
  ASSERT_EQ(kinds(events), std::vector<DeviceEventKind>{DeviceEventKind::kNewDevice});
  EXPECT_EQ(events[0].toClass.view(), "eklient");
  EXPECT_EQ(events[0].toZone, kRegion);
  EXPECT_EQ(tables::toString(eventType(events[0].kind)), "device_new");
}

TEST(DeviceProfiler, UnknownThenPhoneMovesAtOnce) {
  DeviceProfiler p({}, karlstadPolicyPtr());
  const char* phone = "80:5e:c0:12:34:56";
  const DeviceRecord* r = p.observe(*dataFrame(phone), kWallJack, 0);
  EXPECT_EQ(r->zone, kQuarantine) << "an unknown device lands in the port's default zone";
  // LLDP-MED telephone + Yealink OUI: two signals, the first class is taken at once.
  r = p.observe(*lldpFrame(phone, 0x24, 20, 6), kWallJack, 1 * kMs);
  EXPECT_EQ(r->committed.className, "ip-phone");
  EXPECT_EQ(r->zone, kVoice);
  EXPECT_EQ(r->evidence.lldpVoiceVlan, std::optional<uint16_t>(20));
  EXPECT_EQ(r->evidence.lldpApplications, (1u << 1) | (1u << 6)) << "voice and video-conferencing";
  r = p.observe(*sipFrame(phone, "Yealink SIP-T54W 96.86.0.70"), kWallJack, 2 * kMs);
  EXPECT_NEAR(r->committed.confidence, 3.0 / 7, 1e-9);  // lldp, sip, oui of 7 matchers
  auto events = drain(p);
  ASSERT_EQ(kinds(events), (std::vector<DeviceEventKind>{DeviceEventKind::kNewDevice, DeviceEventKind::kClassChanged}));
  EXPECT_EQ(tables::toString(eventType(events[1].kind)), "device_class_changed");
  EXPECT_EQ(events[1].fromClass.view(), "");
  EXPECT_EQ(events[1].fromZone, kQuarantine);
  EXPECT_EQ(events[1].toClass.view(), "ip-phone");
  EXPECT_EQ(events[1].toZone, kVoice);
}

// Two classes told apart only by the option-55 list, like Windows and Xbox.
tables::CompiledPolicyPtr flappingPolicy() {
  tables::CompiledPolicy p;
  p.zones = {{"pcs", 10, "", false, false, {}, {}},
             {"games", 50, "", false, false, {}, {}},
             {"quarantine", 999, "", true, false, {}, {}}};
  p.ports = {{"eth0", "jacks", tables::PortRole::kAccess, {0, 1, 2}, 2, tables::Mode::kEnforce}};
  tables::DeviceClass windows;
  windows.name = "windows";
  windows.zone = 0;
  windows.priority = 10;
  windows.dhcpParameterLists = {kWindows10};
  windows.configuredSignals = windows.evidenceRequired = 1;
  tables::DeviceClass xbox = windows;
  xbox.name = "xbox";
  xbox.zone = 1;
  xbox.dhcpParameterLists = {std::vector<uint8_t>(kXbox.begin(), kXbox.end())};
  p.classes = {windows, xbox};
  return std::make_shared<const tables::CompiledPolicy>(p);
}

TEST(DeviceProfiler, HysteresisStopsFlapping) {
  ProfilerConfig config;
  config.holdDecisions = 3;
  config.holdNs = 30 * kSec;
  DeviceProfiler p(config, flappingPolicy());
  const std::string m = "00:15:5d:00:00:01";
  int64_t t = 0;
  const DeviceRecord* r = p.observe(*dhcpFrame(m, "", kWin10), 0, t);
  ASSERT_EQ(r->committed.className, "windows");
  drain(p);
  // Windows <-> Xbox every second, twenty times: the device never moves.
  for (int i = 0; i < 20; ++i) {
    r = p.observe(*dhcpFrame(m, "", i % 2 == 0 ? kXbox : kWin10), 0, t += kSec);
    EXPECT_EQ(r->committed.className, "windows") << "flap " << i;
    EXPECT_EQ(r->zone, 0);
  }
  EXPECT_TRUE(drain(p).empty());
  // Xbox held for three consecutive observations: it moves on the third.
  r = p.observe(*dhcpFrame(m, "", kXbox), 0, t += kSec);
  EXPECT_EQ(r->committed.className, "windows");
  EXPECT_TRUE(r->pending);
  EXPECT_EQ(r->latest.className, "xbox");
  r = p.observe(*dhcpFrame(m, "", kXbox), 0, t += kSec);
  EXPECT_EQ(r->committed.className, "windows");
  r = p.observe(*dhcpFrame(m, "", kXbox), 0, t += kSec);
  EXPECT_EQ(r->committed.className, "xbox");
  EXPECT_EQ(r->zone, 1);
  auto events = drain(p);
  ASSERT_EQ(kinds(events), std::vector<DeviceEventKind>{DeviceEventKind::kClassChanged});
  EXPECT_EQ(events[0].fromClass.view(), "windows");
  EXPECT_EQ(events[0].toClass.view(), "xbox");
}

TEST(DeviceProfiler, HysteresisByTime) {
  ProfilerConfig config;
  config.holdDecisions = 100;
  config.holdNs = 30 * kSec;
  DeviceProfiler p(config, flappingPolicy());
  const std::string m = "00:15:5d:00:00:02";
  (void)p.observe(*dhcpFrame(m, "", kWin10), 0, 0);
  const DeviceRecord* r = p.observe(*dhcpFrame(m, "", kXbox), 0, 1 * kSec);
  EXPECT_EQ(r->committed.className, "windows");
  // Ordinary traffic carries no evidence but lets the clock run out.
  r = p.observe(*dataFrame(m), 0, 30 * kSec);
  EXPECT_EQ(r->committed.className, "windows") << "29 s is not yet 30";
  r = p.observe(*dataFrame(m), 0, 31 * kSec);
  EXPECT_EQ(r->committed.className, "xbox");
}

TEST(DeviceProfiler, HoldOfOneMovesAtOnce) {
  ProfilerConfig config;
  config.holdDecisions = 1;
  DeviceProfiler p(config, flappingPolicy());
  (void)p.observe(*dhcpFrame("00:15:5d:00:00:03", "", kWin10), 0, 0);
  EXPECT_EQ(p.observe(*dhcpFrame("00:15:5d:00:00:03", "", kXbox), 0, 1)->committed.className, "xbox");
}

TEST(DeviceProfiler, PinAlwaysWins) {
  // PacketFence #7384: the Jabra speakerphone speaks SIP and LLDP-MED like a
  // phone, but the policy pins it to conference.
  ProfilerConfig config;
  config.holdDecisions = 1;  // even with no hysteresis at all
  DeviceProfiler p(config, karlstadPolicyPtr());
  const char* jabra = "30:50:75:aa:10:01";
  const DeviceRecord* r = p.observe(*sipFrame(jabra, "Polycom-Trio-8800"), kWallJack, 0);
  r = p.observe(*lldpFrame(jabra, 0x20, 20), kWallJack, kSec);
  EXPECT_TRUE(r->committed.pinned);
  EXPECT_EQ(r->committed.className, "conference");
  EXPECT_EQ(r->zone, kConference);
  ASSERT_NE(r->latest.evidenceClassIndex, kNoClass);
  EXPECT_EQ(p.policy()->classes[static_cast<size_t>(r->latest.evidenceClassIndex)].name, "ip-phone");

  // A pin added by a policy swap moves a classified phone at once, and
  // removing it moves it back at once.
  const char* yealink = "80:5e:c0:12:34:56";
  r = p.observe(*lldpFrame(yealink, 0x20), kWallJack, 2 * kSec);
  ASSERT_EQ(r->zone, kVoice);
  tables::CompiledPolicy pinned = karlstadPolicy();
  pinned.pins.push_back({mac(yealink), "", kConference, "demo phone in the conference room"});
  std::sort(pinned.pins.begin(), pinned.pins.end(), [](auto& a, auto& b) { return a.mac < b.mac; });
  ProfilerConfig slow;
  slow.holdDecisions = 1000;
  slow.holdNs = 0;
  DeviceProfiler q(slow, karlstadPolicyPtr());
  (void)q.observe(*lldpFrame(yealink, 0x20), kWallJack, 0);
  q.setPolicy(std::make_shared<const tables::CompiledPolicy>(pinned), kSec);
  EXPECT_EQ(q.find(mac(yealink))->zone, kConference);
  q.setPolicy(karlstadPolicyPtr(), 2 * kSec);
  EXPECT_EQ(q.find(mac(yealink))->zone, kVoice);
  // And a pin in force is not overridden by new evidence, however long it holds.
  q.setPolicy(std::make_shared<const tables::CompiledPolicy>(pinned), 3 * kSec);
  for (int i = 0; i < 5; ++i) r = q.observe(*sipFrame(yealink, "Yealink SIP-T54W"), kWallJack, (4 + i) * kSec);
  EXPECT_EQ(r->zone, kConference);
  EXPECT_FALSE(r->pending);
}

struct SpoofRow {
  const char* description;
  std::vector<std::function<TestFrame()>> frames;
  uint32_t expectReasons;
  const char* expectDetail;
};

// Requirements: R6
TEST(DeviceProfiler, SpoofSuspects) {
  const std::string ek = "3c:52:82:1a:2b:3c";
  const SpoofRow rows[] = {
      {"the real eKlient", {[&] { return dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0231"); }}, 0, ""},
      {"an eKlient MAC with a Linux DHCP fingerprint",
       {[&] { return dhcpFrame(ek, "", kLinux, "kali"); }},
       kSpoofContradictsClass | kSpoofHostnameMismatch | kSpoofFingerprintCategory,
       "option 55 is known as \"Ubuntu/Debian 5/Knoppix 6\" (Linux)"},
      {"an eKlient MAC that is a phone",
       {[&] { return lldpFrame(ek, 0x20); }, [&] { return sipFrame(ek, "Yealink SIP-T54W"); }},
       kSpoofClassNotInventory,
       "inventoried MAC shows class ip-phone"},
      {"an eKlient MAC with a Windows fingerprint but another host name",
       {[&] { return dhcpFrame(ek, "MSFT 5.0", kWin10, "LAPTOP-PRIVATE"); }},
       kSpoofHostnameMismatch,
       "is not the inventory's \"EK-KSD-0231\""},
      {"an eKlient MAC whose vendor class is not Windows",
       {[&] { return dhcpFrame(ek, "dhcpcd-9.4.1:Linux-6.1.0:x86_64:GenuineIntel", kWin10); }},
       kSpoofContradictsClass,
       "dhcp.vendor_class does not match class eklient"},
  };
  for (const SpoofRow& row : rows) {
    SCOPED_TRACE(row.description);
    DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
    const DeviceRecord* r = nullptr;
    int64_t t = 0;
    for (const auto& make : row.frames) r = p.observe(*make(), kWallJack, t += kMs);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->spoofReasons, row.expectReasons)
        << spoofReasonsToString(r->spoofReasons) << ": " << r->spoofDetail.view();
    EXPECT_NE(r->spoofDetail.view().find(row.expectDetail), std::string_view::npos) << r->spoofDetail.view();
    auto events = drain(p);
    const bool alerted = std::any_of(events.begin(), events.end(),
                                     [](const DeviceEvent& e) { return e.kind == DeviceEventKind::kSpoofSuspect; });
    EXPECT_EQ(alerted, row.expectReasons != 0);
    if (row.expectReasons) {
      EXPECT_EQ(r->zone, kQuarantine) << "a suspect never reaches region (or voice)";
      EXPECT_TRUE(r->quarantinedAsSuspect);
    } else {
      EXPECT_EQ(r->zone, kRegion);
    }
  }
}

// Requirements: R6b
TEST(DeviceProfiler, SameMacOnTwoPortsAtOnceIsSuspectAMoveIsNot) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const std::string ek = "3c:52:82:1a:2b:3d";
  (void)p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0232"), kWallJack, 0);
  (void)p.observe(*dataFrame(ek), kWallJack, 10 * kSec);
  drain(p);
  // Quiet for a minute, then on another jack: a move.
  const DeviceRecord* r = p.observe(*dataFrame(ek), kWallJack2, 70 * kSec);
  EXPECT_EQ(r->port, kWallJack2);
  EXPECT_EQ(r->previousPort, kWallJack);
  EXPECT_EQ(r->zone, kRegion);
  auto events = drain(p);
  ASSERT_EQ(kinds(events), std::vector<DeviceEventKind>{DeviceEventKind::kMoved});
  EXPECT_EQ(tables::toString(eventType(events[0].kind)), "device_moved");
  EXPECT_EQ(events[0].previousPort, kWallJack);
  EXPECT_EQ(events[0].port, kWallJack2);
  // A copy of the MAC on the first jack 50 ms after a frame on the second:
  // no replug is that fast, so the MAC is flapping at once.
  (void)p.observe(*dataFrame(ek), kWallJack2, 71 * kSec);
  r = p.observe(*dataFrame(ek), kWallJack, 71 * kSec + 50 * kMs);
  EXPECT_EQ(r->spoofReasons, kSpoofTwoPorts | kSpoofFlapping) << r->spoofDetail.view();
  EXPECT_EQ(r->zone, kQuarantine);
  EXPECT_TRUE(r->flapping);
  events = drain(p);
  ASSERT_EQ(kinds(events), std::vector<DeviceEventKind>{DeviceEventKind::kFlapping});
  EXPECT_EQ(tables::toString(eventType(events[0].kind)), "mac_flapping");
  EXPECT_NE(events[0].detail.view().find("active on eth4 50 ms before it appeared on eth3"), std::string_view::npos)
      << events[0].detail.view();
  // Ping-pong does not repeat the alert, and the reason holds.
  for (int i = 0; i < 10; ++i) r = p.observe(*dataFrame(ek), i % 2 ? kWallJack : kWallJack2, (72 + i) * kSec);
  EXPECT_TRUE(drain(p).empty());
  EXPECT_EQ(r->spoofReasons & kSpoofTwoPorts, kSpoofTwoPorts);
}

// Issue 13: a forger copying an eKlient's MAC answers every few seconds on
// another jack than the real PC, never within a second of it. Each of its
// frames is a move there and a move back; the fourth move within the window
// makes the MAC flapping: one mac_flapping alert, and the MAC is held in
// quarantine on both jacks, the real PC's included, until the hold passes
// after the last move.
// Requirements: R6b
TEST(DeviceProfiler, ForgerOnAnotherJackEveryFewSecondsIsFlappingAndHeld) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const std::string ek = "3c:52:82:1a:2b:3c";
  (void)p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  drain(p);
  std::vector<DeviceEvent> events;
  const DeviceRecord* r = nullptr;
  // The PC every 4 s on its jack, the forger every 8 s on another, 2 s apart.
  std::vector<std::pair<int64_t, uint16_t>> frames;
  for (int64_t t = 4 * kSec; t <= 60 * kSec; t += 4 * kSec) frames.push_back({t, kWallJack});
  for (int64_t t = 6 * kSec; t <= 60 * kSec; t += 8 * kSec) frames.push_back({t, kWallJack2});
  std::sort(frames.begin(), frames.end());
  int movesBeforeFlapping = 0;
  for (auto [t, port] : frames) {
    r = p.observe(*dataFrame(ek), port, t);
    for (const DeviceEvent& e : drain(p)) events.push_back(e);
    if (!r->flapping) {
      EXPECT_EQ(r->zone, kRegion) << "before flapping, a move keeps its placement (t=" << t / kMs << " ms)";
      movesBeforeFlapping = static_cast<int>(r->moveCount);
    } else {
      EXPECT_EQ(r->zone, kQuarantine) << "held on port " << port << " at " << t / kMs << " ms";
      EXPECT_TRUE(r->quarantinedAsSuspect);
    }
  }
  EXPECT_EQ(movesBeforeFlapping, 3) << "the fourth move within 5 min is flapping";
  std::vector<DeviceEventKind> want(3, DeviceEventKind::kMoved);
  want.push_back(DeviceEventKind::kFlapping);
  ASSERT_EQ(kinds(events), want);
  const DeviceEvent& flap = events.back();
  EXPECT_EQ(flap.toZone, kQuarantine);
  const std::string_view detail = flap.detail.view();
  EXPECT_NE(detail.find("4 moves in "), std::string_view::npos) << detail;
  EXPECT_NE(detail.find("eth3->eth4 at 00:00:06.000"), std::string_view::npos) << detail;
  EXPECT_NE(detail.find("eth4->eth3 at 00:00:16.000"), std::string_view::npos) << detail;
  EXPECT_EQ(r->spoofReasons, kSpoofFlapping) << "slower than the two-port window: no two-ports reason";
  EXPECT_NE(r->spoofDetail.view().find("moves in"), std::string_view::npos) << r->spoofDetail.view();
  EXPECT_EQ(p.stats().flappingDetected, 1u);

  // The forger is gone. The real PC stays out until 30 min after the last move...
  const int64_t lastMove = r->moves[(r->moveCount - 1) % tables::kMaxMobilityMoves].timeNs;
  r = p.observe(*dataFrame(ek), kWallJack, lastMove + 29 * 60 * kSec);
  EXPECT_EQ(r->zone, kQuarantine);
  // ... and then returns to region, without an event, evidence kept.
  r = p.observe(*dataFrame(ek), kWallJack, lastMove + 30 * 60 * kSec);
  EXPECT_FALSE(r->flapping);
  EXPECT_EQ(r->spoofReasons, 0u) << r->spoofDetail.view();
  EXPECT_EQ(r->zone, kRegion);
  EXPECT_TRUE(drain(p).empty());
  // Moves before the release do not count again: one more move is a move.
  r = p.observe(*dataFrame(ek), kWallJack2, lastMove + 31 * 60 * kSec);
  EXPECT_EQ(r->zone, kRegion);
  EXPECT_EQ(kinds(drain(p)), std::vector<DeviceEventKind>{DeviceEventKind::kMoved});
}

// Requirements: R6b
TEST(DeviceProfiler, MovesWhileHeldExtendTheHoldAndForgetForgives) {
  tables::CompiledPolicy policy = karlstadPolicy();
  policy.macMobility = {10 * kSec, 2, 60 * kSec};  // two moves in 10 s; a minute's hold
  DeviceProfiler p({}, std::make_shared<const tables::CompiledPolicy>(policy), smallDb());
  const std::string ek = "3c:52:82:1a:2b:3c";
  (void)p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  (void)p.observe(*dataFrame(ek), kWallJack2, 5 * kSec);
  const DeviceRecord* r = p.observe(*dataFrame(ek), kWallJack, 8 * kSec);
  ASSERT_TRUE(r->flapping) << "the policy's two moves in 10 s";
  // A move every 50 s keeps it held well past the first minute.
  for (int64_t t = 58; t <= 208; t += 50) {
    r = p.observe(*dataFrame(ek), (t / 50) % 2 ? kWallJack2 : kWallJack, t * kSec);
    EXPECT_EQ(r->zone, kQuarantine) << t;
  }
  EXPECT_EQ(r->flappingUntilNs, 268 * kSec);
  EXPECT_EQ(kinds(drain(p)), (std::vector<DeviceEventKind>{DeviceEventKind::kNewDevice, DeviceEventKind::kMoved,
                                                           DeviceEventKind::kFlapping}));
  // An engineer forgives it: the record goes, the PC starts over with its next DHCP.
  EXPECT_TRUE(p.forget(mac(ek.c_str())));
  r = p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 209 * kSec);
  EXPECT_FALSE(r->flapping);
  EXPECT_EQ(r->zone, kRegion);
}

// Requirements: R6b
TEST(DeviceProfiler, LaptopCarriedBetweenRoomsIsNotFlapping) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const std::string ek = "3c:52:82:1a:2b:3c";
  (void)p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  drain(p);
  // Three replugs within five minutes (the default allows three, the fourth is flapping).
  const DeviceRecord* r = nullptr;
  uint16_t port = kWallJack;
  for (int i = 1; i <= 3; ++i) {
    port = port == kWallJack ? kWallJack2 : kWallJack;
    r = p.observe(*dataFrame(ek), port, i * 60 * kSec);
    r = p.observe(*dataFrame(ek), port, i * 60 * kSec + 10 * kSec);
  }
  EXPECT_FALSE(r->flapping);
  EXPECT_EQ(r->zone, kRegion);
  EXPECT_EQ(kinds(drain(p)), std::vector<DeviceEventKind>(3, DeviceEventKind::kMoved));
  EXPECT_EQ(r->moveCount, 3u);
  std::vector<PortMove> moves;
  r->forEachMove([&](const PortMove& m) { moves.push_back(m); });
  ASSERT_EQ(moves.size(), 3u);
  EXPECT_EQ(moves[0].from, kWallJack);
  EXPECT_EQ(moves[0].to, kWallJack2);
  EXPECT_EQ(moves[2].timeNs, 180 * kSec);
}

// Requirements: R6
TEST(DeviceProfiler, MacFloodIsBounded) {
  ProfilerConfig config;
  config.maxDevices = 64;
  config.eventCapacity = 32;
  DeviceProfiler p(config, karlstadPolicyPtr());
  const std::string ek = "3c:52:82:1a:2b:3e";
  (void)p.observe(*dhcpFrame(ek, "MSFT 5.0", kWin10), kWallJack, 0);
  (void)p.observe(*lldpFrame("80:5e:c0:00:00:01", 0x20), kWallJack2, 0);
  Writer flood;
  for (uint32_t i = 0; i < 20000; ++i) {
    char m[18];
    std::snprintf(m, sizeof m, "00:de:ad:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    (void)p.observe(*dataFrame(m), kWallJack2, (i + 1) * kMs);
    ASSERT_LE(p.size(), 64u);
  }
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(p.capacity(), 64u);
  EXPECT_GE(p.stats().evictions, 20000u - 62u);
  EXPECT_EQ(p.stats().evictionsOfKnown, 0u) << "the flood recycled its own records";
  ASSERT_NE(p.find(mac(ek.c_str())), nullptr) << "the eKlient survived the flood";
  EXPECT_EQ(p.find(mac(ek.c_str()))->zone, kRegion);
  ASSERT_NE(p.find(mac("80:5e:c0:00:00:01")), nullptr);
  EXPECT_EQ(p.pendingEvents(), 32u);
  EXPECT_GT(p.stats().eventsDropped, 19000u);
  // The index stays consistent after all that churn: every record is found.
  size_t visited = 0;
  p.forEach([&](const DeviceRecord& r) {
    ++visited;
    EXPECT_EQ(p.find(r.evidence.mac), &r);
  });
  EXPECT_EQ(visited, 64u);
  // Idle expiry: only the flood MACs seen in the last 10 ms (19991..20000) stay.
  EXPECT_EQ(p.expireIdle(20001 * kMs, 10 * kMs), 54u);
  EXPECT_EQ(p.size(), 10u);
  EXPECT_EQ(p.find(mac(ek.c_str())), nullptr);
}

// Issue 14: more idle clinic devices than the old eviction scan looked at
// (16) sat at the old end of the LRU list, so a flood evicted them. The
// probation list finds the flood's own records wherever they are.
TEST(DeviceProfiler, FloodNeverEvictsIdleKnownDevicesWhileStrangersCanGo) {
  ProfilerConfig config;
  config.maxDevices = 64;
  DeviceProfiler p(config, karlstadPolicyPtr());
  std::vector<std::string> phones;
  for (int i = 0; i < 40; ++i) {
    char m[18];
    std::snprintf(m, sizeof m, "80:5e:c0:00:01:%02x", i);
    phones.push_back(m);
    const DeviceRecord* r = p.observe(*lldpFrame(m, 0x20), kWallJack2, 0);
    ASSERT_NE(r, nullptr);
    ASSERT_NE(r->committed.classIndex, kNoClass) << m;
  }
  EXPECT_EQ(p.probationSize(), 0u) << "classified devices are not on probation";
  for (uint32_t i = 0; i < 5000; ++i) {
    char m[18];
    std::snprintf(m, sizeof m, "00:de:ad:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    (void)p.observe(*dataFrame(m), kWallJack, (i + 1) * kMs);
  }
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(p.probationSize(), 24u);
  EXPECT_EQ(p.stats().evictionsOfKnown, 0u);
  for (const std::string& m : phones) EXPECT_NE(p.find(mac(m.c_str())), nullptr) << m << " was evicted by the flood";
}

// Never-classified records age out after unclassifiedIdleNs (15 min by
// default, 120 s here), on the frame path and by expireUnclassified();
// classified ones stay.
TEST(DeviceProfiler, NeverClassifiedRecordsAgeOutQuickly) {
  ProfilerConfig config;
  config.unclassifiedIdleNs = 120 * kSec;
  DeviceProfiler p(config, karlstadPolicyPtr());
  (void)p.observe(*dataFrame("00:de:ad:00:00:01"), kWallJack, 0);
  (void)p.observe(*dataFrame("00:de:ad:00:00:02"), kWallJack, 60 * kSec);
  (void)p.observe(*lldpFrame("80:5e:c0:00:00:01", 0x20), kWallJack2, 0);
  EXPECT_EQ(p.probationSize(), 2u);
  // 121 s after the first stranger's last frame: a frame from anyone expires it.
  (void)p.observe(*lldpFrame("80:5e:c0:00:00:01", 0x20), kWallJack2, 121 * kSec);
  EXPECT_EQ(p.find(mac("00:de:ad:00:00:01")), nullptr);
  EXPECT_NE(p.find(mac("00:de:ad:00:00:02")), nullptr);
  EXPECT_EQ(p.stats().expiredUnclassified, 1u);
  // With no traffic at all, the periodic call takes the rest.
  EXPECT_EQ(p.expireUnclassified(181 * kSec), 1u);
  EXPECT_EQ(p.size(), 1u);
  EXPECT_NE(p.find(mac("80:5e:c0:00:00:01")), nullptr) << "a classified device idle for 3 minutes stays";
  EXPECT_EQ(p.expireUnclassified(3600 * kSec), 0u);
}

// Requirements: R6
TEST(DeviceProfiler, RandomizedMacIsFlagged) {
  DeviceProfiler p({}, karlstadPolicyPtr());
  const DeviceRecord* r =
      p.observe(*dhcpFrame("da:a1:19:00:00:01", "android-dhcp-13", {1, 3, 6, 15, 26, 28, 51, 58, 59, 43}), kWallJack, 0);
  EXPECT_TRUE(r->randomized);
  EXPECT_EQ(r->zone, kQuarantine);
  auto events = drain(p);
  ASSERT_EQ(kinds(events), (std::vector<DeviceEventKind>{DeviceEventKind::kNewDevice, DeviceEventKind::kRandomizedMac}));
  EXPECT_EQ(tables::toString(eventType(events[1].kind)), "randomized_mac");
  EXPECT_FALSE(p.observe(*dataFrame("3c:52:82:1a:2b:3c"), kWallJack, 1)->randomized);
}

TEST(DeviceProfiler, PolicySwapReevaluatesAndKeepsEvidence) {
  ProfilerConfig config;
  config.holdDecisions = 1000;  // a swap must not wait for hysteresis
  config.holdNs = 0;
  DeviceProfiler p(config, karlstadPolicyPtr());
  const char* printer = "00:1e:0b:33:44:55";  // an HP OUI: mDNS alone is not a printer
  const DeviceRecord* r = p.observe(*mdnsFrame(printer, "_ipp._tcp"), kWallJack, 0);
  ASSERT_EQ(r->committed.className, "printer");
  const char* laptop = "98:fa:9b:00:00:99";
  (void)p.observe(*dhcpFrame(laptop, "MSFT 5.0", kWin10, "EK-KSD-0499"), kWallJack2, 0);
  EXPECT_EQ(p.find(mac(laptop))->zone, kQuarantine);
  drain(p);

  tables::CompiledPolicy v2 = karlstadPolicy();
  std::erase_if(v2.classes, [](const tables::DeviceClass& c) { return c.name == "printer"; });  // no printer class
  v2.inventory.push_back({mac(laptop), "RV-100499", "EK-KSD-0499"});
  std::sort(v2.inventory.begin(), v2.inventory.end(), [](auto& a, auto& b) { return a.mac < b.mac; });
  p.setPolicy(std::make_shared<const tables::CompiledPolicy>(v2), kSec);
  EXPECT_EQ(p.find(mac(printer))->zone, kQuarantine);
  EXPECT_EQ(p.find(mac(printer))->committed.className, "");
  EXPECT_EQ(p.find(mac(laptop))->committed.className, "eklient") << "evidence kept across the swap";
  EXPECT_EQ(p.find(mac(laptop))->zone, kRegion);
  auto events = drain(p);
  ASSERT_EQ(events.size(), 2u);
  for (const DeviceEvent& e : events) EXPECT_EQ(e.kind, DeviceEventKind::kClassChanged);

  p.setPolicy(karlstadPolicyPtr(), 2 * kSec);
  EXPECT_EQ(p.find(mac(printer))->committed.className, "printer");
  EXPECT_EQ(p.find(mac(printer))->zone, kPrinters);
  EXPECT_EQ(p.find(mac(laptop))->zone, kQuarantine);
  EXPECT_EQ(p.find(mac(printer))->evidence.mdnsServiceCount, 1);
}

TEST(DeviceProfiler, PortRulesApply) {
  DeviceProfiler p({}, karlstadPolicyPtr());
  // Frames from an uplink are not about devices on our jacks.
  EXPECT_EQ(p.observe(*dataFrame("00:1b:54:aa:bb:cc"), kRdnetUplink, 0), nullptr);
  EXPECT_EQ(p.observe(*dataFrame("00:1b:54:aa:bb:cc"), kVoiceUplink, 0), nullptr);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.stats().ignoredFrames, 2u);
  // A phone in the printer room: the port does not carry voice.
  const DeviceRecord* r = p.observe(*lldpFrame("80:5e:c0:00:00:07", 0x20), kPrinterRoom, 0);
  EXPECT_EQ(r->committed.className, "ip-phone");
  EXPECT_EQ(r->zone, kQuarantine);
  EXPECT_TRUE(r->zoneRefusedOnPort);
  // mDNS queries carry known answers about other devices: not evidence.
  r = p.observe(*mdnsFrame("02:00:00:00:00:31", "_ipp._tcp", false), kWallJack, 0);
  EXPECT_EQ(r->evidence.mdnsServiceCount, 0);
  // PXE boot firmware's DHCP is not the OS's fingerprint.
  r = p.observe(*dhcpFrame("3c:52:82:1a:2b:3c", "PXEClient:Arch:00007:UNDI:003016",
                           {1,  2,  3,  4,  5,  6,  12, 13, 15, 17,  18,  22,  23,  28,  40,  41,  42, 43,
                            50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135}),
                kWallJack, 0);
  EXPECT_FALSE(r->evidence.has(Trait::kDhcpParameterList));
  EXPECT_EQ(r->spoofReasons, 0u);
}

TEST(DeviceProfiler, UnchangedFramesDoNotAllocateOrReclassify) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const TestFrame lldp = lldpFrame("80:5e:c0:12:34:56", 0x24, 20);
  const TestFrame sip = sipFrame("80:5e:c0:12:34:56", "Yealink SIP-T54W 96.86.0.70");
  const TestFrame dhcp = dhcpFrame("3c:52:82:1a:2b:3c", "MSFT 5.0", kWin10, "EK-KSD-0231");
  const TestFrame data = dataFrame("3c:52:82:1a:2b:3c");
  (void)p.observe(*lldp, kWallJack, 0);
  (void)p.observe(*sip, kWallJack, 0);
  (void)p.observe(*dhcp, kWallJack2, 0);
  drain(p);
  const uint64_t decisions = p.stats().decisions;
  const uint64_t before = allocationCount();
  for (int i = 1; i <= 1000; ++i) {
    (void)p.observe(*lldp, kWallJack, i * kMs);
    (void)p.observe(*sip, kWallJack, i * kMs);
    (void)p.observe(*dhcp, kWallJack2, i * kMs);
    (void)p.observe(*data, kWallJack2, i * kMs);
  }
  EXPECT_EQ(allocationCount() - before, 0u);
  EXPECT_EQ(p.stats().decisions, decisions) << "nothing changed, so nothing was re-classified";
  EXPECT_EQ(p.pendingEvents(), 0u);
  EXPECT_EQ(p.find(mac("80:5e:c0:12:34:56"))->evidence.lastSeen(Trait::kSipUserAgent),
            std::optional<int64_t>(1000 * kMs));
}

// The profiler skips the evidence update for frames without an evidence
// layer (kEvidenceLayers): a device's data frames cost no call. Every kind of
// frame that does carry evidence must still reach it for a device already
// known and busy with data: DHCP, DHCPv6, LLDP, CDP, SIP (on its port and,
// found by its start line, on any other), mDNS and SSDP.
TEST(DeviceProfiler, EvidenceFramesOfAKnownDeviceAreLearnedAfterItsDataFrames) {
  using namespace packet::testing;
  Writer sipOnAnyPort;
  sipOnAnyPort.str("REGISTER sip:pbx.clinic.local SIP/2.0\r\n")
      .str("User-Agent: Yealink SIP-T54W 96.86.0.70\r\n")
      .str("Content-Length: 0\r\n\r\n");
  Writer solicit;
  solicit.u8(1).u24(0x77).u16(16).u16(14).u32(311).u16(8).str("MSFT 5.0");
  const struct {
    const char* what;
    Bytes frame;
    Trait trait;
  } cases[] = {
      {"DHCP", dhcpDiscoverFrame().data, Trait::kDhcpParameterList},
      {"DHCPv6",
       ethernet("33:33:00:01:00:02", "02:00:00:00:06:01", packet::kEtherTypeIpv6,
                ipv6("fe80::66", "ff02::1:2", packet::kIpProtoUdp, udp(546, 547, solicit)))
           .data,
       Trait::kDhcpv6VendorClass},
      {"LLDP", lldpMedPhoneFrame().data, Trait::kLldpMedCapabilities},
      {"CDP", cdpPhoneFrame().data, Trait::kCdpPlatform},
      {"SIP on port 5060", sipResponseFrame().data, Trait::kSipUserAgent},
      {"SIP on port 9000",
       ethernet("00:1b:54:aa:bb:cc", "02:00:00:00:09:00", packet::kEtherTypeIpv4,
                ipv4("192.168.20.31", "10.77.0.2", packet::kIpProtoUdp, udp(40000, 9000, sipOnAnyPort)))
           .data,
       Trait::kSipUserAgent},
      {"mDNS", mdnsPrinterFrame().data, Trait::kMdnsServices},
      {"SSDP", ssdpNotifyFrame().data, Trait::kSsdpServer},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
    ParsedFrame evidence;
    packet::parseFrame(c.frame, evidence);
    const std::string src = evidence.eth.src.toString();
    const TestFrame data = dataFrame(src);
    for (int i = 0; i < 5; ++i) ASSERT_NE(p.observe(*data, kWallJack, i * kMs), nullptr);
    ASSERT_FALSE(p.find(evidence.eth.src)->evidence.has(c.trait));
    const DeviceRecord* r = p.observe(evidence, kWallJack, 10 * kMs);
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->evidence.has(c.trait));
    EXPECT_EQ(r->evidence.lastSeen(c.trait), std::optional<int64_t>(10 * kMs));
  }
}

// The move path (issue 13): a MAC flipping between two jacks on every frame,
// one copy 1 ms behind the other (two ports at once) and one 2 s apart (moves
// counted in the window), costs no allocation, before and after it is held
// as flapping. Both are inventoried eKlients with a Windows fingerprint from
// a Linux box's jack, so the spoof detail is rebuilt on every move too.
// Requirements: R6b
TEST(DeviceProfiler, MacFlippingBetweenPortsEveryFrameDoesNotAllocate) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  const TestFrame fast = dataFrame("3c:52:82:1a:2b:3c");
  const TestFrame slow = dataFrame("98:fa:9b:44:01:10");
  const TestFrame fastDhcp = dhcpFrame("3c:52:82:1a:2b:3c", "", kLinux, "kali");
  const TestFrame slowDhcp = dhcpFrame("98:fa:9b:44:01:10", "MSFT 5.0", kWin10, "EK-KSD-0412");
  (void)p.observe(*fastDhcp, kWallJack, 0);
  (void)p.observe(*slowDhcp, kWallJack, 0);
  drain(p);
  const uint64_t before = allocationCount();
  int64_t t = 0;
  for (int i = 1; i <= 1000; ++i) {
    t += 2 * kSec;
    (void)p.observe(*fast, kWallJack2, t);
    (void)p.observe(*fast, kWallJack, t + kMs);
    (void)p.observe(*slow, i % 2 ? kWallJack2 : kWallJack, t);
    DeviceEvent e;
    while (p.popEvent(e)) {
    }
  }
  EXPECT_EQ(allocationCount() - before, 0u);
  EXPECT_EQ(p.stats().moves, 3000u);
}

// After a restart the control plane restores devices from the store: the
// eKlient is placed in region at once, without events, before it says anything.
TEST(DeviceProfiler, RestoredDeviceIsPlacedAtOnceWithoutEvents) {
  DeviceProfiler live({}, karlstadPolicyPtr(), smallDb());
  const DeviceRecord* seen =
      live.observe(*dhcpFrame("3c:52:82:1a:2b:3c", "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 5 * kSec);
  ASSERT_EQ(seen->zone, kRegion);

  DeviceProfiler restarted({}, karlstadPolicyPtr(), smallDb());
  const DeviceRecord* r = restarted.restore(seen->evidence, kWallJack, 5 * kSec, 7 * kSec, 100 * kSec);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->committed.className, "eklient");
  EXPECT_EQ(r->zone, kRegion);
  EXPECT_EQ(r->firstSeenNs, 5 * kSec);
  EXPECT_EQ(r->lastSeenNs, 7 * kSec);
  EXPECT_TRUE(drain(restarted).empty()) << "a restore is not news";
  EXPECT_EQ(restarted.restore(seen->evidence, kWallJack, 0, 0, 0), nullptr) << "already known: live state wins";

  // A frame from another port after the restart is a move, not two devices.
  r = restarted.observe(*dataFrame("3c:52:82:1a:2b:3c"), kWallJack2, 101 * kSec);
  EXPECT_EQ(r->spoofReasons & kSpoofTwoPorts, 0u);
  EXPECT_EQ(kinds(drain(restarted)), std::vector<DeviceEventKind>{DeviceEventKind::kMoved});

  DeviceEvidence phone;
  phone.mac = mac("80:5e:c0:12:34:56");
  EXPECT_EQ(restarted.restore(phone, kRdnetUplink, 0, 0, 0), nullptr) << "devices behind uplinks are not profiled";
  EXPECT_EQ(restarted.restore(phone, 999, 0, 0, 0), nullptr) << "a port the policy no longer has";
}

TEST(DeviceProfiler, ForgetDropsTheRecordAndItsEvidence) {
  DeviceProfiler p({}, karlstadPolicyPtr(), smallDb());
  (void)p.observe(*dhcpFrame("3c:52:82:1a:2b:3c", "MSFT 5.0", kWin10, "EK-KSD-0231"), kWallJack, 0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p.forget(mac("3c:52:82:1a:2b:3c")));
  EXPECT_FALSE(p.forget(mac("3c:52:82:1a:2b:3c")));
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.find(mac("3c:52:82:1a:2b:3c")), nullptr);
  const DeviceRecord* r = p.observe(*dataFrame("3c:52:82:1a:2b:3c"), kWallJack, kSec);
  EXPECT_EQ(r->zone, kQuarantine) << "without its evidence it starts over";
}

}  // namespace
}  // namespace portvakt::fingerprint
