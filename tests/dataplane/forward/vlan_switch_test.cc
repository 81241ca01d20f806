#include "dataplane/forward/vlan_switch.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "dataplane/io/memory_io.h"
#include "tests/dataplane/forward/l2_frames.h"

namespace portvakt::forward {
namespace {

using testing::Bytes;
using testing::l2Frame;
using testing::mac;
using testing::Tag;

// Zones (index = ZoneId) and their VIDs.
constexpr ZoneId kQuarantine = 0, kRegion = 1, kVoice = 2, kGuest = 3;
// Ports (index = PortIndex).
enum : PortIndex { kAcc0, kAcc1, kAcc2, kTrunk, kUpRegion, kUpVoice, kTrunkNative, kMirror, kPortCount };

constexpr const char* kBroadcast = "ff:ff:ff:ff:ff:ff";
constexpr const char* kPc = "02:00:00:00:00:01";     // region, on acc0
constexpr const char* kPhone = "02:00:00:00:00:02";  // voice, on acc0 (PC behind the phone)
constexpr const char* kGuestPc = "02:00:00:00:00:03";
constexpr const char* kRegionServer = "02:00:00:00:01:00";
constexpr const char* kPbx = "02:00:00:00:02:00";

SwitchConfig clinicConfig() {
  SwitchConfig c;
  c.zoneVlans = {99, 10, 20, 30};
  auto port = [&](const char* name, PortRole role, std::vector<ZoneId> zones, ZoneId def, uint16_t maxMacs = 0) {
    c.ports.push_back(SwitchPortConfig{name, role, std::move(zones), def, maxMacs, Mode::kEnforce});
  };
  port("acc0", PortRole::kAccess, {kQuarantine, kRegion, kVoice}, kQuarantine, 3);
  port("acc1", PortRole::kAccess, {kQuarantine, kRegion, kVoice}, kQuarantine, 3);
  port("acc2", PortRole::kAccess, {kGuest}, kGuest, 3);
  port("trunk", PortRole::kTrunk, {kRegion, kVoice, kGuest}, kNoZone);
  port("up-region", PortRole::kUplink, {kRegion}, kRegion);
  port("up-voice", PortRole::kUplink, {kVoice}, kVoice);
  port("trunk-native", PortRole::kTrunk, {kRegion, kGuest}, kGuest);
  port("mirror", PortRole::kMonitor, {kRegion}, kRegion);
  c.ageingNs = 60'000'000'000;
  return c;
}

class CountingEvents : public SwitchEvents {
 public:
  void onLearned(ZoneId, const MacAddress&, PortIndex) override { ++learned; }
  void onMoved(ZoneId, const MacAddress&, PortIndex, PortIndex) override { ++moved; }
  void onForgotten(ZoneId, const MacAddress&, PortIndex) override { ++forgotten; }
  void onDrop(DropReason r, PortIndex, const MacAddress&, bool enforced) override { drops.push_back({r, enforced}); }
  int learned = 0, moved = 0, forgotten = 0;
  std::vector<std::pair<DropReason, bool>> drops;
};

class VlanSwitchTest : public ::testing::Test {
 protected:
  explicit VlanSwitchTest(SwitchConfig config = clinicConfig()) : sw_(std::move(config), decider_) {
    auto valid = validate(sw_.config());
    EXPECT_TRUE(valid.ok()) << valid.error().message;
    decider_.assign(mac(kPc), kRegion);
    decider_.assign(mac(kPhone), kVoice);
    decider_.assign(mac(kGuestPc), kGuest);
    decider_.setUnknown(kQuarantine, false);
    for (PortIndex p = 0; p < kPortCount; ++p) sw_.attach(p, &sink_);
    sw_.setEvents(&events_);
  }

  ForwardResult send(PortIndex port, const Bytes& bytes, int64_t nowNs = 1'000'000'000) {
    sink_.clear();
    io::Frame f;
    f.bytes = bytes;
    f.wireLength = static_cast<uint32_t>(bytes.size());
    f.timestampNs = nowNs;
    f.port = port;
    return sw_.process(f);
  }
  // Egress port -> bytes of the last send().
  std::map<PortIndex, Bytes> out() const {
    std::map<PortIndex, Bytes> m;
    for (const io::StoredFrame& f : sink_.frames()) {
      EXPECT_EQ(m.count(f.port), 0u) << "two frames to port " << f.port;
      m[f.port] = f.bytes;
    }
    return m;
  }
  std::set<PortIndex> egress() const {
    std::set<PortIndex> s;
    for (const auto& [p, b] : out()) s.insert(p);
    return s;
  }

