// Deny by default for every frame shape (issue 14, "Broadcast and multicast
// frames pass the flow rules"): every combination of destination MAC
// (unicast to a known device, unicast unknown, broadcast, IPv4 and IPv6
// multicast) x IP version x IP header (valid, cut off, wrong version, bad
// length, header running past the frame) x destination port (allowed by a
// flow or not), the link-local services, non-IP EtherTypes and link control,
// each with its verdict, through the decider and the VLAN switch of the
// offline pipeline (the same objects portvaktd runs) against ONE policy,
// tests/control/pipeline/hostile-frames.yaml.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "dataplane/engine/offline_pipeline.h"
#include "policy/compiler/compiler.h"
#include "tests/dataplane/packet/frame_builder.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::engine {
namespace {

using namespace packet::testing;
using packet::kEtherTypeArp;
using packet::kEtherTypeIpv4;
using packet::kEtherTypeIpv6;
using packet::kIpProtoIcmpv6;
using packet::kIpProtoUdp;

constexpr std::string_view kSender = "02:00:00:00:00:01";     // office, on lan1
constexpr std::string_view kKnown = "02:00:00:00:00:02";      // office, on lan2
constexpr std::string_view kLabDevice = "02:00:00:00:00:03";  // lab, on lan3
constexpr std::string_view kWatched = "02:00:00:00:00:09";    // office, on lan9 (monitor mode)
constexpr std::string_view kGateway = "00:00:5e:00:01:0a";    // behind the uplink, never seen on a jack
constexpr uint16_t kAllowedPort = 53;                         // flow office-dns
constexpr uint16_t kDeniedPort = 9999;                        // no flow
constexpr size_t kEth = 14;

enum class Dst { kKnownDevice, kUnknownUnicast, kBroadcast, kIpv4Multicast, kIpv6Multicast };
enum class Header { kValid, kCutOff, kWrongVersion, kBadLength, kPastTheFrame };

const char* name(Dst d) {
  switch (d) {
    case Dst::kKnownDevice: return "known-device";
    case Dst::kUnknownUnicast: return "unknown-unicast";
    case Dst::kBroadcast: return "broadcast";
    case Dst::kIpv4Multicast: return "01:00:5e-multicast";
    case Dst::kIpv6Multicast: return "33:33-multicast";
  }
  return "?";
}

const char* name(Header h) {
  switch (h) {
    case Header::kValid: return "valid";
    case Header::kCutOff: return "cut-off";
    case Header::kWrongVersion: return "wrong-version";
    case Header::kBadLength: return "bad-length";
    case Header::kPastTheFrame: return "header-past-the-frame";
  }
  return "?";
}

std::string_view macOf(Dst d) {
  switch (d) {
    case Dst::kKnownDevice: return kKnown;
    case Dst::kUnknownUnicast: return kGateway;
    case Dst::kBroadcast: return kBroadcast;
    case Dst::kIpv4Multicast: return "01:00:5e:7f:ff:fa";
    case Dst::kIpv6Multicast: return "33:33:00:00:00:01";
  }
  return kBroadcast;
}

// UDP from the sender to a server behind the office uplink (192.0.2.10 or
// 2001:db8:5::10), then broken the way `header` says. `tags`: 802.1Q tags.
Writer udpToServer(std::string_view dstMac, std::string_view srcMac, bool v6, Header header, uint16_t port,
                   std::vector<std::pair<uint16_t, uint16_t>> tags = {}) {
  Writer payload = udp(40000, port, text("hello"));
  Writer w =
      v6 ? ethernet(dstMac, srcMac, kEtherTypeIpv6, ipv6("2001:db8:10::1", "2001:db8:5::10", kIpProtoUdp, payload), tags)
         : ethernet(dstMac, srcMac, kEtherTypeIpv4, ipv4("10.10.0.1", "192.0.2.10", kIpProtoUdp, payload), tags);
  const size_t ip = kEth + 4 * tags.size();
  Bytes& b = w.data;
  switch (header) {
    case Header::kValid: break;
    case Header::kCutOff:  // the frame ends inside the fixed header
      b.resize(ip + (v6 ? 20 : 10));
      break;
    case Header::kWrongVersion:  // IPv6 in an IPv4 EtherType and the reverse
      b[ip] = v6 ? 0x45 : 0x65;
      break;
    case Header::kBadLength:
      if (v6) {
        b[ip + 4] = 0x01;  // payload length 256+: more than the frame has
      } else {
        b[ip] = 0x43;  // IHL 3: shorter than the fixed header
      }
      break;
    case Header::kPastTheFrame:
      if (v6) {
        b[ip + 6] = 0;  // hop-by-hop: the UDP header read as one, 520 bytes long
      } else {
        b[ip] = 0x4f;  // IHL 15: 60 bytes of header, 33 captured
      }
      break;
  }
  return w;
}

class HostileFramesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    policy::CompileResult compiled = policy::compilePolicyFile("tests/control/pipeline/hostile-frames.yaml");
    ASSERT_TRUE(compiled.ok()) << compiled.diagnostics.format();
    policy_ = compiled.policy;
    auto created = OfflinePipeline::create(policy_);
    ASSERT_TRUE(created) << created.error().message;
    pipeline_ = std::move(created.value());
    // The known device and the lab device say hello first, so the switch and
    // the profiler know where they are.
    ASSERT_EQ(send(arp(kBroadcast, kKnown, "10.10.0.2", "10.10.0.1"), "lan2"), "forwarded");
    ASSERT_EQ(send(arp(kBroadcast, kLabDevice, "10.20.0.3", "10.20.0.1"), "lan3"), "forwarded");
  }

  static Writer arp(std::string_view dst, std::string_view src, const char* from, const char* to) {
    Writer a;
    a.u16(1)
        .u16(0x0800)
        .u8(6)
        .u8(4)
        .u16(dst == kBroadcast ? 1 : 2)
        .mac(src)
        .ip4(from)
        .mac(dst == kBroadcast ? "00:00:00:00:00:00" : dst)
        .ip4(to);
    return ethernet(dst, src, kEtherTypeArp, a);
  }

  uint16_t port(std::string_view name) const {
    for (size_t i = 0; i < policy_->ports.size(); ++i) {
      if (policy_->ports[i].interface == name) return static_cast<uint16_t>(i);
    }
    ADD_FAILURE() << "no port " << name;
    return 0;
  }

  std::string send(const Writer& w, std::string_view on = "lan1", Explanation* why = nullptr) {
    frames_.push_back(w.data);
    io::Frame f;
    f.bytes = frames_.back();
    f.wireLength = static_cast<uint32_t>(frames_.back().size());
    f.port = port(on);
    now_ += 1'000'000;
    f.timestampNs = now_;
    return pipeline_->process(f, why).verdict;
  }

  std::vector<std::string> events() {
    std::vector<std::string> out;
    EngineEvent e;
    while (pipeline_->decider().popEvent(e)) out.emplace_back(tables::toString(e.event));
    return out;
  }

  tables::CompiledPolicyPtr policy_;
  std::unique_ptr<OfflinePipeline> pipeline_;
  std::deque<Bytes> frames_;
  int64_t now_ = 1'700'000'000'000'000'000;
};

