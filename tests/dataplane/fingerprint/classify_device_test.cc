// classifyDevice over the Vårdcentral Karlstad classes (karlstad_policy.h):
// table-driven cases for every class, the policy's own expected outcomes,
// pins, priorities and ties, required signals, and confidence.
#include "dataplane/fingerprint/device_classifier.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/dataplane/fingerprint/karlstad_policy.h"

namespace portvakt::fingerprint {
namespace {

using namespace testing;
using tables::Signal;

struct Device {
  const char* mac = "02:00:00:00:00:01";
  const char* vendorClass = nullptr;
  std::vector<uint8_t> params{};
  const char* hostname = nullptr;
  uint16_t lldpCaps = 0;
  uint16_t medCaps = 0;
  std::optional<uint16_t> voiceVlan{};
  const char* cdp = nullptr;
  uint32_t cdpCaps = 0;
  const char* sip = nullptr;
  std::vector<const char*> mdns{};
};

DeviceEvidence evidenceOf(const Device& d) {
  tables::ExpectedOutcome t;
  t.mac = mac(d.mac);
  if (d.vendorClass) t.dhcpVendorClass = d.vendorClass;
  t.dhcpParameterList = d.params;
  if (d.hostname) t.dhcpHostname = d.hostname;
  if (d.cdp) t.cdpPlatform = d.cdp;
  if (d.sip) t.sipUserAgent = d.sip;
  for (const char* s : d.mdns) t.mdnsServices.push_back(s);
  t.lldpMedVoiceVlan = d.voiceVlan;
  DeviceEvidence e = evidenceFromExpectedOutcome(t);
  if (d.lldpCaps) {
    e.lldpCapabilities = d.lldpCaps;
    e.present |= traitBit(Trait::kLldpCapabilities);
  }
  if (d.medCaps) {
    e.lldpMedCapabilities = d.medCaps;
    e.present |= traitBit(Trait::kLldpMedCapabilities);
  }
  if (d.cdpCaps) {
    e.cdpCapabilities = d.cdpCaps;
    e.present |= traitBit(Trait::kCdpCapabilities);
  }
  return e;
}

struct Row {
  const char* description;
  Device device;
  const char* expectClass;  // "" for none
  tables::ZoneId expectZone;
  SignalMask expectFired;  // of the winner
};

TEST(ClassifyDevice, KarlstadClassesTable) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  const SignalMask inv = signalBit(Signal::kInventory), vc = signalBit(Signal::kDhcpVendorClass),
                   pl = signalBit(Signal::kDhcpParameterList), lldp = signalBit(Signal::kLldpMedCapability),
                   sip = signalBit(Signal::kSipUserAgent), cdp = signalBit(Signal::kCdpPlatform),
                   oui = signalBit(Signal::kOui), mdns = signalBit(Signal::kMdnsService),
                   cdpCaps = signalBit(Signal::kCdpCapability), fp = signalBit(Signal::kDhcpFingerprint);
  const Row rows[] = {
      {"inventoried eKlient, Windows 10 fingerprint and MSFT 5.0: region",
       {.mac = "3c:52:82:1a:2b:3c", .vendorClass = "MSFT 5.0", .params = kWindows10},
       "eklient",
       kRegion,
       inv | vc | pl},
      {"inventoried eKlient without its vendor class: evidence all is not met",
       {.mac = "3c:52:82:1a:2b:3c", .params = kWindows10},
       "",
       kQuarantine,
       0},
      {"inventoried MAC with a Linux fingerprint: quarantine",
       {.mac = "3c:52:82:1a:2b:3c", .vendorClass = "MSFT 5.0", .params = kDebianLinux},
       "",
       kQuarantine,
       0},
      {"the Windows fingerprint from a MAC outside the inventory: quarantine",
       {.mac = "a4:83:e7:00:00:01", .vendorClass = "MSFT 5.0", .params = kWindows10},
       "",
       kQuarantine,
       0},
      {"vendor class is case-sensitive",
       {.mac = "3c:52:82:1a:2b:3c", .vendorClass = "msft 5.0", .params = kWindows10},
       "",
       kQuarantine,
       0},
      {"option 55 order matters",
       {.mac = "3c:52:82:1a:2b:3c",
        .vendorClass = "MSFT 5.0",
        .params = {3, 1, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252}},
       "",
       kQuarantine,
       0},
      {"Yealink: LLDP-MED telephone + SIP UA + OUI (3 of 4)",
       {.mac = "80:5e:c0:12:34:56", .lldpCaps = 0x24, .sip = "Yealink SIP-T54W 96.86.0.100"},
       "ip-phone",
       kVoice,
       lldp | sip | oui},
      {"SIP UA matches case-insensitively (snom sends 'Snom')",
       {.mac = "02:00:00:00:00:02", .lldpCaps = 0x20, .sip = "SNOM D785/10.1.54.13"},
       "ip-phone",
       kVoice,
       lldp | sip},
      {"one phone signal is not enough (evidence 2)",
       {.mac = "02:00:00:00:00:03", .sip = "Yealink SIP-T46U"},
       "",
       kQuarantine,
       0},
      {"Cisco phone by CDP platform and OUI",
       {.mac = "00:0b:82:00:00:01", .cdp = "Cisco IP Phone 8845"},
       "ip-phone",
       kVoice,
       cdp | oui},
      {"CDP platform is case-sensitive",
       {.mac = "02:00:00:00:00:04", .lldpCaps = 0x20, .cdp = "cisco ip phone 8845"},
       "",
       kQuarantine,
       0},
      {"LLDP bridge capability alone is not telephone",
       {.mac = "80:5e:c0:00:00:02", .lldpCaps = 0x04},
       "",
       kQuarantine,
       0},
      {"Logitech video bar by mDNS service",
       {.mac = "02:00:00:00:00:05", .mdns = {"_logitech-sync._tcp.local"}},
       "conference",
       kConference,
       mdns},
      {"conference gear by OUI only (evidence any)", {.mac = "c4:63:fb:00:00:01"}, "conference", kConference, oui},
      {"mDNS IPP alone is not a printer: any computer can announce it",
       {.mac = "02:00:00:00:00:06", .mdns = {"_ipp._tcp"}},
       "",
       kQuarantine,
       0},
      {"an HP printer's OUI alone is not a printer either (require mdns.services)",
       {.mac = "9c:7b:ef:00:00:01"},
       "",
       kQuarantine,
       0},
      {"HP OUI and mDNS IPP (service names compare case-insensitively)",
       {.mac = "9c:7b:ef:00:00:01", .mdns = {"_IPP._tcp"}},
       "printer",
       kPrinters,
       mdns | oui},
      {"mDNS IPP and a printer's DHCP fingerprint",
       {.mac = "02:00:00:00:00:08", .params = kHpPrinter, .mdns = {"_ipp._tcp"}},
       "printer",
       kPrinters,
       mdns | fp},
      {"mDNS IPP, an HP OUI and a Linux DHCP fingerprint: contradicted, not a printer",
       {.mac = "9c:7b:ef:00:00:02", .params = kDebianLinux, .mdns = {"_ipp._tcp"}},
       "",
       kQuarantine,
       0},
      {"an unknown DHCP fingerprint does not contradict: mDNS IPP and the OUI",
       {.mac = "9c:7b:ef:00:00:03", .params = {1, 3, 6}, .mdns = {"_ipp._tcp"}},
       "printer",
       kPrinters,
       mdns | oui},
      {"Cisco phone by CDP platform and the CDP phone bit, no OUI",
       {.mac = "02:00:00:00:00:09", .cdp = "Cisco IP Phone 7841", .cdpCaps = 0x490},
       "ip-phone",
       kVoice,
       cdp | cdpCaps},
      {"the CDP phone bit beside another platform string still counts once",
       {.mac = "02:00:00:00:00:0a", .cdp = "SEP-unknown", .cdpCaps = 0x80},
       "",
       kQuarantine,
       0},
      {"a CDP switch (0x28) is not a phone",
       {.mac = "00:0b:82:00:00:02", .cdp = "cisco WS-C3560G-24PS", .cdpCaps = 0x28},
       "",
       kQuarantine,
       0},
      {"Yealink by its DHCP fingerprint and OUI, before it has an address",
       {.mac = "80:5e:c0:00:00:03", .params = kYealinkPhone},
       "ip-phone",
       kVoice,
       pl | oui},
      {"a printer that also does AirPlay: conference (40) beats printer (30)",
       {.mac = "02:00:00:00:00:07", .mdns = {"_ipp._tcp", "_airplay._tcp"}},
       "conference",
       kConference,
       mdns},
      {"nothing at all: the port's default zone", {}, "", kQuarantine, 0},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.description);
    const DeviceEvidence e = evidenceOf(r.device);
    const ClassDecision d = classifyDevice(policy, e, kQuarantine);
    EXPECT_EQ(d.className, r.expectClass) << d.explain(policy);
    EXPECT_EQ(d.zone, r.expectZone) << d.explain(policy);
    EXPECT_EQ(d.winnerFired, r.expectFired) << signalsToString(d.winnerFired);
    EXPECT_FALSE(d.pinned);
    EXPECT_EQ(d.source, *r.expectClass ? DecisionSource::kClass : DecisionSource::kDefaultZone);
  }
}

