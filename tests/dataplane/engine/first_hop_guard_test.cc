// RA guard, DHCPv6 guard and ND inspection under a flood (issue 13): after
// the first frame of an attack has raised its alert, every further frame from
// the same MAC within the hold time is dropped without a heap allocation (the
// alert is held before its text is built), and the next alert comes once the
// hold time has passed; the ARP gateway check, which predates them, holds its
// alert the same way. The decider is driven directly, as the switch does.
#include <gtest/gtest.h>

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
  std::vector<Attack> out;
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
  out.push_back({"first fragment hiding its ICMPv6 header",
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
    if (e.event != "device_new" && e.event != "device_unknown" && e.event != "randomized_mac") out.push_back(e.event);
  }
  return out;
}

// Requirements: R6a
TEST(FirstHopGuard, AFloodAllocatesNothingAfterItsFirstAlert) {
  for (const Attack& attack : attacks()) {
    SCOPED_TRACE(attack.name);
    PolicyDecider decider(guardPolicy());
    io::Frame frame;
    frame.bytes = attack.frame.data;
    frame.wireLength = static_cast<uint32_t>(attack.frame.data.size());
    forward::IngressFrame in;
    in.frame = &frame;
    in.port = 0;
    in.role = tables::PortRole::kAccess;
    in.portZone = 1;
    in.src = *tables::MacAddress::parse(kAttacker);
    in.dst = *tables::MacAddress::parse(attack.reason == forward::DropReason::kArpSpoofing ? "ff:ff:ff:ff:ff:ff" : "33:33:00:00:00:01");
    in.etherType = attack.reason == forward::DropReason::kArpSpoofing ? packet::kEtherTypeArp : packet::kEtherTypeIpv6;
    in.nowNs = 1'700'000'000'000'000'000;

    forward::ForwardDecision d = decider.decide(in);
    EXPECT_FALSE(d.allow);
    EXPECT_EQ(d.reason, attack.reason);
    EXPECT_EQ(guardEvents(decider), std::vector<std::string>{attack.event});

    constexpr int kFlood = 10'000;  // 10 s at 1 kHz: all within the hold time
    const uint64_t before = allocationCount();
    for (int i = 0; i < kFlood - 1; ++i) {
      in.nowNs += 1'000'000;
      d = decider.decide(in);
      if (d.reason != attack.reason) break;
    }
    const uint64_t allocations = allocationCount() - before;
    EXPECT_EQ(d.reason, attack.reason);
    EXPECT_EQ(allocations, 0u) << "heap allocations during a flood of " << kFlood - 1 << " frames";
    EXPECT_TRUE(guardEvents(decider).empty());
    EXPECT_EQ(decider.counters().eventsSuppressed, static_cast<uint64_t>(kFlood - 1));

    in.nowNs += kEventHoldNs;
    (void)decider.decide(in);
    EXPECT_EQ(guardEvents(decider), std::vector<std::string>{attack.event}) << "a new alert after the hold time";
  }
}

}  // namespace
}  // namespace portvakt::engine
