// Table-driven parser tests: a description, a frame from the builder, the
// fields that must come out and the anomaly (if any) that must be reported.

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::packet {
namespace {

using namespace testing;

struct Case {
  std::string description;
  Bytes frame;
  std::function<void(const ParsedFrame&)> expect;
  std::optional<Anomaly> anomaly;  // nullopt: the frame must be clean
  uint32_t wireLength = 0;
};

std::string mac(const MacAddress& m) { return m.toString(); }

std::vector<Case> cases() {
  std::vector<Case> t;

  t.push_back({"DHCPDISCOVER from a Windows eKlient", dhcpDiscoverFrame().data,
               [](const ParsedFrame& f) {
                 EXPECT_TRUE(f.has(Layer::kEthernet) && f.has(Layer::kIpv4) && f.has(Layer::kUdp) && f.has(Layer::kDhcp));
                 EXPECT_EQ(mac(f.eth.src), "00:15:5d:01:02:03");
                 EXPECT_EQ(mac(f.eth.dst), "ff:ff:ff:ff:ff:ff");
                 EXPECT_EQ(f.eth.etherType, 0x0800);
                 EXPECT_EQ(f.ip.src.toString(), "0.0.0.0");
                 EXPECT_EQ(f.ip.dst.toString(), "255.255.255.255");
                 EXPECT_EQ(f.ip.protocol, 17);
                 EXPECT_EQ(f.l4.srcPort, 68);
                 EXPECT_EQ(f.l4.dstPort, 67);
                 EXPECT_EQ(f.dhcp.op, 1);
                 EXPECT_EQ(f.dhcp.xid, 0xdeadbeefu);
                 EXPECT_EQ(mac(f.dhcp.chaddr), "00:15:5d:01:02:03");
                 EXPECT_EQ(f.dhcp.messageType, 1);
                 EXPECT_EQ(f.dhcp.vendorClass, "MSFT 5.0");
                 EXPECT_EQ(f.dhcp.hostname, "EK-PC-0042");
                 EXPECT_TRUE(f.dhcp.hasRequestedIp);
                 EXPECT_EQ(f.dhcp.requestedIp.toString(), "192.168.10.23");
                 EXPECT_EQ(hexOf(f.dhcp.parameterList), "0103060f1f212b2c2e2f7779f9fc");
                 EXPECT_EQ(hexOf(f.dhcp.clientId), "0100155d010203");
                 EXPECT_EQ(asText(f.dhcp.circuitId), "Gi05");
                 EXPECT_EQ(asText(f.dhcp.remoteId), "sw1");
                 ASSERT_EQ(f.dhcp.optionCount, 8);
                 EXPECT_EQ(f.dhcp.optionOrder[0], 53);
                 EXPECT_EQ(f.dhcp.optionOrder[7], 82);
               },
               std::nullopt});

  t.push_back({"DHCPOFFER from a server", dhcpOfferFrame().data,
               [](const ParsedFrame& f) {
                 EXPECT_EQ(f.dhcp.op, 2);
                 EXPECT_EQ(f.dhcp.messageType, 2);
                 EXPECT_EQ(f.dhcp.yiaddr.toString(), "192.168.10.23");
                 EXPECT_TRUE(f.dhcp.hasServerId);
                 EXPECT_EQ(f.dhcp.serverId.toString(), "192.168.10.1");
                 EXPECT_EQ(f.dhcp.router.toString(), "192.168.10.1");
                 EXPECT_EQ(f.dhcp.subnetMask.toString(), "255.255.255.0");
                 EXPECT_EQ(f.dhcp.leaseTime, 86400u);
                 EXPECT_EQ(f.dhcp.domainName, "clinic.local");
               },
               std::nullopt});

  {
    // Option 53 must be one byte long.
    Bytes frame = ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                           ipv4("0.0.0.0", "255.255.255.255", kIpProtoUdp,
                                udp(68, 67, dhcp(1, 1, kPcMac, {dhcpOption(53, Bytes{1, 2}), dhcpOption(12, "pc")}))))
                      .data;
    t.push_back({"DHCP option with a wrong length is flagged, later options still read", frame,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.dhcp.hostname, "pc"); }, Anomaly::kDhcpBadOptionLength});
  }
  {
    Writer bootp = dhcp(1, 1, kPcMac, {});
    bootp.data[236] = 0;  // break the magic cookie
    Bytes frame =
        ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("0.0.0.0", "255.255.255.255", kIpProtoUdp, udp(68, 67, bootp)))
            .data;
    t.push_back({"BOOTP without the DHCP cookie keeps the fixed header", frame,
                 [](const ParsedFrame& f) {
                   EXPECT_TRUE(f.has(Layer::kDhcp));
                   EXPECT_EQ(mac(f.dhcp.chaddr), "00:15:5d:01:02:03");
                   EXPECT_FALSE(f.dhcp.hasCookie);
                 },
                 Anomaly::kDhcpBadCookie});
  }

  t.push_back({"LLDP-MED from an IP phone", lldpMedPhoneFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kLldp));
                 const LldpInfo& l = f.lldp;
                 EXPECT_EQ(l.chassisIdSubtype, 4);
                 EXPECT_EQ(hexOf(l.chassisId), "805ec0112233");
                 EXPECT_EQ(l.portIdSubtype, 3);
                 EXPECT_EQ(l.ttl, 120);
                 EXPECT_EQ(l.systemName, "SIP-T54W");
                 EXPECT_EQ(l.systemDescription, "Yealink SIP-T54W 96.86.0.70");
                 EXPECT_EQ(l.capabilities, 0x24);
                 EXPECT_TRUE(l.hasMed);
                 EXPECT_EQ(l.medCapabilities, 0x33);
                 EXPECT_EQ(l.medDeviceType, 3);
                 ASSERT_EQ(l.policyCount, 2);
                 const LldpNetworkPolicy* voice = l.policyFor(MedApplication::kVoice);
                 ASSERT_NE(voice, nullptr);
                 EXPECT_TRUE(voice->tagged);
                 EXPECT_FALSE(voice->unknown);
                 EXPECT_EQ(voice->vlanId, 20);
                 EXPECT_EQ(voice->priority, 5);
                 EXPECT_EQ(voice->dscp, 46);
                 ASSERT_NE(l.policyFor(MedApplication::kVoiceSignaling), nullptr);
                 EXPECT_EQ(l.policyFor(MedApplication::kVoiceSignaling)->dscp, 26);
                 EXPECT_EQ(l.hardwareRevision, "T54W-HW-1");
                 EXPECT_EQ(l.softwareRevision, "96.86.0.70");
                 EXPECT_EQ(l.serialNumber, "8011223344");
                 EXPECT_EQ(l.manufacturer, "Yealink");
                 EXPECT_EQ(l.modelName, "SIP-T54W");
                 EXPECT_TRUE(l.hasPortVlanId);
                 EXPECT_EQ(l.portVlanId, 1);
                 EXPECT_TRUE(l.hasEnd);
               },
               std::nullopt});
  {
    Writer tlvs;
    Writer big;
    big.zeros(20);
    tlvs.append(lldpTlv(1, text("\x07"
                                "sw1")))
        .append(lldpTlv(2, text("\x05"
                                "ge1")))
        .append(lldpTlv(3, u16Value(120)));
    tlvs.append(lldpTlv(5, text("name")));
    tlvs.u16(static_cast<uint16_t>((6 << 9) | 100)).str("short");  // claims 100 bytes, has 5
    t.push_back({"LLDP TLV longer than the frame: earlier TLVs kept",
                 ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs).data,
                 [](const ParsedFrame& f) {
                   EXPECT_EQ(f.lldp.systemName, "name");
                   EXPECT_EQ(asText(f.lldp.chassisId), "sw1");
                   EXPECT_EQ(f.lldp.systemDescription, "");
                 },
                 Anomaly::kLldpTlvOverrun});
  }
  {
    Writer tlvs;
    tlvs.append(lldpTlv(1, text("\x07"
                                "sw1")))
        .append(lldpTlv(2, text("\x05"
                                "ge1")))
        .append(lldpTlv(3, u16Value(120)));
    for (int i = 0; i < 100; ++i) tlvs.append(lldpTlv(4, text("p")));
    t.push_back({"LLDP with more TLVs than the cap", ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs).data,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.lldp.tlvCount, kMaxLldpTlvs); }, Anomaly::kLldpTooManyTlvs});
  }
  {
    Writer tlvs;
    tlvs.append(lldpTlv(5, text("name"))).append(lldpTlv(0, Writer{}));
    t.push_back({"LLDP without chassis/port/TTL first",
                 ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs).data,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.lldp.systemName, "name"); }, Anomaly::kLldpMissingMandatory});
  }
  {
    Writer tlvs;
    Writer shortPolicy;
    shortPolicy.u16(0x0102);
    tlvs.append(lldpTlv(1, text("\x07"
                                "sw1")))
        .append(lldpTlv(2, text("\x05"
                                "ge1")))
        .append(lldpTlv(3, u16Value(120)));
    tlvs.append(lldpOrgTlv(kOuiTiaMed, 2, shortPolicy)).append(lldpTlv(0, Writer{}));
    t.push_back({"LLDP-MED network policy too short", ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs).data,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.lldp.policyCount, 0); }, Anomaly::kLldpBadTlvLength});
  }

  t.push_back({"CDP from a Cisco phone", cdpPhoneFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kCdp));
                 EXPECT_TRUE(f.has(Layer::kSnap));
                 EXPECT_EQ(f.eth.encapsulation, Encapsulation::kSnap);
                 EXPECT_EQ(f.cdp.version, 2);
                 EXPECT_EQ(f.cdp.deviceId, "SEP0021A0B1C2D3");
                 EXPECT_EQ(f.cdp.platform, "Cisco IP Phone 7841");
                 EXPECT_EQ(f.cdp.portId, "Port 1");
                 EXPECT_EQ(f.cdp.softwareVersion, "SIP78xx.14-1-1");
                 EXPECT_EQ(f.cdp.capabilities, 0x490u);
                 EXPECT_TRUE(f.cdp.hasAddress);
                 EXPECT_EQ(f.cdp.address.toString(), "192.168.20.31");
                 EXPECT_TRUE(f.cdp.hasNativeVlan);
                 EXPECT_EQ(f.cdp.nativeVlan, 10);
                 EXPECT_TRUE(f.cdp.hasVoiceVlanQuery);
                 EXPECT_FALSE(f.cdp.hasVoiceVlan);
               },
               std::nullopt});
  t.push_back({"CDP from a switch with the voice VLAN", cdpSwitchFrame().data,
               [](const ParsedFrame& f) {
                 EXPECT_EQ(f.cdp.platform, "cisco WS-C2960X-24PS-L");
                 EXPECT_TRUE(f.cdp.hasVoiceVlan);
                 EXPECT_EQ(f.cdp.voiceVlan, 20);
               },
               std::nullopt});
  {
    Writer cdp;
    cdp.u8(2).u8(180).u16(0).u16(1).u16(2);  // TLV length 2 < 4
    t.push_back({"CDP TLV length below its header",
                 ethernetSnap("01:00:0c:cc:cc:cc", kSwitchMac, kOuiCisco, kSnapPidCdp, cdp).data, nullptr,
                 Anomaly::kCdpBadTlvLength});
  }

  t.push_back({"ARP request in QinQ", arpRequestFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_EQ(f.eth.tagCount, 2);
                 EXPECT_EQ(f.eth.tags[0].tpid, 0x88a8);
                 EXPECT_EQ(f.eth.tags[0].vid, 100);
                 EXPECT_EQ(f.eth.tags[1].tpid, 0x8100);
                 EXPECT_EQ(f.eth.tags[1].vid, 10);
                 EXPECT_EQ(f.eth.outerVid(), 100);
                 EXPECT_EQ(f.eth.innerVid(), 10);
                 EXPECT_EQ(f.eth.etherType, 0x0806);
                 ASSERT_TRUE(f.has(Layer::kArp));
                 EXPECT_EQ(f.arp.operation, 1);
                 EXPECT_EQ(mac(f.arp.senderMac), "00:15:5d:01:02:03");
                 EXPECT_EQ(f.arp.senderIp.toString(), "192.168.10.23");
                 EXPECT_EQ(f.arp.targetIp.toString(), "192.168.10.1");
               },
               std::nullopt});
  {
    Writer arp;
    arp.u16(1).u16(0x0800).u8(6).u8(16).u16(1).zeros(44);
    t.push_back({"ARP with non-IPv4 address length", ethernet(kBroadcast, kPcMac, kEtherTypeArp, arp).data,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.arp.protocolLength, 16); }, Anomaly::kArpUnsupportedFormat});
  }
  {
    std::vector<std::pair<uint16_t, uint16_t>> tags(6, {0x8100, 5});
    t.push_back({"six stacked VLAN tags stop at the cap",
                 ethernet(kBroadcast, kPcMac, kEtherTypeArp, arpRequestFrame(), tags).data,
                 [](const ParsedFrame& f) {
                   EXPECT_EQ(f.eth.tagCount, kMaxVlanTags);
                   EXPECT_FALSE(f.has(Layer::kArp));
                 },
                 Anomaly::kEthTooManyTags});
  }
  t.push_back(
      {"runt frame", Bytes{1, 2, 3}, [](const ParsedFrame& f) { EXPECT_EQ(f.layers, 0u); }, Anomaly::kEthTruncated});

  t.push_back({"IPv6 neighbour solicitation with source link-layer address", neighborSolicitFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kIpv6) && f.has(Layer::kIcmpv6) && f.has(Layer::kNeighborDiscovery));
                 EXPECT_EQ(f.ip.src.toString(), "fe80::215:5dff:fe01:203");
                 EXPECT_EQ(f.ip.dst.toString(), "ff02::1:ff00:1");
                 EXPECT_EQ(f.l4.icmpType, 135);
                 EXPECT_EQ(f.nd.target.toString(), "fe80::1");
                 EXPECT_TRUE(f.nd.hasSourceLinkAddress);
                 EXPECT_EQ(mac(f.nd.sourceLinkAddress), "00:15:5d:01:02:03");
               },
               std::nullopt});
  {
    Writer icmp;
    icmp.u8(135).u8(0).u16(0).u32(0).ip6("fe80::1").u8(1).u8(0).zeros(6);
    t.push_back({"ND option with length zero",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", kIpProtoIcmpv6, icmp)).data,
                 [](const ParsedFrame& f) { EXPECT_TRUE(f.nd.hasTarget); }, Anomaly::kIcmpv6NdOptionZeroLength});
  }
  {
    // Ten destination-options headers, then UDP.
    Writer chain;
    for (int i = 0; i < 10; ++i) chain.u8(i == 9 ? kIpProtoUdp : 60).u8(0).zeros(6);
    chain.append(udp(1000, 2000, text("x")));
    t.push_back({"IPv6 extension chain longer than the cap",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 60, chain)).data,
                 [](const ParsedFrame& f) {
                   EXPECT_EQ(f.ip.extHeaderCount, kMaxIpv6ExtHeaders);
                   EXPECT_FALSE(f.has(Layer::kUdp));
                 },
                 Anomaly::kIpv6TooManyExtHeaders});
  }
  {
    Writer chain;
    chain.u8(kIpProtoUdp).u8(0).zeros(6);  // hop-by-hop
    chain.append(udp(546, 547, text("")));
    t.push_back({"IPv6 hop-by-hop then UDP",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1:2", 0, chain)).data,
                 [](const ParsedFrame& f) {
                   EXPECT_EQ(f.ip.protocol, kIpProtoUdp);
                   EXPECT_EQ(f.ip.extHeaderCount, 1);
                   EXPECT_EQ(f.l4.dstPort, 547);
                 },
                 Anomaly::kDhcpv6Truncated});
  }
  {
    // RA guard reads the ICMPv6 type of a first fragment (no reassembly).
    Writer frag;
    frag.u8(kIpProtoIcmpv6).u8(0).u16(1).u32(9).u8(134).u8(0).u16(0).u8(64).u8(0xc0).u16(1800).zeros(8);
    t.push_back({"IPv6 first fragment of a router advertisement: the ICMPv6 type, not the body",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 44, frag)).data,
                 [](const ParsedFrame& f) {
                   EXPECT_TRUE(f.ip.firstFragment());
                   EXPECT_TRUE(f.has(Layer::kIcmpv6));
                   EXPECT_EQ(f.l4.icmpType, 134);
                   EXPECT_FALSE(f.has(Layer::kNeighborDiscovery));
                 },
                 std::nullopt});
  }
  for (uint8_t upper : {kIpProtoIcmpv6, kIpProtoUdp, kIpProtoTcp}) {
    // RFC 7113's evasion: destination options fill the first fragment, the
    // upper-layer header is in the second.
    Writer frag;
    frag.u8(60).u8(0).u16(1).u32(9).u8(upper).u8(1).u8(1).u8(12).zeros(12);
    t.push_back({"IPv6 first fragment that ends before its upper-layer header (protocol " + std::to_string(upper) + ")",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 44, frag)).data,
                 [upper](const ParsedFrame& f) {
                   EXPECT_EQ(f.ip.protocol, upper);
                   EXPECT_EQ(f.ip.extHeaderCount, 2);
                   EXPECT_TRUE(f.anomalies.contains(Anomaly::kIpv6IncompleteHeaderChain));
                   EXPECT_FALSE(f.has(Layer::kIcmpv6) || f.has(Layer::kUdp) || f.has(Layer::kTcp));
                 },
                 upper == kIpProtoIcmpv6 ? Anomaly::kIcmpv6Truncated
                 : upper == kIpProtoUdp  ? Anomaly::kUdpTruncated
                                         : Anomaly::kTcpTruncated});
  }
  {
    Writer reply;
    reply.u8(7).u24(0x42).u16(2).u16(2).u16(0xabcd);
    Writer relay;
    relay.u8(13).u8(0).ip6("2001:db8::1").ip6("fe80::2").u16(9).u16(static_cast<uint16_t>(reply.size())).append(reply);
    t.push_back(
        {"DHCPv6 RELAY-REPL around a REPLY: outer and inner message types",
         ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::1", "fe80::2", kIpProtoUdp, udp(547, 547, relay))).data,
         [](const ParsedFrame& f) {
           ASSERT_TRUE(f.has(Layer::kDhcpv6));
           EXPECT_EQ(f.dhcpv6.outerMessageType, 13);
           EXPECT_EQ(f.dhcpv6.messageType, 7);
           EXPECT_EQ(f.dhcpv6.relayDepth, 1);
           EXPECT_EQ(hexOf(f.dhcpv6.serverId), "abcd");
         },
         std::nullopt});
  }
  {
    Writer frag;
    frag.u8(kIpProtoUdp).u8(0).u16(185 << 3).u32(7).zeros(16);
    t.push_back({"IPv6 non-first fragment: no transport parse",
                 ethernet(kBroadcast, kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 44, frag)).data,
                 [](const ParsedFrame& f) {
                   EXPECT_TRUE(f.ip.fragmented);
                   EXPECT_EQ(f.ip.fragmentOffset, 1480u);
                   EXPECT_EQ(f.ip.identification, 7u);
                   EXPECT_FALSE(f.has(Layer::kUdp));
                 },
                 std::nullopt});
  }
  {
    Bytes frame = ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                           ipv4("10.0.0.1", "10.0.0.2", kIpProtoUdp, udp(68, 67, text("xx")), 0x2000))
                      .data;
    t.push_back({"IPv4 first fragment: ports but no application", frame,
                 [](const ParsedFrame& f) {
                   EXPECT_TRUE(f.ip.firstFragment());
                   EXPECT_TRUE(f.ip.moreFragments);
                   EXPECT_EQ(f.l4.dstPort, 67);
                   EXPECT_FALSE(f.has(Layer::kDhcp));
                 },
                 std::nullopt});
  }
  {
    Bytes frame = ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                           ipv4("10.0.0.1", "10.0.0.2", kIpProtoIcmp, Writer().bytes(Bytes{8, 0, 0, 0, 'a', 'b'}), 0,
                                Bytes{0x94, 0x04, 0, 0, 0x01, 0x07, 0x03, 0x04}))
                      .data;
    t.push_back({"IPv4 with router-alert option and ICMP echo", frame,
                 [](const ParsedFrame& f) {
                   EXPECT_EQ(f.ip.headerLength, 28);
                   EXPECT_TRUE(f.ip.routerAlert);
                   EXPECT_EQ(f.l4.icmpType, 8);
                 },
                 std::nullopt});
  }
  {
    Bytes frame = ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                           ipv4("10.0.0.1", "10.0.0.2", kIpProtoTcp, text(""), 0, Bytes{0x07, 0x09, 0, 0}))
                      .data;
    t.push_back({"IPv4 option running past the header", frame,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.ip.dst.toString(), "10.0.0.2"); }, Anomaly::kIpv4OptionOverrun});
  }
  {
    Bytes frame =
        ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("10.0.0.1", "10.0.0.2", kIpProtoUdp, udp(1, 2, text("abc"))))
            .data;
    frame[16] = 0x01;  // total length 0x01xx: far beyond the frame
    t.push_back({"IPv4 total length beyond the frame", frame, [](const ParsedFrame& f) { EXPECT_EQ(f.l4.dstPort, 2); },
                 Anomaly::kIpv4TotalLengthOverrun});
    t.push_back({"... but not when the capture was snapped", frame,
                 [](const ParsedFrame& f) { EXPECT_EQ(f.l4.dstPort, 2); }, std::nullopt, 2000});
  }
  {
    Bytes frame =
        ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("10.0.0.1", "10.0.0.2", kIpProtoUdp, udp(1, 2, text("abc"))))
            .data;
    frame[14] = 0x65;  // version 6 in an IPv4 ethertype
    t.push_back({"IPv4 ethertype with version 6", frame, nullptr, Anomaly::kIpv4BadVersion});
  }
  {
    Bytes frame = ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                           ipv4("10.0.0.1", "10.0.0.2", kIpProtoTcp, tcp(40000, 443, 0x02, text(""))))
                      .data;
    t.push_back({"TCP SYN", frame,
                 [](const ParsedFrame& f) {
                   EXPECT_TRUE(f.has(Layer::kTcp));
                   EXPECT_EQ(f.l4.srcPort, 40000);
                   EXPECT_EQ(f.l4.dstPort, 443);
                   EXPECT_EQ(f.l4.tcpFlags, 0x02);
                 },
                 std::nullopt});
    frame[14 + 20 + 12] = 0x30;  // data offset 3 words
    t.push_back({"TCP data offset below 5", frame, [](const ParsedFrame& f) { EXPECT_EQ(f.l4.dstPort, 443); },
                 Anomaly::kTcpBadHeaderLength});
  }

  t.push_back({"SIP REGISTER over UDP in the voice VLAN", sipRegisterFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kSip));
                 EXPECT_EQ(f.eth.outerVid(), 20);
                 EXPECT_TRUE(f.sip.isRequest);
                 EXPECT_EQ(f.sip.method, "REGISTER");
                 EXPECT_EQ(f.sip.requestUri, "sip:pbx.clinic.local");
                 EXPECT_EQ(f.sip.userAgent, "Yealink SIP-T54W 96.86.0.70");
                 EXPECT_EQ(f.sip.from, "\"Reception\" <sip:201@pbx.clinic.local>;tag=abc");
                 EXPECT_EQ(f.sip.to, "<sip:201@pbx.clinic.local>");
                 EXPECT_EQ(f.sip.contact, "<sip:201@192.168.20.31:5060>");
                 EXPECT_EQ(f.sip.callId, "1234@192.168.20.31");
                 EXPECT_EQ(f.sip.cseq, "1 REGISTER");
               },
               std::nullopt});
  t.push_back({"SIP REGISTER over TCP", sipRegisterFrame(true).data,
               [](const ParsedFrame& f) {
                 EXPECT_TRUE(f.has(Layer::kTcp));
                 EXPECT_EQ(f.sip.userAgent, "Yealink SIP-T54W 96.86.0.70");
               },
               std::nullopt});
  t.push_back({"SIP 200 OK from the PBX", sipResponseFrame().data,
               [](const ParsedFrame& f) {
                 EXPECT_FALSE(f.sip.isRequest);
                 EXPECT_EQ(f.sip.statusCode, 200);
                 EXPECT_EQ(f.sip.reason, "OK");
                 EXPECT_EQ(f.sip.server, "Asterisk PBX 18.2.0");
               },
               std::nullopt});
  {
    Bytes frame = ethernet(kSwitchMac, kPhoneMac, kEtherTypeIpv4,
                           ipv4("10.0.0.1", "10.0.0.2", kIpProtoUdp, udp(5060, 5060, text("HELLO WORLD\r\n\r\n"))))
                      .data;
    t.push_back({"garbage on the SIP port", frame, nullptr, Anomaly::kSipBadStartLine});
  }

  t.push_back({"mDNS printer announcement with compression", mdnsPrinterFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kMdns));
                 const DnsInfo& d = f.mdns;
                 EXPECT_TRUE(d.isResponse);
                 EXPECT_EQ(d.answerCount, 3);
                 ASSERT_EQ(d.services.count, 1);
                 EXPECT_EQ(d.at(d.services, 0), "_ipp._tcp.local");
                 ASSERT_EQ(d.instances.count, 1);
                 EXPECT_EQ(d.at(d.instances, 0), "Office Printer._ipp._tcp.local");
                 ASSERT_EQ(d.hosts.count, 1);
                 EXPECT_EQ(d.at(d.hosts, 0), "printer.local");
                 ASSERT_EQ(d.ptrTargets.count, 1);
               },
               std::nullopt});
  {
    // A name that points at itself.
    Writer dns;
    dns.u16(0).u16(0).u16(1).u16(0).u16(0).u16(0).u8(0xc0).u8(12).u16(12).u16(1);
    t.push_back(
        {"mDNS compression pointer loop",
         ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("10.0.0.1", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)))
             .data,
         nullptr, Anomaly::kDnsPointerLoop});
  }
  {
    Writer dns;
    dns.u16(0).u16(0).u16(1).u16(0).u16(0).u16(0).u8(0x40).u8(1).u16(12).u16(1);
    t.push_back(
        {"mDNS reserved label type",
         ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("10.0.0.1", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)))
             .data,
         nullptr, Anomaly::kDnsBadLabel});
  }
  {
    Writer dns;
    dns.u16(0).u16(0).u16(200).u16(0).u16(0).u16(0);
    for (int i = 0; i < 200; ++i) dns.u8(0).u16(12).u16(1);
    t.push_back(
        {"mDNS with more records than the cap",
         ethernet(kBroadcast, kPcMac, kEtherTypeIpv4, ipv4("10.0.0.1", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)))
             .data,
         [](const ParsedFrame& f) { EXPECT_EQ(f.mdns.queries.count, kMaxDnsNamesPerList); },
         Anomaly::kDnsTooManyRecords});
  }

  t.push_back({"SSDP NOTIFY from a printer", ssdpNotifyFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kSsdp));
                 EXPECT_TRUE(f.ssdp.isRequest);
                 EXPECT_EQ(f.ssdp.method, "NOTIFY");
                 EXPECT_EQ(f.ssdp.server, "Linux/4.9 UPnP/1.0 HP-LaserJet/1.0");
                 EXPECT_EQ(f.ssdp.nt, "urn:schemas-upnp-org:device:Printer:1");
                 EXPECT_EQ(f.ssdp.nts, "ssdp:alive");
                 EXPECT_EQ(f.ssdp.location, "http://192.168.10.60:80/description.xml");
               },
               std::nullopt});

  t.push_back({"EAPOL EAP-Response/Identity", eapolIdentityFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kEapol));
                 EXPECT_EQ(f.eapol.type, 0);
                 EXPECT_TRUE(f.eapol.hasEap);
                 EXPECT_EQ(f.eapol.eapCode, 2);
                 EXPECT_EQ(f.eapol.eapType, 1);
                 EXPECT_EQ(f.eapol.identity, "host/EK-PC-042");
               },
               std::nullopt});

  t.push_back({"DHCPv6 SOLICIT with vendor class, FQDN and ORO", dhcpv6SolicitFrame().data,
               [](const ParsedFrame& f) {
                 ASSERT_TRUE(f.has(Layer::kDhcpv6));
                 const Dhcpv6Info& d = f.dhcpv6;
                 EXPECT_EQ(d.messageType, 1);
                 EXPECT_EQ(d.transactionId, 0x123456u);
                 EXPECT_EQ(hexOf(d.clientId), "000100012a2b2c2d00155d010203");
                 EXPECT_TRUE(d.hasVendorClass);
                 EXPECT_EQ(d.vendorClassEnterprise, 311u);
                 EXPECT_EQ(d.vendorClass, "MSFT 5.0");
                 EXPECT_TRUE(d.hasFqdn);
                 EXPECT_EQ(d.fqdn.view(), "EK-PC-0042.clinic.local");
                 ASSERT_EQ(d.requestedOptionCount, 4);
                 EXPECT_EQ(d.requestedOptions[3], 39);
               },
               std::nullopt});
  return t;
}