TEST(ClassifyDevice, PolicyExpectedOutcomesPass) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  const tables::ZoneId defaultZone = commonAccessDefaultZone(policy);
  ASSERT_EQ(defaultZone, kQuarantine);
  ASSERT_EQ(policy.control.tests.size(), 13u);
  for (const tables::ExpectedOutcome& t : policy.control.tests) {
    const DeviceTestResult r = runDeviceTest(policy, t, defaultZone);
    EXPECT_TRUE(r.passed) << t.name << ": " << r.message;
  }
}

TEST(ClassifyDevice, DeviceTestCanFail) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  tables::ExpectedOutcome t = policy.control.tests[0];
  t.dhcpParameterList = kDebianLinux;  // the eKlient case with a Linux fingerprint
  const DeviceTestResult r = runDeviceTest(policy, t, kQuarantine);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.message.find("expected class eklient zone region"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("dhcp.parameter_list=1,28,2"), std::string::npos) << r.message;
}

TEST(ClassifyDevice, PinBeatsEvidence) {
  // PacketFence #7384: a pinned conference phone must not be pushed to voice.
  const tables::CompiledPolicy policy = karlstadPolicy();
  const DeviceEvidence e = evidenceOf({.mac = "30:50:75:aa:10:01", .lldpCaps = 0x20, .sip = "Polycom-Trio-8800"});
  const ClassDecision d = classifyDevice(policy, e, kQuarantine);
  EXPECT_TRUE(d.pinned);
  EXPECT_EQ(d.source, DecisionSource::kPin);
  EXPECT_EQ(d.className, "conference");
  EXPECT_EQ(d.zone, kConference);
  // The evidence alone says ip-phone, and the decision says so.
  ASSERT_NE(d.evidenceClassIndex, kNoClass);
  EXPECT_EQ(policy.classes[static_cast<size_t>(d.evidenceClassIndex)].name, "ip-phone");
  EXPECT_NE(d.pinReason.find("Jabra"), std::string_view::npos);
}