// The matrix. Expected: a broken IP header is malformed_ip whatever else;
// unicast to a device of the sender's own zone passes (a zone talks to
// itself); everything else, broadcast and multicast included, is what the
// flow rules say about its IP destination and port.
// Requirements: R6
TEST_F(HostileFramesTest, EveryDestinationTimesIpVersionTimesHeaderTimesPort) {
  const Dst dsts[] = {Dst::kKnownDevice, Dst::kUnknownUnicast, Dst::kBroadcast, Dst::kIpv4Multicast, Dst::kIpv6Multicast};
  const Header headers[] = {Header::kValid, Header::kCutOff, Header::kWrongVersion, Header::kBadLength,
                            Header::kPastTheFrame};
  int cases = 0;
  for (Dst dst : dsts) {
    for (bool v6 : {false, true}) {
      for (Header header : headers) {
        for (uint16_t p : {kAllowedPort, kDeniedPort}) {
          for (bool priorityTagged : {false, true}) {
            std::string expected = header != Header::kValid   ? "dropped:malformed_ip"
                                   : dst == Dst::kKnownDevice ? "forwarded"
                                   : p == kAllowedPort        ? "forwarded"
                                                              : "dropped:policy_denied";
            std::vector<std::pair<uint16_t, uint16_t>> tags;
            if (priorityTagged) tags.push_back({0x8100, 0});  // VID 0, as phones send
            Explanation why;
            EXPECT_EQ(send(udpToServer(macOf(dst), kSender, v6, header, p, tags), "lan1", &why), expected)
                << name(dst) << " " << (v6 ? "IPv6" : "IPv4") << " " << name(header) << " port " << p
                << (priorityTagged ? " priority-tagged" : "") << "\n  why: " << ::testing::PrintToString(why.steps);
            ++cases;
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, 5 * 2 * 5 * 2 * 2);
  // Counted, not alerted: a flood of broken frames is no flood of events.
  EXPECT_EQ(pipeline_->vlanSwitch().drops().get(forward::DropReason::kMalformedIp), 5u * 2 * 4 * 2 * 2);
  for (const std::string& e : events()) EXPECT_EQ(e.find("malformed"), std::string::npos) << e;
}

// The report: UDP to a port no flow allows, in broadcast and
// multicast frames, to a host behind the uplink. The trace names the rule.
// Requirements: R5
TEST_F(HostileFramesTest, GroupFramesToAServerAreJudgedByTheFlowRulesAndTheTraceSaysSo) {
  Explanation denied;
  EXPECT_EQ(send(udpToServer(kBroadcast, kSender, false, Header::kValid, kDeniedPort), "lan1", &denied),
            "dropped:policy_denied");
  EXPECT_EQ(denied.flowRule, classify::kDefaultDeny);
  ASSERT_FALSE(denied.steps.empty());
  EXPECT_NE(denied.steps.back().find("default deny"), std::string::npos) << denied.steps.back();

  // A flow in monitor mode judges group frames as it judges unicast: passed,
  // and reported as flow_denied.
  (void)events();
  EXPECT_EQ(send(udpToServer(kBroadcast, kSender, false, Header::kValid, 123)), "forwarded");
  const std::vector<std::string> reported = events();
  EXPECT_NE(std::find(reported.begin(), reported.end(), "flow_denied"), reported.end());

  Explanation ssdp;
  Writer notify =
      ethernet("01:00:5e:7f:ff:fa", kSender, kEtherTypeIpv4,
               ipv4("10.10.0.1", "239.255.255.250", kIpProtoUdp, udp(1900, 1900, text("NOTIFY * HTTP/1.1\r\n\r\n"))));
  EXPECT_EQ(send(notify, "lan1", &ssdp), "forwarded");
  ASSERT_GE(ssdp.flowRule, 0);
  EXPECT_EQ(policy_->flows[static_cast<size_t>(ssdp.flowRule)].name, "office-ssdp");
}

struct Row {
  const char* what;
  Writer frame;
  std::string_view port;
  const char* expected;
};

Writer icmpv6(uint8_t type, const Writer& body) {
  Writer w;
  w.u8(type).u8(0).u16(0).append(body);
  return w;
}

Writer v6Frame(std::string_view dstMac, std::string_view src, const char* from, const char* to, uint8_t next,
               const Writer& payload) {
  return ethernet(dstMac, src, kEtherTypeIpv6, ipv6(from, to, next, payload));
}

Writer v4Udp(std::string_view dstMac, std::string_view src, const char* from, const char* to, uint16_t sport,
             uint16_t dport, const Writer& payload = text("x")) {
  return ethernet(dstMac, src, kEtherTypeIpv4, ipv4(from, to, kIpProtoUdp, udp(sport, dport, payload)));
}

Writer dhcpDiscover(std::string_view mac) {
  return v4Udp(kBroadcast, mac, "0.0.0.0", "255.255.255.255", 68, 67, dhcp(1, 0x1234, mac, {dhcpOption(53, Bytes{1})}));
}

// Writer::zeros trips g++ 12's -Warray-bounds (a false positive in
// vector::insert) when inlined here; bytes one by one do not.
Writer& zeroBytes(Writer& w, size_t n) {
  for (size_t i = 0; i < n; ++i) w.u8(0);
  return w;
}

Writer dnsHeader() {
  Writer w;
  return zeroBytes(w, 12);
}

// MLDv2 report to ff02::16 behind a hop-by-hop header with router alert.
Writer mldReport(std::string_view src) {
  Writer hbh;
  hbh.u8(58).u8(0).u8(5).u8(2).u16(0).u8(1).u8(0);
  Writer record;
  record.u16(0).u16(1).u8(4).u8(0).u16(0).ip6("ff02::fb");
  hbh.append(icmpv6(143, record));
  return v6Frame("33:33:00:00:00:16", src, "fe80::1", "ff02::16", 0, hbh);
}

Writer igmpReport(std::string_view src) {
  Writer igmp;
  igmp.u8(0x22).u8(0).u16(0).u16(0).u16(1).u8(4).u8(0).u16(0).ip4("239.255.255.250");
  return ethernet("01:00:5e:00:00:16", src, kEtherTypeIpv4, ipv4("10.10.0.1", "224.0.0.22", 2, igmp));
}

Writer nonIp(std::string_view dst, std::string_view src, uint16_t type) {
  Writer body;
  zeroBytes(body.u8(0x11).u8(0x09).u16(0).u16(0), 10);
  return ethernet(dst, src, type, body);
}

Writer llc(std::string_view dst, std::string_view src, uint8_t sap) {
  Writer body;
  zeroBytes(body.u8(sap).u8(sap).u8(0x03), 20);
  return ethernet(dst, src, static_cast<uint16_t>(body.size()), body);
}

Writer lldp(std::string_view dst, std::string_view src) {
  Writer chassis, portId, ttl;
  chassis.u8(4).mac(src);
  portId.u8(3).mac(src);
  ttl.u16(120);
  Writer tlvs;
  tlvs.append(lldpTlv(1, chassis)).append(lldpTlv(2, portId)).append(lldpTlv(3, ttl)).u16(0);
  return ethernet(dst, src, packet::kEtherTypeLldp, tlvs);
}

Writer eapolStart(std::string_view dst, std::string_view src) {
  Writer body;
  body.u8(1).u8(1).u16(0);
  return ethernet(dst, src, packet::kEtherTypeEapol, body);
}

// The link-local services flood without a flow rule where the zone has them
// (office: the default set; lab: arp, dhcp, nd); every other group frame is
// the flow rules' business; non-IP needs the zone's `ethertypes`; link
// control is never forwarded.
// Requirements: R6
TEST_F(HostileFramesTest, LinkLocalServicesNonIpEtherTypesAndLinkControl) {
  Writer ns, na, rs, ra;
  ns.u32(0).ip6("2001:db8:10::2");
  na.u32(0x20000000).ip6("2001:db8:10::1");
  rs.u32(0);
  ra.u8(64).u8(0).u16(1800).u32(0).u32(0);
  Writer pvst;
  zeroBytes(pvst, 36);
  Writer truncatedV4;  // in SNAP: 10 bytes of an IPv4 header
  truncatedV4.u8(0x45).u8(0).u16(40).u32(0).u8(64).u8(17).u16(0);

  std::vector<Row> rows;
  auto row = [&rows](const char* what, Writer frame, std::string_view port, const char* expected) {
    rows.push_back({what, std::move(frame), port, expected});
  };
  // Link-local services, office (default set).
  row("ARP request", arp(kBroadcast, kSender, "10.10.0.1", "10.10.0.2"), "lan1", "forwarded");
  row("ARP reply, unicast", arp(kKnown, kSender, "10.10.0.1", "10.10.0.2"), "lan1", "forwarded");
  row("DHCP discover", dhcpDiscover(kSender), "lan1", "forwarded");
  row("DHCP request, priority-tagged",
      ethernet(kBroadcast, kSender, kEtherTypeIpv4,
               ipv4("0.0.0.0", "255.255.255.255", kIpProtoUdp,
                    udp(68, 67, dhcp(1, 0x99, kSender, {dhcpOption(53, Bytes{3})}))),
               {{0x8100, 0}}),
      "lan1", "forwarded");
  row("DHCPv6 solicit",
      v6Frame("33:33:00:01:00:02", kSender, "fe80::1", "ff02::1:2", kIpProtoUdp, udp(546, 547, text("\x01\x00\x00\x01"))),
      "lan1", "forwarded");
  row("ND: DAD neighbour solicitation",
      v6Frame("33:33:ff:00:00:02", kSender, "::", "ff02::1:ff00:2", kIpProtoIcmpv6, icmpv6(135, ns)), "lan1",
      "forwarded");
  row("ND: neighbour advertisement",
      v6Frame("33:33:00:00:00:01", kSender, "fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(136, na)), "lan1", "forwarded");
  row("ND: router solicitation",
      v6Frame("33:33:00:00:00:02", kSender, "fe80::1", "ff02::2", kIpProtoIcmpv6, icmpv6(133, rs)), "lan1", "forwarded");
  row("mDNS IPv4", v4Udp("01:00:5e:00:00:fb", kSender, "10.10.0.1", "224.0.0.251", 5353, 5353, dnsHeader()), "lan1",
      "forwarded");
  row("mDNS IPv6",
      v6Frame("33:33:00:00:00:fb", kSender, "fe80::1", "ff02::fb", kIpProtoUdp, udp(5353, 5353, dnsHeader())), "lan1",
      "forwarded");
  row("IGMPv3 report", igmpReport(kSender), "lan1", "forwarded");
  row("MLDv2 report", mldReport(kSender), "lan1", "forwarded");
  // Router advertisements from a jack: RA guard (FirstHopSecurity below).
  row("ND: router advertisement from a jack",
      v6Frame("33:33:00:00:00:01", kSender, "fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), "lan1",
      "dropped:ra_guard");
  // Group frames that are no link-local service: the flow rules.
  row("SSDP to 239.255.255.250:1900 (flow office-ssdp)",
      v4Udp("01:00:5e:7f:ff:fa", kSender, "10.10.0.1", "239.255.255.250", 1900, 1900), "lan1", "forwarded");
  row("SSDP group, another port", v4Udp("01:00:5e:7f:ff:fa", kSender, "10.10.0.1", "239.255.255.250", 1900, 1901), "lan1",
      "dropped:policy_denied");
  row("LLMNR", v4Udp("01:00:5e:00:00:fc", kSender, "10.10.0.1", "224.0.0.252", 5355, 5355), "lan1",
      "dropped:policy_denied");
  row("NetBIOS to the subnet broadcast", v4Udp(kBroadcast, kSender, "10.10.0.1", "10.10.255.255", 137, 137), "lan1",
      "dropped:policy_denied");
  row("UDP to 255.255.255.255", v4Udp(kBroadcast, kSender, "10.10.0.1", "255.255.255.255", 9, 9), "lan1",
      "dropped:policy_denied");
  row("DHCP-looking UDP to a unicast IP in a broadcast frame",
      v4Udp(kBroadcast, kSender, "10.10.0.1", "192.0.2.10", 68, 67), "lan1", "dropped:policy_denied");
  row("mDNS port to a server in a multicast frame",
      v4Udp("01:00:5e:00:00:fb", kSender, "10.10.0.1", "192.0.2.10", 5353, 5353), "lan1", "dropped:policy_denied");
  row("UDP to ff02::1",
      v6Frame("33:33:00:00:00:01", kSender, "fe80::1", "ff02::1", kIpProtoUdp, udp(9999, 9999, text("x"))), "lan1",
      "dropped:policy_denied");
  row("ICMPv6 echo to ff02::1",
      v6Frame("33:33:00:00:00:01", kSender, "fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(128, rs)), "lan1",
      "dropped:policy_denied");
  // Lab: link_local [arp, dhcp, nd].
  row("lab: ARP request", arp(kBroadcast, kLabDevice, "10.20.0.3", "10.20.0.1"), "lan3", "forwarded");
  row("lab: DHCP discover", dhcpDiscover(kLabDevice), "lan3", "forwarded");
  row("lab: neighbour solicitation",
      v6Frame("33:33:ff:00:00:02", kLabDevice, "::", "ff02::1:ff00:2", kIpProtoIcmpv6, icmpv6(135, ns)), "lan3",
      "forwarded");
  row("lab: mDNS is not among its services",
      v4Udp("01:00:5e:00:00:fb", kLabDevice, "10.20.0.3", "224.0.0.251", 5353, 5353, dnsHeader()), "lan3",
      "dropped:policy_denied");
  row("lab: DHCPv6 is not among its services",
      v6Frame("33:33:00:01:00:02", kLabDevice, "fe80::3", "ff02::1:2", kIpProtoUdp,
              udp(546, 547, text("\x01\x00\x00\x01"))),
      "lan3", "dropped:policy_denied");
  row("lab: MLD is not among its services", mldReport(kLabDevice), "lan3", "dropped:policy_denied");
  // Non-IP EtherTypes: office allows none, lab allows pppoe and llc.
  row("PPPoE discovery (office)", nonIp(kBroadcast, kSender, 0x8863), "lan1", "dropped:ethertype_denied");
  row("PPPoE discovery (lab)", nonIp(kBroadcast, kLabDevice, 0x8863), "lan3", "forwarded");
  row("PPPoE session, unicast (lab)", nonIp(kGateway, kLabDevice, 0x8864), "lan3", "forwarded");
  row("PPPoE session, unicast to a known device (office)", nonIp(kKnown, kSender, 0x8864), "lan1",
      "dropped:ethertype_denied");
  row("IPX (lab)", nonIp(kBroadcast, kLabDevice, 0x8137), "lan3", "dropped:ethertype_denied");
  row("unknown EtherType 0x88b5", nonIp(kBroadcast, kSender, 0x88b5), "lan1", "dropped:ethertype_denied");
  row("unknown EtherType, priority-tagged",
      ethernet(kBroadcast, kSender, 0x88b5, text("local experimental"), {{0x8100, 0}}), "lan1",
      "dropped:ethertype_denied");
  row("RARP", nonIp(kBroadcast, kSender, 0x8035), "lan1", "dropped:ethertype_denied");
  row("802.3 LLC NetBIOS (office)", llc(kBroadcast, kSender, 0xf0), "lan1", "dropped:ethertype_denied");
  row("802.3 LLC NetBIOS (lab)", llc(kBroadcast, kLabDevice, 0xf0), "lan3", "forwarded");
  row("SNAP with a vendor OUI (AppleTalk)", ethernetSnap(kBroadcast, kSender, 0x080007, 0x809b, text("appletalk!")),
      "lan1", "dropped:ethertype_denied");
  row("SNAP-encapsulated IPv4, header cut off", ethernetSnap(kBroadcast, kSender, 0, kEtherTypeIpv4, truncatedV4), "lan1",
      "dropped:malformed_ip");
  row("SNAP-encapsulated IPv4 UDP to a denied port",
      ethernetSnap(kBroadcast, kSender, 0, kEtherTypeIpv4,
                   ipv4("10.10.0.1", "192.0.2.10", kIpProtoUdp, udp(1, kDeniedPort, text("x")))),
      "lan1", "dropped:policy_denied");
  // Link control: consumed whatever the zone allows, also sent unicast.
  row("STP BPDU", llc("01:80:c2:00:00:00", kLabDevice, 0x42), "lan3", "dropped:link_control");
  row("LLDP", lldp("01:80:c2:00:00:0e", kSender), "lan1", "dropped:link_control");
  row("LLDP to a unicast MAC", lldp(kGateway, kSender), "lan1", "dropped:link_control");
  row("EAPOL-Start to the PAE group", eapolStart("01:80:c2:00:00:03", kSender), "lan1", "dropped:link_control");
  row("EAPOL to the authenticator, unicast", eapolStart(kGateway, kSender), "lan1", "dropped:link_control");
  row("LACP", nonIp("01:80:c2:00:00:02", kSender, 0x8809), "lan1", "dropped:link_control");
  row("LACP to a unicast MAC", nonIp(kGateway, kSender, 0x8809), "lan1", "dropped:link_control");
  row("CDP", cdpPhoneFrame(), "lan2", "dropped:link_control");
  row("PVST+", ethernetSnap("01:00:0c:cc:cc:cd", kSender, 0x00000c, 0x010b, pvst), "lan1", "dropped:link_control");
  // Monitor mode (lan9): denials pass and are counted, shape and link control never.
  row("monitor: UDP broadcast to a denied port", udpToServer(kBroadcast, kWatched, false, Header::kValid, kDeniedPort),
      "lan9", "monitor:policy_denied");
  row("monitor: broken IPv4 header", udpToServer(kBroadcast, kWatched, false, Header::kCutOff, kDeniedPort), "lan9",
      "dropped:malformed_ip");
  row("monitor: PPPoE", nonIp(kBroadcast, kWatched, 0x8863), "lan9", "monitor:ethertype_denied");
  row("monitor: LLDP", lldp("01:80:c2:00:00:0e", kWatched), "lan9", "dropped:link_control");
  // Uplinks and trunks are not filtered by the flow rules, but broken IP and
  // link control are dropped there too; trunk frames carry their tag.
  row("uplink: UDP broadcast", v4Udp(kBroadcast, kGateway, "192.0.2.10", "255.255.255.255", 9999, 9999), "up0",
      "forwarded");
  row("uplink: broken IPv6 header", udpToServer(kBroadcast, kGateway, true, Header::kWrongVersion, kDeniedPort), "up0",
      "dropped:malformed_ip");
  row("uplink: LLDP", lldp("01:80:c2:00:00:0e", kGateway), "up0", "dropped:link_control");
  row("trunk: UDP broadcast, VLAN 10",
      udpToServer(kBroadcast, "02:00:00:00:00:77", false, Header::kValid, kDeniedPort, {{0x8100, 10}}), "tr0",
      "forwarded");
  row("trunk: IPv4 header cut off, VLAN 10",
      udpToServer(kBroadcast, "02:00:00:00:00:77", false, Header::kCutOff, kDeniedPort, {{0x8100, 10}}), "tr0",
      "dropped:malformed_ip");
  row("trunk: IPv6 header past the frame, VLAN 20",
      udpToServer("33:33:00:00:00:01", "02:00:00:00:00:77", true, Header::kPastTheFrame, kDeniedPort, {{0x8100, 20}}),
      "tr0", "dropped:malformed_ip");
  row("trunk: PPPoE, VLAN 10 (not filtered)",
      ethernet(kBroadcast, "02:00:00:00:00:77", 0x8863, text("padi padi padi"), {{0x8100, 10}}), "tr0", "forwarded");
  row("trunk: LLDP, VLAN 10",
      ethernet("01:80:c2:00:00:0e", "02:00:00:00:00:77", packet::kEtherTypeLldp, text("x"), {{0x8100, 10}}), "tr0",
      "dropped:link_control");

  for (const Row& r : rows) {
    Explanation why;
    EXPECT_EQ(send(r.frame, r.port, &why), r.expected) << r.what << "\n  why: " << ::testing::PrintToString(why.steps);
  }
}

constexpr std::string_view kRouter = "02:00:00:00:00:04";  // office, on lan4 (trusted: ra, dhcp)
constexpr std::string_view kAllNodes = "33:33:00:00:00:01";

Writer raBody() {
  Writer ra;
  ra.u8(64).u8(0xc0).u16(1800).u32(0).u32(0);  // M and O set: "ask my DHCPv6 server", as mitm6 wants
  return ra;
}

Writer redirectBody() {
  Writer r;
  r.u32(0).ip6("fe80::99").ip6("2001:db8:5::10");
  return r;
}

Writer naBody(const char* target) {
  Writer na;
  na.u32(0x20000000).ip6(target);  // override
  return na;
}

// An IPv6 extension header (hop-by-hop 0 or destination options 60) of 8
// bytes, padded with PadN, followed by `next` and `rest`.
Writer optionsHeader(uint8_t next, const Writer& rest) {
  Writer h;
  h.u8(next).u8(0).u8(1).u8(4).u32(0);
  h.append(rest);
  return h;
}

// A fragment header: `offset` in bytes (a multiple of 8), more fragments set.
Writer fragmentHeader(uint8_t next, uint16_t offset, const Writer& rest) {
  Writer h;
  h.u8(next).u8(0).u16(static_cast<uint16_t>(offset | 1)).u32(0x5eed);
  h.append(rest);
  return h;
}

// The RFC 7113 evasion: a first fragment whose destination-options header
// fills it, so the ICMPv6 (or UDP) header is only in the second fragment.
Writer fragmentHidingItsHeader(uint8_t upper) {
  Writer dest;
  dest.u8(upper).u8(1).u8(1).u8(12);  // 16 bytes: PadN of 12
  zeroBytes(dest, 12);
  return fragmentHeader(60, 0, dest);
}

Writer dhcpv6(uint8_t type) {
  Writer w;
  w.u8(type).u24(0x1234).u16(1).u16(4).u32(0x00030001);  // client id (a stub DUID)
  return w;
}

// RELAY-REPL carrying `inner` in a relay-message option (9).
Writer dhcpv6RelayReply(uint8_t inner) {
  Writer msg = dhcpv6(inner);
  Writer w;
  w.u8(13).u8(0).ip6("2001:db8:10::fffe").ip6("fe80::2").u16(9).u16(static_cast<uint16_t>(msg.size())).append(msg);
  return w;
}

Writer dhcpOffer(std::string_view from, std::string_view client) {
  return v4Udp(kBroadcast, from, "10.10.0.254", "255.255.255.255", 67, 68,
               dhcp(2, 0x1234, client, {dhcpOption(53, Bytes{2})}, "10.10.0.50"));
}

struct GuardRow {
  const char* what;
  Writer frame;
  std::string_view port;
  const char* expected;
  const char* event;  // raised by this frame, or "" for none
};

// RA guard, DHCPv6 guard and ND inspection (issue 13, "IPv6 first-hop
// security"): from a wall jack, router advertisements and redirects (also
// behind extension headers and in fragments), DHCPv6 server messages and
// neighbour advertisements claiming an office gateway are dropped and
// alerted; from the uplink, the trunk and the jack the policy trusts they
// pass. Each row is 11 s after the last, past the alert hold time, so each
// shows its own event.
// Requirements: R6a
TEST_F(HostileFramesTest, FirstHopSecurity) {
  const Writer ra = raBody();
  Writer ns;
  ns.u32(0).ip6("fe80::1");
  Writer echo;
  echo.u32(0);
  std::vector<GuardRow> rows;
  auto row = [&rows](const char* what, Writer frame, std::string_view port, const char* expected, const char* event) {
    rows.push_back({what, std::move(frame), port, expected, event});
  };
  // RA guard.
  row("RA to all nodes", v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("RA unicast to a device of the zone",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoIcmpv6, icmpv6(134, ra)), "lan1", "dropped:ra_guard",
      "rogue_ra");
  row("RA behind a hop-by-hop header",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 0, optionsHeader(kIpProtoIcmpv6, icmpv6(134, ra))), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("RA behind destination options",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 60, optionsHeader(kIpProtoIcmpv6, icmpv6(134, ra))), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("RA behind hop-by-hop and destination options",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 0,
              optionsHeader(60, optionsHeader(kIpProtoIcmpv6, icmpv6(134, ra)))),
      "lan1", "dropped:ra_guard", "rogue_ra");
  row("RA in a first fragment",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 44, fragmentHeader(kIpProtoIcmpv6, 0, icmpv6(134, ra))), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("first fragment ending before its ICMPv6 header (RFC 7113)",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 44, fragmentHidingItsHeader(kIpProtoIcmpv6)), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("first fragment ending before its UDP header, unicast in the zone",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", 44, fragmentHidingItsHeader(kIpProtoUdp)), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("ICMPv6, a later fragment (nothing to reassemble it with): the flow rules",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 44, fragmentHeader(kIpProtoIcmpv6, 8, ra)), "lan1",
      "dropped:policy_denied", "");
  row("redirect", v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoIcmpv6, icmpv6(137, redirectBody())), "lan1",
      "dropped:ra_guard", "rogue_ra");
  row("RA on the monitor-mode jack: passed and counted",
      v6Frame(kAllNodes, kWatched, "fe80::66", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), "lan9", "monitor:ra_guard",
      "rogue_ra");
  row("RS from a jack (not guarded)",
      v6Frame("33:33:00:00:00:02", kSender, "fe80::66", "ff02::2", kIpProtoIcmpv6, icmpv6(133, echo)), "lan1",
      "forwarded", "");
  row("uplink: RA", v6Frame(kAllNodes, kGateway, "fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), "up0",
      "forwarded", "");
  row("trunk: RA, VLAN 10",
      ethernet(kAllNodes, "02:00:00:00:00:77", kEtherTypeIpv6,
               ipv6("fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), {{0x8100, 10}}),
      "tr0", "forwarded", "");
  row("trusted jack: RA", v6Frame(kAllNodes, kRouter, "fe80::4", "ff02::1", kIpProtoIcmpv6, icmpv6(134, ra)), "lan4",
      "forwarded", "");
  row("trusted jack: redirect",
      v6Frame(kKnown, kRouter, "fe80::4", "fe80::2", kIpProtoIcmpv6, icmpv6(137, redirectBody())), "lan4", "forwarded",
      "");
  row("trusted jack: RA in a fragment hiding its header",
      v6Frame(kAllNodes, kRouter, "fe80::4", "ff02::1", 44, fragmentHidingItsHeader(kIpProtoIcmpv6)), "lan4",
      "dropped:ra_guard", "rogue_ra");
  // DHCPv6 guard.
  for (uint8_t type : {2, 7, 10}) {
    row(type == 2   ? "DHCPv6 ADVERTISE"
        : type == 7 ? "DHCPv6 REPLY"
                    : "DHCPv6 RECONFIGURE",
        v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoUdp, udp(547, 546, dhcpv6(type))), "lan1",
        "dropped:rogue_dhcp", "rogue_dhcp");
  }
  row("DHCPv6 REPLY to all nodes",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", kIpProtoUdp, udp(547, 546, dhcpv6(7))), "lan1",
      "dropped:rogue_dhcp", "rogue_dhcp");
  row("DHCPv6 RELAY-REPL with a REPLY",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoUdp, udp(547, 547, dhcpv6RelayReply(7))), "lan1",
      "dropped:rogue_dhcp", "rogue_dhcp");
  row("DHCPv6 RELAY-REPL with a client message inside",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoUdp, udp(547, 547, dhcpv6RelayReply(1))), "lan1",
      "dropped:rogue_dhcp", "rogue_dhcp");
  row("DHCPv6 server port to client port, first fragment",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", 44, fragmentHeader(kIpProtoUdp, 0, udp(547, 546, dhcpv6(7)))),
      "lan1", "dropped:rogue_dhcp", "rogue_dhcp");
  row("DHCPv6 SOLICIT (a client)",
      v6Frame("33:33:00:01:00:02", kSender, "fe80::66", "ff02::1:2", kIpProtoUdp, udp(546, 547, dhcpv6(1))), "lan1",
      "forwarded", "");
  row("DHCPv4 OFFER from a jack", dhcpOffer(kSender, kKnown), "lan1", "dropped:rogue_dhcp", "rogue_dhcp");
  row("uplink: DHCPv6 ADVERTISE",
      v6Frame(kSender, kGateway, "fe80::1", "fe80::66", kIpProtoUdp, udp(547, 546, dhcpv6(2))), "up0", "forwarded", "");
  row("trusted jack: DHCPv6 ADVERTISE",
      v6Frame(kKnown, kRouter, "fe80::4", "fe80::2", kIpProtoUdp, udp(547, 546, dhcpv6(2))), "lan4", "forwarded", "");
  row("trusted jack: DHCPv6 REPLY to all nodes",
      v6Frame(kAllNodes, kRouter, "fe80::4", "ff02::1", kIpProtoUdp, udp(547, 546, dhcpv6(7))), "lan4", "forwarded", "");
  row("trusted jack: DHCPv4 OFFER, broadcast", dhcpOffer(kRouter, kKnown), "lan4", "forwarded", "");
  // ND inspection: office's gateways are fe80::1 and 2001:db8:10::fffe.
  row("NA claiming the link-local gateway",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::1"))), "lan1",
      "dropped:nd_spoofing", "nd_spoof");
  row("NA claiming the global gateway, unicast",
      v6Frame(kKnown, kSender, "fe80::66", "fe80::2", kIpProtoIcmpv6, icmpv6(136, naBody("2001:db8:10::fffe"))), "lan1",
      "dropped:nd_spoofing", "nd_spoof");
  row("NA claiming the gateway behind a hop-by-hop header",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", 0,
              optionsHeader(kIpProtoIcmpv6, icmpv6(136, naBody("fe80::1")))),
      "lan1", "dropped:nd_spoofing", "nd_spoof");
  row("NA for the device's own address",
      v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::66"))), "lan1",
      "forwarded", "");
  row("NS asking for the gateway",
      v6Frame("33:33:ff:00:00:01", kSender, "fe80::66", "ff02::1:ff00:1", kIpProtoIcmpv6, icmpv6(135, ns)), "lan1",
      "forwarded", "");
  row("trusted jack: NA claiming the gateway (trust is for ra and dhcp only)",
      v6Frame(kAllNodes, kRouter, "fe80::4", "ff02::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::1"))), "lan4",
      "dropped:nd_spoofing", "nd_spoof");
  row("uplink: NA from the gateway",
      v6Frame(kAllNodes, kGateway, "fe80::1", "ff02::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::1"))), "up0",
      "forwarded", "");
  // Unicast ND to the router behind the uplink is the zone's 'nd' service
  // (hop limit 255); without it no IPv6 reply from the router is ever sent.
  row("solicited NA, unicast to the router",
      v6Frame(kGateway, kSender, "fe80::66", "fe80::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::66"))), "lan1",
      "forwarded", "");
  row("NS for unreachability detection, unicast to the router",
      v6Frame(kGateway, kSender, "fe80::66", "fe80::1", kIpProtoIcmpv6, icmpv6(135, ns)), "lan1", "forwarded", "");
  Writer forwardedNa = v6Frame(kGateway, kSender, "fe80::66", "fe80::1", kIpProtoIcmpv6, icmpv6(136, naBody("fe80::66")));
  forwardedNa.data[kEth + 7] = 64;  // hop limit: not ND a receiver accepts, so the flow rules
  row("NA with hop limit 64, unicast to the router", forwardedNa, "lan1", "dropped:policy_denied", "");
  row("ICMPv6 echo, unicast to the router",
      v6Frame(kGateway, kSender, "fe80::66", "fe80::1", kIpProtoIcmpv6, icmpv6(128, echo)), "lan1",
      "dropped:policy_denied", "");

  (void)events();
  for (const GuardRow& r : rows) {
    now_ += 11'000'000'000;
    Explanation why;
    EXPECT_EQ(send(r.frame, r.port, &why), r.expected) << r.what << "\n  why: " << ::testing::PrintToString(why.steps);
    // The profiler's own events for a MAC's first frame (device_new,
    // randomized_mac: the test MACs are locally administered) are not these checks'.
    std::vector<std::string> raised = events();
    std::erase_if(raised, [](const std::string& e) { return e == "device_new" || e == "randomized_mac"; });
    if (*r.event) {
      EXPECT_EQ(raised, std::vector<std::string>{r.event}) << r.what;
    } else {
      EXPECT_TRUE(raised.empty()) << r.what << ": " << ::testing::PrintToString(raised);
    }
  }
  const forward::DropCounters& drops = pipeline_->vlanSwitch().drops();
  EXPECT_EQ(drops.get(forward::DropReason::kRaGuard), 10u);
  EXPECT_EQ(drops.get(forward::DropReason::kNdSpoofing), 4u);
}