  StaticMacDecider decider_;
  VlanSwitch sw_;
  io::MemorySink sink_;
  CountingEvents events_;
};

// Requirements: R4
TEST_F(VlanSwitchTest, AccessBroadcastIsTaggedOnTrunkAndUntaggedOnUplinkByteForByte) {
  Bytes in = l2Frame(kBroadcast, kPc, {}, 0x40);
  ForwardResult r = send(kAcc0, in);
  ASSERT_TRUE(r.forwarded());
  EXPECT_TRUE(r.flooded);
  EXPECT_EQ(r.zone, kRegion);
  auto o = out();
  // Region is carried by trunk (tagged 10), up-region and trunk-native (tagged
  // 10: its native zone is guest). acc1 has no region device; mirror never sends.
  EXPECT_EQ(egress(), (std::set<PortIndex>{kTrunk, kUpRegion, kTrunkNative}));
  Bytes tagged(in.begin(), in.begin() + 12);
  for (uint8_t b : {0x81, 0x00, 0x00, 0x0a}) tagged.push_back(b);
  tagged.insert(tagged.end(), in.begin() + 12, in.end());
  EXPECT_EQ(o[kTrunk], tagged);
  EXPECT_EQ(o[kTrunkNative], tagged);
  EXPECT_EQ(o[kUpRegion], in);
  // Byte counters count what crossed each port: the tag the trunk got included.
  EXPECT_EQ(sw_.portCounters(kAcc0).rxBytes, in.size());
  EXPECT_EQ(sw_.portCounters(kTrunk).txBytes, tagged.size());
  EXPECT_EQ(sw_.portCounters(kUpRegion).txBytes, in.size());
  EXPECT_EQ(sw_.portCounters(kAcc1).txBytes, 0u);
}

// Requirements: R4
TEST_F(VlanSwitchTest, TrunkTagIsPoppedForUplinkAndPcpKeptOnRewrite) {
  Bytes in = l2Frame(kBroadcast, kPbx, {{0x8100, 20, 5}}, 0x10);
  ForwardResult r = send(kTrunk, in);
  ASSERT_TRUE(r.forwarded()) << dropReasonName(r.drop);
  EXPECT_EQ(r.zone, kVoice);
  auto o = out();
  EXPECT_EQ(egress(), (std::set<PortIndex>{kUpVoice}));
  Bytes untagged(in.begin(), in.begin() + 12);
  untagged.insert(untagged.end(), in.begin() + 16, in.end());
  EXPECT_EQ(o[kUpVoice], untagged);

  // A priority-tagged frame from the phone (VID 0, PCP 5, as LLDP-MED asks)
  // is accepted on the access port, retagged 20 with PCP 5 on the trunk and
  // sent untagged to the voice uplink.
  Bytes phone = l2Frame(kBroadcast, kPhone, {{0x8100, 0, 5}}, 0x20);
  r = send(kAcc0, phone);
  ASSERT_TRUE(r.forwarded()) << dropReasonName(r.drop);
  o = out();
  EXPECT_EQ(egress(), (std::set<PortIndex>{kTrunk, kUpVoice}));
  Bytes expectTrunk(phone.begin(), phone.begin() + 12);
  for (uint8_t b : {0x81, 0x00, 0xa0, 0x14}) expectTrunk.push_back(b);  // PCP 5, VID 20
  expectTrunk.insert(expectTrunk.end(), phone.begin() + 16, phone.end());
  EXPECT_EQ(o[kTrunk], expectTrunk);
  Bytes expectUp(phone.begin(), phone.begin() + 12);
  expectUp.insert(expectUp.end(), phone.begin() + 16, phone.end());
  EXPECT_EQ(o[kUpVoice], expectUp);
}

// Requirements: R6
TEST_F(VlanSwitchTest, IngressTagRulesHaveNamedReasons) {
  struct Case {
    const char* what;
    PortIndex port;
    Bytes frame;
    DropReason expect;
  };
  const Case cases[] = {
      {"double tag on access", kAcc0, l2Frame(kBroadcast, kPc, {{0x8100, 10}, {0x8100, 20}}), DropReason::kVlanHopping},
      {"double tag, outer VID 0, on access", kAcc0, l2Frame(kBroadcast, kPc, {{0x8100, 0}, {0x8100, 10}}),
       DropReason::kVlanHopping},
      {"QinQ on access", kAcc0, l2Frame(kBroadcast, kPc, {{0x88a8, 10}, {0x8100, 20}}), DropReason::kVlanHopping},
      {"double tag on uplink", kUpRegion, l2Frame(kBroadcast, kRegionServer, {{0x8100, 1}, {0x8100, 20}}),
       DropReason::kVlanHopping},
      {"single tag on access", kAcc0, l2Frame(kBroadcast, kPc, {{0x8100, 10}}), DropReason::kTaggedOnUntaggedPort},
      {"single tag on uplink", kUpRegion, l2Frame(kBroadcast, kRegionServer, {{0x8100, 10}}),
       DropReason::kTaggedOnUntaggedPort},
      {"double tag on trunk", kTrunk, l2Frame(kBroadcast, kPbx, {{0x8100, 20}, {0x8100, 10}}),
       DropReason::kStackedTagsOnTrunk},
      {"untagged on trunk without native", kTrunk, l2Frame(kBroadcast, kPbx), DropReason::kUntaggedOnTrunk},
      {"priority tag on trunk without native", kTrunk, l2Frame(kBroadcast, kPbx, {{0x8100, 0, 3}}),
       DropReason::kUntaggedOnTrunk},
      {"VLAN not carried", kTrunk, l2Frame(kBroadcast, kPbx, {{0x8100, 99}}), DropReason::kVlanNotAllowed},
      {"VLAN of no zone", kTrunk, l2Frame(kBroadcast, kPbx, {{0x8100, 123}}), DropReason::kVlanNotAllowed},
      {"802.1ad single tag on trunk", kTrunk, l2Frame(kBroadcast, kPbx, {{0x88a8, 20}}), DropReason::kVlanNotAllowed},
      {"multicast source", kAcc0, l2Frame(kBroadcast, "01:00:5e:00:00:01"), DropReason::kBadSourceMac},
      {"zero source", kAcc0, l2Frame(kBroadcast, "00:00:00:00:00:00"), DropReason::kBadSourceMac},
      {"runt", kAcc0, Bytes(13, 0x02), DropReason::kTruncated},
      {"tag cut off", kAcc0, Bytes{0, 1, 2, 3, 4, 5, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00}, DropReason::kTruncated},
      {"unknown device (quarantine denies)", kAcc1, l2Frame(kBroadcast, "02:00:00:00:00:99"), DropReason::kQuarantine},
      {"guest device on a port without guest", kAcc0, l2Frame(kBroadcast, kGuestPc), DropReason::kZoneNotOnPort},
      {"mirror port", kMirror, l2Frame(kBroadcast, kRegionServer), DropReason::kMonitorPort},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    uint64_t before = sw_.drops().get(c.expect);
    ForwardResult r = send(c.port, c.frame);
    EXPECT_EQ(dropReasonName(r.drop), dropReasonName(c.expect));
    EXPECT_EQ(sw_.drops().get(c.expect), before + 1);
    EXPECT_TRUE(sink_.frames().empty()) << "a dropped frame went out";
  }
  EXPECT_EQ(sw_.table().size(), 0u) << "nothing dropped was learned";
}

TEST_F(VlanSwitchTest, SnappedFrameIsNotForwarded) {
  Bytes in = l2Frame(kBroadcast, kPc);
  io::Frame f;
  f.bytes = in;
  f.wireLength = static_cast<uint32_t>(in.size() + 100);
  f.port = kAcc0;
  EXPECT_EQ(sw_.process(f).drop, DropReason::kSnapped);
}

// Requirements: R2
TEST_F(VlanSwitchTest, PhoneAndPcOnOnePortAreInTheirOwnZones) {
  ASSERT_TRUE(send(kAcc0, l2Frame(kBroadcast, kPc)).forwarded());
  ASSERT_TRUE(send(kAcc0, l2Frame(kBroadcast, kPhone)).forwarded());
  EXPECT_EQ(sw_.lookup(kRegion, mac(kPc), 1'000'000'000), kAcc0);
  EXPECT_EQ(sw_.lookup(kVoice, mac(kPhone), 1'000'000'000), kAcc0);
  EXPECT_EQ(sw_.lookup(kVoice, mac(kPc), 1'000'000'000), kNoPort);

  // Unicast from the PBX to the phone: only acc0, untagged.
  Bytes toPhone = l2Frame(kPhone, kPbx, {}, 7);
  ForwardResult r = send(kUpVoice, toPhone);
  ASSERT_TRUE(r.forwarded());
  EXPECT_FALSE(r.flooded);
  EXPECT_EQ(out(), (std::map<PortIndex, Bytes>{{kAcc0, toPhone}}));

  // The region server cannot reach the phone by its MAC: in the region zone
  // that MAC is unknown, so the frame floods the region zone only, never the
  // voice uplink.
  r = send(kUpRegion, l2Frame(kPhone, kRegionServer));
  ASSERT_TRUE(r.forwarded());
  EXPECT_TRUE(r.flooded);
  EXPECT_EQ(r.zone, kRegion);
  EXPECT_EQ(egress().count(kUpVoice), 0u);

  // A region broadcast reaches acc0 (a region PC is there) but not acc1.
  r = send(kUpRegion, l2Frame(kBroadcast, kRegionServer));
  EXPECT_EQ(egress(), (std::set<PortIndex>{kAcc0, kTrunk, kTrunkNative}));
}

TEST_F(VlanSwitchTest, UnicastToLearnedPortAndHairpin) {
  ASSERT_TRUE(send(kUpRegion, l2Frame(kBroadcast, kRegionServer)).forwarded());
  ForwardResult r = send(kAcc0, l2Frame(kRegionServer, kPc));
  ASSERT_TRUE(r.forwarded());
  EXPECT_FALSE(r.flooded);
  EXPECT_EQ(egress(), (std::set<PortIndex>{kUpRegion}));
  EXPECT_EQ(send(kUpRegion, l2Frame(kRegionServer, "02:00:00:00:01:01")).drop, DropReason::kHairpin);
}

// A known device's frames take the one-probe refresh (MacTable::refreshIfOn);
// the same MAC from another port must still be a move: counted, and unicast
// to it follows it to the new port at once.
TEST_F(VlanSwitchTest, AMacFromAnotherPortIsAMoveAfterRefreshes) {
  ASSERT_TRUE(send(kUpRegion, l2Frame(kBroadcast, kRegionServer)).forwarded());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send(kAcc0, l2Frame(kRegionServer, kPc)).forwarded());
  EXPECT_EQ(events_.moved, 0);
  ASSERT_TRUE(send(kAcc1, l2Frame(kRegionServer, kPc)).forwarded());
  EXPECT_EQ(events_.moved, 1) << "the PC replugged into acc1";
  ASSERT_TRUE(send(kUpRegion, l2Frame(kPc, kRegionServer)).forwarded());
  EXPECT_EQ(egress(), (std::set<PortIndex>{kAcc1})) << "unicast to the PC goes to its new port";
}

TEST_F(VlanSwitchTest, MacLimitPerAccessPort) {
  decider_.setUnknown(kRegion, true);
  for (int i = 0; i < 3; ++i) {
    std::string m = "02:00:00:00:10:0" + std::to_string(i);
    ASSERT_TRUE(send(kAcc1, l2Frame(kBroadcast, m)).forwarded()) << m;
  }
  EXPECT_EQ(sw_.portCounters(kAcc1).learnedMacs, 3u);
  ForwardResult r = send(kAcc1, l2Frame(kBroadcast, "02:00:00:00:10:09"));
  EXPECT_EQ(r.drop, DropReason::kMacLimit);
  EXPECT_EQ(sw_.drops().get(DropReason::kMacLimit), 1u);
  EXPECT_TRUE(send(kAcc1, l2Frame(kBroadcast, "02:00:00:00:10:01")).forwarded()) << "known MACs keep working";
  // Uplinks and trunks have no limit.
  for (int i = 0; i < 10; ++i)
    EXPECT_TRUE(send(kUpRegion, l2Frame(kBroadcast, "02:00:00:00:20:0" + std::to_string(i))).forwarded());
}

// Issue 14: quarantined MACs are never learned, and the limit used to count
// learned entries, so a random-MAC flood in quarantine never hit it. Every
// source MAC counts now, whatever zone, and the decider is not even asked for
// the MACs past the limit; counted MACs are released when idle or when the
// port goes down.
// Requirements: R6
TEST_F(VlanSwitchTest, MacLimitCountsEveryZoneIncludingQuarantineAndAgesOut) {
  class CountingDecider : public ForwardDecider {
   public:
    ForwardDecision decide(const IngressFrame& in) override {
      ++asked;
      return macs.decide(in);
    }
    bool exemptFromMacLimit(const MacAddress& src, PortIndex) override { return src == mac("02:00:00:00:00:99"); }
    StaticMacDecider macs;
    int asked = 0;
  } decider;
  decider.macs.setUnknown(kQuarantine, false);
  decider.macs.assign(mac(kPc), kRegion);
  decider.macs.assign(mac("02:00:00:00:00:99"), kRegion);
  SwitchConfig c = clinicConfig();
  c.macLimitAgeingNs = 60'000'000'000;
  VlanSwitch sw(c, decider);
  CountingEvents events;
  sw.setEvents(&events);
  io::MemorySink sink;
  for (PortIndex p = 0; p < kPortCount; ++p) sw.attach(p, &sink);
  auto send = [&](const char* src, int64_t nowNs = 1'000'000'000) {
    Bytes b = l2Frame(kBroadcast, src);
    io::Frame f;
    f.bytes = b;
    f.wireLength = static_cast<uint32_t>(b.size());
    f.timestampNs = nowNs;
    f.port = kAcc1;
    return sw.process(f);
  };
  ASSERT_TRUE(send(kPc).forwarded());
  EXPECT_EQ(send("02:00:00:00:10:01").drop, DropReason::kQuarantine);
  EXPECT_EQ(send("02:00:00:00:10:02").drop, DropReason::kQuarantine);
  EXPECT_EQ(sw.portCounters(kAcc1).learnedMacs, 1u) << "quarantined MACs are not learned";
  EXPECT_EQ(sw.portCounters(kAcc1).sourceMacs, 3u) << "... but they count";
  const int askedBefore = decider.asked;
  for (int i = 0; i < 100; ++i) {
    char m[18];
    std::snprintf(m, sizeof m, "06:00:00:00:20:%02x", i);
    EXPECT_EQ(send(m).drop, DropReason::kMacLimit) << m;
  }
  EXPECT_EQ(decider.asked, askedBefore) << "the decider (and the profiler behind it) never saw the flood";
  EXPECT_EQ(sw.drops().get(DropReason::kMacLimit), 100u);
  EXPECT_TRUE(send(kPc).forwarded()) << "a counted device keeps working";
  EXPECT_TRUE(send("02:00:00:00:00:99").forwarded()) << "a device the decider vouches for gets in past the limit";
  EXPECT_EQ(sw.portCounters(kAcc1).sourceMacs, 3u) << "without taking a stranger's place";
  EXPECT_EQ(sw.counters().macLimitExempt, 1u);
  // 61 s later the quarantined MACs have aged out of the count; the PC, refreshed, has not.
  ASSERT_TRUE(send(kPc, 50'000'000'000).forwarded());
  EXPECT_EQ(send("06:00:00:00:30:01", 62'000'000'000).drop, DropReason::kQuarantine);
  EXPECT_EQ(sw.portCounters(kAcc1).sourceMacs, 2u);
  // A port going down releases its count.
  sw.setPortUp(kAcc1, false);
  EXPECT_EQ(sw.portCounters(kAcc1).sourceMacs, 0u);
}

// Requirements: R1
TEST_F(VlanSwitchTest, AdmissionMovesADeviceToItsZoneWithoutReconnecting) {
  const char* laptop = "02:00:00:00:00:50";
  decider_.setUnknown(kQuarantine, true);  // this policy lets quarantine send (e.g. DHCP)
  // Quarantine is carried by no uplink here: nowhere to go, but it is learned.
  EXPECT_EQ(send(kAcc1, l2Frame(kBroadcast, laptop)).drop, DropReason::kNoEgress);
  EXPECT_EQ(sw_.lookup(kQuarantine, mac(laptop), 1'000'000'000), kAcc1);
  decider_.assign(mac(laptop), kRegion);  // classified
  ASSERT_TRUE(send(kAcc1, l2Frame(kBroadcast, laptop)).forwarded());
  EXPECT_EQ(sw_.lookup(kRegion, mac(laptop), 1'000'000'000), kAcc1);
  EXPECT_EQ(sw_.lookup(kQuarantine, mac(laptop), 1'000'000'000), kNoPort) << "old zone's entry is gone at once";
  EXPECT_EQ(sw_.portCounters(kAcc1).learnedMacs, 1u);
}

TEST_F(VlanSwitchTest, AgeingAndPortDown) {
  ASSERT_TRUE(send(kUpRegion, l2Frame(kBroadcast, kRegionServer), 1'000'000'000).forwarded());
  ASSERT_TRUE(send(kAcc0, l2Frame(kBroadcast, kPc), 1'000'000'000).forwarded());
  EXPECT_FALSE(send(kAcc0, l2Frame(kRegionServer, kPc), 2'000'000'000).flooded);
  // 61 s later the server has aged out (the PC's own frame refreshes the PC).
  ForwardResult r = send(kAcc0, l2Frame(kRegionServer, kPc), 62'000'000'000);
  EXPECT_TRUE(r.flooded);
  EXPECT_EQ(sw_.table().size(), 1u) << "swept from the frame path";
  EXPECT_GE(events_.forgotten, 1);

  // Port down: its devices are forgotten, it gets no floods, its frames drop.
  sw_.setPortUp(kAcc0, false);
  EXPECT_EQ(sw_.lookup(kRegion, mac(kPc), 62'000'000'000), kNoPort);
  EXPECT_EQ(send(kAcc0, l2Frame(kBroadcast, kPc), 62'000'000'000).drop, DropReason::kPortDown);
  sw_.setPortUp(kTrunk, false);
  r = send(kUpRegion, l2Frame(kBroadcast, kRegionServer), 62'000'000'000);
  EXPECT_EQ(egress(), (std::set<PortIndex>{kTrunkNative}));
}

// A client sends its first DHCPDISCOVER the moment its link comes up, and the
// kernel can deliver it before the daemon has read the link's news: a frame
// received after the link went down brings the port up; one received before
// (still in the ring when the news was read) stays dropped.
TEST_F(VlanSwitchTest, AFrameReceivedAfterTheLinkWentDownBringsThePortUp) {
  const int64_t downAt = 70'000'000'000;
  sw_.setPortUp(kAcc0, false, downAt);
  EXPECT_EQ(send(kAcc0, l2Frame(kBroadcast, kPc), downAt - 1).drop, DropReason::kPortDown)
      << "received while the link was still up, before it went down";
  EXPECT_EQ(send(kAcc0, l2Frame(kBroadcast, kPc), downAt).drop, DropReason::kPortDown);
  EXPECT_FALSE(sw_.portUp(kAcc0));
  EXPECT_TRUE(send(kAcc0, l2Frame(kBroadcast, kPc), downAt + 1).forwarded()) << "the link carries frames again";
  EXPECT_TRUE(sw_.portUp(kAcc0));
  EXPECT_EQ(sw_.counters().portsUpByTraffic, 1u);
  EXPECT_EQ(sw_.lookup(kRegion, mac(kPc), downAt + 1), kAcc0) << "and learns as after a link-up";
  // A port set down without a time (its socket failed) stays down whatever arrives.
  sw_.setPortUp(kAcc1, false);
  EXPECT_EQ(send(kAcc1, l2Frame(kBroadcast, kPc), downAt + 2).drop, DropReason::kPortDown);
  EXPECT_FALSE(sw_.portUp(kAcc1));
}

// Requirements: R9
TEST_F(VlanSwitchTest, DeciderDenialIsCountedWithItsReason) {
  class DenyArp : public ForwardDecider {
   public:
    ForwardDecision decide(const IngressFrame& in) override {
      if (in.etherType == 0x0806) return {in.portZone, false, DropReason::kArpSpoofing};
      return {in.portZone, true, DropReason::kNone};
    }
  } deny;
  VlanSwitch sw(clinicConfig(), deny);
  io::MemorySink sink;
  sw.attach(kTrunk, &sink);
  Bytes arp = l2Frame(kBroadcast, kRegionServer, {}, 0, 28, 0x0806);
  io::Frame f;
  f.bytes = arp;
  f.wireLength = static_cast<uint32_t>(arp.size());
  f.port = kUpRegion;
  EXPECT_EQ(sw.process(f).drop, DropReason::kArpSpoofing);
  EXPECT_EQ(sw.drops().get(DropReason::kArpSpoofing), 1u);
  EXPECT_TRUE(sink.frames().empty());
}

TEST(VlanSwitchMonitor, MonitorModeCountsButForwards) {
  SwitchConfig c = clinicConfig();
  c.ports[kAcc1].mode = Mode::kMonitor;
  c.ports[kAcc1].maxMacs = 1;
  StaticMacDecider d;
  d.setUnknown(kQuarantine, false);
  d.assign(mac(kPc), kRegion);
  VlanSwitch sw(c, d);
  io::MemorySink sink;
  for (PortIndex p = 0; p < kPortCount; ++p) sw.attach(p, &sink);
  auto send = [&](PortIndex port, const Bytes& b) {
    io::Frame f;
    f.bytes = b;
    f.wireLength = static_cast<uint32_t>(b.size());
    f.port = port;
    return sw.process(f);
  };
  ASSERT_TRUE(send(kAcc1, l2Frame(kBroadcast, kPc)).forwarded());
  // Unknown device: quarantine would drop it; monitor forwards it in the
  // port's default zone and counts the verdict. Second MAC: over the limit.
  ForwardResult r = send(kAcc1, l2Frame(kBroadcast, "02:00:00:00:00:77"));
  EXPECT_EQ(r.wouldDrop, DropReason::kQuarantine);
  EXPECT_EQ(sw.wouldDrops().get(DropReason::kQuarantine), 1u);
  EXPECT_EQ(sw.wouldDrops().get(DropReason::kMacLimit), 1u);
  EXPECT_EQ(sw.drops().get(DropReason::kQuarantine), 0u);
  // Shape rules still hold in monitor mode.
  EXPECT_EQ(send(kAcc1, l2Frame(kBroadcast, kPc, {{0x8100, 1}, {0x8100, 2}})).drop, DropReason::kVlanHopping);
}

// Random frames from every port: whatever goes out is in the frame's zone,
// on a port that carries the zone, with the right tag for that port.
// Requirements: R5
TEST_F(VlanSwitchTest, RandomTrafficNeverLeavesItsZone) {
  std::mt19937 rng(7);
  const SwitchConfig& c = sw_.config();
  const char* macs[] = {kPc, kPhone, kGuestPc, kRegionServer, kPbx, "02:00:00:00:00:0a", kBroadcast, "01:00:5e:00:00:fb"};
  const uint16_t vids[] = {0, 10, 20, 30, 99, 7};
  size_t forwarded = 0;
  for (int i = 0; i < 20000; ++i) {
    PortIndex in = static_cast<PortIndex>(rng() % kPortCount);
    std::vector<Tag> tags;
    int nTags = static_cast<int>(rng() % 8 == 0 ? rng() % 3 : (rng() % 2));
    for (int t = 0; t < nTags; ++t) tags.push_back({0x8100, vids[rng() % 6], static_cast<uint8_t>(rng() % 8)});
    const char* src = macs[rng() % 6];
    Bytes frame = l2Frame(macs[rng() % 8], src, tags, static_cast<uint8_t>(i));
    ForwardResult r = send(in, frame, 1'000'000'000 + i);
    if (!r.forwarded()) {
      EXPECT_TRUE(sink_.frames().empty());
      continue;
    }
    ++forwarded;
    const Bytes payload(frame.end() - 46, frame.end());
    for (const io::StoredFrame& f : sink_.frames()) {
      ASSERT_NE(f.port, in);
      const SwitchPortConfig& p = c.ports[f.port];
      ASSERT_NE(p.role, PortRole::kMonitor);
      ASSERT_TRUE(std::find(p.zones.begin(), p.zones.end(), r.zone) != p.zones.end())
          << "zone " << r.zone << " leaked to " << p.name;
      const bool tagged = p.role == PortRole::kTrunk && r.zone != p.defaultZone;
      ASSERT_EQ(f.bytes.size(), 14u + 46u + (tagged ? 4u : 0u));
      ASSERT_TRUE(std::equal(f.bytes.begin(), f.bytes.begin() + 12, frame.begin()));
      if (tagged) {
        ASSERT_EQ(f.bytes[12], 0x81);
        ASSERT_EQ(f.bytes[13], 0x00);
        ASSERT_EQ(((f.bytes[14] & 0x0f) << 8) | f.bytes[15], c.zoneVlans[r.zone]);
      }
      ASSERT_EQ(Bytes(f.bytes.end() - 46, f.bytes.end()), payload);
    }
  }
  EXPECT_GT(forwarded, 1000u);
}

TEST(DropReasons, NamesAreUniqueSnakeCase) {
  std::set<std::string_view> names;
  for (const DropReasonInfo& info : allDropReasons()) {
    EXPECT_EQ(dropReasonName(info.reason), info.name);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    for (char ch : info.name) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << info.name;
    EXPECT_FALSE(info.description.empty());
  }
  EXPECT_EQ(names.size(), kDropReasonCount - 1);
  EXPECT_EQ(dropReasonName(DropReason::kVlanHopping), "vlan_hopping");
}

// Requirements: R4
TEST(SwitchConfig, FromPolicyAndValidation) {
  tables::CompiledPolicy policy;
  policy.zones.push_back({"quarantine", 99, "", true, false, {}, {}});
  policy.zones.push_back({"region", 10, "", false, false, {}, {}});
  tables::Port access;
  access.interface = "eth1";
  access.role = PortRole::kAccess;
  access.zones = {0, 1};
  access.defaultZone = 0;
  tables::Port up;
  up.interface = "eth0";
  up.role = PortRole::kUplink;
  up.zones = {1};
  policy.ports = {access, up};
  SwitchConfig c = switchConfigFromPolicy(policy, {.maxMacsPerAccessPort = 4});
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].maxMacs, 4);
  EXPECT_EQ(c.ports[1].defaultZone, 1) << "an uplink's one zone is its zone";
  auto valid = validate(c);
  EXPECT_TRUE(valid.ok()) << valid.error().message;

  // The error names the port in its message and by its index (the position
  // in policy.ports), so a caller can point at the policy's port entry.
  auto problem = [](const SwitchConfig& config) {
    auto result = validate(config);
    return result.ok() ? dataplane::Error{"(valid)", -2} : result.error();
  };
  SwitchConfig bad = c;
  bad.ports[1].zones = {0, 1};
  EXPECT_NE(problem(bad).message.find("port eth0: an uplink carries exactly one zone"), std::string::npos)
      << problem(bad).message;
  EXPECT_EQ(problem(bad).index, 1);
  bad = c;
  bad.ports[0].zones = {0, 5};
  EXPECT_NE(problem(bad).message.find("port eth1: zone id 5 does not exist"), std::string::npos) << problem(bad).message;
  EXPECT_EQ(problem(bad).index, 0);
  bad = c;
  bad.ports[0].role = PortRole::kTrunk;
  bad.ports[0].defaultZone = kNoZone;
  bad.zoneVlans[0] = 10;
  EXPECT_NE(problem(bad).message.find("two zones share VLAN 10"), std::string::npos) << problem(bad).message;
  bad = c;
  bad.zonePriorities = {tables::ZonePriority{}};
  EXPECT_EQ(problem(bad).index, -1) << "not about one port: " << problem(bad).message;
}

}  // namespace
}  // namespace portvakt::forward
