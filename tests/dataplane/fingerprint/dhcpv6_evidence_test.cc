// DHCPv6 as classification evidence (issue 13): what a client's own DHCPv6
// messages say (vendor class with its enterprise number, option request
// list) is evidence; server messages, relayed messages and boot firmware are
// not. With the Karlstad classes, an inventoried IPv6-only eKlient is
// classified from its SOLICIT alone. Frames are built, parsed and folded in
// as the profiler does.
#include <gtest/gtest.h>

#include "dataplane/fingerprint/device_classifier.h"
#include "dataplane/packet/frame.h"
#include "tests/dataplane/fingerprint/karlstad_policy.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt::fingerprint {
namespace {

using namespace packet::testing;
using tables::Signal;

constexpr const char* kEklientMac = "3c:52:82:1a:2b:3c";  // inventoried in karlstad_policy.h
constexpr const char* kStrangerMac = "a4:83:e7:00:00:01";

struct Solicit {
  uint8_t type = 1;  // SOLICIT
  uint32_t enterprise = 311;
  std::string vendorClass = "MSFT 5.0";  // "" for no option 16
  std::vector<uint16_t> oro = {24, 23, 17, 39};
  bool relayed = false;  // inside a RELAY-FORW
};

Bytes frameOf(const char* mac, const Solicit& s) {
  Writer msg;
  msg.u8(s.type).u24(0x77).u16(1).u16(4).u32(0x00030001);
  if (!s.vendorClass.empty()) {
    msg.u16(16).u16(static_cast<uint16_t>(6 + s.vendorClass.size())).u32(s.enterprise);
    msg.u16(static_cast<uint16_t>(s.vendorClass.size())).str(s.vendorClass);
  }
  if (!s.oro.empty()) {
    msg.u16(6).u16(static_cast<uint16_t>(2 * s.oro.size()));
    for (uint16_t code : s.oro) msg.u16(code);
  }
  Writer payload = msg;
  if (s.relayed) {
    Writer relay;
    relay.u8(12).u8(0).ip6("2001:db8::1").ip6("fe80::66").u16(9).u16(static_cast<uint16_t>(msg.size())).append(msg);
    payload = relay;
  }
  return ethernet("33:33:00:01:00:02", mac, packet::kEtherTypeIpv6,
                  ipv6("fe80::66", "ff02::1:2", packet::kIpProtoUdp, udp(s.relayed ? 547 : 546, 547, payload)))
      .data;
}

DeviceEvidence evidenceFrom(const char* mac, const Solicit& s) {
  DeviceEvidence e;
  e.mac = *tables::MacAddress::parse(mac);
  const Bytes frame = frameOf(mac, s);
  packet::ParsedFrame parsed;
  packet::parseFrame(frame, parsed);
  EXPECT_TRUE(parsed.has(packet::Layer::kDhcpv6));
  (void)updateEvidence(e, parsed, 1, EvidenceOptions{});
  return e;
}

TEST(Dhcpv6Evidence, ClientMessagesAreEvidenceServerRelayedAndBootFirmwareAreNot) {
  const DeviceEvidence windows = evidenceFrom(kEklientMac, {});
  ASSERT_TRUE(windows.has(Trait::kDhcpv6VendorClass));
  ASSERT_TRUE(windows.has(Trait::kDhcpv6OptionRequest));
  EXPECT_EQ(windows.dhcpv6Enterprise, 311u);
  EXPECT_EQ(windows.dhcpv6VendorClass.view(), "MSFT 5.0");
  EXPECT_EQ(windows.dhcpv6OptionRequest.toString(), "24,23,17,39");
  EXPECT_NE(windows.describe().find("dhcpv6.vendor_class=311:\"MSFT 5.0\" dhcpv6.option_request=24,23,17,39"),
            std::string::npos)
      << windows.describe();

  for (uint8_t t : {3, 5, 6, 11}) {  // REQUEST, RENEW, REBIND, INFORMATION-REQUEST
    Solicit s;
    s.type = t;
    EXPECT_TRUE(evidenceFrom(kEklientMac, s).has(Trait::kDhcpv6VendorClass)) << int{t};
  }
  Solicit advertise;
  advertise.type = 2;
  EXPECT_EQ(evidenceFrom(kEklientMac, advertise).present, 0) << "a server's ADVERTISE says nothing about the client";
  Solicit relayed;
  relayed.relayed = true;
  EXPECT_EQ(evidenceFrom(kEklientMac, relayed).present, 0) << "a relay agent speaks for someone else";
  Solicit pxe;
  pxe.enterprise = 343;
  pxe.vendorClass = "PXEClient:Arch:00009:UNDI:003010";
  EXPECT_EQ(evidenceFrom(kEklientMac, pxe).present, 0) << "boot firmware, not the OS";
}

// Requirements: R1
TEST(Dhcpv6Evidence, AnInventoriedIpv6OnlyEklientIsClassifiedFromItsSolicit) {
  const tables::CompiledPolicy policy = testing::karlstadPolicy();
  const tables::ZoneId quarantine = quarantineZone(policy);
  const int eklient = findClass(policy, "eklient");

  ClassDecision d = classifyDevice(policy, evidenceFrom(kEklientMac, {}), quarantine);
  EXPECT_EQ(d.classIndex, eklient) << d.explain(policy);
  EXPECT_EQ(d.winnerFired, signalBit(Signal::kInventory) | signalBit(Signal::kDhcpv6VendorClass) |
                               signalBit(Signal::kDhcpv6OptionRequest));

  Solicit server2008;  // the second list of the class
  server2008.oro = {24, 23, 17};
  EXPECT_EQ(classifyDevice(policy, evidenceFrom(kEklientMac, server2008), quarantine).classIndex, eklient);

  // Not enough: the vendor class alone, another enterprise's "MSFT 5.0",
  // another order of the same codes, or the right fingerprint on a MAC
  // nobody inventoried.
  Solicit noOro;
  noOro.oro.clear();
  EXPECT_EQ(classifyDevice(policy, evidenceFrom(kEklientMac, noOro), quarantine).zone, quarantine);
  Solicit otherEnterprise;
  otherEnterprise.enterprise = 4491;
  otherEnterprise.oro.clear();
  d = classifyDevice(policy, evidenceFrom(kEklientMac, otherEnterprise), quarantine);
  EXPECT_EQ(d.zone, quarantine);
  EXPECT_EQ(
      firedSignals(policy, policy.classes[static_cast<size_t>(eklient)], evidenceFrom(kEklientMac, otherEnterprise)),
      signalBit(Signal::kInventory));
  Solicit reordered;
  reordered.oro = {23, 24, 17, 39};
  EXPECT_EQ(classifyDevice(policy, evidenceFrom(kEklientMac, reordered), quarantine).zone, quarantine);
  EXPECT_EQ(classifyDevice(policy, evidenceFrom(kStrangerMac, {}), quarantine).zone, quarantine);
}

}  // namespace
}  // namespace portvakt::fingerprint
