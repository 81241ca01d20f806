#pragma once
// Frames of clinic devices for the profiler tests, built with the packet
// tests' frame builder, with the source MAC and traits as parameters.

#include <memory>
#include <string>
#include <vector>

#include "dataplane/packet/frame.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::fingerprint::testing {

using packet::ParsedFrame;
using packet::testing::Bytes;
using packet::testing::Writer;

// Bytes and their parse, kept together (the parse views the bytes).
struct TestFrame {
  Bytes bytes;
  std::unique_ptr<ParsedFrame> parsed = std::make_unique<ParsedFrame>();
  explicit TestFrame(const Writer& w) : bytes(w.data) { packet::parseFrame(bytes, *parsed); }
  const ParsedFrame& operator*() const { return *parsed; }
};

inline TestFrame dhcpFrame(const std::string& src, const std::string& vendorClass, const Bytes& params,
                           const std::string& hostname = "", uint8_t messageType = 1) {
  using namespace packet::testing;
  std::vector<Writer> options = {dhcpOption(53, Bytes{messageType})};
  if (!hostname.empty()) options.push_back(dhcpOption(12, hostname));
  if (!vendorClass.empty()) options.push_back(dhcpOption(60, vendorClass));
  if (!params.empty()) options.push_back(dhcpOption(55, params));
  return TestFrame(
      ethernet("ff:ff:ff:ff:ff:ff", src, packet::kEtherTypeIpv4,
               ipv4("0.0.0.0", "255.255.255.255", packet::kIpProtoUdp, udp(68, 67, dhcp(1, 0x1234, src, options)))));
}

// LLDP with system capabilities, LLDP-MED capabilities (device type 3) and,
// when voiceVlan > 0, a voice network policy on that VLAN.
inline TestFrame lldpFrame(const std::string& src, uint16_t capabilities, uint16_t voiceVlan = 0,
                           uint8_t extraApplication = 0) {
  using namespace packet::testing;
  Writer chassis, port, ttl, caps, medCaps;
  chassis.u8(4).mac(src);
  port.u8(3).mac(src);
  ttl.u16(120);
  caps.u16(capabilities).u16(capabilities);
  medCaps.u16(0x0033).u8(3);
  Writer tlvs;
  tlvs.append(lldpTlv(1, chassis)).append(lldpTlv(2, port)).append(lldpTlv(3, ttl)).append(lldpTlv(7, caps));
  tlvs.append(lldpOrgTlv(packet::kOuiTiaMed, 1, medCaps));
  if (voiceVlan) {
    Writer policy;
    policy.u32((1u << 24) | (1u << 22) | (uint32_t{voiceVlan} << 9) | (5u << 6) | 46u);
    tlvs.append(lldpOrgTlv(packet::kOuiTiaMed, 2, policy));
  }
  if (extraApplication) {
    Writer policy;
    policy.u32((uint32_t{extraApplication} << 24) | (1u << 22) | (30u << 9) | (4u << 6) | 34u);
    tlvs.append(lldpOrgTlv(packet::kOuiTiaMed, 2, policy));
  }
  tlvs.append(lldpTlv(0, Writer{}));
  return TestFrame(ethernet("01:80:c2:00:00:0e", src, packet::kEtherTypeLldp, tlvs));
}

inline TestFrame sipFrame(const std::string& src, const std::string& userAgent) {
  using namespace packet::testing;
  Writer sip;
  sip.str("REGISTER sip:pbx.clinic.local SIP/2.0\r\n")
      .str("Via: SIP/2.0/UDP 192.168.20.31:5060;branch=z9hG4bK1\r\n")
      .str("From: <sip:201@pbx.clinic.local>;tag=abc\r\n")
      .str("User-Agent: " + userAgent + "\r\n")
      .str("Content-Length: 0\r\n\r\n");
  return TestFrame(ethernet("00:1b:54:aa:bb:cc", src, packet::kEtherTypeIpv4,
                            ipv4("192.168.20.31", "192.168.20.1", packet::kIpProtoUdp, udp(5060, 5060, sip))));
}

// An mDNS response announcing one service type (a PTR record).
inline TestFrame mdnsFrame(const std::string& src, const std::string& service, bool response = true) {
  using namespace packet::testing;
  Writer dns;
  dns.u16(0).u16(response ? 0x8400 : 0).u16(0).u16(1).u16(0).u16(0);
  dns.append(dnsName(service + ".local"));
  Writer target = dnsName("Device." + service + ".local");
  dns.u16(12).u16(1).u32(4500).u16(static_cast<uint16_t>(target.size())).append(target);
  return TestFrame(ethernet("01:00:5e:00:00:fb", src, packet::kEtherTypeIpv4,
                            ipv4("192.168.10.50", "224.0.0.251", packet::kIpProtoUdp, udp(5353, 5353, dns))));
}

// Ordinary traffic: carries no trait.
inline TestFrame dataFrame(const std::string& src) {
  using namespace packet::testing;
  Writer payload;
  payload.str("hello");
  return TestFrame(ethernet("00:1b:54:aa:bb:cc", src, packet::kEtherTypeIpv4,
                            ipv4("192.168.10.23", "10.20.0.5", packet::kIpProtoUdp, udp(40000, 443, payload))));
}

}  // namespace portvakt::fingerprint::testing