TEST(PacketParserTable, EveryCase) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.description);
    ParsedFrame frame;
    parseFrame(c.frame, frame, c.wireLength);
    if (c.expect) c.expect(frame);
    if (c.anomaly) {
      EXPECT_TRUE(frame.anomalies.contains(*c.anomaly)) << "missing " << anomalyName(*c.anomaly);
    } else {
      std::string names;
      frame.anomalies.forEach([&](Anomaly a) { names += std::string(anomalyName(a)) + " "; });
      EXPECT_TRUE(frame.anomalies.empty()) << "unexpected anomalies: " << names;
    }
  }
}

// Cut each sample frame at every byte offset: the parser must not read past
// the cut (ASan checks that in the sanitizer build) and must report the
// anomaly of the layer the cut falls in. The capture is marked as snapped
// (wireLength = full length) so that length fields do not fire first.
TEST(PacketParserTruncation, EveryOffsetOfEverySample) {
  for (const NamedFrame& sample : markedFrames()) {
    const Bytes& full = sample.frame.data;
    {
      SCOPED_TRACE(sample.name);
      ParsedFrame whole;
      parseFrame(full, whole);
      EXPECT_TRUE(whole.anomalies.empty()) << "the full frame must be clean";
    }
    for (size_t n = 0; n < full.size(); ++n) {
      SCOPED_TRACE(std::string(sample.name) + " cut at " + std::to_string(n) + " of " + std::to_string(full.size()));
      // A copy of exactly n bytes, so ASan sees a read past the cut.
      Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      ParsedFrame frame;
      parseFrame(prefix, frame, static_cast<uint32_t>(full.size()));
      std::optional<Anomaly> expected = sample.frame.expectedAt(n);
      if (expected) {
        std::string names;
        frame.anomalies.forEach([&](Anomaly a) { names += std::string(anomalyName(a)) + " "; });
        EXPECT_TRUE(frame.anomalies.contains(*expected)) << "expected " << anomalyName(*expected) << ", got: " << names;
      } else {
        EXPECT_TRUE(frame.anomalies.empty()) << "expected a clean cut, got " << anomalyName(*frame.anomalies.first());
      }
      // Also unsnapped: must not crash, and a cut IP frame is always flagged.
      ParsedFrame unsnapped;
      parseFrame(prefix, unsnapped);
      if (unsnapped.has(Layer::kIpv4) || unsnapped.has(Layer::kIpv6)) {
        EXPECT_FALSE(unsnapped.anomalies.empty());
      }
    }
  }
}

}  // namespace
}  // namespace portvakt::packet
