#pragma once
// Hand-built frames of the devices a clinic has (an eKlient PC, an IP phone,
// a printer, ...), shared by the parser tests and the fuzz seed generator.
// Every frame carries cut marks (see frame_builder.h).

#include <string>
#include <vector>

#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::packet::testing {

inline constexpr std::string_view kPcMac = "00:15:5d:01:02:03";
inline constexpr std::string_view kPhoneMac = "80:5e:c0:11:22:33";  // Yealink OUI
inline constexpr std::string_view kSwitchMac = "00:1b:54:aa:bb:cc";
inline constexpr std::string_view kBroadcast = "ff:ff:ff:ff:ff:ff";

// Windows 10/11 DHCPDISCOVER: options 53, 61, 50, 12, 60, 55.
inline Writer dhcpDiscoverFrame() {
  std::vector<Writer> options = {
      dhcpOption(53, Bytes{1}),
      dhcpOption(61, Bytes{1, 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03}),
      dhcpOption(50, Bytes{192, 168, 10, 23}),
      dhcpOption(12, "EK-PC-0042"),
      dhcpOption(81, Bytes{0, 0, 0, 'E', 'K'}),
      dhcpOption(60, "MSFT 5.0"),
      dhcpOption(55, Bytes{1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252}),
      dhcpOption(82, Bytes{1, 4, 'G', 'i', '0', '5', 2, 3, 's', 'w', '1'}),
  };
  return ethernet(kBroadcast, kPcMac, kEtherTypeIpv4,
                  ipv4("0.0.0.0", "255.255.255.255", kIpProtoUdp, udp(68, 67, dhcp(1, 0xdeadbeef, kPcMac, options))));
}

// A server's DHCPOFFER (rogue-server detection looks at these).
inline Writer dhcpOfferFrame() {
  std::vector<Writer> options = {
      dhcpOption(53, Bytes{2}),
      dhcpOption(54, Bytes{192, 168, 10, 1}),
      dhcpOption(51, Bytes{0, 1, 81, 128}),
      dhcpOption(1, Bytes{255, 255, 255, 0}),
      dhcpOption(3, Bytes{192, 168, 10, 1}),
      dhcpOption(15, "clinic.local"),
  };
  return ethernet(std::string(kPcMac), kSwitchMac, kEtherTypeIpv4,
                  ipv4("192.168.10.1", "192.168.10.23", kIpProtoUdp,
                       udp(67, 68, dhcp(2, 0xdeadbeef, kPcMac, options, "192.168.10.23"))));
}

// An IP phone's LLDP-MED advertisement: class III endpoint, voice policy on
// VLAN 20 priority 5 DSCP 46, inventory.
inline Writer lldpMedPhoneFrame() {
  Writer chassis, port, ttl, name, desc, caps, medCaps, policy, signalling, hw, sw, serial, maker, model, pvid;
  chassis.u8(4).mac(kPhoneMac);
  port.u8(3).mac(kPhoneMac);
  ttl.u16(120);
  name.str("SIP-T54W");
  desc.str("Yealink SIP-T54W 96.86.0.70");
  caps.u16(0x0024).u16(0x0024);
  medCaps.u16(0x0033).u8(3);
  // app 1 (voice), U=0, T=1, VLAN 20, priority 5, DSCP 46
  policy.u32((1u << 24) | (1u << 22) | (20u << 9) | (5u << 6) | 46u);
  signalling.u32((2u << 24) | (1u << 22) | (20u << 9) | (4u << 6) | 26u);
  hw.str("T54W-HW-1");
  sw.str("96.86.0.70");
  serial.str("8011223344");
  maker.str("Yealink");
  model.str("SIP-T54W");
  pvid.u16(1);
  Writer tlvs;
  tlvs.append(lldpTlv(1, chassis))
      .append(lldpTlv(2, port))
      .append(lldpTlv(3, ttl))
      .append(lldpTlv(5, name))
      .append(lldpTlv(6, desc))
      .append(lldpTlv(7, caps))
      .append(lldpOrgTlv(kOuiTiaMed, 1, medCaps))
      .append(lldpOrgTlv(kOuiTiaMed, 2, policy))
      .append(lldpOrgTlv(kOuiTiaMed, 2, signalling))
      .append(lldpOrgTlv(kOuiTiaMed, 5, hw))
      .append(lldpOrgTlv(kOuiTiaMed, 7, sw))
      .append(lldpOrgTlv(kOuiTiaMed, 8, serial))
      .append(lldpOrgTlv(kOuiTiaMed, 9, maker))
      .append(lldpOrgTlv(kOuiTiaMed, 10, model))
      .append(lldpOrgTlv(kOuiIeee8021, 1, pvid))
      .append(lldpTlv(0, Writer{}));
  return ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs);
}

