// The PolicyDecider's contract with the rest of the daemon, beyond the frame
// checks (first_hop_guard_test.cc) and the pipeline scenarios
// (tests/control/pipeline): its event queue is bounded and counts what it
// could not keep, oldest first; a policy swap re-places the devices it knows
// without waiting for their next frame; a requested explanation names the
// steps and the zone of exactly the next decision.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/engine/policy_decider.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::engine {
namespace {

using namespace packet::testing;

constexpr std::string_view kLaptop = "a4:83:e7:00:00:01";
constexpr int64_t kStart = 1'700'000'000'000'000'000;

// office (0) and quarantine (1); one wall jack whose unknown devices land in quarantine.
tables::CompiledPolicyPtr jackPolicy(bool pinLaptop) {
  auto p = std::make_shared<tables::CompiledPolicy>();
  p->name = "decider";
  tables::Zone office;
  office.name = "office";
  office.vlan = 10;
  tables::Zone quarantine;
  quarantine.name = "quarantine";
  quarantine.vlan = 999;
  quarantine.quarantine = true;
  p->zones = {office, quarantine};
  tables::Port jack;
  jack.interface = "lan1";
  jack.zones = {0, 1};
  jack.defaultZone = 1;
  p->ports = {jack};
  if (pinLaptop) p->pins.push_back({*tables::MacAddress::parse(kLaptop), "", 0, "the clinic's laptop"});
  p->seal();
  return p;
}

// An ARP request from the laptop on the jack; `bytes` must outlive the frame.
forward::IngressFrame arpFromLaptop(io::Frame& frame, const Writer& bytes, int64_t nowNs) {
  frame.bytes = bytes.data;
  frame.wireLength = static_cast<uint32_t>(bytes.data.size());
  forward::IngressFrame in;
  in.frame = &frame;
  in.port = 0;
  in.role = tables::PortRole::kAccess;
  in.portZone = 1;
  in.src = *tables::MacAddress::parse(kLaptop);
  in.dst = *tables::MacAddress::parse("ff:ff:ff:ff:ff:ff");
  in.etherType = packet::kEtherTypeArp;
  in.nowNs = nowNs;
  return in;
}

Writer arpRequest() {
  Writer arp;
  arp.u16(1).u16(0x0800).u8(6).u8(4).u16(1).mac(kLaptop).ip4("10.0.0.23").mac("00:00:00:00:00:00").ip4("10.0.0.1");
  return ethernet("ff:ff:ff:ff:ff:ff", kLaptop, packet::kEtherTypeArp, arp);
}

TEST(PolicyDecider, TheEventQueueIsBoundedCountsWhatItDropsAndIsOldestFirst) {
  PolicyDecider decider(jackPolicy(false));
  EngineEvent e;
  EXPECT_FALSE(decider.popEvent(e)) << "a new decider has nothing to say";
  for (size_t i = 0; i < kMaxQueuedEvents + 5; ++i) {
    decider.report(
        {tables::EventType::kLinkDown, tables::MacAddress{}, 0, static_cast<int64_t>(i), "event " + std::to_string(i)});
  }
  EXPECT_EQ(decider.counters().eventsDropped, 5u) << "the events past the bound are counted, never silent";
  size_t popped = 0;
  std::string first, last;
  while (decider.popEvent(e)) {
    if (popped == 0) first = e.detail;
    last = e.detail;
    ++popped;
  }
  EXPECT_EQ(popped, kMaxQueuedEvents);
  EXPECT_EQ(first, "event 0");
  EXPECT_EQ(last, "event " + std::to_string(kMaxQueuedEvents - 1)) << "the newest are the ones dropped";
  // Room again once drained.
  decider.report({tables::EventType::kLinkUp, tables::MacAddress{}, 0, 0, ""});
  EXPECT_TRUE(decider.popEvent(e));
  EXPECT_EQ(e.event, tables::EventType::kLinkUp);
}

TEST(PolicyDecider, APolicySwapReplacesKnownDevicesBeforeTheirNextFrame) {
  PolicyDecider decider(jackPolicy(false));
  const Writer bytes = arpRequest();
  io::Frame frame;
  forward::IngressFrame in = arpFromLaptop(frame, bytes, kStart);
  const forward::ForwardDecision first = decider.decide(in);
  EXPECT_EQ(first.zone, 1u) << "an unknown laptop lands in the jack's default zone, quarantine";
  const tables::MacAddress laptop = *tables::MacAddress::parse(kLaptop);
  ASSERT_NE(decider.profiler().find(laptop), nullptr);

  decider.setPolicy(jackPolicy(true), kStart + 1'000'000);
  EXPECT_EQ(decider.policy().pins.size(), 1u);
  const fingerprint::DeviceRecord* placed = decider.profiler().find(laptop);
  ASSERT_NE(placed, nullptr) << "the swap keeps what the profiler knew";
  EXPECT_EQ(placed->zone, 0u) << "the new pin places the laptop in office at the swap, not at its next frame";

  in.nowNs = kStart + 2'000'000;
  EXPECT_EQ(decider.decide(in).zone, 0u);
}

TEST(PolicyDecider, AnExplanationCoversExactlyTheNextDecision) {
  PolicyDecider decider(jackPolicy(true));
  const Writer bytes = arpRequest();
  io::Frame frame;
  forward::IngressFrame in = arpFromLaptop(frame, bytes, kStart);
  EXPECT_EQ(decider.lastZone(), tables::kNoZone);

  Explanation why;
  decider.explainNext(&why);
  EXPECT_EQ(decider.lastZone(), tables::kNoZone) << "nothing decided since explainNext";
  const forward::ForwardDecision d = static_cast<forward::ForwardDecider&>(decider).decide(in);
  EXPECT_EQ(decider.lastZone(), d.zone);
  EXPECT_EQ(d.zone, 0u);
  ASSERT_FALSE(why.steps.empty());
  std::string steps;
  for (const std::string& s : why.steps) steps += s + "\n";
  EXPECT_NE(steps.find("pin"), std::string::npos) << "the pin that placed the device is named:\n" << steps;

  // The switch's next call is not explained any more.
  const size_t stepsBefore = why.steps.size();
  in.nowNs += 1'000'000;
  (void)static_cast<forward::ForwardDecider&>(decider).decide(in);
  EXPECT_EQ(why.steps.size(), stepsBefore);
}

}  // namespace
}  // namespace portvakt::engine
