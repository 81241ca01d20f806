// DestinationZones, the decider's table of the zones' prefixes: the same
// answer as the policy's own scan (CompiledPolicy::zoneContaining) for every
// address, overlaps and odd prefix lengths included; and the decider's table
// follows a policy swap (a reload that moves a zone's prefixes takes effect
// with the swap, not never). And the path of a known device's data frames
// through the switch and the decider (the one-probe learning and MAC-limit
// steps, no evidence update, the destination zone from this table) makes no
// heap allocation.
#include "dataplane/engine/destination_zones.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "dataplane/engine/policy_decider.h"
#include "dataplane/forward/vlan_switch.h"
#include "tests/dataplane/fingerprint/allocation_counter.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::engine {
namespace {

using namespace packet::testing;

tables::Prefix prefix(const char* text) {
  auto p = tables::Prefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(tables::Prefix{});
}

tables::Zone zoneWith(const char* name, uint16_t vlan, std::vector<const char*> prefixes) {
  tables::Zone z;
  z.name = name;
  z.vlan = vlan;
  for (const char* p : prefixes) z.prefixes.push_back(prefix(p));
  return z;
}

TEST(DestinationZones, AnswersAsTheZonePrefixScanDoes) {
  tables::CompiledPolicy policy;
  // Overlaps on purpose: the first zone in policy order wins, as in the scan,
  // whatever the prefix lengths (zone 1's /8 comes before zone 2's /16).
  policy.zones = {
      zoneWith("none", 10, {}),
      zoneWith("wide", 11, {"10.0.0.0/8", "2001:db8::/32", "192.168.1.128/25"}),
      zoneWith("narrow", 12, {"10.1.0.0/16", "192.168.1.200", "2001:db8:0:1::/64", "fe80::/10"}),
      zoneWith("odd", 13, {"172.16.0.0/12", "6.0.0.0/7", "2001:db8:8000::/33", "2001:db9::8000:0:0:0/65", "fd00::1"}),
      zoneWith("rest", 14, {"0.0.0.0/0"}),
  };
  const DestinationZones table(policy);
  std::mt19937_64 rng(18);
  auto check = [&](bool v6, std::array<uint8_t, 16> a) {
    SCOPED_TRACE(testing::Message() << (v6 ? "v6 " : "v4 ") << static_cast<int>(a[0]) << "." << static_cast<int>(a[1])
                                    << "." << static_cast<int>(a[2]) << "." << static_cast<int>(a[3]));
    EXPECT_EQ(table.zoneOf(v6, a.data()), policy.zoneContaining(v6, a.data()));
  };
  size_t checked = 0;
  for (const tables::Zone& z : policy.zones) {
    for (const tables::Prefix& p : z.prefixes) {
      const int bits = p.maxLength();
      // The prefix's own address, and that address with each single bit
      // flipped: inside for bits past the length, outside for bits within.
      check(p.v6, p.addr);
      for (int bit = 0; bit < bits; ++bit) {
        std::array<uint8_t, 16> a = p.addr;
        a[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(0x80 >> (bit % 8));
        check(p.v6, a);
        ++checked;
      }
      // Random addresses sharing the first k bits, for every k.
      for (int k = 0; k <= bits; ++k) {
        std::array<uint8_t, 16> a{};
        for (uint8_t& b : a) b = static_cast<uint8_t>(rng());
        for (int bit = 0; bit < k; ++bit) {
          const auto byte = static_cast<size_t>(bit / 8);
          const auto m = static_cast<uint8_t>(0x80 >> (bit % 8));
          a[byte] = static_cast<uint8_t>((a[byte] & ~m) | (p.addr[byte] & m));
        }
        if (!p.v6) std::fill(a.begin() + 4, a.end(), 0);
        check(p.v6, a);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000u);
  // A policy without prefixes knows no destination zone.
  tables::CompiledPolicy empty;
  empty.zones = {zoneWith("none", 10, {})};
  const std::array<uint8_t, 16> any{10, 1, 2, 3};
  EXPECT_EQ(DestinationZones(empty).zoneOf(false, any.data()), tables::kNoZone);
  EXPECT_EQ(DestinationZones().zoneOf(true, any.data()), tables::kNoZone);
}

constexpr std::string_view kLaptop = "a4:83:e7:00:00:01";
constexpr int64_t kStart = 1'700'000'000'000'000'000;

// office (0), servers (1) at `serverPrefix`, quarantine (2); a wall jack with
// the laptop pinned to office, which may reach servers on UDP 53.
tables::CompiledPolicyPtr serversAt(const char* serverPrefix) {
  auto p = std::make_shared<tables::CompiledPolicy>();
  p->name = "servers";
  tables::Zone quarantine = zoneWith("quarantine", 999, {});
  quarantine.quarantine = true;
  p->zones = {zoneWith("office", 10, {}), zoneWith("servers", 20, {serverPrefix}), quarantine};
  tables::Port jack;
  jack.interface = "lan1";
  jack.zones = {0, 2};
  jack.defaultZone = 2;
  p->ports = {jack};
  p->pins.push_back({*tables::MacAddress::parse(kLaptop), "", 0, "the clinic's laptop"});
  tables::FlowRule dns;
  dns.name = "office-dns";
  dns.from = 0;
  dns.toZone = 1;
  dns.protocol = tables::Protocol::kUdp;
  dns.ports = {53, 53};
  p->flows = {dns};
  p->seal();
  return p;
}

struct UdpFrame {
  Writer bytes;
  io::Frame frame;
  forward::IngressFrame in;
  UdpFrame(const char* dstIp, int64_t nowNs)
      : bytes(ethernet("02:00:00:00:00:fe", kLaptop, packet::kEtherTypeIpv4,
                       ipv4("10.0.0.23", dstIp, packet::kIpProtoUdp, udp(40000, 53, Writer{})))) {
    frame.bytes = bytes.data;
    frame.wireLength = static_cast<uint32_t>(bytes.data.size());
    in.frame = &frame;
    in.port = 0;
    in.role = tables::PortRole::kAccess;
    in.portZone = 2;
    in.src = *tables::MacAddress::parse(kLaptop);
    in.dst = *tables::MacAddress::parse("02:00:00:00:00:fe");  // the router, not a profiled device
    in.etherType = packet::kEtherTypeIpv4;
    in.nowNs = nowNs;
  }
};

TEST(DestinationZones, TheDecidersTableFollowsAPolicySwap) {
  PolicyDecider decider(serversAt("10.9.0.0/16"));
  EXPECT_TRUE(decider.decide(UdpFrame("10.9.0.5", kStart).in).allow) << "10.9/16 is servers: office-dns allows it";
  EXPECT_FALSE(decider.decide(UdpFrame("10.8.0.5", kStart + 1).in).allow) << "10.8/16 is no zone: default deny";

  // The servers move to 10.8/16: the very next frames are judged by that.
  decider.setPolicy(serversAt("10.8.0.0/16"), kStart + 2);
  EXPECT_FALSE(decider.decide(UdpFrame("10.9.0.5", kStart + 3).in).allow) << "10.9/16 is no zone any more";
  EXPECT_TRUE(decider.decide(UdpFrame("10.8.0.5", kStart + 4).in).allow) << "10.8/16 is servers now";
}

// Counts what it is given; keeps nothing (no allocation of its own).
class CountingSink final : public io::FrameSink {
 public:
  bool send(const io::Frame&) override {
    ++sent;
    return true;
  }
  std::string_view error() const override { return {}; }
  uint64_t sent = 0;
};

TEST(DestinationZones, AKnownDevicesDataFramesThroughTheSwitchDoNotAllocate) {
  tables::CompiledPolicyPtr policy = serversAt("10.9.0.0/16");
  auto withUplink = std::make_shared<tables::CompiledPolicy>(*policy);
  tables::Port uplink;
  uplink.interface = "wan";
  uplink.role = tables::PortRole::kUplink;
  uplink.zones = {0};
  uplink.defaultZone = 0;
  withUplink->ports.push_back(uplink);
  withUplink->seal();
  PolicyDecider decider(withUplink);
  forward::VlanSwitch sw(forward::switchConfigFromPolicy(*withUplink), decider);
  CountingSink sink;
  sw.attach(0, &sink);
  sw.attach(1, &sink);
  const Writer fromRouter = ethernet(kLaptop, "02:00:00:00:00:fe", packet::kEtherTypeIpv4,
                                     ipv4("10.9.0.5", "10.0.0.23", packet::kIpProtoUdp, udp(53, 40000, Writer{})));
  const UdpFrame toServer("10.9.0.5", kStart);
  auto send = [&](const Writer& bytes, uint16_t port, int64_t nowNs) {
    io::Frame f;
    f.bytes = bytes.data;
    f.wireLength = static_cast<uint32_t>(bytes.data.size());
    f.port = port;
    f.timestampNs = nowNs;
    return sw.process(f);
  };
  int64_t now = kStart;
  // The router is learned on the uplink (its frame has nowhere to go yet: no
  // device is in office on the jack).
  EXPECT_EQ(send(fromRouter, 1, now).drop, forward::DropReason::kNoEgress);
  ASSERT_TRUE(send(toServer.bytes, 0, now += 1000).forwarded()) << "the pinned laptop is profiled and learned";
  EngineEvent e;
  while (decider.popEvent(e)) {
  }
  const uint64_t sentBefore = sink.sent;
  const uint64_t before = fingerprint::testing::allocationCount();
  for (int i = 0; i < 1000; ++i) {
    const forward::ForwardResult r = send(toServer.bytes, 0, now += 1000);
    if (!r.forwarded() || r.flooded) break;
  }
  EXPECT_EQ(fingerprint::testing::allocationCount() - before, 0u);
  EXPECT_EQ(sink.sent - sentBefore, 1000u) << "every frame unicast to the router, allowed by office-dns";
}

}  // namespace
}  // namespace portvakt::engine