// A Cisco phone's CDP: device id, address, port, capabilities (phone),
// platform, native VLAN, VoIP VLAN query.
inline Writer cdpPhoneFrame() {
  Writer cdp;
  cdp.mark(Anomaly::kCdpTruncated).u8(2).u8(180).u16(0);
  Writer addresses;
  addresses.u32(1).u8(1).u8(1).u8(0xcc).u16(4).ip4("192.168.20.31");
  Writer caps;
  caps.u32(0x00000490);
  Writer query;
  query.u8(1).u16(0);
  cdp.append(cdpTlv(0x01, text("SEP0021A0B1C2D3")))
      .append(cdpTlv(0x02, addresses))
      .append(cdpTlv(0x03, text("Port 1")))
      .append(cdpTlv(0x04, caps))
      .append(cdpTlv(0x05, text("SIP78xx.14-1-1")))
      .append(cdpTlv(0x06, text("Cisco IP Phone 7841")))
      .append(cdpTlv(0x0a, u16Value(10)))
      .append(cdpTlv(0x0f, query));
  return ethernetSnap("01:00:0c:cc:cc:cc", "00:21:a0:b1:c2:d3", kOuiCisco, kSnapPidCdp, cdp);
}

// The switch's CDP answer with the voice VLAN (TLV 0x0e).
inline Writer cdpSwitchFrame() {
  Writer cdp;
  cdp.mark(Anomaly::kCdpTruncated).u8(2).u8(180).u16(0);
  Writer voice;
  voice.u8(1).u16(20);
  cdp.append(cdpTlv(0x01, text("sw-clinic-1")))
      .append(cdpTlv(0x06, text("cisco WS-C2960X-24PS-L")))
      .append(cdpTlv(0x0a, u16Value(10)))
      .append(cdpTlv(0x0e, voice));
  return ethernetSnap("01:00:0c:cc:cc:cc", kSwitchMac, kOuiCisco, kSnapPidCdp, cdp);
}

// ICMPv6 neighbour solicitation with a source link-layer address option.
inline Writer neighborSolicitFrame() {
  Writer icmp;
  icmp.mark(Anomaly::kIcmpv6Truncated).u8(135).u8(0).u16(0).u32(0).ip6("fe80::1");
  icmp.clean().u8(1).mark(Anomaly::kIcmpv6NdOptionOverrun).u8(1).mac(kPcMac);
  return ethernet("33:33:ff:00:00:01", kPcMac, kEtherTypeIpv6,
                  ipv6("fe80::215:5dff:fe01:203", "ff02::1:ff00:1", kIpProtoIcmpv6, icmp));
}

