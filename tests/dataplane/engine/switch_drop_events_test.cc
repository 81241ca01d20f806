// SwitchDropEvents turns the switch's own R6 drops into events on the
// decider's queue: VLAN hopping and the MAC limit, one event per (port,
// reason) per hold whatever the source MAC (a flood comes with random MACs),
// the next event saying how many drops the hold stood for; mac_limit names the
// port and no device; monitor mode says the frame was forwarded. Other drop
// reasons, and ports the switch does not have, raise nothing.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/engine/policy_decider.h"
#include "dataplane/engine/switch_drop_events.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::engine {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

tables::MacAddress mac(uint8_t last) { return tables::MacAddress{{0x02, 0, 0, 0, 0, last}}; }

tables::CompiledPolicyPtr twoJacks() {
  auto p = std::make_shared<tables::CompiledPolicy>();
  p->name = "drops";
  tables::Zone office;
  office.name = "office";
  office.vlan = 10;
  p->zones = {office};
  for (const char* name : {"eth1", "eth2"}) {
    tables::Port jack;
    jack.interface = name;
    jack.zones = {0};
    jack.defaultZone = 0;
    p->ports.push_back(jack);
  }
  p->seal();
  return p;
}

forward::SwitchConfig switchConfig(tables::Mode eth2Mode = tables::Mode::kEnforce) {
  forward::SwitchConfig c;
  c.zoneVlans = {10};
  c.ports = {{"eth1", tables::PortRole::kAccess, {0}, 0, 8, tables::Mode::kEnforce},
             {"eth2", tables::PortRole::kAccess, {0}, 0, 8, eth2Mode}};
  return c;
}

class SwitchDropEventsTest : public ::testing::Test {
 protected:
  std::vector<EngineEvent> drain() {
    std::vector<EngineEvent> out;
    EngineEvent e;
    while (decider_.popEvent(e)) out.push_back(e);
    return out;
  }
  void drop(forward::DropReason reason, forward::PortIndex port, uint8_t source, int64_t nowNs, bool enforced = true) {
    events_.setNow(nowNs);
    events_.onDrop(reason, port, mac(source), enforced);
  }

  PolicyDecider decider_{twoJacks()};
  forward::SwitchConfig config_ = switchConfig();
  SwitchDropEvents events_{decider_, config_, /*liveClock=*/false};
};

TEST_F(SwitchDropEventsTest, OneEventPerPortAndReasonPerHoldWhateverTheSourceMac) {
  for (uint8_t i = 0; i < 50; ++i) drop(forward::DropReason::kVlanHopping, 0, i, 100 * kSecond + i);
  drop(forward::DropReason::kVlanHopping, 1, 99, 100 * kSecond);  // the other port: its own event
  drop(forward::DropReason::kMacLimit, 0, 98, 100 * kSecond);     // the other reason: its own event
  std::vector<EngineEvent> events = drain();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, tables::EventType::kVlanHopping);
  EXPECT_EQ(events[0].port, 0u);
  EXPECT_EQ(events[0].mac, mac(0)) << "vlan_hopping names the frame's source";
  EXPECT_EQ(events[0].timeNs, 100 * kSecond);
  EXPECT_EQ(events[0].detail, "double-tagged frame on port eth1");
  EXPECT_EQ(events[1].port, 1u);
  EXPECT_EQ(events[2].event, tables::EventType::kMacLimit);
  EXPECT_EQ(events[2].mac, tables::MacAddress{}) << "mac_limit concerns the port: no device, so the feed folds a flood";
  EXPECT_NE(events[2].detail.find("a new MAC (02:00:00:00:00:62) on access port eth1"), std::string::npos)
      << events[2].detail;
  EXPECT_EQ(events_.suppressed(), 49u);

  // After the hold the next event counts the drops it held.
  drop(forward::DropReason::kVlanHopping, 0, 7, 100 * kSecond + kEventHoldNs);
  events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail, "double-tagged frame on port eth1 (49 more such drops on this port since the last event)");
}

TEST_F(SwitchDropEventsTest, MonitorModeSaysTheFrameWasForwarded) {
  drop(forward::DropReason::kVlanHopping, 1, 1, kSecond, /*enforced=*/false);
  const std::vector<EngineEvent> events = drain();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail, "double-tagged frame on port eth2 (monitor mode: forwarded)");
}

TEST_F(SwitchDropEventsTest, OtherReasonsAndUnknownPortsRaiseNothing) {
  drop(forward::DropReason::kTruncated, 0, 1, kSecond);
  drop(forward::DropReason::kPolicyDenied, 0, 1, kSecond);  // the decider raises its own
  drop(forward::DropReason::kVlanHopping, 2, 1, kSecond);   // the switch has ports 0 and 1
  EXPECT_TRUE(drain().empty());
  EXPECT_EQ(events_.suppressed(), 0u);
}

TEST(SwitchDropEventsLive, TheLiveClockStampsEvents) {
  PolicyDecider decider(twoJacks());
  const forward::SwitchConfig config = switchConfig();
  SwitchDropEvents events(decider, config, /*liveClock=*/true);
  events.setNow(1);  // ignored: the wall clock is read at the drop
  const int64_t before = wallClockNs();
  events.onDrop(forward::DropReason::kVlanHopping, 0, mac(1), true);
  EngineEvent e;
  ASSERT_TRUE(decider.popEvent(e));
  EXPECT_GE(e.timeNs, before);
  EXPECT_LE(e.timeNs, wallClockNs());
}

}  // namespace
}  // namespace portvakt::engine