TEST(ClassifyDevice, PinByZoneOnly) {
  tables::CompiledPolicy policy = karlstadPolicy();
  policy.pins.push_back({mac("80:5e:c0:99:99:99"), "", kPrinters, "test bench"});
  const DeviceEvidence e = evidenceOf({.mac = "80:5e:c0:99:99:99", .lldpCaps = 0x20, .sip = "Yealink SIP-T54W"});
  const ClassDecision d = classifyDevice(policy, e, kQuarantine);
  EXPECT_TRUE(d.pinned);
  EXPECT_EQ(d.className, "");
  EXPECT_EQ(d.zone, kPrinters);
}

// Requirements: R1
TEST(ClassifyDevice, TiesGoByNameAndRequiredSignalsMustFire) {
  tables::CompiledPolicy policy;
  policy.zones = {
      {"a", 10, "", false, false, {}, {}}, {"b", 20, "", false, false, {}, {}}, {"q", 999, "", true, false, {}, {}}};
  tables::DeviceClass beta;
  beta.name = "beta";
  beta.zone = 1;
  beta.priority = 10;
  beta.sipUserAgent = {"Acme*"};
  beta.configuredSignals = 1;
  beta.evidenceRequired = 1;
  tables::DeviceClass alpha = beta;
  alpha.name = "alpha";
  alpha.zone = 0;
  // Deliberately unsorted: the tie-break must not depend on the table order.
  policy.classes = {beta, alpha};
  DeviceEvidence e = evidenceOf({.sip = "Acme Phone 1"});
  ClassDecision d = classifyDevice(policy, e, 2);
  EXPECT_EQ(d.className, "alpha");
  EXPECT_EQ(d.candidateCount, 2);

  tables::DeviceClass strict;
  strict.name = "strict";
  strict.zone = 1;
  strict.priority = 50;
  strict.sipUserAgent = {"Acme*"};
  strict.cdpPlatform = {"Acme*"};
  strict.configuredSignals = 2;
  strict.evidenceRequired = 1;
  strict.required = {Signal::kCdpPlatform};
  policy.classes = {strict, alpha};
  d = classifyDevice(policy, e, 2);
  EXPECT_EQ(d.className, "alpha") << "strict requires cdp.platform, which did not fire";
  e = evidenceOf({.cdp = "Acme 2", .sip = "Acme Phone 1"});
  d = classifyDevice(policy, e, 2);
  EXPECT_EQ(d.className, "strict");
  EXPECT_DOUBLE_EQ(d.confidence, 1.0);
}