// The alert for one rogue router names the port and what it announced, and a
// flood of its RAs is one alert per hold time, counted as suppressed.
// Requirements: R6a
TEST_F(HostileFramesTest, RogueRaAlertIsHeldPerMac) {
  Writer raWithPrefix = raBody();
  raWithPrefix.u8(3).u8(4).u8(64).u8(0xc0).u32(86400).u32(14400).u32(0);
  raWithPrefix.ip6("2001:db8:66::");
  const Writer frame = v6Frame(kAllNodes, kSender, "fe80::66", "ff02::1", kIpProtoIcmpv6, icmpv6(134, raWithPrefix));
  (void)events();
  const uint64_t suppressedBefore = pipeline_->decider().counters().eventsSuppressed;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(send(frame), "dropped:ra_guard");
  std::vector<EngineEvent> raised;
  EngineEvent e;
  while (pipeline_->decider().popEvent(e)) {
    if (e.event != tables::EventType::kDeviceNew && e.event != tables::EventType::kRandomizedMac) raised.push_back(e);
  }
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].event, tables::EventType::kRogueRa);
  EXPECT_EQ(raised[0].mac.toString(), kSender);
  EXPECT_NE(raised[0].detail.find("router advertisement from access port lan1"), std::string::npos) << raised[0].detail;
  EXPECT_NE(raised[0].detail.find("router lifetime 1800 s, 1 prefix"), std::string::npos) << raised[0].detail;
  EXPECT_EQ(pipeline_->decider().counters().eventsSuppressed - suppressedBefore, 99u);
}

