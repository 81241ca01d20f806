// RA guard, DHCP(v6) guard and ND inspection under a flood (issue 13): after
// the first frame of an attack has raised its alert, every further frame from
// the same MAC within the hold time is dropped without a heap allocation (the
// alert is held before its text is built), and the next alert comes once the
// hold time has passed; the ARP gateway check, which predates them, holds its
// alert the same way. So do the flow rules' alerts (a device hammering the
// region's addresses, monitor mode's would-be drops; issue 17), and frames
// from the uplink, which are judged by their headers and never alerted. The
// decider is driven directly, as the switch does.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/engine/policy_decider.h"
#include "tests/dataplane/fingerprint/allocation_counter.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::engine {
namespace {

using namespace packet::testing;
using fingerprint::testing::allocationCount;

constexpr std::string_view kAttacker = "02:00:00:00:00:66";

tables::CompiledPolicyPtr guardPolicy() {
  auto p = std::make_shared<tables::CompiledPolicy>();
  p->name = "first-hop-guard";
  tables::Zone office;
  office.name = "office";
  office.vlan = 10;
  office.gateways.push_back(*tables::Prefix::parse("fe80::1"));
  office.gateways.push_back(*tables::Prefix::parse("10.0.0.1"));
  tables::Zone quarantine;
  quarantine.name = "quarantine";
  quarantine.vlan = 999;
  quarantine.quarantine = true;
  quarantine.linkLocal = 0;
  p->zones = {office, quarantine};
  tables::Port jack;
  jack.interface = "lan1";
  jack.role = tables::PortRole::kAccess;
  jack.zones = {0, 1};
  jack.defaultZone = 1;
  tables::Port uplink;
  uplink.interface = "up0";
  uplink.role = tables::PortRole::kUplink;
  uplink.zones = {0};
  uplink.defaultZone = 0;
  p->ports = {jack, uplink};
  p->seal();
  return p;
}

Writer icmpv6(uint8_t type, const Writer& body) {
  Writer w;
  w.u8(type).u8(0).u16(0).append(body);
  return w;
}

struct Attack {
  const char* name;
  Writer frame;
  forward::DropReason reason;
  const char* event;
};

std::vector<Attack> attacks() {
  Writer ra;
  ra.u8(64).u8(0xc0).u16(1800).u32(0).u32(0);
  Writer na;
  na.u32(0x20000000).ip6("fe80::1");
  Writer reply;
  reply.u8(7).u24(0x1234).u16(1).u16(4).u32(0x00030001);
  Writer hidden;  // fragment header, then destination options filling the fragment
  hidden.u8(60).u8(0).u16(1).u32(9).u8(packet::kIpProtoIcmpv6).u8(1).u8(1).u8(12).u32(0).u32(0).u32(0);
  Writer arp;  // a gratuitous ARP for the IPv4 gateway (the check that predates these)
  arp.u16(1).u16(0x0800).u8(6).u8(4).u16(2).mac(kAttacker).ip4("10.0.0.1").mac("ff:ff:ff:ff:ff:ff").ip4("10.0.0.1");
  Writer offer = dhcp(2, 0x1234, "02:00:00:00:00:01", {dhcpOption(53, Bytes{2})}, "10.0.0.50");
  std::vector<Attack> out;
  out.push_back({"DHCP offer",
                 ethernet("ff:ff:ff:ff:ff:ff", kAttacker, packet::kEtherTypeIpv4,
                          ipv4("10.0.0.66", "255.255.255.255", packet::kIpProtoUdp, udp(67, 68, offer))),
                 forward::DropReason::kRogueDhcp, "rogue_dhcp"});
  out.push_back({"router advertisement",
                 ethernet("33:33:00:00:00:01", kAttacker, packet::kEtherTypeIpv6,
                          ipv6("fe80::66", "ff02::1", packet::kIpProtoIcmpv6, icmpv6(134, ra))),
                 forward::DropReason::kRaGuard, "rogue_ra"});
  out.push_back({"DHCPv6 reply",
                 ethernet("33:33:00:00:00:01", kAttacker, packet::kEtherTypeIpv6,
                          ipv6("fe80::66", "ff02::1", packet::kIpProtoUdp, udp(547, 546, reply))),
                 forward::DropReason::kRogueDhcp, "rogue_dhcp"});
  out.push_back({"neighbour advertisement for the gateway",
                 ethernet("33:33:00:00:00:01", kAttacker, packet::kEtherTypeIpv6,
                          ipv6("fe80::66", "ff02::1", packet::kIpProtoIcmpv6, icmpv6(136, na))),
                 forward::DropReason::kNdSpoofing, "nd_spoof"});
  out.push_back(
      {"first fragment hiding its ICMPv6 header",
       ethernet("33:33:00:00:00:01", kAttacker, packet::kEtherTypeIpv6, ipv6("fe80::66", "ff02::1", 44, hidden)),
       forward::DropReason::kRaGuard, "rogue_ra"});
  out.push_back({"ARP claiming the IPv4 gateway", ethernet("ff:ff:ff:ff:ff:ff", kAttacker, packet::kEtherTypeArp, arp),
                 forward::DropReason::kArpSpoofing, "arp_spoof"});
  return out;
}

// The decider's events without the profiler's own for a MAC's first frame.
std::vector<std::string> guardEvents(PolicyDecider& decider) {
  std::vector<std::string> out;
  EngineEvent e;
  while (decider.popEvent(e)) {
    if (e.event != tables::EventType::kDeviceNew && e.event != tables::EventType::kDeviceUnknown &&
        e.event != tables::EventType::kRandomizedMac)
      out.emplace_back(tables::toString(e.event));
  }
  return out;
}

// `bytes` must outlive the frame (io::Frame views them).
forward::IngressFrame ingress(io::Frame& frame, const Writer& bytes) {
  frame.bytes = bytes.data;
  frame.wireLength = static_cast<uint32_t>(bytes.data.size());
  forward::IngressFrame in;
  in.frame = &frame;
  in.port = 0;
  in.role = tables::PortRole::kAccess;
  in.portZone = 1;
  in.src = *tables::MacAddress::parse(kAttacker);
  std::copy(bytes.data.begin(), bytes.data.begin() + 6, in.dst.bytes.begin());
  in.etherType = static_cast<uint16_t>(bytes.data[12] << 8 | bytes.data[13]);
  in.nowNs = 1'700'000'000'000'000'000;
  return in;
}

// The first frame raises `event` and is dropped for `reason` (kNone: passed);
// the next 9 999 within the hold time allocate nothing and raise nothing;
// the one after the hold raises `event` again.
void expectQuietFlood(PolicyDecider& decider, forward::IngressFrame& in, forward::DropReason reason, const char* event) {
  Explanation why;
  forward::ForwardDecision d = decider.decide(in, &why);
  std::string steps;
  for (const std::string& step : why.steps) steps += "\n  " + step;
  EXPECT_EQ(d.allow, reason == forward::DropReason::kNone) << steps;
  EXPECT_EQ(d.reason, reason) << forward::dropReasonName(d.reason) << steps;
  EXPECT_EQ(guardEvents(decider), std::vector<std::string>{event});

  constexpr int kFlood = 10'000;  // 10 s at 1 kHz: all within the hold time
  const uint64_t suppressedBefore = decider.counters().eventsSuppressed;
  const uint64_t before = allocationCount();
  for (int i = 0; i < kFlood - 1; ++i) {
    in.nowNs += 1'000'000;
    d = decider.decide(in);
    if (d.reason != reason) break;
  }
  const uint64_t allocations = allocationCount() - before;
  EXPECT_EQ(d.reason, reason);
  EXPECT_EQ(allocations, 0u) << "heap allocations during a flood of " << kFlood - 1 << " frames";
  EXPECT_TRUE(guardEvents(decider).empty());
  EXPECT_EQ(decider.counters().eventsSuppressed - suppressedBefore, static_cast<uint64_t>(kFlood - 1));

  in.nowNs += kEventHoldNs;
  (void)decider.decide(in);
  EXPECT_EQ(guardEvents(decider), std::vector<std::string>{event}) << "a new alert after the hold time";
}

// Requirements: R6a
TEST(FirstHopGuard, AFloodAllocatesNothingAfterItsFirstAlert) {
  for (const Attack& attack : attacks()) {
    SCOPED_TRACE(attack.name);
    PolicyDecider decider(guardPolicy());
    io::Frame frame;
    forward::IngressFrame in = ingress(frame, attack.frame);
    expectQuietFlood(decider, in, attack.reason, attack.event);
  }
}

// The attacker pinned into `office`, which an invariant keeps from the
// region's 10.9.0.0/16; `mode` is the policy's (monitor: the default deny
// passes and is logged as flow_denied).
tables::CompiledPolicyPtr flowPolicy(tables::Mode mode) {
  auto q = std::make_shared<tables::CompiledPolicy>(*guardPolicy());
  q->mode = mode;
  q->pins.push_back({*tables::MacAddress::parse(kAttacker), "", 0, "the test's device"});
  tables::FlowRule never;
  never.name = "invariant:office-never-region";
  never.from = 0;
  never.toPrefixes.push_back(*tables::Prefix::parse("10.9.0.0/16"));
  never.action = tables::Action::kDeny;
  never.invariant = true;
  q->flows.push_back(never);
  q->seal();
  return q;
}

TEST(FlowAlerts, AFloodTowardTheRegionAllocatesNothingAfterItsFirstAlert) {
  PolicyDecider decider(flowPolicy(tables::Mode::kEnforce));
  const Writer bytes = ethernet("02:00:00:00:00:01", kAttacker, packet::kEtherTypeIpv4,
                                ipv4("10.0.0.66", "10.9.0.5", packet::kIpProtoUdp, udp(4000, 445, Writer{})));
  io::Frame frame;
  forward::IngressFrame in = ingress(frame, bytes);
  expectQuietFlood(decider, in, forward::DropReason::kPolicyDenied, "region_access_attempt");
}

TEST(FlowAlerts, AMonitorModeFloodAllocatesNothingAfterItsFirstAlert) {
  PolicyDecider decider(flowPolicy(tables::Mode::kMonitor));
  const Writer bytes = ethernet("02:00:00:00:00:01", kAttacker, packet::kEtherTypeIpv4,
                                ipv4("10.0.0.66", "192.0.2.7", packet::kIpProtoTcp, tcp(4000, 22, 0x02, Writer{})));
  io::Frame frame;
  forward::IngressFrame in = ingress(frame, bytes);
  expectQuietFlood(decider, in, forward::DropReason::kNone, "flow_denied");
}

// What makes a deny an invariant's is the rule's flag, set by the compiler,
// not its name: from the zone an `only` invariant protects (the region), an
// invariant deny is invariant_blocked; a rule that is merely named like one
// denies silently, as every enforce-mode deny does.
TEST(FlowAlerts, AnInvariantDenyIsTheRuleFlagNotItsName) {
  auto flagged = std::make_shared<tables::CompiledPolicy>(*flowPolicy(tables::Mode::kEnforce));
  tables::Invariant only;
  only.name = "only-eklient-in-office";
  only.kind = tables::Invariant::Kind::kOnlyClasses;
  only.zone = 0;  // office: the attacker's zone is the protected one
  flagged->invariants.push_back(only);
  flagged->seal();
  const Writer bytes = ethernet("02:00:00:00:00:01", kAttacker, packet::kEtherTypeIpv4,
                                ipv4("10.0.0.66", "10.9.0.5", packet::kIpProtoUdp, udp(4000, 445, Writer{})));
  {
    PolicyDecider decider(flagged);
    io::Frame frame;
    forward::IngressFrame in = ingress(frame, bytes);
    const forward::ForwardDecision d = decider.decide(in);
    EXPECT_FALSE(d.allow);
    EXPECT_TRUE(d.enforceAlways) << "an invariant holds in monitor mode too";
    EXPECT_EQ(guardEvents(decider), std::vector<std::string>{"invariant_blocked"});
  }
  auto named = std::make_shared<tables::CompiledPolicy>(*flagged);
  named->flows.back().invariant = false;  // still named "invariant:office-never-region"
  named->seal();
  PolicyDecider decider(named);
  io::Frame frame;
  forward::IngressFrame in = ingress(frame, bytes);
  const forward::ForwardDecision d = decider.decide(in);
  EXPECT_FALSE(d.allow);
  EXPECT_FALSE(d.enforceAlways);
  EXPECT_EQ(guardEvents(decider), std::vector<std::string>{}) << "a name is no invariant";
}

// From the uplink, where the routers and DHCP servers are, the same frames
// pass, raise nothing and allocate nothing; only their headers are decoded
// (a trace still decodes all of it).
TEST(FirstHopGuard, TheUplinksFramesAreJudgedByTheirHeadersAlone) {
  for (const Attack& attack : attacks()) {
    SCOPED_TRACE(attack.name);
    PolicyDecider decider(guardPolicy());
    io::Frame frame;
    forward::IngressFrame in = ingress(frame, attack.frame);
    in.port = 1;
    in.role = tables::PortRole::kUplink;
    in.portZone = 0;
    const uint64_t before = allocationCount();
    for (int i = 0; i < 1000; ++i) {
      in.nowNs += 1'000'000;
      const forward::ForwardDecision d = decider.decide(in);
      ASSERT_TRUE(d.allow) << forward::dropReasonName(d.reason);
    }
    EXPECT_EQ(allocationCount() - before, 0u);
    EXPECT_TRUE(guardEvents(decider).empty());
    const packet::ParsedFrame& f = decider.lastFrame();
    EXPECT_FALSE(f.has(packet::Layer::kUdp) || f.has(packet::Layer::kIcmpv6) || f.has(packet::Layer::kArp))
        << "transport and application layers of an uplink frame are not decoded";
    auto whole = std::make_unique<packet::ParsedFrame>();
    packet::parseFrame(frame.bytes, *whole, frame.wireLength);
    Explanation why;
    (void)decider.decide(in, &why);
    EXPECT_EQ(decider.lastFrame().layers, whole->layers) << "a trace decodes the whole frame";
  }
}

}  // namespace
}  // namespace portvakt::engine