TEST(ClassifyDevice, ConfidenceIsFiredOverConfigured) {
  const tables::CompiledPolicy policy = karlstadPolicy();
  const DeviceEvidence e = evidenceOf({.mac = "80:5e:c0:12:34:56", .sip = "Yealink SIP-T54W"});
  const ClassDecision d = classifyDevice(policy, e, kQuarantine);
  ASSERT_EQ(d.className, "ip-phone");
  EXPECT_DOUBLE_EQ(d.confidence, 2.0 / 7);  // sip + oui of 7 matchers
  const std::string text = d.explain(policy);
  EXPECT_NE(text.find("class ip-phone zone voice confidence 0.29 (sip.user_agent,oui)"), std::string::npos) << text;
}

// Requirements: R2
TEST(ClassifyDevice, VoiceVlanSignal) {
  tables::CompiledPolicy policy = karlstadPolicy();
  auto phoneClass = std::find_if(policy.classes.begin(), policy.classes.end(),
                                 [](const tables::DeviceClass& c) { return c.name == "ip-phone"; });
  ASSERT_NE(phoneClass, policy.classes.end());
  tables::DeviceClass& phone = *phoneClass;
  phone.lldpMedVoiceVlan = 20;
  phone.configuredSignals = 5;
  const DeviceEvidence e = evidenceOf({.mac = "02:00:00:00:00:09", .voiceVlan = 20, .sip = "Mitel 6920"});
  const ClassDecision d = classifyDevice(policy, e, kQuarantine);
  EXPECT_EQ(d.className, "ip-phone");
  EXPECT_EQ(d.winnerFired, signalBit(Signal::kLldpMedVoiceVlan) | signalBit(Signal::kSipUserAgent));
  const DeviceEvidence other = evidenceOf({.mac = "02:00:00:00:00:09", .voiceVlan = 21, .sip = "Mitel 6920"});
  EXPECT_EQ(classifyDevice(policy, other, kQuarantine).className, "");
}

TEST(ClassifyDevice, LldpCapabilityNames) {
  ASSERT_TRUE(lldpCapabilityBit("telephone"));
  EXPECT_FALSE(lldpCapabilityBit("telephone")->med);
  EXPECT_EQ(lldpCapabilityBit("telephone")->bit, 0x20);
  ASSERT_TRUE(lldpCapabilityBit("network-policy"));
  EXPECT_TRUE(lldpCapabilityBit("network-policy")->med);
  EXPECT_EQ(lldpCapabilityBit("network-policy")->bit, 0x02);
  EXPECT_FALSE(lldpCapabilityBit("phone"));
}

}  // namespace
}  // namespace portvakt::fingerprint