// Quarantine and IPv6 (docs/policy.md, "Quarantine"): a quarantined device
// reaches nothing over IPv6 either, link-local included (router and
// neighbour solicitation, DAD, MLD, DHCPv6 solicit, unicast to a neighbour).
// The profiler still learns from what it drops, so an IPv6-only eKlient's
// DHCPv6 SOLICIT (vendor class 311 "MSFT 5.0", option request 24,23,17,39)
// classifies it, and from then on its frames pass.
// Requirements: R6a
TEST_F(HostileFramesTest, QuarantineBlocksIpv6LinkLocalButDhcpv6EvidenceClassifies) {
  constexpr std::string_view kStranger = "02:00:00:00:00:66";
  constexpr std::string_view kV6Client = "02:00:00:00:00:67";
  Writer rs, dad, echo;
  rs.u32(0);
  dad.u32(0).ip6("fe80::66");
  echo.u32(0);
  auto solicit = [](bool windows) {
    Writer w;
    w.u8(1).u24(0x77).u16(1).u16(4).u32(0x00030001);
    if (windows) {
      w.u16(16).u16(14).u32(311).u16(8).bytes(Bytes{'M', 'S', 'F', 'T', ' ', '5', '.', '0'});
      w.u16(6).u16(8).u16(24).u16(23).u16(17).u16(39);
    } else {
      w.u16(6).u16(4).u16(23).u16(24);
    }
    return udp(546, 547, w);
  };
  for (std::string_view mac : {kStranger, kV6Client}) {
    const std::vector<std::pair<const char*, Writer>> frames = {
        {"router solicitation",
         v6Frame("33:33:00:00:00:02", mac, "fe80::66", "ff02::2", kIpProtoIcmpv6, icmpv6(133, rs))},
        {"DAD neighbour solicitation",
         v6Frame("33:33:ff:00:00:66", mac, "::", "ff02::1:ff00:66", kIpProtoIcmpv6, icmpv6(135, dad))},
        {"MLDv2 report", mldReport(mac)},
        {"echo to a neighbour's link-local address",
         v6Frame(kKnown, mac, "fe80::66", "fe80::2", kIpProtoIcmpv6, icmpv6(128, echo))},
        {"DHCPv6 SOLICIT without a known fingerprint",
         v6Frame("33:33:00:01:00:02", mac, "fe80::66", "ff02::1:2", kIpProtoUdp, solicit(false))},
    };
    for (const auto& [what, frame] : frames) EXPECT_EQ(send(frame, "lan2"), "dropped:quarantine") << mac << " " << what;
  }
  Explanation why;
  EXPECT_EQ(
      send(v6Frame("33:33:00:01:00:02", kV6Client, "fe80::67", "ff02::1:2", kIpProtoUdp, solicit(true)), "lan2", &why),
      "forwarded")
      << ::testing::PrintToString(why.steps);
  EXPECT_EQ(pipeline_->decider().lastZone(), policy_->findZone("office"));
  EXPECT_EQ(send(v6Frame("33:33:00:00:00:02", kV6Client, "fe80::67", "ff02::2", kIpProtoIcmpv6, icmpv6(133, rs)), "lan2"),
            "forwarded");
  EXPECT_EQ(send(v6Frame("33:33:00:00:00:02", kStranger, "fe80::66", "ff02::2", kIpProtoIcmpv6, icmpv6(133, rs)), "lan2"),
            "dropped:quarantine");
}

}  // namespace
}  // namespace portvakt::engine