// mDNS response from a printer: PTR _ipp._tcp.local -> "Office Printer" (with
// a compression pointer), SRV for the instance, A for the host.
inline Writer mdnsPrinterFrame() {
  Writer dns;
  dns.mark(Anomaly::kDnsTruncated).u16(0).u16(0x8400).u16(0).u16(3).u16(0).u16(0);
  // Answer 1: PTR. The owner name starts at offset 12.
  const size_t serviceOffset = dns.size();
  dns.mark(Anomaly::kDnsNameOverrun).append(dnsName("_ipp._tcp.local"));
  dns.mark(Anomaly::kDnsTruncated).u16(12).u16(1).u32(4500);
  const std::string instanceLabel = "Office Printer";
  dns.u16(static_cast<uint16_t>(1 + instanceLabel.size() + 2));
  dns.mark(Anomaly::kDnsRdataOverrun);
  const size_t instanceOffset = dns.size();
  dns.u8(static_cast<uint8_t>(instanceLabel.size())).str(instanceLabel).u8(0xc0).u8(static_cast<uint8_t>(serviceOffset));
  // Answer 2: SRV, owner = pointer to the instance name, target printer.local
  // with "local" by pointer.
  const size_t localOffset = serviceOffset + 1 + 4 + 1 + 4;
  dns.mark(Anomaly::kDnsNameOverrun).u8(0xc0).u8(static_cast<uint8_t>(instanceOffset));
  dns.mark(Anomaly::kDnsTruncated).u16(33).u16(0x8001).u32(120).u16(6 + 1 + 7 + 2);
  dns.mark(Anomaly::kDnsRdataOverrun)
      .u16(0)
      .u16(0)
      .u16(631)
      .u8(7)
      .str("printer")
      .u8(0xc0)
      .u8(static_cast<uint8_t>(localOffset));
  // Answer 3: A printer.local
  dns.mark(Anomaly::kDnsNameOverrun).append(dnsName("printer.local"));
  dns.mark(Anomaly::kDnsTruncated).u16(1).u16(0x8001).u32(120).u16(4);
  dns.mark(Anomaly::kDnsRdataOverrun).ip4("192.168.10.50");
  return ethernet("01:00:5e:00:00:fb", "00:80:77:01:02:03", kEtherTypeIpv4,
                  ipv4("192.168.10.50", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)));
}

// A SIP/SSDP message. Cuts: nothing before `detectAt` bytes (an empty
// datagram, or too little to recognise SIP on a non-SIP port), then a bad
// start line until `validAt` bytes of it are there, then an unterminated
// header section until the final CR (a lone CR is an empty line).
inline Writer textMessage(std::string_view startLine, size_t validAt, std::string_view headers, size_t detectAt,
                          Anomaly badStart, Anomaly notTerminated) {
  Writer w;
  w.clean();
  w.str(startLine).str("\r\n").str(headers).str("\r\n");
  w.marks.push_back({detectAt < 1 ? 1 : detectAt, badStart});
  w.marks.push_back({validAt, notTerminated});
  w.marks.push_back({w.size() - 1, std::nullopt});
  return w;
}

inline Writer sipRegisterFrame(bool overTcp = false) {
  constexpr std::string_view kStart = "REGISTER sip:pbx.clinic.local SIP/2.0";
  Writer sip = textMessage(kStart, kStart.size(),
                           "Via: SIP/2.0/UDP 192.168.20.31:5060;branch=z9hG4bK1\r\n"
                           "From: \"Reception\" <sip:201@pbx.clinic.local>;tag=abc\r\n"
                           "t: <sip:201@pbx.clinic.local>\r\n"
                           "Call-ID: 1234@192.168.20.31\r\n"
                           "CSeq: 1 REGISTER\r\n"
                           "m: <sip:201@192.168.20.31:5060>\r\n"
                           "User-Agent: Yealink SIP-T54W 96.86.0.70\r\n"
                           "Content-Length: 0\r\n",
                           overTcp ? 13 : 1, Anomaly::kSipBadStartLine, Anomaly::kSipHeaderNotTerminated);
  Writer l4 = overTcp ? tcp(5060, 5060, 0x18, sip) : udp(5060, 5060, sip);
  return ethernet(kSwitchMac, kPhoneMac, kEtherTypeIpv4,
                  ipv4("192.168.20.31", "192.168.20.1", overTcp ? kIpProtoTcp : kIpProtoUdp, l4), {{0x8100, 20}});
}

inline Writer sipResponseFrame() {
  Writer sip = textMessage("SIP/2.0 200 OK", 11,
                           "From: <sip:201@pbx.clinic.local>;tag=abc\r\n"
                           "Server: Asterisk PBX 18.2.0\r\n"
                           "Content-Length: 0\r\n",
                           1, Anomaly::kSipBadStartLine, Anomaly::kSipHeaderNotTerminated);
  return ethernet(kPhoneMac, kSwitchMac, kEtherTypeIpv4,
                  ipv4("192.168.20.1", "192.168.20.31", kIpProtoUdp, udp(5060, 5062, sip)));
}

