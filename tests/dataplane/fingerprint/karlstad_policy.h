#pragma once
// The compiled form of examples/vardcentral-karlstad.yaml (over
// region-base.yaml), built in code: the dataplane test binary must not link
// the YAML compiler. compiled_example_test.cc checks that these tables agree
// with what `portvakt policy compile --dump` makes of the example, so the two
// cannot drift apart silently.

#include <memory>
#include <string>
#include <vector>

#include "policy/tables/compiled_policy.h"

namespace portvakt::fingerprint::testing {

using tables::ZoneId;

inline constexpr ZoneId kRegion = 0, kVoice = 1, kConference = 2, kQuarantine = 3, kPrinters = 4;
inline constexpr uint16_t kRdnetUplink = 0, kVoiceUplink = 1, kWallJack = 3, kWallJack2 = 4, kPrinterRoom = 15;

inline tables::MacAddress mac(const char* text) { return *tables::MacAddress::parse(text); }

inline const std::vector<uint8_t> kWindows10 = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
inline const std::vector<uint8_t> kDebianLinux = {1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42};
// Fingerbank os 800 "HP Printer" (examples/dhcp-fingerprints.conf).
inline const std::vector<uint8_t> kHpPrinter = {1, 3, 44, 6, 7, 12, 15, 22, 54, 58, 59, 69, 18, 144};
inline const std::vector<uint8_t> kCiscoPhone = {1, 3, 6, 15, 42, 66, 150};
inline const std::vector<uint8_t> kYealinkPhone = {1, 2, 3, 4, 6, 7, 12, 15, 28, 42, 66, 67, 43, 120};
inline const std::vector<uint8_t> kAvayaPhone = {1, 3, 6, 15, 66, 69, 43, 176};

inline tables::CompiledPolicy karlstadPolicy() {
  using namespace tables;
  CompiledPolicy p;
  p.name = "vardcentral-karlstad";
  p.sources = {"region-base.yaml", "vardcentral-karlstad.yaml"};
  p.zones = {
      {"region", 10, "RDnet: region-standard eKlient PCs only (R1)", false, false, {}, {}},
      {"voice",
       20,
       "The clinic's own IP telephony, never on the region network (R2); calls go first under load",
       false,
       false,
       {},
       {}},
      {"conference", 30, "Displays, speakerphones and video bars: internet only (R3)", false, false, {}, {}},
      {"quarantine", 999, "Devices nobody recognised: they reach nothing", true, false, {}, {}},
      {"printers",
       40,
       "Network printers and MFPs, reached by eKlient PCs",
       false,
       true,
       {},
       {*Prefix::parse("10.40.0.1")}},
  };
  p.zones[1].priority = ZonePriority::kVoice;
  p.ports.push_back({"eth0", "rdnet-uplink", PortRole::kUplink, {kRegion}, kRegion, Mode::kEnforce});
  p.ports.push_back({"eth1", "voice-uplink", PortRole::kUplink, {kVoice}, kVoice, Mode::kEnforce});
  p.ports.push_back({"eth2", "internet-uplink", PortRole::kUplink, {kConference}, kConference, Mode::kEnforce});
  for (int i = 3; i <= 14; ++i) {
    p.ports.push_back({"eth" + std::to_string(i),
                       "wall-jacks",
                       PortRole::kAccess,
                       {kRegion, kVoice, kConference, kQuarantine, kPrinters},
                       kQuarantine,
                       Mode::kEnforce});
  }
  p.ports.push_back({"eth15", "printer-room", PortRole::kAccess, {kQuarantine, kPrinters}, kQuarantine, Mode::kMonitor});

  DeviceClass eklient;
  eklient.name = "eklient";
  eklient.zone = kRegion;
  eklient.priority = 100;
  eklient.inventory = true;
  eklient.dhcpVendorClass = {"MSFT 5.0"};
  eklient.dhcpParameterLists = {kWindows10};
  eklient.dhcpv6VendorClass = {{311, "MSFT 5.0"}};
  eklient.dhcpv6OptionRequests = {{24, 23, 17, 39}, {24, 23, 17}};
  eklient.configuredSignals = 5;
  eklient.evidenceRequired = 3;
  eklient.required = {tables::Signal::kInventory};

  // The region base's 802.1X eKlient (examples/region-base.yaml): never matches
  // here, where no port asks for 802.1X, but it is compiled into every site.
  DeviceClass eklientDot1x;
  eklientDot1x.name = "eklient-dot1x";
  eklientDot1x.zone = kRegion;
  eklientDot1x.priority = 110;
  eklientDot1x.inventory = true;
  eklientDot1x.dot1x = true;
  eklientDot1x.dhcpVendorClass = {"MSFT 5.0"};
  eklientDot1x.configuredSignals = 3;
  eklientDot1x.evidenceRequired = 2;
  eklientDot1x.required = {tables::Signal::kInventory, tables::Signal::kDot1x};

  DeviceClass phone;
  phone.name = "ip-phone";
  phone.zone = kVoice;
  phone.priority = 50;
  phone.lldpMedCapabilities = {"telephone"};
  phone.cdpPlatform = {"Cisco IP Phone*"};
  phone.cdpCapabilities = 0x80;
  phone.dhcpVendorClass = {"Cisco Systems, Inc. IP Phone*", "ccp.avaya.com", "Poly-EdgeE220", "Poly-EdgeE320",
                           "Poly-EdgeE550"};
  phone.dhcpParameterLists = {kCiscoPhone,
                              {1, 66, 6, 3, 15, 150, 35},
                              kAvayaPhone,
                              {1, 28, 3, 6, 15, 42, 242},
                              {1, 28, 66, 3, 4, 42, 2, 6, 15},
                              {1, 28, 160, 66, 3, 4, 42, 2, 6, 15},
                              {1, 3, 6, 12, 15, 42, 66, 67, 120},
                              kYealinkPhone};
  phone.sipUserAgent = {"Yealink SIP-*", "Poly*", "Polycom*", "snom*", "Grandstream*", "Cisco-CP*", "Avaya*", "Mitel*"};
  phone.ouis = {0x805ec0, 0x249ad8, 0x64167f, 0x0004f2, 0x000413, 0xc074ad, 0x000b82};
  phone.configuredSignals = 7;
  phone.evidenceRequired = 2;

  DeviceClass conference;
  conference.name = "conference";
  conference.zone = kConference;
  conference.priority = 40;
  conference.mdnsServices = {"_airplay._tcp", "_googlecast._tcp", "_logitech-sync._tcp"};
  conference.dhcpVendorClass = {"Poly-StudioX70", "Poly-TrioC60"};
  conference.ouis = {0x000d44, 0xc0288d, 0xf47335, 0x305075, 0x70bf92, 0xc463fb};
  conference.configuredSignals = 3;
  conference.evidenceRequired = 1;

  DeviceClass printer;
  printer.name = "printer";
  printer.zone = kPrinters;
  printer.priority = 30;
  printer.mdnsServices = {"_ipp._tcp", "_pdl-datastream._tcp"};
  printer.ouis = {0x9c7bef, 0x001e0b};
  printer.dhcpFingerprints = {"Printers"};
  printer.configuredSignals = 3;
  printer.evidenceRequired = 2;
  printer.required = {tables::Signal::kMdnsService};
  printer.requiredAnyOf = {{tables::Signal::kOui, tables::Signal::kDhcpFingerprint}};
  // Two entries of the example's fingerprint data, sorted by codes.
  p.dhcpFingerprints = {{kHpPrinter, "HP Printer", {"Printers"}}, {kDebianLinux, "Ubuntu/Debian 5/Knoppix 6", {"Linux"}}};
  p.fingerprintSources = {"dhcp-fingerprints.conf"};

  p.classes = {eklientDot1x, eklient, phone, conference, printer};
  p.inventory = {
      {mac("3c:52:82:1a:2b:3c"), "RV-100231", "EK-KSD-0231"}, {mac("3c:52:82:1a:2b:3d"), "RV-100232", "EK-KSD-0232"},
      {mac("3c:52:82:1a:2b:3e"), "RV-100233", "EK-KSD-0233"}, {mac("98:fa:9b:44:01:10"), "RV-100412", "EK-KSD-0412"},
      {mac("98:fa:9b:44:01:11"), "RV-100413", "EK-KSD-0413"},
  };
  p.pins = {{mac("30:50:75:aa:10:01"), "conference", kConference,
             "Jabra speakerphone in room 2 also speaks SIP; it belongs to conference, not voice"}};

  auto device = [](std::string name, const char* m, std::string expectClass, ZoneId expectZone) {
    ExpectedOutcome t;
    t.name = std::move(name);
    t.kind = ExpectedOutcome::Kind::kDevice;
    t.mac = mac(m);
    t.expectClass = std::move(expectClass);
    t.expectZone = expectZone;
    return t;
  };
  ExpectedOutcome t1 = device("an inventoried eKlient with a Windows fingerprint lands in region", "3c:52:82:1a:2b:3c",
                              "eklient", kRegion);
  t1.dhcpVendorClass = "MSFT 5.0";
  t1.dhcpParameterList = kWindows10;
  ExpectedOutcome t1v6 = device("an inventoried IPv6-only eKlient lands in region by its DHCPv6 fingerprint",
                                "3c:52:82:1a:2b:3d", "eklient", kRegion);
  t1v6.dhcpv6VendorClass = DeviceClass::Dhcpv6VendorClass{311, "MSFT 5.0"};
  t1v6.dhcpv6OptionRequest = {24, 23, 17, 39};
  ExpectedOutcome t2 = device("a device copying an eKlient MAC with a Linux fingerprint is quarantined",
                              "3c:52:82:1a:2b:3c", "", kQuarantine);
  t2.dhcpParameterList = kDebianLinux;
  ExpectedOutcome t3 = device("an unknown personal laptop is quarantined", "a4:83:e7:00:00:01", "", kQuarantine);
  t3.dhcpVendorClass = "MSFT 5.0";
  t3.dhcpParameterList = kWindows10;
  ExpectedOutcome t4 = device("a Yealink phone lands in voice", "80:5e:c0:12:34:56", "ip-phone", kVoice);
  t4.lldpMedCapabilities = {"telephone"};
  t4.sipUserAgent = "Yealink SIP-T54W 96.86.0.100";
  ExpectedOutcome cisco = device("a Cisco phone in quarantine is recognised by CDP and DHCP, before it has an address",
                                 "02:00:5e:10:00:01", "ip-phone", kVoice);
  cisco.cdpPlatform = "Cisco IP Phone 8841";
  cisco.cdpCapabilities = {"phone", "host"};
  cisco.dhcpVendorClass = "Cisco Systems, Inc. IP Phone CP-8841";
  cisco.dhcpParameterList = kCiscoPhone;
  ExpectedOutcome yealink = device("a Yealink phone without LLDP is recognised by its DHCP fingerprint and OUI",
                                   "80:5e:c0:12:34:57", "ip-phone", kVoice);
  yealink.dhcpParameterList = kYealinkPhone;
  ExpectedOutcome avaya = device("an Avaya phone is recognised by its DHCP vendor class and option 55",
                                 "02:00:5e:10:00:02", "ip-phone", kVoice);
  avaya.dhcpVendorClass = "ccp.avaya.com";
  avaya.dhcpParameterList = kAvayaPhone;
  ExpectedOutcome sipOnly =
      device("a phone that only speaks SIP stays in quarantine (it never gets an address to register from)",
             "02:00:5e:10:00:03", "", kQuarantine);
  sipOnly.sipUserAgent = "Yealink SIP-T54W 96.86.0.100";
  ExpectedOutcome hp = device("an HP printer announcing IPP with a printer's DHCP fingerprint lands in printers",
                              "02:00:5e:10:00:04", "printer", kPrinters);
  hp.mdnsServices = {"_ipp._tcp"};
  hp.dhcpParameterList = kHpPrinter;
  ExpectedOutcome linuxIpp = device("a Linux box announcing IPP is not a printer", "02:00:5e:10:00:05", "", kQuarantine);
  linuxIpp.mdnsServices = {"_ipp._tcp"};
  ExpectedOutcome linuxHpOui =
      device("a Linux box announcing IPP from an HP printer's OUI is still not a printer (its DHCP fingerprint is Linux)",
             "00:1e:0b:10:00:06", "", kQuarantine);
  linuxHpOui.mdnsServices = {"_ipp._tcp"};
  linuxHpOui.dhcpParameterList = kDebianLinux;
  ExpectedOutcome t5 =
      device("the pinned speakerphone stays in conference", "30:50:75:aa:10:01", "conference", kConference);
  t5.sipUserAgent = "Jabra Speak2";
  p.control.tests = {t1, t1v6, t2, t3, t4, cisco, yealink, avaya, sipOnly, hp, linuxIpp, linuxHpOui, t5};
  return p;
}

inline tables::CompiledPolicyPtr karlstadPolicyPtr() {
  return std::make_shared<const tables::CompiledPolicy>(karlstadPolicy());
}

}  // namespace portvakt::fingerprint::testing