inline Writer ssdpNotifyFrame() {
  Writer ssdp = textMessage("NOTIFY * HTTP/1.1", 17,
                            "HOST: 239.255.255.250:1900\r\n"
                            "CACHE-CONTROL: max-age=1800\r\n"
                            "LOCATION: http://192.168.10.60:80/description.xml\r\n"
                            "NT: urn:schemas-upnp-org:device:Printer:1\r\n"
                            "NTS: ssdp:alive\r\n"
                            "SERVER: Linux/4.9 UPnP/1.0 HP-LaserJet/1.0\r\n"
                            "USN: uuid:1234::urn:schemas-upnp-org:device:Printer:1\r\n",
                            1, Anomaly::kSsdpBadStartLine, Anomaly::kSsdpHeaderNotTerminated);
  return ethernet("01:00:5e:7f:ff:fa", "3c:52:82:01:02:03", kEtherTypeIpv4,
                  ipv4("192.168.10.60", "239.255.255.250", kIpProtoUdp, udp(1900, 1900, ssdp)));
}

inline Writer eapolIdentityFrame() {
  Writer eap;
  eap.mark(Anomaly::kEapolTruncated).u8(1).u8(0).u16(4 + 1 + 14);
  // A snapped identity is still an identity: cuts inside it are clean.
  eap.mark(Anomaly::kEapTruncated).u8(2).u8(1).u16(4 + 1 + 14).u8(1).clean().str("host/EK-PC-042");
  return ethernet("01:80:c2:00:00:03", kPcMac, kEtherTypeEapol, eap);
}

inline Writer arpRequestFrame() {
  Writer arp;
  arp.mark(Anomaly::kArpTruncated).u16(1).u16(0x0800).u8(6).u8(4).u16(1).mac(kPcMac).ip4("192.168.10.23");
  arp.mac("00:00:00:00:00:00").ip4("192.168.10.1");
  return ethernet(kBroadcast, kPcMac, kEtherTypeArp, arp, {{0x88a8, 100}, {0x8100, 10}});
}

inline Writer dhcpv6SolicitFrame() {
  Writer v6;
  v6.mark(Anomaly::kDhcpv6Truncated).u8(1).u24(0x123456);
  auto option = [&v6](uint16_t code, const Writer& value) {
    v6.clean().u8(static_cast<uint8_t>(code >> 8)).mark(Anomaly::kDhcpv6OptionOverrun).u8(static_cast<uint8_t>(code));
    v6.u16(static_cast<uint16_t>(value.size())).bytes(value.data);
  };
  Writer duid, oro, vendor, fqdn, elapsed;
  duid.u16(1).u16(1).u32(0x2a2b2c2d).mac(kPcMac);
  oro.u16(17).u16(23).u16(24).u16(39);
  vendor.u32(311).u16(8).str("MSFT 5.0");
  fqdn.u8(0).append(dnsName("EK-PC-0042.clinic.local"));
  elapsed.u16(0);
  option(1, duid);
  option(8, elapsed);
  option(39, fqdn);
  option(16, vendor);
  option(6, oro);
  v6.clean();
  return ethernet("33:33:00:01:00:02", kPcMac, kEtherTypeIpv6,
                  ipv6("fe80::215:5dff:fe01:203", "ff02::1:2", kIpProtoUdp, udp(546, 547, v6)));
}

struct NamedFrame {
  const char* name;
  Writer frame;
};

// Frames whose every prefix is checked against its cut marks.
inline std::vector<NamedFrame> markedFrames() {
  return {
      {"dhcp_discover", dhcpDiscoverFrame()},
      {"dhcp_offer", dhcpOfferFrame()},
      {"lldp_med_phone", lldpMedPhoneFrame()},
      {"cdp_phone", cdpPhoneFrame()},
      {"cdp_switch", cdpSwitchFrame()},
      {"nd_solicit", neighborSolicitFrame()},
      {"mdns_printer", mdnsPrinterFrame()},
      {"sip_register", sipRegisterFrame()},
      {"sip_register_tcp", sipRegisterFrame(true)},
      {"sip_response", sipResponseFrame()},
      {"ssdp_notify", ssdpNotifyFrame()},
      {"eapol_identity", eapolIdentityFrame()},
      {"arp_qinq", arpRequestFrame()},
      {"dhcpv6_solicit", dhcpv6SolicitFrame()},
  };
}

}  // namespace portvakt::packet::testing
